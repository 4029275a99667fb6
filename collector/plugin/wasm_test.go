package plugin

// Hand-made WebAssembly modules, for what a Go plugin cannot do: trap on
// an unreachable instruction, or lack an export.

// wasmModule returns a module of ABI v1 whose rastro_transform runs
// transform (instructions, without the final end) and whose
// rastro_alloc always returns address 1024 of its one page of memory.
// With exportTransform false it lacks rastro_transform.
func wasmModule(transform []byte, exportTransform bool) []byte {
	uleb := func(n int) []byte {
		var b []byte
		for {
			c := byte(n & 0x7f)
			n >>= 7
			if n != 0 {
				c |= 0x80
			}
			b = append(b, c)
			if n == 0 {
				return b
			}
		}
	}
	vec := func(n int, items ...[]byte) []byte {
		b := uleb(n)
		for _, it := range items {
			b = append(b, it...)
		}
		return b
	}
	name := func(s string) []byte { return append(uleb(len(s)), s...) }
	section := func(id byte, content []byte) []byte {
		return append(append([]byte{id}, uleb(len(content))...), content...)
	}
	body := func(instrs ...byte) []byte {
		b := append([]byte{0x00}, instrs...) // no locals
		b = append(b, 0x0b)
		return append(uleb(len(b)), b...)
	}
	exports := [][]byte{
		append(name("memory"), 0x02, 0x00),
		append(name("rastro_abi_version"), 0x00, 0x00),
		append(name("rastro_alloc"), 0x00, 0x01),
	}
	if exportTransform {
		exports = append(exports, append(name("rastro_transform"), 0x00, 0x02))
	}
	m := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}
	m = append(m, section(1, vec(3,
		[]byte{0x60, 0x00, 0x01, 0x7f},             // () -> i32
		[]byte{0x60, 0x01, 0x7f, 0x01, 0x7f},       // (i32) -> i32
		[]byte{0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7e}, // (i32, i32) -> i64
	))...)
	m = append(m, section(3, vec(3, []byte{0x00, 0x01, 0x02}))...)
	m = append(m, section(5, vec(1, []byte{0x00, 0x01}))...) // memory of min 1 page
	m = append(m, section(7, vec(len(exports), exports...))...)
	m = append(m, section(10, vec(3,
		body(0x41, 0x01),       // i32.const 1
		body(0x41, 0x80, 0x08), // i32.const 1024
		body(transform...),
	))...)
	return m
}

// Instructions for wasmModule.
var (
	opUnreachable = []byte{0x00}
	// opReturnJunk returns 4 bytes at address 0: zeros, not JSON.
	opReturnJunk = []byte{0x42, 0x04} // i64.const 4
)
