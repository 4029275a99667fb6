// Package ingest receives batches of wire protocol v1 at POST /v1/batch and
// hands their traces to the store.
//
// # What a request goes through
//
// In order, each step answering with the status of wire protocol v1 when it
// refuses:
//
//  1. the write key, from "Authorization: Bearer <key>" or "?key=<key>"
//     (navigator.sendBeacon cannot set headers): 401 when missing or unknown;
//  2. the browser Origin, which must be allowed for the key: 403;
//  3. the key's rate limit, checked before a byte is read: 429 with
//     Retry-After;
//  4. Content-Encoding, gzip or none: 415;
//  5. the collector's bound on the bytes of all batches in flight: 503 with
//     Retry-After, so an overload costs answers, not memory;
//  6. the body size, uncompressed: 413; a body that is not a batch at all:
//     400 with a message saying what is wrong; too many events: 413;
//  7. each event on its own: decoded and validated by [wire.Event.Validate];
//     a bad event is listed in the answer's "rejected" by index, id, field
//     and reason, and its valid neighbours go on;
//  8. the rate limit again, spending one token per valid event: 429;
//  9. normalization into trace format v1 and [store.Appender.Append], which
//     returns once the traces are durable and says which ids were already
//     stored: those count as "duplicates", so a retried batch is never
//     stored twice. A store failure answers 503 with Retry-After and
//     acknowledges nothing.
//
// The 200 answer is {"accepted": n, "duplicates": d, "rejected": [...]}.
//
// # CORS
//
// A preflight (OPTIONS) is answered 204 for an origin allowed by the key in
// its ?key= parameter or, without one, by any key; the real request is then
// checked against its own key. Retry-After is exposed to scripts.
//
// # Write keys
//
// Write keys are public by design: they sit in web pages and apps, and may
// only send events. Each has a name (the trace source), allowed origins and
// a token-bucket rate limit in events per second ([WriteKey]).
package ingest
