package sgan

import (
	"math/rand/v2"
	"testing"

	"github.com/semigan/semigan/datasets"
)

func benchBatches(b *testing.B, mc ModelConfig, batch int) (Batch, Batch) {
	b.Helper()
	F := mc.Channels * mc.Height * mc.Width
	rng := rand.New(rand.NewPCG(1, 2))
	lab := Batch{X: make([]float32, batch*F), Labels: make([]int, batch)}
	unl := Batch{X: make([]float32, batch*F)}
	for i := range lab.X {
		lab.X[i] = float32(rng.Float64()*2 - 1)
		unl.X[i] = float32(rng.Float64()*2 - 1)
	}
	for i := range lab.Labels {
		lab.Labels[i] = i % mc.Classes
	}
	return lab, unl
}

// benchStep times Step on the default model and recipe of seed 1, edited
// by model and train (either may be nil).
func benchStep(b *testing.B, model func(*ModelConfig), train func(*TrainConfig)) {
	mc := DefaultModelConfig()
	mc.Seed = 1
	if model != nil {
		model(&mc)
	}
	tc := DefaultTrainConfig(mc)
	if train != nil {
		train(&tc)
	}
	_, tr := newBuiltIn(b, mc, tc)
	lab, unl := benchBatches(b, mc, tc.BatchSize)
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
// generator update) with the default architecture and recipe.
func BenchmarkStep(b *testing.B) { benchStep(b, nil, nil) }

// BenchmarkStepNoConsistency is BenchmarkStep without the consistency
// loss's fourth discriminator batch: the same work per iteration as the
// PyTorch reference's conv model (docs/BENCHMARKS.md, REFERENCE_ARGS).
func BenchmarkStepNoConsistency(b *testing.B) {
	benchStep(b, nil, func(t *TrainConfig) { t.Weights[termConsistency] = 0 })
}

// BenchmarkStepConditional is BenchmarkStep with a class-conditional
// generator (ModelConfig.Conditional).
func BenchmarkStepConditional(b *testing.B) { benchStep(b, conditional, nil) }

// BenchmarkStepMLP is BenchmarkStep with the weight-normalised MLP
// discriminator.
func BenchmarkStepMLP(b *testing.B) { benchStep(b, func(m *ModelConfig) { m.Arch = ArchMLP }, nil) }

// BenchmarkStepSupervised times one step of the supervised-only baseline.
func BenchmarkStepSupervised(b *testing.B) {
	benchStep(b, func(m *ModelConfig) { m.SupervisedOnly = true }, nil)
}

// BenchmarkPredict classifies 10,000 MNIST-size images per iteration;
// images/s = 1e4 / (ns/op · 1e-9).
func BenchmarkPredict(b *testing.B) {
	mc := DefaultModelConfig()
	mc.Seed = 1
	m, err := New(mc)
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

// BenchmarkStepNoPropagation is BenchmarkStep without the propagation
// term's cross-entropy in the discriminator's cost. (BenchmarkStep never
// refreshes the labels; BenchmarkPropagateLabels times a refresh.)
func BenchmarkStepNoPropagation(b *testing.B) {
	benchStep(b, nil, func(t *TrainConfig) { t.Weights[termPropagation] = 0 })
}

// BenchmarkPropagateLabels times one refresh of the propagation term's
// labels at MNIST's size (100 labelled and 60,000 unlabelled 28×28
// images): embedding by the weight average, principal directions, the
// 10-neighbour graph, Poisson learning, and the 3-fold cross-validation
// over the features (the propagation over the pixels, which a run does
// once, at its first refresh, is done before the timer starts). Fit
// refreshes nine times in a run (PropagationConfig Start and Every 0.1),
// so the amortised cost of a step is about BenchmarkStep + 9·this/steps.
func BenchmarkPropagateLabels(b *testing.B) {
	mc := DefaultModelConfig()
	mc.Seed = 1
	_, tr := newBuiltIn(b, mc, DefaultTrainConfig(mc))
	rng := rand.New(rand.NewPCG(1, 3))
	set := func(n int, labelled bool) *datasets.Set {
		s := &datasets.Set{Data: make([]float32, n*28*28), Labels: make([]int, n), C: 1, H: 28, W: 28, Classes: 10}
		for i := range s.Data {
			s.Data[i] = float32(rng.Float64()*2 - 1)
		}
		for i := range s.Labels {
			s.Labels[i] = datasets.Unlabelled
			if labelled {
				s.Labels[i] = i % 10
			}
		}
		return s
	}
	lab, unl := set(100, true), set(60000, false)
	if err := tr.PropagateLabels(lab, unl); err != nil { // and over the pixels, once
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := tr.PropagateLabels(lab, unl); err != nil {
			b.Fatal(err)
		}
	}
}
