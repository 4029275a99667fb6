// Command badabi claims ABI version 2, which the collector does not speak.
package main

func main() {}

//go:wasmexport rastro_abi_version
func abiVersion() uint32 { return 2 }

//go:wasmexport rastro_alloc
func alloc(size uint32) uint32 { return 0 }

//go:wasmexport rastro_transform
func transform(ptr, size uint32) uint64 { return 0 }
