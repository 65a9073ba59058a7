package sgan

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Suggestion is one example that SuggestLabels proposes to label.
type Suggestion struct {
	Index     int     // the example's index in the x given to SuggestLabels
	Score     float64 // uncertainty × distance that chose it; higher was chosen first
	Margin    float64 // p(top class) − p(second class): small when the classifier hesitates
	Predicted int     // the classifier's current guess
}

// SuggestOptions tune SuggestLabels. The zero value is the default.
type SuggestOptions struct {
	// PoolFactor: the n suggestions are chosen among the PoolFactor·n
	// most uncertain examples (at least n). Default 10; larger favours
	// diversity, 1 takes the n most uncertain examples as they are.
	PoolFactor int

	// Labelled, if not nil, holds the already labelled examples (row-major
	// (m,C,H,W)): suggestions are kept away from them as from each other.
	Labelled []float32
}

// SuggestLabels ranks the n examples of x (row-major (N,C,H,W)) whose
// labels would most help the classifier, for active learning: it returns
// up to n suggestions in the order chosen, best first.
//
// Each example's uncertainty is 1 − margin, the margin being the gap
// between the two most probable classes of the classifier (the weight
// average when EMA is on). The PoolFactor·n most uncertain examples form
// a pool; from it, greedy k-centre selection on the discriminator's
// feature layer picks, one at a time, the example that maximises
// uncertainty × (distance to the nearest example already picked or
// labelled), the distances being Euclidean between feature vectors scaled
// to unit length. The first pick is the most uncertain example (or, with
// Labelled, the one maximising that product). Uncertainty alone would
// return near-copies of one confusing image; distance alone would return
// outliers the classifier already gets right.
//
// The result depends only on the model and the inputs (ties go to the
// lower index): the same model and data give the same suggestions.
func (m *Model) SuggestLabels(x []float32, n int, opts SuggestOptions) ([]Suggestion, error) {
	c := m.cfg
	F := c.Channels * c.Height * c.Width
	switch {
	case n < 0:
		return nil, fmt.Errorf("sgan: SuggestLabels: n = %d is negative", n)
	case opts.PoolFactor < 0:
		return nil, fmt.Errorf("sgan: SuggestLabels: PoolFactor = %d is negative", opts.PoolFactor)
	case len(x)%F != 0:
		return nil, fmt.Errorf("sgan: SuggestLabels: %d input values is not a whole number of %d×%d×%d examples", len(x), c.Channels, c.Height, c.Width)
	case len(opts.Labelled)%F != 0:
		return nil, fmt.Errorf("sgan: SuggestLabels: %d labelled values is not a whole number of %d×%d×%d examples", len(opts.Labelled), c.Channels, c.Height, c.Width)
	}
	N := len(x) / F
	n = min(n, N)
	if n == 0 {
		return nil, nil
	}
	for _, set := range []struct {
		what string
		v    []float32
	}{{"input", x}, {"labelled", opts.Labelled}} {
		if i := badInput(set.v); i >= 0 {
			return nil, fmt.Errorf("sgan: SuggestLabels: %s example %d has the value %v (non-finite or beyond ±%g)", set.what, i/F, set.v[i], MaxInput)
		}
	}
	probs, err := m.PredictProba(x)
	if err != nil {
		return nil, err
	}
	K := c.Classes
	type cand struct {
		i         int
		margin    float64
		predicted int
	}
	cands := make([]cand, N)
	for i := range cands {
		p := probs[i*K : (i+1)*K]
		top := argmax(p)
		second := -1
		for k, v := range p {
			if k != top && (second < 0 || v > p[second]) {
				second = k
			}
		}
		cands[i] = cand{i: i, margin: float64(p[top] - p[second]), predicted: top}
	}
	slices.SortStableFunc(cands, func(a, b cand) int { return cmp.Compare(a.margin, b.margin) })
	pf := opts.PoolFactor
	if pf == 0 {
		pf = 10
	}
	pool := cands[:min(N, max(n, pf*n))]
	if pf == 1 {
		out := make([]Suggestion, n)
		for j, cd := range pool[:n] {
			out[j] = Suggestion{Index: cd.i, Score: 1 - cd.margin, Margin: cd.margin, Predicted: cd.predicted}
		}
		return out, nil
	}

	// Features of the pool (and of the labelled examples), unit length.
	px := make([]float32, len(pool)*F)
	for j, cd := range pool {
		copy(px[j*F:(j+1)*F], x[cd.i*F:(cd.i+1)*F])
	}
	_, feat, err := m.runInfer(px, len(pool), true)
	if err != nil {
		return nil, err
	}
	D := len(feat) / len(pool)
	normalize(feat, D)
	// near[j]: distance from pool example j to the nearest picked or
	// labelled example (+Inf while there is none).
	near := make([]float64, len(pool))
	for j := range near {
		near[j] = math.Inf(1)
	}
	if nl := len(opts.Labelled) / F; nl > 0 {
		_, lf, err := m.runInfer(opts.Labelled, nl, true)
		if err != nil {
			return nil, err
		}
		normalize(lf, D)
		for l := 0; l < nl; l++ {
			updateNearest(near, feat, lf[l*D:(l+1)*D], D)
		}
	}
	taken := make([]bool, len(pool))
	out := make([]Suggestion, 0, n)
	for len(out) < n {
		best, bestScore := -1, math.Inf(-1)
		for j, cd := range pool {
			if taken[j] {
				continue
			}
			s := 1 - cd.margin
			if !math.IsInf(near[j], 1) {
				s *= near[j]
			}
			if best < 0 || s > bestScore || (s == bestScore && cd.i < pool[best].i) {
				best, bestScore = j, s
			}
		}
		taken[best] = true
		cd := pool[best]
		out = append(out, Suggestion{Index: cd.i, Score: bestScore, Margin: cd.margin, Predicted: cd.predicted})
		updateNearest(near, feat, feat[best*D:(best+1)*D], D)
	}
	return out, nil
}

// normalize scales each D-vector of v to unit length (zero vectors stay
// zero).
func normalize(v []float32, D int) {
	for i := 0; i+D <= len(v); i += D {
		var s float64
		for _, a := range v[i : i+D] {
			s += float64(a) * float64(a)
		}
		if s > 0 {
			inv := float32(1 / math.Sqrt(s))
			for j := i; j < i+D; j++ {
				v[j] *= inv
			}
		}
	}
}

// updateNearest lowers near[j] to the distance between row j of feat and
// the D-vector q where that is nearer.
func updateNearest(near []float64, feat, q []float32, D int) {
	for j := range near {
		var d float64
		for k, a := range feat[j*D : (j+1)*D] {
			e := float64(a - q[k])
			d += e * e
		}
		near[j] = min(near[j], math.Sqrt(d))
	}
}
