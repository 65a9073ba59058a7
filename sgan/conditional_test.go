package sgan

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/semigan/semigan/layers"
)

// tinyCondModel is tinyModel with a class-conditional generator (input
// z ‖ one-hot class, 5+3 values), and the training configuration of
// tinyConfig for it (with the generator's class term), edited by mod.
func tinyCondModel(t testing.TB, seed uint64, mod func(*TrainConfig)) (*Model, TrainConfig) {
	t.Helper()
	mc, _ := tinyConfig(seed)
	mc.Conditional = true
	tc := tinyTrainFor(mc)
	if mod != nil {
		mod(&tc)
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	d := layers.Sequential{
		layers.Flatten{},
		layers.NewDense("disc/fc1", 16, 16, layers.GlorotUniform(rng, 1)),
		layers.LeakyReLU{Alpha: 0.2},
		layers.NewDense("disc/out", 16, 3, layers.GlorotUniform(rng, 1)),
	}
	g := layers.Sequential{
		layers.NewDense("gen/fc1", 8, 32, layers.GlorotUniform(rng, 1)),
		layers.LeakyReLU{Alpha: 0.2},
		layers.NewDense("gen/fc2", 32, 16, layers.GlorotUniform(rng, 1)),
		layers.Tanh{},
		layers.Reshape{Shape: []int{1, 4, 4}},
	}
	m, err := NewWith(mc, &Discriminator{Net: d, Feature: 2}, &Generator{Net: g})
	if err != nil {
		t.Fatal(err)
	}
	return m, tc
}

// brightestRow returns the row of the 4×4 image with the largest sum: the
// class of tinyBatches' images.
func brightestRow(img []float32) int {
	best, bestSum := 0, float32(-1e9)
	for r := 0; r < 4; r++ {
		var s float32
		for c := 0; c < 4; c++ {
			s += img[r*4+c]
		}
		if s > bestSum {
			best, bestSum = r, s
		}
	}
	return best
}

// TestConditionalGeneratorLearnsClasses trains a conditional model on the
// bar images of tinyBatches and checks, with the rule that defines the
// classes (not with the model's own classifier), that GenerateClass(k)
// draws bars in row k.
func TestConditionalGeneratorLearnsClasses(t *testing.T) {
	m, tc := tinyCondModel(t, 3, nil)
	tr := mustTrainer(t, m, tc)
	var st StepStats
	for i := 0; i < 400; i++ {
		lab, unl := tinyBatches(uint64(i))
		var err error
		if st, err = tr.Step(lab, unl); err != nil {
			t.Fatal(err)
		}
	}
	if gc := st.Losses[termGenClass]; !(gc > 0) {
		t.Errorf("generator class loss %v, want a positive cross-entropy", gc)
	}
	for k := 0; k < 3; k++ {
		x, err := m.GenerateClass(k, 50, rand.New(rand.NewPCG(5, uint64(k))))
		if err != nil {
			t.Fatal(err)
		}
		hit := 0
		for i := 0; i < 50; i++ {
			if brightestRow(x[i*16:(i+1)*16]) == k {
				hit++
			}
		}
		// chance is 1/4 (four rows)
		if hit < 40 {
			t.Errorf("class %d: %d of 50 generated images have their bar in row %d, want at least 40", k, hit, k)
		}
	}
}

func TestConditionalGenerateAPI(t *testing.T) {
	m, _ := tinyCondModel(t, 4, nil)
	a, err := m.GenerateClass(2, 7, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.GenerateClass(2, 7, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 7*16 {
		t.Fatalf("GenerateClass(2, 7): %d values, want %d", len(a), 7*16)
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same rng, different images at value %d", i)
		}
	}
	// GenerateFromClasses with one-hot codes equals GenerateClass.
	z := make([]float32, 7*5)
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range z {
		z[i] = float32(rng.NormFloat64())
	}
	y := make([]float32, 7*3)
	for i := 0; i < 7; i++ {
		y[i*3+2] = 1
	}
	c, err := m.GenerateFromClasses(z, y)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if a[i] != c[i] {
			t.Fatalf("GenerateFromClasses differs from GenerateClass at value %d", i)
		}
	}
	for _, tc := range []struct {
		name string
		run  func() error
		want string
	}{
		{"class out of range", func() error { _, err := m.GenerateClass(3, 1, nil); return err }, "out of range"},
		{"negative class", func() error { _, err := m.GenerateClass(-1, 1, nil); return err }, "out of range"},
		{"negative count", func() error { _, err := m.GenerateClass(0, -1, nil); return err }, "negative"},
		{"code length", func() error { _, err := m.GenerateFromClasses(z, y[:3]); return err }, "class values"},
		{"NaN code", func() error {
			bad := append([]float32(nil), y...)
			bad[4] = float32(math.NaN())
			_, err := m.GenerateFromClasses(z, bad)
			return err
		}, "class code 1"},
		{"NaN latent", func() error {
			bad := append([]float32(nil), z...)
			bad[0] = float32(math.Inf(1))
			_, err := m.GenerateFromClasses(bad, y)
			return err
		}, "latent vector 0"},
		{"unconditional", func() error { _, err := tinyModel(t, 1).GenerateClass(0, 1, nil); return err }, "not conditional"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.run(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestConditionalFakeClassLossAndCheckpoint(t *testing.T) {
	fakeClass := func(c *TrainConfig) { c.Weights["fake_class"] = 0.5 }
	m, tc := tinyCondModel(t, 5, fakeClass)
	lab, unl := tinyBatches(5)
	st, err := mustTrainer(t, m, tc).Step(lab, unl)
	if err != nil {
		t.Fatal(err)
	}
	if fc, gc := st.Losses["fake_class"], st.Losses[termGenClass]; !(fc > 0) || !(gc > 0) {
		t.Errorf("class losses: fake %v, generator %v; want both positive", fc, gc)
	}
	path := filepath.Join(t.TempDir(), "c.ckpt")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	m2, _ := tinyCondModel(t, 6, fakeClass)
	if err := m2.Load(path); err != nil {
		t.Fatal(err)
	}
	x1, _ := m.GenerateClass(1, 4, rand.New(rand.NewPCG(2, 2)))
	x2, _ := m2.GenerateClass(1, 4, rand.New(rand.NewPCG(2, 2)))
	for i := range x1 {
		if x1[i] != x2[i] {
			t.Fatalf("loaded conditional model generates differently at value %d", i)
		}
	}
	// An unconditional model cannot load it: the generator's input differs.
	if err := tinyModel(t, 1).Load(path); err == nil {
		t.Error("unconditional model loaded a conditional checkpoint")
	}
}

func TestConditionalBuiltIn(t *testing.T) {
	mc := DefaultModelConfig()
	mc.Conditional, mc.EvalBatch, mc.Seed = true, 4, 1
	m, err := New(mc)
	if err != nil {
		t.Fatal(err)
	}
	x, err := m.GenerateClass(7, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(x) != 3*28*28 {
		t.Errorf("built-in conditional generator: %d values, want %d", len(x), 3*28*28)
	}
	mc.SupervisedOnly = true
	if _, err := New(mc); err == nil || !strings.Contains(err.Error(), "Conditional and SupervisedOnly exclude each other") {
		t.Errorf("Conditional with SupervisedOnly: %v", err)
	}
}
