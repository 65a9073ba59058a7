package layers

import (
	"fmt"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// matMul gives exactly what gorgonia's Mul gives, values and gradients
// (it calls the same GEMM the same way), and its gradient passes the
// finite-difference check.
func TestMatMulMatchesGorgonia(t *testing.T) {
	for _, dt := range dtypes {
		for _, s := range [][3]int{{7, 5, 3}, {1, 4, 1}, {100, 64, 10}} {
			t.Run(fmt.Sprintf("%v/%v", dt, s), func(t *testing.T) {
				rng := newRNG(uint64(s[0]*100 + s[1]))
				x0, w0 := randTensor(rng, dt, s[0], s[1]), randTensor(rng, dt, s[1], s[2])
				run := func(mul func(x, w *G.Node) (*G.Node, error)) (y, dx, dw []float64) {
					g := G.NewGraph()
					x := G.NewMatrix(g, dt, G.WithShape(s[0], s[1]), G.WithName("x"), G.WithValue(x0.Clone()))
					w := G.NewMatrix(g, dt, G.WithShape(s[1], s[2]), G.WithName("w"), G.WithValue(w0.Clone()))
					p, err := mul(x, w)
					if err != nil {
						t.Fatal(err)
					}
					// a cost whose gradient is not all ones: Σ p²
					cost := G.Must(G.Sum(G.Must(G.Square(p))))
					if _, err := G.Grad(cost, x, w); err != nil {
						t.Fatal(err)
					}
					var pv G.Value
					G.Read(p, &pv)
					vm := G.NewTapeMachine(g, G.BindDualValues(x, w))
					if err := vm.RunAll(); err != nil {
						t.Fatal(err)
					}
					gx, _ := x.Grad()
					gw, _ := w.Grad()
					return toFloat64s(pv.(*tensor.Dense)), toFloat64s(gx.(*tensor.Dense)), toFloat64s(gw.(*tensor.Dense))
				}
				y1, dx1, dw1 := run(G.Mul)
				y2, dx2, dw2 := run(matMul)
				for _, c := range []struct {
					name string
					a, b []float64
				}{{"product", y1, y2}, {"x gradient", dx1, dx2}, {"w gradient", dw1, dw2}} {
					if d := maxAbsDiff(c.a, c.b); d != 0 {
						t.Errorf("%s differs from gorgonia's by %g", c.name, d)
					}
				}
				checkGrad(t, dt, gradTol(dt), func(b *Builder, in []*G.Node) (*G.Node, error) {
					return matMul(in[0], in[1])
				}, randTensor(rng, dt, 3, 4), randTensor(rng, dt, 4, 2))
			})
		}
	}
	g := G.NewGraph()
	a := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 3), G.WithName("a"))
	if _, err := matMul(a, a); err == nil {
		t.Errorf("(2,3)·(2,3): no error")
	}
}
