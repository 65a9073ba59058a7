package layers

import (
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// benchLayer measures one forward+backward run (TapeMachine, float32) of l
// on an input of the given shape, with gradients for the input and every
// trainable parameter, cost = Σ y.
func benchLayer(bm *testing.B, l Layer, mode Mode, shape ...int) {
	bm.Helper()
	rng := newRNG(1)
	g := G.NewGraph()
	b := NewBuilder(g, mode)
	x := G.NewTensor(g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName("x"),
		G.WithValue(randTensor(rng, tensor.Float32, shape...)))
	y, err := l.Forward(b, x)
	if err != nil {
		bm.Fatal(err)
	}
	cost, err := G.Sum(y)
	if err != nil {
		bm.Fatal(err)
	}
	wrt := append(G.Nodes{x}, b.Learnables()...)
	if _, err := G.Grad(cost, wrt...); err != nil {
		bm.Fatal(err)
	}
	m := G.NewTapeMachine(g, G.BindDualValues(wrt...))
	defer m.Close()
	bm.ReportAllocs()
	bm.ResetTimer()
	for range bm.N {
		m.Reset()
		b.FillRandom(rng)
		if err := m.RunAll(); err != nil {
			bm.Fatal(err)
		}
	}
}

// gorgoniaDense is the plain-gorgonia dense layer (Mul + BroadcastAdd) that
// Dense replaces, for comparison.
type gorgoniaDense struct{ d *Dense }

func (l gorgoniaDense) Forward(b *Builder, x *G.Node) (*G.Node, error) {
	w, err := b.Bind(l.d.W)
	if err != nil {
		return nil, err
	}
	bb, err := b.Bind(l.d.B)
	if err != nil {
		return nil, err
	}
	y, err := G.Mul(x, w)
	if err != nil {
		return nil, err
	}
	return G.BroadcastAdd(y, bb, nil, []byte{0})
}
func (l gorgoniaDense) Params() []*Param { return l.d.Params() }

func BenchmarkDense784x1000(b *testing.B) {
	benchLayer(b, NewDense("fc", 784, 1000, GlorotUniform(newRNG(2), 1)), Train, 100, 784)
}

func BenchmarkDense1000x500(b *testing.B) {
	benchLayer(b, NewDense("fc", 1000, 500, GlorotUniform(newRNG(2), 1)), Train, 100, 1000)
}

func BenchmarkDense1000x500Gorgonia(b *testing.B) {
	benchLayer(b, gorgoniaDense{NewDense("fc", 1000, 500, GlorotUniform(newRNG(2), 1))}, Train, 100, 1000)
}

func BenchmarkWNDense1000x500(b *testing.B) {
	benchLayer(b, NewWNDense("fc", 1000, 500, Normal(newRNG(2), 0.05)), Train, 100, 1000)
}

func BenchmarkBatchNorm64x14x14(b *testing.B) {
	benchLayer(b, NewBatchNorm("bn", 64), Train, 100, 64, 14, 14)
}

func BenchmarkBatchNorm64x14x14Gorgonia(b *testing.B) {
	rng := newRNG(3)
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(100, 64, 14, 14), G.WithName("x"),
		G.WithValue(randTensor(rng, tensor.Float32, 100, 64, 14, 14)))
	sc := G.NewTensor(g, tensor.Float32, 4, G.WithShape(1, 64, 1, 1), G.WithName("sc"), G.WithValue(Ones(tensor.Shape{1, 64, 1, 1}, tensor.Float32)))
	bi := G.NewTensor(g, tensor.Float32, 4, G.WithShape(1, 64, 1, 1), G.WithName("bi"), G.WithValue(Zeros(tensor.Shape{1, 64, 1, 1}, tensor.Float32)))
	y, _, _, _, err := G.BatchNorm(x, sc, bi, 0.1, 1e-5)
	if err != nil {
		b.Fatal(err)
	}
	cost := G.Must(G.Sum(y))
	if _, err := G.Grad(cost, x, sc, bi); err != nil {
		b.Fatal(err)
	}
	m := G.NewTapeMachine(g, G.BindDualValues(x, sc, bi))
	defer m.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		m.Reset()
		if err := m.RunAll(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLeakyReLU100x64x14x14(b *testing.B) {
	benchLayer(b, LeakyReLU{Alpha: 0.2}, Train, 100, 64, 14, 14)
}

func BenchmarkLeakyReLU100x64x14x14Gorgonia(b *testing.B) {
	benchLayer(b, gorgoniaLeaky{}, Train, 100, 64, 14, 14)
}

type gorgoniaLeaky struct{}

func (gorgoniaLeaky) Forward(b *Builder, x *G.Node) (*G.Node, error) { return G.LeakyRelu(x, 0.2) }
func (gorgoniaLeaky) Params() []*Param                               { return nil }

func BenchmarkDropout100x1000(b *testing.B) {
	benchLayer(b, Dropout{P: 0.5}, Train, 100, 1000)
}
