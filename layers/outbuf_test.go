package layers

import (
	"runtime"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The custom ops write their outputs into arrays they own, so a graph
// that is rerun (Reset, RunAll) leaves almost no garbage; and reusing the
// arrays must not change any value: each run gives what a fresh graph
// gives for the same inputs, in both passes.
func TestOpsReuseTheirOutputs(t *testing.T) {
	const n, f = 500, 200 // each intermediate is n·f float32s: 400 kB
	build := func() (*Builder, *G.Node, *G.Node, G.VM) {
		g := G.NewGraph()
		b := NewBuilder(g, Train)
		x := G.NewMatrix(g, tensor.Float32, G.WithShape(n, f), G.WithName("x"), G.WithValue(tensor.New(tensor.WithShape(n, f), tensor.Of(tensor.Float32))))
		var h *G.Node = x
		var err error
		for _, l := range []Layer{GaussianNoise{Sigma: 0.1}, LeakyReLU{Alpha: 0.2}, Dropout{P: 0.5}, Tanh{}} {
			if h, err = l.Forward(b, h); err != nil {
				t.Fatal(err)
			}
		}
		lse, err := LSE(h)
		if err != nil {
			t.Fatal(err)
		}
		cost := G.Must(G.Sum(lse))
		if _, err := G.Grad(cost, x); err != nil {
			t.Fatal(err)
		}
		return b, x, cost, G.NewTapeMachine(g, G.BindDualValues(x))
	}
	run := func(b *Builder, x *G.Node, vm G.VM, in []float32, seed uint64) []float64 {
		copy(x.Value().Data().([]float32), in)
		b.FillRandom(newRNG(seed))
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		gr, err := x.Grad()
		if err != nil {
			t.Fatal(err)
		}
		grad := toFloat64s(gr.(*tensor.Dense))
		// the dual value accumulates: clear it as a solver would
		clear(gr.Data().([]float32))
		return grad
	}
	rng := newRNG(5)
	inA := randTensor(rng, tensor.Float32, n, f).Data().([]float32)
	inB := randTensor(rng, tensor.Float32, n, f).Data().([]float32)

	bR, xR, costR, vmR := build()
	wantA := run(bR, xR, vmR, inA, 1)
	wantCostA := scalarOf(t, costR.Value())
	bF, xF, costF, vmF := build()
	wantB := run(bF, xF, vmF, inB, 2)
	wantCostB := scalarOf(t, costF.Value())

	// the reused graph: A, then B, then A again
	for i, c := range []struct {
		in   []float32
		seed uint64
		cost float64
		grad []float64
	}{{inA, 1, wantCostA, wantA}, {inB, 2, wantCostB, wantB}, {inA, 1, wantCostA, wantA}} {
		grad := run(bR, xR, vmR, c.in, c.seed)
		if got := scalarOf(t, costR.Value()); got != c.cost {
			t.Errorf("run %d: cost %v, a fresh graph gives %v", i, got, c.cost)
		}
		if d := maxAbsDiff(grad, c.grad); d != 0 {
			t.Errorf("run %d: gradient differs from a fresh graph's by %g", i, d)
		}
	}

	// garbage per run, averaged over a few runs
	var before, after runtime.MemStats
	const runs = 4
	runtime.ReadMemStats(&before)
	for i := range runs {
		run(bR, xR, vmR, inA, uint64(i))
	}
	runtime.ReadMemStats(&after)
	perRun := float64(after.TotalAlloc-before.TotalAlloc) / runs
	// toFloat64s copies the gradient (n·f float64s) once per run
	perRun -= n * f * 8
	if one := float64(n * f * 4); perRun > one/2 {
		t.Errorf("a run allocates %.0f bytes besides the test's copy, more than half of one %.0f-byte intermediate", perRun, one)
	}
}
