package recipeflags

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/semigan/semigan/sgan"
)

func parse(t *testing.T, args ...string) *Flags {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := Register(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	return f
}

func TestApply(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		start sgan.Config
		check func(c sgan.Config) string // "" when c is as expected
	}{
		{nil, sgan.Config{Seed: 4, AugmentShift: 3}, func(c sgan.Config) string {
			if c != (sgan.Config{Seed: 4, AugmentShift: 3}) {
				return fmt.Sprintf("no flags changed the config: %+v", c)
			}
			return ""
		}},
		{[]string{"-unsup", "-1", "-entropy", "-1", "-consistency", "2", "-balance", "0.5"}, sgan.Config{}, func(c sgan.Config) string {
			if c.UnsupWeight != -1 || c.EntropyWeight != -1 || c.ConsistencyWeight != 2 || c.BalanceWeight != 0.5 {
				return fmt.Sprintf("weights %g %g %g %g", c.UnsupWeight, c.EntropyWeight, c.ConsistencyWeight, c.BalanceWeight)
			}
			return ""
		}},
		{[]string{"-pseudo", "1", "-pseudo-threshold", "0.9", "-cutout", "12", "-mixup", "0.75"}, sgan.Config{}, func(c sgan.Config) string {
			if c.PseudoLabelWeight != 1 || c.PseudoLabelThreshold != 0.9 || c.AugmentCutout != 12 || c.Mixup != 0.75 {
				return fmt.Sprintf("pseudo %g/%g cutout %d mixup %g", c.PseudoLabelWeight, c.PseudoLabelThreshold, c.AugmentCutout, c.Mixup)
			}
			return ""
		}},
		{[]string{"-cutout", "-1", "-shift", "-1", "-min-steps", "-1"}, sgan.Config{}, func(c sgan.Config) string {
			if c.AugmentCutout != 0 || c.AugmentShift != -1 || c.MinSteps != -1 {
				return fmt.Sprintf("cutout %d shift %d min steps %d", c.AugmentCutout, c.AugmentShift, c.MinSteps)
			}
			return ""
		}},
		{[]string{"-width", "48", "-noise", "-1", "-dropout", "0.25", "-lr", "0.002"}, sgan.Config{}, func(c sgan.Config) string {
			if c.DiscWidth != 48 || c.InputNoise != -1 || c.DiscDropout != 0.25 || c.LearnRate != 0.002 {
				return fmt.Sprintf("width %d noise %g dropout %g lr %g", c.DiscWidth, c.InputNoise, c.DiscDropout, c.LearnRate)
			}
			return ""
		}},
	} {
		c := tc.start
		parse(t, tc.args...).Apply(&c)
		if msg := tc.check(c); msg != "" {
			t.Errorf("%q: %s", tc.args, msg)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("%q: %v", tc.args, err)
		}
	}
}

func TestDescribe(t *testing.T) {
	c := sgan.Config{Classes: 10, Channels: 1, Height: 8, Width: 8, Mixup: 0.5}
	s := Describe(c)
	for _, want := range []string{"shift 1", "mixup 0.5", "at least 4000 steps", "entropy 1"} {
		if !strings.Contains(s, want) {
			t.Errorf("Describe = %q, want it to contain %q", s, want)
		}
	}
	c.SupervisedOnly = true
	if s := Describe(c); !strings.Contains(s, "supervised only") || strings.Contains(s, "entropy") {
		t.Errorf("supervised only: %q", s)
	}
}

func ExampleRegister() {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	recipe := Register(fs)
	if err := fs.Parse([]string{"-unsup", "-1", "-mixup", "0.75"}); err != nil {
		fmt.Println(err)
		return
	}
	cfg := sgan.Config{Classes: 10, Channels: 1, Height: 28, Width: 28}
	recipe.Apply(&cfg)
	fmt.Println(cfg.UnsupWeight, cfg.Mixup)
	// Output: -1 0.75
}
