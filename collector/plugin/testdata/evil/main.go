// Command evil is a hostile source plugin for the containment tests. It
// speaks ABI v1 by hand (not through package plugin, which would recover
// its panics) and misbehaves as each record asks:
//
//	ok      a valid event
//	loop    spins forever
//	bomb    allocates until memory runs out
//	panic   panics (the Go runtime exits the module)
//	exit    calls os.Exit(3)
//	junk    returns bytes that are not JSON
//	oob     returns a pointer outside its memory
//	huge    returns 2 MiB of output
//	many    returns more events than a record may have
//	chatty  writes 10,000 lines to stderr, then a valid event
//	state   returns how many calls this instance has answered
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"unsafe"
)

func main() {}

var (
	in, out []byte
	hoard   [][]byte
	calls   int
)

//go:wasmexport rastro_abi_version
func abiVersion() uint32 { return 1 }

//go:wasmexport rastro_alloc
func alloc(size uint32) uint32 {
	in = make([]byte, size)
	return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(in))))
}

//go:wasmexport rastro_transform
func transform(ptr, size uint32) uint64 {
	calls++
	rec := string(in[:size])
	switch rec {
	case "loop":
		for {
			calls++
		}
	case "bomb":
		for {
			hoard = append(hoard, make([]byte, 1<<20))
		}
	case "panic":
		var m map[string]int
		m[rec]++ // assignment to entry in nil map
	case "exit":
		os.Exit(3)
	case "junk":
		out = []byte("{\"events\": [not json")
	case "oob":
		return 0xfffff000<<32 | 4096
	case "huge":
		out = []byte(`{"events":[],"pad":"` + strings.Repeat("x", 2<<20) + `"}`)
	case "many":
		var b strings.Builder
		b.WriteString(`{"events":[`)
		for i := range 101 {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"id":"m-%d","kind":"click","touchpoint":"evil"}`, i)
		}
		b.WriteString(`]}`)
		out = []byte(b.String())
	case "chatty":
		for i := range 10000 {
			fmt.Fprintln(os.Stderr, "chatty line", i)
		}
		out = event(rec)
	case "state":
		out = event("state-" + strconv.Itoa(calls))
	default:
		out = event(rec)
	}
	return uint64(uint32(uintptr(unsafe.Pointer(unsafe.SliceData(out)))))<<32 | uint64(len(out))
}

func event(id string) []byte {
	return []byte(`{"events":[{"id":` + strconv.Quote(id) + `,"kind":"click","touchpoint":"evil","target":"button"}]}`)
}
