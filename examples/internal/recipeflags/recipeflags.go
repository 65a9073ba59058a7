package recipeflags

import (
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/semigan/semigan/sgan"
)

// Flags holds the parsed recipe flags. Only the flags given on the
// command line change a configuration.
type Flags struct {
	weights   map[string]*opt[float64] // by loss term
	minSteps  opt[int]
	lr        opt[float64]
	pseudoThr opt[float64]
	shift     opt[int]
	cutout    opt[int]
	mixup     opt[float64]
	flip      opt[bool]
	teacher   opt[bool]
	colour    opt[float64]
	gray      opt[float64]
	shuffle   opt[bool]
	invert    opt[float64]
	propStart opt[float64]
	propEvery opt[float64]
	propK     opt[int]
	propLog   opt[float64]
	width     opt[int]
	noise     opt[float64]
	dropout   opt[float64]
}

// Register defines the recipe flags on fs and returns where their values
// land once fs is parsed.
func Register(fs *flag.FlagSet) *Flags {
	f := &Flags{weights: map[string]*opt[float64]{}}
	for _, t := range sgan.LossTerms() {
		o := new(opt[float64])
		f.weights[t.Name] = o
		def := "off"
		if t.Default != 0 {
			def = strconv.FormatFloat(t.Default, 'g', -1, 64)
		}
		usage := fmt.Sprintf("weight of the %s loss term: %s (default %s; 0: off)", t.Network, t.Doc, def)
		if t.Requires != "" {
			usage += "; needs " + t.Requires
		}
		fs.Var(o, FlagName(t.Name), usage)
	}
	fs.Var(&f.minSteps, "min-steps", "fewest steps over -epochs, each epoch making more than one pass where needed (default 4000; 0: one pass per epoch)")
	fs.Var(&f.lr, "lr", "Adam learning rate of both networks (default 0.001)")
	fs.Var(&f.pseudoThr, "pseudo-threshold", "class probability a first-view prediction needs to become a pseudo-label (default 0.95)")
	fs.Var(&f.shift, "shift", "largest random shift in pixels of labelled images and unlabelled views (default a fourteenth of the shorter image side, at least 1; 0: off)")
	fs.Var(&f.cutout, "cutout", "side of the square erased from the second view of each unlabelled image (default 0: off)")
	fs.Var(&f.mixup, "mixup", "α of the mixup of the labelled batch (default 0: off)")
	fs.Var(&f.flip, "flip", "mirror images left to right at random (only for data whose classes survive a mirror: clothing, photos; never digits)")
	fs.Var(&f.colour, "color", "colour jitter of 3-channel images: brightness, contrast and saturation factors in [1-c, 1+c], hue rotation up to c*180° (default 0.4 for colour images, 0 for gray)")
	fs.Var(&f.gray, "gray", "probability of turning a colour image gray (default 0.2 for colour images)")
	fs.Var(&f.shuffle, "channel-shuffle", "permute the colour channels at random, for data whose classes do not depend on colour (default off)")
	fs.Var(&f.invert, "invert", "probability of negating an image, light on dark becoming dark on light (default 0: off)")
	fs.Var(&f.propStart, "propagation-start", "fraction of the budget before the first label propagation (default 0.1)")
	fs.Var(&f.propEvery, "propagation-every", "fraction of the budget between label propagations (default 0.1)")
	fs.Var(&f.propK, "neighbours", "neighbours of each example in the label-propagation graph (default 10)")
	fs.Var(&f.propLog, "propagation-logits", "share of the label-propagation graph's similarity that comes from the classifier's logits, the rest from its features (default 0.9; 0: features only)")
	fs.Var(&f.teacher, "teacher", "Mean Teacher: the consistency targets are the weight average's predictions on a second view, instead of the model's own (the Π-model, the default)")
	fs.Var(&f.width, "width", "channels of the conv discriminator's first layer, twice that in the second (default 32)")
	fs.Var(&f.noise, "noise", "σ of the Gaussian noise on the conv discriminator's input (default 0.3; 0: none)")
	fs.Var(&f.dropout, "dropout", "dropout rate of the conv discriminator (default 0.5; 0: none)")
	return f
}

// FlagName is the flag of the loss term name: underscores become dashes.
func FlagName(term string) string { return strings.ReplaceAll(term, "_", "-") }

// ApplyModel copies the discriminator flags that were given into c.
func (f *Flags) ApplyModel(c *sgan.ModelConfig) {
	f.width.apply(&c.DiscWidth)
	f.noise.apply(&c.InputNoise)
	f.dropout.apply(&c.DiscDropout)
}

// ApplyTrain copies the training flags that were given into c.
func (f *Flags) ApplyTrain(c *sgan.TrainConfig) {
	if c.Weights == nil {
		c.Weights = map[string]float64{}
	}
	for name, o := range f.weights {
		if o.set {
			c.Weights[name] = o.v
		}
	}
	f.minSteps.apply(&c.Budget.MinSteps)
	if f.lr.set {
		c.LearnRate, c.GenLearnRate = f.lr.v, f.lr.v
	}
	f.pseudoThr.apply(&c.PseudoThreshold)
	f.shift.apply(&c.Augment.Shift)
	f.cutout.apply(&c.Augment.Cutout)
	f.mixup.apply(&c.Augment.Mixup)
	f.flip.apply(&c.Augment.Flip)
	f.teacher.apply(&c.MeanTeacher)
	f.colour.apply(&c.Augment.Color)
	f.gray.apply(&c.Augment.Gray)
	f.shuffle.apply(&c.Augment.ChannelShuffle)
	f.invert.apply(&c.Augment.Invert)
	f.propStart.apply(&c.Propagation.Start)
	f.propEvery.apply(&c.Propagation.Every)
	f.propK.apply(&c.Propagation.Neighbours)
	f.propLog.apply(&c.Propagation.Logits)
}

// Configs returns the default configurations for a model whose shape,
// classes and other model fields m sets, with the flags applied: the
// discriminator flags to m, then DefaultTrainConfig of the result with
// the training flags.
func (f *Flags) Configs(m sgan.ModelConfig) (sgan.ModelConfig, sgan.TrainConfig) {
	f.ApplyModel(&m)
	t := sgan.DefaultTrainConfig(m)
	f.ApplyTrain(&t)
	return m, t
}

// Describe is one line naming the recipe of m and t, for the examples'
// logs.
func Describe(m sgan.ModelConfig, t sgan.TrainConfig) string {
	s := fmt.Sprintf("arch %s (width %d, dropout %g, noise %g), batch %d, budget %d epochs (at least %d steps) / %v, lr %g, EMA %g",
		m.Arch, m.DiscWidth, m.DiscDropout, m.InputNoise, t.BatchSize, t.Budget.Epochs, t.Budget.MinSteps, t.Budget.Duration, t.LearnRate, m.EMADecay)
	if m.SupervisedOnly {
		s += ", supervised only"
	}
	var terms []string
	for _, lt := range sgan.LossTerms() {
		if w := t.Weights[lt.Name]; w != 0 {
			terms = append(terms, fmt.Sprintf("%s %g", lt.Name, w))
		}
	}
	s += ", terms: " + strings.Join(terms, ", ")
	if t.Weights["consistency"] != 0 {
		s += fmt.Sprintf(" (mean teacher %v)", t.MeanTeacher)
	}
	if t.Weights["propagation"] != 0 {
		p := t.Propagation
		s += fmt.Sprintf(" (propagation from %g of the budget, every %g of it, %d neighbours, logits %g)", p.Start, p.Every, p.Neighbours, p.Logits)
	}
	if t.Weights["pseudo"] != 0 {
		s += fmt.Sprintf(" (pseudo threshold %g)", t.PseudoThreshold)
	}
	a := t.Augment
	s += fmt.Sprintf("; shift %d, flip %v, cutout %d, mixup %g, colour %g/%g/%v, invert %g, conditional %v, seed %d",
		a.Shift, a.Flip, a.Cutout, a.Mixup, a.Color, a.Gray, a.ChannelShuffle, a.Invert, m.Conditional, m.Seed)
	return s
}

// opt is a flag value that remembers whether it was given.
type opt[T int | float64 | bool] struct {
	v   T
	set bool
}

func (o *opt[T]) String() string {
	if o == nil || !o.set {
		return ""
	}
	return fmt.Sprint(o.v)
}

func (o *opt[T]) Set(s string) error {
	var err error
	switch p := any(&o.v).(type) {
	case *int:
		*p, err = strconv.Atoi(s)
	case *float64:
		*p, err = strconv.ParseFloat(s, 64)
		if err == nil && (math.IsNaN(*p) || math.IsInf(*p, 0)) {
			return fmt.Errorf("%q is not a finite number", s) // issue 24, row 21: -lr Inf passed
		}
	case *bool:
		*p, err = strconv.ParseBool(s)
	}
	if err != nil {
		return fmt.Errorf("cannot parse %q", s)
	}
	o.set = true
	return nil
}

// IsBoolFlag lets boolean flags be given without a value (-flip).
func (o *opt[T]) IsBoolFlag() bool {
	_, ok := any(o.v).(bool)
	return ok
}

func (o *opt[T]) apply(dst *T) {
	if o.set {
		*dst = o.v
	}
}
