package sgan

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// blobs returns n unit vectors of dimension d around K well separated
// random centres (n/K each, class i%K) and their classes.
func blobs(n, d, K int, spread float64, rng *rand.Rand) ([]float32, []int) {
	centres := make([][]float64, K)
	for k := range centres {
		centres[k] = make([]float64, d)
		for j := range d {
			centres[k][j] = rng.NormFloat64()
		}
	}
	x := make([]float32, n*d)
	y := make([]int, n)
	for i := range n {
		y[i] = i % K
		for j := range d {
			x[i*d+j] = float32(centres[y[i]][j] + spread*rng.NormFloat64())
		}
	}
	normalize(x, d)
	return x, y
}

// topK finds what a full sort finds, for random inputs with and without
// ties.
func TestTopK(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct{ n, k, levels int }{{50, 5, 0}, {50, 10, 4}, {11, 10, 0}, {300, 1, 0}} {
		s := make([]float32, tc.n)
		for i := range s {
			s[i] = float32(rng.Float64())
			if tc.levels > 0 {
				s[i] = float32(rng.IntN(tc.levels))
			}
		}
		self := rng.IntN(tc.n)
		nbr, sim := make([]int32, tc.k), make([]float32, tc.k)
		topK(s, self, nbr, sim)
		var want []float32
		for j, v := range s {
			if j != self {
				want = append(want, v)
			}
		}
		sort.Slice(want, func(a, b int) bool { return want[a] > want[b] })
		if !slices.Equal(sim, want[:tc.k]) {
			t.Errorf("%+v: similarities %v, want %v", tc, sim, want[:tc.k])
		}
		for p, j := range nbr {
			if int(j) == self || s[j] != sim[p] {
				t.Errorf("%+v: neighbour %d is %d (self %d), similarity %v, want %v", tc, p, j, self, s[j], sim[p])
			}
		}
	}
}

// Poisson learning over the kNN graph of separated clusters labels every
// point with its cluster's class from a few labels per cluster; the
// graph is symmetric.
func TestPoissonLearnsClusters(t *testing.T) {
	for _, tc := range []struct {
		name       string
		n, d, K, k int
		perClass   int
		iters      int
	}{
		{"3 classes, 200 iterations", 600, 16, 3, 10, 3, 200},
		{"10 classes, 100 iterations", 2000, 32, 10, 8, 2, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, uint64(tc.n)))
			x, y := blobs(tc.n, tc.d, tc.K, 0.3, rng)
			g := newKNNGraph(x, tc.n, tc.d, tc.k)
			for i := range g.n {
				for e := g.start[i]; e < g.start[i+1]; e++ {
					j := int(g.to[e])
					back := -1.0
					for f := g.start[j]; f < g.start[j+1]; f++ {
						if int(g.to[f]) == i {
							back = g.weight[f]
						}
					}
					if back != g.weight[e] || j == i {
						t.Fatalf("edge %d→%d weight %v, back %v", i, j, g.weight[e], back)
					}
				}
			}
			var lab, labels []int
			for i := range tc.K * tc.perClass {
				lab, labels = append(lab, i), append(labels, y[i])
			}
			u := g.poisson(lab, labels, tc.K, tc.iters, nil)
			wrong := 0
			for i := range tc.n {
				if argmaxF64(u[i*tc.K:(i+1)*tc.K]) != y[i] {
					wrong++
				}
			}
			if wrong > tc.n/100 {
				t.Errorf("%d of %d points labelled wrongly", wrong, tc.n)
			}
			// the labelled nodes cross-validate: each fold from the others
			if cv := g.crossValidate(labels, tc.K, 2, tc.iters, nil); cv < 0.99 {
				t.Errorf("cross-validated share %v", cv)
			}
			// shuffled labels do not
			shuffled := make([]int, len(labels))
			for i := range shuffled {
				shuffled[i] = (i / tc.K) % tc.K // within a class's cluster, the labels vary
			}
			if cv := g.crossValidate(shuffled, tc.K, 2, tc.iters, nil); cv > 0.6 {
				t.Errorf("labels unrelated to the clusters cross-validate at %v", cv)
			}
		})
	}
}

// principal finds the directions of a planted low-rank structure: the
// variance the basis keeps is almost all of it.
func TestPrincipalFindsPlantedSubspace(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 5))
	const n, D, r = 500, 60, 4
	dirs := make([][]float64, r)
	for k := range dirs {
		dirs[k] = make([]float64, D)
		for j := range D {
			dirs[k][j] = rng.NormFloat64()
		}
	}
	x := make([]float32, n*D)
	for i := range n {
		for k := range r {
			a := 3 * rng.NormFloat64()
			for j := range D {
				x[i*D+j] += float32(a * dirs[k][j])
			}
		}
		for j := range D {
			x[i*D+j] += float32(0.01*rng.NormFloat64()) + 5 // an offset the mean removes
		}
	}
	mean, basis := principal(x, n, D, r, rng)
	k := len(basis) / D
	if k != r {
		t.Fatalf("%d directions, want %d", k, r)
	}
	var total, kept float64
	for i := range n {
		for j := range D {
			v := float64(x[i*D+j] - mean[j])
			total += v * v
		}
		for c := range k {
			var p float64
			for j := range D {
				p += float64(x[i*D+j]-mean[j]) * float64(basis[j*k+c])
			}
			kept += p * p
		}
	}
	if kept < 0.999*total || math.IsNaN(kept) {
		t.Errorf("the basis keeps %.4f of the variance", kept/total)
	}
}

func TestRankOf(t *testing.T) {
	for _, tc := range []struct {
		v    []float64
		want []float32
	}{
		{[]float64{3, 1, 2}, []float32{1, 1.0 / 3, 2.0 / 3}},
		{[]float64{1, 1, 0, 2}, []float32{0.75, 0.75, 0.25, 1}},
		{[]float64{5}, []float32{1}},
	} {
		if got := rankOf(tc.v); !slices.Equal(got, tc.want) {
			t.Errorf("rankOf(%v) = %v, want %v", tc.v, got, tc.want)
		}
	}
}

// balanceScores shifts the classes' scores until the argmax classes
// follow the prior, and leaves balanced scores alone.
func TestBalanceScores(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	const n, K = 3000, 4
	for _, prior := range [][]float64{nil, {0.1, 0.2, 0.3, 0.4}} {
		s := make([]float64, n*K)
		for i := range n {
			for k := range K {
				s[i*K+k] = rng.NormFloat64()
			}
			s[i*K] += 1.5 // class 0 wins most rows
		}
		balanceScores(s, K, prior)
		counts := make([]int, K)
		for i := range n {
			counts[argmaxF64(s[i*K:(i+1)*K])]++
		}
		for k := range K {
			want := float64(n) / K
			if prior != nil {
				want = float64(n) * prior[k]
			}
			if math.Abs(float64(counts[k])-want) > 0.011*n {
				t.Errorf("prior %v: class %d has %d rows, want about %.0f", prior, k, counts[k], want)
			}
		}
	}
}

// Model.Propagate checks its input, labels every unlabelled example with
// a certainty in (0, 1], and over the pixels of three bright bands
// labels almost all of them right and cross-validates.
func TestModelPropagate(t *testing.T) {
	m, err := New(tinyConfigBuiltin())
	if err != nil {
		t.Fatal(err)
	}
	lab, unl := propagationSets(15, 90, 2)
	for _, tc := range []struct {
		name   string
		lab    []float32
		labels []int
		opts   PropagateOptions
		wantIn string
	}{
		{"ragged", lab.Values()[:100], lab.Labels, PropagateOptions{}, "whole"},
		{"label out of range", lab.Values(), append(append([]int(nil), lab.Labels[:14]...), 3), PropagateOptions{}, "out of range"},
		{"prior", lab.Values(), lab.Labels, PropagateOptions{Prior: []float64{1, 2}}, "prior"},
		{"neighbours", lab.Values(), lab.Labels, PropagateOptions{Neighbours: 500}, "too few"},
		{"logits share", lab.Values(), lab.Labels, PropagateOptions{Logits: 1.5}, "bad options"},
	} {
		if _, err := m.Propagate(tc.lab, unl.Values(), tc.labels, tc.opts); err == nil || !strings.Contains(err.Error(), tc.wantIn) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.wantIn)
		}
	}
	for _, o := range []PropagateOptions{{}, {Logits: 0.9}, {Pixels: true}} {
		pixels := o.Pixels
		o.Neighbours, o.Dims, o.Folds, o.Balance = 5, 8, 3, true
		p, err := m.Propagate(lab.Values(), unl.Values(), lab.Labels, o)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Labels) != unl.Len() || len(p.Certainty) != unl.Len() || math.IsNaN(p.CV) {
			t.Fatalf("pixels %v: %d labels, %d certainties, cv %v for %d examples", pixels, len(p.Labels), len(p.Certainty), p.CV, unl.Len())
		}
		right := 0
		for i, y := range p.Labels {
			if c := p.Certainty[i]; !(c > 0 && c <= 1) {
				t.Fatalf("certainty %v", c)
			}
			if y == i%3 {
				right++
			}
		}
		if pixels && (right < unl.Len()*9/10 || p.CV < 0.9) {
			t.Errorf("over the pixels of the bands: %d of %d right, cross-validated %v", right, unl.Len(), p.CV)
		}
	}
}

// orthonormalize gives orthonormal columns spanning the input's, and a
// zero column for one that repeats another.
func TestOrthonormalize(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, p = 50, 6
	y := mat.NewDense(n, p, nil)
	for i := range n {
		for j := range p - 1 {
			y.Set(i, j, rng.NormFloat64()*float64(1+100*j))
		}
		y.Set(i, p-1, 3*y.At(i, 1)) // in the span of column 1
	}
	orig := mat.DenseCopyOf(y)
	orthonormalize(y)
	var qtq mat.Dense
	qtq.Mul(y.T(), y)
	for i := range p {
		for j := range p {
			want := 0.0
			if i == j && i < p-1 {
				want = 1
			}
			if d := math.Abs(qtq.At(i, j) - want); d > 1e-12 {
				t.Errorf("QᵀQ[%d][%d] = %g, want %g", i, j, qtq.At(i, j), want)
			}
		}
	}
	var proj, back mat.Dense // Q Qᵀ Y = Y: the span is kept
	proj.Mul(y, y.T())
	back.Mul(&proj, orig)
	if !mat.EqualApprox(&back, orig, 1e-9*mat.Norm(orig, 2)) {
		t.Errorf("Q Qᵀ Y differs from Y")
	}
}
