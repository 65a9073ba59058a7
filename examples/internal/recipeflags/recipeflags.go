package recipeflags

import (
	"flag"
	"fmt"

	"github.com/semigan/semigan/sgan"
)

// Flags holds the parsed recipe flags.
type Flags struct {
	minSteps  int
	lr        float64
	unsup     float64
	entropy   float64
	balance   float64
	cons      float64
	pseudo    float64
	pseudoThr float64
	cutout    int
	shift     int
	mixup     float64
	flip      bool
	teacher   bool
	width     int
	noise     float64
	dropout   float64
}

// Register defines the recipe flags on fs and returns where their values
// land once fs is parsed.
func Register(fs *flag.FlagSet) *Flags {
	f := new(Flags)
	fs.IntVar(&f.minSteps, "min-steps", 0, "fewest steps over -epochs, each epoch making more than one pass where needed (0: the default of sgan.Config, 4000; negative: one pass per epoch)")
	fs.Float64Var(&f.lr, "lr", 0, "Adam learning rate of both networks (0: the default of sgan.Config, 0.001)")
	fs.Float64Var(&f.unsup, "unsup", 0, "weight of the unsupervised GAN loss (0: the default, 1; negative: no GAN at all, the generator is not trained)")
	fs.Float64Var(&f.entropy, "entropy", 0, "weight of the entropy of the predictions on unlabelled examples (0: the default, 1; negative: off)")
	fs.Float64Var(&f.balance, "balance", 0, "weight of the class-balance loss: the mean prediction on unlabelled examples against the labelled class frequencies (0: the default, off; negative: off)")
	fs.Float64Var(&f.cons, "consistency", 0, "weight of the consistency loss between two augmented views of each unlabelled example (0: the default, 1; negative: off)")
	fs.Float64Var(&f.pseudo, "pseudo", 0, "weight of the pseudo-label loss between two views of each unlabelled example (0: the default, off; negative: off)")
	fs.Float64Var(&f.pseudoThr, "pseudo-threshold", 0, "class probability a first-view prediction needs to become a pseudo-label (0: the default, 0.95)")
	fs.IntVar(&f.cutout, "cutout", 0, "side of the square erased from the second view of each unlabelled image (0 or negative: off, the default)")
	fs.IntVar(&f.shift, "shift", 0, "largest random shift in pixels of labelled images and unlabelled views (0: the default, a fourteenth of the shorter image side, at least 1; negative: off)")
	fs.BoolVar(&f.flip, "flip", false, "mirror images left to right at random (only for data whose classes survive a mirror: clothing, photos; never digits)")
	fs.Float64Var(&f.mixup, "mixup", 0, "α of the mixup of the labelled batch (0: the default, off)")
	fs.BoolVar(&f.teacher, "teacher", false, "Mean Teacher: the consistency targets are the weight average's predictions on a second view, instead of the model's own (the Π-model, the default)")
	fs.IntVar(&f.width, "width", 0, "channels of the conv discriminator's first layer, twice that in the second (0: the default, 32)")
	fs.Float64Var(&f.noise, "noise", 0, "σ of the Gaussian noise on the conv discriminator's input (0: the default, 0.3; negative: none)")
	fs.Float64Var(&f.dropout, "dropout", 0, "dropout rate of the conv discriminator (0: the default, 0.5; negative: none)")
	return f
}

// Apply copies the flags into c; flags left at zero leave c's field as it
// is, so that sgan.Config's defaults apply.
func (f *Flags) Apply(c *sgan.Config) {
	set(&c.MinSteps, f.minSteps)
	set(&c.LearnRate, f.lr)
	set(&c.UnsupWeight, f.unsup)
	set(&c.EntropyWeight, f.entropy)
	set(&c.BalanceWeight, f.balance)
	set(&c.ConsistencyWeight, f.cons)
	set(&c.PseudoLabelWeight, f.pseudo)
	set(&c.PseudoLabelThreshold, f.pseudoThr)
	set(&c.AugmentCutout, max(f.cutout, 0))
	set(&c.AugmentShift, f.shift)
	set(&c.Mixup, f.mixup)
	if f.flip {
		c.AugmentFlip = true
	}
	if f.teacher {
		c.MeanTeacher = true
	}
	set(&c.DiscWidth, f.width)
	set(&c.InputNoise, f.noise)
	set(&c.DiscDropout, f.dropout)
}

// set copies a flag's value into a Config field unless the flag was left
// at zero (the field's default then applies).
func set[T int | float64](dst *T, v T) {
	if v != 0 {
		*dst = v
	}
}

// Describe is one line naming the recipe of c (with its defaults filled
// in), for the examples' logs.
func Describe(c sgan.Config) string {
	c = c.WithDefaults()
	s := fmt.Sprintf("arch %s (width %d, dropout %g, noise %g), batch %d, up to %d epochs (at least %d steps) / %v, lr %g, EMA %g",
		c.Arch, c.DiscWidth, c.DiscDropout, c.InputNoise, c.BatchSize, c.Epochs, c.MinSteps, c.Duration, c.LearnRate, c.EMADecay)
	if c.SupervisedOnly {
		s += ", supervised only"
	} else {
		s += fmt.Sprintf(", unsup %g (gen loss %v), entropy %g, balance %g, consistency %g (mean teacher %v), pseudo-label %g (threshold %g)",
			c.UnsupWeight, c.GenLoss, c.EntropyWeight, c.BalanceWeight, c.ConsistencyWeight, c.MeanTeacher, c.PseudoLabelWeight, c.PseudoLabelThreshold)
	}
	s += fmt.Sprintf(", shift %d, flip %v, cutout %d, mixup %g, conditional %v, seed %d",
		c.AugmentShift, c.AugmentFlip, c.AugmentCutout, c.Mixup, c.Conditional, c.Seed)
	return s
}
