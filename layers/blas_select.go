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
// products) currently use:
//
//   - "semigan gemm (<kernel>)" in the default build: gonum's pure-Go BLAS
//     with Sgemm replaced by the assembly GEMM of layers/internal/gemm
//     (blas_default.go); the kernel is "avx512 8x32", "avx2-fma 6x16" or
//     "gonum" on CPUs without AVX2+FMA;
//   - "openblas (<core>)" when built with the openblas tag, with the kernel
//     set OpenBLAS chose for the CPU, as in "openblas (Haswell)";
//   - "gonum" for gonum's pure-Go BLAS, if a program selects it with
//     gorgonia.Use;
//   - otherwise the Go type of the implementation passed to gorgonia.Use.
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
