package layers

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Dense is a fully connected layer: y = x·W + b for x of shape (N, In),
// W of shape (In, Out) and b of shape (Out).
type Dense struct {
	Name    string // prefix of the parameter names
	In, Out int    // input and output units
	W       *Param // "<name>/W", (In, Out)
	B       *Param // "<name>/b", (Out); nil if built WithoutBias
}

var _ Layer = (*Dense)(nil)

// NewDense returns a dense layer named name from in to out units, with W
// drawn by init (for example GlorotUniform(rng, 1)) and b from WithBiasInit
// (zeros by default). Options: WithDtype, WithoutBias, WithBiasInit.
//
// NewDense panics if name is empty, if in or out is not positive, if init is
// nil or if the dtype is not float32 or float64.
func NewDense(name string, in, out int, init Init, opts ...Option) *Dense {
	mustName("NewDense", name)
	if in <= 0 || out <= 0 {
		panic(fmt.Sprintf("layers: NewDense %q: non-positive size %d×%d", name, in, out))
	}
	if init == nil {
		panic(fmt.Sprintf("layers: NewDense %q: nil initialiser", name))
	}
	o := buildOptions(opts)
	l := &Dense{Name: name, In: in, Out: out}
	l.W = NewParam(name+"/W", tensor.Shape{in, out}, o.dtype, init, true)
	if !o.noBias {
		l.B = NewParam(name+"/b", tensor.Shape{out}, o.dtype, o.biasInit, true)
	}
	return l
}

// Forward returns x·W + b. It fails if x is not (N, In) of the layer's dtype.
func (l *Dense) Forward(b *Builder, x *G.Node) (*G.Node, error) {
	if err := checkInput(l.Name, x, l.W.Value.Dtype(), 2, 1, l.In); err != nil {
		return nil, err
	}
	w, err := b.Bind(l.W)
	if err != nil {
		return nil, err
	}
	y, err := matMul(x, w)
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

// Params returns W and, if present, b.
func (l *Dense) Params() []*Param {
	if l.B == nil {
		return []*Param{l.W}
	}
	return []*Param{l.W, l.B}
}

// checkInput checks that x is a node of dtype dt with dims dimensions whose
// axis axis has size size (no size check if size is 0).
func checkInput(layer string, x *G.Node, dt tensor.Dtype, dims, axis, size int) error {
	if x == nil {
		return fmt.Errorf("layers: %s: nil input", layer)
	}
	s := x.Shape()
	if len(s) != dims {
		return fmt.Errorf("layers: %s: input of shape %v, want %d dimensions", layer, s, dims)
	}
	if size > 0 && s[axis] != size {
		return fmt.Errorf("layers: %s: input of shape %v, want size %d on axis %d", layer, s, size, axis)
	}
	if x.Dtype() != dt {
		return fmt.Errorf("layers: %s: input of dtype %v, want %v", layer, x.Dtype(), dt)
	}
	return nil
}

// mustName panics if a layer name is empty.
func mustName(ctor, name string) {
	if name == "" {
		panic("layers: " + ctor + ": empty name")
	}
}
