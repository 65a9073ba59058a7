package sgan

import (
	"math/rand/v2"
	"testing"
)

func benchBatches(b *testing.B, cfg Config) (Batch, Batch) {
	b.Helper()
	cfg = cfg.WithDefaults()
	F := cfg.Channels * cfg.Height * cfg.Width
	rng := rand.New(rand.NewPCG(1, 2))
	lab := Batch{X: make([]float32, cfg.BatchSize*F), Labels: make([]int, cfg.BatchSize)}
	unl := Batch{X: make([]float32, cfg.BatchSize*F)}
	for i := range lab.X {
		lab.X[i] = float32(rng.Float64()*2 - 1)
		unl.X[i] = float32(rng.Float64()*2 - 1)
	}
	for i := range lab.Labels {
		lab.Labels[i] = i % cfg.Classes
	}
	return lab, unl
}

func benchStep(b *testing.B, cfg Config) {
	m, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	lab, unl := benchBatches(b, cfg)
	tr := mustTrainer(b, m)
	if _, err := tr.Step(lab, unl); err != nil { // builds the graphs
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tr.Step(lab, unl); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStep times one SGAN iteration (a discriminator update on 100
// labelled, 100 unlabelled and 100 generated MNIST-size images, then a
// generator update) with the default architecture.
func BenchmarkStep(b *testing.B) { benchStep(b, Config{Seed: 1}) }

// BenchmarkStepNoConsistency is BenchmarkStep without the consistency
// loss's fourth discriminator batch: the same work per iteration as the
// PyTorch reference's conv model (docs/BENCHMARKS.md, REFERENCE_ARGS).
func BenchmarkStepNoConsistency(b *testing.B) { benchStep(b, Config{Seed: 1, ConsistencyWeight: -1}) }

// BenchmarkStepConditional is BenchmarkStep with a class-conditional
// generator (Config.Conditional).
func BenchmarkStepConditional(b *testing.B) { benchStep(b, Config{Seed: 1, Conditional: true}) }

// BenchmarkStepMLP is BenchmarkStep with the weight-normalised MLP
// discriminator.
func BenchmarkStepMLP(b *testing.B) { benchStep(b, Config{Seed: 1, Arch: ArchMLP}) }

// BenchmarkStepSupervised times one step of the supervised-only baseline.
func BenchmarkStepSupervised(b *testing.B) { benchStep(b, Config{Seed: 1, SupervisedOnly: true}) }

// BenchmarkPredict classifies 10,000 MNIST-size images per iteration;
// images/s = 1e4 / (ns/op · 1e-9).
func BenchmarkPredict(b *testing.B) {
	m, err := New(Config{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	x := make([]float32, 10000*784)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range x {
		x[i] = float32(rng.Float64()*2 - 1)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := m.Predict(x); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(1e4*float64(b.N)/b.Elapsed().Seconds(), "images/s")
}
