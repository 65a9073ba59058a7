package sgan

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	model := func(f func(c *ModelConfig)) ModelConfig {
		c := DefaultModelConfig()
		f(&c)
		return c
	}
	for _, tc := range []struct {
		name string
		cfg  ModelConfig
		want string // "" means valid
	}{
		{"default", DefaultModelConfig(), ""},
		{"zero value", ModelConfig{}, "Classes = 0, need at least 2 (start from sgan.DefaultModelConfig())"},
		{"one class", model(func(c *ModelConfig) { c.Classes = 1 }), "Classes = 1"},
		{"bad arch", model(func(c *ModelConfig) { c.Arch = "resnet" }), "unknown Arch"},
		{"EMA = 1", model(func(c *ModelConfig) { c.EMADecay = 1 }), "EMADecay"},
		{"EMA off", model(func(c *ModelConfig) { c.EMADecay = 0 }), ""},
		{"negative EMA", model(func(c *ModelConfig) { c.EMADecay = -1 }), "EMADecay = -1, must lie in [0, 1) (0: no average)"},
		{"noise off", model(func(c *ModelConfig) { c.InputNoise, c.DiscDropout = 0, 0 }), ""},
		{"negative noise", model(func(c *ModelConfig) { c.InputNoise = -1 }), "InputNoise = -1, must be in [0, 100]"},
		// issue 24, row 20: σ 1e300 overflowed to a NaN loss blamed on the learning rate
		{"noise 1e300", model(func(c *ModelConfig) { c.InputNoise = 1e300 }), "InputNoise = 1e+300, must be in [0, 100]"},
		{"negative dropout", model(func(c *ModelConfig) { c.DiscDropout = -1 }), "DiscDropout = -1, must lie in [0, 1) (0: none)"},
		{"negative eval batch", model(func(c *ModelConfig) { c.EvalBatch = -1 }), "EvalBatch = -1, must be positive (0: automatic)"},
		{"conditional, supervised", model(func(c *ModelConfig) { c.Conditional, c.SupervisedOnly = true, true }), "exclude each other"},
	} {
		err := tc.cfg.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("model %s: unexpected error %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("model %s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	train := func(f func(c *TrainConfig)) TrainConfig {
		c := DefaultTrainConfig(DefaultModelConfig())
		f(&c)
		return c
	}
	for _, tc := range []struct {
		name string
		cfg  TrainConfig
		want string // "" means valid
	}{
		{"default", DefaultTrainConfig(DefaultModelConfig()), ""},
		{"zero value", TrainConfig{}, "BatchSize = 0, must be positive (start from sgan.DefaultTrainConfig(model))"},
		{"negative batch", train(func(c *TrainConfig) { c.BatchSize = -1 }), "BatchSize = -1"},
		{"negative lr", train(func(c *TrainConfig) { c.LearnRate = -1 }), "learning rates"},
		{"negative generator lr", train(func(c *TrainConfig) { c.GenLearnRate = -1 }), "learning rates"},
		{"beta1 = 1", train(func(c *TrainConfig) { c.Beta1 = 1 }), "betas"},
		{"negative duration", train(func(c *TrainConfig) { c.Budget.Duration = -1 }), "Duration:-1ns}: negative values"},
		{"negative min steps", train(func(c *TrainConfig) { c.Budget.MinSteps = -1 }), "MinSteps:-1 Duration:0s}: negative values"},
		{"no step minimum", train(func(c *TrainConfig) { c.Budget.MinSteps = 0 }), ""},
		{"endless", train(func(c *TrainConfig) { c.Budget = Budget{} }), "Budget sets neither Epochs nor Duration"},
		{"time only", train(func(c *TrainConfig) { c.Budget = Budget{Duration: time.Hour} }), ""},
		{"constant rates", train(func(c *TrainConfig) { c.DecayStart = 1 }), ""},
		{"negative decay start", train(func(c *TrainConfig) { c.DecayStart = -1 }), "DecayStart = -1, must lie in [0, 1] (1: constant rates)"},
		{"no ramp", train(func(c *TrainConfig) { c.ConsistencyRamp = 0 }), ""},
		{"negative ramp", train(func(c *TrainConfig) { c.ConsistencyRamp = -1 }), "ConsistencyRamp = -1, must lie in [0, 1] (0: no ramp)"},
		{"threshold 0", train(func(c *TrainConfig) { c.PseudoThreshold = 0 }), "PseudoThreshold = 0, must lie in (0, 1]"},
		{"shift off", train(func(c *TrainConfig) { c.Augment.Shift = 0 }), ""},
		{"negative shift", train(func(c *TrainConfig) { c.Augment.Shift = -1 }), "Augment.Shift -1 and Augment.Cutout 0 must not be negative (0: off)"},
		{"mixup NaN", train(func(c *TrainConfig) { c.Augment.Mixup = math.NaN() }), "Mixup = NaN"},
		{"mixup on", train(func(c *TrainConfig) { c.Augment.Mixup = 0.75 }), ""},
		{"term off", train(func(c *TrainConfig) { c.Weights["entropy"] = 0 }), ""},
		{"negative weight", train(func(c *TrainConfig) { c.Weights["entropy"] = -1 }), `Weights["entropy"] = -1, must be finite and not negative (0: off)`},
		{"NaN weight", train(func(c *TrainConfig) { c.Weights[termUnsup] = math.NaN() }), `Weights["unsup"] = NaN`},
		{"unknown term", train(func(c *TrainConfig) { c.Weights["entropy_weight"] = 1 }), `unknown loss term "entropy_weight"`},
		{"no supervised term", train(func(c *TrainConfig) { c.Weights[termSup] = 0 }), `Weights["sup"] is 0`},
	} {
		err := tc.cfg.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("train %s: unexpected error %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("train %s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	// every bad field at once
	err := ModelConfig{Classes: 1, Channels: 1, Height: 4, Width: 4, Arch: "resnet", DiscWidth: 1, LatentDim: 1}.Validate()
	if err == nil || !strings.Contains(err.Error(), "Classes = 1") || !strings.Contains(err.Error(), "unknown Arch") {
		t.Errorf("two bad fields: %v", err)
	}
	mc := DefaultModelConfig()
	mc.Classes = 1
	if _, err := New(mc); err == nil {
		t.Error("New accepted an invalid config")
	}
}

func TestStepsPerEpoch(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		n, batch, epochs, min int
		want                  int
	}{
		{"large set: one pass", 60000, 100, 20, 4000, 600},
		{"small set: lengthened", 1250, 100, 100, 4000, 40},
		{"rounds up", 1250, 100, 3, 4000, 1334},
		{"no minimum", 1250, 100, 100, 0, 13},
		{"partial batch counts", 101, 100, 1, 0, 2},
		{"no epoch limit: one pass", 1250, 100, 0, 4000, 13},
	} {
		c := TrainConfig{BatchSize: tc.batch, Budget: Budget{Epochs: tc.epochs, MinSteps: tc.min}}
		if got := c.stepsPerEpoch(tc.n); got != tc.want {
			t.Errorf("%s: stepsPerEpoch(%d) = %d, want %d", tc.name, tc.n, got, tc.want)
		}
	}
	if got := DefaultTrainConfig(DefaultModelConfig()).Budget.MinSteps; got != 4000 {
		t.Errorf("default MinSteps = %d, want 4000", got)
	}
}

func TestDefaultShiftFollowsImageSize(t *testing.T) {
	for _, tc := range []struct {
		h, w, want int
	}{
		{28, 28, 2}, // MNIST: the shift the recipe was measured with
		{8, 8, 1},   // small digits: 2 pixels would be a quarter of the image
		{32, 32, 2},
		{64, 48, 3}, // the shorter side counts: 48/14 ≈ 3.4
		{64, 64, 5}, // 64/14 ≈ 4.6 rounds up
		{1, 10, 0},  // tabular rows: no shifts
		{16, 1, 0},
	} {
		mc := ModelConfig{Height: tc.h, Width: tc.w}
		c := DefaultTrainConfig(mc)
		if c.Augment.Shift != tc.want {
			t.Errorf("%d×%d: default Augment.Shift %d, want %d", tc.h, tc.w, c.Augment.Shift, tc.want)
		}
		if c.shifts(mc) != (tc.want > 0) {
			t.Errorf("%d×%d: shifts() = %v with the default Shift %d", tc.h, tc.w, c.shifts(mc), c.Augment.Shift)
		}
		// set by the user: 0 is off
		c.Augment.Shift = 0
		if c.shifts(mc) {
			t.Errorf("%d×%d: Shift 0 shifts", tc.h, tc.w)
		}
	}
}
