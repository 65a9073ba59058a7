package sgan

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/semigan/semigan/datasets"
)

// Suggestion is one example that SuggestLabels proposes to label.
type Suggestion struct {
	Index     int     // the example's index in the x given to SuggestLabels
	Score     float64 // uncertainty × distance that chose it; higher was chosen first
	Margin    float64 // p(top class) − p(second class): small when the classifier hesitates
	Predicted int     // the classifier's current guess
}

// SuggestMethod is how SuggestLabels picks among the uncertain pool.
type SuggestMethod int

const (
	// ByClusters clusters the pool and the labelled examples on the
	// feature layer (k-means, n + labelled clusters) and takes, from each
	// of the largest clusters that hold no labelled example, the member
	// nearest its centre: typical examples of the confusing regions not
	// yet covered (after TypiClust, Hacohen et al. 2022). The default.
	ByClusters SuggestMethod = iota
	// ByDistance picks greedily the pool example maximising uncertainty ×
	// distance to the nearest example picked or labelled (k-centre, Sener
	// & Savarese 2018, weighted by uncertainty). It favours outliers.
	ByDistance
)

// SuggestOptions tune SuggestLabels. The zero value is the default.
type SuggestOptions struct {
	// PoolFactor: the n suggestions are chosen among the PoolFactor·n
	// most uncertain examples (at least n). Default 20; larger favours
	// typical and diverse examples over uncertain ones, 1 takes the n
	// most uncertain examples as they are.
	PoolFactor int

	// Method picks among the pool: ByClusters (default) or ByDistance.
	Method SuggestMethod

	// Labelled, if not nil, holds the already labelled examples (row-major
	// (m,C,H,W)): suggestions are kept away from them as from each other.
	Labelled []float32
}

// cand is an example as SuggestLabels ranks it.
type cand struct {
	i         int
	margin    float64
	predicted int
}

// SuggestLabels ranks the n examples of x (row-major (N,C,H,W)) whose
// labels would most help the classifier, for active learning: it returns
// up to n suggestions in the order chosen, best first.
//
// Each example's uncertainty is 1 − margin, the margin being the gap
// between the two most probable classes of the classifier (the weight
// average when EMA is on). The PoolFactor·n most uncertain examples form
// a pool. The pool and the labelled examples are placed on the
// discriminator's feature layer (vectors scaled to unit length, then
// projected to 64 dimensions) and Method picks among the pool: by default
// (ByClusters) k-means with n + (labelled) clusters, then, from each
// cluster without a labelled example, largest first, the member nearest
// the centre. Uncertainty alone would return near-copies of one
// confusing image, and the rarest, least typical ones; the clusters
// spread the picks over the confusing regions the labels do not cover yet
// and take a typical image of each.
//
// The result depends only on the model and the inputs (fixed seeds, ties
// to the lower index): the same model and data give the same suggestions.
func (m *Model) SuggestLabels(x []float32, n int, opts SuggestOptions) ([]Suggestion, error) {
	c := m.cfg
	F := c.Channels * c.Height * c.Width
	if err := m.checkSuggest(n, opts); err != nil {
		return nil, err
	}
	if len(x)%F != 0 {
		return nil, fmt.Errorf("sgan: SuggestLabels: %d input values is not a whole number of %d×%d×%d examples", len(x), c.Channels, c.Height, c.Width)
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
	return m.suggest(sliceRows(x, F), N, n, opts)
}

// SuggestLabelsSet is SuggestLabels over the examples of unl, read a
// batch at a time: a set of pixels (a folder read through its cache, say)
// is never converted to float32 as a whole.
func (m *Model) SuggestLabelsSet(unl *datasets.Set, n int, opts SuggestOptions) ([]Suggestion, error) {
	c := m.cfg
	F := c.Channels * c.Height * c.Width
	if err := m.checkSuggest(n, opts); err != nil {
		return nil, err
	}
	if err := m.checkSet("SuggestLabels", unl, false); err != nil {
		return nil, err
	}
	if i := badInput(opts.Labelled); i >= 0 {
		return nil, fmt.Errorf("sgan: SuggestLabels: labelled example %d has the value %v (non-finite or beyond ±%g)", i/F, opts.Labelled[i], MaxInput)
	}
	n = min(n, unl.Len())
	if n == 0 {
		return nil, nil
	}
	return m.suggest(setRows(unl), unl.Len(), n, opts)
}

// checkSuggest checks what SuggestLabels and SuggestLabelsSet share of
// their arguments: n, the pool factor and the labelled examples' size.
func (m *Model) checkSuggest(n int, opts SuggestOptions) error {
	c := m.cfg
	switch F := c.Channels * c.Height * c.Width; {
	case n < 0:
		return fmt.Errorf("sgan: SuggestLabels: n = %d is negative", n)
	case opts.PoolFactor < 0:
		return fmt.Errorf("sgan: SuggestLabels: PoolFactor = %d is negative", opts.PoolFactor)
	case len(opts.Labelled)%F != 0:
		return fmt.Errorf("sgan: SuggestLabels: %d labelled values is not a whole number of %d×%d×%d examples", len(opts.Labelled), c.Channels, c.Height, c.Width)
	}
	return nil
}

// suggest is SuggestLabels over the N examples that rows writes, for n
// in [1, N] and checked inputs.
func (m *Model) suggest(rows rowsFunc, N, n int, opts SuggestOptions) ([]Suggestion, error) {
	c := m.cfg
	F := c.Channels * c.Height * c.Width
	probs, _, err := m.runInferRows(rows, N, false)
	if err != nil {
		return nil, err
	}
	K := c.Classes
	softmaxRows(probs, K)
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
		pf = 20
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
		rows(px[j*F:(j+1)*F], cd.i, cd.i+1)
	}
	_, feat, err := m.runInfer(px, len(pool), true)
	if err != nil {
		return nil, err
	}
	D := len(feat) / len(pool)
	normalize(feat, D)
	var lf []float32
	if nl := len(opts.Labelled) / F; nl > 0 {
		if _, lf, err = m.runInfer(opts.Labelled, nl, true); err != nil {
			return nil, err
		}
		normalize(lf, D)
	}
	var picks []int
	var scores []float64
	switch opts.Method {
	case ByDistance:
		picks, scores = pickByDistance(pool, feat, lf, D, n)
	case ByClusters:
		picks, scores = pickByClusters(len(pool), feat, lf, D, n)
	default:
		return nil, fmt.Errorf("sgan: SuggestLabels: unknown Method %d", opts.Method)
	}
	out := make([]Suggestion, 0, n)
	taken := make([]bool, len(pool))
	for j, p := range picks {
		taken[p] = true
		cd := pool[p]
		out = append(out, Suggestion{Index: cd.i, Score: scores[j], Margin: cd.margin, Predicted: cd.predicted})
	}
	for j := 0; len(out) < n && j < len(pool); j++ { // too few distinct picks: most uncertain first
		if !taken[j] {
			cd := pool[j]
			out = append(out, Suggestion{Index: cd.i, Margin: cd.margin, Predicted: cd.predicted})
		}
	}
	return out, nil
}

// pickByDistance is ByDistance over the pool (sorted by margin) with
// unit-length features feat (and lf of the labelled examples): pool
// positions in the order picked, and their scores.
func pickByDistance(pool []cand, feat, lf []float32, D, n int) (picks []int, scores []float64) {
	// near[j]: distance from pool example j to the nearest picked or
	// labelled example (+Inf while there is none).
	near := make([]float64, len(pool))
	for j := range near {
		near[j] = math.Inf(1)
	}
	for l := 0; l+D <= len(lf); l += D {
		updateNearest(near, feat, lf[l:l+D], D)
	}
	taken := make([]bool, len(pool))
	for len(picks) < n {
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
		picks, scores = append(picks, best), append(scores, bestScore)
		updateNearest(near, feat, feat[best*D:(best+1)*D], D)
	}
	return picks, scores
}

// pickByClusters is ByClusters over P pool examples with unit-length
// features feat (and lf of the labelled examples): pool positions in the
// order picked, and their scores (the share of the pool in the pick's
// cluster).
func pickByClusters(P int, feat, lf []float32, D, n int) (picks []int, scores []float64) {
	L := len(lf) / D
	pts := append(slices.Clone(feat), lf...)
	pts, D = project(pts, D, 64)
	k := min(n+L, P+L)
	assign, centres := kmeans(pts, D, k, 20)
	type cluster struct {
		id       int
		members  []int // pool positions
		labelled bool
	}
	cl := make([]cluster, k)
	for c := range cl {
		cl[c].id = c
	}
	for j, c := range assign {
		if j < P {
			cl[c].members = append(cl[c].members, j)
		} else {
			cl[c].labelled = true
		}
	}
	// label-free clusters first, then the largest, then the lower id
	slices.SortStableFunc(cl, func(a, b cluster) int {
		if a.labelled != b.labelled {
			if a.labelled {
				return 1
			}
			return -1
		}
		return cmp.Compare(len(b.members), len(a.members))
	})
	for _, c := range cl {
		if len(picks) == n {
			break
		}
		best, bestD := -1, math.Inf(1)
		for _, j := range c.members {
			if d := dist2(pts[j*D:(j+1)*D], centres[c.id*D:(c.id+1)*D]); d < bestD {
				best, bestD = j, d
			}
		}
		if best >= 0 {
			picks, scores = append(picks, best), append(scores, float64(len(c.members))/float64(P))
		}
	}
	return picks, scores
}

// project maps the D-vectors of v to min(D, dim) dimensions with a fixed
// random Gaussian matrix (Johnson–Lindenstrauss), which keeps distances
// roughly and makes k-means cheap.
func project(v []float32, D, dim int) ([]float32, int) {
	if D <= dim {
		return v, D
	}
	rng := rand.New(rand.NewPCG(1, 2))
	r := make([]float32, D*dim)
	s := 1 / math.Sqrt(float64(dim))
	for i := range r {
		r[i] = float32(rng.NormFloat64() * s)
	}
	N := len(v) / D
	out := make([]float32, N*dim)
	for i := range N {
		row, o := v[i*D:(i+1)*D], out[i*dim:(i+1)*dim]
		for a, x := range row {
			if x == 0 {
				continue
			}
			ra := r[a*dim : (a+1)*dim]
			for b := range o {
				o[b] += x * ra[b]
			}
		}
	}
	return out, dim
}

// kmeans clusters the D-vectors of pts into k clusters (k-means++ seeding
// from a fixed seed, then Lloyd's iterations) and returns each point's
// cluster and the centres.
func kmeans(pts []float32, D, k, iters int) (assign []int, centres []float32) {
	N := len(pts) / D
	rng := rand.New(rand.NewPCG(3, 4))
	centres = make([]float32, 0, k*D)
	centres = append(centres, pts[:D]...) // the first point: deterministic
	d2 := make([]float64, N)
	for i := range d2 {
		d2[i] = math.Inf(1)
	}
	for c := 1; c < k; c++ {
		var sum float64
		last := centres[(c-1)*D : c*D]
		for i := range N {
			d2[i] = min(d2[i], dist2(pts[i*D:(i+1)*D], last))
			sum += d2[i]
		}
		next := 0
		if sum > 0 {
			r := rng.Float64() * sum
			for next = 0; next < N-1 && r >= d2[next]; next++ {
				r -= d2[next]
			}
		}
		centres = append(centres, pts[next*D:(next+1)*D]...)
	}
	assign = make([]int, N)
	count := make([]int, k)
	sums := make([]float64, k*D)
	for it := 0; it < iters; it++ {
		changed := false
		for i := range N {
			p := pts[i*D : (i+1)*D]
			best, bd := 0, math.Inf(1)
			for c := range k {
				if d := dist2(p, centres[c*D:(c+1)*D]); d < bd {
					best, bd = c, d
				}
			}
			if it == 0 || assign[i] != best {
				changed = true
			}
			assign[i] = best
		}
		if !changed {
			break
		}
		clear(count)
		clear(sums)
		for i, c := range assign {
			count[c]++
			for j, v := range pts[i*D : (i+1)*D] {
				sums[c*D+j] += float64(v)
			}
		}
		for c := range k {
			if count[c] > 0 {
				for j := range D {
					centres[c*D+j] = float32(sums[c*D+j] / float64(count[c]))
				}
			}
		}
	}
	return assign, centres
}

func dist2(a, b []float32) float64 {
	var d float64
	for i, x := range a {
		e := float64(x - b[i])
		d += e * e
	}
	return d
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
