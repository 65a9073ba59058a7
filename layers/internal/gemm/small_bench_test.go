package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// BenchmarkSmall measures call overhead on tiny products, Sgemm vs gonum.
func BenchmarkSmall(b *testing.B) {
	for _, s := range [][3]int{{1, 1, 1}, {4, 4, 4}, {6, 6, 6}, {8, 8, 8}, {10, 10, 10}, {16, 16, 16}, {10, 100, 64}, {100, 10, 64}} {
		m, n, k := s[0], s[1], s[2]
		r := rand.New(rand.NewPCG(1, 1))
		a, bb, c := randSlice(r, m*k), randSlice(r, k*n), randSlice(r, m*n)
		for _, impl := range []struct {
			name string
			f    sgemmFunc
		}{{"gemm", Sgemm}, {"gonum", gonum.Implementation{}.Sgemm}} {
			b.Run(fmt.Sprintf("%s/%dx%dx%d", impl.name, m, n, k), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					impl.f(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, bb, n, 0, c, n)
				}
			})
		}
	}
}
