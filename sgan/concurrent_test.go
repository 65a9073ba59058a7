package sgan

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// Prediction, generation and saving from many goroutines at once on one
// model, while its trainer steps, give the same answers as one goroutine
// would (issue 12, row 7). Before the model's lock, inference swapped the
// weight average into the shared parameters: under -race this test
// reported the data race, and without it predictions could mix averaged
// and live weights.
func TestConcurrentUse(t *testing.T) {
	m := tinyModel(t, 21)
	tr := mustTrainer(t, m)
	lab, unl := tinyBatches(21)
	for range 10 {
		if _, err := tr.Step(lab, unl); err != nil {
			t.Fatal(err)
		}
	}
	x := append(append([]float32(nil), lab.X...), unl.X...)
	z := make([]float32, 7*m.Config().LatentDim)
	for i := range z {
		z[i] = float32(i%5) - 2
	}
	wantP, err := m.PredictProba(x)
	if err != nil {
		t.Fatal(err)
	}
	wantG, err := m.GenerateFrom(z)
	if err != nil {
		t.Fatal(err)
	}
	var wantCk bytes.Buffer
	if _, err := m.WriteTo(&wantCk); err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				switch g % 3 {
				case 0:
					p, err := m.PredictProba(x)
					if err != nil || !slices.Equal(p, wantP) {
						errs <- "PredictProba differs from the serial result"
						return
					}
				case 1:
					out, err := m.GenerateFrom(z)
					if err != nil || !slices.Equal(out, wantG) {
						errs <- "GenerateFrom differs from the serial result"
						return
					}
				case 2:
					var b bytes.Buffer
					if _, err := m.WriteTo(&b); err != nil || !bytes.Equal(b.Bytes(), wantCk.Bytes()) {
						errs <- "WriteTo differs from the serial result"
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}

	// While the trainer steps, other goroutines keep predicting: every
	// answer is well formed (the weights they see are those between two
	// steps), and nothing races.
	done := make(chan struct{})
	var pw sync.WaitGroup
	for range 3 {
		pw.Add(1)
		go func() {
			defer pw.Done()
			rng := rand.New(rand.NewPCG(1, 2))
			for {
				select {
				case <-done:
					return
				default:
				}
				if _, err := m.Predict(x); err != nil {
					t.Error(err)
					return
				}
				if _, err := m.Generate(3, rng); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for range 20 {
		if _, err := tr.Step(lab, unl); err != nil {
			t.Error(err)
			break
		}
	}
	close(done)
	pw.Wait()
}
