// Command empty is the smallest GOOS=js module that registers one
// function: the runtime floor the widget's size is compared against.
package main

import "syscall/js"

func main() {
	js.Global().Set("f", js.FuncOf(func(js.Value, []js.Value) any { return nil }))
	select {}
}
