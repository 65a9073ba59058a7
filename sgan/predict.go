package sgan

import (
	"fmt"
	"math/rand/v2"

	"github.com/semigan/semigan/datasets"
)

// Metrics are the results of Evaluate.
type Metrics struct {
	N         int     // examples evaluated
	Errors    int     // examples misclassified
	Accuracy  float64 // (N − Errors) / N
	Confusion [][]int // Confusion[true][predicted]
}

// Logits returns the discriminator's K class logits for the n examples in
// x (row-major (n,C,H,W)), computed by the inference graph with the weight
// average when EMA is on. n may be any number: the last partial batch is
// padded internally.
func (m *Model) Logits(x []float32) ([]float32, error) {
	c := m.cfg
	F := c.Channels * c.Height * c.Width
	if len(x)%F != 0 {
		return nil, fmt.Errorf("sgan: %d input values is not a whole number of %d×%d×%d examples", len(x), c.Channels, c.Height, c.Width)
	}
	n := len(x) / F
	if i := nonFinite(x); i >= 0 {
		return nil, fmt.Errorf("sgan: input example %d has a non-finite value %v", i/F, x[i])
	}
	out, _, err := m.runInfer(x, n, false)
	return out, err
}

// rowsFunc writes examples lo, …, hi−1 into dst, row-major.
type rowsFunc func(dst []float32, lo, hi int)

// sliceRows reads the examples of x, F values each.
func sliceRows(x []float32, F int) rowsFunc {
	return func(dst []float32, lo, hi int) { copy(dst, x[lo*F:hi*F]) }
}

// setRows reads the examples of s, converting a set of pixels to float32
// a batch at a time.
func setRows(s *datasets.Set) rowsFunc {
	F := s.Features()
	return func(dst []float32, lo, hi int) {
		for i := lo; i < hi; i++ {
			s.ReadExample(dst[(i-lo)*F:], i)
		}
	}
}

// runInfer runs the inference graph over the n examples of x and returns
// their logits (n,K) and, when withFeat is set, their feature-layer
// activations (n,F), row-major.
func (m *Model) runInfer(x []float32, n int, withFeat bool) (logits, feat []float32, err error) {
	c := m.cfg
	return m.runInferRows(sliceRows(x, c.Channels*c.Height*c.Width), n, withFeat)
}

// runInferRows is runInfer over examples that rows writes a batch at a
// time.
func (m *Model) runInferRows(rows rowsFunc, n int, withFeat bool) (logits, feat []float32, err error) {
	c := m.cfg
	F := c.Channels * c.Height * c.Width
	ig, err := m.acquireInfer(n)
	if err != nil {
		return nil, nil, err
	}
	defer m.releaseInfer(ig)
	if withFeat && ig.feat == nil {
		return nil, nil, fmt.Errorf("sgan: the discriminator's Feature index %d names no hidden layer", m.disc.Feature)
	}
	E, K := ig.n, c.Classes
	logits = make([]float32, n*K)
	D := 0
	if withFeat {
		D = ig.feat.Shape()[1]
		feat = make([]float32, n*D)
	}
	for lo := 0; lo < n; lo += E {
		hi := min(lo+E, n)
		rows(ig.x, lo, hi)
		clear(ig.x[(hi-lo)*F:])
		ig.vm.Reset()
		if err := ig.vm.RunAll(); err != nil {
			return nil, nil, fmt.Errorf("sgan: inference: %w", err)
		}
		l := ig.logits.Value().Data().([]float32)
		copy(logits[lo*K:hi*K], l[:(hi-lo)*K])
		if withFeat {
			f := ig.feat.Value().Data().([]float32)
			copy(feat[lo*D:hi*D], f[:(hi-lo)*D])
		}
	}
	return logits, feat, nil
}

// Predict returns the most probable class of each example in x.
func (m *Model) Predict(x []float32) ([]int, error) {
	l, err := m.Logits(x)
	if err != nil {
		return nil, err
	}
	return m.argmaxRows(l), nil
}

// argmaxRows returns the class of largest logit of each row of l.
func (m *Model) argmaxRows(l []float32) []int {
	K := m.cfg.Classes
	pred := make([]int, len(l)/K)
	for i := range pred {
		pred[i] = argmax(l[i*K : (i+1)*K])
	}
	return pred
}

// logitsSet returns the class logits of the examples of s, as Logits
// does for their values, reading a set of pixels a batch at a time.
func (m *Model) logitsSet(what string, s *datasets.Set) ([]float32, error) {
	if err := m.checkSet(what, s, false); err != nil {
		return nil, err
	}
	l, _, err := m.runInferRows(setRows(s), s.Len(), false)
	return l, err
}

// PredictSet returns the most probable class of each example of s, as
// Predict does for s's values. A set of pixels is converted to float32 a
// batch at a time, so that a set larger than memory (a folder read
// through its cache file) can be classified.
func (m *Model) PredictSet(s *datasets.Set) ([]int, error) {
	l, err := m.logitsSet("prediction", s)
	if err != nil {
		return nil, err
	}
	return m.argmaxRows(l), nil
}

// PredictProbaSet returns the class probabilities of the examples of s,
// as PredictProba does for s's values, reading s as PredictSet does.
func (m *Model) PredictProbaSet(s *datasets.Set) ([]float32, error) {
	l, err := m.logitsSet("prediction", s)
	if err != nil {
		return nil, err
	}
	softmaxRows(l, m.cfg.Classes)
	return l, nil
}

// softmaxRows replaces each row of K logits of l by its softmax.
func softmaxRows(l []float32, K int) {
	for i := 0; i < len(l); i += K {
		softmaxInPlace(l[i : i+K])
	}
}

// PredictProba returns, for each example in x, the K class probabilities
// (softmax of the logits; the fake class is left out, so each row sums
// to 1), row-major (n,K).
func (m *Model) PredictProba(x []float32) ([]float32, error) {
	l, err := m.Logits(x)
	if err != nil {
		return nil, err
	}
	softmaxRows(l, m.cfg.Classes)
	return l, nil
}

// Evaluate classifies every example of d and compares with its labels.
func (m *Model) Evaluate(d *datasets.Set) (Metrics, error) {
	if err := m.checkSet("evaluation", d, true); err != nil {
		return Metrics{}, err
	}
	l, _, err := m.runInferRows(setRows(d), d.Len(), false)
	if err != nil {
		return Metrics{}, err
	}
	pred := m.argmaxRows(l)
	K := m.cfg.Classes
	met := Metrics{N: len(pred), Confusion: make([][]int, K)}
	for k := range met.Confusion {
		met.Confusion[k] = make([]int, K)
	}
	for i, p := range pred {
		y := d.Labels[i]
		met.Confusion[y][p]++
		if p != y {
			met.Errors++
		}
	}
	met.Accuracy = float64(met.N-met.Errors) / float64(met.N)
	return met, nil
}

// Generate returns n generated examples, row-major (n,C,H,W), with values
// in [-1, 1], from latent vectors drawn with rng (a fresh stream of the
// model's seed when rng is nil). The generator runs in inference mode. A
// Conditional model generates example i as class i mod K.
func (m *Model) Generate(n int, rng *rand.Rand) ([]float32, error) {
	if n < 0 {
		return nil, fmt.Errorf("sgan: Generate: negative count %d", n)
	}
	return m.GenerateFrom(m.drawZ(n, rng))
}

// drawZ draws n latent vectors from N(0, I) with rng, or with a fresh
// stream of the model's seed when rng is nil.
func (m *Model) drawZ(n int, rng *rand.Rand) []float32 {
	rng = m.genRNG(rng)
	z := make([]float32, n*m.cfg.LatentDim)
	for i := range z {
		z[i] = float32(rng.NormFloat64())
	}
	return z
}

// genRNG returns rng, or when it is nil a fresh generator on the seed's
// generation stream.
func (m *Model) genRNG(rng *rand.Rand) *rand.Rand {
	if rng == nil {
		return rand.New(rand.NewPCG(m.cfg.Seed, streamGen))
	}
	return rng
}

// GenerateFrom returns the generator's images for the given latent
// vectors, row-major (n, LatentDim). A Conditional model generates
// example i as class i mod K; GenerateFromClasses chooses the classes.
func (m *Model) GenerateFrom(z []float32) ([]float32, error) {
	var y []float32
	if m.cfg.Conditional {
		K := m.cfg.Classes
		y = make([]float32, len(z)/m.cfg.LatentDim*K)
		fillClasses(y, K)
	}
	return m.generate(z, y)
}

// GenerateClass returns n examples of class k from a Conditional model,
// from latent vectors drawn with rng (a fresh stream of the model's seed
// when rng is nil).
func (m *Model) GenerateClass(k, n int, rng *rand.Rand) ([]float32, error) {
	c := m.cfg
	switch {
	case !c.Conditional:
		return nil, fmt.Errorf("sgan: GenerateClass: the model is not conditional (ModelConfig.Conditional); use Synthesize to label generated examples with the classifier")
	case k < 0 || k >= c.Classes:
		return nil, fmt.Errorf("sgan: GenerateClass: class %d out of range [0, %d)", k, c.Classes)
	case n < 0:
		return nil, fmt.Errorf("sgan: GenerateClass: negative count %d", n)
	}
	y := make([]float32, n*c.Classes)
	for i := 0; i < n; i++ {
		y[i*c.Classes+k] = 1
	}
	return m.generate(m.drawZ(n, rng), y)
}

// GenerateFromClasses returns a Conditional model's images for the latent
// vectors z, row-major (n, LatentDim), and class codes y, row-major
// (n, K). A code is normally one-hot; mixtures such as 0.7·e_3 + 0.3·e_8
// blend classes, which is how a digit is morphed from one class into
// another with z fixed.
func (m *Model) GenerateFromClasses(z, y []float32) ([]float32, error) {
	c := m.cfg
	if !c.Conditional {
		return nil, fmt.Errorf("sgan: GenerateFromClasses: the model is not conditional (ModelConfig.Conditional)")
	}
	if len(z)%c.LatentDim != 0 || len(y) != len(z)/c.LatentDim*c.Classes {
		return nil, fmt.Errorf("sgan: GenerateFromClasses: %d latent values and %d class values are not n×%d and n×%d", len(z), len(y), c.LatentDim, c.Classes)
	}
	if i := nonFinite(y); i >= 0 {
		return nil, fmt.Errorf("sgan: GenerateFromClasses: class code %d has a non-finite value %v", i/c.Classes, y[i])
	}
	return m.generate(z, y)
}

// generate runs the inference generator over z (n, LatentDim) and, for a
// Conditional model, the class codes y (n, K).
func (m *Model) generate(z, y []float32) ([]float32, error) {
	c := m.cfg
	if len(z)%c.LatentDim != 0 {
		return nil, fmt.Errorf("sgan: %d latent values is not a whole number of %d-vectors", len(z), c.LatentDim)
	}
	if i := nonFinite(z); i >= 0 {
		return nil, fmt.Errorf("sgan: latent vector %d has a non-finite value %v", i/c.LatentDim, z[i])
	}
	n := len(z) / c.LatentDim
	m.mu.Lock()
	defer m.mu.Unlock()
	gg, err := m.genGraph(n)
	if err != nil {
		return nil, err
	}
	F := c.Channels * c.Height * c.Width
	B, Z, K := gg.n, c.LatentDim, c.Classes
	out := make([]float32, n*F)
	for lo := 0; lo < n; lo += B {
		hi := min(lo+B, n)
		copy(gg.z, z[lo*Z:hi*Z])
		clear(gg.z[(hi-lo)*Z:])
		if gg.y != nil {
			copy(gg.y, y[lo*K:hi*K])
			clear(gg.y[(hi-lo)*K:])
		}
		gg.vm.Reset()
		if err := gg.vm.RunAll(); err != nil {
			return nil, fmt.Errorf("sgan: generation: %w", err)
		}
		copy(out[lo*F:hi*F], gg.out.Value().Data().([]float32)[:(hi-lo)*F])
	}
	return out, nil
}
