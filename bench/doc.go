// Package bench compares the Rastro Go SDK with peer SDKs (segment's
// analytics-go v3.1.0 and posthog-go v1.5.2) sending the same event to the
// same local server, and measures the SDK's memory while the collector is
// down. It is its own module, so that the peers never become dependencies
// of Rastro itself.
//
// # Running
//
// make bench (or ./run.sh here) runs every benchmark several times, feeds
// the results to benchstat and writes a Markdown report to results/.
//
// # What is measured
//
//   - BenchmarkCapture: the cost of one capture call (Capture for Rastro,
//     Enqueue for the peers) while a local server accepts everything.
//     Run it with a fixed -benchtime=Nx: Rastro's queue is sized to hold N
//     events, so every call is a capture "while the queue has room".
//   - BenchmarkDelivered: events per second that reach the server, from
//     the first capture until the SDK's close has returned.
//   - BenchmarkOutageMemory: Rastro's peak heap while the collector answers
//     503 to everything and events keep coming.
//
// The server reads each body (gunzipping it when needed) and decodes it:
// it walks the JSON of the batch and counts the events of its "events" (Rastro)
// or "batch" (segment, posthog) array, then answers 200.
//
// # The collector against the ceiling
//
// The collector itself is measured against the physical ceiling, a bare
// net/http server that only reads each body, by the benchmarks of the
// ingest subpackage; run.sh runs those too and adds their section to the
// report.
//
// # The widget
//
// The widget subpackage times a page from navigation to a rendered widget
// in headless Chromium; cmd/widgetsize weighs the widget's download next to
// the feedback widgets of Sentry, PostHog and Formbricks, which
// widget/peers.sh fetches from npm. cmd/summary turns a run's raw output
// into the report's headline ratios and their chart (SVG).
package bench
