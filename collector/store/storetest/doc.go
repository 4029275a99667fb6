// Package storetest is the conformance suite of the collector's stores:
// every [store.Store] implementation runs [Run] from its tests, the way
// every slog.Handler runs testing/slogtest.
//
// # Usage
//
// A store's test passes a function that opens (or reopens) the store in a
// folder; Run calls it with a fresh folder per subtest and again with the
// same folder to check what survives a restart:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T, dir string) store.Store {
//			db, err := sqlite.Open(filepath.Join(dir, "traces.db"), sqlite.Options{})
//			require.NoError(t, err)
//			return db
//		})
//	}
//
// Run closes the stores it opens. Its subtests are named, so one can be
// run alone with go test -run 'TestStore/Summary'.
//
// # What it checks
//
// Append and its dedupe (within one call, across calls, across a reopen),
// durability across a reopen, each [store.Filter] field, keyset pagination
// with a page size of 3 and bad cursors, Scan order and early stop, Summary
// numbers on a fixture whose expected values are computed by hand in the
// test, DeleteBefore, Close and [store.ErrClosed], a context cancelled
// before Append, and a hammer of concurrent Appends with overlapping ids.
package storetest
