//go:build !rastro_nojson

package wire

import "strconv"

// quote returns s quoted for an error message (see quote in
// time_nojson.go for the browser build's).
func quote(s string) string { return strconv.Quote(s) }
