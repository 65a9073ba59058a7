package sgan

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Interp selects the path between two latent vectors.
type Interp int

const (
	// Linear interpolation: (1−t)·a + t·b. Its midpoints have a smaller
	// norm than samples of N(0, I), so they can look washed out.
	Linear Interp = iota
	// Spherical interpolation (slerp) along the great circle between a
	// and b, with the norm interpolated linearly: midpoints keep the
	// typical norm of a Gaussian latent vector (White 2016, "Sampling
	// generative networks").
	Spherical
)

// String returns the path's name.
func (k Interp) String() string {
	switch k {
	case Linear:
		return "linear"
	case Spherical:
		return "spherical"
	}
	return fmt.Sprintf("Interp(%d)", int(k))
}

// Interpolate returns n latent vectors, row-major (n, len(a)), on the path
// of the given kind from a (the first row) to b (the last), at evenly
// spaced t in [0, 1]. n must be at least 2; a and b must have the same,
// non-zero length and finite values.
func Interpolate(a, b []float32, n int, kind Interp) ([]float32, error) {
	switch {
	case len(a) == 0 || len(a) != len(b):
		return nil, fmt.Errorf("sgan: interpolate: latent vectors of lengths %d and %d", len(a), len(b))
	case n < 2:
		return nil, fmt.Errorf("sgan: interpolate: %d points, need at least 2", n)
	case kind != Linear && kind != Spherical:
		return nil, fmt.Errorf("sgan: interpolate: unknown path %v", kind)
	}
	for _, v := range [][]float32{a, b} {
		if i := nonFinite(v); i >= 0 {
			return nil, fmt.Errorf("sgan: interpolate: value %d is %v", i, v[i])
		}
	}
	d := len(a)
	out := make([]float32, 0, n*d)
	for i := 0; i < n; i++ {
		t := float64(i) / float64(n-1)
		if kind == Spherical {
			out = append(out, Slerp(a, b, t)...)
		} else {
			out = append(out, Lerp(a, b, t)...)
		}
	}
	return out, nil
}

// Lerp returns (1−t)·a + t·b. a and b must have the same length.
func Lerp(a, b []float32, t float64) []float32 {
	out := make([]float32, len(a))
	for i := range a {
		out[i] = float32((1-t)*float64(a[i]) + t*float64(b[i]))
	}
	return out
}

// Slerp returns the point at fraction t of the spherical path from a to
// b: the direction rotates along the great circle through a and b, and the
// norm moves linearly from |a| to |b|. When a or b is zero or they are
// (anti)parallel, it falls back to Lerp. a and b must have the same length.
func Slerp(a, b []float32, t float64) []float32 {
	var na, nb, dot float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		na += x * x
		nb += y * y
		dot += x * y
	}
	na, nb = math.Sqrt(na), math.Sqrt(nb)
	if na == 0 || nb == 0 {
		return Lerp(a, b, t)
	}
	cos := max(-1, min(1, dot/(na*nb)))
	omega := math.Acos(cos)
	so := math.Sin(omega)
	if so < 1e-6 {
		return Lerp(a, b, t)
	}
	// unit directions combined on the great circle, then scaled
	wa, wb := math.Sin((1-t)*omega)/so, math.Sin(t*omega)/so
	norm := (1-t)*na + t*nb
	out := make([]float32, len(a))
	for i := range a {
		out[i] = float32(norm * (wa*float64(a[i])/na + wb*float64(b[i])/nb))
	}
	return out
}

// Steer returns len(alphas) latent vectors z + α·dir, row-major, one per
// α: a walk from z along the direction dir.
func Steer(z, dir []float32, alphas []float64) ([]float32, error) {
	if len(z) == 0 || len(z) != len(dir) {
		return nil, fmt.Errorf("sgan: steer: latent vector of length %d and direction of length %d", len(z), len(dir))
	}
	out := make([]float32, 0, len(alphas)*len(z))
	for _, a := range alphas {
		for i := range z {
			out = append(out, z[i]+float32(a)*dir[i])
		}
	}
	return out, nil
}

// LatentClasses describe where the classes lie in an unconditional
// generator's latent space, as the classifier sees the generated images.
type LatentClasses struct {
	// Means[k] is the mean latent vector of the generated examples that
	// the classifier put in class k with at least the minimum confidence
	// (zero when Counts[k] is 0).
	Means [][]float32
	// Counts[k] is the number of such examples.
	Counts []int
	// Drawn is the number of latent vectors drawn in all.
	Drawn int
}

// Direction returns the latent direction from class from to class to,
// Means[to] − Means[from]: adding it to a latent vector of a from example
// moves the generated image towards class to.
func (lc *LatentClasses) Direction(from, to int) ([]float32, error) {
	K := len(lc.Means)
	if from < 0 || from >= K || to < 0 || to >= K {
		return nil, fmt.Errorf("sgan: direction %d→%d: classes out of range [0, %d)", from, to, K)
	}
	for _, k := range []int{from, to} {
		if lc.Counts[k] == 0 {
			return nil, fmt.Errorf("sgan: direction %d→%d: no generated example was classified as %d", from, to, k)
		}
	}
	d := make([]float32, len(lc.Means[to]))
	for i := range d {
		d[i] = lc.Means[to][i] - lc.Means[from][i]
	}
	return d, nil
}

// LatentClasses generates n examples from latent vectors drawn with rng (a
// fresh stream of the model's seed when nil) by Sample, classifies them, and
// returns the mean latent vector of each class among those classified with
// a probability of at least minConf (0 ≤ minConf < 1). Differences of
// the means are directions that steer the generator from one class to
// another (Direction, Steer).
func (m *Model) LatentClasses(n int, minConf float64, rng *rand.Rand) (*LatentClasses, error) {
	if n <= 0 {
		return nil, fmt.Errorf("sgan: latent classes: %d samples, need a positive number", n)
	}
	if !(minConf >= 0 && minConf < 1) {
		return nil, fmt.Errorf("sgan: latent classes: minimum confidence %g outside [0, 1)", minConf)
	}
	c := m.cfg
	K, Z := c.Classes, c.LatentDim
	lc := &LatentClasses{Means: make([][]float32, K), Counts: make([]int, K)}
	sums := make([][]float64, K)
	for k := range sums {
		sums[k] = make([]float64, Z)
	}
	var err error
	lc.Drawn, err = m.Sample(SampleOptions{MinConfidence: minConf, MaxDraws: n}, rng, func(s Sample) bool {
		lc.Counts[s.Class]++
		for j, v := range s.Z {
			sums[s.Class][j] += float64(v)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	for k := range sums {
		lc.Means[k] = make([]float32, Z)
		if lc.Counts[k] == 0 {
			continue
		}
		for j, s := range sums[k] {
			lc.Means[k][j] = float32(s / float64(lc.Counts[k]))
		}
	}
	return lc, nil
}
