package sgan

import (
	"math"
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string // "" means valid
	}{
		{"zero value", Config{}, ""},
		{"one class", Config{Classes: 1}, "Classes = 1"},
		{"bad arch", Config{Arch: "resnet"}, "unknown Arch"},
		{"negative batch", Config{BatchSize: -1}, "BatchSize = -1"},
		{"negative lr", Config{LearnRate: -1}, "learning rates"},
		{"beta1 = 1", Config{Beta1: 1}, "betas"},
		{"EMA = 1", Config{EMADecay: 1}, "EMADecay"},
		{"negative duration", Config{Duration: -1}, "Duration"},
		{"EMA off", Config{EMADecay: -1}, ""},
		{"mixup NaN", Config{Mixup: math.NaN()}, "Mixup = NaN"},
		{"mixup on", Config{Mixup: 0.75}, ""},
	} {
		err := tc.cfg.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: unexpected error %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	if _, err := New(Config{Classes: 1}); err == nil {
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
		{"no minimum", 1250, 100, 100, -1, 13},
		{"partial batch counts", 101, 100, 1, -1, 2},
	} {
		c := Config{BatchSize: tc.batch, Epochs: tc.epochs, MinSteps: tc.min}.WithDefaults()
		if got := c.stepsPerEpoch(tc.n); got != tc.want {
			t.Errorf("%s: stepsPerEpoch(%d) = %d, want %d", tc.name, tc.n, got, tc.want)
		}
	}
	if got := (Config{}).WithDefaults().MinSteps; got != 4000 {
		t.Errorf("default MinSteps = %d, want 4000", got)
	}
}

func TestDefaultShiftFollowsImageSize(t *testing.T) {
	for _, tc := range []struct {
		h, w, shift, want int
	}{
		{28, 28, 0, 2}, // MNIST: the shift the recipe was measured with
		{8, 8, 0, 1},   // small digits: 2 pixels would be a quarter of the image
		{32, 32, 0, 2},
		{64, 48, 0, 3}, // the shorter side counts: 48/14 ≈ 3.4
		{64, 64, 0, 5}, // 64/14 ≈ 4.6 rounds up
		{8, 8, 3, 3},   // set by the user
		{8, 8, -1, -1}, // off
	} {
		c := Config{Height: tc.h, Width: tc.w, AugmentShift: tc.shift}.WithDefaults()
		if c.AugmentShift != tc.want {
			t.Errorf("%d×%d, AugmentShift %d: default %d, want %d", tc.h, tc.w, tc.shift, c.AugmentShift, tc.want)
		}
	}
}
