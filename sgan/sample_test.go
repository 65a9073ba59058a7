package sgan

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strings"
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
	ut := tinyTrainer(t, 8)
	unc = ut.Model()
	lab, unl := tinyBatches(8)
	for i := 0; i < 50; i++ {
		if _, err := ut.Step(lab, unl); err != nil {
			t.Fatal(err)
		}
	}
	cond, tc := tinyCondModel(t, 3, nil)
	ct := mustTrainer(t, cond, tc)
	for i := 0; i < 200; i++ {
		lab, unl := tinyBatches(uint64(i))
		if _, err := ct.Step(lab, unl); err != nil {
			t.Fatal(err)
		}
	}
	return unc, cond
}

// TestSamplePinned pins what Synthesize and LatentClasses return for
// fixed seeds: the numbers were written by the code before the three
// sampling loops became Model.Sample, so they show that the refactoring
// draws the same latent vectors in the same order and keeps the same
// examples. Counts and draws must match exactly; the sums of the values
// to 1e-3 + 1e-5·|sum|, which leaves room for another BLAS kernel but not for a
// different example (the exact hash is logged for comparison on one
// machine).
func TestSamplePinned(t *testing.T) {
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

func TestSample(t *testing.T) {
	unc, cond := trainedTiny(t)
	pcg := func() *rand.Rand { return rand.New(rand.NewPCG(11, 12)) }

	// Unconditional: the examples passed on are exactly those of one
	// long draw whose most probable class reaches the minimum.
	z := unc.drawZ(250, pcg())
	x, err := unc.GenerateFrom(z)
	if err != nil {
		t.Fatal(err)
	}
	p, err := unc.PredictProba(x)
	if err != nil {
		t.Fatal(err)
	}
	var want []int // indices with confidence ≥ 0.5
	for i := 0; i < 250; i++ {
		if row := p[i*3 : (i+1)*3]; row[argmax(row)] >= 0.5 {
			want = append(want, i)
		}
	}
	if len(want) == 0 || len(want) == 250 {
		t.Fatalf("%d of 250 examples reach 0.5: the test needs some of both", len(want))
	}
	var got []Sample
	drawn, err := unc.Sample(SampleOptions{MinConfidence: 0.5, MaxDraws: 250, Chunk: 100}, pcg(), func(s Sample) bool {
		got = append(got, s)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if drawn != 250 || len(got) != len(want) {
		t.Fatalf("drew %d, passed on %d; want 250 and %d", drawn, len(got), len(want))
	}
	for j, s := range got {
		i := want[j]
		row := p[i*3 : (i+1)*3]
		if s.Asked != -1 || s.Class != argmax(row) || s.Prob != float64(row[s.Class]) ||
			len(s.Z) != 5 || cap(s.Z) != 5 || len(s.Image) != 16 || cap(s.Image) != 16 ||
			s.Z[0] != z[i*5] || s.Image[15] != x[i*16+15] {
			t.Fatalf("sample %d (draw %d) = %+v, want draw %d: class %d of %v", j, i, s, i, argmax(row), row)
		}
	}

	// Stopping in a chunk counts the whole chunk.
	n := 0
	drawn, err = unc.Sample(SampleOptions{MaxDraws: 250, Chunk: 100}, pcg(), func(Sample) bool { n++; return n < 3 })
	if err != nil || drawn != 100 || n != 3 {
		t.Errorf("stopped after %d: drawn %d, error %v; want 3, 100, nil", n, drawn, err)
	}

	// Conditional with Classes: equal shares class by class, as
	// GenerateClass draws them; chunks of 10, 10, then 5 and 1 draws
	// left, which give 4 and, one of each class, 2: 26 > MaxDraws.
	var asked []int
	var first []float32
	calls := 0
	drawn, err = cond.Sample(SampleOptions{MaxDraws: 25, Chunk: 10, NoClassify: true,
		Classes: func() []int { calls++; return []int{2, 0} }}, pcg(), func(s Sample) bool {
		if s.Class != -1 {
			t.Fatalf("NoClassify: class %d", s.Class)
		}
		asked = append(asked, s.Asked)
		if len(asked) <= 5 {
			first = append(first, s.Image...)
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "[2 2 2 2 2 0 0 0 0 0 2 2 2 2 2 0 0 0 0 0 2 2 0 0 2 0]"; drawn != 26 || calls != 4 || fmt.Sprint(asked) != want {
		t.Errorf("drawn %d in %d chunks, classes %v; want 26 in 4, %s", drawn, calls, asked, want)
	}
	twos, err := cond.GenerateClass(2, 5, pcg())
	if err != nil {
		t.Fatal(err)
	}
	for i := range twos {
		if twos[i] != first[i] {
			t.Fatalf("the first five images differ from GenerateClass(2, 5) at value %d", i)
		}
	}
	// Without Classes a conditional model generates i mod K; Classes
	// returning none ends the loop.
	asked = asked[:0]
	if _, err := cond.Sample(SampleOptions{MaxDraws: 8, Chunk: 4}, pcg(), func(s Sample) bool {
		asked = append(asked, s.Asked)
		return true
	}); err != nil || fmt.Sprint(asked) != "[0 1 2 0 0 1 2 0]" {
		t.Errorf("classes %v (error %v), want [0 1 2 0 0 1 2 0]", asked, err)
	}
	if drawn, err := cond.Sample(SampleOptions{MaxDraws: 8, Classes: func() []int { return nil }}, nil,
		func(Sample) bool { return true }); drawn != 0 || err != nil {
		t.Errorf("no classes: drawn %d, error %v", drawn, err)
	}

	smc := DefaultModelConfig()
	smc.Classes, smc.Height, smc.Width, smc.Arch, smc.SupervisedOnly, smc.Seed = 3, 4, 4, ArchMLP, true, 1
	sup, err := New(smc)
	if err != nil {
		t.Fatal(err)
	}
	keep := func(Sample) bool { return true }
	for _, tc := range []struct {
		name  string
		m     *Model
		opts  SampleOptions
		yield func(Sample) bool
		want  string
	}{
		{"no generator", sup, SampleOptions{MaxDraws: 1}, keep, "no generator"},
		{"nil yield", unc, SampleOptions{MaxDraws: 1}, nil, "nil yield"},
		{"no cap", unc, SampleOptions{}, keep, "MaxDraws 0"},
		{"negative chunk", unc, SampleOptions{MaxDraws: 1, Chunk: -1}, keep, "negative Chunk"},
		{"NaN confidence", unc, SampleOptions{MaxDraws: 1, MinConfidence: math.NaN()}, keep, "not a probability"},
		{"confidence above 1", unc, SampleOptions{MaxDraws: 1, MinConfidence: 1.5}, keep, "not a probability"},
		{"confidence unclassified", cond, SampleOptions{MaxDraws: 1, MinConfidence: 0.5, NoClassify: true}, keep, "NoClassify"},
		{"classes, unconditional", unc, SampleOptions{MaxDraws: 1, Classes: func() []int { return []int{0} }}, keep, "not conditional"},
		{"class out of range", cond, SampleOptions{MaxDraws: 1, Classes: func() []int { return []int{3} }}, keep, "class 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.m.Sample(tc.opts, nil, tc.yield)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "sgan: sample: ") {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestLatentOfClassAndSteerRates(t *testing.T) {
	unc, cond := trainedTiny(t)
	rng := rand.New(rand.NewPCG(13, 14))
	// class 0 and 2 are the common ones (see TestSamplePinned)
	starts, err := unc.LatentOfClass(0, 20, SampleOptions{MinConfidence: 0.5}, rng)
	if err != nil {
		t.Fatal(err)
	}
	x, err := unc.GenerateFrom(starts)
	if err != nil {
		t.Fatal(err)
	}
	p, err := unc.PredictProba(x)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		if row := p[i*3 : (i+1)*3]; argmax(row) != 0 || row[0] < 0.5 {
			t.Fatalf("start %d classified %v, want class 0 with at least 0.5", i, row)
		}
	}
	// conditional: generated as class 1, and classified so
	zc, err := cond.LatentOfClass(1, 4, SampleOptions{MinConfidence: 0.5}, rng)
	if err != nil {
		t.Fatal(err)
	}
	y := make([]float32, 4*3)
	for i := range 4 {
		y[i*3+1] = 1
	}
	xc, err := cond.GenerateFromClasses(zc, y)
	if err != nil {
		t.Fatal(err)
	}
	if pred, err := cond.Predict(xc); err != nil || fmt.Sprint(pred) != "[1 1 1 1]" {
		t.Errorf("conditional latent vectors of class 1 classified %v (%v)", pred, err)
	}

	lc, err := unc.LatentClasses(1000, 0.5, rng)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := lc.Direction(0, 2)
	if err != nil {
		t.Fatal(err)
	}
	alphas := []float64{0, 1, 3}
	rates, err := unc.SteerRates(starts, dir, 2, alphas)
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range alphas {
		// the same rate, one start at a time through Steer
		hit := 0
		for s := 0; s < 20; s++ {
			z, err := Steer(starts[s*5:(s+1)*5], dir, []float64{a})
			if err != nil {
				t.Fatal(err)
			}
			img, err := unc.GenerateFrom(z)
			if err != nil {
				t.Fatal(err)
			}
			if pred, _ := unc.Predict(img); pred[0] == 2 {
				hit++
			}
		}
		if want := float64(hit) / 20; rates[i] != want {
			t.Errorf("α=%g: rate %v, want %v", a, rates[i], want)
		}
	}
	if rates[0] != 0 {
		t.Errorf("α=0 moves %v of the class-0 starts into class 2, want 0", rates[0])
	}
	t.Logf("steering 0→2: rates %v at α %v", rates, alphas)

	for _, tc := range []struct {
		name string
		run  func() error
		want string
	}{
		{"class out of range", func() error { _, err := unc.LatentOfClass(3, 1, SampleOptions{}, nil); return err }, "out of range"},
		{"no vectors", func() error { _, err := unc.LatentOfClass(0, 0, SampleOptions{}, nil); return err }, "positive"},
		{"classes set", func() error {
			_, err := cond.LatentOfClass(0, 1, SampleOptions{Classes: func() []int { return []int{1} }}, nil)
			return err
		}, "its own"},
		{"impossible", func() error {
			_, err := unc.LatentOfClass(1, 2, SampleOptions{MinConfidence: 0.999999, MaxDraws: 50}, nil)
			return err
		}, "50 draws gave 0 of 2"},
		{"conditional steering", func() error { _, err := cond.SteerRates(starts, dir, 2, alphas); return err }, "Conditional"},
		{"ragged starts", func() error { _, err := unc.SteerRates(starts[:7], dir, 2, alphas); return err }, "start values"},
		{"direction length", func() error { _, err := unc.SteerRates(starts, dir[:4], 2, alphas); return err }, "direction"},
		{"target out of range", func() error { _, err := unc.SteerRates(starts, dir, -1, alphas); return err }, "out of range"},
		{"no steps", func() error { _, err := unc.SteerRates(starts, dir, 2, nil); return err }, "no step"},
		{"NaN step", func() error { _, err := unc.SteerRates(starts, dir, 2, []float64{math.NaN()}); return err }, "step size NaN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.run(); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "sgan: ") {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
