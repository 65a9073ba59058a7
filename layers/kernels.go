package layers

// Building blocks of the custom gorgonia ops of this file set (Dense,
// WNDense, BatchNorm, activations, LSE, Reshape): the op boilerplate, value
// checks, a parallel loop helper and the per-channel kernels.

import (
	"fmt"
	"hash"
	"hash/fnv"
	"runtime"
	"sync"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// floatT is the element type of the kernels.
type floatT interface{ ~float32 | ~float64 }

// pureOp holds the methods shared by every custom op here: each writes
// its result into an array of its own (outBuf), never into its inputs.
type pureOp struct {
	out *outBuf // the output's backing array, reused from run to run; nil allocates each time
}

// owned returns the pureOp of a new op node: one with its own output
// buffer.
func owned() pureOp { return pureOp{out: new(outBuf)} }

// like returns a zeroed tensor of the given shape with the dtype of x,
// backed by the op's own buffer (see outBuf).
func (p pureOp) like(x *tensor.Dense, shape ...int) *tensor.Dense {
	return p.out.like(x, shape...)
}

// uninit is like without the zeroing, for ops that write every element
// of their output (see outBuf.uninit).
func (p pureOp) uninit(x *tensor.Dense, shape ...int) *tensor.Dense {
	return p.out.uninit(x, shape...)
}

func (pureOp) ReturnsPtr() bool     { return false }
func (pureOp) CallsExtern() bool    { return false }
func (pureOp) OverwritesInput() int { return -1 }

// hashOp returns the fnv-32a hash of what w writes.
func hashOp(w interface{ WriteHash(hash.Hash) }) uint32 {
	h := fnv.New32a()
	w.WriteHash(h)
	return h.Sum32()
}

// tensorT returns the gorgonia type of a d-dimensional tensor of element
// type a.
func tensorT(d int, a hm.Type) hm.Type {
	if d == 0 {
		return a
	}
	return G.TensorType{Dims: d, Of: a}
}

// denseOf returns v as a contiguous *tensor.Dense of dtype float32 or float64.
func denseOf(op fmt.Stringer, v G.Value) (*tensor.Dense, error) {
	t, ok := v.(*tensor.Dense)
	if !ok || t == nil {
		return nil, fmt.Errorf("layers: %v: want *tensor.Dense, got %T", op, v)
	}
	if t.IsView() || !t.IsNativelyAccessible() {
		t = t.Materialize().(*tensor.Dense)
	}
	if dt := t.Dtype(); dt != tensor.Float32 && dt != tensor.Float64 {
		return nil, fmt.Errorf("layers: %v: unsupported dtype %v", op, dt)
	}
	return t, nil
}

// densesOf applies denseOf to every value and checks that they share a dtype.
func densesOf(op fmt.Stringer, vs []G.Value, arity int) ([]*tensor.Dense, error) {
	if len(vs) != arity {
		return nil, fmt.Errorf("layers: %v: got %d inputs, want %d", op, len(vs), arity)
	}
	out := make([]*tensor.Dense, len(vs))
	for i, v := range vs {
		t, err := denseOf(op, v)
		if err != nil {
			return nil, err
		}
		if i > 0 && t.Dtype() != out[0].Dtype() {
			return nil, fmt.Errorf("layers: %v: mixed dtypes %v and %v", op, out[0].Dtype(), t.Dtype())
		}
		out[i] = t
	}
	return out, nil
}

// outBuf is the backing array of one graph node's output, kept by its op
// and reused each time the graph runs, so that a training step does not
// leave its intermediate tensors behind as garbage (a TapeMachine's Reset
// forgets every value, so gorgonia's own preallocation never applies).
// Each run wraps the array in a new tensor header, so that whatever a
// later op does to the header (an in-place reshape, say) does not carry
// over. An op node's value is valid until its graph runs again: nothing
// reads a value across runs. One buffer belongs to one node: ops get
// theirs from owned() when the node is made, never by copying another
// node's op. A nil *outBuf allocates every time. ShareBuffers may point
// several nodes' buffers at one shared array (slot) instead.
type outBuf struct {
	data any
	slot *bufSlot
}

// like returns a zeroed tensor of the given shape with the dtype of x.
func (b *outBuf) like(x *tensor.Dense, shape ...int) *tensor.Dense {
	return b.tensor(x, true, shape...)
}

// uninit is like, for ops that write every element of their output: the
// tensor's values are whatever the array held before.
func (b *outBuf) uninit(x *tensor.Dense, shape ...int) *tensor.Dense {
	return b.tensor(x, false, shape...)
}

func (b *outBuf) tensor(x *tensor.Dense, zero bool, shape ...int) *tensor.Dense {
	if b == nil || len(shape) == 0 {
		return newLike(x, shape...)
	}
	n := tensor.Shape(shape).TotalSize()
	switch x.Dtype() {
	case tensor.Float32:
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(ownedArray[float32](b, n, zero)))
	case tensor.Float64:
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(ownedArray[float64](b, n, zero)))
	}
	return newLike(x, shape...)
}

// ownedSlice returns b's array as n zeroed values of type T, allocating it
// the first time (or when the size or type changes). A nil b allocates.
func ownedSlice[T floatT](b *outBuf, n int) []T { return ownedArray[T](b, n, true) }

// ownedArray is ownedSlice, which zeroes the values only if zero is set
// (or the array is new): for ops that overwrite every element.
func ownedArray[T floatT](b *outBuf, n int, zero bool) []T {
	if b == nil {
		return make([]T, n)
	}
	if sl := b.slot; sl != nil {
		s, ok := sl.data.([]T)
		if !ok || len(s) < max(n, sl.n) {
			s = make([]T, max(n, sl.n))
			sl.data = s
		}
		s = s[:n:n]
		if zero {
			clear(s)
		}
		return s
	}
	if s, ok := b.data.([]T); ok && len(s) == n {
		if zero {
			clear(s)
		}
		return s
	}
	s := make([]T, n)
	b.data = s
	return s
}

// newLike returns a new zeroed tensor of the given shape with the dtype of t.
func newLike(t *tensor.Dense, shape ...int) *tensor.Dense {
	return tensor.New(tensor.WithShape(shape...), tensor.Of(t.Dtype()))
}

// chanDims splits a shape (N, C, d2, d3, ...) into N, C and the product of
// the remaining dimensions. A 1-D shape (C) is N = 1.
func chanDims(s tensor.Shape) (n, c, inner int) {
	switch len(s) {
	case 0:
		return 1, 1, 1
	case 1:
		return 1, s[0], 1
	}
	inner = 1
	for _, d := range s[2:] {
		inner *= d
	}
	return s[0], s[1], inner
}

// parallelMin is the number of elements below which kernels run serially.
const parallelMin = 1 << 15

// parallelRange calls f on disjoint sub-ranges [lo, hi) covering [0, n),
// concurrently on up to GOMAXPROCS goroutines when work (the number of
// elements touched) is large enough, and serially otherwise.
func parallelRange(n, work int, f func(lo, hi int)) {
	w := runtime.GOMAXPROCS(0)
	if w > n {
		w = n
	}
	if work < parallelMin || w <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for k := 0; k < w; k++ {
		lo, hi := k*n/w, (k+1)*n/w
		if lo == hi {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, hi)
		}()
	}
	wg.Wait()
}

// addBiasKernel writes out[n,c,i] = x[n,c,i] + b[c].
func addBiasKernel[T floatT](x, b, out []T, n, c, inner int) {
	parallelRange(n, n*c*inner, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			for j := 0; j < c; j++ {
				bj := b[j]
				o := (i*c + j) * inner
				xs, os := x[o:o+inner], out[o:o+inner]
				for k, v := range xs {
					os[k] = v + bj
				}
			}
		}
	})
}

// scaleChanKernel writes out[n,c,i] = x[n,c,i]·s[c].
func scaleChanKernel[T floatT](x, s, out []T, n, c, inner int) {
	parallelRange(n, n*c*inner, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			for j := 0; j < c; j++ {
				sj := s[j]
				o := (i*c + j) * inner
				xs, os := x[o:o+inner], out[o:o+inner]
				for k, v := range xs {
					os[k] = v * sj
				}
			}
		}
	})
}

// chanSumKernel writes out[c] = Σ_{n,i} x[n,c,i], accumulating in float64.
func chanSumKernel[T floatT](x, out []T, n, c, inner int) {
	parallelRange(c, n*c*inner, func(lo, hi int) {
		acc := make([]float64, hi-lo)
		for i := 0; i < n; i++ {
			for j := lo; j < hi; j++ {
				o := (i*c + j) * inner
				s := 0.0
				for _, v := range x[o : o+inner] {
					s += float64(v)
				}
				acc[j-lo] += s
			}
		}
		for j := lo; j < hi; j++ {
			out[j] = T(acc[j-lo])
		}
	})
}

// chanDotKernel writes out[c] = Σ_{n,i} a[n,c,i]·b[n,c,i], accumulating in
// float64.
func chanDotKernel[T floatT](a, b, out []T, n, c, inner int) {
	parallelRange(c, n*c*inner, func(lo, hi int) {
		acc := make([]float64, hi-lo)
		for i := 0; i < n; i++ {
			for j := lo; j < hi; j++ {
				o := (i*c + j) * inner
				s := 0.0
				bs := b[o : o+inner]
				for k, v := range a[o : o+inner] {
					s += float64(v) * float64(bs[k])
				}
				acc[j-lo] += s
			}
		}
		for j := lo; j < hi; j++ {
			out[j] = T(acc[j-lo])
		}
	})
}

// chanOp is a per-channel op on x of shape (N, C, ...) (or (C) for kind
// chanSum with 1-D x):
//
//	chanAdd:   (x, b) → x + b[c]        (b of shape (C))
//	chanScale: (x, s) → x · s[c]        (s of shape (C))
//	chanSum:   (x)    → Σ_{n,...} x      of shape (C)
//	chanDot:   (x, y) → Σ_{n,...} x·y    of shape (C)
//
// chanAdd and chanScale are differentiable; chanSum and chanDot are the
// pieces of their gradients.
type chanOp struct {
	pureOp
	kind chanKind
	dims int // dimensions of x
}

type chanKind int

const (
	chanAdd chanKind = iota
	chanScale
	chanSum
	chanDot
)

var chanKindNames = [...]string{"ChanAdd", "ChanScale", "ChanSum", "ChanDot"}

func (op chanOp) String() string { return fmt.Sprintf("%s{%dD}", chanKindNames[op.kind], op.dims) }

func (op chanOp) Arity() int {
	if op.kind == chanSum {
		return 1
	}
	return 2
}

func (op chanOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	x, v := tensorT(op.dims, a), tensorT(1, a)
	switch op.kind {
	case chanAdd, chanScale:
		return hm.NewFnType(x, v, x)
	case chanSum:
		return hm.NewFnType(x, v)
	}
	return hm.NewFnType(x, x, v)
}

func (op chanOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if len(in) != op.Arity() {
		return nil, fmt.Errorf("layers: %v: got %d inputs, want %d", op, len(in), op.Arity())
	}
	xs, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("layers: %v: input shape %v is not a tensor.Shape", op, in[0])
	}
	if len(xs) != op.dims {
		return nil, fmt.Errorf("layers: %v: input of shape %v, want %d dimensions", op, xs, op.dims)
	}
	_, c, _ := chanDims(xs)
	switch op.kind {
	case chanAdd, chanScale:
		vs, ok := in[1].(tensor.Shape)
		if !ok || len(vs) != 1 || vs[0] != c {
			return nil, fmt.Errorf("layers: %v: per-channel operand of shape %v, want (%d)", op, in[1], c)
		}
		return xs.Clone(), nil
	case chanDot:
		ys, ok := in[1].(tensor.Shape)
		if !ok || !ys.Eq(xs) {
			return nil, fmt.Errorf("layers: %v: operands of shapes %v and %v", op, xs, in[1])
		}
	}
	return tensor.Shape{c}, nil
}

func (op chanOp) Do(vals ...G.Value) (G.Value, error) {
	ts, err := densesOf(op, vals, op.Arity())
	if err != nil {
		return nil, err
	}
	x := ts[0]
	n, c, inner := chanDims(x.Shape())
	if op.kind == chanAdd || op.kind == chanScale {
		if ts[1].Shape().TotalSize() != c {
			return nil, fmt.Errorf("layers: %v: per-channel operand of shape %v for input %v", op, ts[1].Shape(), x.Shape())
		}
		out := op.like(x, x.Shape()...)
		switch xd := x.Data().(type) {
		case []float32:
			if op.kind == chanAdd {
				addBiasKernel(xd, ts[1].Data().([]float32), out.Data().([]float32), n, c, inner)
			} else {
				scaleChanKernel(xd, ts[1].Data().([]float32), out.Data().([]float32), n, c, inner)
			}
		case []float64:
			if op.kind == chanAdd {
				addBiasKernel(xd, ts[1].Data().([]float64), out.Data().([]float64), n, c, inner)
			} else {
				scaleChanKernel(xd, ts[1].Data().([]float64), out.Data().([]float64), n, c, inner)
			}
		}
		return out, nil
	}
	if op.kind == chanDot && !ts[1].Shape().Eq(x.Shape()) {
		return nil, fmt.Errorf("layers: %v: operands of shapes %v and %v", op, x.Shape(), ts[1].Shape())
	}
	out := op.like(x, c)
	switch xd := x.Data().(type) {
	case []float32:
		if op.kind == chanSum {
			chanSumKernel(xd, out.Data().([]float32), n, c, inner)
		} else {
			chanDotKernel(xd, ts[1].Data().([]float32), out.Data().([]float32), n, c, inner)
		}
	case []float64:
		if op.kind == chanSum {
			chanSumKernel(xd, out.Data().([]float64), n, c, inner)
		} else {
			chanDotKernel(xd, ts[1].Data().([]float64), out.Data().([]float64), n, c, inner)
		}
	}
	return out, nil
}

func (op chanOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "layers.chan{%d,%d}", op.kind, op.dims) }
func (op chanOp) Hashcode() uint32      { return hashOp(op) }

func (op chanOp) DiffWRT(inputs int) []bool {
	d := make([]bool, inputs)
	if op.kind == chanAdd || op.kind == chanScale {
		for i := range d {
			d[i] = true
		}
	}
	return d
}

func (op chanOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	switch op.kind {
	case chanAdd:
		db, err := G.ApplyOp(chanOp{pureOp: owned(), kind: chanSum, dims: op.dims}, grad)
		if err != nil {
			return nil, err
		}
		return G.Nodes{grad, db}, nil
	case chanScale:
		dx, err := G.ApplyOp(chanOp{pureOp: owned(), kind: chanScale, dims: op.dims}, grad, inputs[1])
		if err != nil {
			return nil, err
		}
		ds, err := G.ApplyOp(chanOp{pureOp: owned(), kind: chanDot, dims: op.dims}, grad, inputs[0])
		if err != nil {
			return nil, err
		}
		return G.Nodes{dx, ds}, nil
	}
	return nil, fmt.Errorf("layers: %v is not differentiable", op)
}

// AddBias returns x + b with b added along axis 1: x has shape (N, C, ...)
// (for example (N, F) or (N, C, H, W)) and b has shape (C). Unlike
// gorgonia.BroadcastAdd it does not materialise the repeated b, and its
// gradient with respect to b is a direct per-channel sum.
func AddBias(x, b *G.Node) (*G.Node, error) {
	if x.Dims() < 2 || b.Dims() != 1 || b.Shape()[0] != x.Shape()[1] {
		return nil, fmt.Errorf("layers: AddBias: shapes %v and %v, want (N, C, ...) and (C)", x.Shape(), b.Shape())
	}
	return G.ApplyOp(chanOp{pureOp: owned(), kind: chanAdd, dims: x.Dims()}, x, b)
}

// ScaleChannels returns x · s with s multiplied along axis 1: x has shape
// (N, C, ...) and s has shape (C).
func ScaleChannels(x, s *G.Node) (*G.Node, error) {
	if x.Dims() < 2 || s.Dims() != 1 || s.Shape()[0] != x.Shape()[1] {
		return nil, fmt.Errorf("layers: ScaleChannels: shapes %v and %v, want (N, C, ...) and (C)", x.Shape(), s.Shape())
	}
	return G.ApplyOp(chanOp{pureOp: owned(), kind: chanScale, dims: x.Dims()}, x, s)
}
