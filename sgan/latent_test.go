package sgan

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func TestInterpolate(t *testing.T) {
	a := []float32{1, 0, 0}
	b := []float32{0, 2, 0}
	for _, tc := range []struct {
		kind    Interp
		mid     []float32 // the middle of 3 points
		midNorm float64
	}{
		{Linear, []float32{0.5, 1, 0}, math.Sqrt(1.25)},
		// slerp: direction at 45°, norm (1+2)/2
		{Spherical, []float32{1.5 / math.Sqrt2, 1.5 / math.Sqrt2, 0}, 1.5},
	} {
		t.Run(tc.kind.String(), func(t *testing.T) {
			z, err := Interpolate(a, b, 3, tc.kind)
			if err != nil {
				t.Fatal(err)
			}
			if len(z) != 9 {
				t.Fatalf("%d values, want 9", len(z))
			}
			for i := 0; i < 3; i++ {
				if z[i] != a[i] || z[6+i] != b[i] {
					t.Errorf("endpoints %v, %v; want %v, %v", z[:3], z[6:], a, b)
				}
				if math.Abs(float64(z[3+i]-tc.mid[i])) > 1e-6 {
					t.Errorf("midpoint %v, want %v", z[3:6], tc.mid)
				}
			}
			if n := norm(z[3:6]); math.Abs(n-tc.midNorm) > 1e-6 {
				t.Errorf("midpoint norm %v, want %v", n, tc.midNorm)
			}
		})
	}
	// Slerp keeps the norm of Gaussian vectors; Lerp shrinks it.
	rng := rand.New(rand.NewPCG(1, 1))
	u, v := make([]float32, 100), make([]float32, 100)
	for i := range u {
		u[i], v[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
	}
	if ns, nl := norm(Slerp(u, v, 0.5)), norm(Lerp(u, v, 0.5)); ns < 0.9*norm(u) || nl > 0.8*norm(u) {
		t.Errorf("midpoint norms: slerp %.2f, lerp %.2f, endpoint %.2f", ns, nl, norm(u))
	}
	// (anti)parallel and zero vectors fall back to Lerp
	if got := Slerp([]float32{1, 0}, []float32{2, 0}, 0.5); got[0] != 1.5 || got[1] != 0 {
		t.Errorf("parallel slerp %v", got)
	}
	if got := Slerp([]float32{0, 0}, []float32{2, 0}, 0.5); got[0] != 1 {
		t.Errorf("zero slerp %v", got)
	}
	for _, tc := range []struct {
		name string
		a, b []float32
		n    int
		kind Interp
		want string
	}{
		{"length mismatch", a, b[:2], 3, Linear, "lengths"},
		{"empty", nil, nil, 3, Linear, "lengths"},
		{"one point", a, b, 1, Linear, "at least 2"},
		{"bad kind", a, b, 3, Interp(7), "unknown"},
		{"NaN", []float32{float32(math.NaN()), 0, 0}, b, 3, Linear, "NaN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Interpolate(tc.a, tc.b, tc.n, tc.kind); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestSteer(t *testing.T) {
	z, err := Steer([]float32{1, 1}, []float32{1, -1}, []float64{0, 0.5, 2})
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{1, 1, 1.5, 0.5, 3, -1}
	for i := range want {
		if z[i] != want[i] {
			t.Fatalf("Steer = %v, want %v", z, want)
		}
	}
	if _, err := Steer([]float32{1}, []float32{1, 2}, []float64{1}); err == nil {
		t.Error("length mismatch accepted")
	}
}

func TestLatentClassesAndSynthesize(t *testing.T) {
	tr := tinyTrainer(t, 8)
	m := tr.Model()
	lab, unl := tinyBatches(8)
	for i := 0; i < 50; i++ {
		if _, err := tr.Step(lab, unl); err != nil {
			t.Fatal(err)
		}
	}
	lc, err := m.LatentClasses(300, 0, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, n := range lc.Counts {
		total += n
	}
	if total != 300 || lc.Drawn != 300 {
		t.Errorf("counts %v (sum %d), drawn %d; want all 300 classified", lc.Counts, total, lc.Drawn)
	}
	again, _ := m.LatentClasses(300, 0, rand.New(rand.NewPCG(1, 2)))
	for k := range lc.Means {
		for j := range lc.Means[k] {
			if lc.Means[k][j] != again.Means[k][j] {
				t.Fatal("same rng, different class means")
			}
		}
	}
	for k, n := range lc.Counts {
		for j := range lc.Counts {
			if n > 0 && lc.Counts[j] > 0 && j != k {
				if _, err := lc.Direction(k, j); err != nil {
					t.Error(err)
				}
			}
		}
	}
	if _, err := lc.Direction(0, 3); err == nil {
		t.Error("Direction to a class out of range accepted")
	}

	// Synthesize with every example kept fills each class exactly.
	s, err := m.Synthesize(4, SynthOptions{MinConfidence: -1, MaxDraws: 5000}, rand.New(rand.NewPCG(3, 3)))
	var se *SynthesisError
	switch {
	case errors.As(err, &se):
		// the untrained generator may never produce some class; then the
		// error says which, and the classes it did fill are complete
		if !strings.Contains(err.Error(), "class") {
			t.Errorf("synthesis error does not name the class: %v", err)
		}
	case err != nil:
		t.Fatal(err)
	default:
		if s.Len() != 12 || s.Classes != 3 || s.C != 1 || s.H != 4 || s.W != 4 || len(s.Data) != 12*16 {
			t.Fatalf("synthetic set: %d examples, %d classes, %d×%d×%d", s.Len(), s.Classes, s.C, s.H, s.W)
		}
		if err := s.Validate(); err != nil {
			t.Error(err)
		}
		// the labels are the classifier's predictions
		pred, err := m.Predict(s.Data)
		if err != nil {
			t.Fatal(err)
		}
		for i, y := range s.Labels {
			if pred[i] != y {
				t.Fatalf("example %d labelled %d, classifier says %d", i, y, pred[i])
			}
		}
	}
	// An impossible confidence ends with a SynthesisError after MaxDraws.
	_, err = m.Synthesize(4, SynthOptions{MinConfidence: 0.999999, MaxDraws: 100}, nil)
	if !errors.As(err, &se) || se.Drawn != 100 {
		t.Errorf("error %v, want a *SynthesisError after 100 draws", err)
	}
	for _, tc := range []struct {
		name string
		n    int
		opts SynthOptions
	}{
		{"zero per class", 0, SynthOptions{}},
		{"confidence 1", 1, SynthOptions{MinConfidence: 1}},
	} {
		if _, err := m.Synthesize(tc.n, tc.opts, nil); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}

func TestSynthesizeConditional(t *testing.T) {
	m, tc := tinyCondModel(t, 3, nil)
	tr := mustTrainer(t, m, tc)
	for i := 0; i < 300; i++ {
		lab, unl := tinyBatches(uint64(i))
		if _, err := tr.Step(lab, unl); err != nil {
			t.Fatal(err)
		}
	}
	s, err := m.Synthesize(20, SynthOptions{MinConfidence: 0.5}, rand.New(rand.NewPCG(4, 4)))
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 60 {
		t.Fatalf("%d examples, want 60", s.Len())
	}
	right := 0
	for i, y := range s.Labels {
		if brightestRow(s.Data[i*16:(i+1)*16]) == y {
			right++
		}
	}
	if right < 54 {
		t.Errorf("%d of 60 synthetic examples show their label's bar, want at least 54", right)
	}
}
