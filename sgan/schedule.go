package sgan

import (
	"fmt"
	"time"

	G "gorgonia.org/gorgonia"
)

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

// begin starts the budget's clock at the first step after it was set.
func (s *schedule) begin() {
	if s.active() && s.start.IsZero() {
		s.start = time.Now()
	}
}

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

// Progress returns the fraction of the schedule used at the last step:
// the input of the learning-rate decay and the consistency ramp. It is 1
// when no schedule is running.
func (t *Trainer) Progress() float64 { return t.sched.progress }

// SetBudget replaces the trainer's budget, for example to train a
// resumed model longer (Budget.Epochs counts from the trainer's first
// step, so Epochs: t.Epochs()+5 trains five more). It takes effect at
// the next Fit or Schedule.
func (t *Trainer) SetBudget(b Budget) error {
	c := t.cfg.Clone()
	c.Budget = b
	if err := c.validate(); err != nil {
		return fmt.Errorf("sgan: SetBudget: %w", err)
	}
	t.cfg.Budget = b
	return nil
}

// Schedule starts the trainer's budget for a loop of one's own over Step
// on an unlabelled set of n examples, exactly as Fit starts it: from the
// next step on, the learning rates decay and the ramped weights grow over
// the steps that the epochs left in Budget take (StepsPerEpoch(n) each)
// or over Budget.Duration, whichever runs out first. It returns that
// number of steps (0 when the budget has no epoch limit). Without a
// schedule, steps use the configured rates and full weights.
func (t *Trainer) Schedule(n int) int {
	b := t.cfg.Budget
	steps := 0
	if b.Epochs > 0 {
		steps = max(b.Epochs-t.epoch, 1) * t.cfg.stepsPerEpoch(n)
	}
	t.sched = schedule{steps: steps, duration: b.Duration, first: t.step, progress: t.sched.progress}
	return steps
}

// StepsPerEpoch returns the number of steps of one of Fit's epochs over
// an unlabelled set of n examples: one pass, or more where Budget.Epochs
// passes would take fewer than Budget.MinSteps steps.
func (t *Trainer) StepsPerEpoch(n int) int { return t.cfg.stepsPerEpoch(n) }

// endSchedule stops the schedule: later steps use the configured rates
// and full weights.
func (t *Trainer) endSchedule() { t.sched = schedule{progress: 1} }

// applySchedule sets the learning rates and the ramp position for
// progress frac ∈ [0, 1] of the budget. Without a budget the rates stay at
// their configured values.
func (t *Trainer) applySchedule(frac float64) {
	t.sched.progress = frac
	s := 1.0
	if d := t.cfg.DecayStart; t.sched.active() && d < 1 && frac > d {
		s = max(0, (1-frac)/(1-d))
	}
	t.dOpt.lr = t.cfg.LearnRate * s
	if t.gOpt != nil {
		t.gOpt.lr = t.cfg.GenLearnRate * s
	}
}

// setRampedWeights sets this step's ramped weights: each term's weight
// times the ramp, which grows linearly over the first ConsistencyRamp of
// the budget.
func (t *Trainer) setRampedWeights(step int) error {
	ramp := 1.0
	if r := t.cfg.ConsistencyRamp; r > 0 {
		ramp = min(1, t.sched.progress/r)
	}
	for _, rw := range t.graphs.ramped {
		if err := G.Let(rw.node, float32(t.cfg.Weights[rw.name]*ramp)); err != nil {
			return fmt.Errorf("sgan: step %d: %w", step, err)
		}
	}
	return nil
}
