package sgan

import (
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/semigan/semigan/layers"
)

// tinyConfig is a 1×4×4, 3-class problem small enough for exact tests.
func tinyConfig(seed uint64) Config {
	return Config{Classes: 3, Channels: 1, Height: 4, Width: 4, LatentDim: 5, BatchSize: 6, EvalBatch: 4,
		Seed: seed, LearnRate: 1e-2, AugmentShift: -1, ConsistencyWeight: -1}
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

// mustTrainer makes a trainer for m on m's own configuration.
func mustTrainer(t testing.TB, m *Model) *Trainer {
	t.Helper()
	tr, err := NewTrainer(m, m.Config())
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func tinyModel(t testing.TB, seed uint64) *Model {
	t.Helper()
	d, g := tinyNets(seed)
	m, err := NewWith(tinyConfig(seed), d, g)
	if err != nil {
		t.Fatal(err)
	}
	return m
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
		g.yLab[i*tr.cfg.Classes+y] = 1
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

func TestStepLowersDiscriminatorLoss(t *testing.T) {
	m := tinyModel(t, 1)
	lab, unl := tinyBatches(1)
	z := make([]float32, 6*5)
	for i := range z {
		z[i] = float32(math.Sin(float64(i)))
	}
	tr := mustTrainer(t, m)
	before := tr.dCost(t, lab, unl, z)
	for i := 0; i < 5; i++ {
		if _, err := tr.Step(lab, unl); err != nil {
			t.Fatal(err)
		}
	}
	after := tr.dCost(t, lab, unl, z)
	if !(after < before) {
		t.Errorf("D loss on a fixed batch went from %.5f to %.5f after 5 steps; want lower", before, after)
	}
}

func TestSameSeedSameRun(t *testing.T) {
	run := func(seed uint64) []StepStats {
		tr := mustTrainer(t, tinyModel(t, seed))
		lab, unl := tinyBatches(3)
		var out []StepStats
		for i := 0; i < 4; i++ {
			st, err := tr.Step(lab, unl)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, st)
		}
		return out
	}
	a, b, c := run(5), run(5), run(6)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("step %d: same seed, different stats:\n%+v\n%+v", i, a[i], b[i])
		}
	}
	if a[len(a)-1] == c[len(c)-1] {
		t.Errorf("different seeds gave identical stats %+v", a[len(a)-1])
	}
}

func TestBuiltInSameSeedSameRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the MNIST-size networks")
	}
	cfg := Config{Seed: 9, BatchSize: 8, EvalBatch: 8}
	run := func() (StepStats, []float32) {
		m, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(2, 2))
		lab := Batch{X: make([]float32, 8*784), Labels: make([]int, 8)}
		unl := Batch{X: make([]float32, 8*784)}
		for i := range lab.X {
			lab.X[i] = float32(rng.Float64()*2 - 1)
			unl.X[i] = float32(rng.Float64()*2 - 1)
		}
		for i := range lab.Labels {
			lab.Labels[i] = i % 10
		}
		var st StepStats
		tr := mustTrainer(t, m)
		for i := 0; i < 2; i++ {
			if st, err = tr.Step(lab, unl); err != nil {
				t.Fatal(err)
			}
		}
		l, err := m.Logits(lab.X)
		if err != nil {
			t.Fatal(err)
		}
		return st, l
	}
	s1, l1 := run()
	s2, l2 := run()
	if s1 != s2 {
		t.Errorf("same seed, different stats:\n%+v\n%+v", s1, s2)
	}
	for i := range l1 {
		if l1[i] != l2[i] {
			t.Fatalf("logit %d differs: %v vs %v", i, l1[i], l2[i])
		}
	}
}

func TestStepErrors(t *testing.T) {
	m := mustTrainer(t, tinyModel(t, 1))
	lab, unl := tinyBatches(1)
	bad := lab
	bad.Labels = append([]int(nil), lab.Labels...)
	bad.Labels[2] = 3
	short := Batch{X: lab.X[:16], Labels: lab.Labels[:1]}
	nan := Batch{X: append([]float32(nil), lab.X...), Labels: lab.Labels}
	nan.X[0] = float32(math.NaN())
	for _, tc := range []struct {
		name     string
		lab, unl Batch
		want     string
	}{
		{"label out of range", bad, unl, "label 3 out of range"},
		{"short labelled batch", short, unl, "labelled batch has 16 values"},
		{"short unlabelled batch", lab, short, "unlabelled batch has 16 values"},
		{"NaN input", nan, unl, "loss is NaN"},
	} {
		_, err := m.Step(tc.lab, tc.unl)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	var nf *NonFiniteError
	if _, err := m.Step(nan, unl); !errors.As(err, &nf) || nf.Step != m.Steps()+1 {
		t.Errorf("NaN input: error %v, want *NonFiniteError at step %d", err, m.Steps()+1)
	}
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

func TestConsistencyStep(t *testing.T) {
	d, g := tinyNets(8)
	cfg := tinyConfig(8)
	cfg.ConsistencyWeight = 1
	cfg.AugmentShift = 1
	m, err := NewWith(cfg, d, g)
	if err != nil {
		t.Fatal(err)
	}
	lab, unl := tinyBatches(8)
	st, err := mustTrainer(t, m).Step(lab, unl)
	if err != nil {
		t.Fatal(err)
	}
	// two differently shifted views give different predictions
	if !(st.Consistency > 0) {
		t.Errorf("consistency loss %v, want > 0", st.Consistency)
	}
	off := tinyModel(t, 8)
	st, err = mustTrainer(t, off).Step(lab, unl)
	if err != nil {
		t.Fatal(err)
	}
	if st.Consistency != 0 {
		t.Errorf("consistency loss %v with the loss off", st.Consistency)
	}
}

// Random shifts leave 1×F rows alone: a vertical shift of a one-row
// example would replace it by the background (a bug once, found by
// examples/csv).
func TestNoShiftsForRows(t *testing.T) {
	for _, tc := range []struct {
		h, w  int
		shift bool
	}{
		{1, 16, false}, {16, 1, false}, {4, 4, true},
	} {
		cfg := Config{Height: tc.h, Width: tc.w, AugmentShift: 2}
		if got := cfg.WithDefaults().shifts(); got != tc.shift {
			t.Errorf("%d×%d: shifts = %v, want %v", tc.h, tc.w, got, tc.shift)
		}
	}
	cfg := tinyConfig(1)
	cfg.Height, cfg.Width, cfg.AugmentShift = 1, 16, 2
	d, g := tinyNets(1)
	g.Net = append(g.Net.(layers.Sequential), layers.Reshape{Shape: []int{1, 1, 16}})
	m, err := NewWith(cfg, d, g)
	if err != nil {
		t.Fatal(err)
	}
	lab, unl := tinyBatches(1)
	tr := mustTrainer(t, m)
	if _, err := tr.Step(lab, unl); err != nil {
		t.Fatal(err)
	}
	for i, v := range tr.graphs.xLab {
		if v != lab.X[i] {
			t.Fatalf("labelled value %d changed from %v to %v: the 1×16 rows were shifted", i, lab.X[i], v)
		}
	}
}

// A model that is no longer referenced is collected with its graphs. The
// values read out of the training graphs once sat in the struct holding the
// tape machines, which gorgonia finalizes: the cycle through a finalized
// object kept every trained model in memory (about 200 MB each at the
// default size).
func TestTrainedModelIsCollected(t *testing.T) {
	collected := make(chan struct{})
	func() {
		tr := mustTrainer(t, tinyModel(t, 1))
		lab, unl := tinyBatches(1)
		if _, err := tr.Step(lab, unl); err != nil {
			t.Fatal(err)
		}
		runtime.SetFinalizer(tr.graphs, func(*trainGraphs) { close(collected) })
	}()
	for i := 0; i < 20; i++ {
		runtime.GC()
		select {
		case <-collected:
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatal("the training graphs of an unreferenced model were not collected")
}
