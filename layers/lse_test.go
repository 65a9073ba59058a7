package layers

import (
	"fmt"
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// lseLayer adapts LSE to the Layer interface for the test helpers.
type lseLayer struct{}

func (lseLayer) Forward(b *Builder, x *G.Node) (*G.Node, error) { return LSE(x) }
func (lseLayer) Params() []*Param                               { return nil }

func TestLSE(t *testing.T) {
	for ci, shape := range [][]int{{1, 1}, {4, 6}, {3, 11}} {
		for _, dt := range dtypes {
			t.Run(fmt.Sprintf("%v/%v", shape, dt), func(t *testing.T) {
				rng := newRNG(uint64(ci) + 200)
				x := randTensor(rng, dt, shape...)
				y := runForward(t, lseLayer{}, Infer, x, nil)
				xs := toFloat64s(x)
				n, k := shape[0], shape[1]
				want := make([]float64, n)
				for i := range want {
					s := 0.0
					for j := 0; j < k; j++ {
						s += math.Exp(xs[i*k+j])
					}
					want[i] = math.Log(s)
				}
				if !y.Shape().Eq(tensor.Shape{n}) {
					t.Fatalf("shape %v", y.Shape())
				}
				if d := maxAbsDiff(toFloat64s(y), want); d > tolFor(dt) {
					t.Errorf("differs from the naive formula by %g", d)
				}
				checkGrad(t, dt, gradTol(dt), func(b *Builder, in []*G.Node) (*G.Node, error) {
					return LSE(in[0])
				}, x)
			})
		}
	}
}

func TestLSELarge(t *testing.T) {
	for _, dt := range dtypes {
		x := tensor.New(tensor.WithShape(2, 3), tensor.Of(dt))
		for i, v := range []float64{1000, 1000, 999, -1000, -1001, -1000} {
			setAt(x, i, v)
		}
		y := toFloat64s(runForward(t, lseLayer{}, Infer, x, nil))
		want := []float64{1000 + math.Log(2+math.Exp(-1)), -1000 + math.Log(2+math.Exp(-1))}
		if d := maxAbsDiff(y, want); !(d < 1e-3) {
			t.Errorf("%v: LSE of large values %v, want %v", dt, y, want)
		}
		checkGrad(t, dt, gradTol(dt), func(b *Builder, in []*G.Node) (*G.Node, error) {
			return LSE(in[0])
		}, x)
	}
}

func TestLSEErrors(t *testing.T) {
	for i, shape := range [][]int{{3}, {2, 3, 4}} {
		if err := forwardErr(lseLayer{}, tensor.Float32, Train, shape...); err == nil {
			t.Errorf("%d: no error for shape %v", i, shape)
		}
	}
	if err := forwardErr(lseLayer{}, tensor.Int, Train, 2, 3); err == nil {
		t.Errorf("no error for int input")
	}
	if _, err := LSE(nil); err == nil {
		t.Errorf("no error for nil input")
	}
}

func TestLogSoftmax(t *testing.T) {
	for _, tc := range []struct {
		name string
		x    []float64 // 2×3
	}{
		{"small", []float64{1, 2, 3, -1, 0, 0.5}},
		// gorgonia's LogSoftMax overflows here: the second row's maximum
		// is taken as max(x[0,0], x[1,1:]) = 0.
		{"large second row", []float64{0, 0, 0, 1000, 0, 0}},
		{"large negative", []float64{-1000, -999, -998, 500, 501, 502}},
	} {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			g := G.NewGraph()
			var back any = tc.x
			if dt == tensor.Float32 {
				f := make([]float32, len(tc.x))
				for i, v := range tc.x {
					f[i] = float32(v)
				}
				back = f
			}
			x := G.NewMatrix(g, dt, G.WithShape(2, 3), G.WithName("x"),
				G.WithValue(tensor.New(tensor.WithShape(2, 3), tensor.WithBacking(back))))
			y, err := LogSoftmax(x)
			if err != nil {
				t.Fatal(err)
			}
			if err := G.NewTapeMachine(g).RunAll(); err != nil {
				t.Fatal(err)
			}
			got := toFloat64s(y.Value().(*tensor.Dense))
			for r := 0; r < 2; r++ {
				row := tc.x[3*r : 3*r+3]
				m := math.Max(row[0], math.Max(row[1], row[2]))
				s := 0.0
				for _, v := range row {
					s += math.Exp(v - m)
				}
				for k, v := range row {
					want := v - m - math.Log(s)
					if d := math.Abs(got[3*r+k] - want); !(d <= 1e-4*math.Max(1, math.Abs(want))) {
						t.Errorf("%s %v [%d,%d]: got %v, want %v", tc.name, dt, r, k, got[3*r+k], want)
					}
				}
			}
		}
	}
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		rng := newRNG(7)
		checkGrad(t, dt, gradTol(dt), func(b *Builder, in []*G.Node) (*G.Node, error) {
			return LogSoftmax(in[0])
		}, randTensor(rng, dt, 4, 5))
	}
}
