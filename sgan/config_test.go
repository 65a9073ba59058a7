package sgan

import (
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
