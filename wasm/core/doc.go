// Package core is the Rastro widget's logic that does not touch the page:
// the calls of the JavaScript API, the visitor's identity, the wire event
// each call makes (a [wire.Event], checked by wire.Event.Check, the one
// validation of the SDK and the collector), the bounded queue of encoded
// events, batches,
// beacons and retry timing. The WebAssembly main (wasm/cmd/rastro, built
// with GOOS=js) wires it to the DOM, fetch, sendBeacon and localStorage;
// tests run it natively and, compiled for GOOS=wasip1, under wazero.
//
// # Calls
//
// [Core.Call] takes rastro(method, ...args) with the arguments converted to
// [Arg] values. A bad argument never panics: [Result].Warn names it, e.g.
//
//	rastro("star"): argument 3 (value) must be between 1 and 5 for kind star
//
// # Delivery
//
// A good event is encoded at once ([AppendEvent], "id" first) and queued.
// [Core.Batch] hands out the next batch (one in flight at a time, under
// 64 KiB); [Core.Done] takes the answer: 200 and other final answers drop
// the events, 408/429/5xx and network errors return them with a backoff
// that honours Retry-After. [Core.Beacons] splits the whole queue into
// sendBeacon bodies when the page goes away; the events stay queued and
// stored until a fetch is acknowledged, and their ids make resends safe.
// [Queue.Snapshot] and [Queue.Restore] are the localStorage format: one
// event per line, which the loader writes too.
//
// # Weight
//
// The module is built with -tags rastro_nojson, so nothing here may import
// fmt, encoding/json, net/http or reflect-heavy packages: JSON is written
// by hand and strings are built with strconv. Nor time, strings or bytes:
// each costs kilobytes of brotli (time alone 37 KB). sdk/wire's browser
// build (the same tag) needs no time either: there wire.Time is a Unix
// millisecond instant, read from Date.now.
package core
