// Package postgres is the collector's shared store: a [store.Store] in a
// PostgreSQL database, so that several collectors behind a load balancer
// keep one set of traces, each stored exactly once.
//
// # Opening
//
// Open takes a DSN (a postgres:// URL or a libpq key=value string) and
// [Options] whose zero value is a good default:
//
//	db, err := postgres.Open(ctx, "postgres://rastro:secret@db:5432/rastro", postgres.Options{})
//	if err != nil {
//		return err
//	}
//	defer db.Close()
//
// The tables live in the first schema of the connection's search_path; a
// DSN parameter sets it (…/rastro?search_path=cx). The collector's binary
// takes the DSN as -store postgres://… or, in its YAML config, as
// store: {postgres: postgres://…}.
//
// # Schema migrations
//
// The schema is versioned in the repository: migrations/NNNN_what.sql,
// embedded in the binary. Open applies those the database lacks, in
// order, in one transaction that first takes a PostgreSQL advisory lock:
// collectors starting at once take turns, the first migrates, the others
// find the schema up to date. The table schema_version records each
// migration applied. A database migrated by a newer build is refused
// rather than misread. A new migration is a new file with the next
// number; an applied file is never edited.
//
// # Appending exactly once
//
// Append returns once its new traces are committed (PostgreSQL's default
// synchronous_commit=on: the WAL is flushed before the commit returns).
// As in the embedded store, Append does not write: it checks and encodes
// its traces in the caller's goroutine and queues them to the DB's one
// writer goroutine, which takes every queued call (up to
// Options.MaxBatchRows rows) and commits them together (group commit):
//
//  1. COPY the rows, deduplicated within the batch, into a temporary
//     staging table of the writer's connection (ON COMMIT DELETE ROWS);
//  2. INSERT INTO traces SELECT … FROM the staging table ON CONFLICT (id)
//     DO NOTHING RETURNING id — the ids returned are exactly the rows this
//     transaction inserted;
//  3. COMMIT, then answer each call with its inserted flags.
//
// The unique index on id is what makes it exactly once across
// collectors: when two collectors insert the same id at once, the second
// waits on the first's row lock; if the first commits, the second's row
// is a conflict and is not returned, and if the first rolls back, the
// second inserts it. So every id is stored once and reported new to
// exactly one Append call of one collector (TestTwoCollectors races 8
// callers on 2 DBs over the same 1,000 ids). The INSERT walks the staged
// rows in id order, so that two transactions always take those row locks
// in the same order and wait rather than deadlock. The seq column (the
// arrival order that breaks ties of time) is drawn in the order of the
// calls before that sort. A caller whose context ends while its call is
// queued gets ctx.Err() and nothing is written; once taken, it waits for
// the commit. An error fails every call of the batch, and nothing of it
// may be acknowledged: the clients retry and the retry is deduplicated. A
// lost connection is replaced at the next commit.
//
// Text columns cannot hold NUL bytes or invalid UTF-8 in PostgreSQL;
// Append refuses such a trace in its own call, before it could fail a
// commit shared with others.
//
// # Reading
//
// Query returns pages ordered by (t, seq) with the same opaque keyset
// cursor as the embedded store; Scan streams the same order from one
// query; Summary is one GROUP BY computing [store.Sums] per group (days in
// UTC, CSAT satisfied from [store.CSATSatisfied]). Reads use the pool
// (Options.MaxConns) and never wait for the writer. With several
// collectors, seqs are drawn before commit, so a row may become visible
// after a later-drawn one: a reader paging the newest traces while they
// arrive may miss one that commits late; pages over settled time are
// exact. Stats counts rows with count(*): exact, but a scan of an index
// (a few milliseconds per 100,000 traces). DeleteBefore deletes in
// transactions of Options.DeleteChunkRows rows; several collectors may
// run it at once.
//
// # Numbers
//
// BenchmarkAppend, 64 concurrent callers, ~560-byte traces with UUIDv7
// ids, the test server on this 2-core machine (fsync on, sharing the
// CPUs with the benchmark and with other jobs at a load of 6 to 7, so
// read these as lower bounds), in committed rows/s:
//
//	                      batch 1   batch 10   batch 100
//	one collector          7.5k      12.7k      10.0k
//	two collectors         5.7k      11.7k      17.7k
//	group commit off       0.46k
//
// A single commit of 2,000 rows took 78-95 ms (about 40 µs per row,
// server-side: the heap, the id index and four secondary indexes, as in
// the embedded store) and an empty commit 0.7-0.9 ms. Group commit is
// worth 16 times at batch 1. On a dedicated database server the writer's
// round trips and the indexes run on other CPUs than the collector's, and
// collectors add writers: throughput then grows with collectors until the
// database's WAL and index writes saturate.
package postgres
