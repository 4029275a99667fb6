// Package importer turns CSV and NDJSON exports (a contact centre's
// interactions with QA scores and CSAT answers, a survey tool's answers)
// into traces, streaming files of any size into a store.Appender.
//
// # Importing
//
// From the command line, into the embedded store of a collector that is
// not running on the same data folder:
//
//	rastro-collector import -data .rastro-data -source helpdesk \
//	    -col value=csat_score -col agent_id=agent -col occurred_at=closed_at \
//	    -set kind=csat -set touchpoint=support.call -set channel=voice \
//	    -time-layout "2006-01-02 15:04:05" export.csv
//
// Into a running collector, with a write key:
//
//	curl -H "Authorization: Bearer $KEY" --data-binary @export.csv \
//	  "http://127.0.0.1:4380/v1/import?source=helpdesk&format=csv&col.value=csat_score&set.kind=csat&set.touchpoint=support.call"
//
// Both answer with the counts: rows, imported, duplicates, rejected, and
// the first row errors by line number.
//
// # The mapping
//
// Each trace field (id, kind, touchpoint, channel, journey, user_id,
// anonymous_id, session_id, agent_id, interaction_id, value, scale_min,
// scale_max, emoji, text, target, lang, occurred_at, props.NAME) takes its
// value, in this order of precedence:
//
//  1. the column named for it in the mapping (-col field=column,
//     col.field=column, or "columns:" in a YAML file; a -col flag replaces
//     the file's entry for the same field), when that column is not empty;
//  2. a column named exactly like the field ("kind", "value",
//     "props.plan"), when the mapping names no column for it;
//  3. its default (-set field=value, set.field=value, or "defaults:").
//
// A YAML mapping file (-map FILE):
//
//	format: csv
//	time_layout: "2006-01-02 15:04:05"
//	columns:
//	  value: csat_score
//	  props.queue: queue
//	defaults:
//	  kind: csat
//	  touchpoint: support.call
//
// Presets are mappings ready for well-known exports (-preset NAME,
// preset=NAME): "reviews" and "app-reviews" read review-site and app-store
// exports; see Presets for their columns.
//
// occurred_at is RFC 3339 unless time_layout gives a Go layout (UTC unless
// the layout holds a zone). NDJSON lines are objects whose keys are the
// columns: strings count as they are, numbers and booleans as their JSON
// text, null as absent.
//
// Each row becomes a [wire.Event], judged by [wire.Event.Validate] and
// normalized by [normalize.Event] (origin csv/v1 or ndjson/v1, source
// "rastro://NAME"), the same rules as events from the SDK.
//
// # Ids and idempotence
//
// A row's trace id is "imp-" and 128 bits of a SHA-256 of the source name
// and either the row's id column or, without one, every column's name and
// value (in name order, so reordered columns do not matter). Importing the
// same file again under the same source adds nothing: its rows come back
// as duplicates. Two identical rows of one file are one trace.
//
// A row without an id column but with its own occurred_at gets that time
// before the hash, in milliseconds since 1970 as 12 hex digits:
// "imp-019b7e265500-61931e94…". The time is part of the row, so the id is
// still a function of the file; but rows close in time now get ids close
// in the store's id index, and an import in time order writes a few index
// pages per commit where random ids rewrote most of the index every
// commit. Rows with an id column (the record's identity whatever its time)
// or without a time keep the id earlier builds gave them. The time is the
// one the mapping reads: the same file imported again with another
// time_layout or zone gets other ids. A file of timed rows imported by a
// build before this one gets new ids too: importing it again adds its rows
// a second time.
//
// # Errors
//
// A bad row (malformed CSV, wrong number of fields, a value that is not a
// number, a field that fails validation) is counted as rejected with its
// line number and never stops the rest. A CSV's header decides whether
// kind and touchpoint can be found at all; if not, the import stops before
// the first row.
//
// # Durability
//
// Import reports a row as imported only once it is durable. Into a
// store.BulkAppender (the embedded SQLite store) batches go through
// AppendNoSync, which commits without waiting for the disk, and Import
// calls Sync every Config.SyncRows rows (50,000) and at the end, even when
// it stops early on an error or a cancel: Progress and the Result count
// the rows synced. Any other store.Appender (the HTTP import, whose
// appender also feeds the sinks) is called with Append, durable at every
// batch.
//
// # Speed
//
// Rows are decoded and mapped on one goroutine while earlier batches are
// being stored (Config.BatchRows, 1000 by default; the command uses 5000,
// as bigger commits are faster), with two Append calls in flight: the
// store encodes one batch while its writer commits the other.
//
// BenchmarkImport imports a 20,000-row, 7-column CSV (rows in time order)
// into the embedded SQLite store with synchronous=FULL, again and again
// under a new source. In make bench on the 2-core machine with nothing
// else running (bench/results/20261206-054940.md, 6 runs): 101.6k rows/s
// with batches of 1000 and 103.8k with 5000 (medians, ±7%), 14.45 and
// 14.30 µs of CPU per row. At a load of 3 to 6 from other jobs (10
// interleaved runs each, benchstat): 91k rows/s with
// batches of 1000 and 92k with 5000 (medians, ±25%; the best runs 105k
// and 104k), using 14.4 µs of CPU per row (reader, importer, writer and
// checkpointer together) and 21 allocations; decoding and mapping alone
// about 580k rows/s. The build before AppendNoSync and the allocation
// work measured, in the same runs, 85k and 79k (best 89k and 89k), 15.2
// and 15.0 µs and 32 allocations a row. Before time-ordered ids, the
// in-memory statement journal of the store, two calls in flight and the
// hash input built without copies: 24k and 33k rows/s, 47 and 36 µs a row.
//
// The store's writer is the one part that cannot be spread over both
// cores, and it spends 8.5-8.8 µs of its thread's CPU on a row of this
// file (see the store's doc, "Imports"): about 115k rows/s on a core of
// its own, while the rest (reading, mapping, encoding, checkpoints, the
// garbage collector, 5-6 µs a row) shares the other core. So the import
// passes 100,000 rows/s only while the machine's other jobs leave it both
// cores.
package importer
