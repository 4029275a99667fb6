//go:build js

package core

import "syscall/js"

var dateNow = js.Global().Get("Date").Get("now")

// clock returns the time in Unix milliseconds from the browser's
// Date.now: the module does not import package time (see the package
// doc, "Weight").
func clock() int64 { return int64(dateNow.Invoke().Float()) }
