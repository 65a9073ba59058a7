package layers

import (
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// mlpDisc is Salimans et al.'s MNIST discriminator in miniature.
func mlpDisc(dt tensor.Dtype) Sequential {
	rng := newRNG(700)
	return Sequential{
		GaussianNoise{Sigma: 0.3},
		NewWNDense("d/h1", 12, 8, Normal(rng, 0.3), WithDtype(dt), WithFixedScale()),
		ReLU{},
		GaussianNoise{Sigma: 0.5},
		NewWNDense("d/h2", 8, 6, Normal(rng, 0.3), WithDtype(dt), WithFixedScale()),
		Softplus{},
		NewWNDense("d/out", 6, 4, Normal(rng, 0.3), WithDtype(dt)),
	}
}

// convishNet mixes BatchNorm, Reshape, dropout and activations on 4-D data.
func convishNet(dt tensor.Dtype) Sequential {
	rng := newRNG(701)
	return Sequential{
		NewDense("g/fc", 5, 3*2*2, Normal(rng, 0.5), WithDtype(dt), WithoutBias()),
		Reshape{Shape: []int{3, 2, 2}},
		NewBatchNorm("g/bn", 3, WithDtype(dt)),
		LeakyReLU{Alpha: 0.2},
		Dropout{P: 0.3},
		Flatten{},
		NewDense("g/out", 12, 4, Normal(rng, 0.5), WithDtype(dt)),
		Tanh{},
	}
}

// lseHead appends LSE to a network, the SGAN's unsupervised logit.
type lseHead struct{ Sequential }

func (l lseHead) Forward(b *Builder, x *G.Node) (*G.Node, error) {
	y, err := l.Sequential.Forward(b, x)
	if err != nil {
		return nil, err
	}
	return LSE(y)
}

func TestCompositeGradients(t *testing.T) {
	cases := []struct {
		name  string
		mk    func(tensor.Dtype) Layer
		shape []int
	}{
		{"mlpDisc", func(dt tensor.Dtype) Layer { return mlpDisc(dt) }, []int{5, 12}},
		{"mlpDisc+LSE", func(dt tensor.Dtype) Layer { return lseHead{mlpDisc(dt)} }, []int{5, 12}},
		{"convish", func(dt tensor.Dtype) Layer { return convishNet(dt) }, []int{6, 5}},
	}
	for _, c := range cases {
		for _, mode := range []Mode{Train, Infer} {
			t.Run(c.name+"/"+mode.String(), func(t *testing.T) {
				x := randTensor(newRNG(702), tensor.Float64, c.shape...)
				// FD in float64 (tight), and float32 analytic vs float64.
				l := c.mk(tensor.Float64)
				checkGradOpts(t, gradOpts{dt: tensor.Float64, tol: 1e-6, mode: mode, seed: 42}, func(b *Builder, in []*G.Node) (*G.Node, error) {
					return l.Forward(b, in[0])
				}, x)
				compareDtypes(t, mode, 1e-4, c.mk, x)
			})
		}
	}
}

func TestModeString(t *testing.T) {
	for _, c := range []struct {
		m    Mode
		want string
	}{{Train, "train"}, {Infer, "infer"}, {Mode(7), "Mode(7)"}} {
		if got := c.m.String(); got != c.want {
			t.Errorf("Mode(%d).String() = %q, want %q", int(c.m), got, c.want)
		}
	}
}

// TestParallelPaths runs the kernels on tensors large enough to be split
// across goroutines (more than parallelMin elements).
func TestParallelPaths(t *testing.T) {
	rng := newRNG(800)
	dt := tensor.Float64
	x := randTensor(rng, dt, 50, 8, 10, 10)
	if x.Shape().TotalSize() <= parallelMin {
		t.Fatal("test tensor too small")
	}
	bn := NewBatchNorm("bn", 8, WithDtype(dt))
	randomize(bn.Gamma, rng, 0.5, 1.5)
	randomize(bn.Beta, rng, -1, 1)
	y := runForward(t, bn, Train, x, nil)
	want, _, _ := bnRef(toFloat64s(x), toFloat64s(bn.Gamma.Value), toFloat64s(bn.Beta.Value), nil, nil, 50, 8, 100, 1e-5)
	if d := maxAbsDiff(toFloat64s(y), want); d > 1e-9 {
		t.Errorf("BatchNorm forward differs by %g", d)
	}
	net := Sequential{bn, LeakyReLU{Alpha: 0.1}, Flatten{}}
	checkGradOpts(t, gradOpts{dt: dt, tol: 1e-6, samples: 6}, func(b *Builder, in []*G.Node) (*G.Node, error) {
		return net.Forward(b, in[0])
	}, x)

	d := NewDense("fc", 3, 400, Normal(rng, 1), WithDtype(dt), WithBiasInit(Normal(rng, 1)))
	xd := randTensor(rng, dt, 100, 3)
	yd := runForward(t, d, Infer, xd, nil)
	if e := maxAbsDiff(toFloat64s(yd), denseRef(toFloat64s(xd), toFloat64s(d.W.Value), toFloat64s(d.B.Value), 100, 3, 400)); e > 1e-9 {
		t.Errorf("Dense forward differs by %g", e)
	}
	checkGradOpts(t, gradOpts{dt: dt, tol: 1e-6, samples: 6}, func(b *Builder, in []*G.Node) (*G.Node, error) {
		return d.Forward(b, in[0])
	}, xd)
}

// TestFanOut checks gradients when layer outputs feed several consumers,
// so that gradient accumulation meets the custom ops' pass-through
// gradients (AddBias returns its output gradient as the input gradient).
func TestFanOut(t *testing.T) {
	for _, dt := range dtypes {
		rng := newRNG(900)
		d := NewDense("fc", 4, 4, Normal(rng, 0.5), WithDtype(dt), WithBiasInit(Normal(rng, 0.5)))
		bn := NewBatchNorm("bn", 4, WithDtype(dt))
		checkGrad(t, dt, gradTol(dt), func(b *Builder, in []*G.Node) (*G.Node, error) {
			h, err := d.Forward(b, in[0])
			if err != nil {
				return nil, err
			}
			th, err := Tanh{}.Forward(b, h)
			if err != nil {
				return nil, err
			}
			n, err := bn.Forward(b, h)
			if err != nil {
				return nil, err
			}
			s := G.Must(G.Add(G.Must(G.HadamardProd(h, th)), n))
			h2, err := d.Forward(b, s) // the same layer twice
			if err != nil {
				return nil, err
			}
			return G.Add(h2, in[0])
		}, randTensor(rng, dt, 5, 4))
	}
}
