// Package widget serves the browser bundle — the loader rastro.js,
// wasm_exec.js and the module rastro.wasm built by `make widget` — and the
// demo page under the collector's /widget/ and /demo/ paths.
package widget
