// Package server assembles the collector: the ingest handler at
// POST /v1/batch, the read side (package query) behind its read keys, the
// operations endpoints, and the lifecycle around one store.
//
// # Endpoints
//
//	POST /v1/batch            write keys; see package ingest
//	GET  /v1/traces           read keys; see package query
//	GET  /v1/traces/export
//	GET  /v1/summary
//	GET  /metrics             Prometheus; read keys beyond loopback
//	GET  /healthz             open: the process answers
//	GET  /readyz              open: serving and the store answers
//	GET  /v1/schema/trace     open: the JSON Schema of trace format v1
//	GET  /widget/...          the browser bundle, when Config.WidgetDir is set
//
// # Who may read
//
// Write keys are public and never read. The read side takes a read key as
// "Authorization: Bearer <key>"; with no read key configured it answers
// loopback clients only, so a collector started on a laptop works at once
// and one exposed on a network is closed by default.
//
// # Lifecycle
//
// [Server.Serve] logs one line when ready. When its context ends it turns
// /readyz to 503, stops accepting connections, lets every batch in flight
// finish — each is acknowledged only once durable — within
// Config.ShutdownTimeout, and closes the store. Retention, when set,
// deletes expired traces hourly.
package server
