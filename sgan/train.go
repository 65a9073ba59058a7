package sgan

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/layers"
)

// Batch is one minibatch: X holds BatchSize examples, row-major
// (N,C,H,W), and Labels their classes (ignored for unlabelled batches).
type Batch struct {
	X      []float32
	Labels []int
}

// StepStats are the losses of one training step.
type StepStats struct {
	Step    int     // 1-based index of the step
	DLoss   float64 // the discriminator's whole cost
	GLoss   float64 // the generator's cost (0 when SupervisedOnly)
	SupLoss float64 // supervised cross-entropy on the labelled batch
	// UnsupLoss is the unsupervised GAN loss and Entropy the mean
	// prediction entropy on the unlabelled batch (0 when not computed).
	UnsupLoss, Entropy float64
	// Consistency is the consistency loss (0 when off).
	Consistency float64
	// GenClass is a Conditional model's class loss of the generator:
	// the cross-entropy between the class asked of each generated example
	// and the discriminator's prediction (0 when not computed).
	// FakeClass is the same loss in the discriminator's cost (0 unless
	// FakeClassWeight is set).
	GenClass, FakeClass float64
	// LabelledCorrect counts the labelled batch's examples that the
	// discriminator classified right, before its update.
	LabelledCorrect int
}

// ErrStop may be returned by an Observer to end Fit early, without error.
var ErrStop = errors.New("sgan: stop requested")

// NonFiniteError reports a NaN or infinite loss; training stops at the
// step it names and the weights are those before that step's update.
type NonFiniteError struct {
	Step  int
	Which string // "discriminator" or "generator"
	Value float64
}

func (e *NonFiniteError) Error() string {
	return fmt.Sprintf("sgan: step %d: %s loss is %v (training diverged; try a lower learning rate)", e.Step, e.Which, e.Value)
}

// Step takes one discriminator update, on the labelled batch lab, the
// unlabelled batch unl and a batch of generated examples, and then one
// generator update. Both batches must hold exactly BatchSize examples;
// unl is ignored when SupervisedOnly is set.
func (m *Model) Step(lab, unl Batch) (StepStats, error) {
	c := m.cfg
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
	if m.train == nil {
		t, err := m.buildTrain()
		if err != nil {
			return StepStats{}, err
		}
		m.train = t
	}
	t := m.train
	st := StepStats{Step: m.step + 1}

	// ---- discriminator ----
	copy(t.xLab, lab.X)
	if c.shifts() {
		shiftImages(t.xLab, t.shiftTmp, B, c.Channels, c.Height, c.Width, c.AugmentShift, m.rng)
	}
	clear(t.yLab)
	for i, y := range lab.Labels {
		t.yLab[i*c.Classes+y] = 1
	}
	if !c.SupervisedOnly {
		copy(t.xUnl, unl.X)
		m.fillZ(t.z)
		if t.xUnl2 != nil {
			// two independently shifted views of the unlabelled batch
			copy(t.xUnl2, unl.X)
			if c.shifts() {
				shiftImages(t.xUnl, t.shiftTmp, B, c.Channels, c.Height, c.Width, c.AugmentShift, m.rng)
				shiftImages(t.xUnl2, t.shiftTmp, B, c.Channels, c.Height, c.Width, c.AugmentShift, m.rng)
			}
			w := weight(c.ConsistencyWeight) * min(1, m.progress/max(c.ConsistencyRamp, 1e-9))
			if err := G.Let(t.consW, float32(w)); err != nil {
				return StepStats{}, fmt.Errorf("sgan: step %d: %w", st.Step, err)
			}
		}
	}
	t.dB.FillRandom(m.rng)
	t.dVM.Reset()
	if err := t.dVM.RunAll(); err != nil {
		return st, fmt.Errorf("sgan: step %d: discriminator: %w", st.Step, err)
	}
	st.DLoss = scalar(t.dCost.Value())
	if math.IsNaN(st.DLoss) || math.IsInf(st.DLoss, 0) {
		zeroGrads(t.dNodes)
		return st, &NonFiniteError{Step: st.Step, Which: "discriminator", Value: st.DLoss}
	}
	st.SupLoss = scalar(t.out.sup)
	st.UnsupLoss = scalar(t.out.uns)
	st.Entropy = scalar(t.out.ent)
	st.Consistency = scalar(t.out.cons)
	st.FakeClass = scalar(t.out.fakeCls)
	st.LabelledCorrect = countCorrect(t.out.labLogits, lab.Labels, c.Classes)
	if err := m.dOpt.step(); err != nil {
		return st, err
	}
	if m.ema != nil {
		m.ema.update()
	}
	m.step++

	// ---- generator ----
	if t.hasGen {
		if t.gFeat != nil {
			copy(t.gFeat, t.out.feat.Data().([]float32))
		}
		m.fillZ(t.gz)
		t.gB.FillRandom(m.rng)
		t.gVM.Reset()
		if err := t.gVM.RunAll(); err != nil {
			return st, fmt.Errorf("sgan: step %d: generator: %w", st.Step, err)
		}
		st.GLoss = scalar(t.gCost.Value())
		st.GenClass = scalar(t.out.genCls)
		if math.IsNaN(st.GLoss) || math.IsInf(st.GLoss, 0) {
			zeroGrads(t.gNodes)
			return st, &NonFiniteError{Step: st.Step, Which: "generator", Value: st.GLoss}
		}
		if err := m.gOpt.step(); err != nil {
			return st, err
		}
	}
	return st, nil
}

// fillZ draws latent vectors from N(0, I).
func (m *Model) fillZ(z []float32) {
	for i := range z {
		z[i] = float32(m.rng.NormFloat64())
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

// setLearnRates applies the schedule at progress frac ∈ [0, 1] of the
// training budget.
func (m *Model) setLearnRates(frac float64) {
	m.progress = frac
	s := 1.0
	if d := m.cfg.DecayStart; d >= 0 && frac > d {
		s = max(0, (1-frac)/(1-d))
	}
	m.dOpt.lr = m.cfg.LearnRate * s
	if m.gOpt != nil {
		m.gOpt.lr = m.cfg.GenLearnRate * s
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

// EpochStats summarise one epoch of Fit: means of the step losses, the
// accuracy on the labelled batches seen, and the evaluation set's accuracy
// (of the weight average when EMA is on).
type EpochStats struct {
	Epoch        int
	Steps        int // steps taken in this epoch
	TotalSteps   int // steps taken since the model was created
	DLoss, GLoss float64
	SupLoss      float64
	UnsupLoss    float64
	Entropy      float64
	Consistency  float64
	GenClass     float64 // a Conditional model's class loss of the generator
	TrainAcc     float64 // on the (augmented) labelled batches, before each update
	EvalAcc      float64 // NaN when no evaluation set was given
	EvalErrors   int
	LearnRate    float64
	Elapsed      time.Duration // since Fit started
}

// History is what Fit returns: one entry per epoch (the last one may be a
// partial epoch when Fit was stopped or its Duration ran out).
type History struct {
	Epochs []EpochStats
}

// Last returns the last epoch's statistics, or the zero value.
func (h *History) Last() EpochStats {
	if h == nil || len(h.Epochs) == 0 {
		return EpochStats{EvalAcc: math.NaN()}
	}
	return h.Epochs[len(h.Epochs)-1]
}

// Observer receives each epoch's statistics from Fit. Returning ErrStop
// ends training; any other error ends it and is returned by Fit.
type Observer interface {
	Observe(EpochStats) error
}

// Progress is the position of Fit inside an epoch, for progress displays.
type Progress struct {
	Epoch, Epochs       int
	Step, StepsPerEpoch int
	Elapsed             time.Duration // since Fit started
	EpochElapsed        time.Duration
	DLoss, GLoss        float64 // running means over the epoch
}

// StepObserver is an Observer that also wants to hear of every step.
type StepObserver interface {
	Observer
	ObserveStep(Progress)
}

// Fit trains on the labelled set lab and the unlabelled set unl for
// Config.Epochs epochs (passes over unl), or until Config.Duration has
// passed, evaluating on eval (which may be nil) after each epoch. An epoch
// has ⌈unl.Len()/BatchSize⌉ steps; both sets are drawn from endlessly
// cycling, reshuffled orders, so every example is used and batches are
// always full. When ctx is cancelled, Fit stops after the current step,
// records the partial epoch, and returns the history with ctx's error.
func (m *Model) Fit(ctx context.Context, lab, unl, eval *datasets.Set, obs ...Observer) (*History, error) {
	c := m.cfg
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
	epochN := lab.Len()
	if unl != nil {
		epochN = unl.Len()
	}
	steps := (epochN + B - 1) / B
	labIt := lab.Cycle(B, m.rng)
	var unlIt *datasets.Batcher
	F := c.Channels * c.Height * c.Width
	lb := Batch{X: make([]float32, B*F), Labels: make([]int, B)}
	ub := Batch{X: make([]float32, B*F)}
	if unl != nil && !c.SupervisedOnly {
		unlIt = unl.Cycle(B, m.rng)
	}
	if m.step == 0 && !m.dataInit {
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
	defer func() { m.progress = 1 }()
	start := time.Now()
	total := max(c.Epochs-m.epoch, 1) * steps
	first := m.step
	for epoch := m.epoch + 1; epoch <= c.Epochs; epoch++ {
		es := EpochStats{Epoch: epoch, EvalAcc: math.NaN()}
		epochStart := time.Now()
		var correct, seen int
		var stopErr error
		for s := 0; s < steps; s++ {
			if err := ctx.Err(); err != nil {
				stopErr = err
				break
			}
			frac := float64(m.step-first) / float64(total)
			if c.Duration > 0 {
				frac = max(frac, float64(time.Since(start))/float64(c.Duration))
				if frac >= 1 {
					stopErr = errDuration
					break
				}
			}
			m.setLearnRates(frac)
			labIt.Next(lb.X, lb.Labels)
			if unlIt != nil {
				unlIt.Next(ub.X, nil)
			}
			st, err := m.Step(lb, ub)
			if err != nil {
				return hist, err
			}
			es.Steps++
			es.DLoss += st.DLoss
			es.GLoss += st.GLoss
			es.SupLoss += st.SupLoss
			es.UnsupLoss += st.UnsupLoss
			es.Entropy += st.Entropy
			es.Consistency += st.Consistency
			es.GenClass += st.GenClass
			correct += st.LabelledCorrect
			seen += B
			for _, o := range obs {
				if so, ok := o.(StepObserver); ok {
					n := float64(es.Steps)
					so.ObserveStep(Progress{Epoch: epoch, Epochs: c.Epochs, Step: es.Steps, StepsPerEpoch: steps,
						Elapsed: time.Since(start), EpochElapsed: time.Since(epochStart),
						DLoss: es.DLoss / n, GLoss: es.GLoss / n})
				}
			}
		}
		if es.Steps == 0 && stopErr != nil {
			return hist, finish(stopErr)
		}
		n := float64(max(es.Steps, 1))
		es.DLoss /= n
		es.GLoss /= n
		es.SupLoss /= n
		es.UnsupLoss /= n
		es.Entropy /= n
		es.Consistency /= n
		es.GenClass /= n
		es.TrainAcc = float64(correct) / float64(max(seen, 1))
		es.TotalSteps = m.step
		es.LearnRate = m.dOpt.lr
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
			m.epoch = epoch
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

var errDuration = errors.New("duration reached")

// InitFromData runs the data-dependent initialisation of the
// discriminator's layers (those that implement layers.DataInitializer,
// such as the weight-normalised layers of ArchMLP) on the examples x, so
// that each such layer starts with outputs of zero mean and unit variance
// (Salimans & Kingma 2016). Fit calls it once, on up to 500 unlabelled
// examples, before a new model's first step; it does nothing for networks
// without such layers.
func (m *Model) InitFromData(x []float32) error {
	di, ok := m.disc.Net.(layers.DataInitializer)
	if !ok || !hasDataInit(m.disc.Net) {
		return nil
	}
	c := m.cfg
	F := c.Channels * c.Height * c.Width
	if len(x) == 0 || len(x)%F != 0 {
		return fmt.Errorf("sgan: InitFromData: %d values is not a positive number of %d×%d×%d examples", len(x), c.Channels, c.Height, c.Width)
	}
	t := tensor.New(tensor.WithShape(len(x)/F, c.Channels, c.Height, c.Width), tensor.WithBacking(append([]float32(nil), x...)))
	if _, err := di.InitFromData(t); err != nil {
		return fmt.Errorf("sgan: data-dependent initialisation: %w", err)
	}
	if m.ema != nil {
		m.ema.reset()
	}
	m.dataInit = true
	return nil
}

// hasDataInit reports whether any layer of a Sequential network has a
// data-dependent initialisation.
func hasDataInit(n Network) bool {
	seq, ok := n.(layers.Sequential)
	if !ok {
		return true
	}
	for _, l := range seq {
		if _, ok := l.(layers.DataInitializer); ok {
			return true
		}
	}
	return false
}

// finish maps the reason a loop stopped to Fit's result.
func finish(err error) error {
	if errors.Is(err, errDuration) {
		return nil
	}
	return err
}

// checkSet verifies that s matches the model's shape and classes.
func (m *Model) checkSet(what string, s *datasets.Set, labelled bool) error {
	c := m.cfg
	if s == nil || s.Len() == 0 {
		return fmt.Errorf("sgan: %s set is empty", what)
	}
	if s.C != c.Channels || s.H != c.Height || s.W != c.Width {
		return fmt.Errorf("sgan: %s set has images %d×%d×%d, the model expects %d×%d×%d", what, s.C, s.H, s.W, c.Channels, c.Height, c.Width)
	}
	if labelled {
		for i, y := range s.Labels {
			if y < 0 || y >= c.Classes {
				return fmt.Errorf("sgan: %s set example %d: label %d out of range [0, %d)", what, i, y, c.Classes)
			}
		}
	}
	return nil
}
