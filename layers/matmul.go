package layers

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// matMulOp is the matrix product op(A)·op(B) of two row-major matrices,
// where op transposes when the flag says so. It calls the same BLAS GEMM
// with the same arguments as gorgonia's Mul and its gradients (so the
// arithmetic is the same), but writes into an array it owns: gorgonia
// allocates the product anew on every run.
type matMulOp struct {
	pureOp
	transA, transB bool
}

// matMul returns the node x·w for matrices x (N, In) and w (In, Out).
func matMul(x, w *G.Node) (*G.Node, error) {
	if x.Dims() != 2 || w.Dims() != 2 || x.Shape()[1] != w.Shape()[0] {
		return nil, fmt.Errorf("layers: matrix product of shapes %v and %v", x.Shape(), w.Shape())
	}
	return G.ApplyOp(matMulOp{pureOp: owned()}, x, w)
}

func (op matMulOp) String() string {
	t := func(b bool) string {
		if b {
			return "ᵀ"
		}
		return ""
	}
	return fmt.Sprintf("MatMul(A%s·B%s)", t(op.transA), t(op.transB))
}
func (op matMulOp) Arity() int { return 2 }
func (op matMulOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(tensorT(2, a), tensorT(2, a), tensorT(2, a))
}

// dims returns m, n, k of op(A) (m,k) · op(B) (k,n) for A and B of the
// given (stored) shapes, and whether the inner sizes agree.
func (op matMulOp) dims(a, b tensor.Shape) (m, n, k int, ok bool) {
	if len(a) != 2 || len(b) != 2 {
		return 0, 0, 0, false
	}
	m, k = a[0], a[1]
	if op.transA {
		m, k = k, m
	}
	k2, n := b[0], b[1]
	if op.transB {
		k2, n = n, k2
	}
	return m, n, k, k == k2
}

func (op matMulOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	a, ok1 := in[0].(tensor.Shape)
	b, ok2 := in[1].(tensor.Shape)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("layers: %v: input shapes %v, %v", op, in[0], in[1])
	}
	m, n, _, ok := op.dims(a, b)
	if !ok {
		return nil, fmt.Errorf("layers: %v: shapes %v and %v do not multiply", op, a, b)
	}
	return tensor.Shape{m, n}, nil
}
func (op matMulOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "layers.matMul{%v,%v}", op.transA, op.transB)
}
func (op matMulOp) Hashcode() uint32 { return hashOp(op) }

func (op matMulOp) Do(vals ...G.Value) (G.Value, error) {
	ts, err := densesOf(op, vals, 2)
	if err != nil {
		return nil, err
	}
	for i, t := range ts {
		if t.RequiresIterator() {
			ts[i] = t.Materialize().(*tensor.Dense)
		}
	}
	a, b := ts[0], ts[1]
	m, n, k, ok := op.dims(a.Shape(), b.Shape())
	if !ok {
		return nil, fmt.Errorf("layers: %v: shapes %v and %v do not multiply", op, a.Shape(), b.Shape())
	}
	tA, tB := blas.NoTrans, blas.NoTrans
	if op.transA {
		tA = blas.Trans
	}
	if op.transB {
		tB = blas.Trans
	}
	// row-major: the leading dimension is the stored number of columns
	lda, ldb := a.Shape()[1], b.Shape()[1]
	if m == 0 || n == 0 || k == 0 {
		return op.like(a, m, n), nil
	}
	out := op.uninit(a, m, n) // beta = 0: the gemm writes every element and reads none
	bl := G.WhichBLAS()
	switch ad := a.Data().(type) {
	case []float32:
		bl.Sgemm(tA, tB, m, n, k, 1, ad, lda, b.Data().([]float32), ldb, 0, out.Data().([]float32), n)
	case []float64:
		bl.Dgemm(tA, tB, m, n, k, 1, ad, lda, b.Data().([]float64), ldb, 0, out.Data().([]float64), n)
	default:
		return nil, fmt.Errorf("layers: %v: unsupported dtype %v", op, a.Dtype())
	}
	return out, nil
}

func (op matMulOp) DiffWRT(int) []bool { return []bool{true, true} }

// SymDiff of y = x·w: dx = dy·wᵀ, dw = xᵀ·dy (the products gorgonia's Mul
// differentiates into).
func (op matMulOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if op.transA || op.transB {
		return nil, fmt.Errorf("layers: %v is not differentiable", op)
	}
	dx, err := G.ApplyOp(matMulOp{pureOp: owned(), transB: true}, grad, inputs[1])
	if err != nil {
		return nil, err
	}
	dw, err := G.ApplyOp(matMulOp{pureOp: owned(), transA: true}, inputs[0], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, dw}, nil
}

var _ G.SDOp = matMulOp{}
