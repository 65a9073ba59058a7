package layers

import (
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestPseudoLabels(t *testing.T) {
	x := []float64{
		5, 0, 0, // p(0) ≈ 0.987: kept
		1, 1.2, 0, // p(1) ≈ 0.44: dropped at 0.9, kept at 0.4
		0, 0, 0, // a tie: p = 1/3
	}
	for _, tc := range []struct {
		threshold float64
		want      []float64
	}{
		{0.9, []float64{1, 0, 0, 0, 0, 0, 0, 0, 0}},
		{0.4, []float64{1, 0, 0, 0, 1, 0, 0, 0, 0}},
		{0.3, []float64{1, 0, 0, 0, 1, 0, 1, 0, 0}},
		{1, []float64{0, 0, 0, 0, 0, 0, 0, 0, 0}},
	} {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			g := G.NewGraph()
			var xt *tensor.Dense
			if dt == tensor.Float64 {
				xt = tensor.New(tensor.WithShape(3, 3), tensor.WithBacking(append([]float64(nil), x...)))
			} else {
				f := make([]float32, len(x))
				for i, v := range x {
					f[i] = float32(v)
				}
				xt = tensor.New(tensor.WithShape(3, 3), tensor.WithBacking(f))
			}
			xn := G.NewMatrix(g, dt, G.WithShape(3, 3), G.WithName("x"), G.WithValue(xt))
			p, err := PseudoLabels(xn, tc.threshold)
			if err != nil {
				t.Fatal(err)
			}
			vm := G.NewTapeMachine(g)
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			got := p.Value().(*tensor.Dense)
			for i, w := range tc.want {
				var v float64
				if dt == tensor.Float64 {
					v = got.Data().([]float64)[i]
				} else {
					v = float64(got.Data().([]float32)[i])
				}
				if v != w {
					t.Errorf("threshold %v, %v: value %d = %v, want %v", tc.threshold, dt, i, v, w)
				}
			}
		}
	}
}

// No gradient flows through the pseudo-labels: the gradient of
// Σ x⊙w + Σ PseudoLabels(x)⊙x with respect to x is w + PseudoLabels(x),
// the labels acting as constants.
func TestPseudoLabelsStopGradient(t *testing.T) {
	g := G.NewGraph()
	xv := []float64{4, 0, 0, 0, 0.1, 0}
	wv := []float64{0.5, -1, 2, 3, 0.25, -0.5}
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 3), G.WithName("x"), G.WithValue(tensor.New(tensor.WithShape(2, 3), tensor.WithBacking(xv))))
	w := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 3), G.WithName("w"), G.WithValue(tensor.New(tensor.WithShape(2, 3), tensor.WithBacking(wv))))
	p, err := PseudoLabels(x, 0.9)
	if err != nil {
		t.Fatal(err)
	}
	a := G.Must(G.Sum(G.Must(G.HadamardProd(x, w))))
	b := G.Must(G.Sum(G.Must(G.HadamardProd(p, x))))
	cost := G.Must(G.Add(a, b))
	if _, err := G.Grad(cost, x); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(x))
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	gv, err := x.Grad()
	if err != nil {
		t.Fatal(err)
	}
	got := gv.Data().([]float64)
	want := []float64{1.5, -1, 2, 3, 0.25, -0.5} // row 0 kept (class 0), row 1 dropped
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("gradient %d = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestPseudoLabelsErrors(t *testing.T) {
	g := G.NewGraph()
	v := G.NewVector(g, tensor.Float64, G.WithShape(3), G.WithName("v"))
	m := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 3), G.WithName("m"))
	for _, tc := range []struct {
		name string
		x    *G.Node
		thr  float64
		want string
	}{
		{"nil", nil, 0.5, "nil input"},
		{"vector", v, 0.5, "want (N, K)"},
		{"threshold", m, 1.5, "outside [0, 1]"},
	} {
		if _, err := PseudoLabels(tc.x, tc.thr); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}
