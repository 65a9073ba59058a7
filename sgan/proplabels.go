package sgan

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gorgonia.org/tensor"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/layers"
)

// propagated is a trainer's state of the propagation term: the class
// and weight of each example of the unlabelled set, from the last label
// propagation.
type propagated struct {
	label    []int32   // by index in the unlabelled set; nil before the first propagation
	weight   []float32 // the example's weight in the term
	last     int       // the step count at the last propagation
	lastFrac float64   // the fraction of the budget used then
	cv       float64   // its cross-validated share of labelled examples labelled right; 0 before the first
	// pixelCV is the same share for the propagation over the images
	// themselves; when it is clearly the higher, the labels are the
	// pixels' (pixelsBetter)
	pixelCV    float64
	nLab       int  // the number of labelled examples cross-validated
	fromPixels bool // the labels are the pixels' propagation's
}

// pixelsBetter reports whether the propagation over the pixels
// cross-validated better than that over the features by more than two
// standard errors of the difference (a share of n labelled examples
// varies by about √(p(1−p)/n): 0.046 at n = 100 and p = 0.7), so that a
// tie read through the noise of a few labels does not switch the labels'
// source back and forth.
func (p *propagated) pixelsBetter() bool {
	n := float64(max(p.nLab, 1))
	v := p.cv*(1-p.cv)/n + p.pixelCV*(1-p.pixelCV)/n
	return p.pixelCV-p.cv > 2*math.Sqrt(v)
}

func nanToZero(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return v
}

// fill writes into dst (B×K) the weighted one-hot targets of the
// unlabelled batch unl: zero rows before the first propagation.
func (p *propagated) fill(dst []float32, unl Batch, K int) error {
	clear(dst)
	if p.label == nil {
		return nil
	}
	if len(unl.Indices) != len(dst)/K {
		return errors.New("the propagation term needs the unlabelled batch's indices in its set (Batch.Indices; Fit sets them)")
	}
	for r, i := range unl.Indices {
		if i < 0 || i >= len(p.label) {
			return fmt.Errorf("unlabelled batch example %d: index %d, but the labels were propagated to %d examples", r, i, len(p.label))
		}
		if y := p.label[i]; y >= 0 {
			dst[r*K+int(y)] = p.weight[i]
		}
	}
	return nil
}

// state returns the labels and weights as a group of tensors for a
// checkpoint (labels as float32: exact below 2^24), or nil before the
// first propagation.
func (p *propagated) state() layers.Layer {
	if p.label == nil {
		return nil
	}
	l := make([]float32, len(p.label))
	for i, y := range p.label {
		l[i] = float32(y)
	}
	n := tensor.Shape{len(l)}
	return paramGroup{sliceParam(propPrefix+"labels", l, n), sliceParam(propPrefix+"weights", slices.Clone(p.weight), n)}
}

// restored takes the propagation's tensors out of a checkpoint's
// tensors (deleting them from the map) and returns the state they hold,
// the zero state when there are none.
func (p *propagated) restored(tensors map[string]*tensor.Dense, last int, lastFrac, cv, pixelCV float64, fromPixels bool, K int) (propagated, error) {
	lt, wt := tensors[propPrefix+"labels"], tensors[propPrefix+"weights"]
	delete(tensors, propPrefix+"labels")
	delete(tensors, propPrefix+"weights")
	if lt == nil && wt == nil {
		return propagated{}, nil
	}
	if lt == nil || wt == nil || lt.Shape().TotalSize() != wt.Shape().TotalSize() || last < 0 || !(cv >= 0 && cv <= 1) || !(pixelCV >= 0 && pixelCV <= 1) {
		return propagated{}, errors.New("labels and weights do not match")
	}
	l, w := lt.Data().([]float32), wt.Data().([]float32)
	r := propagated{label: make([]int32, len(l)), weight: slices.Clone(w), last: last, lastFrac: lastFrac, cv: cv, pixelCV: pixelCV, fromPixels: fromPixels}
	for i, v := range l {
		if v != float32(int32(v)) || v < -1 || int(v) >= K || w[i] < 0 {
			return propagated{}, fmt.Errorf("example %d: label %v, weight %v", i, v, w[i])
		}
		r.label[i] = int32(v)
	}
	return r, nil
}

// PropagationDue reports whether the labels are due to be propagated
// anew before the next step: the propagation term is on, the first
// Start of the budget has passed, and another Every of it since the last
// propagation. Fit propagates when it says so; a loop of one's own over
// Step calls PropagateLabels when it does (after Schedule or SetBudget,
// which define the budget).
func (t *Trainer) PropagationDue() bool {
	c := t.cfg.Propagation
	if t.cfg.Weights[termPropagation] <= 0 || t.mc.SupervisedOnly || t.sched.fraction(t.step) < c.Start {
		return false
	}
	return t.prop.label == nil || t.sched.fraction(t.step)-t.prop.lastFrac >= c.Every
}

// PropagateLabels propagates the labels of lab to the examples of unl
// over the discriminator's features as they are now (Model.Propagate,
// with TrainConfig.Propagation's graph) and makes the result the targets
// of the propagation term: each example's propagated class, weighted by
// its certainty and by the rarity of its class among the propagated
// labels. Fit calls it on its own schedule (PropagationDue); a loop of
// one's own over Step calls it when PropagationDue says so, or when it
// sees fit, and passes the unlabelled batches' Indices.
func (t *Trainer) PropagateLabels(lab, unl *datasets.Set) error {
	if err := t.m.checkSet("labelled", lab, true); err != nil {
		return err
	}
	if err := t.m.checkSet("unlabelled", unl, false); err != nil {
		return err
	}
	c := t.cfg.Propagation
	folds := 3
	for _, n := range lab.ClassCounts() {
		if n > 0 {
			folds = min(folds, n)
		}
	}
	opts := PropagateOptions{Neighbours: c.Neighbours, Dims: c.Dims, Logits: c.Logits, Prior: t.prior, Balance: c.Balance, Folds: folds,
		Seed: t.cfg.Seed ^ uint64(t.step)<<20}
	graph, rows := unl, sampleRows(unl.Len(), c.MaxExamples, opts.Seed)
	if rows != nil {
		graph = unl.Subset(rows) // a view for a set of pixels
	}
	res, err := t.m.propagate(lab.ReadExample, graph.ReadExample, lab.Len(), graph.Len(), lab.Labels, opts)
	if err != nil {
		return fmt.Errorf("sgan: step %d: propagating labels: %w", t.step, err)
	}
	// the reference: the same propagation over the images themselves,
	// which training cannot spoil; computed once per unlabelled set
	if t.pixels == nil || t.pixelsOf != unl.Len() {
		opts.Pixels, opts.Seed = true, t.cfg.Seed
		if t.pixels, err = t.m.propagate(lab.ReadExample, graph.ReadExample, lab.Len(), graph.Len(), lab.Labels, opts); err != nil {
			return fmt.Errorf("sgan: step %d: propagating labels over the pixels: %w", t.step, err)
		}
		t.pixelRows, t.pixelsOf = rows, unl.Len()
	}
	p := propagated{last: t.step, lastFrac: t.sched.fraction(t.step), cv: nanToZero(res.CV), pixelCV: nanToZero(t.pixels.CV), nLab: lab.Len()}
	if p.pixelsBetter() {
		// the features propagate the labels worse than the pixels: the
		// term learns from the pixels' labels instead
		res, p.fromPixels, rows = t.pixels, true, t.pixelRows
	}
	K := t.mc.Classes
	n := len(res.Labels)
	counts := make([]int, K)
	for _, y := range res.Labels {
		counts[y]++
	}
	p.label, p.weight = make([]int32, unl.Len()), make([]float32, unl.Len())
	if rows != nil {
		for i := range p.label {
			p.label[i] = -1 // not in this propagation's sample
		}
	}
	for j, y := range res.Labels {
		// class weights: as many examples of each class in effect, the
		// mean weight over classes 1
		cw := float32(n) / float32(K*counts[y])
		i := j
		if rows != nil {
			i = rows[j]
		}
		p.label[i], p.weight[i] = int32(y), res.Certainty[j]*cw
	}
	t.prop = p
	return nil
}

// sampleRows returns, in order, max of the n examples drawn uniformly
// with the seed, or nil when max is 0 or at least n (all of them).
func sampleRows(n, max int, seed uint64) []int {
	if max <= 0 || max >= n {
		return nil
	}
	rows := rand.New(rand.NewPCG(seed, 11)).Perm(n)[:max]
	slices.Sort(rows)
	return rows
}
