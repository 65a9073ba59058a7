package layers

import (
	"fmt"
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// bnRef returns the batch-norm output of x (layout n, c, inner) normalised
// with mean and vari (the batch moments if mean is nil), and the biased
// batch moments.
func bnRef(x, gamma, beta, mean, vari []float64, n, c, inner int, eps float64) (y, bm, bv []float64) {
	m := float64(n * inner)
	bm, bv = make([]float64, c), make([]float64, c)
	for j := 0; j < c; j++ {
		for i := 0; i < n; i++ {
			for k := 0; k < inner; k++ {
				bm[j] += x[(i*c+j)*inner+k] / m
			}
		}
		for i := 0; i < n; i++ {
			for k := 0; k < inner; k++ {
				d := x[(i*c+j)*inner+k] - bm[j]
				bv[j] += d * d / m
			}
		}
	}
	if mean == nil {
		mean, vari = bm, bv
	}
	y = make([]float64, len(x))
	for i := 0; i < n; i++ {
		for j := 0; j < c; j++ {
			for k := 0; k < inner; k++ {
				o := (i*c+j)*inner + k
				b := 0.0
				if beta != nil {
					b = beta[j]
				}
				y[o] = gamma[j]*(x[o]-mean[j])/math.Sqrt(vari[j]+eps) + b
			}
		}
	}
	return y, bm, bv
}

// randomize sets every element of p to a draw from U[lo, hi).
func randomize(p *Param, rng interface{ Float64() float64 }, lo, hi float64) {
	for i := 0; i < p.Value.Shape().TotalSize(); i++ {
		setAt(p.Value, i, lo+(hi-lo)*rng.Float64())
	}
}

func TestBatchNorm(t *testing.T) {
	cases := []struct {
		shape  []int
		noBias bool
		fixed  bool
	}{
		{[]int{6, 5}, false, false},
		{[]int{4, 3, 2, 3}, false, false},
		{[]int{2, 4, 3, 3}, true, true},
		{[]int{3, 2, 5}, false, true},
		{[]int{2, 1}, false, false},
	}
	for ci, c := range cases {
		for _, dt := range dtypes {
			t.Run(fmt.Sprintf("%d/%v", ci, dt), func(t *testing.T) {
				rng := newRNG(uint64(ci) + 100)
				n, ch, inner := chanDims(tensor.Shape(c.shape))
				opts := []Option{WithDtype(dt)}
				if c.noBias {
					opts = append(opts, WithoutBias())
				}
				if c.fixed {
					opts = append(opts, WithFixedScale())
				}
				l := NewBatchNorm("bn", ch, opts...)
				wantParams := 4 - btoi(c.noBias)
				if len(l.Params()) != wantParams {
					t.Fatalf("%d params, want %d", len(l.Params()), wantParams)
				}
				if l.Gamma.Trainable == c.fixed || l.RunningMean.Trainable || l.RunningVar.Trainable {
					t.Errorf("wrong Trainable flags")
				}
				randomize(l.Gamma, rng, 0.5, 1.5)
				var beta []float64
				if l.Beta != nil {
					randomize(l.Beta, rng, -1, 1)
					beta = toFloat64s(l.Beta.Value)
				}
				gamma := toFloat64s(l.Gamma.Value)
				x := randTensor(rng, dt, c.shape...)
				for i := range x.Shape().TotalSize() {
					setAt(x, i, 3+2*getAt(x, i)) // mean 3, std 2
				}
				xs := toFloat64s(x)

				// Train: batch statistics, running stats updated.
				rm0, rv0 := toFloat64s(l.RunningMean.Value), toFloat64s(l.RunningVar.Value)
				y := runForward(t, l, Train, x, nil)
				want, bm, bv := bnRef(xs, gamma, beta, nil, nil, n, ch, inner, 1e-5)
				if d := maxAbsDiff(toFloat64s(y), want); d > tolFor(dt)*10 {
					t.Errorf("train forward differs by %g", d)
				}
				m := float64(n * inner)
				rm, rv := toFloat64s(l.RunningMean.Value), toFloat64s(l.RunningVar.Value)
				for j := 0; j < ch; j++ {
					wm := 0.9*rm0[j] + 0.1*bm[j]
					wv := 0.9*rv0[j] + 0.1*bv[j]*m/(m-1)
					if math.Abs(rm[j]-wm) > tolFor(dt) || math.Abs(rv[j]-wv) > tolFor(dt) {
						t.Errorf("channel %d: running stats %g, %g, want %g, %g", j, rm[j], rv[j], wm, wv)
					}
				}

				// Infer: running statistics, nothing updated.
				yi := runForward(t, l, Infer, x, nil)
				wantI, _, _ := bnRef(xs, gamma, beta, rm, rv, n, ch, inner, 1e-5)
				if d := maxAbsDiff(toFloat64s(yi), wantI); d > tolFor(dt)*10 {
					t.Errorf("infer forward differs by %g", d)
				}
				if d := maxAbsDiff(toFloat64s(l.RunningMean.Value), rm); d != 0 {
					t.Errorf("infer run changed the running mean")
				}
				if d := maxAbsDiff(toFloat64s(l.RunningVar.Value), rv); d != 0 {
					t.Errorf("infer run changed the running variance")
				}

				// Gradients in both modes.
				for _, mode := range []Mode{Train, Infer} {
					checkGradOpts(t, gradOpts{dt: dt, tol: gradTol(dt), mode: mode}, func(b *Builder, in []*G.Node) (*G.Node, error) {
						return l.Forward(b, in[0])
					}, x)
				}
			})
		}
	}
}

// TestBatchNormChain checks gradients through BatchNorm inside a network,
// with the running stats being updated at every run.
func TestBatchNormChain(t *testing.T) {
	for _, dt := range dtypes {
		rng := newRNG(5)
		seq := Sequential{
			NewDense("fc", 4, 3, GlorotUniform(rng, 1), WithDtype(dt)),
			NewBatchNorm("bn", 3, WithDtype(dt)),
			Tanh{},
		}
		checkGrad(t, dt, gradTol(dt), func(b *Builder, in []*G.Node) (*G.Node, error) {
			return seq.Forward(b, in[0])
		}, randTensor(rng, dt, 5, 4))
	}
}

// TestBatchNormLargeMean checks float32 precision on data far from zero.
func TestBatchNormLargeMean(t *testing.T) {
	rng := newRNG(9)
	x64 := randTensor(rng, tensor.Float64, 50, 4, 3, 3)
	d := x64.Data().([]float64)
	for i := range d {
		d[i] += 50
	}
	x32 := tensor.New(tensor.WithShape(x64.Shape()...), tensor.Of(tensor.Float32))
	for i, v := range d {
		x32.Data().([]float32)[i] = float32(v)
	}
	y64 := toFloat64s(runForward(t, NewBatchNorm("bn", 4, WithDtype(tensor.Float64)), Train, x64, nil))
	y32 := toFloat64s(runForward(t, NewBatchNorm("bn", 4), Train, x32, nil))
	if e := maxAbsDiff(y32, y64); e > 1e-4 {
		t.Errorf("float32 differs from float64 by %g", e)
	}
}

// TestBatchNormTwoGraphs checks that two Train graphs update the shared
// running statistics and an Infer graph built earlier sees them.
func TestBatchNormTwoGraphs(t *testing.T) {
	rng := newRNG(11)
	l := NewBatchNorm("bn", 2, WithDtype(tensor.Float64))
	x := randTensor(rng, tensor.Float64, 4, 2)
	runForward(t, l, Train, x, nil)
	runForward(t, l, Train, x, nil)
	_, bm, _ := bnRef(toFloat64s(x), []float64{1, 1}, nil, nil, nil, 4, 2, 1, 1e-5)
	rm := toFloat64s(l.RunningMean.Value)
	for j := range rm {
		if want := 0.19 * bm[j]; math.Abs(rm[j]-want) > 1e-12 {
			t.Errorf("channel %d: running mean %g after two runs, want %g", j, rm[j], want)
		}
	}
}

func TestBatchNormErrors(t *testing.T) {
	l := NewBatchNorm("bn", 3)
	for i, c := range []struct {
		dt    tensor.Dtype
		mode  Mode
		shape []int
	}{
		{tensor.Float32, Train, []int{4, 2}},
		{tensor.Float32, Train, []int{3}},
		{tensor.Float32, Train, []int{4, 2, 3, 3}},
		{tensor.Float64, Train, []int{4, 3}},
		{tensor.Float32, Train, []int{1, 3}},
		{tensor.Float32, Train, []int{1, 3, 1, 1}},
	} {
		if err := forwardErr(l, c.dt, c.mode, c.shape...); err == nil {
			t.Errorf("%d: no error for input %v %v", i, c.dt, c.shape)
		}
	}
	if err := forwardErr(l, tensor.Float32, Infer, 1, 3); err != nil {
		t.Errorf("batch of one in Infer mode: %v", err)
	}
	l.Eps = 0
	if err := forwardErr(l, tensor.Float32, Infer, 2, 3); err == nil {
		t.Errorf("no error for Eps 0")
	}
	mustPanic(t, "c=0", func() { NewBatchNorm("bn", 0) })
	mustPanic(t, "empty name", func() { NewBatchNorm("", 2) })
}
