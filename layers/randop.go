package layers

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// randKind is what a randOp does with its random operand.
type randKind int

const (
	randMul randKind = iota // x ⊙ r: a dropout mask
	randAdd                 // x + r: additive noise
)

// randOp combines x elementwise with a random input r of the same shape
// (Dropout's mask, GaussianNoise's noise). r is data, not a parameter: it
// gets no gradient. It replaces gorgonia's HadamardProd and Add there
// because those allocate their result anew on every run.
type randOp struct {
	pureOp
	kind randKind
}

// applyRand returns the node x ⊙ r or x + r.
func applyRand(kind randKind, x, r *G.Node) (*G.Node, error) {
	if !x.Shape().Eq(r.Shape()) {
		return nil, fmt.Errorf("layers: random input of shape %v for input %v", r.Shape(), x.Shape())
	}
	return G.ApplyOp(randOp{pureOp: owned(), kind: kind}, x, r)
}

func (op randOp) String() string {
	if op.kind == randMul {
		return "MaskMul"
	}
	return "NoiseAdd"
}
func (op randOp) Arity() int { return 2 }
func (op randOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a, a)
}
func (op randOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("layers: %v: input shape %v is not a tensor.Shape", op, in[0])
	}
	return s.Clone(), nil
}
func (op randOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "layers.rand{%d}", op.kind) }
func (op randOp) Hashcode() uint32      { return hashOp(op) }

func (op randOp) Do(vals ...G.Value) (G.Value, error) {
	ts, err := densesOf(op, vals, 2)
	if err != nil {
		return nil, err
	}
	x, r := ts[0], ts[1]
	if r.Shape().TotalSize() != x.Shape().TotalSize() {
		return nil, fmt.Errorf("layers: %v: operands of shapes %v and %v", op, x.Shape(), r.Shape())
	}
	out := op.uninit(x, x.Shape()...)
	switch xd := x.Data().(type) {
	case []float32:
		randKernel(op.kind, xd, r.Data().([]float32), out.Data().([]float32))
	case []float64:
		randKernel(op.kind, xd, r.Data().([]float64), out.Data().([]float64))
	}
	return out, nil
}

func randKernel[T floatT](kind randKind, x, r, y []T) {
	parallelRange(len(x), len(x), func(lo, hi int) {
		xs, rs, ys := x[lo:hi], r[lo:hi], y[lo:hi]
		if kind == randMul {
			for i, v := range xs {
				ys[i] = v * rs[i]
			}
			return
		}
		for i, v := range xs {
			ys[i] = v + rs[i]
		}
	})
}

func (op randOp) DiffWRT(int) []bool { return []bool{true, false} }

// SymDiff: d(x ⊙ r)/dx = dy ⊙ r, d(x + r)/dx = dy.
func (op randOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if op.kind == randAdd {
		return G.Nodes{grad, nil}, nil
	}
	dx, err := G.ApplyOp(randOp{pureOp: owned(), kind: randMul}, grad, inputs[1])
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, nil}, nil
}

var _ G.SDOp = randOp{}
