// Package sqlite is the collector's embedded default store: a
// [store.Store] in one SQLite file, written through a single writer that
// commits many Append calls together.
//
// # Opening
//
// Open takes a file path and [Options] whose zero value is the durable
// default:
//
//	db, err := sqlite.Open("data/traces.db", sqlite.Options{})
//	if err != nil {
//		return err
//	}
//	defer db.Close()
//
// The folder must exist. The file is created with its schema when missing.
// Only one process may write a database at a time (SQLite's locks keep a
// second one safe but the trace count of Stats would drift).
//
// # Appending and durability
//
// Append returns only once its new traces are committed, with
// synchronous=FULL by default: the write-ahead log is fsynced before the
// commit returns, so what Append acknowledged survives a kill -9, an OS
// crash and a power loss. The collector answers its clients after Append
// returns; a client whose batch got no answer sends it again, and the
// retry is deduped. [SyncNormal] fsyncs only at checkpoints: still
// safe against a crashed process, but an OS crash or power loss may lose
// the last commits (never corrupt the file).
//
// Every call reports, per trace, whether it was new. Ids are unique across
// calls, restarts and within one call: a retried batch is stored once, and
// its duplicates report false.
//
// # Group commit
//
// An fsync costs about 120 µs on the machine of DESIGN.md; with one commit
// per HTTP request, the disk would bound the collector at a few thousand
// requests per second. So Append does not write: it encodes its traces to
// JSON in the caller's goroutine and queues them to the one writer
// goroutine. The writer takes every queued call (up to
// Options.MaxBatchRows rows), inserts all their rows in one transaction
// with multi-row INSERT ... ON CONFLICT(id) DO NOTHING statements, commits
// once and answers every caller. The busier the collector, the more calls
// share a commit. A call whose context ends while it is queued returns
// ctx.Err() and writes nothing; once taken it waits for the commit. The
// queue holds Options.QueueLen calls; when it is full Append waits.
// Close commits the calls already queued, then closes.
//
// # Reading
//
// Query returns pages ordered by trace time then arrival (seq), with an
// opaque keyset cursor (a page costs the same however deep). Scan streams
// the same order from one read transaction. Summary is one GROUP BY query
// computing [store.Sums] per group. Reads use a pool of query_only
// connections (Options.ReadConns) and never wait for the writer: WAL
// readers see the last commit.
//
// # Retention
//
// DeleteBefore deletes in transactions of Options.DeleteChunkRows rows,
// queued to the writer between group commits, so retention never holds
// Append up for long.
//
// # Schema and indexes
//
// One table, traces: seq INTEGER PRIMARY KEY (arrival order), id TEXT
// UNIQUE (the dedupe index), t (Unix nanoseconds, clamped to 1677-2262),
// the columns queries filter and group on, and body, the easyjson JSON of
// the trace that Query and Scan return. Indexes:
//
//   - traces_t (t): time ranges, the (t, seq) order, retention.
//   - traces_touchpoint (touchpoint, t, kind, score, value, sentiment,
//     nps_class): covers Summary by touchpoint, which reads no table row;
//     with statistics (the writer runs PRAGMA optimize every 5 minutes)
//     a summary of recent traces skip-scans the time range of each
//     touchpoint.
//   - traces_user (user_id, t), partial: traces without a user cost
//     nothing. It serves the journey of one customer.
//
// There is no index on agent_id: per-agent views (summary by agent,
// QA alignment) read every trace of their time range anyway, and the index
// cost 11 µs of every insert (below). Databases made before keep theirs.
//
// On a quiet 2-core machine, 1,000-row transactions of 700-byte rows with
// synchronous=FULL, time-ordered ids, 50 touchpoints, 100,000 users and 200
// agents (a throwaway benchmark, numbers in rows/s): primary key and id
// only 84k; with t 87k; with the touchpoint index 59k; with the user index
// too 29k; with the agent index too 22k. The user index is the expensive
// one: each insert lands on a random leaf, so every row dirties a page of
// its own in the WAL.
//
// Each index costs inserts, mostly in pages written to the WAL at every
// commit: an index keyed by something spread out (user_id) dirties about
// one page per distinct key per commit. BenchmarkIndexes (one caller,
// batches of 100 rows of ~560 bytes of JSON, 8 touchpoints, 100 users and
// 5 agents per batch, synchronous=NORMAL) measured the CPU time per row
// on the 2-core machine: 17-19 µs with only the id and t indexes, 26-30 µs
// with the touchpoint index added (a narrow (touchpoint, t) one saved
// about a third of that), 39-41 µs with the user index added, 17-19 µs
// with the agent index added, 48-52 µs with all of them. BenchmarkSummary,
// 200k traces over 30 days: 62-130 ms by touchpoint over all of them (a
// covering index scan), 14-50 ms for the last 7 days, 85-95 ms by day,
// 210-240 ms by agent (a table scan), 13 ms by kind for one touchpoint. A
// Query page of 100 traces of one touchpoint takes 0.6-1.2 ms.
//
// # Checkpoints
//
// The write connection turns SQLite's automatic checkpoint off; a
// goroutine on its own connection runs a PASSIVE checkpoint every 100 ms
// (and again at once while far behind). The automatic one would run inside
// the commit that crosses 1,000 WAL pages, holding up every Append of that
// group commit for the copy and its fsync. With the indexes above it took
// the throwaway benchmark from 22k to 32k rows/s (t and touchpoint
// indexes only: 59k to 77k). A PASSIVE checkpoint never blocks the writer
// or readers; durability does not depend on it (commits are durable in
// the WAL).
//
// # Why this engine
//
// SQLite through cgo (mattn/go-sqlite3) is the most tested embedded
// database there is, needs no server, can be read with the sqlite3 shell,
// and gives SQL for the summaries. WAL mode lets readers run beside the
// one writer. DESIGN.md measured, on this 2-core machine, 6k rows/s with
// one commit per row (synchronous=FULL) against 190k-336k with 1,000 rows
// per commit and time-ordered ids, and group commit raising 64 concurrent
// single-event requests from ~7.5k to 124-140k durable rows/s, with small
// rows and one index. With the traces and five indexes of this package,
// BenchmarkAppend (64 concurrent callers, 2 CPUs shared with other jobs at
// a load of 3 to 7, so read the ranges as such) measured, in durable rows/s
// with synchronous=FULL: 20-21k at batch 1 (0.7-0.8k with group commit
// off: 27 times less), 25-27k at batch 10, 22-36k at batch 100, using
// 36-47 µs of CPU per row; with NORMAL 9-34k, no faster: group commit
// makes the fsync nearly free, and the b-tree and WAL page writes of the
// indexes on ~700-byte rows bound the writer. A multi-row INSERT of up to
// 64 rows measured no faster than one row per statement (the b-trees
// dominate the cgo calls); it is kept because it is not slower either and
// calls cost more on other hosts.
package sqlite
