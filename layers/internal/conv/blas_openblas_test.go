//go:build openblas

package conv

import "gonum.org/v1/netlib/blas/netlib"

func init() { benchBLAS = func() BLAS { return netlib.Implementation{} } }
