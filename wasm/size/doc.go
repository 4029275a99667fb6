// Package size checks the weight of the browser bundle against the
// committed budget in budget.json: the test builds the bundle with
// wasm/build.sh into a temporary folder and fails when the module
// (gzip or brotli) grows more than 5% over its budget, or the loader
// passes 2 KiB brotli. It also builds the empty GOOS=js module of
// testdata/empty, the Go runtime's floor, and reports how far above it
// the widget is.
//
// After a change that is worth its bytes, update budget.json with the
// numbers the test prints (go test -v ./wasm/size).
package size
