//go:build !openblas

package layers

import (
	G "gorgonia.org/gorgonia"

	"github.com/semigan/semigan/layers/internal/gemm"
)

// In the default (pure-Go) build, gorgonia, tensor and this package's
// convolutions run their float32 matrix products on semigan's own GEMM
// (AVX-512 or AVX2/FMA assembly kernels where the CPU has them, gonum
// otherwise); everything else is gonum's pure-Go BLAS.
func init() { G.Use(gemm.Implementation{}) }
