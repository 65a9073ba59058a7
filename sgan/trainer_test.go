package sgan

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/layers"
)

// A short semi-supervised training on an MNIST subset must learn: far
// above the 10 % of chance after a few dozen steps.
func TestFitLearnsMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for several seconds")
	}
	lab, unl, test := mnistSubset(t, 1500, 1000)
	mc := DefaultModelConfig()
	mc.Seed = 1
	tc := DefaultTrainConfig(mc)
	tc.BatchSize, tc.Budget, tc.LearnRate = 50, Budget{Epochs: 2}, 1e-3
	_, tr := newBuiltIn(t, mc, tc)
	var log bytes.Buffer
	var csv bytes.Buffer
	hist, err := tr.Fit(context.Background(), lab, unl, test, &Printer{W: &log}, &CSVWriter{W: &csv})
	if err != nil {
		t.Fatal(err)
	}
	if len(hist.Epochs) != 2 || tr.Steps() != 60 {
		t.Fatalf("%d epochs, %d steps; want 2 epochs of 30 steps", len(hist.Epochs), tr.Steps())
	}
	acc := hist.Last().EvalAcc
	t.Logf("test accuracy after %d steps: %.3f\n%s", tr.Steps(), acc, log.String())
	if acc < 0.5 {
		t.Errorf("test accuracy %.3f after %d steps; want at least 0.5 (chance is 0.1)", acc, tr.Steps())
	}
	if n := strings.Count(csv.String(), "\n"); n != 3 {
		t.Errorf("metrics CSV has %d lines, want header + 2", n)
	}
	if strings.Count(log.String(), "epoch") != 2 {
		t.Errorf("printer wrote %q, want one line per epoch", log.String())
	}
}

func TestFitStopsOnCancel(t *testing.T) {
	lab, unl, _ := mnistSubset(t, 200, 0)
	mc := DefaultModelConfig()
	mc.Seed = 1
	tc := DefaultTrainConfig(mc)
	tc.BatchSize, tc.Budget = 20, Budget{Epochs: 3}
	_, tr := newBuiltIn(t, mc, tc)
	ctx, cancel := context.WithCancel(context.Background())
	stopAfter := ObserverFunc(func(e EpochStats) error { cancel(); return nil })
	hist, err := tr.Fit(ctx, lab, unl, nil, stopAfter)
	if err == nil || len(hist.Epochs) != 1 {
		t.Errorf("Fit after cancel: %d epochs, error %v; want 1 epoch and context.Canceled", len(hist.Epochs), err)
	}
	// ErrStop from an observer ends training without error.
	_, tr2 := newBuiltIn(t, mc, tc)
	hist, err = tr2.Fit(context.Background(), lab, unl, nil, ObserverFunc(func(EpochStats) error { return ErrStop }))
	if err != nil || len(hist.Epochs) != 1 {
		t.Errorf("ErrStop: %d epochs, error %v; want 1 epoch, nil", len(hist.Epochs), err)
	}
}

func TestFitRejectsMismatchedData(t *testing.T) {
	lab, unl, _ := mnistSubset(t, 100, 0)
	// Model.Fit trains on the default recipe (batches of 100): the data
	// is checked before the first step.
	mc := DefaultModelConfig()
	mc.Seed, mc.Classes = 1, 5
	m, err := New(mc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Fit(context.Background(), lab, unl, nil); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("labels 5..9 for a 5-class model: %v", err)
	}
	mc = DefaultModelConfig()
	mc.Seed, mc.Height, mc.Width = 1, 32, 32
	m2, err := New(mc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m2.Fit(context.Background(), lab, unl, nil); err == nil || !strings.Contains(err.Error(), "28×28") {
		t.Errorf("28×28 data for a 32×32 model: %v", err)
	}
	// Values far outside [−1, 1] (a CSV of 1e30s, issue 12 row 12) are the
	// input's fault, and the error says so and names the example, instead
	// of a NaN loss blamed on the learning rate.
	mc = DefaultModelConfig()
	mc.Seed = 1
	m3, err := New(mc)
	if err != nil {
		t.Fatal(err)
	}
	// A batch larger than the unlabelled set (issue 12, row 4).
	tc := DefaultTrainConfig(mc)
	tc.BatchSize = 1000
	_, tr4 := newBuiltIn(t, mc, tc)
	if _, err := tr4.Fit(context.Background(), lab, unl.Subset([]int{0, 1, 2}), nil); err == nil || !strings.Contains(err.Error(), "BatchSize 1000 is larger than the unlabelled set (3 examples)") {
		t.Errorf("batch 1000 over 3 unlabelled examples: %v", err)
	}
	// A hand-built set whose Data is shorter than its labels say (issue 24,
	// row 19: Fit panicked with a slice bound).
	short := unl.Clone()
	short.ToFloat32()
	short.Data = short.Data[:len(short.Data)-784]
	if _, err := m3.Fit(context.Background(), lab, short, nil); err == nil || !strings.Contains(err.Error(), "Data and Labels disagree") {
		t.Errorf("Data one example short of Labels: %v", err)
	}
	huge := unl.Clone()
	huge.ToFloat32()
	huge.Data[3*784+5] = 1e30
	if _, err := m3.Fit(context.Background(), lab, huge, nil); err == nil || !strings.Contains(err.Error(), "unlabelled set example 3, value 5: 1e+30 is not finite") {
		t.Errorf("a value of 1e30: %v", err)
	}
}

func TestStepLowersDiscriminatorLoss(t *testing.T) {
	tr := tinyTrainer(t, 1)
	lab, unl := tinyBatches(1)
	z := make([]float32, 6*5)
	for i := range z {
		z[i] = float32(math.Sin(float64(i)))
	}
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
		tr := tinyTrainer(t, seed)
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
		if !sameStats(a[i], b[i]) {
			t.Fatalf("step %d: same seed, different stats:\n%+v\n%+v", i, a[i], b[i])
		}
	}
	if sameStats(a[len(a)-1], c[len(c)-1]) {
		t.Errorf("different seeds gave identical stats %+v", a[len(a)-1])
	}
}

func TestBuiltInSameSeedSameRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the MNIST-size networks")
	}
	mc := DefaultModelConfig()
	mc.Seed, mc.EvalBatch = 9, 8
	tc := DefaultTrainConfig(mc)
	tc.BatchSize = 8
	run := func() (StepStats, []float32) {
		m, tr := newBuiltIn(t, mc, tc)
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
		var err error
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
	if !sameStats(s1, s2) {
		t.Errorf("same seed, different stats:\n%+v\n%+v", s1, s2)
	}
	for i := range l1 {
		if l1[i] != l2[i] {
			t.Fatalf("logit %d differs: %v vs %v", i, l1[i], l2[i])
		}
	}
}

func TestStepErrors(t *testing.T) {
	m := tinyTrainer(t, 1)
	lab, unl := tinyBatches(1)
	bad := lab
	bad.Labels = append([]int(nil), lab.Labels...)
	bad.Labels[2] = 3
	short := Batch{X: lab.X[:16], Labels: lab.Labels[:1]}
	nan := Batch{X: append([]float32(nil), lab.X...), Labels: lab.Labels}
	nan.X[0] = float32(math.NaN())
	huge := Batch{X: append([]float32(nil), unl.X...), Labels: unl.Labels}
	huge.X[len(huge.X)/len(huge.Labels)+3] = 1e30
	for _, tc := range []struct {
		name     string
		lab, unl Batch
		want     string
	}{
		{"label out of range", bad, unl, "label 3 out of range"},
		{"short labelled batch", short, unl, "labelled batch has 16 values"},
		{"short unlabelled batch", lab, short, "unlabelled batch has 16 values"},
		{"NaN input", nan, unl, "labelled batch example 0: value NaN is not finite"},
		{"huge unlabelled input", lab, huge, "unlabelled batch example 1: value 1e+30 is not finite or beyond"},
	} {
		_, err := m.Step(tc.lab, tc.unl)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func TestConsistencyStep(t *testing.T) {
	d, g := tinyNets(8)
	mc, tc := tinyConfig(8)
	tc.Weights[termConsistency] = 1
	tc.Augment.Shift = 1
	m, err := NewWith(mc, d, g)
	if err != nil {
		t.Fatal(err)
	}
	lab, unl := tinyBatches(8)
	st, err := mustTrainer(t, m, tc).Step(lab, unl)
	if err != nil {
		t.Fatal(err)
	}
	// two differently shifted views give different predictions
	if c := st.Losses[termConsistency]; !(c > 0) {
		t.Errorf("consistency loss %v, want > 0", c)
	}
	st, err = tinyTrainer(t, 8).Step(lab, unl)
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := st.Losses[termConsistency]; ok {
		t.Errorf("consistency loss %v computed with the loss off", c)
	}
}

// With MeanTeacher the consistency targets come from the weight
// average's predictions on another view: the step has no second view in
// its graph, the term is positive, and it is absent with the loss off. A
// Mean Teacher without the consistency term is refused: it would teach
// nothing.
func TestMeanTeacherStep(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cons     float64
		pseudo   float64
		teacher  bool // TrainConfig.MeanTeacher
		wantTerm bool
		want2nd  bool // a second view in the discriminator's graph
	}{
		{"teacher", 1, 0, true, true, false},
		{"teacher with pseudo-labels", 1, 1, true, true, true},
		{"consistency off", 0, 0, false, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, g := tinyNets(8)
			mc, cfg := tinyConfig(8)
			cfg.Weights[termConsistency] = tc.cons
			cfg.Weights[termPseudo] = tc.pseudo
			cfg.MeanTeacher = tc.teacher
			cfg.Augment.Shift = 1
			m, err := NewWith(mc, d, g)
			if err != nil {
				t.Fatal(err)
			}
			tr := mustTrainer(t, m, cfg)
			lab, unl := tinyBatches(8)
			var st StepStats
			for range 3 {
				if st, err = tr.Step(lab, unl); err != nil {
					t.Fatal(err)
				}
			}
			c, ok := st.Losses[termConsistency]
			if got := c > 0; got != tc.wantTerm || ok != tc.wantTerm {
				t.Errorf("consistency loss %v (computed: %v), want positive: %v", c, ok, tc.wantTerm)
			}
			if got := tr.graphs.xUnl2 != nil; got != tc.want2nd {
				t.Errorf("second view in the graph: %v, want %v", got, tc.want2nd)
			}
			if got := tr.graphs.teacher != nil; got != tc.wantTerm {
				t.Errorf("teacher graph: %v, want %v", got, tc.wantTerm)
			}
			if tc.wantTerm {
				// the targets are probability rows
				K := mc.Classes
				for i := 0; i < len(tr.graphs.tProbs)/K; i++ {
					var s float64
					for _, p := range tr.graphs.tProbs[i*K : (i+1)*K] {
						if p < 0 || p > 1 {
							t.Fatalf("teacher probability %v outside [0, 1]", p)
						}
						s += float64(p)
					}
					if math.Abs(s-1) > 1e-5 {
						t.Fatalf("teacher row %d sums to %v", i, s)
					}
				}
			}
		})
	}
	// MeanTeacher with the consistency term off
	d, g := tinyNets(8)
	mc, cfg := tinyConfig(8)
	cfg.MeanTeacher = true
	m, err := NewWith(mc, d, g)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewTrainer(m, cfg); err == nil || !strings.Contains(err.Error(), "MeanTeacher is set but the consistency term is off") {
		t.Errorf("MeanTeacher without consistency: error %v", err)
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
		cfg := TrainConfig{Augment: Augment{Shift: 2}}
		if got := cfg.shifts(ModelConfig{Height: tc.h, Width: tc.w}); got != tc.shift {
			t.Errorf("%d×%d: shifts = %v, want %v", tc.h, tc.w, got, tc.shift)
		}
	}
	mc, cfg := tinyConfig(1)
	mc.Height, mc.Width, cfg.Augment.Shift = 1, 16, 2
	d, g := tinyNets(1)
	g.Net = append(g.Net.(layers.Sequential), layers.Reshape{Shape: []int{1, 1, 16}})
	m, err := NewWith(mc, d, g)
	if err != nil {
		t.Fatal(err)
	}
	lab, unl := tinyBatches(1)
	tr := mustTrainer(t, m, cfg)
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
		tr := tinyTrainer(t, 1)
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

// tinySet makes a labelled set of n tinyConfig examples (bars in row k for
// class k).
func tinySet(n int, seed uint64) *datasets.Set {
	s := &datasets.Set{C: 1, H: 4, W: 4, Classes: 3}
	for len(s.Labels) < n {
		b, _ := tinyBatches(seed + uint64(len(s.Labels)))
		s.Data = append(s.Data, b.X...)
		s.Labels = append(s.Labels, b.Labels...)
	}
	s.Data, s.Labels = s.Data[:n*16], s.Labels[:n]
	return s
}

// A loop of one's own over Trainer.Step, with the budget Fit would set,
// takes exactly Fit's steps: same schedule, same numbers.
func TestCustomLoopFollowsFitSchedule(t *testing.T) {
	lab, unl := tinySet(12, 1), tinySet(60, 100)
	_, cfg := tinyConfig(4)
	cfg.Budget.Epochs = 3
	const perEpoch = 10 // 60 unlabelled / batch 6
	const epochs = 3

	var fitLoss []float64
	tr1 := mustTrainer(t, tinyModel(t, 4), cfg)
	obs := &stepRecorder{}
	if _, err := tr1.Fit(context.Background(), lab, unl, nil, obs); err != nil {
		t.Fatal(err)
	}
	fitLoss = obs.d

	tr2 := mustTrainer(t, tinyModel(t, 4), cfg)
	if n := tr2.Schedule(unl.Len()); n != epochs*perEpoch {
		t.Fatalf("Schedule(%d) = %d steps, want %d", unl.Len(), n, epochs*perEpoch)
	}
	// the batches Fit draws: both cycles on the trainer's stream
	labIt, unlIt := lab.Cycle(6, tr2.rng), unl.Cycle(6, tr2.rng)
	lb := Batch{X: make([]float32, 6*16), Labels: make([]int, 6)}
	ub := Batch{X: make([]float32, 6*16), Indices: make([]int, 6)}
	var sum float64
	var lrs []float64
	for i := 0; i < epochs*perEpoch; i++ {
		if i%perEpoch == 0 {
			sum = 0
		}
		if tr2.PropagationDue() { // the labels, propagated when Fit would
			if err := tr2.PropagateLabels(lab, unl); err != nil {
				t.Fatal(err)
			}
		}
		labIt.Next(lb.X, lb.Labels)
		unlIt.NextIndexed(ub.X, nil, ub.Indices)
		st, err := tr2.Step(lb, ub)
		if err != nil {
			t.Fatal(err)
		}
		sum += st.DLoss
		if got, want := sum/float64(i%perEpoch+1), fitLoss[i]; got != want {
			t.Fatalf("step %d: running D loss %v, Fit's %v", i+1, got, want)
		}
		lrs = append(lrs, tr2.LearnRate())
	}
	// the learning rate is constant over the first half and decays to 0
	if lrs[0] != cfg.LearnRate || lrs[len(lrs)/2-1] != cfg.LearnRate || !(lrs[len(lrs)-1] < 0.1*cfg.LearnRate) {
		t.Errorf("learning rates %v: want %g for the first half, then a decay towards 0", lrs, cfg.LearnRate)
	}
	if tr1.LearnRate() != tr2.LearnRate() {
		t.Errorf("last learning rate: Fit %v, loop %v", tr1.LearnRate(), tr2.LearnRate())
	}
}

type stepRecorder struct{ d []float64 }

func (r *stepRecorder) ObserveStep(p Progress)     { r.d = append(r.d, p.DLoss) }
func (r *stepRecorder) Observe(e EpochStats) error { return nil }

// Without a budget, steps use the configured learning rates and the full
// loss weights.
func TestStepWithoutBudget(t *testing.T) {
	tr := tinyTrainer(t, 1)
	lab, unl := tinyBatches(1)
	for i := 0; i < 3; i++ {
		if _, err := tr.Step(lab, unl); err != nil {
			t.Fatal(err)
		}
	}
	if tr.Progress() != 1 || tr.LearnRate() != tr.Config().LearnRate {
		t.Errorf("progress %v, learning rate %v; want 1 and %v", tr.Progress(), tr.LearnRate(), tr.Config().LearnRate)
	}
	for _, b := range []Budget{{Epochs: -1}, {Epochs: 1, MinSteps: -1}, {Duration: -1}, {}} {
		if err := tr.SetBudget(b); err == nil {
			t.Errorf("budget %+v accepted", b)
		}
	}
	if err := tr.SetBudget(Budget{Duration: time.Minute}); err != nil || tr.Config().Budget.Duration != time.Minute {
		t.Errorf("a budget of one minute: %v, the trainer's budget %+v", err, tr.Config().Budget)
	}
}

// NewTrainer checks the training configuration on its own and against
// the model: a term that is on must apply to it (a conditional term needs
// a Conditional model, an unlabelled-data or generator term a model that
// is not SupervisedOnly), and the generator, when trained, needs a term.
func TestNewTrainerChecks(t *testing.T) {
	m := tinyModel(t, 1)
	mc, _ := tinyConfig(1)
	for _, tc := range []struct {
		name string
		mod  func(*TrainConfig)
		want string
	}{
		{"conditional term", func(c *TrainConfig) { c.Weights[termGenClass] = 1 },
			`loss term "gen_class" does not apply to this model (a Conditional model); set its weight to 0`},
		{"fake class", func(c *TrainConfig) { c.Weights["fake_class"] = 0.5 }, `loss term "fake_class" does not apply`},
		{"no generator term", func(c *TrainConfig) { c.Weights[termFeatureMatching] = 0 }, "no generator term is on"},
		{"unknown term", func(c *TrainConfig) { c.Weights["bogus"] = 1 }, `unknown loss term "bogus"`},
		{"negative weight", func(c *TrainConfig) { c.Weights["entropy"] = -1 }, `Weights["entropy"] = -1, must be finite and not negative`},
		{"no supervised term", func(c *TrainConfig) { delete(c.Weights, termSup) }, `Weights["sup"] is 0`},
		{"invalid", func(c *TrainConfig) { c.LearnRate = -1 }, "learning rates must be positive"},
	} {
		cfg := DefaultTrainConfig(mc)
		tc.mod(&cfg)
		if _, err := NewTrainer(m, cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	// A supervised-only model takes no unlabelled-data or generator term.
	smc := mc
	smc.SupervisedOnly = true
	d, _ := tinyNets(1)
	sup, err := NewWith(smc, d, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewTrainer(sup, DefaultTrainConfig(mc)); err == nil || !strings.Contains(err.Error(), `loss term "unsup" does not apply to this model`) {
		t.Errorf("unlabelled terms for a supervised-only model: %v", err)
	}
	if tr, err := NewTrainer(sup, DefaultTrainConfig(smc)); err != nil {
		t.Errorf("the default recipe of a supervised-only model: %v", err)
	} else {
		tr.Close()
	}
	// training settings are the trainer's own
	cfg := DefaultTrainConfig(mc)
	cfg.LearnRate, cfg.BatchSize, cfg.Seed = 3e-4, 3, 77
	cfg.Weights[termConsistency] = 0
	tr, err := NewTrainer(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// its Config makes GenLearnRate explicit and leaves out the terms that are off
	got := tr.Config()
	if got.GenLearnRate != 3e-4 || got.BatchSize != 3 || got.Seed != 77 {
		t.Errorf("trainer config: GenLearnRate %v, BatchSize %d, Seed %d; want 3e-4, 3, 77", got.GenLearnRate, got.BatchSize, got.Seed)
	}
	if _, ok := got.Weights[termConsistency]; ok || got.Weights[termUnsup] != 1 {
		t.Errorf("trainer config weights %v: want the consistency term left out, unsup 1", got.Weights)
	}
	got.Weights[termUnsup] = 5 // a copy
	if tr.Config().Weights[termUnsup] != 1 {
		t.Error("Trainer.Config shares its Weights map")
	}
	// one trainer at a time
	if _, err := NewTrainer(m, cfg); err == nil || !strings.Contains(err.Error(), "already has a trainer") {
		t.Errorf("second trainer: %v", err)
	}
	tr.Close()
	if _, err := NewTrainer(m, cfg); err != nil {
		t.Errorf("trainer after Close: %v", err)
	}
	if _, err := NewTrainer(nil, cfg); err == nil {
		t.Error("nil model accepted")
	}
}

// The pseudo-label loss and cutout: the second view is drawn for them
// alone, the loss and the share of pseudo-labelled examples are reported,
// and no gradient flows into the first view's prediction (the step works
// with gorgonia's differentiation).
func TestPseudoLabelStep(t *testing.T) {
	d, g := tinyNets(8)
	mc, cfg := tinyConfig(8)
	cfg.Weights[termPseudo], cfg.PseudoThreshold, cfg.Augment.Cutout = 1, 0.34, 2
	m, err := NewWith(mc, d, g)
	if err != nil {
		t.Fatal(err)
	}
	tr := mustTrainer(t, m, cfg)
	lab, unl := tinyBatches(8)
	var st StepStats
	for i := 0; i < 20; i++ {
		if st, err = tr.Step(lab, unl); err != nil {
			t.Fatal(err)
		}
	}
	rate, loss := st.Losses["pseudo_rate"], st.Losses[termPseudo]
	cons, hasCons := st.Losses[termConsistency]
	if !(rate > 0 && rate <= 1) || !(loss > 0) || hasCons {
		t.Errorf("pseudo-label loss %v, rate %v, consistency %v (computed: %v); want a positive loss and rate, no consistency", loss, rate, cons, hasCons)
	}
	// the run without the GAN: no generator step
	cfg.Weights[termUnsup] = 0
	d, g = tinyNets(8)
	m, err = NewWith(mc, d, g)
	if err != nil {
		t.Fatal(err)
	}
	tr = mustTrainer(t, m, cfg)
	if st, err = tr.Step(lab, unl); err != nil {
		t.Fatal(err)
	}
	unsup, hasUnsup := st.Losses[termUnsup]
	if st.GLoss != 0 || hasUnsup || tr.graphs.g != nil {
		t.Errorf("without the GAN: G loss %v, unsupervised loss %v (computed: %v), generator graph %v", st.GLoss, unsup, hasUnsup, tr.graphs.g != nil)
	}
	if _, ok := st.Losses[termFeatureMatching]; ok {
		t.Error("without the GAN: the generator's feature-matching term was computed")
	}
}

func TestCutout(t *testing.T) {
	x := make([]float32, 2*1*6*6)
	for i := range x {
		x[i] = 1
	}
	cutout(x, 2, 1, 6, 6, 3, rand.New(rand.NewPCG(1, 1)))
	for i := 0; i < 2; i++ {
		zeros := 0
		for _, v := range x[i*36 : (i+1)*36] {
			if v == 0 {
				zeros++
			}
		}
		if zeros == 0 || zeros > 9 {
			t.Errorf("image %d: %d pixels erased, want 1..9", i, zeros)
		}
	}
}

// On a small unlabelled set Fit takes MinSteps steps, spread evenly over
// the epochs, instead of one short pass per epoch.
func TestFitMinSteps(t *testing.T) {
	lab, unl := tinySet(12, 1), tinySet(12, 100) // 2 steps per pass at batch 6
	_, cfg := tinyConfig(3)
	cfg.Budget = Budget{Epochs: 2, MinSteps: 30}
	tr := mustTrainer(t, tinyModel(t, 3), cfg)
	hist, err := tr.Fit(context.Background(), lab, unl, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Steps() != 30 || len(hist.Epochs) != 2 || hist.Epochs[0].TotalSteps != 15 {
		t.Errorf("%d steps, %d epochs (first ends at step %d); want 30 steps in 2 epochs of 15",
			tr.Steps(), len(hist.Epochs), hist.Epochs[0].TotalSteps)
	}
}

// A learning rate of 1e6 makes the weights explode while the losses can
// stay finite for a while: Step stops at the first update that leaves a
// weight non-finite or beyond MaxWeight, naming the step and the weight
// (issue 12, row 3).
func TestStepStopsOnDivergedWeights(t *testing.T) {
	d, g := tinyNets(3)
	mc, cfg := tinyConfig(3)
	cfg.LearnRate, cfg.GenLearnRate = 1e6, 1e6
	m, err := NewWith(mc, d, g)
	if err != nil {
		t.Fatal(err)
	}
	tr := mustTrainer(t, m, cfg)
	lab, unl := tinyBatches(3)
	var nf *NonFiniteError
	for i := 0; i < 100; i++ {
		if _, err = tr.Step(lab, unl); err != nil {
			break
		}
	}
	if !errors.As(err, &nf) || nf.Param == "" || !strings.Contains(err.Error(), "weight "+nf.Param) {
		t.Fatalf("lr 1e6: error %v, want a *NonFiniteError naming a weight", err)
	}
	if nf.Step > 5 {
		t.Errorf("stopped at step %d; with lr 1e6 the first updates move weights by about 1e6", nf.Step)
	}
}

// The balance term is computed when on (its value is the cross-entropy
// against the prior, at least the prior's entropy), and SetClassPrior
// checks its argument.
func TestBalanceTermAndClassPrior(t *testing.T) {
	mc, cfg := tinyConfig(51)
	cfg.Weights["balance"] = 1
	d, g := tinyNets(51)
	m, err := NewWith(mc, d, g)
	if err != nil {
		t.Fatal(err)
	}
	tr := mustTrainer(t, m, cfg)
	for _, tc := range []struct {
		name  string
		prior []float64
		want  string
	}{
		{"wrong length", []float64{1, 1}, "2 weights for 3 classes"},
		{"negative", []float64{1, -1, 1}, "weight 1"},
		{"NaN", []float64{1, math.NaN(), 1}, "weight 1"},
		{"all zero", []float64{0, 0, 0}, "sum to 0"},
	} {
		if err := tr.SetClassPrior(tc.prior); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	lab, unl := tinyBatches(51)
	for _, prior := range [][]float64{nil, {1, 1, 2}} {
		if err := tr.SetClassPrior(prior); err != nil {
			t.Fatal(err)
		}
		st, err := tr.Step(lab, unl)
		if err != nil {
			t.Fatal(err)
		}
		// the cross-entropy is at least the prior's entropy
		h := math.Log(3)
		if prior != nil {
			h = -(0.25*math.Log(0.25)*2 + 0.5*math.Log(0.5))
		}
		if b := st.Losses["balance"]; !(b >= h-1e-4) || b > 20 {
			t.Errorf("prior %v: balance loss %v, want at least the prior's entropy %v", prior, b, h)
		}
	}
}

// flipImages mirrors whole images, every channel, about half of them.
func TestFlipImages(t *testing.T) {
	const n, c, h, w = 200, 2, 3, 4
	x := make([]float32, n*c*h*w)
	for i := range x {
		x[i] = float32(i)
	}
	orig := slices.Clone(x)
	flipImages(x, n, c, h, w, rand.New(rand.NewPCG(1, 1)))
	flipped := 0
	for i := range n {
		img, o := x[i*c*h*w:(i+1)*c*h*w], orig[i*c*h*w:(i+1)*c*h*w]
		if slices.Equal(img, o) {
			continue
		}
		flipped++
		for r := 0; r < c*h; r++ {
			for j := 0; j < w; j++ {
				if img[r*w+j] != o[r*w+w-1-j] {
					t.Fatalf("image %d row %d is neither kept nor mirrored: %v from %v", i, r, img[r*w:(r+1)*w], o[r*w:(r+1)*w])
				}
			}
		}
	}
	if flipped < 70 || flipped > 130 {
		t.Errorf("%d of %d images mirrored, want about half", flipped, n)
	}
}
