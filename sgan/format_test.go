package sgan

import (
	"context"
	"encoding/json"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/semigan/semigan/datasets"
)

// Golden checkpoints of the current format (version 3), as
// testdata/v2gen wrote those of version 2: the same three recipes, now
// through today's API, and what the files gave. Later releases must keep
// loading them. They are written once per format version, with
//
//	go test ./sgan -run WriteCheckpointGolden -update-checkpoints
var updateCheckpoints = flag.Bool("update-checkpoints", false, "write the golden checkpoints of the current format version")

// formatRecipes are the recipes of the golden checkpoints, in today's
// terms; testdata/v2gen/main.go has them in the old ones.
var formatRecipes = []struct {
	name    string
	trainer bool
	configs func() (ModelConfig, TrainConfig)
}{
	{"conv-3x8x8", true, func() (ModelConfig, TrainConfig) {
		m := tinyConfigBuiltin()
		m.Seed = 7
		t := DefaultTrainConfig(m)
		t.BatchSize, t.Budget = 6, Budget{Epochs: 2}
		t.Weights["entropy"] = 0
		delete(t.Weights, termPropagation) // the recipe of the version 2 release
		return m, t
	}},
	{"conditional-3x8x8", true, func() (ModelConfig, TrainConfig) {
		m := tinyConfigBuiltin()
		m.Seed, m.Conditional, m.InputNoise, m.DiscDropout, m.EMADecay = 8, true, 0, 0, 0.99
		t := DefaultTrainConfig(m)
		t.BatchSize, t.Budget = 6, Budget{Epochs: 2}
		t.Weights = map[string]float64{"sup": 1, "unsup": 1, "entropy": 1, "fake_class": 0.3, "balance": 0.2, "consistency": 1,
			"pseudo": 0.5, "nonsaturating": 1, "gen_class": 0.7}
		t.PseudoThreshold, t.MeanTeacher, t.DecayStart = 0.4, true, 1
		t.Augment = Augment{Shift: 2, Flip: true, Cutout: 3, Mixup: 0.4}
		t.LearnRate, t.GenLearnRate = 2e-3, 1e-3
		return m, t
	}},
	{"supervised-3x8x8", false, func() (ModelConfig, TrainConfig) {
		m := tinyConfigBuiltin()
		m.Seed, m.SupervisedOnly = 9, true
		t := DefaultTrainConfig(m)
		t.BatchSize, t.Budget = 6, Budget{Epochs: 2}
		return m, t
	}},
}

// formatData makes n random 8×8 images in [-1, 1] of 3 classes, as
// v2gen's data does.
func formatData(n int, rng *rand.Rand) ([]float32, []int) {
	x := make([]float32, n*64)
	for i := range x {
		x[i] = float32(2*rng.Float64() - 1)
	}
	y := make([]int, n)
	for i := range y {
		y[i] = i % 3
		for p := 0; p < 16; p++ {
			x[i*64+y[i]*16+p] = float32(0.5 + 0.5*rng.Float64())
		}
	}
	return x, y
}

// writeFormatGolden trains a recipe as v2gen did and writes its
// checkpoint and golden outputs into dir under prefix+name.
func writeFormatGolden(t *testing.T, dir, prefix, name string, trainer bool, mc ModelConfig, tc TrainConfig) v2Golden {
	t.Helper()
	rng := rand.New(rand.NewPCG(mc.Seed, 100))
	lx, ly := formatData(12, rng)
	ux, _ := formatData(24, rng)
	lab := &datasets.Set{Data: lx, Labels: ly, C: 1, H: 8, W: 8, Classes: 3}
	unl := &datasets.Set{Data: ux, Labels: make([]int, 24), C: 1, H: 8, W: 8, Classes: 3}
	for i := range unl.Labels {
		unl.Labels[i] = datasets.Unlabelled
	}
	m, tr := newBuiltIn(t, mc, tc)
	defer tr.Close()
	if _, err := tr.Fit(context.Background(), lab, unl, nil); err != nil {
		t.Fatal(err)
	}
	var g v2Golden
	g.Trained = tr.Steps()
	g.X, _ = formatData(5, rng)
	var err error
	if g.Probs, err = m.PredictProba(g.X); err != nil {
		t.Fatal(err)
	}
	if !mc.SupervisedOnly {
		g.Z = make([]float32, 4*mc.LatentDim)
		for i := range g.Z {
			g.Z[i] = float32(rng.NormFloat64())
		}
		if g.Images, err = m.GenerateFrom(g.Z); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, prefix+name+".ckpt")
	if trainer {
		if err := tr.Save(path); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			lxb, lyb := formatData(tc.BatchSize, rng)
			uxb, _ := formatData(tc.BatchSize, rng)
			st, err := tr.Step(Batch{X: lxb, Labels: lyb}, Batch{X: uxb})
			if err != nil {
				t.Fatal(err)
			}
			l := st.Losses
			g.Steps = append(g.Steps, v2Step{Lab: lxb, Labels: lyb, Unl: uxb, DLoss: st.DLoss, GLoss: st.GLoss,
				Sup: l["sup"], Unsup: l["unsup"], Entropy: l["entropy"], Cons: l["consistency"], GenCls: l["gen_class"],
				FakeCls: l["fake_class"], Pseudo: l["pseudo"], Balance: l["balance"], Correct: st.LabelledCorrect})
		}
	} else if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, prefix+name+".json"), append(raw, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	return g
}

// The recipes trained with today's API give, number for number, what the
// release before the config split gave (the arithmetic did not change),
// and -update-checkpoints writes them as the current format's golden
// files.
func TestWriteCheckpointGolden(t *testing.T) {
	dir := t.TempDir()
	if *updateCheckpoints {
		dir = "testdata"
	}
	for _, r := range formatRecipes {
		mc, tc := r.configs()
		got := writeFormatGolden(t, dir, "v3-", r.name, r.trainer, mc, tc)
		if diff := goldenDiff(got, readV2Golden(t, "v2-"+r.name)); diff != "" {
			t.Errorf("%s: today's run differs from the version 2 release's (v2-%s.json): %s", r.name, r.name, diff)
		}
	}
}
