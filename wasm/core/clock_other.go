//go:build !js

package core

import "time"

// clock returns the time in Unix milliseconds. Outside the browser
// (tests, the wasip1 probe) package time's weight does not matter.
func clock() int64 { return time.Now().UnixMilli() }
