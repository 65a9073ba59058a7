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

// goldenConfigs are the recipes whose runs are pinned: the default, the
// conditional generator with the non-saturating loss and the fake-class
// term, the weight-normalised MLP with data-dependent initialisation, and
// the supervised baseline.
var goldenConfigs = []struct {
	name string
	cfg  Config
}{
	{"default", Config{Seed: 1, BatchSize: 20}},
	{"conditional", Config{Seed: 2, BatchSize: 20, Conditional: true, FakeClassWeight: 0.3, GenLoss: NonSaturating, ConsistencyWeight: -1}},
	{"mlp", Config{Seed: 3, BatchSize: 20, Arch: ArchMLP, EntropyWeight: -1, EMADecay: -1}},
	{"supervised", Config{Seed: 4, BatchSize: 20, SupervisedOnly: true}},
}

func g17(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// stepLine formats every number of one step exactly.
func stepLine(st StepStats) string {
	return fmt.Sprintf("%d d=%s g=%s sup=%s uns=%s ent=%s cons=%s gcls=%s fcls=%s ok=%d",
		st.Step, g17(st.DLoss), g17(st.GLoss), g17(st.SupLoss), g17(st.UnsupLoss), g17(st.Entropy),
		g17(st.Consistency), g17(st.GenClass), g17(st.FakeClass), st.LabelledCorrect)
}

// goldenRun trains one recipe for goldenSteps steps on an MNIST subset,
// with batches drawn by the test and the learning-rate and ramp schedule
// of a goldenSteps-step budget, and returns one line per step.
func goldenRun(t *testing.T, name string, cfg Config, lab, unl *datasets.Set) []string {
	t.Helper()
	tr := newGoldenTrainer(t, cfg, unl)
	c := tr.config()
	B, F := c.BatchSize, c.Channels*c.Height*c.Width
	rng := rand.New(rand.NewPCG(cfg.Seed, 77))
	labIt, unlIt := lab.Cycle(B, rng), unl.Cycle(B, rng)
	lb := Batch{X: make([]float32, B*F), Labels: make([]int, B)}
	ub := Batch{X: make([]float32, B*F)}
	var lines []string
	for i := 0; i < goldenSteps; i++ {
		labIt.Next(lb.X, lb.Labels)
		unlIt.Next(ub.X, nil)
		st, err := tr.step(i, lb, ub)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		lines = append(lines, name+" "+stepLine(st))
	}
	return lines
}

// goldenFit runs Fit for two epochs of 100 steps and returns the running
// means it reports at every step and each epoch's statistics.
func goldenFit(t *testing.T, lab, unl, test *datasets.Set) []string {
	t.Helper()
	var lines []string
	obs := &goldenObserver{lines: &lines}
	m, err := New(Config{Seed: 5, BatchSize: 20, Epochs: 2, MinSteps: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fitForGolden(m, lab, unl, test, obs); err != nil {
		t.Fatal(err)
	}
	return lines
}

type goldenObserver struct{ lines *[]string }

func (o *goldenObserver) ObserveStep(p Progress) {
	*o.lines = append(*o.lines, fmt.Sprintf("fit %d.%d d=%s g=%s", p.Epoch, p.Step, g17(p.DLoss), g17(p.GLoss)))
}

func (o *goldenObserver) Observe(e EpochStats) error {
	*o.lines = append(*o.lines, fmt.Sprintf("fit epoch %d steps=%d d=%s g=%s sup=%s uns=%s ent=%s cons=%s gcls=%s train=%s eval=%s errors=%d lr=%s",
		e.Epoch, e.TotalSteps, g17(e.DLoss), g17(e.GLoss), g17(e.SupLoss), g17(e.UnsupLoss), g17(e.Entropy), g17(e.Consistency),
		g17(e.GenClass), g17(e.TrainAcc), g17(e.EvalAcc), e.EvalErrors, g17(e.LearnRate)))
	return nil
}

func TestGoldenStepLosses(t *testing.T) {
	if testing.Short() {
		t.Skip("trains five models for 200 steps each")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	lab, unl, test := mnistSubset(t, 2000, 500)
	var got []string
	for _, gc := range goldenConfigs {
		got = append(got, goldenRun(t, gc.name, gc.cfg, lab, unl)...)
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
	if len(got) != len(want) {
		t.Errorf("%d lines, golden file %s has %d", len(got), file, len(want))
	}
	bad := 0
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			bad++
			if bad <= 5 {
				t.Errorf("line %d differs from %s:\n got  %s\n want %s", i+1, file, got[i], want[i])
			}
		}
	}
	if bad > 5 {
		t.Errorf("... %d differing lines in all", bad)
	}
}

// ---- adapters to the training API of the code under test ----

type goldenTrainer struct{ t *Trainer }

func newGoldenTrainer(t *testing.T, cfg Config, unl *datasets.Set) *goldenTrainer {
	t.Helper()
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := m.Config()
	F := c.Channels * c.Height * c.Width
	if err := m.InitFromData(unl.Data[:200*F]); err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrainer(m, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.SetBudget(goldenSteps, 0); err != nil {
		t.Fatal(err)
	}
	return &goldenTrainer{t: tr}
}

func (g *goldenTrainer) config() Config { return g.t.Config() }

func (g *goldenTrainer) step(_ int, lab, unl Batch) (StepStats, error) {
	return g.t.Step(lab, unl)
}

func fitForGolden(m *Model, lab, unl, test *datasets.Set, obs ...Observer) (*History, error) {
	return m.Fit(context.Background(), lab, unl, test, obs...)
}
