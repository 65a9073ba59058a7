package layers

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/semigan/semigan/layers/internal/conv"
)

// Convolve returns the 2-D convolution of x (N,C,H,W) with the filter w
// (O,C,K,K), plus the bias b (O) if b is not nil: an (N,O,OH,OW) node with
//
//	OH = (H + 2·pad − K)/stride + 1, OW likewise,
//
// the semantics of PyTorch's conv2d (a cross-correlation, zero padding on
// every side). x, w and b must share one dtype, float32 or float64.
//
// Unlike gorgonia's Conv2d it is a single custom op: im2col buffers are
// multiplied by the filter with one BLAS gemm per chunk of samples, in
// parallel over the batch (runtime.GOMAXPROCS goroutines), with the bias
// fused and no transposes. It is differentiable with respect to x, w and b.
// The BLAS is gorgonia's current one (gorgonia.WhichBLAS), so building with
// the openblas tag, or calling gorgonia.Use, switches it to OpenBLAS.
//
// Convolve returns an error if a rank, a channel count or the bias length
// does not match, the kernel is not square, stride < 1, pad < 0, the
// dtypes differ or are not floating point, or the output would be empty.
func Convolve(x, w, b *G.Node, stride, pad int) (*G.Node, error) {
	if err := checkConvArgs("Convolve", x, w, b, stride, pad); err != nil {
		return nil, err
	}
	xs, ws := x.Shape(), w.Shape()
	if xs[1] != ws[1] {
		return nil, fmt.Errorf("layers: Convolve: input has %d channels, filter %v expects %d", xs[1], ws, ws[1])
	}
	if b != nil && b.Shape()[0] != ws[0] {
		return nil, fmt.Errorf("layers: Convolve: bias has length %d, want %d output channels", b.Shape()[0], ws[0])
	}
	if _, err := conv.NewGeom(xs[0], xs[1], xs[2], xs[3], ws[0], ws[2], stride, pad); err != nil {
		return nil, fmt.Errorf("layers: Convolve: input %v, filter %v, stride %d, pad %d: %w", xs, ws, stride, pad, err)
	}
	op := convOp{out: new(outBuf), kind: convForward, stride: stride, pad: pad, k: ws[2], bias: b != nil}
	return applyConv(op, x, w, b)
}

// ConvolveTranspose returns the 2-D transposed convolution of x (N,Cin,H,W)
// with the filter w (Cin,Cout,K,K), plus the bias b (Cout) if b is not nil:
// an (N,Cout,OH,OW) node with
//
//	OH = (H − 1)·stride − 2·pad + K + outPad, OW likewise,
//
// the semantics and the weight layout of PyTorch's conv_transpose2d (output
// padding adds rows and columns at the bottom and right). It is the gradient
// of Convolve with respect to its input: the output of Convolve with the same
// w, stride and pad on an (N,Cout,OH,OW) image has size (H,W). For example
// stride 2 doubles 7×7 to 14×14 with K=5, pad=2, outPad=1 or with K=4,
// pad=1, outPad=0.
//
// It is computed as one gemm wᵀ·x per chunk of samples followed by col2im,
// never by inserting zeros, in parallel over the batch, with the bias fused.
// Its gradients are a convolution of the output gradient (for x), a gemm of
// x with im2col of the output gradient (for w) and a sum (for b).
//
// ConvolveTranspose returns an error if a rank, a channel count or the bias
// length does not match, the kernel is not square, stride < 1, pad < 0,
// outPad is not in [0, stride), the dtypes differ or are not floating point,
// or the output would be empty.
func ConvolveTranspose(x, w, b *G.Node, stride, pad, outPad int) (*G.Node, error) {
	if err := checkConvArgs("ConvolveTranspose", x, w, b, stride, pad); err != nil {
		return nil, err
	}
	xs, ws := x.Shape(), w.Shape()
	if xs[1] != ws[0] {
		return nil, fmt.Errorf("layers: ConvolveTranspose: input has %d channels, filter %v expects %d", xs[1], ws, ws[0])
	}
	if b != nil && b.Shape()[0] != ws[1] {
		return nil, fmt.Errorf("layers: ConvolveTranspose: bias has length %d, want %d output channels", b.Shape()[0], ws[1])
	}
	if outPad < 0 || outPad >= stride {
		return nil, fmt.Errorf("layers: ConvolveTranspose: output padding %d not in [0, stride %d)", outPad, stride)
	}
	k := ws[2]
	oh := (xs[2]-1)*stride - 2*pad + k + outPad
	ow := (xs[3]-1)*stride - 2*pad + k + outPad
	if oh <= 0 || ow <= 0 {
		return nil, fmt.Errorf("layers: ConvolveTranspose: input %v, filter %v, stride %d, pad %d, output padding %d: empty output %dx%d",
			xs, ws, stride, pad, outPad, oh, ow)
	}
	g, err := conv.NewGeom(xs[0], ws[1], oh, ow, ws[0], k, stride, pad)
	if err == nil && (g.OH != xs[2] || g.OW != xs[3]) {
		err = fmt.Errorf("geometry mismatch %dx%d", g.OH, g.OW)
	}
	if err != nil {
		return nil, fmt.Errorf("layers: ConvolveTranspose: input %v, filter %v, stride %d, pad %d: %w", xs, ws, stride, pad, err)
	}
	op := convOp{out: new(outBuf), kind: convData, stride: stride, pad: pad, k: k, h: oh, w: ow, bias: b != nil}
	return applyConv(op, x, w, b)
}

// checkConvArgs checks what Convolve and ConvolveTranspose have in common.
func checkConvArgs(fn string, x, w, b *G.Node, stride, pad int) error {
	if x == nil || w == nil {
		return fmt.Errorf("layers: %s: nil input or filter", fn)
	}
	if x.Dims() != 4 {
		return fmt.Errorf("layers: %s: input must be 4-D (N,C,H,W), got shape %v", fn, x.Shape())
	}
	if w.Dims() != 4 {
		return fmt.Errorf("layers: %s: filter must be 4-D, got shape %v", fn, w.Shape())
	}
	if ws := w.Shape(); ws[2] != ws[3] {
		return fmt.Errorf("layers: %s: filter %v: only square kernels are supported", fn, ws)
	}
	if b != nil && b.Dims() != 1 {
		return fmt.Errorf("layers: %s: bias must be 1-D, got shape %v", fn, b.Shape())
	}
	if stride < 1 || pad < 0 {
		return fmt.Errorf("layers: %s: stride %d must be ≥ 1 and pad %d ≥ 0", fn, stride, pad)
	}
	dt := x.Dtype()
	if dt != tensor.Float32 && dt != tensor.Float64 {
		return fmt.Errorf("layers: %s: dtype %v (want float32 or float64)", fn, dt)
	}
	if w.Dtype() != dt || (b != nil && b.Dtype() != dt) {
		return fmt.Errorf("layers: %s: dtypes differ: input %v, filter %v", fn, dt, w.Dtype())
	}
	return nil
}

func applyConv(op convOp, x, w, b *G.Node) (*G.Node, error) {
	in := []*G.Node{x, w}
	if b != nil {
		in = append(in, b)
	}
	n, err := G.ApplyOp(op, in...)
	if err != nil {
		return nil, fmt.Errorf("layers: %v: %w", op, err)
	}
	return n, nil
}

// convKind selects one of the four passes of a convolution.
type convKind byte

const (
	// convForward: (x (N,C,H,W), w (O,C,K,K) [, b (O)]) → y (N,O,OH,OW).
	convForward convKind = iota
	// convData: (dy (N,O,OH,OW), w (O,C,K,K) [, b (C)]) → x (N,C,h,w):
	// the input gradient of convForward and the transposed convolution.
	convData
	// convFilter: (x (N,C,H,W), dy (N,O,OH,OW)) → dw (O,C,K,K).
	convFilter
	// convBias: dy (N,O,OH,OW) → db (O).
	convBias
)

// convOp is the gorgonia op of one pass of a 2-D convolution (see
// convKind). Every field is part of its hash.
type convOp struct {
	kind        convKind
	stride, pad int
	k           int  // kernel size
	h, w        int  // convData: the size of the image side it produces
	bias        bool // convForward, convData: a bias is the third input
	out         *outBuf
}

var _ G.SDOp = convOp{}

func (op convOp) Arity() int {
	switch op.kind {
	case convBias:
		return 1
	case convFilter:
		return 2
	}
	if op.bias {
		return 3
	}
	return 2
}

func (op convOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t4 := G.TensorType{Dims: 4, Of: a}
	switch op.kind {
	case convBias:
		return hm.NewFnType(t4, G.TensorType{Dims: 1, Of: a})
	case convFilter:
		return hm.NewFnType(t4, t4, t4)
	}
	if op.bias {
		return hm.NewFnType(t4, t4, G.TensorType{Dims: 1, Of: a}, t4)
	}
	return hm.NewFnType(t4, t4, t4)
}

// geom returns the geometry of the convolution behind the op, given the
// shapes of its inputs, and checks them.
func (op convOp) geom(in []tensor.Shape) (conv.Geom, error) {
	for i, s := range in {
		want := 4
		if i == 2 {
			want = 1
		}
		if len(s) != want {
			return conv.Geom{}, fmt.Errorf("%v: input %d has shape %v, want %d dimensions", op, i, s, want)
		}
	}
	var g conv.Geom
	var err error
	switch op.kind {
	case convForward:
		x, w := in[0], in[1]
		if w[1] != x[1] || w[2] != op.k || w[3] != op.k {
			return g, fmt.Errorf("%v: input %v and filter %v do not match", op, x, w)
		}
		g, err = conv.NewGeom(x[0], x[1], x[2], x[3], w[0], op.k, op.stride, op.pad)
		if err == nil && op.bias && in[2][0] != w[0] {
			err = fmt.Errorf("bias %v for %d channels", in[2], w[0])
		}
	case convData:
		dy, w := in[0], in[1]
		if w[0] != dy[1] || w[2] != op.k || w[3] != op.k {
			return g, fmt.Errorf("%v: input %v and filter %v do not match", op, dy, w)
		}
		g, err = conv.NewGeom(dy[0], w[1], op.h, op.w, w[0], op.k, op.stride, op.pad)
		if err == nil && (g.OH != dy[2] || g.OW != dy[3]) {
			err = fmt.Errorf("input %v does not fit output size %dx%d", dy, op.h, op.w)
		}
		if err == nil && op.bias && in[2][0] != w[1] {
			err = fmt.Errorf("bias %v for %d channels", in[2], w[1])
		}
	case convFilter:
		x, dy := in[0], in[1]
		g, err = conv.NewGeom(x[0], x[1], x[2], x[3], dy[1], op.k, op.stride, op.pad)
		if err == nil && (dy[0] != x[0] || g.OH != dy[2] || g.OW != dy[3]) {
			err = fmt.Errorf("input %v and output gradient %v do not match", x, dy)
		}
	case convBias:
		dy := in[0]
		g = conv.Geom{N: dy[0], O: dy[1], OH: dy[2], OW: dy[3]}
	}
	if err != nil {
		return g, fmt.Errorf("%v: %w", op, err)
	}
	return g, nil
}

func (op convOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if len(in) != op.Arity() {
		return nil, fmt.Errorf("%v: %d inputs, want %d", op, len(in), op.Arity())
	}
	shapes := make([]tensor.Shape, len(in))
	for i, d := range in {
		s, ok := d.(tensor.Shape)
		if !ok {
			return nil, fmt.Errorf("%v: input %d: expected a tensor.Shape, got %T", op, i, d)
		}
		shapes[i] = s
	}
	g, err := op.geom(shapes)
	if err != nil {
		return nil, err
	}
	switch op.kind {
	case convForward:
		return tensor.Shape{g.N, g.O, g.OH, g.OW}, nil
	case convData:
		return tensor.Shape{g.N, g.C, g.H, g.W}, nil
	case convFilter:
		return tensor.Shape{g.O, g.C, g.K, g.K}, nil
	}
	return tensor.Shape{g.O}, nil
}

func (op convOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != op.Arity() {
		return nil, fmt.Errorf("%v: %d inputs, want %d", op, len(vals), op.Arity())
	}
	ts := make([]*tensor.Dense, len(vals))
	shapes := make([]tensor.Shape, len(vals))
	for i, v := range vals {
		t, ok := v.(*tensor.Dense)
		if !ok {
			return nil, fmt.Errorf("%v: input %d is a %T, want *tensor.Dense", op, i, v)
		}
		if t.RequiresIterator() {
			t = t.Materialize().(*tensor.Dense)
		}
		ts[i], shapes[i] = t, t.Shape()
	}
	g, err := op.geom(shapes)
	if err != nil {
		return nil, err
	}
	switch ts[0].Dtype() {
	case tensor.Float32:
		return doConv[float32](op, g, ts)
	case tensor.Float64:
		return doConv[float64](op, g, ts)
	}
	return nil, fmt.Errorf("%v: unsupported dtype %v", op, ts[0].Dtype())
}

// doConv runs the pass of op on the inputs ts, whose shapes g was built from.
func doConv[T conv.Float](op convOp, g conv.Geom, ts []*tensor.Dense) (G.Value, error) {
	in := make([][]T, len(ts))
	for i, t := range ts {
		d, ok := t.Data().([]T)
		if !ok {
			return nil, fmt.Errorf("%v: input %d has dtype %v, input 0 %v", op, i, t.Dtype(), ts[0].Dtype())
		}
		in[i] = d[:t.Shape().TotalSize()]
	}
	var bias []T
	if len(in) == 3 {
		bias = in[2]
	}
	bl := G.WhichBLAS()
	// Every pass writes all of its output, so the array is not zeroed.
	var shape tensor.Shape
	var out []T
	switch op.kind {
	case convForward:
		shape = tensor.Shape{g.N, g.O, g.OH, g.OW}
		out = ownedArray[T](op.out, shape.TotalSize(), false)
		conv.Forward(bl, g, in[0], in[1], bias, out)
	case convData:
		shape = tensor.Shape{g.N, g.C, g.H, g.W}
		out = ownedArray[T](op.out, shape.TotalSize(), false)
		conv.BackwardData(bl, g, in[0], in[1], bias, out)
	case convFilter:
		shape = tensor.Shape{g.O, g.C, g.K, g.K}
		out = ownedArray[T](op.out, shape.TotalSize(), false)
		conv.BackwardFilter(bl, g, in[0], in[1], out)
	case convBias:
		shape = tensor.Shape{g.O}
		out = ownedArray[T](op.out, g.O, false)
		conv.BiasGrad(g.N, g.O, g.L(), in[0], out)
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(out)), nil
}

func (op convOp) ReturnsPtr() bool     { return false }
func (op convOp) CallsExtern() bool    { return false }
func (op convOp) OverwritesInput() int { return -1 }

func (op convOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "semigan/conv{kind=%d stride=%d pad=%d k=%d h=%d w=%d bias=%t}",
		op.kind, op.stride, op.pad, op.k, op.h, op.w, op.bias)
}

func (op convOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

func (op convOp) String() string {
	switch op.kind {
	case convForward:
		return fmt.Sprintf("Convolve{k=%d,s=%d,p=%d,bias=%t}", op.k, op.stride, op.pad, op.bias)
	case convData:
		return fmt.Sprintf("ConvolveTranspose{k=%d,s=%d,p=%d,out=%dx%d,bias=%t}", op.k, op.stride, op.pad, op.h, op.w, op.bias)
	case convFilter:
		return fmt.Sprintf("ConvFilterGrad{k=%d,s=%d,p=%d}", op.k, op.stride, op.pad)
	}
	return "ConvBiasGrad"
}

// DiffWRT: the forward passes are differentiable in every input; the
// gradient-only passes are not differentiated.
func (op convOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	if op.kind == convForward || op.kind == convData {
		for i := range d {
			d[i] = true
		}
	}
	return d
}

func (op convOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != op.Arity() {
		return nil, fmt.Errorf("%v: SymDiff: %d inputs, want %d", op, len(inputs), op.Arity())
	}
	x, w := inputs[0], inputs[1]
	var dx, dw, db *G.Node
	var err error
	switch op.kind {
	case convForward:
		xs := x.Shape()
		dataOp := convOp{out: new(outBuf), kind: convData, stride: op.stride, pad: op.pad, k: op.k, h: xs[2], w: xs[3]}
		if dx, err = G.ApplyOp(dataOp, grad, w); err != nil {
			return nil, err
		}
		if dw, err = G.ApplyOp(convOp{out: new(outBuf), kind: convFilter, stride: op.stride, pad: op.pad, k: op.k}, x, grad); err != nil {
			return nil, err
		}
	case convData:
		// y = col2im(wᵀ·x): x's gradient is the convolution of dy; w's is
		// dy's im2col against x, i.e. the filter gradient of that
		// convolution with dy as its image.
		if dx, err = G.ApplyOp(convOp{out: new(outBuf), kind: convForward, stride: op.stride, pad: op.pad, k: op.k}, grad, w); err != nil {
			return nil, err
		}
		if dw, err = G.ApplyOp(convOp{out: new(outBuf), kind: convFilter, stride: op.stride, pad: op.pad, k: op.k}, grad, x); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%v is not differentiable", op)
	}
	if !op.bias {
		return G.Nodes{dx, dw}, nil
	}
	if db, err = G.ApplyOp(convOp{out: new(outBuf), kind: convBias}, grad); err != nil {
		return nil, err
	}
	return G.Nodes{dx, dw, db}, nil
}
