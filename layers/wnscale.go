package layers

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// wnScaleOp computes the column scales of weight normalisation,
// (V (In, Out), g (Out)) → s (Out) with s[j] = g[j]/‖V[:,j]‖, in one pass
// over V and without materialising V² (gorgonia's Square + Sum + Sqrt +
// HadamardDiv chain and its gradient allocate four (In, Out) tensors).
//
// Its gradients are wnScaleGradOp: with n[j] = ‖V[:,j]‖,
//
//	dg[j]   = ds[j]/n[j]
//	dV[k,j] = −ds[j]·g[j]·V[k,j]/n[j]³.
type wnScaleOp struct{ pureOp }

func (wnScaleOp) String() string { return "WNScale" }
func (wnScaleOp) Arity() int     { return 2 }
func (wnScaleOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(tensorT(2, a), tensorT(1, a), tensorT(1, a))
}
func (op wnScaleOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	v, ok1 := in[0].(tensor.Shape)
	g, ok2 := in[1].(tensor.Shape)
	if !ok1 || !ok2 || len(v) != 2 || len(g) != 1 || g[0] != v[1] {
		return nil, fmt.Errorf("layers: WNScale: shapes %v and %v, want (In, Out) and (Out)", in[0], in[1])
	}
	return tensor.Shape{v[1]}, nil
}
func (wnScaleOp) WriteHash(h hash.Hash) { fmt.Fprint(h, "layers.wnScale") }
func (op wnScaleOp) Hashcode() uint32   { return hashOp(op) }

func (op wnScaleOp) Do(vals ...G.Value) (G.Value, error) {
	ts, err := densesOf(op, vals, 2)
	if err != nil {
		return nil, err
	}
	v, g := ts[0], ts[1]
	if v.Dims() != 2 || g.Shape().TotalSize() != v.Shape()[1] {
		return nil, fmt.Errorf("layers: WNScale: shapes %v and %v", v.Shape(), g.Shape())
	}
	in, out := v.Shape()[0], v.Shape()[1]
	res := op.like(v, out)
	switch vd := v.Data().(type) {
	case []float32:
		wnScaleKernel(vd, g.Data().([]float32), nil, res.Data().([]float32), nil, in, out)
	case []float64:
		wnScaleKernel(vd, g.Data().([]float64), nil, res.Data().([]float64), nil, in, out)
	}
	return res, nil
}

func (wnScaleOp) DiffWRT(int) []bool { return []bool{true, true} }

func (wnScaleOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	dv, err := G.ApplyOp(wnScaleGradOp{pureOp: owned(), wrtV: true}, inputs[0], inputs[1], grad)
	if err != nil {
		return nil, err
	}
	dg, err := G.ApplyOp(wnScaleGradOp{pureOp: owned()}, inputs[0], inputs[1], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dv, dg}, nil
}

// wnScaleGradOp is (V, g, ds) → dV (wrtV) or dg.
type wnScaleGradOp struct {
	pureOp
	wrtV bool
}

func (op wnScaleGradOp) String() string { return fmt.Sprintf("WNScaleGrad{V=%v}", op.wrtV) }
func (wnScaleGradOp) Arity() int        { return 3 }
func (op wnScaleGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	if op.wrtV {
		return hm.NewFnType(tensorT(2, a), tensorT(1, a), tensorT(1, a), tensorT(2, a))
	}
	return hm.NewFnType(tensorT(2, a), tensorT(1, a), tensorT(1, a), tensorT(1, a))
}
func (op wnScaleGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	v, ok := in[0].(tensor.Shape)
	if !ok || len(v) != 2 {
		return nil, fmt.Errorf("layers: %v: input of shape %v", op, in[0])
	}
	if op.wrtV {
		return v.Clone(), nil
	}
	return tensor.Shape{v[1]}, nil
}
func (op wnScaleGradOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "layers.wnScaleGrad{%v}", op.wrtV) }
func (op wnScaleGradOp) Hashcode() uint32      { return hashOp(op) }

func (op wnScaleGradOp) Do(vals ...G.Value) (G.Value, error) {
	ts, err := densesOf(op, vals, 3)
	if err != nil {
		return nil, err
	}
	v, g, ds := ts[0], ts[1], ts[2]
	if v.Dims() != 2 || g.Shape().TotalSize() != v.Shape()[1] || ds.Shape().TotalSize() != v.Shape()[1] {
		return nil, fmt.Errorf("layers: %v: shapes %v, %v, %v", op, v.Shape(), g.Shape(), ds.Shape())
	}
	in, out := v.Shape()[0], v.Shape()[1]
	var res *tensor.Dense
	if op.wrtV {
		res = op.like(v, in, out)
	} else {
		res = op.like(v, out)
	}
	switch vd := v.Data().(type) {
	case []float32:
		if op.wrtV {
			wnScaleKernel(vd, g.Data().([]float32), ds.Data().([]float32), nil, res.Data().([]float32), in, out)
		} else {
			wnScaleKernel(vd, g.Data().([]float32), ds.Data().([]float32), res.Data().([]float32), nil, in, out)
		}
	case []float64:
		if op.wrtV {
			wnScaleKernel(vd, g.Data().([]float64), ds.Data().([]float64), nil, res.Data().([]float64), in, out)
		} else {
			wnScaleKernel(vd, g.Data().([]float64), ds.Data().([]float64), res.Data().([]float64), nil, in, out)
		}
	}
	return res, nil
}

// wnScaleKernel computes the column norms n of v (in, out), then:
// with ds nil, vec[j] = g[j]/n[j] (forward); with ds and vec non-nil,
// vec[j] = ds[j]/n[j] (dg); with ds and mat non-nil,
// mat[k,j] = −ds[j]·g[j]·v[k,j]/n[j]³ (dV).
func wnScaleKernel[T floatT](v, g, ds, vec, mat []T, in, out int) {
	sq := make([]float64, out)
	for k := 0; k < in; k++ {
		row := v[k*out : (k+1)*out]
		for j, x := range row {
			sq[j] += float64(x) * float64(x)
		}
	}
	switch {
	case ds == nil:
		for j := range vec {
			vec[j] = T(float64(g[j]) / math.Sqrt(sq[j]))
		}
	case vec != nil:
		for j := range vec {
			vec[j] = T(float64(ds[j]) / math.Sqrt(sq[j]))
		}
	default:
		c := make([]T, out)
		for j := range c {
			n := math.Sqrt(sq[j])
			c[j] = T(-float64(ds[j]) * float64(g[j]) / (n * n * n))
		}
		for k := 0; k < in; k++ {
			row, dst := v[k*out:(k+1)*out], mat[k*out:(k+1)*out]
			for j, x := range row {
				dst[j] = c[j] * x
			}
		}
	}
}
