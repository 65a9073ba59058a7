package layers

import (
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// A graph whose op outputs share arrays (ShareBuffers) computes what the
// same graph without sharing computes: the cost, every gradient and a
// kept intermediate, bit for bit, run after run.
func TestShareBuffersKeepsValues(t *testing.T) {
	rng := newRNG(801)
	for _, c := range []struct {
		name  string
		net   Sequential
		shape []int // input
		share bool  // the graph is big enough that some arrays must be shared
	}{
		{"conv classifier", Sequential{
			GaussianNoise{Sigma: 0.3},
			NewConv2D("d/c1", 1, 4, 3, 1, 1, HeNormal(rng, 0.2)),
			LeakyReLU{Alpha: 0.2},
			Dropout{P: 0.3},
			NewConv2D("d/c2", 4, 6, 3, 2, 1, HeNormal(rng, 0.2)),
			NewBatchNorm("d/bn", 6),
			LeakyReLU{Alpha: 0.2},
			Flatten{},
			NewDense("d/out", 6*4*4, 5, GlorotUniform(rng, 1)),
		}, []int{3, 1, 8, 8}, true},
		{"generator", Sequential{
			NewDense("g/fc", 6, 4*3*3, Normal(rng, 0.5), WithoutBias()),
			Reshape{Shape: []int{4, 3, 3}},
			NewBatchNorm("g/bn", 4),
			ReLU{},
			NewConvTranspose2D("g/up", 4, 2, 4, 2, 1, 0, Normal(rng, 0.3)),
			Tanh{},
		}, []int{5, 6}, true},
		{"mlp", mlpDisc(tensor.Float32), []int{4, 12}, false},
		{"convish", convishNet(tensor.Float32), []int{4, 5}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			type built struct {
				b    *Builder
				x    *G.Node
				cost *G.Node
				mid  *G.Node
				vm   G.VM
			}
			build := func(share bool) built {
				g := G.NewGraph()
				b := NewBuilder(g, Train)
				x := G.NewTensor(g, tensor.Float32, len(c.shape), G.WithShape(c.shape...), G.WithName("x"),
					G.WithValue(tensor.New(tensor.WithShape(c.shape...), tensor.Of(tensor.Float32))))
				outs, err := c.net.ForwardAll(b, x)
				if err != nil {
					t.Fatal(err)
				}
				lse, err := LSE(flat2(t, outs[len(outs)-1]))
				if err != nil {
					t.Fatal(err)
				}
				cost := G.Must(G.Sum(lse))
				wrt := append(G.Nodes{x}, b.Learnables()...)
				if _, err := G.Grad(cost, wrt...); err != nil {
					t.Fatal(err)
				}
				mid := outs[1]
				if share {
					st, err := ShareBuffers(g, mid)
					if err != nil {
						t.Fatal(err)
					}
					if c.share && (st.Shared == 0 || st.BytesAfter >= st.BytesBefore) {
						t.Errorf("nothing shared: %v", st)
					}
					if st.BytesAfter > st.BytesBefore || st.Shared > st.Nodes {
						t.Errorf("inconsistent stats: %v", st)
					}
				}
				return built{b, x, cost, mid, G.NewTapeMachine(g, G.BindDualValues(wrt...))}
			}
			run := func(m built, in *tensor.Dense, seed uint64) []float64 {
				copy(m.x.Value().Data().([]float32), in.Data().([]float32))
				m.b.FillRandom(newRNG(seed))
				m.vm.Reset()
				if err := m.vm.RunAll(); err != nil {
					t.Fatal(err)
				}
				got := []float64{scalarOf(t, m.cost.Value())}
				got = append(got, toFloat64s(m.mid.Value().(*tensor.Dense))...)
				for _, n := range append(G.Nodes{m.x}, m.b.Learnables()...) {
					gr, err := n.Grad()
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, toFloat64s(gr.(*tensor.Dense))...)
					clear(gr.Data().([]float32)) // dual values accumulate
				}
				return got
			}
			shared, plain := build(true), build(false)
			for i, seed := range []uint64{1, 2, 1} {
				in := randTensor(newRNG(seed+10), tensor.Float32, c.shape...)
				want := run(plain, in, seed)
				got := run(shared, in, seed)
				if d := maxAbsDiff(got, want); d != 0 || len(got) != len(want) {
					t.Errorf("run %d: shared arrays change the results by %g", i, d)
				}
			}
		})
	}
}

// flat2 reshapes a node to (N, rest) for LSE.
func flat2(t *testing.T, n *G.Node) *G.Node {
	s := n.Shape()
	if len(s) == 2 {
		return n
	}
	f, err := Flatten{}.Forward(nil, n)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestShareBuffersErrors(t *testing.T) {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 3), G.WithName("x"))
	y, err := LSE(x)
	if err != nil {
		t.Fatal(err)
	}
	// A graph without this package's shareable ops: nothing to do.
	st, err := ShareBuffers(g, y)
	if err != nil {
		t.Fatal(err)
	}
	if st.Shared != 0 || st.Nodes != 1 {
		t.Errorf("got %v, want 1 node, none shared", st)
	}
}
