package layers

import (
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
)

// Dropout zeroes each element with probability P in Train mode and scales
// the others by 1/(1−P) (inverted dropout), so that Infer mode is the
// identity. The mask is a random input of the graph (Builder.NewRandomInput)
// that Builder.FillRandom draws afresh from a seeded rng before each run.
// It replaces gorgonia.Dropout, whose gradient is wrong for P ≠ 0.5, which
// cannot be seeded and whose inference form aliases its input.
type Dropout struct {
	P    float64 // drop probability in [0, 1)
	Name string  // name of the mask node, "dropout" if empty (a unique suffix is added)
}

// GaussianNoise adds N(0, Sigma²) noise to every element in Train mode and is
// the identity in Infer mode (Salimans et al.'s MNIST discriminator uses
// 0.3 on the input and 0.5 on hidden layers). The noise is a random input of
// the graph, drawn by Builder.FillRandom.
type GaussianNoise struct {
	Sigma float64 // standard deviation, ≥ 0
	Name  string  // name of the noise node, "noise" if empty (a unique suffix is added)
}

var (
	_ Layer = Dropout{}
	_ Layer = GaussianNoise{}
)

// Forward returns x ⊙ mask in Train mode (a new mask node of x's shape whose
// elements are 0 or 1/(1−P)) and x itself in Infer mode or when P is 0. It
// fails if P is outside [0, 1) or if x's dtype is not the builder's.
func (d Dropout) Forward(b *Builder, x *G.Node) (*G.Node, error) {
	if !(d.P >= 0 && d.P < 1) {
		return nil, fmt.Errorf("layers: dropout: probability %v outside [0, 1)", d.P)
	}
	if err := checkRandomInput("dropout", b, x); err != nil {
		return nil, err
	}
	if b.Mode() != Train || d.P == 0 {
		return x, nil
	}
	name := d.Name
	if name == "" {
		name = "dropout"
	}
	p := d.P
	keep := float32(1 / (1 - p))
	mask := b.NewRandomInput(name, x.Shape(), func(rng *rand.Rand, dst []float32) { fillMask(rng, dst, p, keep) })
	return applyRand(randMul, x, mask)
}

// Params returns nil.
func (Dropout) Params() []*Param { return nil }

// fillMask sets each element of dst to 0 with probability p, else to keep.
// Each 64-bit draw decides four elements by 16-bit chunks (so p is rounded
// to a multiple of 1/65536), without branches: masks are the largest
// random draws of a training step.
func fillMask(rng *rand.Rand, dst []float32, p float64, keep float32) {
	thr := uint64(math.Round(p * 65536))
	vals := [2]float32{keep, 0}
	// chunk − thr wraps around (top bit set) exactly when chunk < thr
	i := 0
	for ; i+4 <= len(dst); i += 4 {
		r := rng.Uint64()
		d := (*[4]float32)(dst[i : i+4])
		d[0] = vals[((r&0xffff)-thr)>>63]
		d[1] = vals[((r>>16&0xffff)-thr)>>63]
		d[2] = vals[((r>>32&0xffff)-thr)>>63]
		d[3] = vals[((r>>48)-thr)>>63]
	}
	if i < len(dst) {
		r := rng.Uint64()
		for j := i; j < len(dst); j++ {
			dst[j] = vals[((r&0xffff)-thr)>>63]
			r >>= 16
		}
	}
}

// Forward returns x + noise in Train mode (a new noise node of x's shape)
// and x itself in Infer mode or when Sigma is 0. It fails if Sigma is
// negative or not finite, or if x's dtype is not the builder's.
func (n GaussianNoise) Forward(b *Builder, x *G.Node) (*G.Node, error) {
	if !(n.Sigma >= 0) || math.IsInf(n.Sigma, 0) {
		return nil, fmt.Errorf("layers: gaussian noise: standard deviation %v is not a finite number ≥ 0", n.Sigma)
	}
	if err := checkRandomInput("gaussian noise", b, x); err != nil {
		return nil, err
	}
	if b.Mode() != Train || n.Sigma == 0 {
		return x, nil
	}
	name := n.Name
	if name == "" {
		name = "noise"
	}
	s := n.Sigma
	noise := b.NewRandomInput(name, x.Shape(), func(rng *rand.Rand, dst []float32) {
		for i := range dst {
			dst[i] = float32(s * rng.NormFloat64())
		}
	})
	return applyRand(randAdd, x, noise)
}

// Params returns nil.
func (GaussianNoise) Params() []*Param { return nil }

func checkRandomInput(layer string, b *Builder, x *G.Node) error {
	if b == nil {
		return fmt.Errorf("layers: %s: nil builder", layer)
	}
	if x == nil {
		return fmt.Errorf("layers: %s: nil input", layer)
	}
	if x.Dtype() != b.Dtype() {
		return fmt.Errorf("layers: %s: input of dtype %v but the builder makes random inputs of %v (see Builder.SetDtype)", layer, x.Dtype(), b.Dtype())
	}
	return nil
}
