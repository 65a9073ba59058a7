package sgan

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/semigan/semigan/layers"
)

// Batch is one minibatch: X holds BatchSize examples, row-major
// (N,C,H,W), and Labels their classes (ignored for unlabelled batches).
// Indices, for the unlabelled batch, are the examples' positions in the
// unlabelled set, which the propagation term needs to find their
// propagated labels (Fit sets them; datasets.Batcher.NextIndexed gives
// them).
type Batch struct {
	X       []float32
	Labels  []int
	Indices []int
}

// Trainer trains a Model. It owns everything that training needs and a
// trained model does not: its TrainConfig, the two training graphs, both
// Adam optimisers, the training random stream (masks, z, augmentation,
// batch order), the step and epoch counters and the schedule
// (learning-rate decay, ramped loss weights). The model's weights, and
// its weight average, change in place as the trainer steps; the model
// stays usable for prediction between steps.
//
// A Trainer is not safe for concurrent use (one goroutine steps it), but
// its model may serve predictions from other goroutines meanwhile: each
// step holds the model's lock. A model has at most one trainer at a time
// (Close detaches it).
type Trainer struct {
	m   *Model
	mc  ModelConfig // the model's configuration
	cfg TrainConfig // resolved

	graphs     *trainGraphs // built lazily by the first Step
	dOpt, gOpt *adam        // gOpt nil without generator

	pcg   *rand.PCG  // the state behind rng, saved in checkpoints
	rng   *rand.Rand // masks, z, augmentation, shuffling
	step  int        // D updates taken
	epoch int        // epochs completed by Fit

	sched  schedule
	prior  []float64    // class prior of the balance term; nil: uniform
	prop   propagated   // the propagation term's labels of the unlabelled set
	pixels *Propagation // the labels propagated over the unlabelled set's pixels, the reference
	// pixelRows lists the examples of the unlabelled set (of pixelsOf
	// examples) that pixels labelled, nil for all of them
	pixelRows []int
	pixelsOf  int
}

// NewTrainer makes a trainer for m that trains as cfg says. The usual
// call starts from the default recipe for the model:
//
//	cfg := sgan.DefaultTrainConfig(m.Config())
//	cfg.Budget.Duration = 10 * time.Minute // change what should differ
//	t, err := sgan.NewTrainer(m, cfg)
//
// cfg is checked on its own and against the model (a term that is on
// must apply to it). A model has one trainer at a time: NewTrainer fails
// while another one is attached and not closed.
func NewTrainer(m *Model, cfg TrainConfig) (*Trainer, error) {
	if m == nil {
		return nil, fmt.Errorf("sgan: NewTrainer: nil model")
	}
	cfg = cfg.resolved()
	if err := cfg.validateFor(m.Config()); err != nil {
		return nil, err
	}
	if err := m.stepSizeErr(cfg); err != nil {
		return nil, err
	}
	return newTrainer(m, cfg)
}

// newTrainer makes a trainer for a resolved and validated cfg.
func newTrainer(m *Model, cfg TrainConfig) (*Trainer, error) {
	if err := m.attach(); err != nil {
		return nil, err
	}
	pcg := rand.NewPCG(cfg.Seed, streamTrain)
	t := &Trainer{m: m, mc: m.Config(), cfg: cfg, pcg: pcg, rng: rand.New(pcg), sched: schedule{progress: 1}}
	t.dOpt = newAdam("disc", m.trainableParams(discNet), cfg.LearnRate, cfg.Beta1, cfg.Beta2, 1e-8)
	if gp := m.trainableParams(genNet); gp != nil {
		t.gOpt = newAdam("gen", gp, cfg.GenLearnRate, cfg.Beta1, cfg.Beta2, 1e-8)
	}
	return t, nil
}

// Close detaches the trainer from its model, so that another trainer can
// be made for it. The trainer must not be used afterwards.
func (t *Trainer) Close() {
	if t.m != nil {
		t.m.detach()
	}
	t.graphs = nil
}

// Model returns the model being trained.
func (t *Trainer) Model() *Model { return t.m }

// Config returns the training configuration, with GenLearnRate made
// explicit and the terms that are off left out of Weights.
func (t *Trainer) Config() TrainConfig { return t.cfg.Clone() }

// Steps returns the number of training steps taken so far (counted across
// checkpoints: a resumed trainer continues the count).
func (t *Trainer) Steps() int { return t.step }

// Epochs returns the number of epochs Fit has completed.
func (t *Trainer) Epochs() int { return t.epoch }

// LearnRate returns the discriminator's learning rate of the last step.
func (t *Trainer) LearnRate() float64 { return t.dOpt.lr }

// SetClassPrior sets the class prior π of the balance term: K
// non-negative weights, normalised to sum to 1. Fit sets it from the
// labelled set's class counts (each plus one); a trainer driven by Step
// uses a uniform prior unless this is called. nil restores the uniform
// prior.
func (t *Trainer) SetClassPrior(p []float64) error {
	if p == nil {
		t.prior = nil
		return nil
	}
	K := t.mc.Classes
	if len(p) != K {
		return fmt.Errorf("sgan: SetClassPrior: %d weights for %d classes", len(p), K)
	}
	var s float64
	for k, v := range p {
		if !(v >= 0) || math.IsInf(v, 0) {
			return fmt.Errorf("sgan: SetClassPrior: weight %d is %v; want finite and non-negative", k, v)
		}
		s += v
	}
	if !(s > 0) {
		return fmt.Errorf("sgan: SetClassPrior: the weights sum to %v", s)
	}
	t.prior = make([]float64, K)
	for k, v := range p {
		t.prior[k] = v / s
	}
	return nil
}

// fillPrior writes the class prior into dst.
func (t *Trainer) fillPrior(dst []float32) {
	for k := range dst {
		if t.prior == nil {
			dst[k] = 1 / float32(len(dst))
		} else {
			dst[k] = float32(t.prior[k])
		}
	}
}

// Step takes one discriminator update, on the labelled batch lab, the
// unlabelled batch unl and a batch of generated examples, and then one
// generator update, with the learning rates and loss weights of the
// current schedule (Schedule). Both batches must hold exactly BatchSize
// examples; unl is ignored for a SupervisedOnly model.
func (t *Trainer) Step(lab, unl Batch) (StepStats, error) { return t.stepBatch(lab, unl, false) }

// stepBatch is Step; valuesChecked says that the batches come from sets
// whose values Fit has already checked (checkSet), so they are not
// scanned again. The step runs in three phases: feed (the batches,
// augmented, and the step's random inputs into the graphs), the
// discriminator's update and the generator's.
func (t *Trainer) stepBatch(lab, unl Batch, valuesChecked bool) (StepStats, error) {
	if err := t.checkBatches(lab, unl, valuesChecked); err != nil {
		return StepStats{}, err
	}
	unlock := t.m.lockForStep()
	defer unlock()
	if t.graphs == nil {
		g, err := buildTrain(t.m, t.cfg)
		if err != nil {
			return StepStats{}, err
		}
		t.graphs = g
	}
	t.sched.begin()
	t.applySchedule(t.sched.fraction(t.step))
	st := StepStats{Step: t.step + 1}
	if err := t.feed(lab, unl, st.Step); err != nil {
		return st, err
	}
	if err := t.updateDiscriminator(&st, lab.Labels); err != nil {
		return st, err
	}
	return st, t.updateGenerator(&st)
}

// checkBatches checks the batches' sizes, labels and (unless
// valuesChecked) values.
func (t *Trainer) checkBatches(lab, unl Batch, valuesChecked bool) error {
	B, F, K := t.cfg.BatchSize, t.mc.Channels*t.mc.Height*t.mc.Width, t.mc.Classes
	supervised := t.mc.SupervisedOnly
	if len(lab.X) != B*F || len(lab.Labels) != B {
		return fmt.Errorf("sgan: labelled batch has %d values and %d labels, want %d and %d", len(lab.X), len(lab.Labels), B*F, B)
	}
	if !supervised && len(unl.X) != B*F {
		return fmt.Errorf("sgan: unlabelled batch has %d values, want %d", len(unl.X), B*F)
	}
	for i, y := range lab.Labels {
		if y < 0 || y >= K {
			return fmt.Errorf("sgan: labelled batch example %d: label %d out of range [0, %d)", i, y, K)
		}
	}
	if valuesChecked {
		return nil
	}
	if i := badInput(lab.X); i >= 0 {
		return fmt.Errorf("sgan: labelled batch example %d: value %v is not finite or beyond ±%g (scale the inputs to about [−1, 1])", i/F, lab.X[i], MaxInput)
	}
	if i := badInput(unl.X); i >= 0 && !supervised {
		return fmt.Errorf("sgan: unlabelled batch example %d: value %v is not finite or beyond ±%g (scale the inputs to about [−1, 1])", i/F, unl.X[i], MaxInput)
	}
	return nil
}

// feed fills the training graphs' inputs for one step: the labelled
// batch (augmented, one-hot targets, mixed up), the unlabelled batch and
// its views, z, the class prior, the ramped weights and the teacher's
// targets. The random draws come in a fixed order from the stream.
func (t *Trainer) feed(lab, unl Batch, step int) error {
	g, K := t.graphs, t.mc.Classes
	copy(g.xLab, lab.X)
	clear(g.yLab)
	for i, y := range lab.Labels {
		g.yLab[i*K+y] = 1
	}
	g.aug.labelled(g.xLab, g.yLab, t.rng)
	if t.mc.SupervisedOnly {
		return nil
	}
	copy(g.xUnl, unl.X)
	t.fillZ(g.z)
	for _, f := range g.feeders {
		if err := f(t, unl); err != nil {
			return fmt.Errorf("sgan: step %d: %w", step, err)
		}
	}
	if g.xUnl2 != nil {
		// two independently augmented views of the unlabelled batch
		copy(g.xUnl2, unl.X)
		g.aug.twoViews(g.xUnl, g.xUnl2, t.rng)
	}
	if g.tProbs != nil {
		if g.xUnl2 == nil {
			g.aug.view(g.xUnl, t.rng) // nothing else augments the first view
		}
		if err := t.runTeacher(unl.X, step); err != nil {
			return err
		}
	}
	return t.setRampedWeights(step)
}

// updateDiscriminator runs the discriminator's graph, reads its terms
// into st, and applies Adam and the weight average.
func (t *Trainer) updateDiscriminator(st *StepStats, labels []int) error {
	d := t.graphs.d
	if err := d.run(t.rng); err != nil {
		return fmt.Errorf("sgan: step %d: discriminator: %w", st.Step, err)
	}
	st.DLoss = scalar(d.cost.Value())
	if math.IsNaN(st.DLoss) || math.IsInf(st.DLoss, 0) {
		zeroGrads(d.nodes)
		return &NonFiniteError{Step: st.Step, Which: "discriminator", Value: st.DLoss}
	}
	st.readTerms(d.out)
	st.LabelledCorrect = countCorrect(d.out.raw(readLabLogits), labels, t.mc.Classes)
	if err := t.dOpt.step(d.nodes); err != nil {
		return err
	}
	if name, v := divergedParam(t.dOpt.params); name != "" {
		return &NonFiniteError{Step: st.Step, Which: "discriminator", Param: name, Value: v}
	}
	t.m.discUpdated()
	t.step++
	return nil
}

// updateGenerator runs the generator's graph, when the GAN is played,
// with the real features of the discriminator's step, and applies Adam.
func (t *Trainer) updateGenerator(st *StepStats) error {
	g := t.graphs
	if g.g == nil {
		return nil
	}
	if g.gFeat != nil {
		copy(g.gFeat, g.d.out.raw(readFeatMean).Data().([]float32))
	}
	t.fillZ(g.gz)
	if err := g.g.run(t.rng); err != nil {
		return fmt.Errorf("sgan: step %d: generator: %w", st.Step, err)
	}
	st.GLoss = scalar(g.g.cost.Value())
	st.readTerms(g.g.out)
	if math.IsNaN(st.GLoss) || math.IsInf(st.GLoss, 0) {
		zeroGrads(g.g.nodes)
		return &NonFiniteError{Step: st.Step, Which: "generator", Value: st.GLoss}
	}
	if err := t.gOpt.step(g.g.nodes); err != nil {
		return err
	}
	if name, v := divergedParam(t.gOpt.params); name != "" {
		return &NonFiniteError{Step: st.Step, Which: "generator", Param: name, Value: v}
	}
	return nil
}

// fillZ draws latent vectors from N(0, I).
func (t *Trainer) fillZ(z []float32) {
	for i := range z {
		z[i] = float32(t.rng.NormFloat64())
	}
}

// fillClasses writes one-hot class codes into y, (n,k) row-major: row i
// gets class i mod k, so that every batch asks for the classes evenly. It
// does nothing when y is nil (an unconditional model).
func fillClasses(y []float32, k int) {
	clear(y)
	for i := 0; i < len(y)/k; i++ {
		y[i*k+i%k] = 1
	}
}

// divergedParam returns the first parameter among ps holding a value
// that is non-finite or beyond ±MaxWeight, and that value.
func divergedParam(ps []*layers.Param) (string, float64) {
	for _, p := range ps {
		w := p.Value.Data().([]float32)
		if i := firstOutside(w, MaxWeight); i >= 0 {
			return p.Name, float64(w[i])
		}
	}
	return "", 0
}
