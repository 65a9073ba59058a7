package main

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/sgan"
)

// Streams of the seed for the tabular demo data (the labelled rows are
// chosen from the stream sgan.StreamSplit, as in the other examples).
const (
	streamDemoModel = 1001 // the classes' parameters
	streamDemoRows  = 1002 // the rows
)

// writeDemo writes the demo files into -out/demo and points o at them.
func writeDemo(o *options, stdout io.Writer) error {
	kind := o.demo
	if kind == "" {
		kind = "mnist"
	}
	or := func(v, def int) int {
		if v > 0 {
			return v
		}
		return def
	}
	split := rand.New(rand.NewPCG(o.seed, sgan.StreamSplit))
	var lab, unl, test *datasets.Set
	var sc datasets.Scale
	var what string
	switch kind {
	case "mnist":
		train, tst, err := datasets.LoadMNIST("")
		if err != nil {
			return err
		}
		if lab, unl, err = train.Split(or(o.demoLabels, 10), split, datasets.SplitOptions{}); err != nil {
			return err
		}
		unl = unl.Head(or(o.demoUnlabelled, 10000))
		test = tst.Head(or(o.demoTest, 2000))
		sc = datasets.Scale255
		what = "MNIST digits, pixels 0..255"
		if !o.shape.set() {
			o.shape = shape{1, 28, 28}
		}
		if o.autoScale {
			o.scale, o.autoScale = datasets.Scale255, false
		}
	case "tabular":
		perClass := or(o.demoLabels, 20)
		g := newClusters(rand.New(rand.NewPCG(o.seed, streamDemoModel)))
		rows := rand.New(rand.NewPCG(o.seed, streamDemoRows))
		pool := g.sample(perClass*g.K+or(o.demoUnlabelled, 4000), rows)
		var err error
		if lab, unl, err = pool.Split(perClass, split, datasets.SplitOptions{}); err != nil {
			return err
		}
		test = g.sample(or(o.demoTest, 2000), rows)
		sc = datasets.ScaleNone
		what = fmt.Sprintf("%d Gaussian classes in %d dimensions", g.K, g.D)
	}

	dir := filepath.Join(o.out, "demo")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	o.labelled = filepath.Join(dir, "real_data.csv")
	o.unlabelled = filepath.Join(dir, "unlabelled_data.csv")
	o.test = filepath.Join(dir, "test_data.csv")
	labelled := datasets.CSVOptions{Header: true, LabelName: "label", LabelColumn: -1, Scale: sc}
	if err := datasets.SaveCSV(o.labelled, lab, labelled); err != nil {
		return err
	}
	if err := datasets.SaveCSV(o.unlabelled, unl, datasets.CSVOptions{Header: true, LabelColumn: -1, Scale: sc}); err != nil {
		return err
	}
	if err := datasets.SaveCSV(o.test, test, labelled); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote the %s demo data (%s) into %s: real_data.csv (%d labelled rows), unlabelled_data.csv (%d rows), test_data.csv (%d rows)\n",
		kind, what, dir, lab.Len(), unl.Len(), test.Len())
	args := ""
	if o.shape.set() {
		args += " -shape " + o.shape.String()
	}
	if kind == "mnist" {
		args += " -scale 255"
	}
	fmt.Fprintf(stdout, "running as: -labelled %s -unlabelled %s -test %s%s\n", o.labelled, o.unlabelled, o.test, args)
	return nil
}

// clusters is the tabular demo's distribution: K Gaussian classes in D
// dimensions. A row's latent vector has the class mean in its first
// three coordinates (the corners of a regular tetrahedron, Sep apart)
// and 0 in the others, plus Gaussian noise of standard deviation 1 in
// the first three and Nuisance in the others; the row is that vector
// rotated by a random orthogonal matrix, so that every feature mixes
// both kinds, and each feature then gets its own scale (10^-2 to 10^3)
// and offset.
type clusters struct {
	K, D          int
	Sep, Nuisance float64
	means         [][]float64 // K latent means
	rot           [][]float64 // D×D orthogonal
	scale, offset []float64
}

func newClusters(rng *rand.Rand) *clusters {
	g := &clusters{K: 4, D: 10, Sep: 4.5, Nuisance: 1}
	corners := [][]float64{{1, 1, 1}, {1, -1, -1}, {-1, 1, -1}, {-1, -1, 1}} // √8 apart
	for k := range g.K {
		m := make([]float64, g.D)
		for j, c := range corners[k] {
			m[j] = c * g.Sep / math.Sqrt(8)
		}
		g.means = append(g.means, m)
	}
	// Gram-Schmidt on a Gaussian matrix
	for len(g.rot) < g.D {
		v := make([]float64, g.D)
		for j := range v {
			v[j] = rng.NormFloat64()
		}
		for _, u := range g.rot {
			d := dot(u, v)
			for j := range v {
				v[j] -= d * u[j]
			}
		}
		if n := math.Sqrt(dot(v, v)); n > 1e-3 {
			for j := range v {
				v[j] /= n
			}
			g.rot = append(g.rot, v)
		}
	}
	for range g.D {
		s := math.Pow(10, -2+5*rng.Float64())
		g.scale = append(g.scale, s)
		g.offset = append(g.offset, s*(20*rng.Float64()-10))
	}
	return g
}

func dot(a, b []float64) float64 {
	s := 0.0
	for j := range a {
		s += a[j] * b[j]
	}
	return s
}

// sample draws n rows, of classes in equal shares in random order.
func (g *clusters) sample(n int, rng *rand.Rand) *datasets.Set {
	s := &datasets.Set{C: 1, H: 1, W: g.D, Classes: g.K, Data: make([]float32, 0, n*g.D), Labels: make([]int, n)}
	for i := range s.Labels {
		s.Labels[i] = i % g.K
	}
	rng.Shuffle(n, func(i, j int) { s.Labels[i], s.Labels[j] = s.Labels[j], s.Labels[i] })
	z := make([]float64, g.D)
	for _, k := range s.Labels {
		for j := range z {
			sd := g.Nuisance
			if j < 3 {
				sd = 1
			}
			z[j] = g.means[k][j] + sd*rng.NormFloat64()
		}
		for j := range g.D {
			s.Data = append(s.Data, float32(g.offset[j]+g.scale[j]*dot(g.rot[j], z)))
		}
	}
	return s
}
