package sgan

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/layers"
)

// The golden-run tests pin the numbers of training: the same seed must
// give bit-identical step losses, run after run and refactoring after
// refactoring. The golden files were written by the code before the
// Model/Trainer split (issue 10) and must not be regenerated to make a
// change pass: a change that alters the arithmetic on purpose says so in
// its commit and regenerates them with
//
//	go test ./sgan -run Golden -update-golden            # pure-Go build
//	go test ./sgan -run Golden -update-golden -tags openblas
//
// Results depend on the BLAS kernel (the file name holds it) and on
// GOMAXPROCS, which sets how the convolutions split the batch and so the
// order in which the weight gradients of the chunks are summed; the test
// runs at GOMAXPROCS 2 whatever -cpu says.
var updateGolden = flag.Bool("update-golden", false, "rewrite the golden step-loss files of this build")

// goldenSteps is the number of steps each golden run takes.
const goldenSteps = 200

// goldenFile is the golden file of this build's BLAS kernel.
func goldenFile() string {
	r := strings.NewReplacer(" ", "-", "(", "", ")", "", "/", "-")
	return filepath.Join("testdata", "golden-steps-"+r.Replace(layers.BLASName())+".txt")
}

// recipe is a pinned training recipe: the default model and training
// configurations of a seed, edited.
type recipe struct {
	name  string
	seed  uint64
	model func(*ModelConfig)
	train func(*TrainConfig)
}

// configs returns the recipe's configurations: batches of 20, and the
// defaults otherwise unless the recipe edits them.
func (r recipe) configs() (ModelConfig, TrainConfig) {
	mc := DefaultModelConfig()
	mc.Seed = r.seed
	if r.model != nil {
		r.model(&mc)
	}
	tc := DefaultTrainConfig(mc)
	tc.BatchSize = 20
	// the recipes were pinned before the propagation term was on by
	// default; the "propagation" recipe pins it
	delete(tc.Weights, termPropagation)
	if r.train != nil {
		r.train(&tc)
	}
	return mc, tc
}

// allOptions switches on every option of the training recipe but the
// Mean Teacher: the conditional generator's class terms (the model must
// be conditional), pseudo-labels, class balance, flips, cutout and mixup.
func allOptions(t *TrainConfig) {
	t.Weights["fake_class"] = 0.3
	t.Weights[termPseudo] = 1
	t.PseudoThreshold = 0.6
	t.Weights["balance"] = 0.5
	t.Augment = Augment{Shift: t.Augment.Shift, Flip: true, Cutout: 8, Mixup: 0.5}
}

func conditional(m *ModelConfig) { m.Conditional = true }

// goldenRecipes are the recipes whose runs are pinned: the default, the
// conditional generator with the non-saturating loss and the fake-class
// term, the weight-normalised MLP with data-dependent initialisation, the
// supervised baseline, and every option on, with the Mean Teacher's and
// with the Π-model's consistency.
var goldenRecipes = []recipe{
	{name: "default", seed: 1},
	{name: "conditional", seed: 2, model: conditional, train: func(t *TrainConfig) {
		t.Weights["fake_class"] = 0.3
		t.Weights[termFeatureMatching], t.Weights[termNonSaturating] = 0, 1
		t.Weights[termConsistency] = 0
	}},
	{name: "mlp", seed: 3, model: func(m *ModelConfig) { m.Arch, m.EMADecay = ArchMLP, 0 },
		train: func(t *TrainConfig) { t.Weights["entropy"] = 0 }},
	{name: "supervised", seed: 4, model: func(m *ModelConfig) { m.SupervisedOnly = true }},
	{name: "all-teacher", seed: 6, model: conditional, train: func(t *TrainConfig) { allOptions(t); t.MeanTeacher = true }},
	{name: "all-pi", seed: 7, model: conditional, train: allOptions},
	// label propagation, propagated at steps 0, 50, 100 and 150
	{name: "propagation", seed: 8, train: func(t *TrainConfig) {
		t.Weights[termPropagation] = 3
		t.Propagation.Start, t.Propagation.Every = 0, 0.25
	}},
}

func g17(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// termValues lists the value of every loss term and term metric, by name
// in the loss-term table's order, 0 for those not computed.
func termValues(losses map[string]float64) string {
	var b strings.Builder
	for _, name := range termMetrics() {
		fmt.Fprintf(&b, " %s=%s", name, g17(losses[name]))
	}
	return b.String()
}

// stepLine formats every number of one step exactly.
func stepLine(st StepStats) string {
	return fmt.Sprintf("%d d=%s g=%s%s ok=%d", st.Step, g17(st.DLoss), g17(st.GLoss), termValues(st.Losses), st.LabelledCorrect)
}

// goldenRun trains one recipe for goldenSteps steps on an MNIST subset,
// with batches drawn by the test and the learning-rate and ramp schedule
// of a goldenSteps-step budget, and returns one line per step.
func goldenRun(t *testing.T, r recipe, lab, unl *datasets.Set) []string {
	t.Helper()
	mc, tc := r.configs()
	tr := newGoldenTrainer(t, mc, tc, unl)
	B, F := tc.BatchSize, mc.Channels*mc.Height*mc.Width
	rng := rand.New(rand.NewPCG(r.seed, 77))
	labIt, unlIt := lab.Cycle(B, rng), unl.Cycle(B, rng)
	lb := Batch{X: make([]float32, B*F), Labels: make([]int, B)}
	ub := Batch{X: make([]float32, B*F), Indices: make([]int, B)}
	var lines []string
	for i := 0; i < goldenSteps; i++ {
		if tr.PropagationDue() {
			if err := tr.PropagateLabels(lab, unl); err != nil {
				t.Fatalf("%s: %v", r.name, err)
			}
		}
		labIt.Next(lb.X, lb.Labels)
		unlIt.NextIndexed(ub.X, nil, ub.Indices)
		st, err := tr.Step(lb, ub)
		if err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
		lines = append(lines, r.name+" "+stepLine(st))
	}
	return lines
}

// newGoldenTrainer makes the model, initialises it from data and makes a
// trainer whose schedule is a budget of goldenSteps steps.
func newGoldenTrainer(t *testing.T, mc ModelConfig, tc TrainConfig, unl *datasets.Set) *Trainer {
	t.Helper()
	m, err := New(mc)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.InitFromData(unl.Head(200).Values()); err != nil {
		t.Fatal(err)
	}
	tc.Budget = Budget{Epochs: 1, MinSteps: goldenSteps}
	tr, err := NewTrainer(m, tc)
	if err != nil {
		t.Fatal(err)
	}
	if n := tr.Schedule(unl.Len()); n != goldenSteps {
		t.Fatalf("the schedule has %d steps, want %d", n, goldenSteps)
	}
	return tr
}

// goldenFit runs Fit for two epochs of 100 steps and returns the running
// means it reports at every step and each epoch's statistics.
func goldenFit(t *testing.T, lab, unl, test *datasets.Set) []string {
	t.Helper()
	var lines []string
	obs := &goldenObserver{lines: &lines}
	mc, tc := recipe{seed: 5}.configs()
	tc.Budget = Budget{Epochs: 2}
	m, err := New(mc)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrainer(m, tc)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if _, err := tr.Fit(context.Background(), lab, unl, test, obs); err != nil {
		t.Fatal(err)
	}
	return lines
}

type goldenObserver struct{ lines *[]string }

func (o *goldenObserver) ObserveStep(p Progress) {
	*o.lines = append(*o.lines, fmt.Sprintf("fit %d.%d d=%s g=%s", p.Epoch, p.Step, g17(p.DLoss), g17(p.GLoss)))
}

func (o *goldenObserver) Observe(e EpochStats) error {
	*o.lines = append(*o.lines, fmt.Sprintf("fit epoch %d steps=%d d=%s g=%s%s train=%s eval=%s errors=%d lr=%s",
		e.Epoch, e.TotalSteps, g17(e.DLoss), g17(e.GLoss), termValues(e.Losses), g17(e.TrainAcc), g17(e.EvalAcc), e.EvalErrors, g17(e.LearnRate)))
	return nil
}

func TestGoldenStepLosses(t *testing.T) {
	if testing.Short() {
		t.Skip("trains five models for 200 steps each")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	lab, unl, test := mnistSubset(t, 2000, 500)
	var got []string
	for _, r := range goldenRecipes {
		got = append(got, goldenRun(t, r, lab, unl)...)
	}
	got = append(got, goldenFit(t, lab, unl, test)...)
	file := goldenFile()
	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d lines)", file, len(got))
		return
	}
	raw, err := os.ReadFile(file)
	if os.IsNotExist(err) {
		t.Skipf("no golden file %s for this BLAS kernel (%s); write one with -update-golden on the code before a change", file, layers.BLASName())
	}
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	compareGolden(t, file, got, want)
}

// compareGolden compares the lines of each recipe (the first word of a
// line) with the golden file's: the same number of lines, and on each
// line every name=value pair the golden line holds. A golden file written
// before a term or a recipe existed pins fewer pairs or recipes; what it
// lacks is listed but does not fail, and regenerating the file on its
// kernel pins it.
func compareGolden(t *testing.T, file string, got, want []string) {
	t.Helper()
	byRecipe := func(lines []string) (map[string][]string, []string) {
		m := map[string][]string{}
		var order []string
		for _, l := range lines {
			r, _, _ := strings.Cut(l, " ")
			if _, ok := m[r]; !ok {
				order = append(order, r)
			}
			m[r] = append(m[r], l)
		}
		return m, order
	}
	gotBy, order := byRecipe(got)
	wantBy, wantOrder := byRecipe(want)
	for _, r := range wantOrder {
		if _, ok := gotBy[r]; !ok {
			t.Errorf("golden file %s pins recipe %q, which the test no longer runs", file, r)
		}
	}
	bad, unpinned := 0, map[string]bool{}
	for _, r := range order {
		w, ok := wantBy[r]
		if !ok {
			t.Logf("recipe %q is not pinned in %s (written before it existed); -update-golden on this kernel pins it", r, file)
			continue
		}
		g := gotBy[r]
		if len(g) != len(w) {
			t.Errorf("recipe %q: %d lines, golden file %s has %d", r, len(g), file, len(w))
		}
		for i := range min(len(g), len(w)) {
			gf, wf := fields(g[i]), fields(w[i])
			for k, wv := range wf {
				if gv, ok := gf[k]; !ok || gv != wv {
					bad++
					if bad <= 5 {
						t.Errorf("recipe %q line %d: %s=%s, golden file %s has %s=%s:\n got  %s\n want %s", r, i+1, k, gv, file, k, wv, g[i], w[i])
					}
				}
			}
			for k := range gf {
				if _, ok := wf[k]; !ok {
					unpinned[k] = true
				}
			}
		}
	}
	if bad > 5 {
		t.Errorf("... %d differing values in all", bad)
	}
	if len(unpinned) > 0 {
		t.Logf("values not pinned by %s (written before they existed): %v", file, unpinned)
	}
}

// fields maps the name=value words of a golden line; the others (the
// recipe, the step) are kept under their position.
func fields(line string) map[string]string {
	f := map[string]string{}
	for i, w := range strings.Fields(line) {
		if k, v, ok := strings.Cut(w, "="); ok {
			f[k] = v
		} else {
			f["#"+strconv.Itoa(i)] = w
		}
	}
	return f
}
