package recipeflags

import (
	"flag"
	"fmt"
	"io"
	"reflect"
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

func TestConfigs(t *testing.T) {
	base := sgan.DefaultModelConfig()
	base.Seed = 4
	for _, tc := range []struct {
		args  []string
		check func(m sgan.ModelConfig, c sgan.TrainConfig) string // "" when as expected
	}{
		{nil, func(m sgan.ModelConfig, c sgan.TrainConfig) string {
			if m != base || !reflect.DeepEqual(c, sgan.DefaultTrainConfig(base)) {
				return fmt.Sprintf("no flags changed the configs: %+v %+v", m, c)
			}
			return ""
		}},
		{[]string{"-unsup", "0", "-entropy", "0", "-consistency", "2", "-balance", "0.5"}, func(_ sgan.ModelConfig, c sgan.TrainConfig) string {
			if w := c.Weights; w["unsup"] != 0 || w["entropy"] != 0 || w["consistency"] != 2 || w["balance"] != 0.5 || w["sup"] != 1 {
				return fmt.Sprintf("weights %v", w)
			}
			return ""
		}},
		{[]string{"-pseudo", "1", "-pseudo-threshold", "0.9", "-cutout", "12", "-mixup", "0.75", "-flip", "-teacher"}, func(_ sgan.ModelConfig, c sgan.TrainConfig) string {
			if c.Weights["pseudo"] != 1 || c.PseudoThreshold != 0.9 || c.Augment.Cutout != 12 || c.Augment.Mixup != 0.75 || !c.Augment.Flip || !c.MeanTeacher {
				return fmt.Sprintf("pseudo %g/%g augment %+v teacher %v", c.Weights["pseudo"], c.PseudoThreshold, c.Augment, c.MeanTeacher)
			}
			return ""
		}},
		{[]string{"-shift", "0", "-min-steps", "0"}, func(_ sgan.ModelConfig, c sgan.TrainConfig) string {
			if c.Augment.Shift != 0 || c.Budget.MinSteps != 0 {
				return fmt.Sprintf("shift %d min steps %d", c.Augment.Shift, c.Budget.MinSteps)
			}
			return ""
		}},
		{[]string{"-width", "48", "-noise", "0", "-dropout", "0.25", "-lr", "0.002"}, func(m sgan.ModelConfig, c sgan.TrainConfig) string {
			if m.DiscWidth != 48 || m.InputNoise != 0 || m.DiscDropout != 0.25 || c.LearnRate != 0.002 || c.GenLearnRate != 0.002 {
				return fmt.Sprintf("width %d noise %g dropout %g lr %g/%g", m.DiscWidth, m.InputNoise, m.DiscDropout, c.LearnRate, c.GenLearnRate)
			}
			return ""
		}},
		{[]string{"-fake-class", "0.3", "-gen-class", "0", "-nonsaturating", "1", "-feature-matching", "0"}, func(_ sgan.ModelConfig, c sgan.TrainConfig) string {
			if w := c.Weights; w["fake_class"] != 0.3 || w["gen_class"] != 0 || w["nonsaturating"] != 1 || w["feature_matching"] != 0 {
				return fmt.Sprintf("weights %v", w)
			}
			return ""
		}},
	} {
		m, c := parse(t, tc.args...).Configs(base)
		if msg := tc.check(m, c); msg != "" {
			t.Errorf("%q: %s", tc.args, msg)
		}
	}
}

// Every loss term has its flag, made from the table.
func TestEveryTermHasAFlag(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	Register(fs)
	for _, lt := range sgan.LossTerms() {
		f := fs.Lookup(FlagName(lt.Name))
		if f == nil {
			t.Errorf("no flag for loss term %q", lt.Name)
			continue
		}
		if !strings.Contains(f.Usage, lt.Doc) {
			t.Errorf("flag -%s: usage %q does not document the term", f.Name, f.Usage)
		}
	}
}

func TestBadValues(t *testing.T) {
	for _, args := range [][]string{{"-entropy", "x"}, {"-shift", "1.5"}, {"-flip=maybe"}} {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		Register(fs)
		if err := fs.Parse(args); err == nil {
			t.Errorf("%q: parsed", args)
		}
	}
	// a negative weight parses, and the configuration refuses it by name
	_, c := parse(t, "-consistency", "-1").Configs(sgan.DefaultModelConfig())
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), `"consistency"`) {
		t.Errorf("-consistency -1: Validate = %v", err)
	}
}

func TestDescribe(t *testing.T) {
	m := sgan.DefaultModelConfig()
	m.Height, m.Width = 8, 8
	c := sgan.DefaultTrainConfig(m)
	c.Augment.Mixup = 0.5
	s := Describe(m, c)
	for _, want := range []string{"shift 1", "mixup 0.5", "at least 4000 steps", "entropy 1"} {
		if !strings.Contains(s, want) {
			t.Errorf("Describe = %q, want it to contain %q", s, want)
		}
	}
	m.SupervisedOnly = true
	if s := Describe(m, sgan.DefaultTrainConfig(m)); !strings.Contains(s, "supervised only") || strings.Contains(s, "entropy") {
		t.Errorf("supervised only: %q", s)
	}
}

func ExampleRegister() {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	recipe := Register(fs)
	if err := fs.Parse([]string{"-unsup", "0", "-mixup", "0.75"}); err != nil {
		fmt.Println(err)
		return
	}
	_, tc := recipe.Configs(sgan.DefaultModelConfig())
	fmt.Println(tc.Weights["unsup"], tc.Augment.Mixup)
	// Output: 0 0.75
}
