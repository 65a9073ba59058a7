package sgan

import (
	"bytes"
	"context"
	"math/rand/v2"
	"strings"
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

// A short semi-supervised training on an MNIST subset must learn: far
// above the 10 % of chance after a few dozen steps.
func TestFitLearnsMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for several seconds")
	}
	lab, unl, test := mnistSubset(t, 1500, 1000)
	m, err := New(Config{Seed: 1, BatchSize: 50, Epochs: 2, LearnRate: 1e-3})
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	var csv bytes.Buffer
	tr := mustTrainer(t, m)
	hist, err := tr.Fit(context.Background(), lab, unl, test, &Printer{W: &log}, &CSVWriter{W: &csv})
	if err != nil {
		t.Fatal(err)
	}
	if len(hist.Epochs) != 2 || tr.Steps() != 60 {
		t.Fatalf("%d epochs, %d steps; want 2 epochs of 30 steps", len(hist.Epochs), tr.Steps())
	}
	acc := hist.Last().EvalAcc
	t.Logf("test accuracy after %d steps: %.3f\n%s", tr.Steps(), acc, log.String())
	if acc < 0.5 {
		t.Errorf("test accuracy %.3f after %d steps; want at least 0.5 (chance is 0.1)", acc, tr.Steps())
	}
	if n := strings.Count(csv.String(), "\n"); n != 3 {
		t.Errorf("metrics CSV has %d lines, want header + 2", n)
	}
	if strings.Count(log.String(), "epoch") != 2 {
		t.Errorf("printer wrote %q, want one line per epoch", log.String())
	}
}

func TestFitStopsOnCancel(t *testing.T) {
	lab, unl, _ := mnistSubset(t, 200, 0)
	m, err := New(Config{Seed: 1, BatchSize: 20, Epochs: 3})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopAfter := ObserverFunc(func(e EpochStats) error { cancel(); return nil })
	hist, err := m.Fit(ctx, lab, unl, nil, stopAfter)
	if err == nil || len(hist.Epochs) != 1 {
		t.Errorf("Fit after cancel: %d epochs, error %v; want 1 epoch and context.Canceled", len(hist.Epochs), err)
	}
	// ErrStop from an observer ends training without error.
	m2, err := New(Config{Seed: 1, BatchSize: 20, Epochs: 3})
	if err != nil {
		t.Fatal(err)
	}
	hist, err = m2.Fit(context.Background(), lab, unl, nil, ObserverFunc(func(EpochStats) error { return ErrStop }))
	if err != nil || len(hist.Epochs) != 1 {
		t.Errorf("ErrStop: %d epochs, error %v; want 1 epoch, nil", len(hist.Epochs), err)
	}
}

func TestFitRejectsMismatchedData(t *testing.T) {
	lab, unl, _ := mnistSubset(t, 100, 0)
	m, err := New(Config{Seed: 1, Classes: 5, BatchSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Fit(context.Background(), lab, unl, nil); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("labels 5..9 for a 5-class model: %v", err)
	}
	m2, err := New(Config{Seed: 1, Height: 32, Width: 32, BatchSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m2.Fit(context.Background(), lab, unl, nil); err == nil || !strings.Contains(err.Error(), "28×28") {
		t.Errorf("28×28 data for a 32×32 model: %v", err)
	}
}
