package sgan

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/semigan/semigan/layers"
)

// linearModel returns a tiny model (tinyConfig: Z = 5, 1×4×4 images)
// whose generator is linear, image = z·R·diag(s)·E, with R a random
// rotation of the latent space and E five orthonormal image patterns.
// Its images' principal components are the rows of E in the order of s,
// and the latent direction of component i is column i of R, returned as
// the rows of dirs.
//
// With classPattern > 0 the model is Conditional, and class k adds
// classPattern times a random image of its own.
func linearModel(t *testing.T, s []float64) (m *Model, dirs [][]float32) {
	return linearModelClasses(t, s, 0)
}

func linearModelClasses(t *testing.T, s []float64, classPattern float64) (m *Model, dirs [][]float32) {
	t.Helper()
	mc, _ := tinyConfig(3)
	mc.Conditional = classPattern > 0
	Z, F := mc.LatentDim, mc.Channels*mc.Height*mc.Width
	in := Z
	if mc.Conditional {
		in += mc.Classes
	}
	rng := rand.New(rand.NewPCG(5, 5))
	orth := func(n, k int) *mat.Dense { // n×k with orthonormal columns
		a := mat.NewDense(n, k, nil)
		for i := range n {
			for j := range k {
				a.Set(i, j, rng.NormFloat64())
			}
		}
		var qr mat.QR
		qr.Factorize(a)
		var q mat.Dense
		qr.QTo(&q)
		return mat.DenseCopyOf(q.Slice(0, n, 0, k))
	}
	R, E := orth(Z, Z), orth(F, Z) // E's columns are the patterns
	var rs, w mat.Dense
	rs.Mul(R, mat.NewDiagDense(Z, s))
	w.Mul(&rs, E.T()) // Z×F
	fc := layers.NewDense("gen/fc1", in, F, layers.Constant(0), layers.WithoutBias())
	vals := fc.W.Value.Data().([]float32)
	for i := range in {
		for j := range F {
			if i < Z {
				vals[i*F+j] = float32(w.At(i, j))
			} else {
				vals[i*F+j] = float32(classPattern * rng.NormFloat64())
			}
		}
	}
	d, _ := tinyNets(3)
	m, err := NewWith(mc, d, &Generator{Net: layers.Sequential{fc, layers.Reshape{Shape: []int{1, 4, 4}}}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range Z {
		col := make([]float32, Z)
		for j := range col {
			col[j] = float32(R.At(j, i))
		}
		dirs = append(dirs, col)
	}
	return m, dirs
}

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}

// Directions recovers the latent directions of a linear generator's
// principal components, in order, with their shares of the variance.
func TestDirectionsLinearGenerator(t *testing.T) {
	s := []float64{5, 3, 2, 1, 0.5}
	m, want := linearModel(t, s)
	dirs, err := m.Directions(DirectionOptions{Samples: 4000, Count: 3}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) != 3 {
		t.Fatalf("%d directions, want 3", len(dirs))
	}
	var total float64
	for _, v := range s {
		total += v * v
	}
	for i, d := range dirs {
		var norm float64
		for _, v := range d.Z {
			norm += float64(v) * float64(v)
		}
		if math.Abs(math.Sqrt(norm)-1) > 1e-5 {
			t.Errorf("direction %d has length %v, want 1", i, math.Sqrt(norm))
		}
		if c := math.Abs(cosine(d.Z, want[i])); c < 0.99 {
			t.Errorf("direction %d: |cos| %.4f with the generator's direction, want ≥ 0.99", i, c)
		}
		if e, w := d.Explained, s[i]*s[i]/total; math.Abs(e-w) > 0.05*w {
			t.Errorf("direction %d explains %.4f of the variance, want %.4f", i, e, w)
		}
	}
	again, err := m.Directions(DirectionOptions{Samples: 4000, Count: 3}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	for i := range dirs {
		for j := range dirs[i].Z {
			if dirs[i].Z[j] != again[i].Z[j] {
				t.Fatalf("same seed, direction %d differs at %d", i, j)
			}
		}
	}
}

// On a Conditional model the class patterns, which are far larger than
// the variation z makes but do not depend on z, do not hide it: each
// class is centred on its own mean.
func TestDirectionsConditional(t *testing.T) {
	m, want := linearModelClasses(t, []float64{5, 3, 2, 1, 0.5}, 50)
	dirs, err := m.Directions(DirectionOptions{Samples: 3000, Count: 2}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range dirs {
		if c := math.Abs(cosine(d.Z, want[i])); c < 0.99 {
			t.Errorf("direction %d: |cos| %.4f with the generator's direction, want ≥ 0.99", i, c)
		}
	}
}

// On a Conditional model both sides of a pair are the same class, the
// pairs taking the classes in turn.
func TestSynthesizeTwoSidedConditional(t *testing.T) {
	m, dirs := linearModelClasses(t, []float64{0.01, 0.01, 0.01, 0.01, 0.01}, 50)
	K, F := m.Config().Classes, 16
	codes := make([]float32, 0, K*(m.Config().LatentDim+K))
	patterns, err := m.GenerateFromClasses(make([]float32, K*m.Config().LatentDim), append(codes, 1, 0, 0, 0, 1, 0, 0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	set, err := m.SynthesizeTwoSided(dirs[0], 7, TwoSidedOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	classOf := func(x []float32) int { // the nearest class pattern
		best, bestD := -1, math.Inf(1)
		for k := range K {
			var d float64
			for j := range F {
				e := float64(x[j] - patterns[k*F+j])
				d += e * e
			}
			if d < bestD {
				best, bestD = k, d
			}
		}
		return best
	}
	for p := range 7 {
		neg, pos := classOf(set.Example(2*p)), classOf(set.Example(2*p+1))
		if neg != p%K || pos != p%K {
			t.Errorf("pair %d: sides of classes %d and %d, want %d", p, neg, pos, p%K)
		}
	}
}

func TestDirectionsErrors(t *testing.T) {
	m, _ := linearModel(t, []float64{5, 3, 2, 1, 0.5})
	mc, _ := tinyConfig(3)
	mc.SupervisedOnly = true
	d, _ := tinyNets(3)
	sup, err := NewWith(mc, d, nil)
	if err != nil {
		t.Fatal(err)
	}
	zero, _ := linearModel(t, []float64{0, 0, 0, 0, 0})
	for _, tc := range []struct {
		name string
		m    *Model
		opts DirectionOptions
		want string
	}{
		{"no generator", sup, DirectionOptions{}, "no generator"},
		{"negative samples", m, DirectionOptions{Samples: -1}, "positive"},
		{"negative count", m, DirectionOptions{Count: -1}, "positive"},
		{"more than half the samples", m, DirectionOptions{Samples: 10, Count: 6}, "Samples/2"},
		{"more than the image size", m, DirectionOptions{Samples: 100, Count: 17}, "image size"},
		{"too many values", m, DirectionOptions{Samples: maxDirectionValues/16 + 1}, "lower Samples"},
		{"constant images", zero, DirectionOptions{Samples: 100, Count: 2}, "do not vary"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.m.Directions(tc.opts, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// SynthesizeTwoSided makes pairs that differ along the direction only,
// each side at a distance from the middle within [Margin, Extent].
func TestSynthesizeTwoSided(t *testing.T) {
	s := []float64{5, 3, 2, 1, 0.5}
	m, dirs := linearModel(t, s)
	d := dirs[1]
	scaled := make([]float32, len(d)) // the length of dir does not matter
	for i, v := range d {
		scaled[i] = 7 * v
	}
	const n, lo, hi = 300, 0.5, 2.5
	set, err := m.SynthesizeTwoSided(scaled, n, TwoSidedOptions{Margin: lo, Extent: hi, Names: [2]string{"thin", "thick"}}, rand.New(rand.NewPCG(2, 2)))
	if err != nil {
		t.Fatal(err)
	}
	if set.Len() != 2*n || set.Classes != 2 || set.ClassNames[0] != "thin" || set.ClassNames[1] != "thick" {
		t.Fatalf("set of %d examples, %d classes %q; want %d, 2, [thin thick]", set.Len(), set.Classes, set.ClassNames, 2*n)
	}
	if err := set.Validate(); err != nil {
		t.Fatal(err)
	}
	// the image of the unit latent direction: dW = s₁·(pattern 1)
	dw, err := m.GenerateFrom(d)
	if err != nil {
		t.Fatal(err)
	}
	var dd float64
	for _, v := range dw {
		dd += float64(v) * float64(v)
	}
	F := len(dw)
	var minA, maxA = math.Inf(1), math.Inf(-1)
	for p := range n {
		if set.Labels[2*p] != 0 || set.Labels[2*p+1] != 1 {
			t.Fatalf("pair %d labelled %v", p, set.Labels[2*p:2*p+2])
		}
		neg, pos := set.Example(2*p), set.Example(2*p+1)
		// pos − neg = 2α·dW; pos + neg has no component along dW, as
		// dW is an eigenvector of W·Wᵀ
		var diff, sum float64
		for j := range F {
			diff += float64(pos[j]-neg[j]) * float64(dw[j])
			sum += float64(pos[j]+neg[j]) * float64(dw[j])
		}
		a := diff / (2 * dd)
		minA, maxA = min(minA, a), max(maxA, a)
		if math.Abs(sum)/dd > 1e-3 {
			t.Fatalf("pair %d: the middle has a component %.4f along the direction, want 0", p, sum/dd)
		}
	}
	if minA < lo-1e-3 || maxA > hi+1e-3 || maxA-minA < 0.8*(hi-lo) {
		t.Errorf("distances from the middle span [%.3f, %.3f], want within and across most of [%g, %g]", minA, maxA, lo, hi)
	}
}

func TestSynthesizeTwoSidedErrors(t *testing.T) {
	m, dirs := linearModel(t, []float64{5, 3, 2, 1, 0.5})
	d := dirs[0]
	for _, tc := range []struct {
		name string
		dir  []float32
		n    int
		opts TwoSidedOptions
		want string
	}{
		{"short direction", d[:3], 10, TwoSidedOptions{}, "length 3"},
		{"zero direction", make([]float32, len(d)), 10, TwoSidedOptions{}, "zero direction"},
		{"NaN direction", []float32{float32(math.NaN()), 0, 0, 0, 1}, 10, TwoSidedOptions{}, "NaN"},
		{"no pairs", d, 0, TwoSidedOptions{}, "positive"},
		{"margin above extent", d, 10, TwoSidedOptions{Margin: 3, Extent: 2}, "Margin ≤ Extent"},
		{"negative margin", d, 10, TwoSidedOptions{Margin: -1}, "0 < Margin"},
		{"infinite extent", d, 10, TwoSidedOptions{Extent: math.Inf(1)}, "finite"},
		{"confidence 1", d, 10, TwoSidedOptions{MinConfidence: 1}, "MinConfidence"},
		{"same names", d, 10, TwoSidedOptions{Names: [2]string{"a", "a"}}, "two different"},
		{"one name", d, 10, TwoSidedOptions{Names: [2]string{"a", ""}}, "non-empty"},
		{"negative draws", d, 10, TwoSidedOptions{MaxDraws: -1}, "MaxDraws"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := m.SynthesizeTwoSided(tc.dir, tc.n, tc.opts, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	// The untrained 3-class classifier is never 99.9 % sure: nothing
	// passes, and the error says so with the (empty) set.
	set, err := m.SynthesizeTwoSided(d, 10, TwoSidedOptions{MinConfidence: 0.999, MaxDraws: 50}, nil)
	if err == nil || !strings.Contains(err.Error(), "50 pairs drawn gave 0 of 10") {
		t.Errorf("error %v, want the shortfall", err)
	}
	if set == nil || set.Len() != 0 {
		t.Errorf("set %v, want an empty set", set)
	}
}
