package layers

import (
	"fmt"
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// wnRef returns x·W + b with W[:,j] = g[j]·V[:,j]/‖V[:,j]‖.
func wnRef(x, v, g, b []float64, n, in, out int) []float64 {
	w := make([]float64, in*out)
	for j := 0; j < out; j++ {
		s := 0.0
		for k := 0; k < in; k++ {
			s += v[k*out+j] * v[k*out+j]
		}
		for k := 0; k < in; k++ {
			w[k*out+j] = g[j] * v[k*out+j] / math.Sqrt(s)
		}
	}
	return denseRef(x, w, b, n, in, out)
}

func TestWNDense(t *testing.T) {
	cases := []struct {
		n, in, out int
		noBias     bool
		fixed      bool
	}{
		{4, 3, 5, false, false},
		{5, 7, 2, true, false},
		{3, 6, 4, false, true},
		{1, 1, 1, false, false},
	}
	for ci, c := range cases {
		for _, dt := range dtypes {
			t.Run(fmt.Sprintf("%d/%v", ci, dt), func(t *testing.T) {
				rng := newRNG(uint64(ci) + 500)
				opts := []Option{WithDtype(dt), WithBiasInit(Normal(rng, 1))}
				if c.noBias {
					opts = append(opts, WithoutBias())
				}
				if c.fixed {
					opts = append(opts, WithFixedScale())
				}
				l := NewWNDense("wn", c.in, c.out, Normal(rng, 0.5), opts...)
				if l.Scale.Trainable == c.fixed || len(l.Params()) != 3-btoi(c.noBias) {
					t.Fatalf("wrong params")
				}
				randomize(l.Scale, rng, 0.5, 2)
				x := randTensor(rng, dt, c.n, c.in)
				var bv []float64
				if l.B != nil {
					bv = toFloat64s(l.B.Value)
				}
				v0 := toFloat64s(l.V.Value)
				want := wnRef(toFloat64s(x), v0, toFloat64s(l.Scale.Value), bv, c.n, c.in, c.out)
				y := runForward(t, l, Infer, x, nil)
				if d := maxAbsDiff(toFloat64s(y), want); d > tolFor(dt) {
					t.Errorf("forward differs by %g", d)
				}
				checkGrad(t, dt, gradTol(dt), func(b *Builder, in []*G.Node) (*G.Node, error) {
					return l.Forward(b, in[0])
				}, x)
				if d := maxAbsDiff(toFloat64s(l.V.Value), v0); d != 0 {
					t.Errorf("a run changed V")
				}
			})
		}
	}
}

func TestWNDenseInitFromData(t *testing.T) {
	for _, dt := range dtypes {
		for _, noBias := range []bool{false, true} {
			rng := newRNG(510)
			opts := []Option{WithDtype(dt)}
			if noBias {
				opts = append(opts, WithoutBias())
			}
			l := NewWNDense("wn", 6, 4, Normal(rng, 0.05), opts...)
			x := randTensor(rng, dt, 50, 6)
			for i := range 50 * 6 {
				setAt(x, i, 2+getAt(x, i))
			}
			got, err := l.InitFromData(x)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Shape().Eq(tensor.Shape{50, 4}) || got.Dtype() != dt {
				t.Fatalf("output %v %v", got.Shape(), got.Dtype())
			}
			y := toFloat64s(runForward(t, l, Infer, x, nil))
			if d := maxAbsDiff(y, toFloat64s(got)); d > tolFor(dt)*10 {
				t.Errorf("%v: returned output differs from the forward pass by %g", dt, d)
			}
			for j := 0; j < 4; j++ {
				m, v := 0.0, 0.0
				for i := 0; i < 50; i++ {
					m += y[i*4+j] / 50
				}
				for i := 0; i < 50; i++ {
					v += (y[i*4+j] - m) * (y[i*4+j] - m) / 50
				}
				if (!noBias && math.Abs(m) > 1e-4) || math.Abs(v-1) > 1e-4 {
					t.Errorf("%v bias=%v unit %d: mean %g var %g after data init", dt, !noBias, j, m, v)
				}
			}
		}
	}
	l := NewWNDense("wn", 3, 2, Ones)
	for i, x := range []*tensor.Dense{nil, Ones(tensor.Shape{4, 2}, tensor.Float32), Ones(tensor.Shape{12}, tensor.Float32)} {
		if _, err := l.InitFromData(x); err == nil {
			t.Errorf("%d: no error for bad data", i)
		}
	}
}

// Identical examples give outputs that differ only by rounding: each unit
// keeps its scale instead of dividing by that rounding error (issue 24,
// row 20: 200 identical rows made weights of about 1e16 and a NaN loss at
// the first step, blamed on the learning rate).
func TestWNDenseInitFromIdenticalRows(t *testing.T) {
	for _, dt := range dtypes {
		rng := newRNG(7)
		l := NewWNDense("wn", 3, 8, Normal(rng, 0.05), WithDtype(dt))
		before := toFloat64s(l.Scale.Value)
		x := tensor.New(tensor.WithShape(200, 3), tensor.Of(dt))
		for i := range 200 * 3 {
			setAt(x, i, []float64{0.1, 0.7, -0.3}[i%3])
		}
		if _, err := l.InitFromData(x); err != nil {
			t.Fatal(err)
		}
		after := toFloat64s(l.Scale.Value)
		if d := maxAbsDiff(before, after); d > 1e-12 {
			t.Errorf("%v: scales moved by %g on identical rows; want them kept", dt, d)
		}
		for _, b := range toFloat64s(l.B.Value) {
			if math.IsNaN(b) || math.Abs(b) > 10 {
				t.Errorf("%v: bias %g after identical rows", dt, b)
			}
		}
	}
}

// TestSequentialInitFromData initialises Salimans et al.'s discriminator
// shape: noise, WN layers with ReLU, and checks the hidden pre-activations.
func TestSequentialInitFromData(t *testing.T) {
	rng := newRNG(520)
	h1 := NewWNDense("d/h1", 8, 6, Normal(rng, 0.05), WithFixedScale())
	h2 := NewWNDense("d/h2", 6, 5, Normal(rng, 0.05), WithFixedScale())
	out := NewWNDense("d/out", 5, 3, Normal(rng, 0.05))
	seq := Sequential{GaussianNoise{Sigma: 0.3}, h1, ReLU{}, Dropout{P: 0.5}, h2, ReLU{}, out}
	x := randTensor(rng, tensor.Float32, 64, 8)
	y, err := seq.InitFromData(x)
	if err != nil {
		t.Fatal(err)
	}
	if !y.Shape().Eq(tensor.Shape{64, 3}) {
		t.Fatalf("shape %v", y.Shape())
	}
	ys := toFloat64s(y)
	for j := 0; j < 3; j++ {
		m := 0.0
		for i := 0; i < 64; i++ {
			m += ys[i*3+j] / 64
		}
		if math.Abs(m) > 1e-4 {
			t.Errorf("output unit %d: mean %g", j, m)
		}
	}
	// The Infer forward of the whole stack gives the same output.
	yi := toFloat64s(runForward(t, seq, Infer, x, nil))
	if d := maxAbsDiff(yi, ys); d > 1e-4 {
		t.Errorf("forward after data init differs by %g", d)
	}
}

func TestWNDenseErrors(t *testing.T) {
	l := NewWNDense("wn", 3, 2, Ones)
	for i, c := range []struct {
		dt    tensor.Dtype
		shape []int
	}{
		{tensor.Float32, []int{4, 2}},
		{tensor.Float32, []int{3}},
		{tensor.Float64, []int{4, 3}},
	} {
		if err := forwardErr(l, c.dt, Train, c.shape...); err == nil {
			t.Errorf("%d: no error for input %v %v", i, c.dt, c.shape)
		}
	}
	mustPanic(t, "in=0", func() { NewWNDense("wn", 0, 2, Ones) })
	mustPanic(t, "nil init", func() { NewWNDense("wn", 2, 2, nil) })
	mustPanic(t, "empty name", func() { NewWNDense("", 2, 2, Ones) })
}
