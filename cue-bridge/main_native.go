//go:build !(js && wasm)

package main

// On non-wasm platforms the bridge builds as a plain program so its logic can
// be tested and benchmarked with `go test`.
func main() {}
