package layers

import (
	"fmt"
	"reflect"

	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"

	"github.com/semigan/semigan/layers/internal/gemm"
)

// openblasCore is the kernel set OpenBLAS chose (set in openblas builds).
var openblasCore string

// BLASName says which BLAS the convolution ops (and gorgonia's own matrix
// products) currently use: "gonum" for gonum's pure-Go implementation, the
// default; "openblas" for OpenBLAS through gonum.org/v1/netlib, selected by
// building with the openblas tag, followed by the kernel set OpenBLAS chose
// for the CPU, as in "openblas (Haswell)"; otherwise the Go type of the
// implementation passed to gorgonia.Use.
//
// The convolution ops always call gorgonia.WhichBLAS, so a program may also
// switch BLAS itself with gorgonia.Use before running a graph.
func BLASName() string {
	switch b := G.WhichBLAS().(type) {
	case gonum.Implementation, *gonum.Implementation:
		return "gonum"
	case gemm.Implementation, *gemm.Implementation:
		return "semigan gemm (" + gemm.Kernel() + ")"
	default:
		t := reflect.TypeOf(b)
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.PkgPath() == "gonum.org/v1/netlib/blas/netlib" {
			if openblasCore != "" {
				return "openblas (" + openblasCore + ")"
			}
			return "openblas"
		}
		return fmt.Sprintf("%T", b)
	}
}
