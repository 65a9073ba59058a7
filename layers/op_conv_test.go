package layers

import (
	"fmt"
	"math"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// convRefForward is a direct nested-loop convolution: x (N,C,H,W), w
// (O,C,K,K), b (O) or nil.
func convRefForward(x, w, b []float64, n, c, h, wd, o, k, s, p int) (y []float64, oh, ow int) {
	oh, ow = (h+2*p-k)/s+1, (wd+2*p-k)/s+1
	y = make([]float64, n*o*oh*ow)
	for in := 0; in < n; in++ {
		for oc := 0; oc < o; oc++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					var sum float64
					if b != nil {
						sum = b[oc]
					}
					for ic := 0; ic < c; ic++ {
						for ki := 0; ki < k; ki++ {
							for kj := 0; kj < k; kj++ {
								yy, xx := i*s-p+ki, j*s-p+kj
								if yy >= 0 && yy < h && xx >= 0 && xx < wd {
									sum += x[((in*c+ic)*h+yy)*wd+xx] * w[((oc*c+ic)*k+ki)*k+kj]
								}
							}
						}
					}
					y[((in*o+oc)*oh+i)*ow+j] = sum
				}
			}
		}
	}
	return y, oh, ow
}

// convRefTranspose is a direct scatter-add transposed convolution with
// PyTorch semantics: x (N,Cin,H,W), w (Cin,Cout,K,K), b (Cout) or nil.
func convRefTranspose(x, w, b []float64, n, cin, h, wd, cout, k, s, p, op int) (y []float64, oh, ow int) {
	oh, ow = (h-1)*s-2*p+k+op, (wd-1)*s-2*p+k+op
	y = make([]float64, n*cout*oh*ow)
	for in := 0; in < n; in++ {
		for oc := 0; oc < cout; oc++ {
			for i := 0; i < oh*ow; i++ {
				if b != nil {
					y[(in*cout+oc)*oh*ow+i] = b[oc]
				}
			}
		}
		for ic := 0; ic < cin; ic++ {
			for i := 0; i < h; i++ {
				for j := 0; j < wd; j++ {
					v := x[((in*cin+ic)*h+i)*wd+j]
					for oc := 0; oc < cout; oc++ {
						for ki := 0; ki < k; ki++ {
							for kj := 0; kj < k; kj++ {
								yy, xx := i*s-p+ki, j*s-p+kj
								if yy >= 0 && yy < oh && xx >= 0 && xx < ow {
									y[((in*cout+oc)*oh+yy)*ow+xx] += v * w[((ic*cout+oc)*k+ki)*k+kj]
								}
							}
						}
					}
				}
			}
		}
	}
	return y, oh, ow
}

// convRun builds f on fresh input nodes bound to vals, runs it forward and
// returns a float64 copy of the output and its shape.
func convRun(t *testing.T, f func(in []*G.Node) (*G.Node, error), vals ...*tensor.Dense) ([]float64, tensor.Shape) {
	t.Helper()
	g := G.NewGraph()
	in := make([]*G.Node, len(vals))
	for i, v := range vals {
		if v == nil {
			continue
		}
		in[i] = G.NewTensor(g, v.Dtype(), v.Dims(), G.WithShape(v.Shape().Clone()...),
			G.WithName(fmt.Sprintf("in%d", i)), G.WithValue(v))
	}
	out, err := f(in)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatalf("run: %v", err)
	}
	d := out.Value().(*tensor.Dense)
	return toFloat64s(d), d.Shape().Clone()
}

func convMaxRelDiff(got, want []float64) float64 {
	var m float64
	for i := range want {
		m = math.Max(m, math.Abs(got[i]-want[i])/(1+math.Abs(want[i])))
	}
	return m
}

var convDtypes = []struct {
	dt  tensor.Dtype
	tol float64
}{{tensor.Float64, 1e-12}, {tensor.Float32, 2e-5}}

func TestConvolveForward(t *testing.T) {
	cases := []struct{ n, c, h, w, o, k, s, p int }{
		{1, 1, 5, 5, 1, 3, 1, 0},
		{2, 3, 7, 7, 4, 3, 1, 1},
		{3, 2, 9, 8, 5, 5, 2, 2},
		{2, 3, 8, 8, 2, 4, 2, 1},
		{4, 2, 7, 5, 3, 5, 2, 0},
		{5, 4, 6, 7, 3, 3, 2, 1},
		{2, 2, 5, 5, 3, 2, 1, 2},
		{3, 1, 3, 3, 2, 5, 1, 2}, // kernel larger than the image
		{6, 2, 11, 11, 2, 3, 3, 1},
	}
	rng := newRNG(11)
	for ci, tc := range cases {
		for _, d := range convDtypes {
			for _, withBias := range []bool{false, true} {
				name := fmt.Sprintf("case %d %+v %v bias=%t", ci, tc, d.dt, withBias)
				x := randTensor(rng, d.dt, tc.n, tc.c, tc.h, tc.w)
				w := randTensor(rng, d.dt, tc.o, tc.c, tc.k, tc.k)
				var b *tensor.Dense
				var bv []float64
				if withBias {
					b = randTensor(rng, d.dt, tc.o)
					bv = toFloat64s(b)
				}
				want, oh, ow := convRefForward(toFloat64s(x), toFloat64s(w), bv, tc.n, tc.c, tc.h, tc.w, tc.o, tc.k, tc.s, tc.p)
				got, shape := convRun(t, func(in []*G.Node) (*G.Node, error) {
					return Convolve(in[0], in[1], in[2], tc.s, tc.p)
				}, x, w, b)
				if !shape.Eq(tensor.Shape{tc.n, tc.o, oh, ow}) {
					t.Errorf("%s: shape %v, want (%d,%d,%d,%d)", name, shape, tc.n, tc.o, oh, ow)
					continue
				}
				if e := convMaxRelDiff(got, want); e > d.tol {
					t.Errorf("%s: max rel diff %g > %g", name, e, d.tol)
				}
			}
		}
	}
}

func TestConvolveTransposeForward(t *testing.T) {
	cases := []struct{ n, cin, h, w, cout, k, s, p, op int }{
		{2, 3, 7, 7, 2, 5, 2, 2, 1}, // 7→14
		{2, 2, 7, 7, 3, 4, 2, 1, 0}, // 7→14
		{3, 2, 4, 5, 3, 3, 1, 1, 0},
		{2, 3, 3, 3, 2, 3, 2, 0, 1},
		{1, 1, 5, 4, 1, 5, 2, 2, 0},
		{4, 2, 3, 4, 2, 3, 3, 1, 2},
		{2, 2, 6, 6, 4, 2, 2, 0, 0},
		{3, 2, 5, 5, 2, 5, 1, 2, 0},
		{5, 3, 1, 1, 2, 4, 1, 0, 0}, // 1×1 → 4×4
	}
	rng := newRNG(12)
	for ci, tc := range cases {
		for _, d := range convDtypes {
			for _, withBias := range []bool{false, true} {
				name := fmt.Sprintf("case %d %+v %v bias=%t", ci, tc, d.dt, withBias)
				x := randTensor(rng, d.dt, tc.n, tc.cin, tc.h, tc.w)
				w := randTensor(rng, d.dt, tc.cin, tc.cout, tc.k, tc.k)
				var b *tensor.Dense
				var bv []float64
				if withBias {
					b = randTensor(rng, d.dt, tc.cout)
					bv = toFloat64s(b)
				}
				want, oh, ow := convRefTranspose(toFloat64s(x), toFloat64s(w), bv, tc.n, tc.cin, tc.h, tc.w, tc.cout, tc.k, tc.s, tc.p, tc.op)
				got, shape := convRun(t, func(in []*G.Node) (*G.Node, error) {
					return ConvolveTranspose(in[0], in[1], in[2], tc.s, tc.p, tc.op)
				}, x, w, b)
				if !shape.Eq(tensor.Shape{tc.n, tc.cout, oh, ow}) {
					t.Errorf("%s: shape %v, want (%d,%d,%d,%d)", name, shape, tc.n, tc.cout, oh, ow)
					continue
				}
				if e := convMaxRelDiff(got, want); e > d.tol {
					t.Errorf("%s: max rel diff %g > %g", name, e, d.tol)
				}
			}
		}
	}
}

// Gradient tolerances for checkGrad: float64 with ε = 1e-6 and float32 with
// ε = 1e-2 (the convolution is linear in each argument, so the float32
// error is rounding only).
var convGradTols = []struct {
	dt  tensor.Dtype
	tol float64
}{{tensor.Float64, 1e-6}, {tensor.Float32, 1e-2}}

func TestConvolveGrad(t *testing.T) {
	cases := []struct{ n, c, h, w, o, k, s, p int }{
		{2, 3, 8, 8, 4, 5, 2, 2},
		{2, 2, 7, 6, 3, 3, 1, 1},
		{3, 2, 7, 7, 2, 4, 2, 1},
		{2, 2, 5, 5, 2, 2, 3, 0},
	}
	rng := newRNG(13)
	for ci, tc := range cases {
		for _, d := range convGradTols {
			for _, withBias := range []bool{false, true} {
				wp := NewParam(fmt.Sprintf("cg%d/W", ci), tensor.Shape{tc.o, tc.c, tc.k, tc.k}, d.dt, Normal(rng, 1), true)
				var bp *Param
				if withBias {
					bp = NewParam(fmt.Sprintf("cg%d/B", ci), tensor.Shape{tc.o}, d.dt, Normal(rng, 1), true)
				}
				t.Run(fmt.Sprintf("case%d/%v/bias=%t", ci, d.dt, withBias), func(t *testing.T) {
					checkGrad(t, d.dt, d.tol, func(b *Builder, in []*G.Node) (*G.Node, error) {
						w, err := b.Bind(wp)
						if err != nil {
							return nil, err
						}
						var bn *G.Node
						if bp != nil {
							if bn, err = b.Bind(bp); err != nil {
								return nil, err
							}
						}
						return Convolve(in[0], w, bn, tc.s, tc.p)
					}, randTensor(rng, d.dt, tc.n, tc.c, tc.h, tc.w))
				})
			}
		}
	}
}

func TestConvolveTransposeGrad(t *testing.T) {
	cases := []struct{ n, cin, h, w, cout, k, s, p, op int }{
		{2, 3, 4, 4, 2, 5, 2, 2, 1},
		{2, 2, 4, 3, 3, 4, 2, 1, 0},
		{2, 2, 3, 3, 2, 3, 1, 1, 0},
		{3, 2, 3, 2, 2, 3, 3, 0, 2},
	}
	rng := newRNG(14)
	for ci, tc := range cases {
		for _, d := range convGradTols {
			for _, withBias := range []bool{false, true} {
				wp := NewParam(fmt.Sprintf("ctg%d/W", ci), tensor.Shape{tc.cin, tc.cout, tc.k, tc.k}, d.dt, Normal(rng, 1), true)
				var bp *Param
				if withBias {
					bp = NewParam(fmt.Sprintf("ctg%d/B", ci), tensor.Shape{tc.cout}, d.dt, Normal(rng, 1), true)
				}
				t.Run(fmt.Sprintf("case%d/%v/bias=%t", ci, d.dt, withBias), func(t *testing.T) {
					checkGrad(t, d.dt, d.tol, func(b *Builder, in []*G.Node) (*G.Node, error) {
						w, err := b.Bind(wp)
						if err != nil {
							return nil, err
						}
						var bn *G.Node
						if bp != nil {
							if bn, err = b.Bind(bp); err != nil {
								return nil, err
							}
						}
						return ConvolveTranspose(in[0], w, bn, tc.s, tc.p, tc.op)
					}, randTensor(rng, d.dt, tc.n, tc.cin, tc.h, tc.w))
				})
			}
		}
	}
}

// TestConvolveChainGrad checks a conv → transposed conv → conv chain, so
// that the gradient ops also see gradients computed by other custom ops.
func TestConvolveChainGrad(t *testing.T) {
	rng := newRNG(15)
	dt := tensor.Float64
	w1 := NewParam("chain/W1", tensor.Shape{3, 2, 3, 3}, dt, Normal(rng, 1), true)
	w2 := NewParam("chain/W2", tensor.Shape{3, 2, 4, 4}, dt, Normal(rng, 1), true)
	b2 := NewParam("chain/B2", tensor.Shape{2}, dt, Normal(rng, 1), true)
	w3 := NewParam("chain/W3", tensor.Shape{2, 2, 3, 3}, dt, Normal(rng, 1), true)
	checkGrad(t, dt, 1e-6, func(b *Builder, in []*G.Node) (*G.Node, error) {
		n1, _ := b.Bind(w1)
		n2, _ := b.Bind(w2)
		nb, _ := b.Bind(b2)
		n3, _ := b.Bind(w3)
		h, err := Convolve(in[0], n1, nil, 2, 1) // 6×6 → 3×3
		if err != nil {
			return nil, err
		}
		h, err = ConvolveTranspose(h, n2, nb, 2, 1, 0) // 3×3 → 6×6
		if err != nil {
			return nil, err
		}
		h, err = G.Tanh(h)
		if err != nil {
			return nil, err
		}
		return Convolve(h, n3, nil, 1, 1)
	}, randTensor(rng, dt, 2, 2, 6, 6))
}

func TestConvolveErrors(t *testing.T) {
	g := G.NewGraph()
	f32 := tensor.Float32
	node := func(name string, dt tensor.Dtype, shape ...int) *G.Node {
		return G.NewTensor(g, dt, len(shape), G.WithShape(shape...), G.WithName(name))
	}
	x := node("x", f32, 2, 3, 8, 8)
	x3 := node("x3", f32, 3, 8, 8)
	x64 := node("x64", tensor.Float64, 2, 3, 8, 8)
	w := node("w", f32, 4, 3, 3, 3)
	wRect := node("wRect", f32, 4, 3, 3, 2)
	wBig := node("wBig", f32, 4, 3, 11, 11)
	w3 := node("w3", f32, 4, 3, 9)
	wt := node("wt", f32, 3, 4, 4, 4)
	b4 := node("b4", f32, 4)
	b5 := node("b5", f32, 5)
	b2d := node("b2d", f32, 1, 4)
	cases := []struct {
		name string
		f    func() (*G.Node, error)
		want string
	}{
		{"rank of x", func() (*G.Node, error) { return Convolve(x3, w, nil, 1, 0) }, "4-D"},
		{"rank of w", func() (*G.Node, error) { return Convolve(x, w3, nil, 1, 0) }, "4-D"},
		{"non-square kernel", func() (*G.Node, error) { return Convolve(x, wRect, nil, 1, 0) }, "square"},
		{"channels", func() (*G.Node, error) { return Convolve(x, wt, nil, 1, 0) }, "channels"},
		{"bias length", func() (*G.Node, error) { return Convolve(x, w, b5, 1, 0) }, "bias"},
		{"bias rank", func() (*G.Node, error) { return Convolve(x, w, b2d, 1, 0) }, "bias"},
		{"stride 0", func() (*G.Node, error) { return Convolve(x, w, nil, 0, 0) }, "stride"},
		{"negative pad", func() (*G.Node, error) { return Convolve(x, w, nil, 1, -1) }, "pad"},
		{"empty output", func() (*G.Node, error) { return Convolve(x, wBig, nil, 1, 1) }, "kernel"},
		{"dtype mismatch", func() (*G.Node, error) { return Convolve(x64, w, nil, 1, 0) }, "dtype"},
		{"nil filter", func() (*G.Node, error) { return Convolve(x, nil, nil, 1, 0) }, "nil"},
		{"T rank of x", func() (*G.Node, error) { return ConvolveTranspose(x3, wt, nil, 2, 1, 0) }, "4-D"},
		{"T channels", func() (*G.Node, error) { return ConvolveTranspose(x, w, nil, 2, 1, 0) }, "channels"},
		{"T bias length", func() (*G.Node, error) { return ConvolveTranspose(x, wt, b5, 2, 1, 0) }, "bias"},
		{"T outPad ≥ stride", func() (*G.Node, error) { return ConvolveTranspose(x, wt, nil, 2, 1, 2) }, "output padding"},
		{"T negative outPad", func() (*G.Node, error) { return ConvolveTranspose(x, wt, nil, 2, 1, -1) }, "output padding"},
		{"T empty output", func() (*G.Node, error) { return ConvolveTranspose(x, wt, nil, 1, 10, 0) }, "empty"},
		{"T stride 0", func() (*G.Node, error) { return ConvolveTranspose(x, wt, nil, 0, 1, 0) }, "stride"},
	}
	for _, c := range cases {
		n, err := c.f()
		if err == nil {
			t.Errorf("%s: no error, got node %v", c.name, n)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "layers: ") {
			t.Errorf("%s: error %q, want one starting with \"layers: \" and mentioning %q", c.name, err, c.want)
		}
	}
	// A correct call on the same graph still works.
	if _, err := Convolve(x, w, b4, 1, 1); err != nil {
		t.Errorf("valid Convolve: %v", err)
	}
	if _, err := ConvolveTranspose(x, wt, b4, 2, 1, 0); err != nil {
		t.Errorf("valid ConvolveTranspose: %v", err)
	}
}

// TestConvolveHash checks that ops with different parameters are never
// merged by gorgonia's hash-consing, and equal ones are.
func TestConvolveHash(t *testing.T) {
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(1, 2, 8, 8), G.WithName("x"))
	w := G.NewTensor(g, tensor.Float32, 4, G.WithShape(2, 2, 3, 3), G.WithName("w"))
	a := G.Must(Convolve(x, w, nil, 1, 1))
	if b := G.Must(Convolve(x, w, nil, 1, 1)); a != b {
		t.Errorf("equal convolutions were not merged")
	}
	for i, n := range []*G.Node{
		G.Must(Convolve(x, w, nil, 2, 1)),
		G.Must(Convolve(x, w, nil, 1, 0)),
		G.Must(ConvolveTranspose(x, w, nil, 1, 1, 0)),
		G.Must(ConvolveTranspose(x, w, nil, 2, 1, 0)),
		G.Must(ConvolveTranspose(x, w, nil, 2, 1, 1)),
	} {
		if n == a {
			t.Errorf("op %d (%v) merged with %v", i, n.Op(), a.Op())
		}
	}
}

func TestBLASName(t *testing.T) {
	if n := BLASName(); !strings.HasPrefix(n, "semigan gemm (") && !strings.HasPrefix(n, "openblas") {
		t.Errorf("BLASName() = %q", n)
	}
	t.Logf("BLAS: %s", BLASName())
}
