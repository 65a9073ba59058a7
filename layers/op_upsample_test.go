package layers

import (
	"fmt"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestUpsample(t *testing.T) {
	rng := newRNG(41)
	for _, sc := range []int{1, 2, 3} {
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			n, c, h, w := 2, 3, 4, 5
			x := randTensor(rng, dt, n, c, h, w)
			got, shape := convRun(t, func(in []*G.Node) (*G.Node, error) {
				return Upsample2D{Scale: sc}.Forward(nil, in[0])
			}, x)
			if !shape.Eq(tensor.Shape{n, c, sc * h, sc * w}) {
				t.Fatalf("scale %d: shape %v", sc, shape)
			}
			xv := toFloat64s(x)
			for p := 0; p < n*c; p++ {
				for i := 0; i < sc*h; i++ {
					for j := 0; j < sc*w; j++ {
						want := xv[(p*h+i/sc)*w+j/sc]
						if g := got[(p*sc*h+i)*sc*w+j]; g != want {
							t.Fatalf("scale %d %v: (%d,%d,%d) = %v, want %v", sc, dt, p, i, j, g, want)
						}
					}
				}
			}
		}
	}
}

func TestUpsampleGrad(t *testing.T) {
	rng := newRNG(42)
	for _, sc := range []int{2, 3} {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			t.Run(fmt.Sprintf("scale%d/%v", sc, dt), func(t *testing.T) {
				checkGrad(t, dt, gradTol(dt), func(b *Builder, in []*G.Node) (*G.Node, error) {
					return Upsample(in[0], sc)
				}, randTensor(rng, dt, 2, 2, 3, 4))
			})
		}
	}
}

func TestUpsampleErrors(t *testing.T) {
	g := G.NewGraph()
	x3 := G.NewTensor(g, tensor.Float32, 3, G.WithShape(2, 3, 4), G.WithName("x3"))
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(1, 2, 3, 4), G.WithName("x"))
	xi := G.NewTensor(g, tensor.Int, 4, G.WithShape(1, 2, 3, 4), G.WithName("xi"))
	for i, f := range []func() (*G.Node, error){
		func() (*G.Node, error) { return Upsample(x3, 2) },
		func() (*G.Node, error) { return Upsample(x, 0) },
		func() (*G.Node, error) { return Upsample(xi, 2) },
		func() (*G.Node, error) { return Upsample(nil, 2) },
		func() (*G.Node, error) { return (Upsample2D{}).Forward(nil, x) },
	} {
		if _, err := f(); err == nil {
			t.Errorf("case %d: no error", i)
		}
	}
	if (Upsample2D{Scale: 2}).Params() != nil {
		t.Errorf("Upsample2D has parameters")
	}
}

// BenchmarkUpsample compares the custom op with gorgonia's Upsample2D on
// the generator's (100,64,7,7) → (100,64,14,14), forward+backward.
func BenchmarkUpsample(b *testing.B) {
	for _, impl := range []string{"semigan", "gorgonia"} {
		b.Run("impl="+impl, func(b *testing.B) {
			g := G.NewGraph()
			x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(100, 64, 7, 7), G.WithName("x"),
				G.WithValue(randTensor(newRNG(1), tensor.Float32, 100, 64, 7, 7)))
			var y *G.Node
			var err error
			if impl == "semigan" {
				y, err = Upsample(x, 2)
			} else {
				y, err = G.Upsample2D(x, 1)
			}
			if err != nil {
				b.Fatal(err)
			}
			cost := G.Must(G.ApplyOp(benchSum{}, y))
			if _, err := G.Grad(cost, x); err != nil {
				b.Fatal(err)
			}
			m := G.NewTapeMachine(g, G.BindDualValues(x))
			defer m.Close()
			for b.Loop() {
				m.Reset()
				if err := m.RunAll(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
