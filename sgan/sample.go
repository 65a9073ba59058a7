package sgan

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// A Sample is one generated example with the classifier's verdict, as
// Model.Sample passes it on.
type Sample struct {
	// Z is the latent vector, LatentDim values.
	Z []float32
	// Image is the generated image, Channels·Height·Width values in
	// [-1, 1].
	Image []float32
	// Asked is the class a Conditional model generated the image as (the
	// class SampleOptions.Classes chose; without Classes, example i of
	// each chunk is class i mod K, as with GenerateFrom); -1 for an
	// unconditional model.
	Asked int
	// Class is the classifier's most probable class for the image and
	// Prob its probability (with the weight average when EMA is on); -1
	// and 0 with SampleOptions.NoClassify.
	Class int
	Prob  float64
}

// SampleOptions control Model.Sample. MaxDraws must be set; the zero
// value of every other field is its default.
type SampleOptions struct {
	// MinConfidence is the probability of its most probable class that an
	// example needs to be passed on; the others are drawn, and counted,
	// but dropped. 0 passes every example.
	MinConfidence float64
	// MaxDraws caps the number of latent vectors drawn. Must be positive.
	MaxDraws int
	// Chunk is the number of latent vectors drawn, generated and
	// classified together; default 1000. Sample draws whole chunks (the
	// last one no larger than the draws left), so Chunk also sets how far
	// rng has advanced when yield stops in the middle of one.
	Chunk int
	// Classes, for a Conditional model only, is called before each chunk
	// and returns the classes to generate in it, in equal shares of the
	// chunk, class by class; Sample ends when it returns none. A chunk
	// with fewer draws left than classes draws one example of each, so
	// the draws can exceed MaxDraws by len(classes)−1.
	Classes func() []int
	// NoClassify skips the classifier: every example is passed on with
	// Class −1, and MinConfidence must be 0.
	NoClassify bool
}

// Sample is the sampling loop under Synthesize, LatentClasses and
// LatentOfClass: it draws latent vectors with rng (a fresh stream of the
// model's seed when nil, the one Generate uses), a chunk at a time,
// generates their images (on a Conditional model, as the classes
// opts.Classes asks for), classifies them with PredictProba and calls
// yield with each example whose most probable class has a probability of
// at least opts.MinConfidence, in the order drawn, until yield returns
// false or opts.MaxDraws latent vectors have been drawn. It returns the
// number drawn, counting the whole of the last chunk.
//
// The slices of a Sample are not reused: yield may keep them. The same
// rng state and options give the same draws in the same order.
func (m *Model) Sample(opts SampleOptions, rng *rand.Rand, yield func(Sample) bool) (drawn int, err error) {
	c := m.cfg
	chunk := opts.Chunk
	switch {
	case m.gen == nil || m.gen.Net == nil:
		return 0, fmt.Errorf("sgan: sample: the model has no generator")
	case yield == nil:
		return 0, fmt.Errorf("sgan: sample: nil yield function")
	case opts.MaxDraws <= 0:
		return 0, fmt.Errorf("sgan: sample: MaxDraws %d, need a positive cap on the draws", opts.MaxDraws)
	case chunk < 0:
		return 0, fmt.Errorf("sgan: sample: negative Chunk %d", chunk)
	case math.IsNaN(opts.MinConfidence) || opts.MinConfidence > 1:
		return 0, fmt.Errorf("sgan: sample: MinConfidence %g is not a probability", opts.MinConfidence)
	case opts.NoClassify && opts.MinConfidence > 0:
		return 0, fmt.Errorf("sgan: sample: MinConfidence %g needs the classifier, and NoClassify is set", opts.MinConfidence)
	case opts.Classes != nil && !c.Conditional:
		return 0, fmt.Errorf("sgan: sample: Classes set, but the model is not conditional (ModelConfig.Conditional)")
	}
	if chunk == 0 {
		chunk = 1000
	}
	rng = m.genRNG(rng)
	K, Z, F := c.Classes, c.LatentDim, c.Channels*c.Height*c.Width
	for drawn < opts.MaxDraws {
		n := min(chunk, opts.MaxDraws-drawn)
		var z, x []float32
		asked := make([]int, 0, n)
		switch {
		case opts.Classes != nil:
			classes := opts.Classes()
			if len(classes) == 0 {
				return drawn, nil
			}
			per := max(1, n/len(classes))
			for _, k := range classes {
				if k < 0 || k >= K {
					return drawn, fmt.Errorf("sgan: sample: Classes returned class %d, outside [0, %d)", k, K)
				}
				// as GenerateClass: draw, then generate, class by class
				zk := m.drawZ(per, rng)
				y := make([]float32, per*K)
				for i := range per {
					y[i*K+k] = 1
					asked = append(asked, k)
				}
				xk, err := m.generate(zk, y)
				if err != nil {
					return drawn, err
				}
				z, x = append(z, zk...), append(x, xk...)
			}
			n = len(asked)
		default:
			z = m.drawZ(n, rng)
			var err error
			if x, err = m.GenerateFrom(z); err != nil {
				return drawn, err
			}
			for i := range n {
				if c.Conditional {
					asked = append(asked, i%K) // GenerateFrom's classes
				} else {
					asked = append(asked, -1)
				}
			}
		}
		drawn += n
		var p []float32
		if !opts.NoClassify {
			var err error
			if p, err = m.PredictProba(x); err != nil {
				return drawn, err
			}
		}
		for i := range n {
			s := Sample{
				Z:     z[i*Z : (i+1)*Z : (i+1)*Z],
				Image: x[i*F : (i+1)*F : (i+1)*F],
				Asked: asked[i],
				Class: -1,
			}
			if p != nil {
				row := p[i*K : (i+1)*K]
				s.Class = argmax(row)
				s.Prob = float64(row[s.Class])
				if s.Prob < opts.MinConfidence {
					continue
				}
			}
			if !yield(s) {
				return drawn, nil
			}
		}
	}
	return drawn, nil
}

// LatentOfClass returns n latent vectors, row-major (n, LatentDim), whose
// generated images the classifier puts in class k: the first n such
// examples of Sample with opts, drawn with rng (a fresh stream of the
// model's seed when nil). opts.MaxDraws defaults to 200·n·K here. On a
// Conditional model the images are generated as class k (opts.Classes
// must be nil) and the classifier must agree. When MaxDraws draws do not
// give n, it returns an error saying how many they gave.
func (m *Model) LatentOfClass(k, n int, opts SampleOptions, rng *rand.Rand) ([]float32, error) {
	c := m.cfg
	switch {
	case k < 0 || k >= c.Classes:
		return nil, fmt.Errorf("sgan: latent of class: class %d out of range [0, %d)", k, c.Classes)
	case n <= 0:
		return nil, fmt.Errorf("sgan: latent of class: %d latent vectors, need a positive number", n)
	case opts.Classes != nil || opts.NoClassify:
		return nil, fmt.Errorf("sgan: latent of class: Classes and NoClassify are its own to set")
	}
	if opts.MaxDraws == 0 {
		opts.MaxDraws = 200 * n * c.Classes
	}
	if c.Conditional {
		opts.Classes = func() []int { return []int{k} }
	}
	out := make([]float32, 0, n*c.LatentDim)
	drawn, err := m.Sample(opts, rng, func(s Sample) bool {
		if s.Class == k {
			out = append(out, s.Z...)
		}
		return len(out) < n*c.LatentDim
	})
	if err != nil {
		return nil, err
	}
	if got := len(out) / c.LatentDim; got < n {
		return nil, fmt.Errorf("sgan: latent of class: %d draws gave %d of %d latent vectors whose image is class %d with confidence ≥ %g",
			drawn, got, n, k, opts.MinConfidence)
	}
	return out, nil
}

// SteerRates measures how often steering works. For each α of alphas it
// moves every latent vector of starts (row-major, n×LatentDim) by α·dir
// (as Steer does), generates the images and returns the share of them
// that the classifier puts in class to. With starts of class a
// (LatentOfClass) and dir = LatentClasses.Direction(a, b), rates[i] is
// the share of class-a examples that a step αᵢ·(mean_b − mean_a) turns
// into class b. A Conditional model takes its class from the class code,
// not from z, and is refused.
func (m *Model) SteerRates(starts, dir []float32, to int, alphas []float64) ([]float64, error) {
	c := m.cfg
	Z := c.LatentDim
	switch {
	case c.Conditional:
		return nil, fmt.Errorf("sgan: steer rates: a Conditional model's class is its class code; mix codes with GenerateFromClasses instead")
	case len(starts) == 0 || len(starts)%Z != 0:
		return nil, fmt.Errorf("sgan: steer rates: %d start values are not n×%d latent vectors", len(starts), Z)
	case len(dir) != Z:
		return nil, fmt.Errorf("sgan: steer rates: direction of length %d, latent vectors of %d", len(dir), Z)
	case to < 0 || to >= c.Classes:
		return nil, fmt.Errorf("sgan: steer rates: class %d out of range [0, %d)", to, c.Classes)
	case len(alphas) == 0:
		return nil, fmt.Errorf("sgan: steer rates: no step sizes")
	}
	for _, a := range alphas {
		if math.IsNaN(a) || math.IsInf(a, 0) {
			return nil, fmt.Errorf("sgan: steer rates: step size %v", a)
		}
	}
	n := len(starts) / Z
	rates := make([]float64, len(alphas))
	z := make([]float32, len(starts))
	for ai, a := range alphas {
		for i, v := range starts {
			z[i] = v + float32(a)*dir[i%Z]
		}
		x, err := m.GenerateFrom(z)
		if err != nil {
			return nil, err
		}
		pred, err := m.Predict(x)
		if err != nil {
			return nil, err
		}
		hit := 0
		for _, k := range pred {
			if k == to {
				hit++
			}
		}
		rates[ai] = float64(hit) / float64(n)
	}
	return rates, nil
}
