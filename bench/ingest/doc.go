// Package ingest measures the collector's POST /v1/batch against the
// physical ceiling: a bare net/http server that only reads each body.
// Both run as their own processes and are loaded by the same client, so
// that the ratio of their events/s is what the collector's work costs:
// decoding, validation, dedupe, normalization, a durable store. A third
// server, cmd/nostore, is the collector with a store that encodes each
// trace and keeps nothing: its events/s bound what any store could reach,
// and the gap to the collector's is the store's. A fourth, nostore
// -fsync, only appends the encoded traces to a file and answers after an
// fdatasync: what the least durable store would reach.
//
// # Running
//
// From bench/ (make bench runs the first two and writes the report):
//
//	go test -run '^$' -bench 'BenchmarkIngest$' -benchtime 1s -count 5 ./ingest
//	go test -run '^$' -bench 'BenchmarkOverload$' -benchtime 1x ./ingest
//	go test -run TestOverloadLosesNothing -v ./ingest
//
// The benchmarks build cmd/ceiling, cmd/nostore and
// ../collector/cmd/rastro-collector once per run with go build
// (RASTRO_COLLECTOR_BIN names a built collector instead) and skip the
// collector when its package does not exist yet. The collector runs as
//
//	rastro-collector serve -addr 127.0.0.1:PORT -data TMPDIR -write-key wk_bench
//
// plus -write-key-rate -1 in BenchmarkIngest (capacity, not the rate
// limiter, is measured there) and whatever RASTRO_COLLECTOR_FLAGS holds;
// RASTRO_BENCH_DATA is where its data directories go (the system's
// temporary directory by default). A server counts as ready when GET
// /readyz answers 200; it is stopped with SIGTERM when done.
//
// # What is measured
//
// BenchmarkIngest/target=ceiling|nostore|logonly|collector/batch=1|10|100/enc=plain|gzip
// sends b.N batches over 32 keep-alive connections with one request in
// flight on each, and reports events/s acknowledged (204 from the ceiling,
// accepted in a 200 from the others), the CPU time per event of the
// server process and of the client, the p50 and p99 latency of a request,
// the server's peak RSS (VmHWM of /proc/PID/status) and the body bytes per
// event; B/op and allocs/op are the client's. Each run starts a fresh
// server.
//
// Events are about 330 bytes of JSON, of kinds star, nps, csat, click and
// comment, with touchpoint, channel, journey, user and session ids, a
// context and a prop ([RandomEvent]). Every id is a fresh UUIDv7, as the
// collector dedupes: [Bodies] encodes a few batches once and writes new
// ids over the old ones for each request (plain bodies, on the clock), or
// makes and compresses every body before the clock starts (gzip bodies).
//
// BenchmarkOverload floods a server (256 connections, batches of 500
// events, for 10 s, Retry-After ignored; RASTRO_OVERLOAD_CONNS, _BATCH and
// _TIME change that) and reports the answers by status, the requests
// without an answer and those without one within the SDK's 10 s timeout,
// events/s offered and acknowledged, latencies and peak RSS.
// TestOverloadLosesNothing floods the collector likewise for 8 s, requires
// only 200s and 429/503s with Retry-After and no connection errors, and
// then checks that every event acknowledged in a 200 is in GET
// /v1/traces/export, before and after a SIGKILL and restart. It is skipped
// with -short.
package ingest
