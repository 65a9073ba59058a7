package layers

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// runForward builds l on an input bound to x in a new graph of the given
// mode, runs it once (random inputs filled from rng, which may be nil when
// there are none) and returns a copy of the output.
func runForward(t testing.TB, l Layer, m Mode, x *tensor.Dense, rng *rand.Rand) *tensor.Dense {
	t.Helper()
	g := G.NewGraph()
	b := NewBuilder(g, m).SetDtype(x.Dtype())
	xn := G.NewTensor(g, x.Dtype(), x.Dims(), G.WithShape(x.Shape().Clone()...), G.WithName("x"), G.WithValue(x))
	y, err := l.Forward(b, xn)
	if err != nil {
		t.Fatalf("Forward: %v", err)
	}
	var v G.Value
	G.Read(y, &v)
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if rng != nil {
		b.FillRandom(rng)
	}
	if err := vm.RunAll(); err != nil {
		t.Fatalf("run: %v", err)
	}
	return v.(*tensor.Dense).Clone().(*tensor.Dense)
}

// forwardErr builds l on a float32 input of the given shape and returns the
// error of Forward.
func forwardErr(l Layer, dt tensor.Dtype, m Mode, shape ...int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			panic(r) // Forward must not panic on bad input
		}
	}()
	g := G.NewGraph()
	b := NewBuilder(g, m).SetDtype(dt)
	xn := G.NewTensor(g, dt, len(shape), G.WithShape(shape...), G.WithName("x"))
	_, err = l.Forward(b, xn)
	return err
}

// maxAbsDiff returns max |a_i − b_i|, or +Inf when the lengths differ.
func maxAbsDiff(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	m := 0.0
	for i := range a {
		d := math.Abs(a[i] - b[i])
		if d > m || math.IsNaN(d) {
			m = d
		}
	}
	return m
}

// tolFor returns the forward-comparison tolerance for a dtype.
func tolFor(dt tensor.Dtype) float64 {
	if dt == tensor.Float32 {
		return 1e-4
	}
	return 1e-10
}

// gradTol returns the gradient-check tolerance for a dtype.
func gradTol(dt tensor.Dtype) float64 {
	if dt == tensor.Float32 {
		return 1e-2
	}
	return 1e-6
}

var dtypes = []tensor.Dtype{tensor.Float64, tensor.Float32}
