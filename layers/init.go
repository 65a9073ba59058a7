package layers

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gorgonia.org/tensor"
)

// Init makes the initial value of a parameter: a new tensor of the given
// shape and dtype (tensor.Float32 or tensor.Float64). The initialisers of
// this package draw float64 values from an explicit *rand.Rand and round
// them to the dtype, so the same rng state gives the same numbers in both
// dtypes (up to float32 rounding). They panic on another dtype.
//
// Initialisers that depend on fan-in and fan-out read them from the shape
// with Fans.
type Init func(shape tensor.Shape, dt tensor.Dtype) *tensor.Dense

// Fans returns the fan-in and fan-out of a weight of the given shape, in the
// layouts of this package:
//
//   - 0-D: 1, 1;
//   - 1-D (n): n, n;
//   - 2-D dense weight (in, out): in, out;
//   - k-D convolution filter (Cout, Cin, k1, ..., k(k-2)) for k ≥ 3:
//     Cin·Πk, Cout·Πk, where Πk is the product of the kernel sizes.
//
// Note that the dense layout (in, out) is the transpose of PyTorch's
// (out, in), while the filter layout is PyTorch's.
func Fans(shape tensor.Shape) (fanIn, fanOut int) {
	switch len(shape) {
	case 0:
		return 1, 1
	case 1:
		return shape[0], shape[0]
	case 2:
		return shape[0], shape[1]
	}
	rf := 1
	for _, k := range shape[2:] {
		rf *= k
	}
	return shape[1] * rf, shape[0] * rf
}

// fill returns an Init that sets every element with draw().
func fill(draw func() float64) Init {
	return func(shape tensor.Shape, dt tensor.Dtype) *tensor.Dense {
		n := shape.TotalSize()
		switch dt {
		case tensor.Float64:
			d := make([]float64, n)
			for i := range d {
				d[i] = draw()
			}
			return tensor.New(tensor.WithShape(shape.Clone()...), tensor.WithBacking(d))
		case tensor.Float32:
			d := make([]float32, n)
			for i := range d {
				d[i] = float32(draw())
			}
			return tensor.New(tensor.WithShape(shape.Clone()...), tensor.WithBacking(d))
		}
		panic(fmt.Sprintf("layers: unsupported dtype %v (want float32 or float64)", dt))
	}
}

// fanInit returns an Init whose draw depends on the fans of the shape.
func fanInit(mk func(fanIn, fanOut int) func() float64) Init {
	return func(shape tensor.Shape, dt tensor.Dtype) *tensor.Dense {
		return fill(mk(Fans(shape)))(shape, dt)
	}
}

// Constant returns an Init that sets every element to v.
func Constant(v float64) Init { return fill(func() float64 { return v }) }

// Zeros sets every element to 0 (the usual bias initialiser).
func Zeros(shape tensor.Shape, dt tensor.Dtype) *tensor.Dense { return Constant(0)(shape, dt) }

// Ones sets every element to 1 (the usual scale initialiser).
func Ones(shape tensor.Shape, dt tensor.Dtype) *tensor.Dense { return Constant(1)(shape, dt) }

// Normal returns an Init drawing from N(0, std²) with rng.
// DCGAN's initialisation is Normal(rng, 0.02).
func Normal(rng *rand.Rand, std float64) Init {
	return fill(func() float64 { return std * rng.NormFloat64() })
}

// Uniform returns an Init drawing from U[lo, hi) with rng.
func Uniform(rng *rand.Rand, lo, hi float64) Init {
	return fill(func() float64 { return lo + (hi-lo)*rng.Float64() })
}

// GlorotUniform returns Glorot & Bengio's (2010) uniform initialiser:
// U[-a, a] with a = gain·sqrt(6/(fanIn+fanOut)), fans from Fans.
// gain is 1 for linear or tanh units. Unlike gorgonia.GlorotU it is seeded by
// rng.
func GlorotUniform(rng *rand.Rand, gain float64) Init {
	return fanInit(func(fi, fo int) func() float64 {
		a := gain * math.Sqrt(6/float64(fi+fo))
		return func() float64 { return a * (2*rng.Float64() - 1) }
	})
}

// GlorotNormal returns Glorot & Bengio's (2010) normal initialiser:
// N(0, σ²) with σ = gain·sqrt(2/(fanIn+fanOut)), fans from Fans.
func GlorotNormal(rng *rand.Rand, gain float64) Init {
	return fanInit(func(fi, fo int) func() float64 {
		s := gain * math.Sqrt(2/float64(fi+fo))
		return func() float64 { return s * rng.NormFloat64() }
	})
}

// HeNormal returns He et al.'s (2015) normal initialiser for a layer
// followed by a leaky ReLU of negative slope alpha (0 for ReLU):
// N(0, σ²) with σ = sqrt(2/((1+alpha²)·fanIn)), as PyTorch's kaiming_normal_
// in fan-in mode.
func HeNormal(rng *rand.Rand, alpha float64) Init {
	return fanInit(func(fi, _ int) func() float64 {
		s := math.Sqrt(2 / ((1 + alpha*alpha) * float64(fi)))
		return func() float64 { return s * rng.NormFloat64() }
	})
}

// HeUniform returns He et al.'s (2015) uniform initialiser for a layer
// followed by a leaky ReLU of negative slope alpha (0 for ReLU):
// U[-a, a] with a = sqrt(6/((1+alpha²)·fanIn)).
func HeUniform(rng *rand.Rand, alpha float64) Init {
	return fanInit(func(fi, _ int) func() float64 {
		a := math.Sqrt(6 / ((1 + alpha*alpha) * float64(fi)))
		return func() float64 { return a * (2*rng.Float64() - 1) }
	})
}

// NewParam returns a parameter named name whose value is init(shape, dt); a
// nil init means Zeros. Layers name their parameters "<layer name>/<param>",
// e.g. "disc/fc1/W".
//
// NewParam panics (programmer errors) if name is empty, if a dimension of
// shape is not positive, if dt is neither tensor.Float32 nor tensor.Float64,
// or if init returns a tensor of another shape or dtype.
func NewParam(name string, shape tensor.Shape, dt tensor.Dtype, init Init, trainable bool) *Param {
	if name == "" {
		panic("layers: NewParam: empty name")
	}
	for _, d := range shape {
		if d <= 0 {
			panic(fmt.Sprintf("layers: NewParam %q: non-positive dimension in shape %v", name, shape))
		}
	}
	if dt != tensor.Float32 && dt != tensor.Float64 {
		panic(fmt.Sprintf("layers: NewParam %q: unsupported dtype %v (want float32 or float64)", name, dt))
	}
	if init == nil {
		init = Zeros
	}
	v := init(shape.Clone(), dt)
	if v == nil || !v.Shape().Eq(shape) || v.Dtype() != dt {
		panic(fmt.Sprintf("layers: NewParam %q: initialiser returned a tensor of the wrong shape or dtype", name))
	}
	return &Param{Name: name, Value: v, Trainable: trainable}
}
