package layers

import (
	"fmt"
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

var activationCases = []struct {
	name string
	l    Layer
	ref  func(float64) float64
}{
	{"LeakyReLU0.2", LeakyReLU{Alpha: 0.2}, func(x float64) float64 { return math.Max(x, 0.2*x) }},
	{"LeakyReLU-neg", LeakyReLU{Alpha: -0.5}, func(x float64) float64 {
		if x > 0 {
			return x
		}
		return -0.5 * x
	}},
	{"ReLU", ReLU{}, func(x float64) float64 { return math.Max(x, 0) }},
	{"Tanh", Tanh{}, math.Tanh},
	{"Sigmoid", Sigmoid{}, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }},
	{"Softplus", Softplus{}, func(x float64) float64 { return math.Log(1 + math.Exp(x)) }},
}

func TestActivations(t *testing.T) {
	for ci, c := range activationCases {
		for _, dt := range dtypes {
			t.Run(fmt.Sprintf("%s/%v", c.name, dt), func(t *testing.T) {
				rng := newRNG(uint64(ci) + 10)
				if len(c.l.Params()) != 0 {
					t.Errorf("activation with params")
				}
				for _, shape := range [][]int{{3, 5}, {2, 3, 2, 2}, {7}} {
					x := awayFromZero(rng, dt, 0.05, shape...)
					y := runForward(t, c.l, Infer, x, nil)
					xs := toFloat64s(x)
					want := make([]float64, len(xs))
					for i, v := range xs {
						want[i] = c.ref(v)
					}
					if !y.Shape().Eq(x.Shape()) {
						t.Fatalf("shape %v for input %v", y.Shape(), x.Shape())
					}
					if d := maxAbsDiff(toFloat64s(y), want); d > tolFor(dt) {
						t.Errorf("%v: forward differs by %g", shape, d)
					}
					checkGrad(t, dt, gradTol(dt), func(b *Builder, in []*G.Node) (*G.Node, error) {
						return c.l.Forward(b, in[0])
					}, x)
				}
			})
		}
	}
}

// TestActivationChain checks the gradient through a chain of activations,
// where the backward of one reads the forward output of another.
func TestActivationChain(t *testing.T) {
	for _, dt := range dtypes {
		rng := newRNG(3)
		seq := Sequential{Tanh{}, LeakyReLU{Alpha: 0.1}, Sigmoid{}, Softplus{}, Tanh{}}
		checkGrad(t, dt, gradTol(dt), func(b *Builder, in []*G.Node) (*G.Node, error) {
			return seq.Forward(b, in[0])
		}, awayFromZero(rng, dt, 0.1, 4, 6))
	}
}

func TestActivationExtremes(t *testing.T) {
	for _, dt := range dtypes {
		x := tensor.New(tensor.WithShape(4), tensor.Of(dt))
		for i, v := range []float64{-1000, -80, 80, 1000} {
			setAt(x, i, v)
		}
		for _, c := range activationCases {
			y := toFloat64s(runForward(t, c.l, Infer, x, nil))
			for i, v := range y {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					if c.name == "Softplus" || c.name == "Sigmoid" || c.name == "Tanh" {
						t.Errorf("%s %v: element %d = %v", c.name, dt, i, v)
					}
				}
			}
		}
	}
}

func TestActivationErrors(t *testing.T) {
	for _, c := range activationCases {
		if err := forwardErr(c.l, tensor.Int, Train, 2, 3); err == nil {
			t.Errorf("%s: no error for int input", c.name)
		}
		if _, err := c.l.Forward(nil, nil); err == nil {
			t.Errorf("%s: no error for nil input", c.name)
		}
	}
	if err := forwardErr(LeakyReLU{Alpha: math.NaN()}, tensor.Float32, Train, 2); err == nil {
		t.Errorf("no error for NaN alpha")
	}
}
