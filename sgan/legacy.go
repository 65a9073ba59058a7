package sgan

import "time"

// Checkpoints of format versions 1 and 2, written before the config
// split, store one Config of the old releases, under its Go field names,
// in which zero meant "the default" and a negative value "off". They are
// read into legacyConfig and migrated to today's two configs, keeping
// what the old release did with them: the same networks, and a trainer
// that takes the same steps.

// legacyConfig is the Config of the releases before the config split, as
// their checkpoints hold it. Fields were only ever added to it, so it
// reads every older file too (a field a file lacks is zero: the old
// default, as the old release read it).
type legacyConfig struct {
	Classes                 int
	Channels, Height, Width int
	Arch                    Arch
	DiscWidth               int
	InputNoise              float64
	DiscDropout             float64
	LatentDim               int
	BatchSize               int
	Epochs                  int
	MinSteps                int
	Duration                time.Duration
	LearnRate               float64
	GenLearnRate            float64
	Beta1, Beta2            float64
	DecayStart              float64
	GenLoss                 int // 0 feature matching, 1 non-saturating
	UnsupWeight             float64
	EntropyWeight           float64
	BalanceWeight           float64
	ConsistencyWeight       float64
	MeanTeacher             bool
	ConsistencyRamp         float64
	PseudoLabelWeight       float64
	PseudoLabelThreshold    float64
	AugmentCutout           int
	AugmentFlip             bool
	Mixup                   float64
	EMADecay                float64
	AugmentShift            int
	Conditional             bool
	ClassWeight             float64
	FakeClassWeight         float64
	SupervisedOnly          bool
	EvalBatch               int
	Seed                    uint64
}

// withDefaults fills the zero fields as the old releases did.
func (c legacyConfig) withDefaults() legacyConfig {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	defInt := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defInt(&c.Classes, 10)
	defInt(&c.Channels, 1)
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
	defInt(&c.DiscWidth, 32)
	def(&c.InputNoise, 0.3)
	def(&c.DiscDropout, 0.5)
	defInt(&c.LatentDim, 100)
	defInt(&c.BatchSize, 100)
	defInt(&c.Epochs, 10)
	defInt(&c.MinSteps, 4000)
	def(&c.LearnRate, 1e-3)
	def(&c.GenLearnRate, c.LearnRate)
	def(&c.Beta1, 0.5)
	def(&c.Beta2, 0.999)
	def(&c.DecayStart, 0.5)
	def(&c.UnsupWeight, 1)
	def(&c.EntropyWeight, 1)
	def(&c.ConsistencyWeight, 1)
	def(&c.ConsistencyRamp, 0.2)
	def(&c.PseudoLabelThreshold, 0.95)
	def(&c.EMADecay, 0.999)
	defInt(&c.AugmentShift, max(1, (min(c.Height, c.Width)+7)/14))
	if c.EvalBatch == 0 {
		c.EvalBatch = ModelConfig{Channels: c.Channels, Height: c.Height, Width: c.Width}.resolved().EvalBatch
	}
	def(&c.ClassWeight, 1)
	return c
}

// migrate returns today's model and training configurations for an old
// Config: zero fields take the old defaults, negative ones become 0
// (off), and the loss weights are those of the terms the old release
// computed.
func (c legacyConfig) migrate() (ModelConfig, TrainConfig) {
	c = c.withDefaults()
	pos := func(v float64) float64 { return max(v, 0) }
	m := ModelConfig{
		Classes: c.Classes, Channels: c.Channels, Height: c.Height, Width: c.Width,
		Arch: c.Arch, DiscWidth: c.DiscWidth, InputNoise: pos(c.InputNoise), DiscDropout: pos(c.DiscDropout),
		LatentDim: c.LatentDim, Conditional: c.Conditional, SupervisedOnly: c.SupervisedOnly,
		EMADecay: pos(c.EMADecay), EvalBatch: c.EvalBatch, Seed: c.Seed,
	}
	t := TrainConfig{
		BatchSize:       c.BatchSize,
		Budget:          Budget{Epochs: c.Epochs, MinSteps: max(c.MinSteps, 0), Duration: c.Duration},
		LearnRate:       c.LearnRate,
		GenLearnRate:    c.GenLearnRate,
		Beta1:           c.Beta1,
		Beta2:           c.Beta2,
		DecayStart:      c.DecayStart,
		ConsistencyRamp: pos(c.ConsistencyRamp),
		PseudoThreshold: c.PseudoLabelThreshold,
		Propagation:     DefaultTrainConfig(ModelConfig{}).Propagation, // the term is off
		Augment:         Augment{Flip: c.AugmentFlip, Cutout: max(c.AugmentCutout, 0), Mixup: pos(c.Mixup)},
		Weights:         map[string]float64{termSup: 1},
		Seed:            c.Seed,
	}
	if c.DecayStart < 0 {
		t.DecayStart = 1 // constant rates
	}
	if c.AugmentShift > 0 && c.Height > 1 && c.Width > 1 {
		t.Augment.Shift = c.AugmentShift
	}
	if !c.SupervisedOnly {
		w := t.Weights
		w[termUnsup] = pos(c.UnsupWeight)
		w["entropy"] = pos(c.EntropyWeight)
		w["balance"] = pos(c.BalanceWeight)
		w[termConsistency] = pos(c.ConsistencyWeight)
		w[termPseudo] = pos(c.PseudoLabelWeight)
		if c.GenLoss == 1 {
			w[termNonSaturating] = 1
		} else {
			w[termFeatureMatching] = 1
		}
		if c.Conditional {
			w[termGenClass] = pos(c.ClassWeight)
			w["fake_class"] = pos(c.FakeClassWeight)
		}
		t.MeanTeacher = c.MeanTeacher && w[termConsistency] > 0
	}
	return m, t.resolved()
}
