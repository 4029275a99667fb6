// Package e2e holds the widget's browser tests: headless Debian Chromium,
// driven with chromedp, against the real rastro-collector binary serving
// wasm/dist and the example page examples/widget-page. They are skipped
// (with a message) when /usr/bin/chromium is missing or with -short.
//
//	make widget && go test -race ./wasm/e2e
//
// Screenshots go to testout/ at the repository root.
package e2e
