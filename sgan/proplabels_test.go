package sgan

import (
	"bytes"
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/semigan/semigan/datasets"
)

// propagationSets are a tiny labelled and unlabelled set of 8×8 images
// of 3 classes (bright bands), as the format tests draw them.
func propagationSets(nLab, nUnl int, seed uint64) (lab, unl *datasets.Set) {
	rng := rand.New(rand.NewPCG(seed, 100))
	lx, ly := formatData(nLab, rng)
	ux, uy := formatData(nUnl, rng)
	lab = &datasets.Set{Data: lx, Labels: ly, C: 1, H: 8, W: 8, Classes: 3}
	unl = &datasets.Set{Data: ux, Labels: uy, C: 1, H: 8, W: 8, Classes: 3}
	for i := range unl.Labels {
		unl.Labels[i] = datasets.Unlabelled
	}
	return lab, unl
}

// With the propagation term on, Fit propagates the labels on its
// schedule, the term is computed and reported with its cross-validated
// share, and a trainer saved and loaded takes the same next steps as the
// one that kept going (the propagated labels travel in the checkpoint).
func TestPropagationTermResumesExactly(t *testing.T) {
	lab, unl := propagationSets(12, 60, 1)
	mc := tinyConfigBuiltin()
	tc := DefaultTrainConfig(mc)
	tc.BatchSize, tc.Budget = 6, Budget{Epochs: 1, MinSteps: 12}
	tc.Weights[termPropagation] = 1
	tc.Propagation = PropagationConfig{Start: 0, Every: 0.4, Neighbours: 4, Dims: 8, Logits: 0.9, Balance: true}
	_, tr := newBuiltIn(t, mc, tc)
	defer tr.Close()
	hist, err := tr.Fit(context.Background(), lab, unl, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := hist.Last()
	if v, ok := e.Losses[termPropagation]; !ok || !(v > 0) {
		t.Fatalf("the propagation term is not reported: %v", e.Losses)
	}
	if cv := e.Losses["propagation_cv"]; !(cv > 0.5) {
		t.Errorf("propagation_cv %v on three bright bands", cv)
	}
	if tr.prop.last != 10 || len(tr.prop.label) != unl.Len() {
		t.Errorf("last propagation at step %d over %d labels, want 10 and %d", tr.prop.last, len(tr.prop.label), unl.Len())
	}
	right := 0
	for i, y := range tr.prop.label {
		if int(y) == i%3 { // formatData's classes
			right++
		}
	}
	if right < len(tr.prop.label)/2 { // chance is a third
		t.Errorf("%d of %d propagated labels right", right, len(tr.prop.label))
	}
	var buf bytes.Buffer
	if _, err := tr.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	mc2 := tinyConfigBuiltin()
	_, tr2 := newBuiltIn(t, mc2, tc)
	defer tr2.Close()
	if _, err := tr2.ReadFrom(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	if tr2.prop.last != tr.prop.last || len(tr2.prop.label) != len(tr.prop.label) || tr2.prop.weight[3] != tr.prop.weight[3] {
		t.Fatalf("restored propagation %d/%d, saved %d/%d", tr2.prop.last, len(tr2.prop.label), tr.prop.last, len(tr.prop.label))
	}
	rng := rand.New(rand.NewPCG(7, 7))
	F := 64
	for range 3 {
		lb := Batch{X: make([]float32, 6*F), Labels: make([]int, 6)}
		ub := Batch{X: make([]float32, 6*F), Indices: make([]int, 6)}
		for j := range 6 {
			i := rng.IntN(lab.Len())
			copy(lb.X[j*F:], lab.Example(i))
			lb.Labels[j] = lab.Labels[i]
			u := rng.IntN(unl.Len())
			copy(ub.X[j*F:], unl.Example(u))
			ub.Indices[j] = u
		}
		a, err := tr.Step(lb, ub)
		if err != nil {
			t.Fatal(err)
		}
		b, err := tr2.Step(lb, ub)
		if err != nil {
			t.Fatal(err)
		}
		if !sameStats(a, b) || a.Losses[termPropagation] == 0 {
			t.Fatalf("after the resume: %+v, kept going: %+v", b, a)
		}
	}
	// Step without the batch's indices cannot find the labels
	if _, err := tr.Step(Batch{X: make([]float32, 6*F), Labels: make([]int, 6)}, Batch{X: make([]float32, 6*F)}); err == nil || !strings.Contains(err.Error(), "Indices") {
		t.Errorf("a batch without indices: %v", err)
	}
}

// With MaxExamples below the unlabelled set's size, each propagation
// labels a sample of that size, drawn anew from the seed and the step,
// and leaves the other examples out of the term; the pixels' reference
// propagation (computed once) labels a sample too.
func TestPropagationSamplesLargeSets(t *testing.T) {
	lab, unl := propagationSets(12, 90, 1)
	mc := tinyConfigBuiltin()
	tc := DefaultTrainConfig(mc)
	tc.BatchSize, tc.Budget = 6, Budget{Epochs: 1, MinSteps: 12}
	tc.Weights[termPropagation] = 1
	tc.Propagation = PropagationConfig{Start: 0, Every: 0.4, Neighbours: 4, Dims: 8, Logits: 0.9, Balance: true, MaxExamples: 40}
	_, tr := newBuiltIn(t, mc, tc)
	defer tr.Close()
	for _, step := range []int{0, 5} {
		tr.step = step
		if err := tr.PropagateLabels(lab, unl); err != nil {
			t.Fatal(err)
		}
		var in []int
		for i, y := range tr.prop.label {
			if y >= 0 {
				in = append(in, i)
			} else if tr.prop.weight[i] != 0 {
				t.Errorf("step %d: example %d is out of the sample with weight %v", step, i, tr.prop.weight[i])
			}
		}
		if len(tr.prop.label) != 90 || len(in) != 40 {
			t.Fatalf("step %d: %d labels, %d in the sample; want 90 and 40", step, len(tr.prop.label), len(in))
		}
		if tr.prop.fromPixels && !slices.Equal(in, tr.pixelRows) {
			t.Errorf("step %d: the pixels' labels, but not over the pixels' sample", step)
		}
	}
	if a, b := sampleRows(90, 40, tc.Seed), sampleRows(90, 40, tc.Seed^5<<20); slices.Equal(a, b) {
		t.Errorf("the same sample at steps 0 and 5: %v", a)
	}
	if len(tr.pixels.Labels) != 40 || len(tr.pixelRows) != 40 || tr.pixelsOf != 90 {
		t.Errorf("pixels' propagation over %d examples (rows %d, of %d)", len(tr.pixels.Labels), len(tr.pixelRows), tr.pixelsOf)
	}
	if got := sampleRows(90, 40, 7); !slices.Equal(got, sampleRows(90, 40, 7)) || len(got) != 40 || !slices.IsSorted(got) {
		t.Errorf("sampleRows is not a sorted, repeatable sample: %v", got)
	}
	for _, tc := range []struct{ n, max int }{{90, 0}, {90, 90}, {90, 200}} {
		if got := sampleRows(tc.n, tc.max, 1); got != nil {
			t.Errorf("sampleRows(%d, %d) = %v, want nil (all)", tc.n, tc.max, got)
		}
	}
}
