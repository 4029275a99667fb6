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
// # Errors
//
// A bad row (malformed CSV, wrong number of fields, a value that is not a
// number, a field that fails validation) is counted as rejected with its
// line number and never stops the rest. A CSV's header decides whether
// kind and touchpoint can be found at all; if not, the import stops before
// the first row.
//
// # Speed
//
// Rows are decoded and mapped on one goroutine while the previous batch
// is being stored (Config.BatchRows, 1000 by default; the command uses
// 5000, as bigger commits are faster). BenchmarkImport reports rows/s.
package importer
