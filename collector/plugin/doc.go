// Package plugin runs the collector's WebAssembly plugins: sources that
// turn foreign records (a help desk's webhook, a survey tool's export line)
// into wire events, and enrichers that patch every trace before it is
// stored (tag a comment's topic or sentiment). Plugins run under wazero,
// sandboxed, and a plugin that crashes, loops or runs out of memory fails
// only the record at hand.
//
// Plugin authors write Go against package
// github.com/rastrohq/rastro/sdk/plugin, which implements the ABI below;
// examples/plugin-zendesk-csat is a complete source plugin. Any language
// that builds a WebAssembly module with these exports works as well.
//
// # Configuration
//
// The collector's YAML config lists the plugins to load:
//
//	plugins:
//	  - name: zendesk-csat         # POST /v1/sources/zendesk-csat
//	    path: plugins/zendesk-csat.wasm
//	    kind: source               # or enrich
//	    memory_mib: 16             # per instance (default 16)
//	    timeout: 100ms             # per record or trace (default 100ms)
//	    instances: 2               # at once (default GOMAXPROCS)
//	  - name: topics
//	    path: plugins/topics.wasm
//	    kind: enrich
//	    kinds: [comment]           # enrich only these trace kinds (default all)
//
// Each plugin is compiled once at start (wazero's compilation cache; see
// [Options].CacheDir) and checked: a reactor module of ABI v1 with the
// exports its kind needs, which starts within its limits. A plugin that
// fails the check stops the collector from starting, with an error that
// names it.
//
// # POST /v1/sources/{name}
//
// The body is one record, or with Content-Type application/x-ndjson (also
// application/jsonl) one record per line, blank lines skipped. The write
// key, its origins and rate limit, gzip, the body limit (512 KiB) and the
// bound on bytes in flight are those of POST /v1/batch; a body holds at
// most 500 records. Each record goes to the plugin; each event it returns
// is judged like an event of POST /v1/batch and normalized with origin
// "plugin/<name>" and source "rastro://<write key name>". An event without
// an id gets a stable hash of the plugin, the record and the event's
// place, so that a record posted twice is stored once.
//
// The answer is 200 with what became of the records:
//
//	{"records": 5, "accepted": 3, "duplicates": 0, "rejected": [
//	  {"index": 3, "id": "", "field": "", "error": "plugin zendesk-csat: satisfaction_rating.id is missing"},
//	  {"index": 4, "id": "zd-9", "field": "value", "error": "must be between 1 and 5 for kind csat"}]}
//
// index is the record's line, counted from 0. A record the plugin refuses
// or fails on (crash, timeout, bad output) is rejected with an empty id
// and field; an invalid event it made is rejected with its id and field.
// Every other record and event is kept. Other statuses are those of POST
// /v1/batch, and 404 for a name that is not a source plugin.
//
// # Enrichers
//
// [Host.Appender] runs the enrich plugins, in the order of the config, on
// every trace that reaches the store by any endpoint. A patch adds props
// (keys the trace has keep their value) and may set the sentiment of a
// trace without a score. A refused or broken patch leaves the trace as it
// was, is counted and logged: enrichment never costs a trace. An enricher
// that crashes or times out is skipped for the rest of that batch. Each
// call costs the batch its latency: narrow enrichers with kinds.
//
// # ABI v1
//
// A plugin is a WebAssembly module built for WASI preview 1 as a reactor:
// for Go, GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared, which
// exports _initialize (the host calls it once per instance, running the
// Go runtime and the plugin's init functions) instead of _start. It
// exports its memory as "memory" and these functions:
//
//	rastro_abi_version() -> i32             1
//	rastro_capabilities() -> i32            optional: bit 0 transform, bit 1 enrich
//	rastro_alloc(size i32) -> i32           a buffer of at least size bytes; 0 refuses
//	rastro_transform(ptr i32, len i32) -> i64   sources
//	rastro_enrich(ptr i32, len i32) -> i64      enrichers
//
// A call: the host asks rastro_alloc for an input buffer, writes the input
// into it, and calls rastro_transform or rastro_enrich with its address
// and length. The result packs the output's address in its high 32 bits
// and its length in the low 32; the host copies the output out before it
// calls the instance again.
//
// Memory: the plugin owns all of its memory and the host frees nothing. A
// buffer from rastro_alloc must stay valid, and be used for nothing else,
// until the next rastro_alloc; the host reuses it for every input that
// fits (it asks for at least 16 KiB, in powers of two), so most calls make
// no allocation. The output must stay valid until the plugin is next
// called. The input is only valid during the call.
//
// Output, UTF-8 JSON; fields the host does not know are ignored:
//
//	rastro_transform   {"events": [EVENT, ...]}      EVENT as in wire protocol v1; [] for none
//	                   {"error": "why"}              the record is rejected with this reason
//	rastro_enrich      {"props": {"k": "v"}, "sentiment": "negative"}   either may be absent
//	                   {"error": "why"}              the trace is stored unchanged
//
// The input of rastro_enrich is the trace in trace format v1 (CloudEvents
// JSON, see package trace).
//
// What the host guarantees and bounds:
//
//   - One call at a time per instance, and instances are reused across
//     calls: globals persist, but a plugin must not count on it (the host
//     starts and drops instances as it likes).
//   - Inputs of at most Options.MaxRecordBytes (1 MiB) and outputs of at
//     most Options.MaxOutputBytes (1 MiB); at most 100 events per record.
//     A larger output, an output outside the plugin's memory, or one that
//     is not this JSON fails the call.
//   - No file system, no environment variables, no arguments, no network;
//     a real clock and cryptographic random bytes. What the plugin writes
//     to stdout and stderr goes to the collector's log, 512 bytes a line
//     and 10 lines a second at most.
//   - A memory limit (memory_mib) and a time limit (timeout) per call. A
//     trap, a Go panic, an exit, running out of memory or time fails the
//     call with an error that names the plugin and, for a Go plugin, the
//     first line it wrote to stderr ("panic: ...", "runtime: out of
//     memory ..."); the instance is dropped and never called again.
//
// A new version of the ABI gets a new rastro_abi_version; the collector
// refuses plugins of versions it does not speak.
//
// # Cost
//
// The runtime stops a plugin that overruns its timeout by checking at every
// branch the plugin takes (wazero's WithCloseOnContextDone); Go code
// branches a lot, so a Go plugin runs several times slower than it would
// natively. Measured on a 2-core machine: a trivial record costs 11-20 µs
// (BenchmarkTransformTrivial, 12 allocations on the host), the example's
// webhook decoded with encoding/json 0.3-0.5 ms, and a trivial enricher
// 0.1-0.25 ms per trace, most of it decoding the trace's JSON: give
// enrichers kinds. Plugins in languages that compile to leaner code cost
// less.
//
// # Metrics
//
// A Host is a prometheus.Collector:
//
//	rastro_plugin_calls_total{plugin,result}   result: ok, refused, trap, timeout, bad_output, canceled
//	rastro_plugin_call_seconds{plugin}         histogram, waiting for an instance included
package plugin
