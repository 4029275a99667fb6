// Package widget serves the browser bundle that `make widget` writes to
// wasm/dist — the loader rastro.js, wasm_exec.js and the module
// rastro.wasm — under the collector's /widget/ path.
//
// # Caching
//
// build.sh also writes each file but the loader under a content-hashed
// name (rastro.3f2a9c01b2de.wasm), and the loader refers to those. A hashed
// name never changes content, so it is served with
// "Cache-Control: public, max-age=31536000, immutable"; every other file
// (the loader pages link to, manifest.json) is cached for
// [Config.MaxAge] and revalidated with its ETag.
//
// # Compression
//
// A client that accepts brotli or gzip gets the precompressed sibling
// (rastro.wasm.br, .gz) when build.sh made one; otherwise text and wasm
// are gzipped on the fly, once per file version, and kept in memory.
// Every answer says Vary: Accept-Encoding.
//
// # Types and cross-origin use
//
// .wasm is served as application/wasm, which WebAssembly.instantiateStreaming
// requires. Pages on other origins fetch the module with CORS, so every
// file carries "Access-Control-Allow-Origin: *" and
// "Cross-Origin-Resource-Policy: cross-origin": the bundle is public.
package widget
