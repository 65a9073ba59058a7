package layers

import (
	"math"
	"testing"

	"gorgonia.org/tensor"
)

func TestFans(t *testing.T) {
	for _, c := range []struct {
		shape   tensor.Shape
		in, out int
	}{
		{tensor.Shape{}, 1, 1},
		{tensor.Shape{7}, 7, 7},
		{tensor.Shape{784, 500}, 784, 500},
		{tensor.Shape{64, 32, 5, 5}, 32 * 25, 64 * 25},
		{tensor.Shape{8, 3, 4}, 12, 32},
	} {
		if i, o := Fans(c.shape); i != c.in || o != c.out {
			t.Errorf("Fans(%v) = %d, %d, want %d, %d", c.shape, i, o, c.in, c.out)
		}
	}
}

// moments returns the mean and standard deviation of t's elements.
func moments(t *tensor.Dense) (mean, sd float64) {
	d := toFloat64s(t)
	for _, v := range d {
		mean += v / float64(len(d))
	}
	for _, v := range d {
		sd += (v - mean) * (v - mean) / float64(len(d))
	}
	return mean, math.Sqrt(sd)
}

func TestInitialisers(t *testing.T) {
	dense := tensor.Shape{300, 200}
	conv := tensor.Shape{64, 32, 3, 3}
	u := func(a float64) float64 { return a / math.Sqrt(3) } // sd of U[-a, a]
	cases := []struct {
		name   string
		mk     func(seed uint64) Init
		shape  tensor.Shape
		sd     float64
		bound  float64 // 0: unbounded
		center float64
	}{
		{"GlorotUniform", func(s uint64) Init { return GlorotUniform(newRNG(s), 1) }, dense, u(math.Sqrt(6.0 / 500)), math.Sqrt(6.0 / 500), 0},
		{"GlorotUniform gain 2 conv", func(s uint64) Init { return GlorotUniform(newRNG(s), 2) }, conv, u(2 * math.Sqrt(6.0/(96*9))), 2 * math.Sqrt(6.0/(96*9)), 0},
		{"GlorotNormal", func(s uint64) Init { return GlorotNormal(newRNG(s), 1) }, dense, math.Sqrt(2.0 / 500), 0, 0},
		{"HeNormal conv", func(s uint64) Init { return HeNormal(newRNG(s), 0) }, conv, math.Sqrt(2.0 / (32 * 9)), 0, 0},
		{"HeNormal leaky", func(s uint64) Init { return HeNormal(newRNG(s), 0.2) }, dense, math.Sqrt(2.0 / (1.04 * 300)), 0, 0},
		{"HeUniform", func(s uint64) Init { return HeUniform(newRNG(s), 0) }, dense, u(math.Sqrt(6.0 / 300)), math.Sqrt(6.0 / 300), 0},
		{"Normal", func(s uint64) Init { return Normal(newRNG(s), 0.02) }, dense, 0.02, 0, 0},
		{"Uniform", func(s uint64) Init { return Uniform(newRNG(s), 1, 3) }, dense, u(1), 3, 2},
	}
	for _, c := range cases {
		for _, dt := range dtypes {
			v := c.mk(1)(c.shape, dt)
			if !v.Shape().Eq(c.shape) || v.Dtype() != dt {
				t.Fatalf("%s: %v %v", c.name, v.Shape(), v.Dtype())
			}
			m, sd := moments(v)
			if math.Abs(m-c.center) > 0.05*c.sd+1e-3*math.Abs(c.center) || math.Abs(sd/c.sd-1) > 0.03 {
				t.Errorf("%s %v: mean %g sd %g, want %g and %g", c.name, dt, m, sd, c.center, c.sd)
			}
			if c.bound > 0 {
				for _, x := range toFloat64s(v) {
					if x > c.bound || x < 2*c.center-c.bound {
						t.Fatalf("%s: %g out of bounds", c.name, x)
					}
				}
			}
			// seeded: same seed, same values; float32 is float64 rounded
			if maxAbsDiff(toFloat64s(v), toFloat64s(c.mk(1)(c.shape, dt))) != 0 {
				t.Errorf("%s: not reproducible", c.name)
			}
			if d := maxAbsDiff(toFloat64s(c.mk(1)(c.shape, tensor.Float32)), toFloat64s(c.mk(1)(c.shape, tensor.Float64))); d > 1e-6 {
				t.Errorf("%s: float32 and float64 draws differ by %g", c.name, d)
			}
		}
	}
	for _, c := range []struct {
		init Init
		want float64
	}{{Zeros, 0}, {Ones, 1}, {Constant(2.5), 2.5}} {
		for _, v := range toFloat64s(c.init(tensor.Shape{3, 2}, tensor.Float32)) {
			if v != c.want {
				t.Errorf("constant init: %g, want %g", v, c.want)
			}
		}
	}
	mustPanic(t, "int dtype", func() { Zeros(tensor.Shape{2}, tensor.Int) })
}

func TestNewParam(t *testing.T) {
	p := NewParam("a/W", tensor.Shape{2, 3}, tensor.Float64, nil, true)
	if p.Name != "a/W" || !p.Trainable || p.Value.Dtype() != tensor.Float64 || !p.Value.Shape().Eq(tensor.Shape{2, 3}) {
		t.Errorf("bad param %+v", p)
	}
	if maxAbsDiff(toFloat64s(p.Value), make([]float64, 6)) != 0 {
		t.Errorf("nil init is not zeros")
	}
	mustPanic(t, "empty name", func() { NewParam("", tensor.Shape{2}, tensor.Float32, Ones, true) })
	mustPanic(t, "zero dim", func() { NewParam("p", tensor.Shape{2, 0}, tensor.Float32, Ones, true) })
	mustPanic(t, "dtype", func() { NewParam("p", tensor.Shape{2}, tensor.Int, Ones, true) })
	mustPanic(t, "bad init", func() {
		NewParam("p", tensor.Shape{2}, tensor.Float32, func(tensor.Shape, tensor.Dtype) *tensor.Dense {
			return Ones(tensor.Shape{3}, tensor.Float32)
		}, true)
	})
}
