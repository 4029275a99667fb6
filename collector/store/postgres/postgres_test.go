package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/rastrohq/rastro/collector/store"
	"github.com/rastrohq/rastro/collector/store/postgres/pgtest"
	"github.com/rastrohq/rastro/collector/store/storetest"
	"github.com/rastrohq/rastro/collector/trace"
	"github.com/rastrohq/rastro/sdk/wire"
)

// srv is the package's PostgreSQL server, nil when none is installed.
var srv *pgtest.Server

func TestMain(m *testing.M) {
	var err error
	srv, err = pgtest.Start()
	switch {
	case errors.Is(err, pgtest.ErrNoPostgres):
		fmt.Println("postgres tests skipped:", err)
	case err != nil:
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if srv != nil {
		if code != 0 && testing.Verbose() {
			fmt.Fprintln(os.Stderr, srv.Log())
		}
		srv.Stop()
	}
	os.Exit(code)
}

// schema returns the DSN of a new, empty schema, skipping the test when no
// server runs.
func schema(tb testing.TB) string {
	tb.Helper()
	if srv == nil {
		tb.Skip("PostgreSQL is not installed: install Debian's postgresql package (scripts/install-deps.sh)")
	}
	dsn, err := srv.Schema(context.Background())
	require.NoError(tb, err)
	return dsn
}

func openDB(tb testing.TB, dsn string, opts Options) *DB {
	tb.Helper()
	db, err := Open(context.Background(), dsn, opts)
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

func TestStore(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"defaults", Options{}},
		// Tiny bounds reach the paths the defaults rarely take: a full
		// queue, a batch cut short, many delete chunks.
		{"small", Options{MaxConns: 2, MaxBatchRows: 3, QueueLen: 1, DeleteChunkRows: 50}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The suite names a folder per store; here each folder is a
			// schema, so that reopening a folder reopens its schema.
			var (
				mu      sync.Mutex
				schemas = map[string]string{}
			)
			storetest.Run(t, func(t *testing.T, dir string) store.Store {
				mu.Lock()
				dsn, ok := schemas[dir]
				if !ok {
					dsn = schema(t)
					schemas[dir] = dsn
				}
				mu.Unlock()
				db, err := Open(context.Background(), dsn, tc.opts)
				require.NoError(t, err)
				return db
			})
		})
	}
}

func TestOutbox(t *testing.T) {
	var (
		mu      sync.Mutex
		schemas = map[string]string{}
	)
	storetest.RunOutbox(t, func(t *testing.T, dir string, sinks []string) store.Store {
		mu.Lock()
		dsn, ok := schemas[dir]
		if !ok {
			dsn = schema(t)
			schemas[dir] = dsn
		}
		mu.Unlock()
		db, err := Open(context.Background(), dsn, Options{Sinks: sinks})
		require.NoError(t, err)
		return db
	})
}

func click(id string, at time.Time) trace.Trace {
	return trace.Trace{
		SpecVersion: trace.SpecVersion, ID: id, Source: "rastro://test", Type: trace.TypePrefix + "click",
		Time: at, DataContentType: trace.ContentType, DataSchema: trace.DataSchema,
		Data: trace.Data{Kind: wire.KindClick, Touchpoint: "page", Channel: wire.ChannelWeb, ReceivedAt: at, Origin: trace.OriginWire},
	}
}

func ids(ts []trace.Trace) []string {
	out := make([]string, len(ts))
	for i := range ts {
		out[i] = ts[i].ID
	}
	return out
}

// TestArrivalOrder checks that traces of equal time come back in the order
// of the call even though the writer inserts them in id order.
func TestArrivalOrder(t *testing.T) {
	db := openDB(t, schema(t), Options{})
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	ins, err := db.Append(context.Background(), []trace.Trace{click("z", at), click("m", at), click("a", at)})
	require.NoError(t, err)
	require.Equal(t, []bool{true, true, true}, ins)
	_, err = db.Append(context.Background(), []trace.Trace{click("b", at)})
	require.NoError(t, err)
	p, err := db.Query(context.Background(), store.Filter{})
	require.NoError(t, err)
	require.Equal(t, []string{"z", "m", "a", "b"}, ids(p.Traces))
}

// TestTwoCollectors runs two DBs on one schema, as two collectors behind
// a load balancer sharing PostgreSQL, each appending from several
// goroutines batches whose ids overlap within and across the collectors.
// Every id must be stored once and reported new by exactly one call.
func TestTwoCollectors(t *testing.T) {
	const (
		distinct   = 1000
		goroutines = 4 // per collector
	)
	dsn := schema(t)
	collectors := []*DB{openDB(t, dsn, Options{}), openDB(t, dsn, Options{MaxBatchRows: 50})}
	base := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	var (
		mu      sync.Mutex
		newByID = map[string]int{}
		wg      sync.WaitGroup
	)
	for c, db := range collectors {
		for g := range goroutines {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(c), uint64(g)))
				// Every goroutine sends every id, in its own order: each id
				// is raced by 8 senders on 2 collectors.
				perm := rng.Perm(distinct)
				for len(perm) > 0 {
					n := min(1+rng.IntN(30), len(perm))
					var batch []trace.Trace
					for _, k := range perm[:n] {
						batch = append(batch, click(fmt.Sprintf("id%04d", k), base.Add(time.Duration(k)*time.Millisecond)))
					}
					perm = perm[n:]
					ins, err := db.Append(context.Background(), batch)
					if err != nil {
						t.Errorf("collector %d: %v", c, err)
						return
					}
					mu.Lock()
					for i, ok := range ins {
						if ok {
							newByID[batch[i].ID]++
						}
					}
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	require.False(t, t.Failed())
	require.Len(t, newByID, distinct, "every id reported new by some call")
	for id, n := range newByID {
		require.Equal(t, 1, n, "id %s reported new %d times", id, n)
	}
	for c, db := range collectors {
		stats, err := db.Stats(context.Background())
		require.NoError(t, err)
		require.Equal(t, int64(distinct), stats.Traces, "collector %d sees every trace once", c)
	}
	var got []string
	require.NoError(t, collectors[1].Scan(context.Background(), store.Filter{}, func(tr *trace.Trace) error {
		got = append(got, tr.ID)
		return nil
	}))
	require.Len(t, got, distinct)
	for i, id := range got {
		require.Equal(t, fmt.Sprintf("id%04d", i), id, "in time order, once")
	}
}

// TestMigrateConcurrently opens several DBs on a new schema at once: the
// advisory lock lets one migrate while the others wait and then find the
// schema up to date.
func TestMigrateConcurrently(t *testing.T) {
	dsn := schema(t)
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() {
			db, err := Open(context.Background(), dsn, Options{})
			if err == nil {
				err = db.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "open %d", i)
	}
	conn, err := pgx.Connect(context.Background(), dsn)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	var versions []int
	rows, err := conn.Query(context.Background(), "SELECT version FROM schema_version ORDER BY version")
	require.NoError(t, err)
	versions, err = pgx.CollectRows(rows, pgx.RowTo[int])
	require.NoError(t, err)
	want := make([]int, SchemaVersion())
	for i := range want {
		want[i] = i + 1
	}
	require.Equal(t, want, versions, "each migration applied once")
}

// TestNewerSchema refuses a database migrated by a newer build.
func TestNewerSchema(t *testing.T) {
	dsn := schema(t)
	openDB(t, dsn, Options{}).Close()
	conn, err := pgx.Connect(context.Background(), dsn)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	_, err = conn.Exec(context.Background(), "INSERT INTO schema_version (version, name) VALUES (999, '0999_future.sql')")
	require.NoError(t, err)
	_, err = Open(context.Background(), dsn, Options{})
	require.ErrorContains(t, err, "newer than this build")
}

// TestBadText rejects, in its own call only, what PostgreSQL text cannot
// hold.
func TestBadText(t *testing.T) {
	db := openDB(t, schema(t), Options{})
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		edit func(*trace.Trace)
	}{
		{"nul", func(tr *trace.Trace) { tr.Data.Touchpoint = "a\x00b" }},
		{"utf8", func(tr *trace.Trace) { tr.Data.UserID = "\xff" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := click("bad-"+tc.name, at)
			tc.edit(&tr)
			_, err := db.Append(context.Background(), []trace.Trace{tr})
			require.Error(t, err)
		})
	}
	ins, err := db.Append(context.Background(), []trace.Trace{click("good", at)})
	require.NoError(t, err)
	require.Equal(t, []bool{true}, ins)
}

// TestReconnect kills the writer's connection between two commits: the
// next Append fails or succeeds, and the one after it succeeds on a new
// connection.
func TestReconnect(t *testing.T) {
	dsn := schema(t)
	db := openDB(t, dsn, Options{})
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	_, err := db.Append(context.Background(), []trace.Trace{click("r1", at)})
	require.NoError(t, err)

	conn, err := pgx.Connect(context.Background(), dsn)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	_, err = conn.Exec(context.Background(),
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname = current_database()")
	require.NoError(t, err)

	_, _ = db.Append(context.Background(), []trace.Trace{click("r2", at)}) // may fail: its connection is gone
	ins, err := db.Append(context.Background(), []trace.Trace{click("r2", at), click("r3", at)})
	require.NoError(t, err)
	require.True(t, ins[1])
	p, err := db.Query(context.Background(), store.Filter{})
	require.NoError(t, err)
	require.Equal(t, []string{"r1", "r2", "r3"}, ids(p.Traces))
}
