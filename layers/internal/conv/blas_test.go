package conv

import sgemm "github.com/semigan/semigan/layers/internal/gemm"

// benchBLAS returns the BLAS for kernel benchmarks: the default build's
// (semigan's GEMM), or OpenBLAS in the openblas build.
var benchBLAS = func() BLAS { return sgemm.Implementation{} }
