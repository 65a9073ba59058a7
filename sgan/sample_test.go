package sgan

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"testing"
)

// sampleDigest sums up what Synthesize or LatentClasses returned: the
// per-class counts, the draws, the sum and sum of squares of the values
// (images or class means) and, to log, an exact hash of their bits.
type sampleDigest struct {
	counts []int
	drawn  int
	sum    float64
	sumSq  float64
	hash   uint64
}

func digestOf(counts []int, drawn int, vals []float32) sampleDigest {
	d := sampleDigest{counts: counts, drawn: drawn}
	h := fnv.New64a()
	var b [4]byte
	for _, v := range vals {
		d.sum += float64(v)
		d.sumSq += float64(v) * float64(v)
		u := math.Float32bits(v)
		b[0], b[1], b[2], b[3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
		h.Write(b[:])
	}
	d.hash = h.Sum64()
	return d
}

func (d sampleDigest) String() string {
	return fmt.Sprintf("counts %v drawn %d sum %.6f sumSq %.6f hash %#x", d.counts, d.drawn, d.sum, d.sumSq, d.hash)
}

// trainedTiny returns the tiny unconditional model after 50 steps and the
// tiny conditional one after 200.
func trainedTiny(t *testing.T) (unc, cond *Model) {
	t.Helper()
	unc = tinyModel(t, 8)
	lab, unl := tinyBatches(8)
	for i := 0; i < 50; i++ {
		if _, err := unc.Step(lab, unl); err != nil {
			t.Fatal(err)
		}
	}
	cond = tinyCondModel(t, 3, nil)
	for i := 0; i < 200; i++ {
		lab, unl := tinyBatches(uint64(i))
		if _, err := cond.Step(lab, unl); err != nil {
			t.Fatal(err)
		}
	}
	return unc, cond
}

// TestSamplingPinned pins what Synthesize and LatentClasses return for
// fixed seeds: the numbers were written by the code before the three
// sampling loops became Model.Sample, so they show that the refactoring
// draws the same latent vectors in the same order and keeps the same
// examples. Counts and draws must match exactly; the sums of the values
// to 1e-3 + 1e-5·|sum|, which leaves room for another BLAS kernel but not for a
// different example (the exact hash is logged for comparison on one
// machine).
func TestSamplingPinned(t *testing.T) {
	unc, cond := trainedTiny(t)
	pcg := func(a, b uint64) *rand.Rand { return rand.New(rand.NewPCG(a, b)) }
	synth := func(m *Model, per int, o SynthOptions, rng *rand.Rand) (sampleDigest, error) {
		s, err := m.Synthesize(per, o, rng)
		var se *SynthesisError
		switch {
		case errors.As(err, &se):
			return digestOf(se.Counts, se.Drawn, s.Data), err
		case err != nil:
			return sampleDigest{}, err
		}
		counts := make([]int, s.Classes)
		for i, y := range s.Labels {
			if i > 0 && y < s.Labels[i-1] {
				t.Errorf("labels not in class order at %d", i)
			}
			counts[y]++
		}
		return digestOf(counts, -1, s.Data), nil
	}
	latent := func(m *Model, n int, minConf float64, rng *rand.Rand) (sampleDigest, error) {
		lc, err := m.LatentClasses(n, minConf, rng)
		if err != nil {
			return sampleDigest{}, err
		}
		var means []float32
		for _, mk := range lc.Means {
			means = append(means, mk...)
		}
		return digestOf(lc.Counts, lc.Drawn, means), nil
	}
	for _, tc := range []struct {
		name    string
		run     func() (sampleDigest, error)
		wantErr bool // a *SynthesisError
		want    sampleDigest
	}{
		{"latent classes", func() (sampleDigest, error) { return latent(unc, 300, 0, pcg(1, 2)) }, false,
			sampleDigest{counts: []int{130, 53, 117}, drawn: 300, sum: 0.201363, sumSq: 3.435490}},
		{"latent classes, 3 chunks, seed stream", func() (sampleDigest, error) { return latent(unc, 2500, 0.6, nil) }, false,
			sampleDigest{counts: []int{509, 24, 514}, drawn: 2500, sum: -0.046954, sumSq: 9.751710}},
		{"latent classes, conditional", func() (sampleDigest, error) { return latent(cond, 1100, 0.5, pcg(2, 2)) }, false,
			sampleDigest{counts: []int{368, 366, 366}, drawn: 1100, sum: -0.268429, sumSq: 0.035891}},
		{"synthesize, keep all", func() (sampleDigest, error) {
			return synth(unc, 4, SynthOptions{MinConfidence: -1, MaxDraws: 5000}, pcg(3, 3))
		}, false, sampleDigest{counts: []int{4, 4, 4}, drawn: -1, sum: -24.973244, sumSq: 54.962654}},
		{"synthesize, default confidence", func() (sampleDigest, error) {
			return synth(unc, 5, SynthOptions{}, pcg(5, 5))
		}, true, sampleDigest{counts: []int{0, 0, 5}, drawn: 750, sum: -24.246668, sumSq: 31.890131}},
		{"synthesize, confidence 0.5", func() (sampleDigest, error) {
			return synth(unc, 30, SynthOptions{MinConfidence: 0.5, MaxDraws: 3000}, pcg(6, 6))
		}, false, sampleDigest{counts: []int{30, 30, 30}, drawn: -1, sum: -202.585093, sumSq: 401.839637}},
		{"synthesize, impossible", func() (sampleDigest, error) {
			return synth(unc, 4, SynthOptions{MinConfidence: 0.999999, MaxDraws: 100}, nil)
		}, true, sampleDigest{counts: []int{0, 0, 0}, drawn: 100, sum: 0.000000, sumSq: 0.000000}},
		{"conditional", func() (sampleDigest, error) {
			return synth(cond, 20, SynthOptions{MinConfidence: 0.5}, pcg(4, 4))
		}, false, sampleDigest{counts: []int{20, 20, 20}, drawn: -1, sum: -321.599587, sumSq: 584.757794}},
		{"conditional, unchecked", func() (sampleDigest, error) {
			return synth(cond, 3, SynthOptions{MinConfidence: -1}, pcg(7, 7))
		}, false, sampleDigest{counts: []int{3, 3, 3}, drawn: -1, sum: -48.873264, sumSq: 84.473762}},
		{"conditional, chunks", func() (sampleDigest, error) {
			return synth(cond, 600, SynthOptions{MinConfidence: 0.8, MaxDraws: 2500}, pcg(8, 8))
		}, false, sampleDigest{counts: []int{600, 600, 600}, drawn: -1, sum: -9733.061571, sumSq: 17394.829995}},
		{"conditional, cap below the classes", func() (sampleDigest, error) {
			return synth(cond, 2, SynthOptions{MinConfidence: 0.9, MaxDraws: 2}, pcg(9, 9))
		}, true, sampleDigest{counts: []int{1, 1, 1}, drawn: 3, sum: -16.573984, sumSq: 28.396495}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.run()
			var se *SynthesisError
			if tc.wantErr != errors.As(err, &se) || (err != nil && se == nil) {
				t.Fatalf("error %v, want a *SynthesisError: %v", err, tc.wantErr)
			}
			t.Logf("%v", got)
			w := tc.want
			if fmt.Sprint(got.counts) != fmt.Sprint(w.counts) || got.drawn != w.drawn ||
				!near(got.sum, w.sum) || !near(got.sumSq, w.sumSq) {
				t.Errorf("got  %v\nwant %v", got, w)
			}
		})
	}
}

func near(got, want float64) bool { return math.Abs(got-want) <= 1e-3+1e-5*math.Abs(want) }
