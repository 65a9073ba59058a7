//go:build openblas

package conv

// Links OpenBLAS for the netlib BLAS (which declares no linker flags), so
// that `go test -tags openblas` of this package works without CGO_LDFLAGS.

/*
#cgo LDFLAGS: -lopenblas
*/
import "C"
