package layers

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// LSE returns log Σ_k exp(x[n,k]) along axis 1 of x of shape (N, K), a
// vector of shape (N). It is computed stably as m + log Σ_k exp(x[n,k] − m)
// with m the row maximum, so logits of 1000 do not overflow; its gradient is
// the row softmax. Use it instead of gorgonia.LogSumExp, which computes a
// wrong value and fails on matrices.
func LSE(x *G.Node) (*G.Node, error) {
	if x == nil {
		return nil, fmt.Errorf("layers: LSE: nil input")
	}
	if x.Dims() != 2 {
		return nil, fmt.Errorf("layers: LSE: input of shape %v, want (N, K)", x.Shape())
	}
	if dt := x.Dtype(); dt != tensor.Float32 && dt != tensor.Float64 {
		return nil, fmt.Errorf("layers: LSE: input of dtype %v, want float32 or float64", dt)
	}
	return G.ApplyOp(lseOp{owned()}, x)
}

// lseOp is (N, K) → (N) log-sum-exp along axis 1.
type lseOp struct{ pureOp }

func (lseOp) String() string { return "LSE" }
func (lseOp) Arity() int     { return 1 }
func (lseOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(tensorT(2, a), tensorT(1, a))
}
func (op lseOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok || len(s) != 2 {
		return nil, fmt.Errorf("layers: LSE: input of shape %v, want (N, K)", in[0])
	}
	return tensor.Shape{s[0]}, nil
}
func (lseOp) WriteHash(h hash.Hash) { fmt.Fprint(h, "layers.lse") }
func (op lseOp) Hashcode() uint32   { return hashOp(op) }

func (op lseOp) Do(vals ...G.Value) (G.Value, error) {
	ts, err := densesOf(op, vals, 1)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	n, k := x.Shape()[0], x.Shape()[1]
	out := op.like(x, n)
	switch xd := x.Data().(type) {
	case []float32:
		lseRows(xd, out.Data().([]float32), n, k)
	case []float64:
		lseRows(xd, out.Data().([]float64), n, k)
	}
	return out, nil
}

func lseRows[T floatT](x, out []T, n, k int) {
	for i := 0; i < n; i++ {
		out[i] = T(lseRow(x[i*k : (i+1)*k]))
	}
}

// lseRow returns log Σ exp(r) computed with the max shift.
func lseRow[T floatT](r []T) float64 {
	m := math.Inf(-1)
	for _, v := range r {
		m = math.Max(m, float64(v))
	}
	if math.IsInf(m, 0) {
		return m
	}
	s := 0.0
	for _, v := range r {
		s += math.Exp(float64(v) - m)
	}
	return m + math.Log(s)
}

func (lseOp) DiffWRT(int) []bool { return []bool{true} }

func (lseOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(lseGradOp{owned()}, inputs[0], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

// lseGradOp is (x (N,K), dy (N)) → dy[n]·softmax(x)[n,k].
type lseGradOp struct{ pureOp }

func (lseGradOp) String() string { return "LSEGrad" }
func (lseGradOp) Arity() int     { return 2 }
func (lseGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(tensorT(2, a), tensorT(1, a), tensorT(2, a))
}
func (op lseGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok || len(s) != 2 {
		return nil, fmt.Errorf("layers: LSEGrad: input of shape %v, want (N, K)", in[0])
	}
	return s.Clone(), nil
}
func (lseGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, "layers.lseGrad") }
func (op lseGradOp) Hashcode() uint32   { return hashOp(op) }

func (op lseGradOp) Do(vals ...G.Value) (G.Value, error) {
	ts, err := densesOf(op, vals, 2)
	if err != nil {
		return nil, err
	}
	x, dy := ts[0], ts[1]
	n, k := x.Shape()[0], x.Shape()[1]
	if dy.Shape().TotalSize() != n {
		return nil, fmt.Errorf("layers: LSEGrad: gradient of shape %v for input %v", dy.Shape(), x.Shape())
	}
	out := op.like(x, n, k)
	switch xd := x.Data().(type) {
	case []float32:
		lseGradRows(xd, dy.Data().([]float32), out.Data().([]float32), n, k)
	case []float64:
		lseGradRows(xd, dy.Data().([]float64), out.Data().([]float64), n, k)
	}
	return out, nil
}

func lseGradRows[T floatT](x, dy, out []T, n, k int) {
	for i := 0; i < n; i++ {
		r := x[i*k : (i+1)*k]
		l := lseRow(r)
		g := float64(dy[i])
		for j, v := range r {
			out[i*k+j] = T(g * math.Exp(float64(v)-l))
		}
	}
}

// LogSoftmax returns x − LSE(x) along axis 1 of x of shape (N, K): the log
// of the row softmax, stable for any logits. Use it instead of
// gorgonia.LogSoftMax: gorgonia.org/tensor v0.9.24 shifts every row of a
// float32 matrix by a maximum that starts from the matrix's first element
// instead of the row's (softMaxLastDimF32), so a row whose first logit is
// far above the first row's overflows to NaN; it also starts a goroutine
// per row.
func LogSoftmax(x *G.Node) (*G.Node, error) {
	l, err := LSE(x)
	if err != nil {
		return nil, fmt.Errorf("layers: LogSoftmax: %w", err)
	}
	return G.BroadcastSub(x, l, nil, []byte{1})
}
