// Command v2gen wrote the version-2 golden checkpoints of sgan/testdata
// with the release before the config split (commit 1c2c6fb), through its
// public API only, as a third-party module would. It does not build
// against later releases (its API is gone); it is kept to show how the
// files and their expected outputs (v2-*.json) were made:
//
//	cd sgan/testdata/v2gen && git checkout 1c2c6fb -- ../../.. && go run . -out ..
//
// Each JSON file holds the model's class probabilities on fixed inputs,
// the images its generator makes from fixed latent vectors, and, for a
// trainer checkpoint, three more steps taken after the save on fixed
// batches with the losses each reported.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/sgan"
)

type step struct {
	Lab     []float32 `json:"lab"`
	Labels  []int     `json:"labels"`
	Unl     []float32 `json:"unl"`
	DLoss   float64   `json:"d_loss"`
	GLoss   float64   `json:"g_loss"`
	Sup     float64   `json:"sup"`
	Unsup   float64   `json:"unsup"`
	Entropy float64   `json:"entropy"`
	Cons    float64   `json:"consistency"`
	GenCls  float64   `json:"gen_class"`
	FakeCls float64   `json:"fake_class"`
	Pseudo  float64   `json:"pseudo"`
	Balance float64   `json:"balance"`
	Correct int       `json:"correct"`
}

type golden struct {
	X       []float32 `json:"x"`
	Probs   []float32 `json:"probs"`
	Z       []float32 `json:"z,omitempty"`
	Images  []float32 `json:"images,omitempty"`
	Steps   []step    `json:"steps,omitempty"`
	Trained int       `json:"trained_steps"`
}

func main() {
	out := flag.String("out", ".", "directory for the files")
	flag.Parse()
	recipes := []struct {
		name    string
		cfg     sgan.Config
		trainer bool
	}{
		// the default recipe with entropy minimisation switched off the
		// old way (a negative weight) and no step minimum
		{"v2-conv-3x8x8", sgan.Config{Seed: 7, Classes: 3, Height: 8, Width: 8, LatentDim: 8, BatchSize: 6, EvalBatch: 30, DiscWidth: 4,
			Epochs: 2, MinSteps: -1, EntropyWeight: -1}, true},
		// every option of the time on, and the "negative means off"
		// fields of the networks switched off
		{"v2-conditional-3x8x8", sgan.Config{Seed: 8, Classes: 3, Height: 8, Width: 8, LatentDim: 8, BatchSize: 6, EvalBatch: 30,
			Epochs: 2, MinSteps: -1, Conditional: true, FakeClassWeight: 0.3, GenLoss: sgan.NonSaturating,
			PseudoLabelWeight: 0.5, PseudoLabelThreshold: 0.4, BalanceWeight: 0.2, MeanTeacher: true, Mixup: 0.4,
			AugmentFlip: true, AugmentCutout: 3, AugmentShift: 2, DecayStart: -1, EMADecay: 0.99,
			InputNoise: -1, DiscDropout: -1, DiscWidth: 4, LearnRate: 2e-3, GenLearnRate: 1e-3, ClassWeight: 0.7}, true},
		// the supervised baseline, model only
		{"v2-supervised-3x8x8", sgan.Config{Seed: 9, Classes: 3, Height: 8, Width: 8, BatchSize: 6, EvalBatch: 30,
			Epochs: 2, MinSteps: -1, DiscWidth: 4, SupervisedOnly: true}, false},
	}
	for _, r := range recipes {
		if err := write(*out, r.name, r.cfg, r.trainer); err != nil {
			fmt.Fprintln(os.Stderr, r.name+":", err)
			os.Exit(1)
		}
	}
}

// data makes n random 8×8 images in [-1, 1] and labels of 3 classes.
func data(n int, rng *rand.Rand) ([]float32, []int) {
	x := make([]float32, n*64)
	for i := range x {
		x[i] = float32(2*rng.Float64() - 1)
	}
	y := make([]int, n)
	for i := range y {
		y[i] = i % 3
		// a class signal: brighten one band of rows per class
		for p := 0; p < 16; p++ {
			x[i*64+y[i]*16+p] = float32(0.5 + 0.5*rng.Float64())
		}
	}
	return x, y
}

func write(dir, name string, cfg sgan.Config, trainer bool) error {
	rng := rand.New(rand.NewPCG(cfg.Seed, 100))
	lx, ly := data(12, rng)
	ux, _ := data(24, rng)
	lab := &datasets.Set{Data: lx, Labels: ly, C: 1, H: 8, W: 8, Classes: 3}
	unl := &datasets.Set{Data: ux, Labels: make([]int, 24), C: 1, H: 8, W: 8, Classes: 3}
	for i := range unl.Labels {
		unl.Labels[i] = datasets.Unlabelled
	}
	m, err := sgan.New(cfg)
	if err != nil {
		return err
	}
	tr, err := sgan.NewTrainer(m, m.Config())
	if err != nil {
		return err
	}
	if _, err := tr.Fit(context.Background(), lab, unl, nil); err != nil {
		return err
	}
	g := golden{Trained: tr.Steps()}
	g.X, _ = data(5, rng)
	if g.Probs, err = m.PredictProba(g.X); err != nil {
		return err
	}
	if !cfg.SupervisedOnly {
		c := m.Config()
		g.Z = make([]float32, 4*c.LatentDim)
		for i := range g.Z {
			g.Z[i] = float32(rng.NormFloat64())
		}
		if g.Images, err = m.GenerateFrom(g.Z); err != nil {
			return err
		}
	}
	path := filepath.Join(dir, name+".ckpt")
	if trainer {
		if err := tr.Save(path); err != nil {
			return err
		}
		c := tr.Config()
		for i := 0; i < 3; i++ {
			lxb, lyb := data(c.BatchSize, rng)
			uxb, _ := data(c.BatchSize, rng)
			st, err := tr.Step(sgan.Batch{X: lxb, Labels: lyb}, sgan.Batch{X: uxb})
			if err != nil {
				return err
			}
			g.Steps = append(g.Steps, step{Lab: lxb, Labels: lyb, Unl: uxb, DLoss: st.DLoss, GLoss: st.GLoss,
				Sup: st.SupLoss, Unsup: st.UnsupLoss, Entropy: st.Entropy, Cons: st.Consistency,
				GenCls: st.GenClass, FakeCls: st.FakeClass, Pseudo: st.PseudoLabel, Balance: st.Balance,
				Correct: st.LabelledCorrect})
		}
	} else if err := m.Save(path); err != nil {
		return err
	}
	raw, err := json.Marshal(g)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name+".json"), append(raw, '\n'), 0o644)
}
