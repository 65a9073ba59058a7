package sgan

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestBetaSampleMoments(t *testing.T) {
	for _, a := range []float64{0.2, 0.75, 1, 4} {
		rng := rand.New(rand.NewPCG(1, uint64(a*100)))
		const n = 200000
		var s, s2 float64
		for range n {
			v := betaSample(a, rng)
			if v < 0 || v > 1 || math.IsNaN(v) {
				t.Fatalf("Beta(%g, %g) gave %g", a, a, v)
			}
			s += v
			s2 += v * v
		}
		mean, vr := s/n, s2/n-(s/n)*(s/n)
		want := 1 / (4 * (2*a + 1)) // variance of Beta(a, a)
		if math.Abs(mean-0.5) > 0.005 || math.Abs(vr-want) > 0.05*want {
			t.Errorf("Beta(%g, %g): mean %.4f, variance %.5f; want 0.5, %.5f", a, a, mean, vr, want)
		}
	}
}

func TestMixup(t *testing.T) {
	const n, f, k = 8, 3, 4
	x, y := make([]float32, n*f), make([]float32, n*k)
	for i := range n {
		for p := range f {
			x[i*f+p] = float32(i)
		}
		y[i*k+i%k] = 1
	}
	x0 := append([]float32(nil), x...)
	mixup(x, y, make([]float32, n*f), make([]float32, n*k), n, f, k, 0.75, rand.New(rand.NewPCG(3, 4)))
	moved := 0
	for i := range n {
		var sum float32
		for p := range k {
			sum += y[i*k+p]
		}
		if math.Abs(float64(sum-1)) > 1e-6 {
			t.Errorf("example %d: target sums to %g", i, sum)
		}
		// λ ≥ ½: the example keeps at least half of its own target.
		if y[i*k+i%k] < 0.5-1e-6 {
			t.Errorf("example %d: own class weight %g < 0.5", i, y[i*k+i%k])
		}
		if x[i*f] != x0[i*f] {
			moved++
		}
		// The pixels mix with the same weights as the targets: every pixel
		// of the example holds the same value.
		if x[i*f] != x[i*f+f-1] {
			t.Errorf("example %d: pixels %v differ", i, x[i*f:(i+1)*f])
		}
	}
	if moved < n/2 {
		t.Errorf("only %d of %d examples changed", moved, n)
	}
}

// A training step with Mixup mixes its own copy of the labelled batch:
// the caller's batch is left as it was, and the supervised loss of the
// first step (same initial weights) differs from the step without mixup.
func TestMixupStep(t *testing.T) {
	first := func(alpha float64) (float64, Batch) {
		d, g := tinyNets(8)
		mc, cfg := tinyConfig(8)
		cfg.Augment.Mixup = alpha
		m, err := NewWith(mc, d, g)
		if err != nil {
			t.Fatal(err)
		}
		tr := mustTrainer(t, m, cfg)
		lab, unl := tinyBatches(8)
		st, err := tr.Step(lab, unl)
		if err != nil {
			t.Fatal(err)
		}
		return st.Losses[termSup], lab
	}
	plain, lab0 := first(0)
	mixed, lab1 := first(0.75)
	if plain == mixed {
		t.Errorf("supervised loss %v with and without mixup", plain)
	}
	for i := range lab0.X {
		if lab0.X[i] != lab1.X[i] {
			t.Fatalf("mixup changed the caller's batch at %d: %v, was %v", i, lab1.X[i], lab0.X[i])
		}
	}
}
