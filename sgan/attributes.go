package sgan

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"

	"github.com/semigan/semigan/datasets"
)

// DirectionOptions control Model.Directions. The zero value is the
// default.
type DirectionOptions struct {
	// Samples is the number of latent vectors drawn and generated
	// (default 5000). Samples × the image size may not exceed 2²⁶
	// values (about 0.8 GB while the principal directions are found).
	Samples int
	// Count is the number of directions returned, the most important
	// first (default 10). At most Samples/2 and the image size.
	Count int
}

// A Direction is a unit vector in the latent space along which the
// generated images change in one of their principal ways.
type Direction struct {
	// Z is the direction, LatentDim values of unit length. Its sign is
	// arbitrary: −Z changes the images the other way.
	Z []float32
	// Explained is the share of the generated images' variance that the
	// principal component behind Z accounts for.
	Explained float64
}

// maxDirectionValues bounds Samples × image size in Directions.
const maxDirectionValues = 1 << 26

// Directions finds, without labels, the latent directions along which the
// generator's images vary most, after Härkönen et al. (2020, "GANSpace").
// It draws opts.Samples latent vectors z with rng (a fresh stream of the
// model's seed when nil), generates their images, takes the principal
// components of the images (randomized PCA), and maps each component back
// to the latent space by regressing z on the component's coefficients c:
// the direction is Σ zᵢcᵢ / Σ cᵢ², scaled to unit length. Because the
// coefficients of different components are uncorrelated, this is also the
// least-squares map from all coefficients to z. GANSpace analyses an
// early layer of the generator; Directions analyses the generated images,
// which works with any generator Network.
//
// The directions come in the order of their components' variance. They
// are not orthogonal in general. Walk along one with Steer, look at the
// images (a person names what changes: on MNIST, stroke weight and slant
// show among the first few, often with a change of digit), and make a
// labelled set of both sides with
// SynthesizeTwoSided. On a Conditional model the images are generated as
// GenerateFrom does, example i as class i mod K, and each class's images
// are centred on their own mean: the directions are then the ways the
// images vary within a class (style, such as slant and stroke width on
// MNIST), as the class comes from the class code and not from z.
func (m *Model) Directions(opts DirectionOptions, rng *rand.Rand) ([]Direction, error) {
	c := m.cfg
	if m.gen == nil || m.gen.Net == nil {
		return nil, fmt.Errorf("sgan: directions: the model has no generator")
	}
	n, k := opts.Samples, opts.Count
	if n == 0 {
		n = 5000
	}
	if k == 0 {
		k = 10
	}
	F, Z := c.Channels*c.Height*c.Width, c.LatentDim
	switch {
	case n < 0 || k < 0:
		return nil, fmt.Errorf("sgan: directions: Samples %d and Count %d, need positive numbers", opts.Samples, opts.Count)
	case k > n/2 || k > F:
		return nil, fmt.Errorf("sgan: directions: %d directions from %d samples of %d values: need at most Samples/2 and the image size", k, n, F)
	case n > maxDirectionValues/F:
		return nil, fmt.Errorf("sgan: directions: %d samples of %d values exceed %d values; lower Samples to at most %d", n, F, maxDirectionValues, maxDirectionValues/F)
	}
	rng = m.genRNG(rng)
	z := m.drawZ(n, rng)
	x, err := m.GenerateFrom(z)
	if err != nil {
		return nil, fmt.Errorf("sgan: directions: %w", err)
	}
	if c.Conditional {
		// Example i is class i mod K: the class code, not z, sets the
		// class, so each class's images are centred on their own mean
		// and the components are the variation within the classes.
		K := c.Classes
		means := make([]float64, K*F)
		counts := make([]float64, K)
		for i := range n {
			counts[i%K]++
			for j, v := range x[i*F : (i+1)*F] {
				means[(i%K)*F+j] += float64(v)
			}
		}
		for i := range n {
			row, mu := x[i*F:(i+1)*F], means[(i%K)*F:(i%K+1)*F]
			for j := range row {
				row[j] -= float32(mu[j] / counts[i%K])
			}
		}
	}
	mean, basis := principal(x, n, F, k, rng)
	k = len(basis) / F
	var total float64
	for i := range n {
		row := x[i*F : (i+1)*F]
		for j := range row {
			row[j] -= mean[j]
			total += float64(row[j]) * float64(row[j])
		}
	}
	coef := make([]float32, n*k) // n×k coefficients of the centred images
	G.WhichBLAS().Sgemm(blas.NoTrans, blas.NoTrans, n, k, F, 1, x, F, basis, k, 0, coef, k)
	dirs := make([]Direction, k)
	for j := range k {
		d := make([]float64, Z)
		var ss float64
		for i := range n {
			ci := float64(coef[i*k+j])
			ss += ci * ci
			for l, v := range z[i*Z : (i+1)*Z] {
				d[l] += ci * float64(v)
			}
		}
		if norm := scaleToUnit(d); norm == 0 || math.IsNaN(norm) {
			return nil, fmt.Errorf("sgan: directions: component %d does not depend on the latent vector (the generator's images do not vary)", j)
		}
		dz := make([]float32, Z)
		for l, v := range d {
			dz[l] = float32(v)
		}
		dirs[j] = Direction{Z: dz}
		if total > 0 {
			dirs[j].Explained = ss / total
		}
	}
	return dirs, nil
}

// TwoSidedOptions control SynthesizeTwoSided. The zero value is the
// default.
type TwoSidedOptions struct {
	// Margin and Extent bound the distance of each generated example
	// from the middle, along the direction, in units of the latent
	// vectors' standard deviation: |α| is drawn uniformly from
	// [Margin, Extent] (defaults 1 and 3). The margin keeps out the
	// examples that are neither one side nor the other.
	Margin, Extent float64
	// MinConfidence is the classifier probability (of its most probable
	// class) that both examples of a pair need to be kept: generated
	// images the classifier cannot place are often not images of
	// anything. 0 keeps every pair.
	MinConfidence float64
	// MaxDraws caps the number of pairs generated (default 20·n).
	MaxDraws int
	// Names are the class names of the negative and the positive side
	// (default "negative" and "positive").
	Names [2]string
}

// SynthesizeTwoSided returns a labelled set of n pairs of generated
// examples that differ along the latent direction dir: for each pair it
// draws a latent vector z with rng (a fresh stream of the model's seed
// when nil), takes away its component along dir (dir need not have unit
// length; its direction is what counts) and generates z − α·d (label 0,
// the negative side) and z + α·d (label 1, the positive side), with d
// the unit direction and α drawn from [Margin, Extent]. Both sides of a
// pair share everything but the attribute, so a classifier trained on the
// set learns the attribute, not what else the latent vectors carry.
//
// On a Conditional model both sides of pair i are generated as class
// i mod K (counting the pairs drawn, kept or not).
//
// Examples 2i and 2i+1 are pair i. The set has the model's image shape,
// values in [-1, 1], Classes 2 and the class names of opts.Names. When
// MaxDraws pairs give fewer than n that pass MinConfidence, it returns
// the pairs kept with an error.
func (m *Model) SynthesizeTwoSided(dir []float32, n int, opts TwoSidedOptions, rng *rand.Rand) (*datasets.Set, error) {
	c := m.cfg
	Z := c.LatentDim
	lo, hi := opts.Margin, opts.Extent
	if lo == 0 {
		lo = 1
	}
	if hi == 0 {
		hi = 3
	}
	maxDraws := opts.MaxDraws
	if maxDraws == 0 {
		maxDraws = 20 * n
	}
	names := opts.Names
	if names == ([2]string{}) {
		names = [2]string{"negative", "positive"}
	}
	switch {
	case m.gen == nil || m.gen.Net == nil:
		return nil, fmt.Errorf("sgan: synthesize two-sided: the model has no generator")
	case len(dir) != Z:
		return nil, fmt.Errorf("sgan: synthesize two-sided: direction of length %d, latent vectors of %d", len(dir), Z)
	case n <= 0:
		return nil, fmt.Errorf("sgan: synthesize two-sided: %d pairs, need a positive number", n)
	case !(lo > 0 && lo <= hi) || math.IsInf(hi, 0):
		return nil, fmt.Errorf("sgan: synthesize two-sided: Margin %g and Extent %g, need 0 < Margin ≤ Extent, finite", opts.Margin, opts.Extent)
	case !(opts.MinConfidence >= 0 && opts.MinConfidence < 1):
		return nil, fmt.Errorf("sgan: synthesize two-sided: MinConfidence %g outside [0, 1)", opts.MinConfidence)
	case maxDraws < 0:
		return nil, fmt.Errorf("sgan: synthesize two-sided: negative MaxDraws %d", opts.MaxDraws)
	case names[0] == "" || names[1] == "" || names[0] == names[1]:
		return nil, fmt.Errorf("sgan: synthesize two-sided: class names %q: need two different, non-empty names", names)
	}
	if i := nonFinite(dir); i >= 0 {
		return nil, fmt.Errorf("sgan: synthesize two-sided: direction value %d is %v", i, dir[i])
	}
	d := make([]float64, Z)
	for i, v := range dir {
		d[i] = float64(v)
	}
	if scaleToUnit(d) == 0 {
		return nil, fmt.Errorf("sgan: synthesize two-sided: zero direction")
	}
	rng = m.genRNG(rng)
	F, K := c.Channels*c.Height*c.Width, c.Classes
	set := &datasets.Set{C: c.Channels, H: c.Height, W: c.Width, Classes: 2, ClassNames: names[:]}
	const chunk = 500 // pairs generated together
	drawn := 0
	for set.Len() < 2*n && drawn < maxDraws {
		p := min(chunk, maxDraws-drawn)
		zs := make([]float32, 2*p*Z)
		for b := range p {
			base := zs[2*b*Z : (2*b+1)*Z]
			var dot float64
			for i := range base {
				base[i] = float32(rng.NormFloat64())
				dot += float64(base[i]) * d[i]
			}
			a := lo + rng.Float64()*(hi-lo)
			pos := zs[(2*b+1)*Z : (2*b+2)*Z]
			for i := range base {
				v := float64(base[i]) - dot*d[i]
				base[i], pos[i] = float32(v-a*d[i]), float32(v+a*d[i])
			}
		}
		var x []float32
		var err error
		if c.Conditional {
			// both sides of a pair are generated as the same class,
			// pair by pair in turn through the classes
			y := make([]float32, 2*p*K)
			for b := range p {
				k := (drawn + b) % K
				y[2*b*K+k], y[(2*b+1)*K+k] = 1, 1
			}
			x, err = m.GenerateFromClasses(zs, y)
		} else {
			x, err = m.GenerateFrom(zs)
		}
		drawn += p
		if err != nil {
			return nil, fmt.Errorf("sgan: synthesize two-sided: %w", err)
		}
		var prob []float32
		if opts.MinConfidence > 0 {
			if prob, err = m.PredictProba(x); err != nil {
				return nil, fmt.Errorf("sgan: synthesize two-sided: %w", err)
			}
		}
		for b := 0; b < p && set.Len() < 2*n; b++ {
			if prob != nil {
				neg, pos := prob[2*b*K:(2*b+1)*K], prob[(2*b+1)*K:(2*b+2)*K]
				if float64(neg[argmax(neg)]) < opts.MinConfidence || float64(pos[argmax(pos)]) < opts.MinConfidence {
					continue
				}
			}
			set.Data = append(set.Data, x[2*b*F:(2*b+2)*F]...)
			set.Labels = append(set.Labels, 0, 1)
		}
	}
	if got := set.Len() / 2; got < n {
		return set, fmt.Errorf("sgan: synthesize two-sided: %d pairs drawn gave %d of %d pairs with both sides classified with confidence ≥ %g (lower TwoSidedOptions.MinConfidence or raise MaxDraws)",
			drawn, got, n, opts.MinConfidence)
	}
	return set, nil
}

// scaleToUnit scales v to unit length and returns its length before;
// a zero (or non-finite) vector is left as it is.
func scaleToUnit(v []float64) float64 {
	var ss float64
	for _, x := range v {
		ss += x * x
	}
	norm := math.Sqrt(ss)
	if norm == 0 || math.IsNaN(norm) || math.IsInf(norm, 0) {
		return norm
	}
	for i := range v {
		v[i] /= norm
	}
	return norm
}
