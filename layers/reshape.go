package layers

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Reshape reshapes each example: an input of shape (N, ...) becomes
// (N, Shape...). The number of elements per example must not change. The
// output is a copy, never a view of the input (gorgonia's Reshape returns a
// view, which an in-place op downstream could write through).
type Reshape struct {
	Shape []int // per-example shape, every dimension positive
}

// Flatten reshapes an input of shape (N, d1, d2, ...) to (N, d1·d2·...).
type Flatten struct{}

var (
	_ Layer = Reshape{}
	_ Layer = Flatten{}
)

// Forward returns x reshaped to (N, Shape...). It fails if x has no batch
// dimension, if a dimension of Shape is not positive or if the sizes differ.
// b is not used and may be nil.
func (r Reshape) Forward(b *Builder, x *G.Node) (*G.Node, error) {
	if x == nil || x.Dims() < 1 {
		return nil, fmt.Errorf("layers: reshape: input without a batch dimension")
	}
	to := tensor.Shape{x.Shape()[0]}
	for _, d := range r.Shape {
		if d <= 0 {
			return nil, fmt.Errorf("layers: reshape: non-positive dimension in %v", r.Shape)
		}
		to = append(to, d)
	}
	return reshapeCopy(x, to)
}

// Forward returns x reshaped to (N, d1·d2·...). It fails if x has no batch
// dimension. b is not used and may be nil.
func (Flatten) Forward(b *Builder, x *G.Node) (*G.Node, error) {
	if x == nil || x.Dims() < 1 {
		return nil, fmt.Errorf("layers: flatten: input without a batch dimension")
	}
	s := x.Shape()
	return reshapeCopy(x, tensor.Shape{s[0], s.TotalSize() / s[0]})
}

// Params returns nil.
func (Reshape) Params() []*Param { return nil }

// Params returns nil.
func (Flatten) Params() []*Param { return nil }

func reshapeCopy(x *G.Node, to tensor.Shape) (*G.Node, error) {
	from := x.Shape().Clone()
	if from.TotalSize() != to.TotalSize() {
		return nil, fmt.Errorf("layers: reshape: cannot reshape %v to %v", from, to)
	}
	if from.Eq(to) {
		return x, nil
	}
	return G.ApplyOp(reshapeOp{pureOp: owned(), from: from, to: to}, x)
}

// reshapeOp copies a tensor into a new shape.
type reshapeOp struct {
	pureOp
	from, to tensor.Shape
}

func (op reshapeOp) String() string { return fmt.Sprintf("ReshapeCopy%v→%v", op.from, op.to) }
func (op reshapeOp) Arity() int     { return 1 }
func (op reshapeOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(tensorT(len(op.from), a), tensorT(len(op.to), a))
}
func (op reshapeOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok || !s.Eq(op.from) {
		return nil, fmt.Errorf("layers: %v: input of shape %v", op, in[0])
	}
	return op.to.Clone(), nil
}
func (op reshapeOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "layers.reshape{%v,%v}", op.from, op.to) }
func (op reshapeOp) Hashcode() uint32      { return hashOp(op) }

func (op reshapeOp) Do(vals ...G.Value) (G.Value, error) {
	ts, err := densesOf(op, vals, 1)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	if x.Shape().TotalSize() != op.to.TotalSize() {
		return nil, fmt.Errorf("layers: %v: input of shape %v", op, x.Shape())
	}
	out := op.uninit(x, op.to...)
	switch d := x.Data().(type) {
	case []float32:
		copy(out.Data().([]float32), d)
	case []float64:
		copy(out.Data().([]float64), d)
	}
	return out, nil
}

func (reshapeOp) DiffWRT(int) []bool { return []bool{true} }

func (op reshapeOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(reshapeOp{pureOp: owned(), from: op.to, to: op.from}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}
