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
//	GET  /ui                  the dashboard (package ui); read keys or a session
//	GET  /ui/login            open: the dashboard's sign-in form
//	POST /ui/login            open, same-origin: trades a read key for a session
//	POST /ui/logout           open, same-origin: clears the session cookie
//
// # Who may read
//
// Write keys are public and never read. The read side takes a read key as
// "Authorization: Bearer <key>"; with no read key configured it answers
// loopback clients only, so a collector started on a laptop works at once
// and one exposed on a network is closed by default.
//
// A browser cannot send that header, so the dashboard trades the key for a
// session: a browser asking for /ui without one is sent to /ui/login, whose
// form posts the key; a right key sets the cookie "rastro_session" (HttpOnly,
// SameSite=Strict, Secure over TLS, Path=/, 12 hours). Its value is the
// expiry and an id of the key, signed with HMAC-SHA256 under a secret drawn
// from crypto/rand when the collector starts, so there is no session table
// — and a restart signs everyone out. Signing out clears the cookie; a
// copied cookie stays valid until it expires or the collector restarts.
// The cookie authorizes GET requests to /ui and the /v1 read endpoints
// only: never /metrics, never a POST, never POST /v1/batch, which takes
// write keys alone. Sign-in and sign-out refuse cross-origin browser
// requests (Origin or Sec-Fetch-Site; http.CrossOriginProtection). Failed
// sign-ins are limited per client IP (an IPv6 /64): 5 at once, then one
// every 10 seconds, answered 429 with Retry-After beyond that; read keys
// should still be long and random. Keys are compared as SHA-256 digests in
// constant time. Behind a TLS-terminating proxy the collector sees plain
// HTTP, does not mark the cookie Secure, and limits the proxy's IP.
//
// # Lifecycle
//
// [Server.Serve] logs one line when ready. When its context ends it turns
// /readyz to 503, stops accepting connections, lets every batch in flight
// finish — each is acknowledged only once durable — within
// Config.ShutdownTimeout, and closes the store. Retention, when set,
// deletes expired traces hourly.
package server
