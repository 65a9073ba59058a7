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

// mnistSubset returns 10 labelled examples per class, nUnl unlabelled
// training images and the first nTest test images.
func mnistSubset(t testing.TB, nUnl, nTest int) (lab, unl, test *datasets.Set) {
	t.Helper()
	train, tst, err := datasets.LoadMNIST("")
	if err != nil {
		t.Fatal(err)
	}
	lab, unl, err = train.Split(10, rand.New(rand.NewPCG(1, StreamSplit)), datasets.SplitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]int, max(nUnl, nTest))
	for i := range idx {
		idx[i] = i
	}
	return lab, unl.Subset(idx[:nUnl]), tst.Subset(idx[:nTest])
}

// A short semi-supervised training on an MNIST subset must learn: far
// above the 10 % of chance after a few dozen steps.
func TestFitLearnsMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for several seconds")
	}
	lab, unl, test := mnistSubset(t, 1500, 1000)
	m, err := New(Config{Seed: 1, BatchSize: 50, Epochs: 2, MinSteps: -1, LearnRate: 1e-3})
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	var csv bytes.Buffer
	tr := mustTrainer(t, m)
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
	m, err := New(Config{Seed: 1, BatchSize: 20, Epochs: 3, MinSteps: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopAfter := ObserverFunc(func(e EpochStats) error { cancel(); return nil })
	hist, err := m.Fit(ctx, lab, unl, nil, stopAfter)
	if err == nil || len(hist.Epochs) != 1 {
		t.Errorf("Fit after cancel: %d epochs, error %v; want 1 epoch and context.Canceled", len(hist.Epochs), err)
	}
	// ErrStop from an observer ends training without error.
	m2, err := New(Config{Seed: 1, BatchSize: 20, Epochs: 3, MinSteps: -1})
	if err != nil {
		t.Fatal(err)
	}
	hist, err = m2.Fit(context.Background(), lab, unl, nil, ObserverFunc(func(EpochStats) error { return ErrStop }))
	if err != nil || len(hist.Epochs) != 1 {
		t.Errorf("ErrStop: %d epochs, error %v; want 1 epoch, nil", len(hist.Epochs), err)
	}
}

func TestFitRejectsMismatchedData(t *testing.T) {
	lab, unl, _ := mnistSubset(t, 100, 0)
	m, err := New(Config{Seed: 1, Classes: 5, BatchSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Fit(context.Background(), lab, unl, nil); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("labels 5..9 for a 5-class model: %v", err)
	}
	m2, err := New(Config{Seed: 1, Height: 32, Width: 32, BatchSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m2.Fit(context.Background(), lab, unl, nil); err == nil || !strings.Contains(err.Error(), "28×28") {
		t.Errorf("28×28 data for a 32×32 model: %v", err)
	}
	// Values far outside [−1, 1] (a CSV of 1e30s, issue 12 row 12) are the
	// input's fault, and the error says so and names the example, instead
	// of a NaN loss blamed on the learning rate.
	m3, err := New(Config{Seed: 1, BatchSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	// A batch larger than the unlabelled set (issue 12, row 4).
	m4, err := New(Config{Seed: 1, BatchSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m4.Fit(context.Background(), lab, unl.Subset([]int{0, 1, 2}), nil); err == nil || !strings.Contains(err.Error(), "BatchSize 1000 is larger than the unlabelled set (3 examples)") {
		t.Errorf("batch 1000 over 3 unlabelled examples: %v", err)
	}
	huge := unl.Clone()
	huge.Data[3*784+5] = 1e30
	if _, err := m3.Fit(context.Background(), lab, huge, nil); err == nil || !strings.Contains(err.Error(), "unlabelled set example 3, value 5: 1e+30 is not finite") {
		t.Errorf("a value of 1e30: %v", err)
	}
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

// With MeanTeacher the consistency targets come from the weight
// average's predictions on another view: the step has no second view in
// its graph, the term is positive, and it is zero with the loss off.
func TestMeanTeacherStep(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cons     float64
		pseudo   float64
		wantTerm bool
		want2nd  bool // a second view in the discriminator's graph
	}{
		{"teacher", 1, 0, true, false},
		{"teacher with pseudo-labels", 1, 1, true, true},
		{"consistency off", -1, 0, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, g := tinyNets(8)
			cfg := tinyConfig(8)
			cfg.ConsistencyWeight = tc.cons
			cfg.PseudoLabelWeight = tc.pseudo
			cfg.MeanTeacher = true
			cfg.AugmentShift = 1
			m, err := NewWith(cfg, d, g)
			if err != nil {
				t.Fatal(err)
			}
			tr := mustTrainer(t, m)
			lab, unl := tinyBatches(8)
			var st StepStats
			for range 3 {
				if st, err = tr.Step(lab, unl); err != nil {
					t.Fatal(err)
				}
			}
			if got := st.Consistency > 0; got != tc.wantTerm {
				t.Errorf("consistency loss %v, want positive: %v", st.Consistency, tc.wantTerm)
			}
			if got := tr.graphs.xUnl2 != nil; got != tc.want2nd {
				t.Errorf("second view in the graph: %v, want %v", got, tc.want2nd)
			}
			if got := tr.graphs.teacher != nil; got != tc.wantTerm {
				t.Errorf("teacher graph: %v, want %v", got, tc.wantTerm)
			}
			if tc.wantTerm {
				// the targets are probability rows
				K := cfg.Classes
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
	cfg := tinyConfig(4)
	cfg.Epochs = 3
	const perEpoch = 10 // 60 unlabelled / batch 6

	var fitLoss []float64
	m1 := tinyModel(t, 4)
	m1.cfg.Epochs = cfg.Epochs
	tr1 := mustTrainer(t, m1)
	obs := &stepRecorder{}
	if _, err := tr1.Fit(context.Background(), lab, unl, nil, obs); err != nil {
		t.Fatal(err)
	}
	fitLoss = obs.d

	m2 := tinyModel(t, 4)
	m2.cfg.Epochs = cfg.Epochs
	tr2 := mustTrainer(t, m2)
	if err := tr2.SetBudget(cfg.Epochs*perEpoch, 0); err != nil {
		t.Fatal(err)
	}
	// the batches Fit draws: both cycles on the trainer's stream
	labIt, unlIt := lab.Cycle(6, tr2.rng), unl.Cycle(6, tr2.rng)
	lb := Batch{X: make([]float32, 6*16), Labels: make([]int, 6)}
	ub := Batch{X: make([]float32, 6*16)}
	var sum float64
	var lrs []float64
	for i := 0; i < cfg.Epochs*perEpoch; i++ {
		if i%perEpoch == 0 {
			sum = 0
		}
		labIt.Next(lb.X, lb.Labels)
		unlIt.Next(ub.X, nil)
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
	tr := mustTrainer(t, tinyModel(t, 1))
	lab, unl := tinyBatches(1)
	for i := 0; i < 3; i++ {
		if _, err := tr.Step(lab, unl); err != nil {
			t.Fatal(err)
		}
	}
	if tr.Progress() != 1 || tr.LearnRate() != tr.Config().LearnRate {
		t.Errorf("progress %v, learning rate %v; want 1 and %v", tr.Progress(), tr.LearnRate(), tr.Config().LearnRate)
	}
	if err := tr.SetBudget(-1, 0); err == nil {
		t.Error("negative budget accepted")
	}
}

func TestNewTrainerChecks(t *testing.T) {
	m := tinyModel(t, 1)
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"classes", func(c *Config) { c.Classes = 4 }, "Config.Classes is 4, the model's is 3"},
		{"shape", func(c *Config) { c.Height = 5 }, "Config.Height is 5"},
		{"latent", func(c *Config) { c.LatentDim = 7 }, "Config.LatentDim is 7"},
		{"conditional", func(c *Config) { c.Conditional = true }, "Config.Conditional is true"},
		{"invalid", func(c *Config) { c.LearnRate = -1 }, "learning rates must be positive"},
	} {
		cfg := m.Config()
		tc.mod(&cfg)
		if _, err := NewTrainer(m, cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	// training settings may differ from the model's
	cfg := m.Config()
	cfg.LearnRate, cfg.BatchSize, cfg.Seed = 3e-4, 3, 77
	tr, err := NewTrainer(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// one trainer at a time
	if _, err := NewTrainer(m, m.Config()); err == nil || !strings.Contains(err.Error(), "already has a trainer") {
		t.Errorf("second trainer: %v", err)
	}
	tr.Close()
	if _, err := NewTrainer(m, m.Config()); err != nil {
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
	cfg := tinyConfig(8)
	cfg.PseudoLabelWeight, cfg.PseudoLabelThreshold, cfg.AugmentCutout = 1, 0.34, 2
	m, err := NewWith(cfg, d, g)
	if err != nil {
		t.Fatal(err)
	}
	tr := mustTrainer(t, m)
	lab, unl := tinyBatches(8)
	var st StepStats
	for i := 0; i < 20; i++ {
		if st, err = tr.Step(lab, unl); err != nil {
			t.Fatal(err)
		}
	}
	if !(st.PseudoRate > 0 && st.PseudoRate <= 1) || !(st.PseudoLabel > 0) || st.Consistency != 0 {
		t.Errorf("pseudo-label loss %v, rate %v, consistency %v; want a positive loss and rate, no consistency", st.PseudoLabel, st.PseudoRate, st.Consistency)
	}
	// the run without the GAN: no generator step
	cfg.UnsupWeight = -1
	d, g = tinyNets(8)
	m, err = NewWith(cfg, d, g)
	if err != nil {
		t.Fatal(err)
	}
	tr = mustTrainer(t, m)
	if st, err = tr.Step(lab, unl); err != nil {
		t.Fatal(err)
	}
	if st.GLoss != 0 || st.UnsupLoss != 0 || tr.graphs.g != nil {
		t.Errorf("without the GAN: G loss %v, unsupervised loss %v, generator graph %v", st.GLoss, st.UnsupLoss, tr.graphs.g != nil)
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
	m := tinyModel(t, 3)
	m.cfg.Epochs, m.cfg.MinSteps = 2, 30
	tr := mustTrainer(t, m)
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
	cfg := tinyConfig(3)
	cfg.LearnRate, cfg.GenLearnRate = 1e6, 1e6
	m, err := NewWith(cfg, d, g)
	if err != nil {
		t.Fatal(err)
	}
	tr := mustTrainer(t, m)
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
	cfg := tinyConfig(51)
	cfg.BalanceWeight = 1
	d, g := tinyNets(51)
	m, err := NewWith(cfg, d, g)
	if err != nil {
		t.Fatal(err)
	}
	tr := mustTrainer(t, m)
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
		if !(st.Balance >= h-1e-4) || st.Balance > 20 {
			t.Errorf("prior %v: balance loss %v, want at least the prior's entropy %v", prior, st.Balance, h)
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
