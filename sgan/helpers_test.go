package sgan

import (
	"maps"
	"math/rand/v2"
	"testing"

	"github.com/semigan/semigan/datasets"
)

// mnistSubset returns 10 labelled examples per class, nUnl unlabelled
// training images and the first nTest test images.
func mnistSubset(t testing.TB, nUnl, nTest int) (lab, unl, test *datasets.Set) {
	t.Helper()
	train, tst, err := datasets.LoadMNIST("")
	if err != nil {
		t.Fatal(err)
	}
	lab, unl, err = train.Split(10, rand.New(rand.NewPCG(1, StreamSplit)), datasets.SplitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]int, max(nUnl, nTest))
	for i := range idx {
		idx[i] = i
	}
	return lab, unl.Subset(idx[:nUnl]), tst.Subset(idx[:nTest])
}

// sameStats reports whether two steps' statistics are identical, every
// loss term included.
func sameStats(a, b StepStats) bool {
	return a.Step == b.Step && a.DLoss == b.DLoss && a.GLoss == b.GLoss &&
		a.LabelledCorrect == b.LabelledCorrect && maps.Equal(a.Losses, b.Losses)
}

// newBuiltIn builds the built-in model of mc and a trainer for it that
// trains as tc says.
func newBuiltIn(t testing.TB, mc ModelConfig, tc TrainConfig) (*Model, *Trainer) {
	t.Helper()
	m, err := New(mc)
	if err != nil {
		t.Fatal(err)
	}
	return m, mustTrainer(t, m, tc)
}
