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
// Bulk loads use AppendNoSync and Sync instead ([store.BulkAppender]): a
// group commit made only of AppendNoSync calls runs with synchronous =
// NORMAL, so it returns once committed but before the fsync. WAL mode stays
// consistent that way, and the log is one file written in commit order:
// the fsync of the next durable commit (an Append, or Sync, which writes
// the log even when nothing else is to be written) makes every earlier
// commit durable too. Until then a crash of the process loses nothing, an
// OS crash or a power loss may lose those commits, never corrupt the file.
// The importer syncs every 50,000 rows and at the end, and reports rows
// as imported only once synced.
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
// the same order from one read transaction. Summary and Aggregate compute
// [store.Sums] per group from the rollups (below) when the query allows,
// else with one GROUP BY query over the traces. ScanJudgements streams the
// few columns an alignment of QA with customers reads, without decoding
// the JSON bodies. Reads use a pool of query_only connections
// (Options.ReadConns) that map the file into memory (mmap_size 2 GB: a
// page costs no read system call), and never wait for the writer: WAL
// readers see the last commit.
//
// # Rollups
//
// Insights ask for sums per touchpoint, channel, journey or kind, per hour,
// day or week, over months of traces. A GROUP BY over the rows reads every
// trace of the range: over a million traces the 90-day daily trend per
// touchpoint took 740 ms and the weekly one per channel 1.3 s, the summary
// per touchpoint 380 ms. So the store keeps rollups: the table rollups
// holds the store.Sums of each (dimension, key) per UTC hour, and per UTC
// day for the days that are over:
//
//	width  bucket  dim         key       n     scored  score_sum  ...  positive
//	3600   486432  touchpoint  checkout  412   301     212.75     ...  188
//	86400  20268   touchpoint  checkout  9913  7250    5130.5     ...  4502
//
// The writer keeps the hours in the transaction that inserts the traces:
// it sums the rows a group commit actually inserted (not the duplicates)
// in Go with store.Sums.Add, the one definition of the numbers, then
// upserts one row per distinct (hour, dimension, key), 32 rows per
// statement. The primary key (width, bucket, dim, key) puts the rows of
// the current hour side by side, so a commit dirties a page or two of the
// table. Day rows exist for the days before rollup_days.sealed: the first
// commit of a new day (or Open) sums the hour rows of the days the clock
// left into day rows; a late trace of a sealed day updates its day rows
// too. Retention subtracts: its DELETE ... RETURNING hands back the rows it
// removed, which are summed and subtracted in the same transaction, and a
// row whose count falls to zero is removed (a sum whose count falls to
// zero is set to zero, so no rounding residue stays). Subtracting exactly
// what was deleted keeps the rollups right when retention stops in the
// middle of an hour or keeps traces a sink has not received.
//
// Agents are not rolled up: with 200 agents they made 389k of the 528k
// hour rows of the insights benchmark (2.6 traces each) and most of the
// rows a commit writes, so they cost more than they saved; per-agent sums
// and the QA alignment read the traces. Neither is there one table keyed
// by every dimension at once: over that benchmark (agents included) it
// held 999,420 rows for its million traces, nearly one per trace, where
// one table per dimension holds 108k touchpoint hours.
//
// Summary and Aggregate read the rollups when the buckets are whole hours
// (hours, days, ISO weeks) and the filter names at most one rolled
// dimension: the one grouped on (a touchpoint's trend), or any one for the
// sums per day. Anything else (a user, an agent, a kind within a
// touchpoint, minute buckets) reads the traces. A time range is cut in
// pieces: the sealed whole days from the day rows when the buckets are
// made of days, the whole hours around them from the hour rows, and the
// partial hours at its ends from the traces themselves with the same
// filter. The pieces are read in one read transaction and merged, so the
// answer is exactly that of the traces (float sums to rounding); the
// conformance suite checks it against Scan for bounds on and off the hour
// and the day, and after retention.
//
// A file of schema version 1 gets the table on Open, and the rollups of
// its traces in one pass over them: 5.9 s for a million traces.
//
// BenchmarkRollupCost measures what the rollups cost the writer: the same
// batches of 100 traces go to a store with rollups and one without, in
// turn, and each writer's thread CPU time is compared. On the 2-core
// machine shared with other jobs, medians of 4 to 7 runs: 4% more CPU per
// row with the rows of BenchmarkAppend (8 touchpoints, one channel; 36-56
// µs a row), 6-7% when every batch spreads over 50 touchpoints and 5
// channels (45-66 µs a row). With agents rolled up too it was 4% and
// 12%; with day rows written by every commit as well, about 8% in
// BenchmarkIndexes. The cost follows the distinct keys of a commit, not
// its rows: the busier the collector, the larger its group commits and
// the smaller the share. Against the build before schema version 2,
// BenchmarkAppend (64 callers, synchronous=FULL, medians of 4 interleaved
// runs) used 36.6 then 39.9 µs of CPU per row at batch 1, 29.2 then 29.7
// at batch 10, 25.0 then 26.9 at batch 100 (21k, 36k and 46k rows/s
// before, 20k, 35k and 41k after); profiles put about 1% on the rollups,
// whose large commits there have few distinct keys, and the rest on
// binding the four new columns of every row.
//
// With them, over the million traces of the insights benchmark (p50 / p99
// on the shared machine): the 90-day daily trend per touchpoint 18 / 38
// ms, the 7-day hourly trend 47 / 67 ms, the 90-day weekly trend per
// channel 0.8 / 1.6 ms, the summary per touchpoint 2.8 / 5 ms.
//
// # Judgements
//
// The alignment of internal QA with customers joins every QA trace and
// every scored trace of a range on their interaction. Scan decoded each
// JSON body for it (470 ms for a week of the insights benchmark, 78k
// traces, a quarter of it growing slices). ScanJudgements reads instead the
// columns t, kind, agent_id, interaction_id, score, value, scale_min,
// scale_max and props of the rows with a score or of kind qa, and hands
// out one reused Trace: 120-140 ms p50, 170-210 ms p99 on the shared
// machine; of that, about 55 ms is SQLite finding 78k rows through the
// time index and the table (83 ms before the read connections mapped the
// file), the rest moving 58k rows through database/sql. A partial
// covering index on those columns took the SQLite part to 4 ms but cost
// the writer 3% more CPU per row; it is not built.
//
// # Retention
//
// DeleteBefore deletes in transactions of Options.DeleteChunkRows rows,
// queued to the writer between group commits, so retention never holds
// Append up for long. Each transaction subtracts the rows it deleted from
// the rollups.
//
// # Schema and indexes
//
// The table traces: seq INTEGER PRIMARY KEY (arrival order), id TEXT
// UNIQUE (the dedupe index), t (Unix nanoseconds, clamped to 1677-2262),
// the columns queries filter and group on, body, the easyjson JSON of the
// trace that Query and Scan return, and (since schema version 2)
// interaction_id, scale_min, scale_max and props (JSON, NULL when empty),
// which ScanJudgements reads instead of the body. They are NULL in rows
// written before version 2, whose body ScanJudgements decodes. The table
// rollups is described above; PRAGMA user_version holds [SchemaVersion].
// Indexes:
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
// # Imports
//
// The importer (collector/source/importer) appends batches of 1,000 to
// 5,000 traces, two calls at a time, so the writer commits one while the
// next is being encoded, with AppendNoSync (above) and a Sync every 50,000
// rows and at the end. What sets what a row costs:
//
//   - The statement journal. A multi-row INSERT that may fail half-way
//     saves every page it changes first, so that it can undo itself; past
//     64 KiB SQLite spilled that journal to a temporary file, one write
//     system call per page, nearly one per row of a bulk insert. The
//     write connection keeps it in memory (temp_store = MEMORY).
//     BenchmarkAppend at batch 100 (synchronous=FULL, 4 interleaved runs
//     each) went from 39.9 to 31.5 µs of CPU per row and from 20k to 26k
//     rows/s; batch 10, whose statements are small, 47 to 43 µs.
//   - The id index. A random id lands on a random leaf of it, and a
//     commit of thousands of rows rewrites most of its pages in the WAL.
//     Imported ids start with the row's time (see the importer's doc), so
//     the rows of a file in time order fill neighbouring leaves.
//   - The fsync of each commit. With one per batch, the writer itself
//     pushed the commit's log pages to the disk (the kernel's writeback,
//     on its thread) and then waited for it: 3.0-5.4 µs of the writer's
//     thread CPU per row went to a commit. Without it (AppendNoSync), 2.6-3.1
//     µs; the writeback happens in the checkpointer, which fsyncs the log
//     before copying it, on the other core.
//   - Allocations. Append boxes each column's value in an interface for
//     database/sql; it reuses the previous row's box while a column keeps
//     its value (kind, touchpoint, channel, scale, sentiment of an import),
//     and the writer's rollups allocate nothing per row and look a key up
//     only when it changes (0.45 to 0.05-0.15 µs of the writer per row).
//     With fewer allocations in normalize too, BenchmarkImport allocates
//     21 times per row instead of 32.
//   - The page cache of the writer (64 MB) growing while the file does:
//     each new page is fresh memory, a page fault. In BenchmarkImport,
//     whose file grows from empty, that is about a twentieth of the CPU;
//     it stops once the cache is full. A smaller cache would make a large
//     store with random ids (the index on user_id, ids from other tools)
//     read pages back; it was left as it is.
//
// Where the CPU of BenchmarkImport goes now (perf, batches of 5,000, SQLite
// built with frame pointers): the writer goroutine 47% (SQLite's b-tree
// inserts and records 18%, binding 17 parameters a row through cgo 9%,
// writing the WAL frames at commit 15%), the checkpointer 14%, reading and
// mapping the CSV 12%, encoding the traces in Append 11%, the garbage
// collector 3-5%. The writer's thread measures 8.5-8.8 µs of CPU per row
// (inserting 5.3-5.6, commit 2.9-3.1, rollups 0.1): on a core of its own
// it would write about 115k rows/s; the whole import takes 14 µs per row,
// so both cores busy with nothing else would carry about 140k rows/s.
// The benchmark imports the same 20,000 rows again and again under new
// sources: their times, and so their entries in the indexes on t, on
// (touchpoint, t) and on id, fall between those of the earlier imports,
// and each commit rewrites the index leaves of its time range, old
// entries included. After ten imports the WAL had received 360 MB for a
// 197 MB file.
//
// Measured and not kept: a RESTART checkpoint whenever the log passed 64
// MB, so that the writer reuses the log's pages instead of growing the
// file (same CPU per row, fewer rows/s: the writer waits for it); pages of
// 8 or 16 KiB (same CPU per row); sorting each batch by time before the
// insert (same); INSERT OR IGNORE, which needs no statement journal,
// instead of ON CONFLICT(id) DO NOTHING (same); three Append calls in
// flight instead of two (same); a writer cache of 16 or 4 MB instead of
// 64 (same, within the noise). A body of 40 bytes instead of 540 (a
// throwaway test of a leaner row that would keep in the body only what
// no column holds) saved about a tenth of the CPU; not worth rebuilding
// every trace from its columns on reads.
//
// Measured against the collector's HTTP ingest (bench/ingest, 32
// connections, batches of 1, 10 and 100 events) and not kept: pages of 1 or
// 2 KiB (no gain; 1 KiB a little slower); a commit delay, the writer
// waiting 0.2 to 1 ms for more calls when a group had fewer than 24 rows
// (at batch 1, where groups averaged 13 rows, server CPU fell from 109 to
// 86 µs an event and events/s stayed the same: the writer's turn is the
// bound, not the CPU). What taking the fsync off the writer's path could
// gain, as -sync normal (3 interleaved runs, medians): 9.2k -> 11.3k
// events/s at batch 1, 28.3k -> 31.6k at 10, 52.3k -> 57.7k at 100.
// Acknowledging from an fsynced log of the encoded rows and inserting
// behind it in transactions of 2,000 rows, emulated at its best (no dedupe
// lookups): 9.6k -> 12.2k, 30.8k -> 39.7k, 51.6k -> 51.6k. Neither was
// built; RATIONALE.md says why and what bounds the collector here.
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
