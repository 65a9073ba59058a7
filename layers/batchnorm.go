package layers

import (
	"fmt"
	"hash"
	"math"
	"sync"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// BatchNorm normalises each channel (axis 1) of an input of shape (N, C) or
// (N, C, H, W) (any (N, C, ...)) and applies a learnable scale γ and shift
// β of shape (C):
//
//	y = γ·(x − μ)/sqrt(σ² + Eps) + β.
//
// In Train mode μ and σ² are the batch statistics (biased variance) and
// every run of the graph updates the running statistics, PyTorch's way:
//
//	running = (1 − Momentum)·running + Momentum·batch
//
// with the unbiased batch variance for RunningVar. In Infer mode μ and σ²
// are the running statistics and nothing is updated.
//
// The running statistics are Params (not trainable), so they are saved and
// restored with the weights. Every graph built from the layer updates the
// same running tensors: a layer run on two batches of a step (in one or
// several Train graphs) updates them once per batch. Updates are guarded by
// a mutex, but graphs that share a BatchNorm should not run concurrently
// anyway, since gorgonia binds values onto shared nodes.
//
// BatchNorm is written as custom ops; it does not use gorgonia.BatchNorm,
// whose train/eval mode is shared by every machine on a graph and whose
// mode switches reset the running statistics.
type BatchNorm struct {
	Name     string  // prefix of the parameter names
	C        int     // channels
	Momentum float64 // weight of the new batch, 0.1 by default
	Eps      float64 // added to the variance, 1e-5 by default

	Gamma       *Param // "<name>/gamma", (C), ones; not trainable if WithFixedScale
	Beta        *Param // "<name>/beta", (C), zeros; nil if WithoutBias
	RunningMean *Param // "<name>/running_mean", (C), zeros, not trainable
	RunningVar  *Param // "<name>/running_var", (C), ones, not trainable

	mu sync.Mutex // guards the running statistics
}

var _ Layer = (*BatchNorm)(nil)

// NewBatchNorm returns a batch normalisation layer over c channels, with
// Momentum 0.1 and Eps 1e-5. Options: WithDtype, WithFixedScale (γ fixed at
// 1), WithoutBias (no β), WithBiasInit (β's initialiser).
//
// NewBatchNorm panics if name is empty, if c is not positive or if the dtype
// is not float32 or float64.
func NewBatchNorm(name string, c int, opts ...Option) *BatchNorm {
	mustName("NewBatchNorm", name)
	if c <= 0 {
		panic(fmt.Sprintf("layers: NewBatchNorm %q: non-positive channel count %d", name, c))
	}
	o := buildOptions(opts)
	l := &BatchNorm{Name: name, C: c, Momentum: 0.1, Eps: 1e-5}
	s := tensor.Shape{c}
	l.Gamma = NewParam(name+"/gamma", s, o.dtype, Ones, !o.fixedScale)
	if !o.noBias {
		l.Beta = NewParam(name+"/beta", s, o.dtype, o.biasInit, true)
	}
	l.RunningMean = NewParam(name+"/running_mean", s, o.dtype, Zeros, false)
	l.RunningVar = NewParam(name+"/running_var", s, o.dtype, Ones, false)
	return l
}

// Params returns γ, β (if present), the running mean and the running
// variance.
func (l *BatchNorm) Params() []*Param {
	ps := []*Param{l.Gamma}
	if l.Beta != nil {
		ps = append(ps, l.Beta)
	}
	return append(ps, l.RunningMean, l.RunningVar)
}

// Forward normalises x of shape (N, C, ...) in b's mode. It fails if x has
// fewer than 2 dimensions, another channel count or dtype, if Eps is not
// positive or Momentum is outside [0, 1], or in Train mode if a channel has
// a single value (N·H·W = 1).
func (l *BatchNorm) Forward(b *Builder, x *G.Node) (*G.Node, error) {
	if b == nil || x == nil {
		return nil, fmt.Errorf("layers: %s: nil builder or input", l.Name)
	}
	s := x.Shape()
	if len(s) < 2 {
		return nil, fmt.Errorf("layers: %s: input of shape %v, want (N, %d, ...)", l.Name, s, l.C)
	}
	if err := checkInput(l.Name, x, l.Gamma.Value.Dtype(), len(s), 1, l.C); err != nil {
		return nil, err
	}
	if !(l.Eps > 0) || !(l.Momentum >= 0 && l.Momentum <= 1) {
		return nil, fmt.Errorf("layers: %s: Eps %g must be positive and Momentum %g in [0, 1]", l.Name, l.Eps, l.Momentum)
	}
	train := b.Mode() == Train
	if n, _, inner := chanDims(s); train && n*inner < 2 {
		return nil, fmt.Errorf("layers: %s: one value per channel in input of shape %v; batch statistics need more", l.Name, s)
	}
	gamma, err := b.Bind(l.Gamma)
	if err != nil {
		return nil, err
	}
	in := G.Nodes{x, gamma}
	if l.Beta != nil {
		beta, err := b.Bind(l.Beta)
		if err != nil {
			return nil, err
		}
		in = append(in, beta)
	}
	op := bnOp{pureOp: owned(), l: l, train: train, dims: len(s), hasBeta: l.Beta != nil, eps: l.Eps, momentum: l.Momentum}
	return G.ApplyOp(op, in...)
}

// bnOp is the forward op: (x, γ[, β]) → y.
type bnOp struct {
	pureOp
	l        *BatchNorm
	train    bool
	dims     int
	hasBeta  bool
	eps      float64
	momentum float64
}

func (op bnOp) String() string {
	return fmt.Sprintf("BatchNorm{%s,train=%v}", op.l.Name, op.train)
}
func (op bnOp) Arity() int {
	if op.hasBeta {
		return 3
	}
	return 2
}
func (op bnOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	x, v := tensorT(op.dims, a), tensorT(1, a)
	if op.hasBeta {
		return hm.NewFnType(x, v, v, x)
	}
	return hm.NewFnType(x, v, x)
}
func (op bnOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok || len(s) != op.dims {
		return nil, fmt.Errorf("layers: %v: bad input shape %v", op, in[0])
	}
	return s.Clone(), nil
}
func (op bnOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "layers.bn{%s,%p,%v,%d,%v,%v,%v}", op.l.Name, op.l, op.train, op.dims, op.hasBeta, op.eps, op.momentum)
}
func (op bnOp) Hashcode() uint32 { return hashOp(op) }

func (op bnOp) Do(vals ...G.Value) (G.Value, error) {
	ts, err := densesOf(op, vals, op.Arity())
	if err != nil {
		return nil, err
	}
	x := ts[0]
	n, c, inner := chanDims(x.Shape())
	if c != op.l.C || ts[1].Shape().TotalSize() != c {
		return nil, fmt.Errorf("layers: %v: input of shape %v", op, x.Shape())
	}
	out := op.like(x, x.Shape()...)
	switch xd := x.Data().(type) {
	case []float32:
		var beta []float32
		if op.hasBeta {
			beta = ts[2].Data().([]float32)
		}
		err = bnForward(op, xd, ts[1].Data().([]float32), beta, out.Data().([]float32), n, c, inner)
	case []float64:
		var beta []float64
		if op.hasBeta {
			beta = ts[2].Data().([]float64)
		}
		err = bnForward(op, xd, ts[1].Data().([]float64), beta, out.Data().([]float64), n, c, inner)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// runningStats returns the running statistics of l as slices of type T.
func runningStats[T floatT](l *BatchNorm) (mean, vari []T, err error) {
	m, ok1 := l.RunningMean.Value.Data().([]T)
	v, ok2 := l.RunningVar.Value.Data().([]T)
	if !ok1 || !ok2 || len(m) != l.C || len(v) != l.C {
		return nil, nil, fmt.Errorf("layers: %s: running statistics of dtype %v/%v and shape %v/%v do not match the input",
			l.Name, l.RunningMean.Value.Dtype(), l.RunningVar.Value.Dtype(), l.RunningMean.Value.Shape(), l.RunningVar.Value.Shape())
	}
	return m, v, nil
}

func bnForward[T floatT](op bnOp, x, gamma, beta, out []T, n, c, inner int) error {
	l := op.l
	mean := make([]float64, c)
	a := make([]float64, c)
	shift := make([]float64, c)
	if op.train {
		mu, vb := chanMoments(x, n, c, inner)
		m := float64(n * inner)
		l.mu.Lock()
		rm, rv, err := runningStats[T](l)
		if err != nil {
			l.mu.Unlock()
			return err
		}
		for j := 0; j < c; j++ {
			rm[j] = T((1-op.momentum)*float64(rm[j]) + op.momentum*mu[j])
			rv[j] = T((1-op.momentum)*float64(rv[j]) + op.momentum*vb[j]*m/(m-1))
		}
		l.mu.Unlock()
		for j := 0; j < c; j++ {
			mean[j] = mu[j]
			a[j] = float64(gamma[j]) / math.Sqrt(vb[j]+op.eps)
		}
	} else {
		l.mu.Lock()
		rm, rv, err := runningStats[T](l)
		if err == nil {
			for j := 0; j < c; j++ {
				mean[j] = float64(rm[j])
				a[j] = float64(gamma[j]) / math.Sqrt(float64(rv[j])+op.eps)
			}
		}
		l.mu.Unlock()
		if err != nil {
			return err
		}
	}
	if beta != nil {
		for j := range shift {
			shift[j] = float64(beta[j])
		}
	}
	chanAffine(x, nil, out, mean, nil, a, shift, n, c, inner)
	return nil
}

// chanMoments returns the per-channel mean and biased variance of x of
// layout (n, c, inner), in one pass with float64 accumulators shifted by
// each channel's first value.
func chanMoments[T floatT](x []T, n, c, inner int) (mean, vari []float64) {
	mean = make([]float64, c)
	vari = make([]float64, c)
	m := float64(n * inner)
	parallelRange(c, n*c*inner, func(lo, hi int) {
		s1 := make([]float64, hi-lo)
		s2 := make([]float64, hi-lo)
		for i := 0; i < n; i++ {
			for j := lo; j < hi; j++ {
				k := float64(x[j*inner])
				o := (i*c + j) * inner
				a, b := 0.0, 0.0
				for _, v := range x[o : o+inner] {
					d := float64(v) - k
					a += d
					b += d * d
				}
				s1[j-lo] += a
				s2[j-lo] += b
			}
		}
		for j := lo; j < hi; j++ {
			d := s1[j-lo] / m
			mean[j] = float64(x[j*inner]) + d
			vari[j] = math.Max(s2[j-lo]/m-d*d, 0)
		}
	})
	return mean, vari
}

// chanDyMoments returns, per channel, Σ dy and Σ dy·(x − mean).
func chanDyMoments[T floatT](x, dy []T, mean []float64, n, c, inner int) (sdy, sdyx []float64) {
	sdy = make([]float64, c)
	sdyx = make([]float64, c)
	parallelRange(c, n*c*inner, func(lo, hi int) {
		for i := 0; i < n; i++ {
			for j := lo; j < hi; j++ {
				mj := mean[j]
				o := (i*c + j) * inner
				a, b := 0.0, 0.0
				gs := dy[o : o+inner]
				for k, v := range x[o : o+inner] {
					g := float64(gs[k])
					a += g
					b += g * (float64(v) - mj)
				}
				sdy[j] += a
				sdyx[j] += b
			}
		}
	})
	return sdy, sdyx
}

// chanAffine writes, per channel j,
//
//	out = (x − mean[j])·a[j] + shift[j]                   if dy is nil,
//	out = dy·g[j] + (x − mean[j])·a[j] + shift[j]         otherwise.
func chanAffine[T floatT](x, dy, out []T, mean, g, a, shift []float64, n, c, inner int) {
	parallelRange(n, n*c*inner, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			for j := 0; j < c; j++ {
				o := (i*c + j) * inner
				mj, aj, sj := T(mean[j]), T(a[j]), T(shift[j])
				xs, os := x[o:o+inner], out[o:o+inner]
				if dy == nil {
					for k, v := range xs {
						os[k] = (v-mj)*aj + sj
					}
					continue
				}
				gj := T(g[j])
				gs := dy[o : o+inner]
				for k, v := range xs {
					os[k] = gs[k]*gj + (v-mj)*aj + sj
				}
			}
		}
	})
}

func (op bnOp) DiffWRT(inputs int) []bool {
	d := make([]bool, inputs)
	for i := range d {
		d[i] = true
	}
	return d
}

func (op bnOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	x, gamma := inputs[0], inputs[1]
	dx, err := G.ApplyOp(bnGradOp{pureOp: owned(), bn: op, wrtX: true}, x, gamma, grad)
	if err != nil {
		return nil, err
	}
	dg, err := G.ApplyOp(bnGradOp{pureOp: owned(), bn: op}, x, grad)
	if err != nil {
		return nil, err
	}
	ds := G.Nodes{dx, dg}
	if op.hasBeta {
		db, err := G.ApplyOp(chanOp{kind: chanSum, dims: op.dims}, grad)
		if err != nil {
			return nil, err
		}
		ds = append(ds, db)
	}
	return ds, nil
}

// bnGradOp is the gradient of bnOp: with wrtX, (x, γ, dy) → dx; otherwise
// (x, dy) → dγ of shape (C). Batch statistics are recomputed from x.
type bnGradOp struct {
	pureOp
	bn   bnOp
	wrtX bool
}

func (op bnGradOp) String() string {
	if op.wrtX {
		return op.bn.String() + "GradX"
	}
	return op.bn.String() + "GradGamma"
}
func (op bnGradOp) Arity() int {
	if op.wrtX {
		return 3
	}
	return 2
}
func (op bnGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	x, v := tensorT(op.bn.dims, a), tensorT(1, a)
	if op.wrtX {
		return hm.NewFnType(x, v, x, x)
	}
	return hm.NewFnType(x, x, v)
}
func (op bnGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok || len(s) != op.bn.dims {
		return nil, fmt.Errorf("layers: %v: bad input shape %v", op, in[0])
	}
	if op.wrtX {
		return s.Clone(), nil
	}
	return tensor.Shape{s[1]}, nil
}
func (op bnGradOp) WriteHash(h hash.Hash) {
	op.bn.WriteHash(h)
	fmt.Fprintf(h, "grad{%v}", op.wrtX)
}
func (op bnGradOp) Hashcode() uint32 { return hashOp(op) }

func (op bnGradOp) Do(vals ...G.Value) (G.Value, error) {
	ts, err := densesOf(op, vals, op.Arity())
	if err != nil {
		return nil, err
	}
	x, dy := ts[0], ts[len(ts)-1]
	if !dy.Shape().Eq(x.Shape()) {
		return nil, fmt.Errorf("layers: %v: gradient of shape %v for input %v", op, dy.Shape(), x.Shape())
	}
	n, c, inner := chanDims(x.Shape())
	var out *tensor.Dense
	if op.wrtX {
		out = op.like(x, x.Shape()...)
	} else {
		out = op.like(x, c)
	}
	switch xd := x.Data().(type) {
	case []float32:
		var gamma []float32
		if op.wrtX {
			gamma = ts[1].Data().([]float32)
		}
		err = bnBackward(op, xd, gamma, dy.Data().([]float32), out.Data().([]float32), n, c, inner)
	case []float64:
		var gamma []float64
		if op.wrtX {
			gamma = ts[1].Data().([]float64)
		}
		err = bnBackward(op, xd, gamma, dy.Data().([]float64), out.Data().([]float64), n, c, inner)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

func bnBackward[T floatT](op bnGradOp, x, gamma, dy, out []T, n, c, inner int) error {
	eps := op.bn.eps
	var mean, invstd []float64
	if op.bn.train {
		var vb []float64
		mean, vb = chanMoments(x, n, c, inner)
		invstd = make([]float64, c)
		for j := range invstd {
			invstd[j] = 1 / math.Sqrt(vb[j]+eps)
		}
	} else {
		l := op.bn.l
		l.mu.Lock()
		rm, rv, err := runningStats[T](l)
		if err == nil {
			mean, invstd = make([]float64, c), make([]float64, c)
			for j := 0; j < c; j++ {
				mean[j] = float64(rm[j])
				invstd[j] = 1 / math.Sqrt(float64(rv[j])+eps)
			}
		}
		l.mu.Unlock()
		if err != nil {
			return err
		}
	}
	if !op.wrtX {
		// dγ = Σ dy·(x − μ)·invstd
		_, sdyx := chanDyMoments(x, dy, mean, n, c, inner)
		for j := range out {
			out[j] = T(sdyx[j] * invstd[j])
		}
		return nil
	}
	g := make([]float64, c)
	for j := range g {
		g[j] = float64(gamma[j]) * invstd[j]
	}
	if !op.bn.train {
		// dx = dy·γ·invstd
		zero := make([]float64, c)
		chanAffine(x, dy, out, zero, g, zero, zero, n, c, inner)
		return nil
	}
	// dx = γ·invstd·(dy − Σdy/M − x̂·Σ(dy·x̂)/M), x̂ = (x − μ)·invstd
	sdy, sdyx := chanDyMoments(x, dy, mean, n, c, inner)
	m := float64(n * inner)
	a := make([]float64, c)
	shift := make([]float64, c)
	for j := range a {
		a[j] = -g[j] * invstd[j] * invstd[j] * sdyx[j] / m
		shift[j] = -g[j] * sdy[j] / m
	}
	chanAffine(x, dy, out, mean, g, a, shift, n, c, inner)
	return nil
}
