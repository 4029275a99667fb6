// Package plugin is what a Rastro plugin imports: it implements the
// plugin ABI v1 (see package github.com/rastrohq/rastro/collector/plugin)
// so that a plugin is a Go function.
//
// # A source plugin
//
// A source turns one foreign record (a webhook body, a line of an export)
// into zero or more wire events:
//
//	package main
//
//	import (
//		"github.com/rastrohq/rastro/sdk/plugin"
//		"github.com/rastrohq/rastro/sdk/wire"
//	)
//
//	func main() {}
//
//	func init() {
//		plugin.HandleTransform(func(record []byte) ([]wire.Event, error) {
//			// decode record, return events; an error rejects the record
//		})
//	}
//
// Build it as a WASI reactor, so that the collector can call it again and
// again rather than run main once:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o myplugin.wasm .
//
// main stays empty and is never called. The exports the collector calls
// (rastro_transform and the others) are in this package: //go:wasmexport
// works in any package since Go 1.24, so the main package needs nothing
// more than the lines above.
//
// Give events stable ids derived from the record (a survey answer's id,
// say), so that a record posted twice is stored once; an event without an
// id gets a hash of the record. The collector validates every event as it
// validates the SDK's, and refuses only the bad ones.
//
// # An enricher
//
// An enricher sees each trace before it is stored and returns props to add
// and, for a trace without a score such as a comment, a sentiment:
//
//	plugin.HandleEnrich(func(t *trace.Trace) (plugin.Patch, error) {
//		if strings.Contains(strings.ToLower(t.Data.Text), "refund") {
//			return plugin.Patch{Props: map[string]string{"topic": "billing"}}, nil
//		}
//		return plugin.Patch{}, nil
//	})
//
// One module may register both handlers; the collector's config says which
// role each loaded plugin plays.
//
// # Inside the sandbox
//
// A plugin has no files, no environment and no network; it has a clock,
// random numbers, and its stdout and stderr go to the collector's log. It
// is called one record at a time per instance, within a memory limit (16
// MiB by default) and a time limit (100ms by default). A panic in a
// handler is recovered and rejects the record; a crash (running out of
// memory, a fatal error) rejects it too and the collector starts a fresh
// instance. Globals persist from call to call in an instance, but the
// collector runs several instances and replaces them at will, so keep no
// state there that matters. Do the work in the handler itself: the
// module runs only while the collector calls it, so goroutines get no time
// between calls.
//
// The collector stops a call that runs over its time limit by checking at
// every branch the plugin takes, which makes Go code several times slower
// than native: allocate little, and prefer simple loops. A trivial record
// costs about 10-20 µs; decoding a webhook with encoding/json, 300-500.
//
// # Testing a plugin
//
// The handlers are plain Go functions: test them natively. [AppendTransform]
// and [AppendEnrich] run the registered handler and return exactly the
// JSON the collector would read.
package plugin
