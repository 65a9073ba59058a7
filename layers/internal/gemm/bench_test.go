package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// benchShapes are the GEMMs of one SGAN training step at batch 100, plus a
// square reference.
var benchShapes = []struct {
	tA, tB  blas.Transpose
	m, n, k int
}{
	{blas.NoTrans, blas.NoTrans, 64, 4900, 800},
	{blas.NoTrans, blas.Trans, 64, 800, 4900},
	{blas.Trans, blas.NoTrans, 800, 4900, 64},
	{blas.NoTrans, blas.NoTrans, 300, 1000, 784},
	{blas.NoTrans, blas.NoTrans, 300, 500, 1000},
	{blas.NoTrans, blas.NoTrans, 100, 3136, 100},
	{blas.NoTrans, blas.NoTrans, 3136, 100, 300},
	{blas.NoTrans, blas.NoTrans, 512, 512, 512},
}

type sgemmFunc func(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

func benchSgemm(b *testing.B, f sgemmFunc) {
	for _, s := range benchShapes {
		name := fmt.Sprintf("%c%c_%dx%dx%d", s.tA, s.tB, s.m, s.n, s.k)
		b.Run(name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			lda, ldb := s.k, s.n
			if s.tA != blas.NoTrans {
				lda = s.m
			}
			if s.tB != blas.NoTrans {
				ldb = s.k
			}
			a := randSlice(r, s.m*s.k)
			bb := randSlice(r, s.k*s.n)
			c := randSlice(r, s.m*s.n)
			f(s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n) // warm up
			b.ResetTimer()
			t0 := cpuTime()
			for i := 0; i < b.N; i++ {
				f(s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
			}
			flops := 2 * float64(s.m) * float64(s.n) * float64(s.k) * float64(b.N)
			b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			if cpu := (cpuTime() - t0).Seconds(); cpu > 0 {
				b.ReportMetric(flops/cpu/1e9, "GFLOP/cpu-s")
			}
		})
	}
}

func BenchmarkSgemm(b *testing.B) { benchSgemm(b, Sgemm) }

func BenchmarkGonum(b *testing.B) { benchSgemm(b, gonum.Implementation{}.Sgemm) }

// BenchmarkSgemmKernels runs Sgemm with each supported micro-kernel forced.
func BenchmarkSgemmKernels(b *testing.B) {
	old := activeKernel
	defer func() { activeKernel = old }()
	for _, uk := range kernels {
		activeKernel = uk
		b.Run(uk.name, func(b *testing.B) { benchSgemm(b, Sgemm) })
	}
}
