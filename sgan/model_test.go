package sgan

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/semigan/semigan/layers"
)

// tinyConfig is a 1×4×4, 3-class problem small enough for exact tests:
// the model's configuration and the training configuration the tests use
// with it (batches of 6, learning rate 1e-2, no shifts, no consistency
// term, no step minimum).
func tinyConfig(seed uint64) (ModelConfig, TrainConfig) {
	mc := DefaultModelConfig()
	mc.Classes, mc.Channels, mc.Height, mc.Width = 3, 1, 4, 4
	mc.LatentDim, mc.EvalBatch, mc.Seed = 5, 4, seed
	return mc, tinyTrainFor(mc)
}

// tinyTrainFor is the training configuration of tinyConfig for a tiny
// model of configuration mc (DefaultTrainConfig(mc), edited).
func tinyTrainFor(mc ModelConfig) TrainConfig {
	tc := DefaultTrainConfig(mc)
	tc.BatchSize, tc.LearnRate = 6, 1e-2
	tc.Augment.Shift = 0
	tc.Weights[termConsistency] = 0
	tc.Budget.MinSteps = 0
	return tc
}

// tinyTrainConfig is the training configuration of tinyConfig(seed).
func tinyTrainConfig(seed uint64) TrainConfig {
	_, tc := tinyConfig(seed)
	return tc
}

// tinyNets builds deterministic (noise-free) dense networks for tinyConfig.
func tinyNets(seed uint64) (*Discriminator, *Generator) {
	rng := rand.New(rand.NewPCG(seed, 7))
	d := layers.Sequential{
		layers.Flatten{},
		layers.NewDense("disc/fc1", 16, 8, layers.GlorotUniform(rng, 1)),
		layers.LeakyReLU{Alpha: 0.2},
		layers.NewDense("disc/out", 8, 3, layers.GlorotUniform(rng, 1)),
	}
	g := layers.Sequential{
		layers.NewDense("gen/fc1", 5, 16, layers.GlorotUniform(rng, 1)),
		layers.Tanh{},
		layers.Reshape{Shape: []int{1, 4, 4}},
	}
	return &Discriminator{Net: d, Feature: 2}, &Generator{Net: g}
}

// mustTrainer makes a trainer for m that trains as tc says.
func mustTrainer(t testing.TB, m *Model, tc TrainConfig) *Trainer {
	t.Helper()
	tr, err := NewTrainer(m, tc)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// tinyModel is the model of tinyConfig(seed) with tinyNets(seed).
func tinyModel(t testing.TB, seed uint64) *Model {
	t.Helper()
	d, g := tinyNets(seed)
	mc, _ := tinyConfig(seed)
	m, err := NewWith(mc, d, g)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// tinyTrainer is a trainer of tinyModel(seed) with tinyConfig's training
// configuration.
func tinyTrainer(t testing.TB, seed uint64) *Trainer {
	t.Helper()
	return mustTrainer(t, tinyModel(t, seed), tinyTrainConfig(seed))
}

// tinyBatches returns a fixed labelled and unlabelled batch for tinyConfig:
// class k images are bright in row k.
func tinyBatches(seed uint64) (Batch, Batch) {
	rng := rand.New(rand.NewPCG(seed, 11))
	mk := func(n int) Batch {
		b := Batch{X: make([]float32, n*16), Labels: make([]int, n)}
		for i := 0; i < n; i++ {
			k := i % 3
			b.Labels[i] = k
			for j := 0; j < 16; j++ {
				v := -0.8 + 0.2*rng.Float64()
				if j/4 == k {
					v = 0.8 - 0.2*rng.Float64()
				}
				b.X[i*16+j] = float32(v)
			}
		}
		return b
	}
	return mk(6), mk(6)
}

// dCost evaluates the discriminator's cost on fixed inputs without
// updating (test hook).
func (tr *Trainer) dCost(t testing.TB, lab, unl Batch, z []float32) float64 {
	t.Helper()
	if tr.graphs == nil {
		tg, err := buildTrain(tr.m, tr.cfg)
		if err != nil {
			t.Fatal(err)
		}
		tr.graphs = tg
	}
	g := tr.graphs
	copy(g.xLab, lab.X)
	clear(g.yLab)
	for i, y := range lab.Labels {
		g.yLab[i*tr.mc.Classes+y] = 1
	}
	copy(g.xUnl, unl.X)
	copy(g.z, z)
	g.d.b.FillRandom(rand.New(rand.NewPCG(1, 1)))
	g.d.vm.Reset()
	if err := g.d.vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	zeroGrads(g.d.nodes)
	return scalar(g.d.cost.Value())
}

func TestPredictAnyCount(t *testing.T) {
	m := tinyModel(t, 4)
	lab, _ := tinyBatches(4)
	// EvalBatch is 4: 6 images need a padded second batch; 1 and 0 work too.
	for _, n := range []int{6, 4, 1, 0} {
		p, err := m.Predict(lab.X[:n*16])
		if err != nil {
			t.Fatal(err)
		}
		if len(p) != n {
			t.Errorf("Predict of %d images gave %d classes", n, len(p))
		}
	}
	full, _ := m.Logits(lab.X)
	one, _ := m.Logits(lab.X[5*16:])
	for k := 0; k < 3; k++ {
		if full[5*3+k] != one[k] {
			t.Errorf("logits of image 5 depend on its batch: %v vs %v", full[5*3:], one)
		}
	}
	if _, err := m.Predict(lab.X[:7]); err == nil {
		t.Error("Predict accepted a partial image")
	}
	pr, _ := m.PredictProba(lab.X)
	for i := 0; i < 6; i++ {
		s := pr[3*i] + pr[3*i+1] + pr[3*i+2]
		if math.Abs(float64(s)-1) > 1e-5 {
			t.Errorf("probabilities of image %d sum to %v", i, s)
		}
	}
	imgs, err := m.Generate(7, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 7*16 {
		t.Errorf("Generate(7) gave %d values", len(imgs))
	}
	for _, v := range imgs {
		if v < -1 || v > 1 {
			t.Fatalf("generated value %v outside [-1, 1]", v)
		}
	}
}
