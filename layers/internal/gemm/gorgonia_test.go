package gemm

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/blas/gonum"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestGorgoniaUse checks that gorgonia.Use(Implementation{}) routes a float32
// matrix product through this package and gets the right answer.
func TestGorgoniaUse(t *testing.T) {
	gorgonia.Use(Implementation{})
	defer gorgonia.Use(gonum.Implementation{})
	if _, ok := gorgonia.WhichBLAS().(Implementation); !ok {
		t.Fatalf("WhichBLAS() = %T", gorgonia.WhichBLAS())
	}
	// Count micro-kernel calls to prove the product comes through here.
	calls := 0
	if activeKernel != nil {
		old := activeKernel
		uk := *old
		uk.fn = func(k int, a, b, c *float32, ldc int, alpha, beta float32, accum int) {
			calls++
			old.fn(k, a, b, c, ldc, alpha, beta, accum)
		}
		uk.fnHalf = nil
		activeKernel = &uk
		defer func() { activeKernel = old }()
	}

	const m, k, n = 37, 19, 41
	av := make([]float32, m*k)
	bv := make([]float32, k*n)
	for i := range av {
		av[i] = float32(i%7) - 3
	}
	for i := range bv {
		bv[i] = float32(i%5) * 0.5
	}
	g := gorgonia.NewGraph()
	a := gorgonia.NewMatrix(g, tensor.Float32, gorgonia.WithShape(m, k), gorgonia.WithName("a"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(m, k), tensor.WithBacking(av))))
	b := gorgonia.NewMatrix(g, tensor.Float32, gorgonia.WithShape(k, n), gorgonia.WithName("b"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(k, n), tensor.WithBacking(bv))))
	c := gorgonia.Must(gorgonia.Mul(a, b))
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	if activeKernel != nil && calls == 0 {
		t.Fatal("gorgonia's product did not call the micro-kernel")
	}
	got := c.Value().Data().([]float32)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var want float64
			for p := 0; p < k; p++ {
				want += float64(av[i*k+p]) * float64(bv[p*n+j])
			}
			if math.Abs(float64(got[i*n+j])-want) > 1e-3 {
				t.Fatalf("C[%d,%d] = %v, want %v", i, j, got[i*n+j], want)
			}
		}
	}
}
