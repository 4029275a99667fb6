// Package widget measures Rastro's browser widget: how long a page takes,
// in headless Chromium, from navigation to a rendered widget. The weight
// of the widget next to its peers' (Sentry's feedback, PostHog's surveys,
// Formbricks) is cmd/widgetsize's, on the files widget/peers.sh fetches
// from npm.
//
// # Time to ready
//
// BenchmarkWidgetReady builds and starts the collector (its /widget/
// serves wasm/dist, built by make widget), serves a test page that loads
// the loader from it with one script tag, and loads that page b.N times in
// Chromium (/usr/bin/chromium, or $CHROMIUM). Every op is one page load;
// each metric is the median over the op's loads, in milliseconds after
// navigation start:
//
//   - dcl-ms: DOMContentLoaded (its handlers done)
//   - loader-ms: the loader rastro.js has run (window.rastro is its function)
//   - load-ms: the load event (its handlers done)
//   - fetched-ms: the module's last byte has arrived (its Resource Timing
//     responseEnd; it compiles while it streams in)
//   - wasm-ms: the module is instantiated, Go has started and the widget
//     has taken over the loader's queue (rastro.d is set)
//   - ready-ms: the widget is ready (the rastro:ready event, dispatched after
//     every [data-rastro-touchpoint] got its shadow root and questions)
//   - paint-ms: the next animation frame after ready, when the widget is on
//     screen
//
// and, over the op's loads, the long tasks (PerformanceObserver "longtask"
// entries, over 50 ms) that overlap the widget's loading, from the
// module's request to the paint (the goal is that the widget causes none):
//
//   - longtask-%: the share of loads that had one
//   - longtask-max-ms: the longest of them (0: none)
//
// Sub-benchmarks: load=idle (the default: the module loads once the page
// is idle after its load event) and load=eager (data-load="eager": at
// DOMContentLoaded); cache=cold (each load in a fresh browser context, so
// nothing is cached) and cache=warm (reloads in one tab: the HTTP cache
// holds the hashed, immutable wasm_exec.js and module).
//
//	cd bench
//	go test -run '^$' -bench BenchmarkWidgetReady -benchtime 10x -count 6 ./widget
//
// # Cost of a call
//
// BenchmarkWidgetCall measures what one rastro("star", ...) call costs the
// main thread once the widget is ready: 200 calls per op, each alone (the
// queue flushed before it, off the clock, and 20 ms of quiet after it), in
// a warm tab whose page is cross-origin isolated so that performance.now()
// reads to 5 µs. Metrics, in microseconds per call, medians over the ops:
//
//   - call-µs: the caller's own cost, the loader's array push
//   - module-p50-µs, module-p90-µs: the module's work for the call, every
//     entry into Go it causes (the microtask that hands the call to Go, and
//     any task the module sets with a delay of 0), summed per call
//   - js-ref-p50-µs: the same call's work done in plain JavaScript (an
//     event with a UUID and an ISO time, a few checks, JSON text, a push),
//     timed the same way: what a lone call costs on this machine whatever
//     the language
//
// Run it with:
//
//	go test -run '^$' -bench BenchmarkWidgetCall -benchtime 1x -count 6 ./widget
//
// Knobs: RASTRO_COLLECTOR_BIN (a built collector), CHROMIUM (the browser).
package widget
