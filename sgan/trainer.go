package sgan

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	G "gorgonia.org/gorgonia"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/layers"
)

// Batch is one minibatch: X holds BatchSize examples, row-major
// (N,C,H,W), and Labels their classes (ignored for unlabelled batches).
type Batch struct {
	X      []float32
	Labels []int
}

// ErrStop may be returned by an Observer to end Fit early, without error.
var ErrStop = errors.New("sgan: stop requested")

// NonFiniteError reports that training diverged at the step it names: a
// NaN or infinite loss (the weights are then those before that step's
// update), or, with Param set, a weight that the step's update made
// non-finite or larger in magnitude than 1e6 (MaxWeight). Training stops;
// Save refuses non-finite weights, so a diverged model never replaces a
// good checkpoint.
type NonFiniteError struct {
	Step  int
	Which string // "discriminator" or "generator"
	Param string // the diverged weight's parameter, "" for a loss
	Value float64
}

func (e *NonFiniteError) Error() string {
	if e.Param != "" {
		return fmt.Sprintf("sgan: step %d: %s weight %s is %v after the update (training diverged; try a lower learning rate)", e.Step, e.Which, e.Param, e.Value)
	}
	return fmt.Sprintf("sgan: step %d: %s loss is %v (training diverged; try a lower learning rate)", e.Step, e.Which, e.Value)
}

// MaxWeight is the largest weight magnitude a training step may leave:
// beyond it training has diverged (a sound network's weights are of order
// 1), and Step returns a *NonFiniteError before the losses overflow.
const MaxWeight = 1e6

// MaxInput is the largest input magnitude Step accepts. The built-in
// networks expect values near [−1, 1] (images scaled by the datasets
// loaders, tabular columns by datasets.RangeScaler).
const MaxInput = 1e6

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

// badInput returns the index of the first value of x that is non-finite
// or beyond ±MaxInput, or −1.
func badInput(x []float32) int { return firstOutside(x, MaxInput) }

// Trainer trains a Model. It owns everything that training needs and a
// trained model does not: the two training graphs, both Adam optimisers,
// the training random stream (masks, z, augmentation, batch order), the
// step and epoch counters and the schedule (learning-rate decay, ramped
// loss weights). The model's weights, and its weight average, change in
// place as the trainer steps; the model stays usable for prediction
// between steps.
//
// A Trainer is not safe for concurrent use (one goroutine steps it), but
// its model may serve predictions from other goroutines meanwhile: each
// step holds the model's lock. A model has at most one trainer at a time
// (Close detaches it).
type Trainer struct {
	m   *Model
	cfg Config

	graphs     *trainGraphs // built lazily by the first Step
	dOpt, gOpt *adam        // gOpt nil without generator

	pcg   *rand.PCG  // the state behind rng, saved in checkpoints
	rng   *rand.Rand // masks, z, augmentation, shuffling
	step  int        // D updates taken
	epoch int        // epochs completed by Fit

	sched schedule
	prior []float64 // class prior of the balance loss; nil: uniform
}

// SetClassPrior sets the class prior π of the balance loss
// (Config.BalanceWeight): K non-negative weights, normalised to sum to 1.
// Fit sets it from the labelled set's class counts (each plus one); a
// trainer driven by Step uses a uniform prior unless this is called. nil
// restores the uniform prior.
func (t *Trainer) SetClassPrior(p []float64) error {
	if p == nil {
		t.prior = nil
		return nil
	}
	K := t.cfg.Classes
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

// schedule is the training budget of the steps to come: the learning
// rates decay and the ramped weights grow with the fraction of it used.
type schedule struct {
	steps    int           // steps in the budget; 0: no step budget
	duration time.Duration // wall-clock budget; 0: none
	first    int           // the trainer's step count when the budget began
	start    time.Time     // when the budget began (the first step after it was set)
	progress float64       // fraction used at the last step; 1 without a budget
}

func (s *schedule) active() bool { return s.steps > 0 || s.duration > 0 }

// fraction returns the part of the budget used after `done` steps: the
// larger of the step and the time fractions, or 1 when no budget is set.
func (s *schedule) fraction(done int) float64 {
	if !s.active() {
		return 1
	}
	var f float64
	if s.steps > 0 {
		f = float64(done-s.first) / float64(s.steps)
	}
	if s.duration > 0 && !s.start.IsZero() {
		f = max(f, float64(time.Since(s.start))/float64(s.duration))
	}
	return f
}

// NewTrainer makes a trainer for m with the training settings of cfg
// (learning rates, loss weights, batch size, budget, augmentation; Seed
// seeds the training stream). The fields that describe the model itself
// (Classes, the image shape, Arch, DiscWidth, InputNoise, DiscDropout,
// LatentDim, Conditional, SupervisedOnly, EMADecay, EvalBatch) must equal the model's, after defaults, so the
// usual call is
//
//	cfg := m.Config()
//	cfg.LearnRate = 3e-4 // change what the training should do differently
//	t, err := sgan.NewTrainer(m, cfg)
//
// A model has one trainer at a time: NewTrainer fails while another one is
// attached and not closed.
func NewTrainer(m *Model, cfg Config) (*Trainer, error) {
	if m == nil {
		return nil, fmt.Errorf("sgan: NewTrainer: nil model")
	}
	if err := cfg.validate(!m.custom); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	if err := sameModel(m.cfg, cfg); err != nil {
		return nil, err
	}
	if m.training {
		return nil, fmt.Errorf("sgan: NewTrainer: the model already has a trainer; Close it first")
	}
	pcg := rand.NewPCG(cfg.Seed, streamTrain)
	t := &Trainer{m: m, cfg: cfg, pcg: pcg, rng: rand.New(pcg), sched: schedule{progress: 1}}
	t.dOpt = newAdam("disc", m.dParams, cfg.LearnRate, cfg.Beta1, cfg.Beta2, 1e-8)
	if m.gParams != nil {
		t.gOpt = newAdam("gen", m.gParams, cfg.GenLearnRate, cfg.Beta1, cfg.Beta2, 1e-8)
	}
	m.training = true
	return t, nil
}

// sameModel reports the model-defining fields in which a trainer's
// configuration differs from its model's.
func sameModel(m, t Config) error {
	var errs []error
	diff := func(name string, mv, tv any) {
		if mv != tv {
			errs = append(errs, fmt.Errorf("sgan: NewTrainer: Config.%s is %v, the model's is %v", name, tv, mv))
		}
	}
	diff("Classes", m.Classes, t.Classes)
	diff("Channels", m.Channels, t.Channels)
	diff("Height", m.Height, t.Height)
	diff("Width", m.Width, t.Width)
	diff("Arch", m.Arch, t.Arch)
	diff("LatentDim", m.LatentDim, t.LatentDim)
	diff("DiscWidth", m.DiscWidth, t.DiscWidth)
	diff("InputNoise", m.InputNoise, t.InputNoise)
	diff("DiscDropout", m.DiscDropout, t.DiscDropout)
	diff("Conditional", m.Conditional, t.Conditional)
	diff("SupervisedOnly", m.SupervisedOnly, t.SupervisedOnly)
	diff("EMADecay", m.EMADecay, t.EMADecay)
	diff("EvalBatch", m.EvalBatch, t.EvalBatch)
	return errors.Join(errs...)
}

// Close detaches the trainer from its model, so that another trainer can
// be made for it. The trainer must not be used afterwards.
func (t *Trainer) Close() {
	if t.m != nil {
		t.m.training = false
	}
	t.graphs = nil
}

// Model returns the model being trained.
func (t *Trainer) Model() *Model { return t.m }

// Config returns the training configuration with defaults filled in.
func (t *Trainer) Config() Config { return t.cfg }

// Steps returns the number of training steps taken so far (counted across
// checkpoints: a resumed trainer continues the count).
func (t *Trainer) Steps() int { return t.step }

// Epochs returns the number of epochs Fit has completed.
func (t *Trainer) Epochs() int { return t.epoch }

// LearnRate returns the discriminator's learning rate of the last step.
func (t *Trainer) LearnRate() float64 { return t.dOpt.lr }

// Progress returns the fraction of the budget used at the last step: the
// input of the learning-rate decay and the consistency ramp. It is 1 when
// no budget is set.
func (t *Trainer) Progress() float64 { return t.sched.progress }

// SetBudget sets the schedule of the steps to come for a loop of your own
// over Step: from the next step on, the learning rates decay and the
// consistency weight ramps up over `steps` steps or the wall-clock
// duration d (from the next step), whichever runs out first, exactly as
// Fit schedules its own budget (Config.DecayStart, Config.ConsistencyRamp).
// Zero for both means no budget: full loss weights and constant learning
// rates, the default of a new trainer. Fit replaces the budget with its
// own and clears it when it returns.
func (t *Trainer) SetBudget(steps int, d time.Duration) error {
	if steps < 0 || d < 0 {
		return fmt.Errorf("sgan: SetBudget: negative steps %d or duration %v", steps, d)
	}
	t.sched = schedule{steps: steps, duration: d, first: t.step, progress: t.sched.progress}
	return nil
}

// SetEpochs changes the length of Fit's training (for example after
// LoadTrainer, to train longer): epochs > 0 replaces Config.Epochs, and
// d >= 0 replaces Config.Duration.
func (t *Trainer) SetEpochs(epochs int, d time.Duration) error {
	if epochs < 0 || d < 0 {
		return fmt.Errorf("sgan: SetEpochs: negative epochs %d or duration %v", epochs, d)
	}
	if epochs > 0 {
		t.cfg.Epochs = epochs
	}
	t.cfg.Duration = d
	return nil
}

// Step takes one discriminator update, on the labelled batch lab, the
// unlabelled batch unl and a batch of generated examples, and then one
// generator update, with the learning rates and loss weights of the
// current budget (SetBudget). Both batches must hold exactly BatchSize
// examples; unl is ignored when SupervisedOnly is set.
func (t *Trainer) Step(lab, unl Batch) (StepStats, error) { return t.stepBatch(lab, unl, false) }

// stepBatch is Step; valuesChecked says that the batches come from sets
// whose values Fit has already checked (checkSet), so they are not
// scanned again.
func (t *Trainer) stepBatch(lab, unl Batch, valuesChecked bool) (StepStats, error) {
	c := t.cfg
	B, F := c.BatchSize, c.Channels*c.Height*c.Width
	if len(lab.X) != B*F || len(lab.Labels) != B {
		return StepStats{}, fmt.Errorf("sgan: labelled batch has %d values and %d labels, want %d and %d", len(lab.X), len(lab.Labels), B*F, B)
	}
	if !c.SupervisedOnly && len(unl.X) != B*F {
		return StepStats{}, fmt.Errorf("sgan: unlabelled batch has %d values, want %d", len(unl.X), B*F)
	}
	for i, y := range lab.Labels {
		if y < 0 || y >= c.Classes {
			return StepStats{}, fmt.Errorf("sgan: labelled batch example %d: label %d out of range [0, %d)", i, y, c.Classes)
		}
	}
	if !valuesChecked {
		if i := badInput(lab.X); i >= 0 {
			return StepStats{}, fmt.Errorf("sgan: labelled batch example %d: value %v is not finite or beyond ±%g (scale the inputs to about [−1, 1])", i/F, lab.X[i], MaxInput)
		}
		if i := badInput(unl.X); i >= 0 && !c.SupervisedOnly {
			return StepStats{}, fmt.Errorf("sgan: unlabelled batch example %d: value %v is not finite or beyond ±%g (scale the inputs to about [−1, 1])", i/F, unl.X[i], MaxInput)
		}
	}
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	t.m.version++ // the step changes the weights, even when it fails
	if t.graphs == nil {
		g, err := buildTrain(t.m, c)
		if err != nil {
			return StepStats{}, err
		}
		t.graphs = g
	}
	if t.sched.active() && t.sched.start.IsZero() {
		t.sched.start = time.Now()
	}
	t.applySchedule(t.sched.fraction(t.step))
	g := t.graphs
	st := StepStats{Step: t.step + 1}

	// ---- discriminator ----
	copy(g.xLab, lab.X)
	if c.shifts() {
		shiftImages(g.xLab, g.shiftTmp, B, c.Channels, c.Height, c.Width, c.AugmentShift, t.rng)
	}
	if c.AugmentFlip {
		flipImages(g.xLab, B, c.Channels, c.Height, c.Width, t.rng)
	}
	clear(g.yLab)
	for i, y := range lab.Labels {
		g.yLab[i*c.Classes+y] = 1
	}
	if c.Mixup > 0 {
		if g.mixX == nil {
			g.mixX, g.mixY = make([]float32, len(g.xLab)), make([]float32, len(g.yLab))
		}
		mixup(g.xLab, g.yLab, g.mixX, g.mixY, B, F, c.Classes, c.Mixup, t.rng)
	}
	if !c.SupervisedOnly {
		copy(g.xUnl, unl.X)
		t.fillZ(g.z)
		if g.prior != nil {
			t.fillPrior(g.prior)
		}
		if g.xUnl2 != nil {
			// two independently shifted views of the unlabelled batch
			copy(g.xUnl2, unl.X)
			if c.shifts() {
				shiftImages(g.xUnl, g.shiftTmp, B, c.Channels, c.Height, c.Width, c.AugmentShift, t.rng)
				shiftImages(g.xUnl2, g.shiftTmp, B, c.Channels, c.Height, c.Width, c.AugmentShift, t.rng)
			}
			if c.AugmentFlip {
				flipImages(g.xUnl, B, c.Channels, c.Height, c.Width, t.rng)
				flipImages(g.xUnl2, B, c.Channels, c.Height, c.Width, t.rng)
			}
			if c.AugmentCutout > 0 {
				cutout(g.xUnl2, B, c.Channels, c.Height, c.Width, c.AugmentCutout, t.rng)
			}
			if err := t.setConsistencyWeight(st.Step); err != nil {
				return StepStats{}, err
			}
		}
		if g.tProbs != nil {
			if err := t.runTeacher(unl.X, g.xUnl2 == nil, st.Step); err != nil {
				return st, err
			}
		}
	}
	if err := g.d.run(t); err != nil {
		return st, fmt.Errorf("sgan: step %d: discriminator: %w", st.Step, err)
	}
	st.DLoss = scalar(g.d.cost.Value())
	if math.IsNaN(st.DLoss) || math.IsInf(st.DLoss, 0) {
		zeroGrads(g.d.nodes)
		return st, &NonFiniteError{Step: st.Step, Which: "discriminator", Value: st.DLoss}
	}
	st.readTerms(g.d.out)
	st.LabelledCorrect = countCorrect(g.d.out.raw(readLabLogits), lab.Labels, c.Classes)
	if err := t.dOpt.step(g.d.nodes); err != nil {
		return st, err
	}
	if name, v := divergedParam(t.m.dParams); name != "" {
		return st, &NonFiniteError{Step: st.Step, Which: "discriminator", Param: name, Value: v}
	}
	if t.m.ema != nil {
		t.m.ema.update()
	}
	t.m.dataInit = true
	t.step++

	// ---- generator ----
	if g.g != nil {
		if g.gFeat != nil {
			copy(g.gFeat, g.d.out.raw(readFeatMean).Data().([]float32))
		}
		t.fillZ(g.gz)
		if err := g.g.run(t); err != nil {
			return st, fmt.Errorf("sgan: step %d: generator: %w", st.Step, err)
		}
		st.GLoss = scalar(g.g.cost.Value())
		st.readTerms(g.g.out)
		if math.IsNaN(st.GLoss) || math.IsInf(st.GLoss, 0) {
			zeroGrads(g.g.nodes)
			return st, &NonFiniteError{Step: st.Step, Which: "generator", Value: st.GLoss}
		}
		if err := t.gOpt.step(g.g.nodes); err != nil {
			return st, err
		}
		if name, v := divergedParam(t.m.gParams); name != "" {
			return st, &NonFiniteError{Step: st.Step, Which: "generator", Param: name, Value: v}
		}
	}
	return st, nil
}

// runTeacher fills the Mean Teacher's consistency targets: the weight
// average's class probabilities on a freshly shifted (and flipped) view
// of the unlabelled batch x, in inference mode. augmentFirst says that the
// first view, g.xUnl, still needs its own augmentation (when the step has
// no second view in the graph, nothing else augments it). m.mu is held.
func (t *Trainer) runTeacher(x []float32, augmentFirst bool, step int) error {
	c, g := t.cfg, t.graphs
	B := c.BatchSize
	if augmentFirst {
		if c.shifts() {
			shiftImages(g.xUnl, g.shiftTmp, B, c.Channels, c.Height, c.Width, c.AugmentShift, t.rng)
		}
		if c.AugmentFlip {
			flipImages(g.xUnl, B, c.Channels, c.Height, c.Width, t.rng)
		}
	}
	// the teacher's view, augmented in its graph's input
	ig := g.teacher
	copy(ig.x, x)
	if c.shifts() {
		shiftImages(ig.x, g.shiftTmp, B, c.Channels, c.Height, c.Width, c.AugmentShift, t.rng)
	}
	if c.AugmentFlip {
		flipImages(ig.x, B, c.Channels, c.Height, c.Width, t.rng)
	}
	t.m.copyWeights(ig)
	ig.vm.Reset()
	if err := ig.vm.RunAll(); err != nil {
		return fmt.Errorf("sgan: step %d: teacher: %w", step, err)
	}
	copy(g.tProbs, ig.logits.Value().Data().([]float32))
	for i := 0; i < B; i++ {
		softmaxInPlace(g.tProbs[i*c.Classes : (i+1)*c.Classes])
	}
	return t.setConsistencyWeight(step)
}

// setConsistencyWeight sets this step's consistency weight, ramped up
// over the first ConsistencyRamp of the budget; it does nothing when the
// graph has no consistency loss.
func (t *Trainer) setConsistencyWeight(step int) error {
	c, g := t.cfg, t.graphs
	if g.consW == nil {
		return nil
	}
	w := weight(c.ConsistencyWeight) * min(1, t.sched.progress/max(c.ConsistencyRamp, 1e-9))
	if err := G.Let(g.consW, float32(w)); err != nil {
		return fmt.Errorf("sgan: step %d: %w", step, err)
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

// applySchedule sets the learning rates and the ramp position for
// progress frac ∈ [0, 1] of the budget. Without a budget the rates stay at
// their configured values.
func (t *Trainer) applySchedule(frac float64) {
	t.sched.progress = frac
	s := 1.0
	if d := t.cfg.DecayStart; t.sched.active() && d >= 0 && frac > d {
		s = max(0, (1-frac)/(1-d))
	}
	t.dOpt.lr = t.cfg.LearnRate * s
	if t.gOpt != nil {
		t.gOpt.lr = t.cfg.GenLearnRate * s
	}
}

func scalar(v G.Value) float64 {
	if v == nil {
		return 0
	}
	switch x := v.Data().(type) {
	case float32:
		return float64(x)
	case float64:
		return x
	case []float32:
		if len(x) == 1 {
			return float64(x[0])
		}
	case []float64:
		if len(x) == 1 {
			return x[0]
		}
	}
	return math.NaN()
}

func countCorrect(logits G.Value, labels []int, k int) int {
	if logits == nil {
		return 0
	}
	l, ok := logits.Data().([]float32)
	if !ok || len(l) < len(labels)*k {
		return 0
	}
	n := 0
	for i, y := range labels {
		if argmax(l[i*k:(i+1)*k]) == y {
			n++
		}
	}
	return n
}

func argmax(v []float32) int {
	best := 0
	for j := 1; j < len(v); j++ {
		if v[j] > v[best] {
			best = j
		}
	}
	return best
}

// Fit trains the model on the labelled set lab and the unlabelled set unl
// for Config.Epochs epochs (passes over unl), or until Config.Duration has
// passed, evaluating on eval (which may be nil) after each epoch. An epoch
// has ⌈unl.Len()/BatchSize⌉ steps, or ⌈MinSteps/Epochs⌉ where that is
// more (a small unlabelled set); both sets are drawn from endlessly
// cycling, reshuffled orders, so every example is used and batches are
// always full. A resumed trainer continues from its last completed epoch.
// When ctx is cancelled, Fit stops after the current step, records the
// partial epoch, and returns the history with ctx's error.
func (t *Trainer) Fit(ctx context.Context, lab, unl, eval *datasets.Set, obs ...Observer) (*History, error) {
	m, c := t.m, t.cfg
	if err := m.checkSet("labelled", lab, true); err != nil {
		return nil, err
	}
	if !c.SupervisedOnly || unl != nil {
		if err := m.checkSet("unlabelled", unl, false); err != nil {
			return nil, err
		}
	}
	if eval != nil {
		if err := m.checkSet("evaluation", eval, true); err != nil {
			return nil, err
		}
	}
	B := c.BatchSize
	if !c.SupervisedOnly && unl.Len() < B {
		// Every batch would repeat examples: almost certainly a mistake
		// (a batch size meant for another data set).
		return nil, fmt.Errorf("sgan: BatchSize %d is larger than the unlabelled set (%d examples): lower it to at most %d", B, unl.Len(), unl.Len())
	}
	epochN := lab.Len()
	if unl != nil {
		epochN = unl.Len()
	}
	steps := c.stepsPerEpoch(epochN)
	if t.prior == nil {
		counts := lab.ClassCounts()
		p := make([]float64, len(counts))
		for k, n := range counts {
			p[k] = float64(n + 1)
		}
		if err := t.SetClassPrior(p); err != nil {
			return nil, err
		}
	}
	labIt := lab.Cycle(B, t.rng)
	var unlIt *datasets.Batcher
	F := c.Channels * c.Height * c.Width
	lb := Batch{X: make([]float32, B*F), Labels: make([]int, B)}
	ub := Batch{X: make([]float32, B*F)}
	if unl != nil && !c.SupervisedOnly {
		unlIt = unl.Cycle(B, t.rng)
	}
	if t.step == 0 && !m.dataInit {
		src := lab
		if unl != nil {
			src = unl
		}
		n := min(src.Len(), 500)
		if err := m.InitFromData(src.Data[:n*F]); err != nil {
			return nil, err
		}
	}
	hist := &History{}
	start := time.Now()
	t.sched = schedule{steps: max(c.Epochs-t.epoch, 1) * steps, duration: c.Duration, first: t.step, start: start, progress: t.sched.progress}
	defer func() { t.sched = schedule{progress: 1} }()
	for epoch := t.epoch + 1; epoch <= c.Epochs; epoch++ {
		acc := newEpochAccumulator(epoch)
		epochStart := time.Now()
		var stopErr error
		for s := 0; s < steps; s++ {
			if err := ctx.Err(); err != nil {
				stopErr = err
				break
			}
			if c.Duration > 0 && t.sched.fraction(t.step) >= 1 {
				stopErr = errDuration
				break
			}
			labIt.Next(lb.X, lb.Labels)
			if unlIt != nil {
				unlIt.Next(ub.X, nil)
			}
			st, err := t.stepBatch(lb, ub, true)
			if err != nil {
				return hist, err
			}
			acc.add(st, B)
			for _, o := range obs {
				if so, ok := o.(StepObserver); ok {
					dl, gl := acc.runningLosses()
					so.ObserveStep(Progress{Epoch: epoch, Epochs: c.Epochs, Step: acc.steps(), StepsPerEpoch: steps,
						Elapsed: time.Since(start), EpochElapsed: time.Since(epochStart),
						DLoss: dl, GLoss: gl})
				}
			}
		}
		if acc.steps() == 0 && stopErr != nil {
			return hist, finish(stopErr)
		}
		es := acc.finish()
		es.TotalSteps = t.step
		es.LearnRate = t.dOpt.lr
		if eval != nil {
			met, err := m.Evaluate(eval)
			if err != nil {
				return hist, err
			}
			es.EvalAcc, es.EvalErrors = met.Accuracy, met.Errors
		}
		es.Elapsed = time.Since(start)
		hist.Epochs = append(hist.Epochs, es)
		if stopErr == nil {
			t.epoch = epoch
		}
		for _, o := range obs {
			if err := o.Observe(es); err != nil {
				if errors.Is(err, ErrStop) {
					return hist, nil
				}
				return hist, err
			}
		}
		if stopErr != nil {
			return hist, finish(stopErr)
		}
	}
	return hist, nil
}

// Fit trains m with a new Trainer on m's own configuration and closes it:
// a shortcut for a single training run. The optimiser state does not
// outlive the call; to resume training later, or to change the training
// settings, use NewTrainer, Trainer.Fit and Trainer.Save.
func (m *Model) Fit(ctx context.Context, lab, unl, eval *datasets.Set, obs ...Observer) (*History, error) {
	t, err := NewTrainer(m, m.cfg)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	return t.Fit(ctx, lab, unl, eval, obs...)
}

var errDuration = errors.New("duration reached")

// finish maps the reason a loop stopped to Fit's result.
func finish(err error) error {
	if errors.Is(err, errDuration) {
		return nil
	}
	return err
}
