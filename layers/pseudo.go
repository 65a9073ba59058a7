package layers

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// PseudoLabels returns, for class logits x of shape (N, K), hard pseudo-labels
// of the same shape: row n is the one-hot vector of the most probable class
// of row n when that class's softmax probability is at least threshold,
// and a row of zeros otherwise (FixMatch, Sohn et al. 2020). The result is
// a constant of the graph: no gradient flows back into x, which is the
// stop-gradient that gorgonia lacks (a model's prediction on one view
// becomes the target of another view without being pulled towards it).
//
// Multiplying the result by a log-softmax and summing gives the masked
// cross-entropy; summing the result gives the number of rows kept.
func PseudoLabels(x *G.Node, threshold float64) (*G.Node, error) {
	if x == nil {
		return nil, fmt.Errorf("layers: PseudoLabels: nil input")
	}
	if x.Dims() != 2 {
		return nil, fmt.Errorf("layers: PseudoLabels: input of shape %v, want (N, K)", x.Shape())
	}
	if dt := x.Dtype(); dt != tensor.Float32 && dt != tensor.Float64 {
		return nil, fmt.Errorf("layers: PseudoLabels: input of dtype %v, want float32 or float64", dt)
	}
	if math.IsNaN(threshold) || threshold < 0 || threshold > 1 {
		return nil, fmt.Errorf("layers: PseudoLabels: threshold %v outside [0, 1]", threshold)
	}
	return G.ApplyOp(pseudoOp{pureOp: owned(), threshold: threshold}, x)
}

// pseudoOp is (N, K) logits → (N, K) masked one-hot targets; it has no
// gradient.
type pseudoOp struct {
	pureOp
	threshold float64
}

func (op pseudoOp) String() string { return fmt.Sprintf("PseudoLabels{%v}", op.threshold) }
func (pseudoOp) Arity() int        { return 1 }
func (pseudoOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(tensorT(2, a), tensorT(2, a))
}
func (op pseudoOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok || len(s) != 2 {
		return nil, fmt.Errorf("layers: PseudoLabels: input of shape %v, want (N, K)", in[0])
	}
	return s.Clone(), nil
}
func (op pseudoOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "layers.pseudo{%v}", op.threshold) }
func (op pseudoOp) Hashcode() uint32      { return hashOp(op) }

func (op pseudoOp) Do(vals ...G.Value) (G.Value, error) {
	ts, err := densesOf(op, vals, 1)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	n, k := x.Shape()[0], x.Shape()[1]
	out := op.like(x, n, k)
	switch xd := x.Data().(type) {
	case []float32:
		pseudoRows(xd, out.Data().([]float32), n, k, op.threshold)
	case []float64:
		pseudoRows(xd, out.Data().([]float64), n, k, op.threshold)
	}
	return out, nil
}

// pseudoRows writes the masked one-hot rows: the maximum's probability is
// exp(max − LSE(row)).
func pseudoRows[T floatT](x, out []T, n, k int, threshold float64) {
	for i := 0; i < n; i++ {
		r := x[i*k : (i+1)*k]
		best := 0
		for j := 1; j < k; j++ {
			if r[j] > r[best] {
				best = j
			}
		}
		o := out[i*k : (i+1)*k]
		clear(o)
		if p := math.Exp(float64(r[best]) - lseRow(r)); p >= threshold {
			o[best] = 1
		}
	}
}

// DiffWRT reports the input as not differentiable: the pseudo-labels are
// targets, constants of the graph.
func (pseudoOp) DiffWRT(int) []bool { return []bool{false} }

func (pseudoOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("layers: PseudoLabels has no gradient")
}

var _ G.SDOp = pseudoOp{}
