package sgan

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Arch names a built-in pair of discriminator and generator
// architectures. Models built from user-supplied networks (NewWith) ignore
// it.
type Arch string

const (
	// ArchConv is a small convolutional discriminator (two 5×5 stride-2
	// convolutions with LeakyReLU, dropout and input noise, a dense feature
	// layer and the K logits) with a DCGAN generator.
	ArchConv Arch = "conv"
	// ArchMLP is the weight-normalised MLP discriminator of Salimans et al.
	// (2016) for MNIST (Gaussian noise on every layer) with a DCGAN
	// generator.
	ArchMLP Arch = "mlp"
)

// GenLoss selects the generator's objective.
type GenLoss int

const (
	// FeatureMatching trains the generator to match the mean of the
	// discriminator's feature layer on real and generated batches
	// (Salimans et al. 2016, §3.1). The default.
	FeatureMatching GenLoss = iota
	// NonSaturating trains the generator to maximise log D(G(z)).
	NonSaturating
)

// String returns the objective's name.
func (g GenLoss) String() string {
	switch g {
	case FeatureMatching:
		return "feature-matching"
	case NonSaturating:
		return "non-saturating"
	}
	return fmt.Sprintf("GenLoss(%d)", int(g))
}

// Config holds the hyper-parameters of a model and its training. The zero
// value is a valid configuration: every zero field means the documented
// default, which WithDefaults fills in. Fields where zero is a meaningful
// setting (weights, decay rates, the shift) are switched off with a
// negative value.
type Config struct {
	// Classes is K, the number of real classes. Default 10.
	Classes int
	// Channels, Height and Width give the image shape C×H×W. Defaults:
	// 1 channel; 28×28 (MNIST) when both sides are zero, a square image
	// when one is.
	Channels, Height, Width int
	// Arch selects the built-in architecture. Default ArchConv.
	Arch Arch
	// DiscWidth is the number of channels of the first convolution of
	// ArchConv's discriminator; the second has twice as many. Default 32.
	DiscWidth int
	// InputNoise is the standard deviation of the Gaussian noise added to
	// the discriminator's input during training (ArchConv). Default 0.3;
	// negative means none.
	InputNoise float64
	// DiscDropout is the dropout rate of ArchConv's discriminator, after
	// the first convolution and before the last layer. Default 0.5;
	// negative means none.
	DiscDropout float64
	// LatentDim is the size of the generator's input z ~ N(0, I). Default 100.
	LatentDim int
	// BatchSize is the number of labelled, unlabelled and generated
	// examples in each step (each). Default 100.
	BatchSize int
	// Epochs is the number of epochs Fit trains for. An epoch is one pass
	// over the unlabelled set, lengthened where needed so that the run
	// takes at least MinSteps steps. Default 10.
	Epochs int
	// MinSteps is the fewest discriminator steps Fit takes over Epochs
	// epochs (Duration permitting): on a small unlabelled set, where an
	// epoch is a handful of steps, each epoch then makes several passes.
	// Default 4000; negative means no minimum (an epoch is one pass).
	MinSteps int
	// Duration caps the wall-clock time of Fit; 0 means no cap. The
	// learning-rate schedule counts progress against whichever of Epochs
	// and Duration runs out first.
	Duration time.Duration
	// LearnRate is the discriminator's Adam step size. Default 1e-3.
	LearnRate float64
	// GenLearnRate is the generator's Adam step size. Default LearnRate.
	GenLearnRate float64
	// Beta1 and Beta2 are Adam's moment decay rates. Defaults 0.5, 0.999.
	Beta1, Beta2 float64
	// DecayStart is the fraction of the training budget after which both
	// learning rates decay linearly to zero at the end. Default 0.5;
	// negative keeps the rates constant.
	DecayStart float64
	// GenLoss selects the generator objective. Default FeatureMatching.
	GenLoss GenLoss
	// UnsupWeight weights the unsupervised GAN loss in the discriminator's
	// cost. Default 1; negative means 0, and then, unless the model is
	// Conditional, no generated examples are made and the generator is
	// not trained: the run without the GAN.
	UnsupWeight float64
	// EntropyWeight weights the entropy of the class predictions on
	// unlabelled data, which the discriminator minimises (Dai et al. 2017).
	// Default 1; negative means off.
	EntropyWeight float64
	// BalanceWeight weights the class-balance loss: the cross-entropy
	// −Σ_k π_k log p̄_k between the class prior π (the labelled set's
	// class frequencies in Fit, uniform otherwise; see
	// Trainer.SetClassPrior) and the mean class prediction p̄ over the
	// unlabelled batch. With the entropy term it makes the classifier's
	// clusters follow the prior instead of collapsing several classes into
	// one (CatGAN, Springenberg 2016; RIM, Krause et al. 2010).
	// Negative means off.
	BalanceWeight float64

	// ConsistencyWeight weights the consistency loss: the squared
	// difference of the class probabilities of two differently shifted
	// and masked views of each unlabelled image (Laine & Aila 2017). Its
	// weight ramps up linearly over the first ConsistencyRamp of the
	// training budget. It adds a fourth batch to every discriminator step.
	// Default 1; negative means off.
	ConsistencyWeight float64
	// MeanTeacher takes the consistency loss's targets from a teacher
	// (Mean Teacher, Tarvainen & Valpola 2017): the class probabilities
	// that the weight average (EMADecay; the live weights when averaging
	// is off) predicts, in inference mode and without gradient, on a
	// second view of each unlabelled image. The model's prediction on
	// the first view, already in the step for the other losses, is pulled
	// towards them, so the step no longer runs a fourth batch through the
	// discriminator unless PseudoLabelWeight asks for it. Default false:
	// the Π-model, which compares the model's own predictions on two
	// views.
	MeanTeacher bool
	// ConsistencyRamp is the fraction of the budget over which the
	// consistency weight ramps up from 0. Default 0.2.
	ConsistencyRamp float64
	// PseudoLabelWeight weights the pseudo-label loss (FixMatch, Sohn et
	// al. 2020): the cross-entropy between the discriminator's class
	// prediction on the second view of each unlabelled image and the
	// class it predicts on the first view, counted only for the images
	// whose first-view probability reaches PseudoLabelThreshold (no
	// gradient flows into the first view's prediction). The second view is
	// drawn when this or ConsistencyWeight is on. Default 0 (off);
	// negative means off.
	PseudoLabelWeight float64
	// PseudoLabelThreshold is the class probability a first-view
	// prediction needs to become a pseudo-label. Default 0.95.
	PseudoLabelThreshold float64
	// AugmentCutout erases a random square of this side (clipped at the
	// border; filled with 0, the middle of [-1, 1]) from the second view
	// of each unlabelled image, which makes it the strongly augmented
	// view of the pseudo-label and consistency losses. Default 0 (off).
	AugmentCutout int

	// AugmentFlip mirrors each labelled image, and each view of each
	// unlabelled image, left to right with probability ½. Only for data
	// whose classes survive a mirror (clothing, most photos); never for
	// digits or text. Default false.
	AugmentFlip bool
	// Mixup is α of the mixup of the labelled batch (Zhang et al. 2018):
	// each labelled example and its one-hot target are mixed with another
	// one of the batch, weights λ ~ Beta(α, α) folded onto [½, 1].
	// Default 0 (off); negative means off.
	Mixup float64
	// EMADecay is the decay of the exponential moving average of the
	// discriminator's weights used for evaluation and prediction. Default
	// 0.999; negative means no averaging.
	EMADecay float64
	// AugmentShift translates each labelled image by a random offset of up
	// to this many pixels in each direction (filled with the background
	// value −1), and so the two views of each unlabelled image of the
	// consistency loss. Default: a fourteenth of the shorter side, rounded,
	// at least 1 (2 for 28×28 images, 1 for 8×8); negative means off.
	// Ignored for examples with one row or one column, such as 1×1×F
	// tabular rows.
	AugmentShift int
	// Conditional makes the generator class-conditional (Mirza & Osindero
	// 2014; AC-GAN, Odena et al. 2017): it receives a class code y, one-hot
	// over the K classes, concatenated to z, so its input has
	// LatentDim+Classes values, and its cost adds ClassWeight times the
	// cross-entropy between y and the discriminator's class prediction on
	// G(z, y). GenerateClass then draws examples of a chosen class.
	// Training draws the classes of each generated batch evenly.
	Conditional bool
	// ClassWeight weights the conditional generator's class loss.
	// Default 1; negative means off (the class code is then ignored by
	// the training).
	ClassWeight float64
	// FakeClassWeight weights the AC-GAN class loss in the
	// discriminator's cost: the cross-entropy of its class prediction on
	// each conditional fake G(z, y) against y, so that the classifier also
	// learns from generated examples. Default 0 (off), because early fakes
	// are poor examples of their class.
	FakeClassWeight float64
	// SupervisedOnly trains the discriminator on the labelled set alone,
	// without generator or unlabelled data: the baseline every
	// semi-supervised result should be compared with.
	SupervisedOnly bool
	// EvalBatch is the batch size of the inference graph. Default 500,
	// fewer for large images (2^22 input values per batch at most: 341
	// for 64×64 colour images), so that inference stays within
	// MaxStepBytes. Predictions do not depend on it.
	EvalBatch int
	// Seed drives every random choice: initialisation, shuffling, dropout
	// and noise masks, z and augmentation. Equal seeds give equal runs.
	Seed uint64
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if c.Classes == 0 {
		c.Classes = 10
	}
	if c.Channels == 0 {
		c.Channels = 1
	}
	switch {
	case c.Height == 0 && c.Width == 0:
		c.Height, c.Width = 28, 28
	case c.Width == 0:
		c.Width = c.Height
	case c.Height == 0:
		c.Height = c.Width
	}
	if c.Arch == "" {
		c.Arch = ArchConv
	}
	if c.DiscWidth == 0 {
		c.DiscWidth = 32
	}
	if c.InputNoise == 0 {
		c.InputNoise = 0.3
	}
	if c.DiscDropout == 0 {
		c.DiscDropout = 0.5
	}
	if c.LatentDim == 0 {
		c.LatentDim = 100
	}
	if c.BatchSize == 0 {
		c.BatchSize = 100
	}
	if c.Epochs == 0 {
		c.Epochs = 10
	}
	if c.MinSteps == 0 {
		c.MinSteps = 4000
	}
	if c.LearnRate == 0 {
		c.LearnRate = 1e-3
	}
	if c.GenLearnRate == 0 {
		c.GenLearnRate = c.LearnRate
	}
	if c.Beta1 == 0 {
		c.Beta1 = 0.5
	}
	if c.Beta2 == 0 {
		c.Beta2 = 0.999
	}
	if c.DecayStart == 0 {
		c.DecayStart = 0.5
	}
	if c.UnsupWeight == 0 {
		c.UnsupWeight = 1
	}
	if c.EntropyWeight == 0 {
		c.EntropyWeight = 1
	}
	if c.ConsistencyWeight == 0 {
		c.ConsistencyWeight = 1
	}
	if c.ConsistencyRamp == 0 {
		c.ConsistencyRamp = 0.2
	}
	if c.PseudoLabelThreshold == 0 {
		c.PseudoLabelThreshold = 0.95
	}
	if c.EMADecay == 0 {
		c.EMADecay = 0.999
	}
	if c.AugmentShift == 0 {
		c.AugmentShift = max(1, (min(c.Height, c.Width)+7)/14)
	}
	if c.EvalBatch == 0 {
		c.EvalBatch = 500
		if f := c.Channels * c.Height * c.Width; f > 0 {
			c.EvalBatch = max(1, min(500, (1<<22)/f))
		}
	}
	if c.ClassWeight == 0 {
		c.ClassWeight = 1
	}
	return c
}

// Validate reports every invalid setting of c, after defaults are
// applied, as one joined error. Besides each setting's range it bounds
// the sizes: every single size (classes, channels, sides, widths, batch
// sizes, latent dimension) at 2^20, the built-in networks at MaxParams
// parameters and the estimated activations of one training step at
// MaxStepBytes, so that New never fails to allocate or panics on a
// Config that Validate accepts.
func (c Config) Validate() error { return c.validate(true) }

// validate is Validate; builtin says whether the networks are the
// built-in ones of c.Arch, whose size it then estimates (NewWith's
// networks are the caller's).
func (c Config) validate(builtin bool) error {
	c = c.WithDefaults()
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf("sgan: config: "+format, args...))
		}
	}
	check(c.Classes >= 2, "Classes = %d, need at least 2", c.Classes)
	check(c.Channels > 0 && c.Height > 0 && c.Width > 0, "image shape %d×%d×%d is not positive", c.Channels, c.Height, c.Width)
	check(c.Arch == ArchConv || c.Arch == ArchMLP, "unknown Arch %q (want %q or %q)", c.Arch, ArchConv, ArchMLP)
	check(c.DiscWidth > 0, "DiscWidth = %d, must be positive", c.DiscWidth)
	check(c.DiscDropout < 1, "DiscDropout = %g, must be below 1", c.DiscDropout)
	check(c.LatentDim > 0, "LatentDim = %d, must be positive", c.LatentDim)
	check(c.BatchSize != 1, "BatchSize = 1: need at least 2 (the training graphs do not support one-example batches, and the generator's batch normalisation needs more than one)")
	check(c.BatchSize > 0, "BatchSize = %d, must be positive", c.BatchSize)
	check(c.Epochs > 0, "Epochs = %d, must be positive", c.Epochs)
	check(c.Duration >= 0, "Duration = %v, must not be negative", c.Duration)
	check(c.LearnRate > 0 && c.GenLearnRate > 0, "learning rates must be positive (LearnRate %g, GenLearnRate %g)", c.LearnRate, c.GenLearnRate)
	check(c.Beta1 >= 0 && c.Beta1 < 1 && c.Beta2 > 0 && c.Beta2 < 1, "Adam betas (%g, %g) must lie in [0, 1)", c.Beta1, c.Beta2)
	check(c.DecayStart < 1, "DecayStart = %g, must be below 1", c.DecayStart)
	check(c.GenLoss == FeatureMatching || c.GenLoss == NonSaturating, "unknown GenLoss %d", int(c.GenLoss))
	check(c.EMADecay < 1, "EMADecay = %g, must be below 1", c.EMADecay)
	check(c.EvalBatch > 0, "EvalBatch = %d, must be positive", c.EvalBatch)
	check(c.FakeClassWeight >= 0, "FakeClassWeight = %g, must not be negative", c.FakeClassWeight)
	check(c.PseudoLabelThreshold > 0 && c.PseudoLabelThreshold <= 1, "PseudoLabelThreshold = %g, must lie in (0, 1]", c.PseudoLabelThreshold)
	check(!math.IsNaN(c.Mixup) && !math.IsInf(c.Mixup, 0), "Mixup = %g, must be finite", c.Mixup)
	for _, w := range []struct {
		name string
		v    float64
	}{{"UnsupWeight", c.UnsupWeight}, {"EntropyWeight", c.EntropyWeight}, {"BalanceWeight", c.BalanceWeight},
		{"ConsistencyWeight", c.ConsistencyWeight}, {"PseudoLabelWeight", c.PseudoLabelWeight}, {"ClassWeight", c.ClassWeight},
		{"FakeClassWeight", c.FakeClassWeight}} {
		check(!math.IsNaN(w.v) && !math.IsInf(w.v, 0), "%s = %g, must be finite", w.name, w.v)
	}
	check(c.AugmentCutout >= 0, "AugmentCutout = %d, must not be negative", c.AugmentCutout)
	check(!c.Conditional || !c.SupervisedOnly, "Conditional and SupervisedOnly exclude each other: a supervised-only model has no generator")
	if builtin {
		c.checkSize(check)
	} else {
		c.checkDims(check)
	}
	return errors.Join(errs...)
}

// stepsPerEpoch is the length of Fit's epoch over n unlabelled examples:
// one pass, or more where Epochs passes would take fewer than MinSteps
// steps.
func (c Config) stepsPerEpoch(n int) int {
	steps := (n + c.BatchSize - 1) / c.BatchSize
	if c.MinSteps > 0 && c.Epochs > 0 {
		steps = max(steps, (c.MinSteps+c.Epochs-1)/c.Epochs)
	}
	return steps
}

// shifts reports whether training shifts images: AugmentShift is on and
// the examples have more than one row and column. (Shifting a 1×F row
// vertically would blank it.)
func (c Config) shifts() bool {
	return c.AugmentShift > 0 && c.Height > 1 && c.Width > 1
}

// secondView reports whether the discriminator step draws a second view
// of the unlabelled batch: for the consistency or the pseudo-label loss.
func (c Config) secondView() bool {
	return !c.SupervisedOnly && ((weight(c.ConsistencyWeight) > 0 && !c.MeanTeacher) || weight(c.PseudoLabelWeight) > 0)
}

// teacher reports whether the consistency loss takes its targets from
// the teacher (MeanTeacher) rather than from a second view in the graph.
func (c Config) teacher() bool {
	return !c.SupervisedOnly && c.MeanTeacher && weight(c.ConsistencyWeight) > 0
}

// gan reports whether training plays the GAN game: generated examples
// go through the discriminator and the generator is trained. Switching
// the unsupervised GAN loss off (UnsupWeight < 0) switches it off, unless
// the generator is Conditional (its class loss still trains it).
func (c Config) gan() bool {
	return !c.SupervisedOnly && (weight(c.UnsupWeight) > 0 || c.Conditional)
}

// genInputDim is the width of the generator's input: z, and the class
// code of a conditional model.
func (c Config) genInputDim() int {
	if c.Conditional {
		return c.LatentDim + c.Classes
	}
	return c.LatentDim
}

// weight maps a "negative means off" setting to its effective value.
func weight(w float64) float64 {
	if w < 0 {
		return 0
	}
	return w
}
