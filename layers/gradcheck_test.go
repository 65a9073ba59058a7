package layers

import (
	"fmt"
	"hash"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/chewxy/hm"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Finite-difference gradient checking, shared by every layer test in this
// package (conv layers included).
//
// Usage:
//
//	l := NewDense("fc", 3, 4, GlorotUniform(rng, 1), WithDtype(tensor.Float64))
//	checkGrad(t, tensor.Float64, 1e-6, func(b *Builder, in []*G.Node) (*G.Node, error) {
//		return l.Forward(b, in[0])
//	}, randTensor(rng, tensor.Float64, 2, 3))
//
// checkGrad builds, in Train mode, cost = Σ f(in...) ⊙ R with a fixed random
// R (f is build; in[i] is an input node bound to inputs[i]), computes the
// symbolic gradient of the cost with respect to every input and every
// trainable parameter that build bound through b (G.Grad + TapeMachine), and
// compares up to 16 elements per tensor with central differences
//
//	(cost(v+ε) − cost(v−ε)) / 2ε,  ε = 1e-6 for float64, 1e-2 for float32,
//
// failing when |analytic − numeric| / max(1, |analytic|, |numeric|) > tol.
// Use tol ≈ 1e-6 for float64 and ≈ 1e-2 for float32 (whose ε is large,
// so keep inputs away from kinks such as ReLU's at 0 by more than ε).
// Random inputs of b (dropout masks, noise) are filled once with a fixed
// seed and kept for all evaluations. The layer's parameters and inputs must
// have dtype dt; set the builder's dtype too (checkGrad does).
func checkGrad(t testing.TB, dt tensor.Dtype, tol float64, build func(b *Builder, in []*G.Node) (*G.Node, error), inputs ...*tensor.Dense) {
	t.Helper()
	checkGradOpts(t, gradOpts{dt: dt, tol: tol}, build, inputs...)
}

// gradOpts are the knobs of checkGradOpts; zero values mean the defaults of
// checkGrad.
type gradOpts struct {
	dt      tensor.Dtype
	tol     float64
	eps     float64 // 0: 1e-6 (float64) or 1e-2 (float32)
	mode    Mode    // Train by default
	samples int     // elements checked per tensor; 0: 16
	seed    uint64  // for R, the sample and the random inputs
}

func checkGradOpts(t testing.TB, o gradOpts, build func(b *Builder, in []*G.Node) (*G.Node, error), inputs ...*tensor.Dense) {
	t.Helper()
	if o.eps == 0 {
		o.eps = 1e-6
		if o.dt == tensor.Float32 {
			o.eps = 1e-2
		}
	}
	if o.samples == 0 {
		o.samples = 16
	}
	rng := rand.New(rand.NewPCG(o.seed, 0x9e3779b97f4a7c15))
	g := G.NewGraph()
	b := NewBuilder(g, o.mode).SetDtype(o.dt)
	in := make([]*G.Node, len(inputs))
	for i, v := range inputs {
		if v.Dtype() != o.dt {
			t.Fatalf("checkGrad: input %d has dtype %v, want %v", i, v.Dtype(), o.dt)
		}
		in[i] = G.NewTensor(g, o.dt, v.Dims(), G.WithShape(v.Shape().Clone()...),
			G.WithName(fmt.Sprintf("gc/in%d", i)), G.WithValue(v))
	}
	out, err := build(b, in)
	if err != nil {
		t.Fatalf("checkGrad: build: %v", err)
	}
	r := randTensor(rng, o.dt, out.Shape()...)
	rn := G.NewTensor(g, o.dt, r.Dims(), G.WithShape(r.Shape().Clone()...), G.WithName("gc/R"), G.WithValue(r))
	prod, err := G.HadamardProd(out, rn)
	if err != nil {
		t.Fatalf("checkGrad: cost: %v", err)
	}
	cost, err := G.Sum(prod)
	if err != nil {
		t.Fatalf("checkGrad: cost: %v", err)
	}
	var costV G.Value
	G.Read(cost, &costV)

	type target struct {
		name string
		node *G.Node
		val  *tensor.Dense
	}
	var targets []target
	for i, n := range in {
		targets = append(targets, target{fmt.Sprintf("input %d", i), n, inputs[i]})
	}
	for _, n := range b.Learnables() {
		var p *Param
		for q, m := range b.nodes {
			if m == n {
				p = q
			}
		}
		targets = append(targets, target{"param " + p.Name, n, p.Value})
	}
	wrt := make(G.Nodes, len(targets))
	for i, tg := range targets {
		wrt[i] = tg.node
	}
	if _, err := G.Grad(cost, wrt...); err != nil {
		t.Fatalf("checkGrad: Grad: %v", err)
	}
	m := G.NewTapeMachine(g, G.BindDualValues(wrt...))
	defer m.Close()
	b.FillRandom(rand.New(rand.NewPCG(o.seed+1, 7)))

	run := func() float64 {
		m.Reset()
		if err := m.RunAll(); err != nil {
			t.Fatalf("checkGrad: run: %v", err)
		}
		return scalarOf(t, costV)
	}
	for _, n := range wrt {
		if gv, err := n.Grad(); err == nil {
			if d, ok := gv.(*tensor.Dense); ok && d != nil {
				d.Zero()
			}
		}
	}
	run()
	grads := make([][]float64, len(targets))
	for i, tg := range targets {
		gv, err := tg.node.Grad()
		if err != nil {
			t.Fatalf("checkGrad: no gradient for %s: %v", tg.name, err)
		}
		grads[i] = toFloat64s(gv.(*tensor.Dense))
	}

	for i, tg := range targets {
		n := tg.val.Shape().TotalSize()
		idx := rng.Perm(n)
		if len(idx) > o.samples {
			idx = idx[:o.samples]
		}
		worst, worstAt := 0.0, -1
		var worstA, worstN float64
		for _, j := range idx {
			orig := getAt(tg.val, j)
			hi := setAt(tg.val, j, orig+o.eps)
			cp := run()
			lo := setAt(tg.val, j, orig-o.eps)
			cm := run()
			setAt(tg.val, j, orig)
			num := (cp - cm) / (hi - lo)
			a := grads[i][j]
			e := math.Abs(a-num) / math.Max(1, math.Max(math.Abs(a), math.Abs(num)))
			if e > worst || math.IsNaN(e) {
				worst, worstAt, worstA, worstN = e, j, a, num
			}
		}
		if worst > o.tol || math.IsNaN(worst) {
			t.Errorf("checkGrad %v: %s: element %d: analytic %.9g, numeric %.9g, error %.3g > tol %.3g",
				o.dt, tg.name, worstAt, worstA, worstN, worst, o.tol)
		}
	}
	run() // leave the values of the graph consistent with the unperturbed inputs
}

// scalarOf returns the float64 value of a scalar gorgonia value.
func scalarOf(t testing.TB, v G.Value) float64 {
	t.Helper()
	switch x := v.(type) {
	case *G.F64:
		return float64(*x)
	case *G.F32:
		return float64(*x)
	case *tensor.Dense:
		return toFloat64s(x)[0]
	}
	t.Fatalf("scalarOf: unexpected value %T", v)
	return 0
}

// getAt returns element i of the backing data of t as float64.
func getAt(t *tensor.Dense, i int) float64 {
	switch d := t.Data().(type) {
	case []float64:
		return d[i]
	case []float32:
		return float64(d[i])
	}
	panic("getAt: bad dtype")
}

// setAt sets element i of t to v (rounded to t's dtype) and returns the value
// actually stored.
func setAt(t *tensor.Dense, i int, v float64) float64 {
	switch d := t.Data().(type) {
	case []float64:
		d[i] = v
		return v
	case []float32:
		d[i] = float32(v)
		return float64(d[i])
	}
	panic("setAt: bad dtype")
}

// toFloat64s returns a float64 copy of the data of t.
func toFloat64s(t *tensor.Dense) []float64 {
	switch d := t.Data().(type) {
	case []float64:
		return append([]float64(nil), d...)
	case []float32:
		out := make([]float64, len(d))
		for i, v := range d {
			out[i] = float64(v)
		}
		return out
	case float64:
		return []float64{d}
	case float32:
		return []float64{float64(d)}
	}
	panic(fmt.Sprintf("toFloat64s: bad data %T", t.Data()))
}

// randTensor returns a tensor of the given dtype and shape filled with N(0,1)
// draws from rng.
func randTensor(rng *rand.Rand, dt tensor.Dtype, shape ...int) *tensor.Dense {
	return Normal(rng, 1)(tensor.Shape(shape), dt)
}

// awayFromZero returns a tensor with elements of magnitude in [lo, lo+1),
// random signs: inputs for checking functions with a kink at 0.
func awayFromZero(rng *rand.Rand, dt tensor.Dtype, lo float64, shape ...int) *tensor.Dense {
	return fill(func() float64 {
		v := lo + rng.Float64()
		if rng.IntN(2) == 0 {
			return -v
		}
		return v
	})(tensor.Shape(shape), dt)
}

// newRNG returns a deterministic rng for tests.
func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0xda3e39cb94b95bdb)) }

// mustPanic fails the test unless f panics.
func mustPanic(t *testing.T, name string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: no panic", name)
		}
	}()
	f()
}

// TestCheckGradSelf checks the checker on a gorgonia-only function whose
// gradient is known to be right, and that it notices a wrong one.
func TestCheckGradSelf(t *testing.T) {
	rng := newRNG(1)
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		tol := 1e-6
		if dt == tensor.Float32 {
			tol = 1e-2
		}
		p := NewParam("self/W", tensor.Shape{3, 2}, dt, Normal(rng, 1), true)
		checkGrad(t, dt, tol, func(b *Builder, in []*G.Node) (*G.Node, error) {
			w, err := b.Bind(p)
			if err != nil {
				return nil, err
			}
			y, err := G.Mul(in[0], w)
			if err != nil {
				return nil, err
			}
			return G.Tanh(y)
		}, randTensor(rng, dt, 4, 3))
	}
	// A wrong gradient must be reported.
	ft := &fakeT{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		checkGrad(ft, tensor.Float64, 1e-6, func(b *Builder, in []*G.Node) (*G.Node, error) {
			return G.ApplyOp(wrongGradOp{}, in[0])
		}, randTensor(rng, tensor.Float64, 2, 3))
	}()
	<-done
	if !ft.failed {
		t.Errorf("checkGrad did not notice a wrong gradient")
	}
}

// fakeT records failures of a checker under test.
type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Helper()                        {}
func (f *fakeT) Errorf(string, ...any)          { f.failed = true }
func (f *fakeT) Fatalf(format string, a ...any) { f.failed = true; runtime.Goexit() }

// wrongGradOp is the identity with a gradient twice too large.
type wrongGradOp struct{}

func (wrongGradOp) Arity() int    { return 1 }
func (wrongGradOp) Type() hm.Type { a := hm.TypeVariable('a'); return hm.NewFnType(a, a) }
func (wrongGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return in[0].(tensor.Shape).Clone(), nil
}
func (wrongGradOp) Do(v ...G.Value) (G.Value, error) {
	return v[0].(*tensor.Dense).Clone().(*tensor.Dense), nil
}
func (wrongGradOp) ReturnsPtr() bool      { return false }
func (wrongGradOp) CallsExtern() bool     { return false }
func (wrongGradOp) OverwritesInput() int  { return -1 }
func (wrongGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, "wrongGrad") }
func (wrongGradOp) Hashcode() uint32      { return 0x7a11 }
func (wrongGradOp) String() string        { return "wrongGrad" }
func (wrongGradOp) DiffWRT(int) []bool    { return []bool{true} }
func (wrongGradOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	d, err := G.Add(grad, grad)
	return G.Nodes{d}, err
}

// analyticGrads builds cost = Σ f(in...) ⊙ R like checkGrad (same seed, so
// the same R and random inputs for the same shapes) and returns the cost and
// the symbolic gradients, keyed "input i" and "param <name>", as float64.
func analyticGrads(t testing.TB, o gradOpts, build func(b *Builder, in []*G.Node) (*G.Node, error), inputs ...*tensor.Dense) (float64, map[string][]float64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(o.seed, 0x9e3779b97f4a7c15))
	g := G.NewGraph()
	b := NewBuilder(g, o.mode).SetDtype(o.dt)
	in := make([]*G.Node, len(inputs))
	for i, v := range inputs {
		in[i] = G.NewTensor(g, o.dt, v.Dims(), G.WithShape(v.Shape().Clone()...),
			G.WithName(fmt.Sprintf("gc/in%d", i)), G.WithValue(v))
	}
	out, err := build(b, in)
	if err != nil {
		t.Fatalf("analyticGrads: build: %v", err)
	}
	r := randTensor(rng, o.dt, out.Shape()...)
	rn := G.NewTensor(g, o.dt, r.Dims(), G.WithShape(r.Shape().Clone()...), G.WithName("gc/R"), G.WithValue(r))
	cost := G.Must(G.Sum(G.Must(G.HadamardProd(out, rn))))
	var costV G.Value
	G.Read(cost, &costV)
	names := map[*G.Node]string{}
	wrt := append(G.Nodes(nil), in...)
	for i, n := range in {
		names[n] = fmt.Sprintf("input %d", i)
	}
	for p, n := range b.nodes {
		if p.Trainable {
			names[n] = "param " + p.Name
			wrt = append(wrt, n)
		}
	}
	if _, err := G.Grad(cost, wrt...); err != nil {
		t.Fatalf("analyticGrads: Grad: %v", err)
	}
	m := G.NewTapeMachine(g, G.BindDualValues(wrt...))
	defer m.Close()
	b.FillRandom(rand.New(rand.NewPCG(o.seed+1, 7)))
	if err := m.RunAll(); err != nil {
		t.Fatalf("analyticGrads: run: %v", err)
	}
	grads := map[string][]float64{}
	for _, n := range wrt {
		gv, err := n.Grad()
		if err != nil {
			t.Fatalf("analyticGrads: no gradient for %s: %v", names[n], err)
		}
		grads[names[n]] = toFloat64s(gv.(*tensor.Dense))
	}
	return scalarOf(t, costV), grads
}

// compareDtypes checks the float32 code paths against float64: mk builds the
// same network (same seed) in a dtype, inputs are made in float64 and
// rounded to float32, and the float32 cost and gradients must match the
// float64 ones to tol relative to the largest gradient magnitude.
func compareDtypes(t *testing.T, mode Mode, tol float64, mk func(dt tensor.Dtype) Layer, inputs ...*tensor.Dense) {
	t.Helper()
	res := map[tensor.Dtype]map[string][]float64{}
	costs := map[tensor.Dtype]float64{}
	for _, dt := range dtypes {
		l := mk(dt)
		ins := make([]*tensor.Dense, len(inputs))
		for i, v := range inputs {
			ins[i] = tensor.New(tensor.WithShape(v.Shape().Clone()...), tensor.Of(dt))
			setF64(ins[i], toFloat64s(v))
		}
		costs[dt], res[dt] = analyticGrads(t, gradOpts{dt: dt, mode: mode, seed: 42}, func(b *Builder, in []*G.Node) (*G.Node, error) {
			return l.Forward(b, in[0])
		}, ins...)
	}
	if d := math.Abs(costs[tensor.Float32] - costs[tensor.Float64]); d > tol*math.Max(1, math.Abs(costs[tensor.Float64])) {
		t.Errorf("compareDtypes: costs %g (float32) and %g (float64)", costs[tensor.Float32], costs[tensor.Float64])
	}
	for name, g64 := range res[tensor.Float64] {
		g32, ok := res[tensor.Float32][name]
		if !ok {
			t.Errorf("compareDtypes: no float32 gradient for %s", name)
			continue
		}
		scale := 1e-3
		for _, v := range g64 {
			scale = math.Max(scale, math.Abs(v))
		}
		if d := maxAbsDiff(g32, g64) / scale; d > tol {
			t.Errorf("compareDtypes: %s: float32 gradient differs from float64 by %.3g (relative to max %g)", name, d, scale)
		}
	}
}
