package layers

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// WNDense is a weight-normalised dense layer (Salimans & Kingma 2016):
//
//	y = x·W + b,  W[:,j] = g[j] · V[:,j] / ‖V[:,j]‖,
//
// for x of shape (N, In), V of shape (In, Out) and g, b of shape (Out). It is
// computed as (x·V) scaled per column by g/‖V‖, so W is never materialised.
// InitFromData performs the data-dependent initialisation of g and b. This
// is the layer of Salimans et al.'s (2016) MNIST discriminator, whose hidden
// layers keep g fixed (WithFixedScale) and whose output layer trains it.
type WNDense struct {
	Name    string // prefix of the parameter names
	In, Out int    // input and output units
	V       *Param // "<name>/V", (In, Out), direction
	Scale   *Param // "<name>/g", (Out), ones; not trainable if WithFixedScale
	B       *Param // "<name>/b", (Out); nil if WithoutBias
}

var (
	_ Layer           = (*WNDense)(nil)
	_ DataInitializer = (*WNDense)(nil)
)

// DataInitializer is implemented by layers with a data-dependent
// initialisation, such as WNDense, and by Sequential.
type DataInitializer interface {
	// InitFromData sets parameters from the values of an input batch x and
	// returns the layer's output for x with the new parameters.
	InitFromData(x *tensor.Dense) (*tensor.Dense, error)
}

// NewWNDense returns a weight-normalised dense layer from in to out units,
// with V drawn by init (Salimans et al. use Normal(rng, 0.05)), g = 1 and b
// from WithBiasInit (zeros by default). Options: WithDtype, WithoutBias,
// WithBiasInit, WithFixedScale.
//
// NewWNDense panics if name is empty, if in or out is not positive, if init
// is nil or if the dtype is not float32 or float64.
func NewWNDense(name string, in, out int, init Init, opts ...Option) *WNDense {
	mustName("NewWNDense", name)
	if in <= 0 || out <= 0 {
		panic(fmt.Sprintf("layers: NewWNDense %q: non-positive size %d×%d", name, in, out))
	}
	if init == nil {
		panic(fmt.Sprintf("layers: NewWNDense %q: nil initialiser", name))
	}
	o := buildOptions(opts)
	l := &WNDense{Name: name, In: in, Out: out}
	l.V = NewParam(name+"/V", tensor.Shape{in, out}, o.dtype, init, true)
	l.Scale = NewParam(name+"/g", tensor.Shape{out}, o.dtype, Ones, !o.fixedScale)
	if !o.noBias {
		l.B = NewParam(name+"/b", tensor.Shape{out}, o.dtype, o.biasInit, true)
	}
	return l
}

// Params returns V, g and, if present, b.
func (l *WNDense) Params() []*Param {
	ps := []*Param{l.V, l.Scale}
	if l.B != nil {
		ps = append(ps, l.B)
	}
	return ps
}

// Forward returns x·W + b. It fails if x is not (N, In) of the layer's dtype.
func (l *WNDense) Forward(b *Builder, x *G.Node) (*G.Node, error) {
	if err := checkInput(l.Name, x, l.V.Value.Dtype(), 2, 1, l.In); err != nil {
		return nil, err
	}
	v, err := b.Bind(l.V)
	if err != nil {
		return nil, err
	}
	g, err := b.Bind(l.Scale)
	if err != nil {
		return nil, err
	}
	u, err := matMul(x, v)
	if err != nil {
		return nil, fmt.Errorf("layers: %s: %w", l.Name, err)
	}
	s, err := G.ApplyOp(wnScaleOp{owned()}, v, g) // g/‖V‖ per column
	if err != nil {
		return nil, fmt.Errorf("layers: %s: %w", l.Name, err)
	}
	y, err := ScaleChannels(u, s)
	if err != nil {
		return nil, fmt.Errorf("layers: %s: %w", l.Name, err)
	}
	if l.B == nil {
		return y, nil
	}
	bb, err := b.Bind(l.B)
	if err != nil {
		return nil, err
	}
	return AddBias(y, bb)
}

// InitFromData is the data-dependent initialisation of Salimans & Kingma
// (2016): with t = x·W for the current W, it divides g by the per-unit
// standard deviation σ of t over the batch and sets b = −μ/σ (μ the per-unit
// mean), so that the layer's outputs on x have zero mean and unit variance
// per unit. It returns those outputs, (t − μ)/σ, of shape (N, Out) and the
// layer's dtype, so that a stack can be initialised layer after layer (apply
// the activation to the result before passing it on; Sequential's
// InitFromData does that).
//
// Without a bias only g is set and the output is t/σ. A unit with σ = 0 (or
// below 1e-6 of its mean's size, rounding error) keeps its g. x must have
// shape (N, In) with N ≥ 1 and dtype float32 or float64.
func (l *WNDense) InitFromData(x *tensor.Dense) (*tensor.Dense, error) {
	if x == nil || x.Dims() != 2 || x.Shape()[1] != l.In || x.Shape()[0] < 1 {
		var s tensor.Shape
		if x != nil {
			s = x.Shape()
		}
		return nil, fmt.Errorf("layers: %s: data init with input of shape %v, want (N, %d)", l.Name, s, l.In)
	}
	if dt := x.Dtype(); dt != tensor.Float32 && dt != tensor.Float64 {
		return nil, fmt.Errorf("layers: %s: data init with input of dtype %v", l.Name, dt)
	}
	n, in, out := x.Shape()[0], l.In, l.Out
	xs := toF64(x)
	vs := toF64(l.V.Value)
	gs := toF64(l.Scale.Value)
	// column scales g/‖V‖
	sc := make([]float64, out)
	for k := 0; k < in; k++ {
		for j := 0; j < out; j++ {
			sc[j] += vs[k*out+j] * vs[k*out+j]
		}
	}
	for j := range sc {
		sc[j] = gs[j] / math.Sqrt(sc[j])
	}
	t := make([]float64, n*out)
	parallelRange(n, n*in*out, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			row := t[i*out : (i+1)*out]
			for k := 0; k < in; k++ {
				xv := xs[i*in+k]
				if xv == 0 {
					continue
				}
				vr := vs[k*out : (k+1)*out]
				for j, v := range vr {
					row[j] += xv * v
				}
			}
			for j := range row {
				row[j] *= sc[j]
			}
		}
	})
	mean := make([]float64, out)
	sd := make([]float64, out)
	for i := 0; i < n; i++ {
		for j := 0; j < out; j++ {
			mean[j] += t[i*out+j] / float64(n)
		}
	}
	for i := 0; i < n; i++ {
		for j := 0; j < out; j++ {
			d := t[i*out+j] - mean[j]
			sd[j] += d * d / float64(n)
		}
	}
	for j := range sd {
		sd[j] = math.Sqrt(sd[j])
		// A spread that is rounding error (identical inputs, whose outputs
		// differ only in the last bits) counts as none: dividing by it
		// made weights of 1e16 and a NaN loss at the first step.
		if !(sd[j] > 1e-6*max(1, math.Abs(mean[j]))) || math.IsInf(sd[j], 0) {
			sd[j] = 1
		}
		gs[j] /= sd[j]
		if l.B == nil {
			mean[j] = 0
		}
	}
	for i := 0; i < n; i++ {
		for j := 0; j < out; j++ {
			t[i*out+j] = (t[i*out+j] - mean[j]) / sd[j]
		}
	}
	setF64(l.Scale.Value, gs)
	if l.B != nil {
		bs := make([]float64, out)
		for j := range bs {
			bs[j] = -mean[j] / sd[j]
		}
		setF64(l.B.Value, bs)
	}
	res := tensor.New(tensor.WithShape(n, out), tensor.Of(l.V.Value.Dtype()))
	setF64(res, t)
	return res, nil
}

// toF64 returns a float64 copy of the data of a float32 or float64 tensor.
func toF64(t *tensor.Dense) []float64 {
	switch d := t.Data().(type) {
	case []float64:
		return append([]float64(nil), d...)
	case []float32:
		out := make([]float64, len(d))
		for i, v := range d {
			out[i] = float64(v)
		}
		return out
	}
	return nil
}

// setF64 copies v into the data of a float32 or float64 tensor, in place.
func setF64(t *tensor.Dense, v []float64) {
	switch d := t.Data().(type) {
	case []float64:
		copy(d, v)
	case []float32:
		for i := range d {
			d[i] = float32(v[i])
		}
	}
}
