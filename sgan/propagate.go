package sgan

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	G "gorgonia.org/gorgonia"
)

// Label propagation over the discriminator's features (Iscen et al.,
// "Label Propagation for Deep Semi-supervised Learning", CVPR 2019;
// Calder et al., "Poisson Learning", ICML 2020): every example is
// embedded with the weight-averaged discriminator's feature layer,
// reduced to a few dozen principal directions, linked to its nearest
// neighbours, and the labels are propagated over that graph by Poisson
// learning. The result labels the unlabelled examples, each with a
// certainty, for the propagation loss term and for Model.Propagate.

// PropagateOptions control Model.Propagate. The zero value means the
// defaults.
type PropagateOptions struct {
	// Neighbours is the number of nearest neighbours each example is
	// linked to. Default 10.
	Neighbours int
	// Dims is the number of principal directions of the features the
	// neighbours are found in. Default 64.
	Dims int
	// Sample is the number of examples the principal directions are
	// computed from. Default 4096.
	Sample int
	// Iterations is the number of Poisson learning's iterations.
	// Default 200 (Calder et al. stop when a random walk from the
	// labelled examples has mixed, after 100 to 450 iterations on
	// Fashion-MNIST's graph; 200 gave the same labels).
	Iterations int
	// Prior is the class prior the scores are balanced towards (K
	// weights); nil: uniform.
	Prior []float64
	// Balance shifts each class's scores so that the propagated labels
	// of the unlabelled examples follow Prior (within 1 %), rather than
	// letting the graph pile examples onto the classes whose labelled
	// examples sit in dense regions.
	Balance bool
	// Folds, when 2 or more, also cross-validates the propagation on the
	// labelled examples: they are split into Folds stratified folds, and
	// each fold's labels are propagated from the others over the same
	// graph (Propagation.CV). It costs Folds more solves.
	Folds int
	// Logits is the share of the similarity of two examples that comes
	// from their logits (centred and scaled to unit length), the rest
	// from their features: the features carry what the classifier has
	// not learnt to ignore (the colour of a glyph, say), the logits its
	// invariances. In [0, 1]; 0: features only. Measured: 0.9 labels
	// better than the classifier itself on MNIST, Fashion-MNIST and a
	// colour set where features alone did worse than it on two of them.
	Logits float64
	// Pixels builds the graph on the images themselves instead of the
	// discriminator's features: the classic method, a reference that no
	// training can spoil.
	Pixels bool
	// Seed seeds the sample and the random projection.
	Seed uint64
}

func (o PropagateOptions) withDefaults() PropagateOptions {
	if o.Neighbours == 0 {
		o.Neighbours = 10
	}
	if o.Dims == 0 {
		o.Dims = 64
	}
	if o.Sample == 0 {
		o.Sample = 4096
	}
	if o.Iterations == 0 {
		o.Iterations = 200
	}
	return o
}

// Propagation is the result of Model.Propagate: for each example of the
// unlabelled set, the class its label propagation gives and how certain
// that is.
type Propagation struct {
	// Labels holds the propagated class of each unlabelled example.
	Labels []int
	// Certainty holds, for each unlabelled example, the rank of its
	// margin between the two best class scores among all unlabelled
	// examples, in (0, 1]: 1 for the most certain.
	Certainty []float32
	// CV is the share of labelled examples that propagation from the
	// other folds labels right (PropagateOptions.Folds), over the
	// features alone (or the pixels), NaN when not cross-validated: an
	// estimate, without test labels, of how well the features'
	// neighbourhoods follow the classes.
	CV float64
	// Embed, Graph and Solve are the times the three stages took: the
	// features and their principal directions, the neighbour search, and
	// Poisson learning.
	Embed, Graph, Solve time.Duration
}

// Propagate labels the examples of unl from those of lab by Poisson
// learning over a k-nearest-neighbour graph of all of them, built in the
// space of the discriminator's features (the weight average's), reduced
// to their principal directions. unl may hold the labelled examples too.
func (m *Model) Propagate(lab, unl []float32, labels []int, opts PropagateOptions) (*Propagation, error) {
	c := m.cfg
	F := c.Channels * c.Height * c.Width
	if len(lab)%F != 0 || len(unl)%F != 0 || len(lab)/F != len(labels) {
		return nil, fmt.Errorf("sgan: Propagate: %d labelled values with %d labels and %d unlabelled values are not whole %d×%d×%d examples",
			len(lab), len(labels), len(unl), c.Channels, c.Height, c.Width)
	}
	for i, y := range labels {
		if y < 0 || y >= c.Classes {
			return nil, fmt.Errorf("sgan: Propagate: labelled example %d: label %d out of range [0, %d)", i, y, c.Classes)
		}
	}
	return m.propagate(func(dst []float32, i int) { copy(dst, lab[i*F:(i+1)*F]) },
		func(dst []float32, i int) { copy(dst, unl[i*F:(i+1)*F]) }, len(labels), len(unl)/F, labels, opts)
}

// propagate is Propagate over nL labelled and nU unlabelled examples
// that lab and unl write, one at a time, into a buffer of F values.
func (m *Model) propagate(lab, unl func(dst []float32, i int), nL, nU int, labels []int, opts PropagateOptions) (*Propagation, error) {
	c := m.cfg
	opts = opts.withDefaults()
	if opts.Neighbours < 1 || opts.Dims < 1 || opts.Sample < 2 || opts.Iterations < 1 || !(opts.Logits >= 0 && opts.Logits <= 1) {
		return nil, fmt.Errorf("sgan: Propagate: bad options %+v", opts)
	}
	if opts.Prior != nil && len(opts.Prior) != c.Classes {
		return nil, fmt.Errorf("sgan: Propagate: %d prior weights for %d classes", len(opts.Prior), c.Classes)
	}
	n := nL + nU
	if nL == 0 || n <= opts.Neighbours {
		return nil, fmt.Errorf("sgan: Propagate: %d labelled and %d unlabelled examples are too few for %d neighbours", nL, nU, opts.Neighbours)
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 5))
	t0 := time.Now()
	emb, err := m.embed(func(dst []float32, i int) {
		if i < nL {
			lab(dst, i)
			return
		}
		unl(dst, i-nL)
	}, n, opts.Dims, opts.Sample, opts.Pixels, opts.Logits, rng)
	if err != nil {
		return nil, err
	}
	d := len(emb) / n
	t1 := time.Now()
	g := newKNNGraph(emb, n, d, opts.Neighbours)
	t2 := time.Now()
	idx := make([]int, nL)
	for i := range idx {
		idx[i] = i
	}
	scores := g.poisson(idx, labels, c.Classes, opts.Iterations, opts.Prior)
	K := c.Classes
	cv := math.NaN()
	if opts.Folds >= 2 {
		cg := g
		if dl := d - K; opts.Logits > 0 && dl > 0 {
			// the logits have been fitted to the labelled examples, so a
			// graph that uses them cross-validates too well: the
			// estimate is the features' alone
			f := make([]float32, n*dl)
			for i := range n {
				copy(f[i*dl:(i+1)*dl], emb[i*d:i*d+dl])
			}
			normalize(f, dl)
			cg = newKNNGraph(f, n, dl, opts.Neighbours)
		}
		// half the iterations: an estimate, at a third of the cost
		cv = cg.crossValidate(labels, K, opts.Folds, max(opts.Iterations/2, 1), opts.Prior)
	}
	if opts.Balance {
		balanceScores(scores[nL*K:], K, opts.Prior)
	}
	p := &Propagation{Labels: make([]int, nU), CV: cv, Embed: t1.Sub(t0), Graph: t2.Sub(t1), Solve: time.Since(t2)}
	margins := make([]float64, nU)
	for i := range nU {
		row := scores[(nL+i)*K : (nL+i+1)*K]
		best, second := 0, -1
		for k := 1; k < K; k++ {
			switch {
			case row[k] > row[best]:
				best, second = k, best
			case second < 0 || row[k] > row[second]:
				second = k
			}
		}
		p.Labels[i] = best
		margins[i] = row[best] - row[second]
	}
	p.Certainty = rankOf(margins)
	return p, nil
}

// balanceScores adds to each class's column of the n×K scores s one
// offset, found by iteration, so that the rows' argmax classes come in
// the proportions of prior (uniform when nil) to within 1 % of n, or as
// close as 200 rounds get.
func balanceScores(s []float64, K int, prior []float64) {
	n := len(s) / K
	if n == 0 {
		return
	}
	target := make([]float64, K)
	for k := range K {
		target[k] = float64(n) / float64(K)
		if prior != nil {
			target[k] = float64(n) * prior[k]
		}
	}
	// the step: a fraction of the scores' spread
	var mean, sq float64
	for _, v := range s {
		mean += v
		sq += v * v
	}
	mean /= float64(len(s))
	spread := math.Sqrt(max(sq/float64(len(s))-mean*mean, 1e-12))
	bias := make([]float64, K)
	counts := make([]float64, K)
	step := 0.1 * spread
	for round := range 200 {
		clear(counts)
		for i := range n {
			row := s[i*K : (i+1)*K]
			best := 0
			for k := 1; k < K; k++ {
				if row[k]+bias[k] > row[best]+bias[best] {
					best = k
				}
			}
			counts[best]++
		}
		worst := 0.0
		for k := range K {
			worst = max(worst, math.Abs(counts[k]-target[k]))
		}
		if worst <= 0.01*float64(n) {
			break
		}
		for k := range K {
			bias[k] += step * (target[k] - counts[k]) / float64(n) * float64(K)
		}
		if round%50 == 49 {
			step /= 2
		}
	}
	for i := range n {
		for k := range K {
			s[i*K+k] += bias[k]
		}
	}
}

// rankOf returns, for each value of v, its rank among them scaled to
// (0, 1]: 1 for the largest, equal values sharing the highest rank.
func rankOf(v []float64) []float32 {
	order := make([]int, len(v))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case v[a] < v[b]:
			return -1
		case v[a] > v[b]:
			return 1
		}
		return 0
	})
	r := make([]float32, len(v))
	for pos := 0; pos < len(order); {
		end := pos + 1
		for end < len(order) && v[order[end]] == v[order[pos]] {
			end++
		}
		for _, i := range order[pos:end] {
			r[i] = float32(end) / float32(len(v))
		}
		pos = end
	}
	return r
}

// embed returns unit-length embeddings (n×d) of the n examples that
// example(i) returns: the weight-averaged discriminator's features (or
// the images themselves when pixels is set), scaled to unit length,
// centred and projected on the top dims principal directions of a
// sample of them (randomized PCA, Halko et al. 2011), then scaled to unit
// length again; with mix > 0, followed by the centred logits at unit
// length, the two parts weighted √(1−mix) and √mix so that the cosine
// similarity is (1−mix)·that of the features + mix·that of the logits.
func (m *Model) embed(example func(dst []float32, i int), n, dims, sample int, pixels bool, mix float64, rng *rand.Rand) ([]float32, error) {
	c := m.cfg
	F := c.Channels * c.Height * c.Width
	const chunk = 2048
	x := make([]float32, min(chunk, n)*F)
	var logits []float32 // the chunk's logits, mixed into the embedding when mix > 0
	features := func(idx []int) ([]float32, int, error) {
		for j, i := range idx {
			example(x[j*F:(j+1)*F], i)
		}
		f := x[:len(idx)*F]
		if !pixels {
			l, feat, err := m.runInfer(x[:len(idx)*F], len(idx), true)
			if err != nil {
				return nil, 0, err
			}
			f, logits = feat, l
		}
		D := len(f) / len(idx)
		normalize(f, D)
		return f, D, nil
	}
	if pixels {
		mix = 0
	}
	// the principal directions of a random sample
	s := min(sample, n)
	pick := rng.Perm(n)[:s]
	slices.Sort(pick)
	var fs []float32
	D := 0
	for lo := 0; lo < s; lo += chunk {
		f, d, err := features(pick[lo:min(lo+chunk, s)])
		if err != nil {
			return nil, err
		}
		fs, D = append(fs, f...), d
	}
	mean, basis := principal(fs, s, D, min(dims, D, s), rng)
	d := len(basis) / D
	// every example, projected
	K := c.Classes
	proj := make([]float32, n*d)
	var lg []float32
	if mix > 0 {
		lg = make([]float32, n*K)
	}
	idx := make([]int, 0, chunk)
	for lo := 0; lo < n; lo += chunk {
		idx = idx[:0]
		for i := lo; i < min(lo+chunk, n); i++ {
			idx = append(idx, i)
		}
		f, _, err := features(idx)
		if err != nil {
			return nil, err
		}
		for j := range idx {
			row := f[j*D : (j+1)*D]
			for k := range row {
				row[k] -= mean[k]
			}
		}
		G.WhichBLAS().Sgemm(blas.NoTrans, blas.NoTrans, len(idx), d, D, 1, f, D, basis, d, 0, proj[lo*d:], d)
		if lg != nil {
			copy(lg[lo*K:], logits[:len(idx)*K])
		}
	}
	normalize(proj, d)
	if lg == nil {
		return proj, nil
	}
	for i := range n {
		row := lg[i*K : (i+1)*K]
		var mean float32
		for _, v := range row {
			mean += v / float32(K)
		}
		for j := range row {
			row[j] -= mean
		}
	}
	normalize(lg, K)
	out := make([]float32, n*(d+K))
	a, b := float32(math.Sqrt(1-mix)), float32(math.Sqrt(mix))
	for i := range n {
		for j, v := range proj[i*d : (i+1)*d] {
			out[i*(d+K)+j] = a * v
		}
		for j, v := range lg[i*K : (i+1)*K] {
			out[i*(d+K)+d+j] = b * v
		}
	}
	return out, nil
}

// principal returns the mean of the n rows of x (n×D) and the top k
// principal directions of the centred rows, as the columns of a D×k'
// matrix (k' ≤ k), by randomized PCA with one power iteration.
func principal(x []float32, n, D, k int, rng *rand.Rand) (mean, basis []float32) {
	mean = make([]float32, D)
	for i := range n {
		for j, v := range x[i*D : (i+1)*D] {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float32(n)
	}
	a := mat.NewDense(n, D, nil)
	for i := range n {
		for j := range D {
			a.Set(i, j, float64(x[i*D+j]-mean[j]))
		}
	}
	p := min(k+10, D, n)
	omega := mat.NewDense(D, p, nil)
	for i := range D {
		for j := range p {
			omega.Set(i, j, rng.NormFloat64())
		}
	}
	var y, z mat.Dense
	y.Mul(a, omega)
	z.Mul(a.T(), &y) // one power iteration: A Aᵀ A Ω
	y.Mul(a, &z)
	orthonormalize(&y)
	var b mat.Dense
	b.Mul(y.T(), a) // p×D
	var svd mat.SVD
	if !svd.Factorize(&b, mat.SVDThin) {
		// cannot happen for finite input; fall back to the sampled range
		k = min(k, p)
		basis = make([]float32, D*k)
		for i := range D {
			for j := range k {
				basis[i*k+j] = float32(z.At(i, j))
			}
		}
		return mean, basis
	}
	var v mat.Dense
	svd.VTo(&v) // D×p
	k = min(k, p)
	basis = make([]float32, D*k)
	for i := range D {
		for j := range k {
			basis[i*k+j] = float32(v.At(i, j))
		}
	}
	return mean, basis
}

// orthonormalize replaces the columns of y (n×p, n ≥ p) by an
// orthonormal basis of their span, by modified Gram–Schmidt done twice
// (enough for orthogonality to rounding); a column that adds nothing to
// the span of those before it becomes zero. It is the thin Q of y's QR
// factorization, without the n×n matrix that gonum's QR.QTo makes (134 MB
// for the 4,096 examples a propagation samples).
func orthonormalize(y *mat.Dense) {
	_, p := y.Dims()
	col := make([][]float64, p)
	for j := range p {
		col[j] = mat.Col(nil, j, y)
	}
	for j := range p {
		c := col[j]
		norm0 := floats.Norm(c, 2)
		for range 2 {
			for i := range j {
				floats.AddScaled(c, -floats.Dot(col[i], c), col[i])
			}
		}
		if norm := floats.Norm(c, 2); norm > 1e-10*norm0 && norm > 0 {
			floats.Scale(1/norm, c)
		} else {
			clear(c)
		}
		y.SetCol(j, c)
	}
}

// knnGraph is a symmetric weighted k-nearest-neighbour graph in CSR
// form.
type knnGraph struct {
	n      int
	start  []int // row i's edges are [start[i], start[i+1])
	to     []int32
	weight []float64
	degree []float64
}

// newKNNGraph links each of the n unit rows of x (n×d) to its k nearest
// neighbours by cosine similarity (an exact search, one matrix product
// per block of rows), weights each link exp(−4‖x_i−x_j‖²/r_i²) with r_i
// the distance to i's k-th neighbour (Calder et al.), and symmetrises:
// w_ij = (w_i→j + w_j→i)/2.
func newKNNGraph(x []float32, n, d, k int) *knnGraph {
	nbr := make([]int32, n*k)
	sim := make([]float32, n*k)
	const block = 128
	workers := max(1, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := make([]float32, block*n)
			for lo := range next {
				hi := min(lo+block, n)
				G.WhichBLAS().Sgemm(blas.NoTrans, blas.Trans, hi-lo, n, d, 1, x[lo*d:], d, x, d, 0, s, n)
				for i := lo; i < hi; i++ {
					topK(s[(i-lo)*n:(i-lo+1)*n], i, nbr[i*k:(i+1)*k], sim[i*k:(i+1)*k])
				}
			}
		}()
	}
	for lo := 0; lo < n; lo += block {
		next <- lo
	}
	close(next)
	wg.Wait()

	// directed weights, then the symmetric CSR graph
	type edge struct {
		j int32
		w float64
	}
	out := make([][]edge, n)
	for i := range n {
		r2 := 2 - 2*float64(sim[i*k+k-1]) // squared distance of unit vectors
		if r2 < 1e-12 {
			r2 = 1e-12
		}
		for t := range k {
			j := nbr[i*k+t]
			d2 := max(2-2*float64(sim[i*k+t]), 0)
			w := math.Exp(-4*d2/r2) / 2
			out[i] = append(out[i], edge{j, w})
			out[j] = append(out[j], edge{int32(i), w})
		}
	}
	g := &knnGraph{n: n, start: make([]int, n+1), degree: make([]float64, n)}
	for i := range n {
		es := out[i]
		slices.SortFunc(es, func(a, b edge) int { return int(a.j) - int(b.j) })
		for t := 0; t < len(es); {
			j, w := es[t].j, es[t].w
			for t++; t < len(es) && es[t].j == j; t++ {
				w += es[t].w
			}
			g.to = append(g.to, j)
			g.weight = append(g.weight, w)
			g.degree[i] += w
		}
		g.start[i+1] = len(g.to)
	}
	return g
}

// topK writes into nbr and sim the k largest values of s and their
// indices, largest first, leaving out index self.
func topK(s []float32, self int, nbr []int32, sim []float32) {
	k := len(nbr)
	filled := 0
	for j, v := range s {
		if j == self || (filled == k && v <= sim[k-1]) {
			continue
		}
		// insert into the sorted list
		p := min(filled, k-1)
		for p > 0 && sim[p-1] < v {
			if p < k {
				sim[p], nbr[p] = sim[p-1], nbr[p-1]
			}
			p--
		}
		sim[p], nbr[p] = v, int32(j)
		if filled < k {
			filled++
		}
	}
}

// poisson runs Poisson learning on the graph for the labelled nodes lab
// of classes labels: the sources b_i = e_{y_i} − ȳ at the labelled nodes,
// iterated u ← D⁻¹(b + W u) from 0, iters times. The scores (n×K) are
// scaled by prior_k/share_k, the class prior (uniform when nil) over the
// share of the labels.
func (g *knnGraph) poisson(lab, labels []int, K, iters int, prior []float64) []float64 {
	n := g.n
	share := make([]float64, K)
	for _, y := range labels {
		share[y] += 1 / float64(len(labels))
	}
	b := make([]float64, n*K)
	for t, i := range lab {
		for k := range K {
			b[i*K+k] -= share[k]
		}
		b[i*K+labels[t]]++
	}
	u, next := make([]float64, n*K), make([]float64, n*K)
	for range iters {
		g.parallelRows(func(lo, hi int) {
			for i := lo; i < hi; i++ {
				row := next[i*K : (i+1)*K]
				copy(row, b[i*K:(i+1)*K])
				for e := g.start[i]; e < g.start[i+1]; e++ {
					j, w := int(g.to[e]), g.weight[e]
					for k, v := range u[j*K : (j+1)*K] {
						row[k] += w * v
					}
				}
				inv := 1 / g.degree[i]
				for k := range row {
					row[k] *= inv
				}
			}
		})
		u, next = next, u
	}
	for k := range K {
		p := 1 / float64(K)
		if prior != nil {
			p = prior[k]
		}
		scale := 0.0
		if share[k] > 0 {
			scale = p / share[k]
		}
		for i := range n {
			u[i*K+k] *= scale
		}
	}
	return u
}

// crossValidate splits the labelled nodes 0 … len(labels)−1 into folds
// stratified by class (the t-th example of each class goes to fold t mod
// folds), propagates each fold's labels from the other folds, and
// returns the share of labelled nodes labelled right.
func (g *knnGraph) crossValidate(labels []int, K, folds, iters int, prior []float64) float64 {
	fold := make([]int, len(labels))
	seen := make([]int, K)
	for i, y := range labels {
		fold[i] = seen[y] % folds
		seen[y]++
	}
	right := 0
	for f := range folds {
		var lab, ys []int
		for i, y := range labels {
			if fold[i] != f {
				lab, ys = append(lab, i), append(ys, y)
			}
		}
		if len(lab) == 0 {
			continue
		}
		u := g.poisson(lab, ys, K, iters, prior)
		for i, y := range labels {
			if fold[i] == f && argmaxF64(u[i*K:(i+1)*K]) == y {
				right++
			}
		}
	}
	return float64(right) / float64(len(labels))
}

func argmaxF64(v []float64) int {
	best := 0
	for k := range v {
		if v[k] > v[best] {
			best = k
		}
	}
	return best
}

// parallelRows runs f over the graph's rows split among the cores.
func (g *knnGraph) parallelRows(f func(lo, hi int)) {
	workers := max(1, runtime.GOMAXPROCS(0))
	per := (g.n + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < g.n; lo += per {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			f(lo, hi)
		}(lo, min(lo+per, g.n))
	}
	wg.Wait()
}
