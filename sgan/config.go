package sgan

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
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

// The two configurations. A ModelConfig describes the networks: it is
// what a saved model holds and all that predicting and generating need.
// A TrainConfig describes one way of training a model: the optimiser,
// the loss terms' weights, augmentation and the budget; a Trainer holds
// it, and a trainer checkpoint saves it. Every field is stored under its
// JSON name; a field that switches something off does so at 0 (or
// false), and DefaultModelConfig and DefaultTrainConfig give the
// recipe's values. Validate reports every bad field at once.

// ModelConfig describes a model's networks. Start from
// DefaultModelConfig and change what differs: a zero field means zero,
// so that 0 switches InputNoise, DiscDropout and EMADecay off.
type ModelConfig struct {
	// Classes is K, the number of real classes (at least 2).
	Classes int `json:"classes"`
	// Channels, Height and Width give the image shape C×H×W. Tabular
	// rows are 1×1×F.
	Channels int `json:"channels"`
	Height   int `json:"height"`
	Width    int `json:"width"`
	// Arch selects the built-in architecture (ArchConv or ArchMLP).
	Arch Arch `json:"arch"`
	// DiscWidth is the number of channels of the first convolution of
	// ArchConv's discriminator; the second has twice as many.
	DiscWidth int `json:"disc_width"`
	// InputNoise is the standard deviation of the Gaussian noise added to
	// the discriminator's input during training (ArchConv); 0: none.
	InputNoise float64 `json:"input_noise"`
	// DiscDropout is the dropout rate of ArchConv's discriminator, after
	// the first convolution and before the last layer; 0: none.
	DiscDropout float64 `json:"disc_dropout"`
	// LatentDim is the size of the generator's input z ~ N(0, I).
	LatentDim int `json:"latent_dim"`
	// Conditional makes the generator class-conditional (Mirza &
	// Osindero 2014; AC-GAN, Odena et al. 2017): it receives a class code
	// y, one-hot over the K classes, concatenated to z, so its input has
	// LatentDim+Classes values; GenerateClass then draws examples of a
	// chosen class. The loss terms gen_class and fake_class train it.
	Conditional bool `json:"conditional"`
	// SupervisedOnly builds the classifier alone, without a generator:
	// the labels-only baseline that every semi-supervised result should be
	// compared with. Its training uses the labelled set only.
	SupervisedOnly bool `json:"supervised_only"`
	// EMADecay is the decay of the exponential moving average of the
	// discriminator's weights that evaluation and prediction use; 0: no
	// average (the live weights predict).
	EMADecay float64 `json:"ema_decay"`
	// EvalBatch is the batch size of the inference and generation
	// graphs; 0: automatic, 500 or fewer for large images (2^22 input
	// values per batch at most: 341 for 64×64 colour images), so that
	// inference stays within MaxStepBytes. Results do not depend on it.
	EvalBatch int `json:"eval_batch"`
	// Seed drives the initialisation and Generate's default latent
	// vectors.
	Seed uint64 `json:"seed"`
}

// DefaultModelConfig returns the default networks: 10 classes of 1×28×28
// images (MNIST's shape), the convolutional discriminator of width 32
// with input noise 0.3 and dropout 0.5, a latent size of 100 and a weight
// average of decay 0.999.
func DefaultModelConfig() ModelConfig {
	return ModelConfig{
		Classes: 10, Channels: 1, Height: 28, Width: 28,
		Arch: ArchConv, DiscWidth: 32, InputNoise: 0.3, DiscDropout: 0.5,
		LatentDim: 100, EMADecay: 0.999,
	}
}

// resolved returns c with its automatic values (EvalBatch 0) made
// explicit.
func (c ModelConfig) resolved() ModelConfig {
	if c.EvalBatch == 0 {
		c.EvalBatch = 500
		if f := c.Channels * c.Height * c.Width; f > 0 {
			c.EvalBatch = max(1, min(500, (1<<22)/f))
		}
	}
	return c
}

// Validate reports every invalid setting of c as one joined error.
// Besides each setting's range it bounds the sizes: every single size
// (classes, channels, sides, widths, batch sizes, latent dimension) at
// 2^20, the built-in networks at MaxParams parameters and the estimated
// activations of one inference batch at MaxStepBytes, so that New never
// fails to allocate or panics on a ModelConfig that Validate accepts.
func (c ModelConfig) Validate() error { return c.resolved().validate(true) }

// validate checks a resolved c; builtin says whether the networks are
// the built-in ones of c.Arch, whose size it then estimates (NewWith's
// networks are the caller's).
func (c ModelConfig) validate(builtin bool) error {
	var errs []error
	check := checker("model config", &errs)
	check(c.Classes >= 2, "Classes = %d, need at least 2 (start from sgan.DefaultModelConfig())", c.Classes)
	check(c.Channels > 0 && c.Height > 0 && c.Width > 0, "image shape %d×%d×%d is not positive", c.Channels, c.Height, c.Width)
	check(c.Arch == ArchConv || c.Arch == ArchMLP, "unknown Arch %q (want %q or %q)", c.Arch, ArchConv, ArchMLP)
	check(c.DiscWidth > 0, "DiscWidth = %d, must be positive", c.DiscWidth)
	check(finite(c.InputNoise) && c.InputNoise >= 0 && c.InputNoise <= maxNoise, "InputNoise = %g, must be in [0, %g] (0: none; the inputs are about [−1, 1])", c.InputNoise, maxNoise)
	check(finite(c.DiscDropout) && c.DiscDropout >= 0 && c.DiscDropout < 1, "DiscDropout = %g, must lie in [0, 1) (0: none)", c.DiscDropout)
	check(c.LatentDim > 0, "LatentDim = %d, must be positive", c.LatentDim)
	check(c.EMADecay >= 0 && c.EMADecay < 1, "EMADecay = %g, must lie in [0, 1) (0: no average)", c.EMADecay)
	check(c.EvalBatch > 0, "EvalBatch = %d, must be positive (0: automatic)", c.EvalBatch)
	check(!c.Conditional || !c.SupervisedOnly, "Conditional and SupervisedOnly exclude each other: a supervised-only model has no generator")
	dims := []namedInt{{"Classes", c.Classes}, {"Channels", c.Channels}, {"Height", c.Height}, {"Width", c.Width},
		{"LatentDim", c.LatentDim}, {"DiscWidth", c.DiscWidth}, {"EvalBatch", c.EvalBatch}}
	checkDims(check, dims)
	if builtin && dimsOK(dims) && c.Classes > 0 && c.Channels > 0 && c.Height > 0 && c.Width > 0 && c.EvalBatch > 0 {
		c.checkSize(check)
	}
	return errors.Join(errs...)
}

// gan reports whether training c's model with t plays the GAN game:
// generated examples go through the discriminator and the generator is
// trained. The unsupervised GAN loss switches it on, and so does a
// conditional generator (its class loss trains it).
func (c ModelConfig) gan(t TrainConfig) bool {
	return !c.SupervisedOnly && (t.Weights[termUnsup] > 0 || c.Conditional)
}

// genInputDim is the width of the generator's input: z, and the class
// code of a conditional model.
func (c ModelConfig) genInputDim() int {
	if c.Conditional {
		return c.LatentDim + c.Classes
	}
	return c.LatentDim
}

// TrainConfig describes how a Trainer trains: batch size, budget,
// optimiser, schedule, the weights of the loss terms and augmentation.
// Start from DefaultTrainConfig(model) and change what differs: a zero
// field means zero, so that 0 switches a term, an augmentation, the
// step minimum, the ramp or the time cap off.
type TrainConfig struct {
	// BatchSize is the number of labelled, unlabelled and generated
	// examples in each step (each); at least 2.
	BatchSize int `json:"batch_size"`
	// Budget is how long Fit trains.
	Budget Budget `json:"budget"`
	// LearnRate is the discriminator's Adam step size.
	LearnRate float64 `json:"learn_rate"`
	// GenLearnRate is the generator's Adam step size; 0: LearnRate.
	GenLearnRate float64 `json:"gen_learn_rate"`
	// Beta1 and Beta2 are Adam's moment decay rates.
	Beta1 float64 `json:"beta1"`
	Beta2 float64 `json:"beta2"`
	// DecayStart is the fraction of the budget after which both
	// learning rates decay linearly to zero at the end; 1: constant
	// rates.
	DecayStart float64 `json:"decay_start"`
	// Weights holds the weight of each loss term, by name (LossTerms
	// lists them with their documentation). A term that is absent or
	// has weight 0 is off: it is not computed at all. A term that does
	// not apply to the model (a conditional term on an unconditional
	// model, an unlabelled-data term on a SupervisedOnly one) must be 0.
	Weights map[string]float64 `json:"weights"`
	// ConsistencyRamp is the fraction of the budget over which the
	// consistency weight ramps up linearly from 0; 0: no ramp.
	ConsistencyRamp float64 `json:"consistency_ramp"`
	// MeanTeacher takes the consistency term's targets from a teacher
	// (Mean Teacher, Tarvainen & Valpola 2017): the class probabilities
	// that the weight average (the live weights when the model has no
	// average) predicts, in inference mode and without gradient, on a
	// second view of each unlabelled image. The model's prediction on the
	// first view is pulled towards them, so the step runs no fourth batch
	// through the discriminator unless the pseudo term asks for it.
	// False: the Π-model, which compares the model's own predictions on
	// two views.
	MeanTeacher bool `json:"mean_teacher"`
	// PseudoThreshold is the class probability a first-view prediction
	// needs to become a pseudo-label of the pseudo term, in (0, 1].
	PseudoThreshold float64 `json:"pseudo_threshold"`
	// Propagation configures the label propagation behind the
	// propagation term.
	Propagation PropagationConfig `json:"propagation"`
	// Augment is the augmentation of the labelled batch and of the views
	// of the unlabelled batch.
	Augment Augment `json:"augment"`
	// Seed drives the training stream: batch order, dropout and noise
	// masks, z and augmentation. Equal seeds give equal runs.
	Seed uint64 `json:"seed"`
}

// Budget is how long Fit trains; the learning-rate decay and the
// consistency ramp count progress against whichever limit runs out
// first. Set it in the TrainConfig, or with Trainer.SetBudget to train a
// resumed model longer; a loop of one's own over Step follows it through
// Trainer.Schedule.
type Budget struct {
	// Epochs is the number of epochs, counted from the first step of
	// the trainer (a resumed trainer continues the count); 0: no limit
	// on epochs (Duration must then be set). An epoch is one pass over
	// the unlabelled set, lengthened where needed so that Epochs epochs
	// take at least MinSteps steps.
	Epochs int `json:"epochs"`
	// MinSteps is the fewest steps Fit takes over Epochs epochs
	// (Duration permitting): on a small unlabelled set, where an epoch is
	// a handful of steps, each epoch then makes several passes; 0: no
	// minimum.
	MinSteps int `json:"min_steps"`
	// Duration caps the wall-clock time of Fit; 0: no cap.
	Duration time.Duration `json:"duration_ns"`
}

// PropagationConfig configures the label propagation of the propagation
// term: how often the labels of the unlabelled set are propagated anew
// over the discriminator's features, and over which graph.
type PropagationConfig struct {
	// Start is the fraction of the budget after which the labels are
	// first propagated (the features must have learnt something by
	// then); until then the term adds nothing.
	Start float64 `json:"start"`
	// Every is the fraction of the budget between two propagations
	// (0.1: ten in a run), so that short runs refresh the labels as
	// often as long ones.
	Every float64 `json:"every"`
	// Neighbours is the number of nearest neighbours of each example in
	// the graph.
	Neighbours int `json:"neighbours"`
	// Dims is the number of principal directions of the features the
	// neighbours are found in.
	Dims int `json:"dims"`
	// Logits is the share of the graph's similarities that comes from
	// the classifier's logits rather than its features (see
	// PropagateOptions.Logits).
	Logits float64 `json:"logits"`
	// Balance makes the propagated labels follow the class prior (see
	// PropagateOptions.Balance).
	Balance bool `json:"balance"`
	// MaxExamples bounds the unlabelled examples in the graph: a larger
	// unlabelled set is sampled anew (uniformly, from the training
	// seed and the step) at each propagation, and the term leaves out
	// the examples not drawn until the next. The neighbour search costs
	// time quadratic in the examples (about 25 s on 2 cores for 60,000),
	// so without a bound a set of 200,000 images spends most of its
	// training in it. 0: no bound (the behaviour of checkpoints written
	// before the field existed).
	MaxExamples int `json:"max_examples,omitempty"`
}

// Augment is the augmentation of training batches. Its zero value
// augments nothing.
type Augment struct {
	// Shift translates each labelled image, and each view of each
	// unlabelled image, by a random offset of up to this many pixels in
	// each direction (filled with the background value −1); 0: off.
	// Ignored for examples with one row or one column, such as 1×1×F
	// tabular rows.
	Shift int `json:"shift"`
	// Flip mirrors each labelled image, and each view of each unlabelled
	// image, left to right with probability ½. Only for data whose
	// classes survive a mirror (clothing, most photos); never for digits
	// or text.
	Flip bool `json:"flip"`
	// Cutout erases a random square of this side (clipped at the border;
	// filled with 0, the middle of [-1, 1]) from the second view of each
	// unlabelled image, which makes it the strongly augmented view of the
	// pseudo and consistency terms; 0: off.
	Cutout int `json:"cutout"`
	// Mixup is α of the mixup of the labelled batch (Zhang et al. 2018):
	// each labelled example and its one-hot target are mixed with another
	// one of the batch, weights λ ~ Beta(α, α) folded onto [½, 1]; 0: off.
	Mixup float64 `json:"mixup"`
	// Color jitters the colours of each labelled image, and of each view
	// of each unlabelled image, of 3-channel data: brightness, contrast
	// and saturation each by a random factor in [1−Color, 1+Color], and
	// the hue by a random rotation of up to Color·180°; 0: off. Ignored
	// unless the images have 3 channels (RGB).
	Color float64 `json:"color"`
	// Gray turns each such image to gray with this probability; 0: off.
	Gray float64 `json:"gray"`
	// ChannelShuffle permutes the colour channels of each such image at
	// random: red, green and blue become interchangeable.
	ChannelShuffle bool `json:"channel_shuffle"`
	// Invert negates each labelled image, and each view of each
	// unlabelled image, with this probability (x → −x: light on dark
	// becomes dark on light), for data whose classes survive it; 0: off.
	Invert float64 `json:"invert"`
}

// DefaultTrainConfig returns the default recipe for a model of
// configuration m: batches of 100, 10 epochs of at least 4,000 steps in
// all, Adam at 1e-3 (β 0.5, 0.999) decaying over the second half, each
// loss term at its default weight where it applies to m (LossTerms), the
// ramped weights (consistency, propagation) ramped over the first fifth,
// labels propagated every tenth of the budget from the first tenth on,
// pseudo-labels at 0.95 when switched on, shifts of a fourteenth of the
// shorter image side (rounded, at least 1; none for rows of tabular
// data), and for colour images colour jitter 0.4 and gray 0.2 (no
// channel shuffles).
func DefaultTrainConfig(m ModelConfig) TrainConfig {
	c := TrainConfig{
		BatchSize:       100,
		Budget:          Budget{Epochs: 10, MinSteps: 4000},
		LearnRate:       1e-3,
		Beta1:           0.5,
		Beta2:           0.999,
		DecayStart:      0.5,
		Weights:         map[string]float64{},
		ConsistencyRamp: 0.2,
		PseudoThreshold: 0.95,
		Propagation:     PropagationConfig{Start: 0.1, Every: 0.1, Neighbours: 10, Dims: 64, Logits: 0.9, Balance: true, MaxExamples: 60000},
		Seed:            m.Seed,
	}
	for _, t := range lossTerms {
		if t.Default != 0 && t.appliesTo(m) {
			c.Weights[t.Name] = t.Default
		}
	}
	if m.Height > 1 && m.Width > 1 {
		c.Augment.Shift = max(1, (min(m.Height, m.Width)+7)/14)
	}
	if m.Channels == 3 {
		// colour images: learn the class, not the exact colour. Channel
		// shuffles stay off: they erase colour as a cue, and where colour
		// tells the classes apart (the shapes demo of examples/images)
		// they cost half the accuracy.
		c.Augment.Color, c.Augment.Gray = 0.4, 0.2
	}
	return c
}

// Clone returns a copy of c that shares nothing with it (its Weights map
// is copied).
func (c TrainConfig) Clone() TrainConfig {
	c.Weights = maps.Clone(c.Weights)
	return c
}

// Weight returns the weight of the loss term name (0 when off).
func (c TrainConfig) Weight(name string) float64 { return c.Weights[name] }

// resolved returns a copy of c with its automatic values made explicit
// (GenLearnRate 0) and terms of weight 0 removed, so that two configs
// that train alike compare and store alike.
func (c TrainConfig) resolved() TrainConfig {
	c = c.Clone()
	if c.GenLearnRate == 0 {
		c.GenLearnRate = c.LearnRate
	}
	maps.DeleteFunc(c.Weights, func(_ string, w float64) bool { return w == 0 })
	if c.Weights == nil {
		c.Weights = map[string]float64{}
	}
	return c
}

// Validate reports every invalid setting of c on its own (ranges,
// unknown loss terms) as one joined error. NewTrainer also checks c
// against the model: that every term it switches on applies to it.
func (c TrainConfig) Validate() error { return c.resolved().validate() }

func (c TrainConfig) validate() error {
	var errs []error
	check := checker("train config", &errs)
	check(c.BatchSize != 1, "BatchSize = 1: need at least 2 (the training graphs do not support one-example batches, and the generator's batch normalisation needs more than one)")
	check(c.BatchSize > 0, "BatchSize = %d, must be positive (start from sgan.DefaultTrainConfig(model))", c.BatchSize)
	checkDims(check, []namedInt{{"BatchSize", c.BatchSize}})
	b := c.Budget
	check(b.Epochs >= 0 && b.MinSteps >= 0 && b.Duration >= 0, "Budget %+v: negative values", b)
	check(b.Epochs > 0 || b.Duration > 0, "Budget sets neither Epochs nor Duration: training would never end")
	check(c.LearnRate > 0 && c.GenLearnRate > 0 && finite(c.LearnRate) && finite(c.GenLearnRate),
		"learning rates must be positive and finite (LearnRate %g, GenLearnRate %g)", c.LearnRate, c.GenLearnRate)
	check(c.Beta1 >= 0 && c.Beta1 < 1 && c.Beta2 > 0 && c.Beta2 < 1, "Adam betas (%g, %g) must lie in [0, 1) and (0, 1)", c.Beta1, c.Beta2)
	check(c.DecayStart >= 0 && c.DecayStart <= 1, "DecayStart = %g, must lie in [0, 1] (1: constant rates)", c.DecayStart)
	check(c.ConsistencyRamp >= 0 && c.ConsistencyRamp <= 1, "ConsistencyRamp = %g, must lie in [0, 1] (0: no ramp)", c.ConsistencyRamp)
	check(c.PseudoThreshold > 0 && c.PseudoThreshold <= 1, "PseudoThreshold = %g, must lie in (0, 1]", c.PseudoThreshold)
	if c.Weights[termPropagation] > 0 {
		p := c.Propagation
		check(p.Start >= 0 && p.Start < 1, "Propagation.Start = %g, must lie in [0, 1)", p.Start)
		check(p.Every > 0 && p.Neighbours > 0 && p.Dims > 0, "Propagation %+v: Every, Neighbours and Dims must be positive when the %s term is on", p, termPropagation)
		check(p.Logits >= 0 && p.Logits <= 1, "Propagation.Logits = %g, must lie in [0, 1]", p.Logits)
		check(p.MaxExamples >= 0 && (p.MaxExamples == 0 || p.MaxExamples > p.Neighbours), "Propagation.MaxExamples = %d, must be 0 (no bound) or above Neighbours (%d)", p.MaxExamples, p.Neighbours)
	}
	a := c.Augment
	check(a.Shift >= 0 && a.Cutout >= 0, "Augment.Shift %d and Augment.Cutout %d must not be negative (0: off)", a.Shift, a.Cutout)
	check(finite(a.Mixup) && a.Mixup >= 0, "Augment.Mixup = %g, must be finite and not negative (0: off)", a.Mixup)
	check(a.Color >= 0 && a.Color <= 1, "Augment.Color = %g, must lie in [0, 1] (0: off)", a.Color)
	check(a.Gray >= 0 && a.Gray <= 1, "Augment.Gray = %g, must lie in [0, 1] (0: off)", a.Gray)
	check(a.Invert >= 0 && a.Invert <= 1, "Augment.Invert = %g, must lie in [0, 1] (0: off)", a.Invert)
	for _, name := range slices.Sorted(maps.Keys(c.Weights)) {
		w := c.Weights[name]
		if termByName(name) == nil {
			check(false, "Weights: unknown loss term %q (the terms: %s)", name, strings.Join(termNames(), ", "))
			continue
		}
		check(finite(w) && w >= 0, "Weights[%q] = %g, must be finite and not negative (0: off)", name, w)
	}
	check(c.Weights[termSup] > 0, "Weights[%q] is 0: the classifier must learn from its labels", termSup)
	return errors.Join(errs...)
}

// validateFor checks a resolved c on its own and against the model of
// configuration m.
func (c TrainConfig) validateFor(m ModelConfig) error {
	errs := []error{c.validate()}
	for _, name := range slices.Sorted(maps.Keys(c.Weights)) {
		if t := termByName(name); t != nil && c.Weights[name] > 0 && !t.appliesTo(m) {
			errs = append(errs, fmt.Errorf("sgan: train config: loss term %q does not apply to this model (%s); set its weight to 0", name, t.requires()))
		}
	}
	if !m.SupervisedOnly && m.gan(c) && c.Weights[termFeatureMatching] == 0 && c.Weights[termNonSaturating] == 0 && c.Weights[termGenClass] == 0 {
		errs = append(errs, fmt.Errorf("sgan: train config: the generator is trained (unsup or a conditional model) but no generator term is on (%s, %s or %s)",
			termFeatureMatching, termNonSaturating, termGenClass))
	}
	if c.MeanTeacher && c.Weights[termConsistency] == 0 {
		errs = append(errs, fmt.Errorf("sgan: train config: MeanTeacher is set but the %s term is off", termConsistency))
	}
	return errors.Join(errs...)
}

// stepsPerEpoch is the length of Fit's epoch over n unlabelled examples:
// one pass, or more where Budget.Epochs passes would take fewer than
// MinSteps steps.
func (c TrainConfig) stepsPerEpoch(n int) int {
	steps := (n + c.BatchSize - 1) / c.BatchSize
	if b := c.Budget; b.MinSteps > 0 && b.Epochs > 0 {
		steps = max(steps, (b.MinSteps+b.Epochs-1)/b.Epochs)
	}
	return max(steps, 1)
}

// shifts reports whether training shifts images of model m: Shift is on
// and the examples have more than one row and column. (Shifting a 1×F
// row vertically would blank it.)
func (c TrainConfig) shifts(m ModelConfig) bool {
	return c.Augment.Shift > 0 && m.Height > 1 && m.Width > 1
}

// secondView reports whether the discriminator step draws a second view
// of the unlabelled batch: for the Π-model's consistency or for the
// pseudo term.
func (c TrainConfig) secondView() bool {
	return (c.Weights[termConsistency] > 0 && !c.MeanTeacher) || c.Weights[termPseudo] > 0
}

// teacher reports whether the consistency term takes its targets from
// the teacher (MeanTeacher) rather than from a second view in the graph.
func (c TrainConfig) teacher() bool {
	return c.MeanTeacher && c.Weights[termConsistency] > 0
}

// checker returns a function that records a formatted error, prefixed
// with "sgan: what: ", in errs when ok is false.
func checker(what string, errs *[]error) func(ok bool, format string, args ...any) {
	return func(ok bool, format string, args ...any) {
		if !ok {
			*errs = append(*errs, fmt.Errorf("sgan: "+what+": "+format, args...))
		}
	}
}

type namedInt struct {
	name string
	v    int
}

// checkDims reports the single sizes above maxDim.
func checkDims(check func(ok bool, format string, args ...any), dims []namedInt) {
	for _, d := range dims {
		check(d.v <= maxDim, "%s = %d, above the limit of %d", d.name, d.v, maxDim)
	}
}

func dimsOK(dims []namedInt) bool {
	for _, d := range dims {
		if d.v > maxDim {
			return false
		}
	}
	return true
}

// maxNoise bounds InputNoise: a σ far above the inputs' range of about
// [−1, 1] drowns them, and 1e300 overflowed float32 into a NaN loss that
// was blamed on the learning rate (issue 24, row 20).
const maxNoise = 100.0

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
