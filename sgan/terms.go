package sgan

import (
	"fmt"
	"slices"
	"strings"

	G "gorgonia.org/gorgonia"

	"github.com/semigan/semigan/layers"
)

// LossTerm documents one term of the training costs. The weights of
// TrainConfig.Weights are keyed by Name; the term's value is reported
// under the same name in StepStats.Losses, EpochStats.Losses and a
// column of the metrics CSV, and the examples' recipe flags are named
// after it (underscores as dashes).
type LossTerm struct {
	// Name is the term's key.
	Name string
	// Network is whose cost the term is part of: "discriminator" or
	// "generator".
	Network string
	// Default is the term's weight in DefaultTrainConfig, for the models
	// it applies to.
	Default float64
	// Requires says which models the term applies to ("" for all).
	Requires string
	// Doc says what the term is.
	Doc string
	// Metrics are the names of what the term reports besides its value
	// (such as the share of pseudo-labelled examples).
	Metrics []string
}

// LossTerms returns the loss terms in the order they are added to their
// costs.
func LossTerms() []LossTerm {
	out := make([]LossTerm, len(lossTerms))
	for i, t := range lossTerms {
		out[i] = t.LossTerm
		out[i].Requires = t.requires()
		out[i].Metrics = slices.Clone(t.Metrics)
	}
	return out
}

// Names of the terms the trainer refers to.
const (
	termSup             = "sup"
	termUnsup           = "unsup"
	termConsistency     = "consistency"
	termPseudo          = "pseudo"
	termFeatureMatching = "feature_matching"
	termNonSaturating   = "nonsaturating"
	termGenClass        = "gen_class"
	termPropagation     = "propagation"

	readLabLogits = "lab_logits" // the labelled batch's logits, for the training accuracy
	readFeatMean  = "feat_mean"  // mean features of the unlabelled batch, for feature matching
)

// needs are what a loss term needs of the model and the step.
type needs uint8

const (
	needUnlabelled  needs = 1 << iota // unlabelled data: not for SupervisedOnly models
	needGenerator                     // a generator: not for SupervisedOnly models
	needConditional                   // a conditional generator
	needRealFeat                      // the real batch's mean features, read out of the discriminator's step
)

const (
	discNet = "discriminator"
	genNet  = "generator"
)

// lossTerm is one row of the loss-term table: what LossTerms documents,
// what the term needs, and how its graph is built. A term is built into
// its network's cost when its weight is positive (and, for the
// generator's terms, when the generator is trained); its value is added
// times its weight, or times its ramped weight, an input the trainer
// sets before each step, when ramp is set.
type lossTerm struct {
	LossTerm
	needs needs
	ramp  bool
	build func(x *termInputs) (*G.Node, error)
}

// lossTerms is the loss-term table. Adding a weighted term is a function
// that builds its node from termInputs (losses.go) and a row here; the
// configuration, the costs, the metrics, the CSV columns, the recipe
// flags and the golden test follow from the row. Rows are in the order
// the terms are summed into their costs, which fixes the arithmetic:
// append new rows of a network after its last one.
var lossTerms = []lossTerm{
	{LossTerm: LossTerm{Name: termSup, Network: discNet, Default: 1,
		Doc: "K-class cross-entropy of the labelled batch"},
		build: func(x *termInputs) (*G.Node, error) { return supervisedLoss(x.lLab, x.yLab) }},
	{LossTerm: LossTerm{Name: termUnsup, Network: discNet, Default: 1,
		Doc: "the GAN loss of the K+1-class discriminator: −log D(x) on the unlabelled batch and −log(1−D(G(z))) on the generated one, halved; 0: no GAN (no fakes, the generator is not trained unless the model is conditional)"},
		needs: needUnlabelled | needGenerator,
		build: func(x *termInputs) (*G.Node, error) { return unsupervisedLoss(x.lUnl, x.lFake) }},
	{LossTerm: LossTerm{Name: "entropy", Network: discNet, Default: 1,
		Doc: "mean entropy of the class predictions on the unlabelled batch, minimised (Grandvalet & Bengio 2005; Dai et al. 2017)"},
		needs: needUnlabelled,
		build: func(x *termInputs) (*G.Node, error) { return entropyLoss(x.lUnl) }},
	{LossTerm: LossTerm{Name: "fake_class", Network: discNet,
		Doc: "AC-GAN's class loss in the discriminator: cross-entropy of its class prediction on each conditional fake G(z, y) against y; off by default, as early fakes are poor examples of their class"},
		needs: needConditional,
		build: func(x *termInputs) (*G.Node, error) { return supervisedLoss(x.lFake, x.yFake) }},
	{LossTerm: LossTerm{Name: "balance", Network: discNet,
		Doc: "class balance: cross-entropy −Σ π_k log p̄_k between the class prior π (the labelled set's class frequencies in Fit; Trainer.SetClassPrior) and the mean prediction p̄ on the unlabelled batch (CatGAN, Springenberg 2016)"},
		needs: needUnlabelled,
		build: buildBalance},
	{LossTerm: LossTerm{Name: termConsistency, Network: discNet, Default: 1,
		Doc: "consistency: squared difference of the class probabilities of two differently shifted and masked views of each unlabelled image (Π-model, Laine & Aila 2017), or of one view against the weight average's prediction on another (TrainConfig.MeanTeacher); ramped up over TrainConfig.ConsistencyRamp"},
		needs: needUnlabelled, ramp: true,
		build: buildConsistency},
	{LossTerm: LossTerm{Name: termPseudo, Network: discNet, Metrics: []string{"pseudo_rate"},
		Doc: "pseudo-labels (FixMatch, Sohn et al. 2020): cross-entropy of the prediction on the second view of each unlabelled image against the class predicted on the first, for first views of probability at least TrainConfig.PseudoThreshold; pseudo_rate is the share of such images"},
		needs: needUnlabelled,
		build: buildPseudo},
	{LossTerm: LossTerm{Name: termPropagation, Network: discNet, Default: 3, Metrics: []string{"propagation_cv", "propagation_pixels_cv", "propagation_from_pixels"},
		Doc: "label propagation (Iscen et al. 2019; Calder et al. 2020): cross-entropy of the prediction on each unlabelled image against the class that Poisson learning over a nearest-neighbour graph of the discriminator's features gives it, weighted by its certainty and by the rarity of its class; the labels are propagated anew every TrainConfig.Propagation.Every of the budget, and the weight ramps up with the consistency term's; propagation_cv (an epoch's, not a step's, metric: that of the epoch's last propagation) is the share of labelled examples that propagation from the others labels right (cross-validated in 3 folds), an estimate of the features' worth without test labels; propagation_pixels_cv is the same over the images themselves, and when it is higher by more than two standard errors the term learns from the pixels' labels instead (propagation_from_pixels 1)"},
		needs: needUnlabelled, ramp: true,
		build: buildPropagation},
	{LossTerm: LossTerm{Name: termFeatureMatching, Network: genNet, Default: 1,
		Doc: "feature matching: squared distance between the mean discriminator features of the real unlabelled batch and of the generated one (Salimans et al. 2016, §3.1)"},
		needs: needGenerator | needRealFeat,
		build: buildFeatureMatching},
	{LossTerm: LossTerm{Name: termNonSaturating, Network: genNet,
		Doc: "the non-saturating GAN loss of the generator, −log D(G(z))"},
		needs: needGenerator,
		build: func(x *termInputs) (*G.Node, error) { return realLoss(x.gLogits) }},
	{LossTerm: LossTerm{Name: termGenClass, Network: genNet, Default: 1,
		Doc: "the conditional generator's class loss: cross-entropy between the class y asked of each generated example and the discriminator's prediction on G(z, y) (AC-GAN)"},
		needs: needConditional,
		build: func(x *termInputs) (*G.Node, error) { return supervisedLoss(x.gLogits, x.gy) }},
}

// termInputs are the nodes a term's build function reads: the logits of
// each batch of the discriminator's step (nil when the step has no such
// batch) or of the generator's step, and what the trainer feeds.
type termInputs struct {
	g  *G.ExprGraph
	cb *costBuilder
	m  ModelConfig
	t  TrainConfig
	tg *trainGraphs // buffers of the inputs a term makes

	// the discriminator's step
	lLab, yLab *G.Node // labelled logits and one-hot (or mixed) targets
	lUnl       *G.Node // the unlabelled batch (first view)
	lUnl2      *G.Node // its second view, when TrainConfig.secondView
	lFake      *G.Node // the generated batch
	yFake      *G.Node // the classes asked of it (conditional models)

	// the generator's step
	gLogits *G.Node // D's logits of the generated batch
	gFeat   *G.Node // D's features of it, (B, F)
	gy      *G.Node // the classes asked of it (conditional models)
}

func buildBalance(x *termInputs) (*G.Node, error) {
	prior, buf := input(x.g, "class_prior", x.m.Classes)
	x.tg.feeders = append(x.tg.feeders, func(t *Trainer, _ Batch) error { t.fillPrior(buf); return nil })
	return balanceLoss(x.lUnl, prior)
}

func buildConsistency(x *termInputs) (*G.Node, error) {
	if x.t.MeanTeacher {
		// the targets are an input, filled by the trainer's teacher
		target, buf := input(x.g, "teacher_probs", x.t.BatchSize, x.m.Classes)
		x.tg.tProbs = buf
		return consistencyToTarget(x.lUnl, target)
	}
	return consistencyLoss(x.lUnl, x.lUnl2)
}

func buildPseudo(x *termInputs) (*G.Node, error) {
	// the first view's confident predictions are the second view's targets
	target, err := layers.PseudoLabels(x.lUnl, x.t.PseudoThreshold)
	if err != nil {
		return nil, err
	}
	loss, err := supervisedLoss(x.lUnl2, target)
	if err != nil {
		return nil, err
	}
	kept, err := G.Sum(target)
	if err != nil {
		return nil, err
	}
	rate, err := G.HadamardDiv(kept, constant(kept, float64(x.t.BatchSize)))
	if err != nil {
		return nil, err
	}
	x.cb.read("pseudo_rate", rate)
	return loss, nil
}

func buildPropagation(x *termInputs) (*G.Node, error) {
	// each row: the propagated class of the unlabelled example, one-hot,
	// times its weight (0 before the first propagation)
	K := x.m.Classes
	target, buf := input(x.g, "propagated", x.t.BatchSize, K)
	x.tg.feeders = append(x.tg.feeders, func(t *Trainer, unl Batch) error { return t.prop.fill(buf, unl, K) })
	return supervisedLoss(x.lUnl, target)
}

func buildFeatureMatching(x *termInputs) (*G.Node, error) {
	fRealMean, buf := input(x.g, "f_real_mean", x.tg.featDim)
	x.tg.gFeat = buf
	return featureMatchingLoss(fRealMean, x.gFeat)
}

// appliesTo reports whether the term can be switched on for a model of
// configuration m.
func (t *lossTerm) appliesTo(m ModelConfig) bool {
	switch {
	case t.needs&(needUnlabelled|needGenerator) != 0 && m.SupervisedOnly:
		return false
	case t.needs&needConditional != 0 && !m.Conditional:
		return false
	}
	return true
}

// requires describes the models the term applies to.
func (t *lossTerm) requires() string {
	switch {
	case t.needs&needConditional != 0:
		return "a Conditional model"
	case t.needs&(needUnlabelled|needGenerator) != 0:
		return "a model with a generator, trained on unlabelled data (not SupervisedOnly)"
	}
	return ""
}

// builtIn reports whether the term is part of its network's cost when
// training a model of configuration m with c.
func (t *lossTerm) builtIn(m ModelConfig, c TrainConfig) bool {
	if c.Weights[t.Name] <= 0 || !t.appliesTo(m) {
		return false
	}
	if t.Network == genNet || t.needs&needGenerator != 0 {
		return m.gan(c)
	}
	return true
}

func termByName(name string) *lossTerm {
	for i := range lossTerms {
		if lossTerms[i].Name == name {
			return &lossTerms[i]
		}
	}
	return nil
}

func termNames() []string {
	names := make([]string, len(lossTerms))
	for i, t := range lossTerms {
		names[i] = t.Name
	}
	return names
}

// addTerms adds the terms of network `net` that are on to the cost under
// construction, in table order.
func addTerms(net string, x *termInputs) {
	for i := range lossTerms {
		t := &lossTerms[i]
		if t.Network != net || !t.builtIn(x.m, x.t) || x.cb.err != nil {
			continue
		}
		n, err := t.build(x)
		if err != nil {
			x.cb.fail(fmt.Errorf("sgan: %s term %s: %w", net, t.Name, err))
			return
		}
		if t.ramp {
			// the weight is an input, set by the trainer before each step
			w := G.NewScalar(x.g, G.Float32, G.WithName("w_"+t.Name), G.WithValue(float32(0)))
			x.tg.ramped = append(x.tg.ramped, rampedWeight{name: t.Name, node: w})
			x.cb.addScaled(t.Name, n, w)
			continue
		}
		x.cb.add(t.Name, n, x.t.Weights[t.Name])
	}
}

// describeWeights is one line listing the terms that are on, for logs.
func describeWeights(c TrainConfig) string {
	var parts []string
	for _, t := range lossTerms {
		if w := c.Weights[t.Name]; w > 0 {
			parts = append(parts, fmt.Sprintf("%s %g", t.Name, w))
		}
	}
	return strings.Join(parts, ", ")
}
