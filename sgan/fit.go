package sgan

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/semigan/semigan/datasets"
)

// Fit trains the model on the labelled set lab and the unlabelled set unl
// for the trainer's Budget, evaluating on eval (which may be nil) after
// each epoch. An epoch has StepsPerEpoch(unl.Len()) steps; both sets are
// drawn from endlessly cycling, reshuffled orders, so every example is
// used and batches are always full. A resumed trainer continues from its
// last completed epoch. When ctx is cancelled, Fit stops after the
// current step, records the partial epoch, and returns the history with
// ctx's error.
func (t *Trainer) Fit(ctx context.Context, lab, unl, eval *datasets.Set, obs ...Observer) (*History, error) {
	if err := t.checkFitSets(lab, unl, eval); err != nil {
		return nil, err
	}
	f, err := t.newFitRun(lab, unl, eval, obs)
	if err != nil {
		return nil, err
	}
	t.Schedule(f.n)
	t.sched.start = f.start
	defer t.endSchedule()
	epochs := t.cfg.Budget.Epochs
	for epoch := t.epoch + 1; epochs == 0 || epoch <= epochs; epoch++ {
		es, err := f.epoch(ctx, epoch)
		if err != nil || es == nil {
			return f.hist, err
		}
		f.hist.Epochs = append(f.hist.Epochs, *es)
		if f.stop == nil {
			t.epoch = epoch
		}
		for _, o := range obs {
			if err := o.Observe(*es); err != nil {
				if errors.Is(err, ErrStop) {
					return f.hist, nil
				}
				return f.hist, err
			}
		}
		if f.stop != nil {
			return f.hist, finish(f.stop)
		}
	}
	return f.hist, nil
}

// fitRun is one call of Fit: the batch iterators and buffers, the
// evaluation set, the observers and the history so far.
type fitRun struct {
	t            *Trainer
	labIt, unlIt *datasets.Batcher // unlIt nil for a SupervisedOnly model
	lab, unl     *datasets.Set
	lb, ub       Batch
	eval         *datasets.Set
	obs          []Observer
	n, steps     int // examples and steps of an epoch
	start        time.Time
	hist         *History
	stop         error // why the last epoch stopped early: ctx's error or errDuration
}

// newFitRun prepares Fit's run: the class prior from the labelled set
// (unless set), the cycling batch orders and the data-dependent
// initialisation of a new model.
func (t *Trainer) newFitRun(lab, unl, eval *datasets.Set, obs []Observer) (*fitRun, error) {
	B, F := t.cfg.BatchSize, t.mc.Channels*t.mc.Height*t.mc.Width
	f := &fitRun{t: t, lab: lab, unl: unl, eval: eval, obs: obs, n: lab.Len(), start: time.Now(), hist: &History{},
		lb: Batch{X: make([]float32, B*F), Labels: make([]int, B)}, ub: Batch{X: make([]float32, B*F), Indices: make([]int, B)}}
	if unl != nil {
		f.n = unl.Len()
	}
	f.steps = t.cfg.stepsPerEpoch(f.n)
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
	f.labIt = lab.Cycle(B, t.rng)
	if unl != nil && !t.mc.SupervisedOnly {
		f.unlIt = unl.Cycle(B, t.rng)
	}
	if t.step == 0 && t.m.needsDataInit() {
		src := lab
		if unl != nil {
			src = unl
		}
		if err := t.m.InitFromData(src.Head(500).Values()); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// epoch runs one epoch and returns its statistics, or nil when it
// stopped before its first step; f.stop records why it stopped early
// (ctx's error or the budget's time). An error ends Fit.
func (f *fitRun) epoch(ctx context.Context, epoch int) (*EpochStats, error) {
	t := f.t
	acc := newEpochAccumulator(epoch)
	epochStart := time.Now()
	for s := 0; s < f.steps; s++ {
		if err := ctx.Err(); err != nil {
			f.stop = err
			break
		}
		if t.cfg.Budget.Duration > 0 && t.sched.fraction(t.step) >= 1 {
			f.stop = errDuration
			break
		}
		if t.PropagationDue() {
			if err := t.PropagateLabels(f.lab, f.unl); err != nil {
				return nil, err
			}
		}
		f.labIt.Next(f.lb.X, f.lb.Labels)
		if f.unlIt != nil {
			f.unlIt.NextIndexed(f.ub.X, nil, f.ub.Indices)
		}
		st, err := t.stepBatch(f.lb, f.ub, true)
		if err != nil {
			return nil, err
		}
		acc.add(st, t.cfg.BatchSize)
		for _, o := range f.obs {
			if so, ok := o.(StepObserver); ok {
				dl, gl := acc.runningLosses()
				so.ObserveStep(Progress{Epoch: epoch, Epochs: t.cfg.Budget.Epochs, Step: acc.steps(), StepsPerEpoch: f.steps,
					Elapsed: time.Since(f.start), EpochElapsed: time.Since(epochStart), DLoss: dl, GLoss: gl})
			}
		}
	}
	if acc.steps() == 0 && f.stop != nil {
		return nil, finish(f.stop)
	}
	es := acc.finish()
	if t.prop.label != nil {
		es.Losses["propagation_cv"], es.Losses["propagation_pixels_cv"] = t.prop.cv, t.prop.pixelCV
		es.Losses["propagation_from_pixels"] = 0
		if t.prop.fromPixels {
			es.Losses["propagation_from_pixels"] = 1
		}
	}
	es.TotalSteps = t.step
	es.LearnRate = t.dOpt.lr
	if f.eval != nil {
		met, err := t.m.Evaluate(f.eval)
		if err != nil {
			return nil, err
		}
		es.EvalAcc, es.EvalErrors = met.Accuracy, met.Errors
	}
	es.Elapsed = time.Since(f.start)
	return &es, nil
}

// checkFitSets checks the shapes, labels and values of Fit's sets.
func (t *Trainer) checkFitSets(lab, unl, eval *datasets.Set) error {
	m := t.m
	supervised := t.mc.SupervisedOnly
	if err := m.checkSet("labelled", lab, true); err != nil {
		return err
	}
	if !supervised || unl != nil {
		if err := m.checkSet("unlabelled", unl, false); err != nil {
			return err
		}
	}
	if eval != nil {
		if err := m.checkSet("evaluation", eval, true); err != nil {
			return err
		}
	}
	if B := t.cfg.BatchSize; !supervised && unl.Len() < B {
		// Every batch would repeat examples: almost certainly a mistake
		// (a batch size meant for another data set).
		return fmt.Errorf("sgan: BatchSize %d is larger than the unlabelled set (%d examples): lower it to at most %d", B, unl.Len(), unl.Len())
	}
	return nil
}

// Fit trains m with a new Trainer on the default recipe for it
// (DefaultTrainConfig) and closes it: a shortcut for a single run. The
// optimiser state does not outlive the call; to resume training later,
// or to change the recipe, use NewTrainer, Trainer.Fit and Trainer.Save.
func (m *Model) Fit(ctx context.Context, lab, unl, eval *datasets.Set, obs ...Observer) (*History, error) {
	t, err := NewTrainer(m, DefaultTrainConfig(m.Config()))
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
