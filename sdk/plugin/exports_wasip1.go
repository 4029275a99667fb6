//go:build wasip1

package plugin

import "unsafe"

// The ABI v1 exports. They live here rather than in the plugin's main
// package: //go:wasmexport works in any package of a GOOS=wasip1 build
// since Go 1.24, so importing this package is all a plugin needs.

// in is the input buffer rastro_alloc hands out and the next calls read;
// out is the output of the last call. Both stay referenced here, so the
// garbage collector keeps them where the host expects them.
var in, out []byte

//go:wasmexport rastro_abi_version
func rastroABIVersion() uint32 { return ABIVersion }

//go:wasmexport rastro_capabilities
func rastroCapabilities() uint32 { return Capabilities() }

//go:wasmexport rastro_alloc
func rastroAlloc(size uint32) uint32 {
	if size > MaxAlloc {
		return 0
	}
	in = make([]byte, max(size, 1))
	return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(in))))
}

//go:wasmexport rastro_transform
func rastroTransform(ptr, size uint32) uint64 {
	if rec, ok := input(ptr, size); ok {
		out = AppendTransform(out, rec)
	} else {
		out = AppendError(out, "plugin: input is not in the buffer rastro_alloc returned")
	}
	return result(out)
}

//go:wasmexport rastro_enrich
func rastroEnrich(ptr, size uint32) uint64 {
	if rec, ok := input(ptr, size); ok {
		out = AppendEnrich(out, rec)
	} else {
		out = AppendError(out, "plugin: input is not in the buffer rastro_alloc returned")
	}
	return result(out)
}

// input returns the bytes the host wrote at ptr, which must lie in the
// buffer of the last rastro_alloc.
func input(ptr, size uint32) ([]byte, bool) {
	if len(in) == 0 || ptr != uint32(uintptr(unsafe.Pointer(unsafe.SliceData(in)))) || int(size) > len(in) {
		return nil, false
	}
	return in[:size], true
}

func result(b []byte) uint64 {
	return uint64(uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b)))))<<32 | uint64(uint32(len(b)))
}
