package sgan

import (
	"math"
	"math/rand/v2"
	"slices"
)

// augmenter applies a TrainConfig's Augment to the training batches of a
// model's image shape, drawing from the trainer's stream. Its scratch
// buffers make a step allocate nothing.
type augmenter struct {
	a          Augment
	shift      bool // shifts apply: Shift > 0 and more than one row and column
	n, c, h, w int  // batch size and image shape
	k          int  // classes
	tmp        []float32
	mixX, mixY []float32 // copies of the labelled batch for mixup
}

func newAugmenter(m ModelConfig, t TrainConfig) *augmenter {
	return &augmenter{a: t.Augment, shift: t.shifts(m), n: t.BatchSize, c: m.Channels, h: m.Height, w: m.Width,
		k: m.Classes, tmp: make([]float32, m.Height*m.Width)}
}

// view shifts and flips a batch of images in place: the labelled batch,
// or one view of the unlabelled batch.
func (g *augmenter) view(x []float32, rng *rand.Rand) {
	if g.shift {
		shiftImages(x, g.tmp, g.n, g.c, g.h, g.w, g.a.Shift, rng)
	}
	if g.a.Flip {
		flipImages(x, g.n, g.c, g.h, g.w, rng)
	}
}

// twoViews augments the two views of the unlabelled batch in place:
// each shifted and flipped independently, and the second, the strongly
// augmented one, cut out.
func (g *augmenter) twoViews(x1, x2 []float32, rng *rand.Rand) {
	if g.shift {
		shiftImages(x1, g.tmp, g.n, g.c, g.h, g.w, g.a.Shift, rng)
		shiftImages(x2, g.tmp, g.n, g.c, g.h, g.w, g.a.Shift, rng)
	}
	if g.a.Flip {
		flipImages(x1, g.n, g.c, g.h, g.w, rng)
		flipImages(x2, g.n, g.c, g.h, g.w, rng)
	}
	if g.a.Cutout > 0 {
		cutout(x2, g.n, g.c, g.h, g.w, g.a.Cutout, rng)
	}
}

// labelled augments the labelled batch x and its one-hot targets y: a
// view, then mixup.
func (g *augmenter) labelled(x, y []float32, rng *rand.Rand) {
	g.view(x, rng)
	if g.a.Mixup > 0 {
		if g.mixX == nil {
			g.mixX, g.mixY = make([]float32, len(x)), make([]float32, len(y))
		}
		mixup(x, y, g.mixX, g.mixY, g.n, g.c*g.h*g.w, g.k, g.a.Mixup, rng)
	}
}

// shiftImages translates each of the n images of x (n,C,H,W) in place by
// a random offset in [−s, s]² drawn from rng, filling uncovered pixels
// with −1 (the background of images scaled to [−1, 1]). tmp is scratch
// space of at least h·w values, so that the training step does not
// allocate.
func shiftImages(x, tmp []float32, n, c, h, w, s int, rng *rand.Rand) {
	tmp = tmp[:h*w]
	for i := 0; i < n; i++ {
		dy := rng.IntN(2*s+1) - s
		dx := rng.IntN(2*s+1) - s
		if dx == 0 && dy == 0 {
			continue
		}
		for ch := 0; ch < c; ch++ {
			img := x[(i*c+ch)*h*w : (i*c+ch+1)*h*w]
			for k := range tmp {
				tmp[k] = -1
			}
			for y := 0; y < h; y++ {
				sy := y - dy
				if sy < 0 || sy >= h {
					continue
				}
				for xx := 0; xx < w; xx++ {
					sx := xx - dx
					if sx < 0 || sx >= w {
						continue
					}
					tmp[y*w+xx] = img[sy*w+sx]
				}
			}
			copy(img, tmp)
		}
	}
}

// flipImages mirrors each of the n images of x (n,C,H,W) left to right
// with probability ½.
func flipImages(x []float32, n, c, h, w int, rng *rand.Rand) {
	for i := 0; i < n; i++ {
		if rng.IntN(2) == 0 {
			continue
		}
		img := x[i*c*h*w : (i+1)*c*h*w]
		for r := 0; r < c*h; r++ {
			slices.Reverse(img[r*w : (r+1)*w])
		}
	}
}

// cutout erases, in each of the n images of x (n,C,H,W), a square of side
// s (clipped at the border) centred at a random pixel, in every channel,
// filling it with 0, the middle of [-1, 1] (DeVries & Taylor 2017, as
// FixMatch uses it).
func cutout(x []float32, n, c, h, w, s int, rng *rand.Rand) {
	for i := 0; i < n; i++ {
		cy, cx := rng.IntN(h), rng.IntN(w)
		y0, x0 := max(0, cy-s/2), max(0, cx-s/2)
		y1, x1 := min(h, cy-s/2+s), min(w, cx-s/2+s)
		for ch := 0; ch < c; ch++ {
			img := x[(i*c+ch)*h*w : (i*c+ch+1)*h*w]
			for y := y0; y < y1; y++ {
				clear(img[y*w+x0 : y*w+x1])
			}
		}
	}
}

// mixup replaces the n labelled examples in x (n·f values) and their
// one-hot targets y (n·k values) by convex combinations of pairs (Zhang
// et al. 2018): example i becomes λ_i·x_i + (1−λ_i)·x_π(i) for a random
// permutation π, with λ_i ~ Beta(α, α) folded onto [½, 1] so that each
// mixed example stays closer to its own (MixMatch, Berthelot et al.
// 2019), and its target the same combination of the two one-hot rows.
// xTmp and yTmp are scratch copies of the sizes of x and y.
func mixup(x, y, xTmp, yTmp []float32, n, f, k int, alpha float64, rng *rand.Rand) {
	copy(xTmp, x)
	copy(yTmp, y)
	perm := rng.Perm(n)
	for i, j := range perm {
		lam := betaSample(alpha, rng)
		lam = max(lam, 1-lam)
		a, b := float32(lam), float32(1-lam)
		xi, xj := x[i*f:(i+1)*f], xTmp[j*f:(j+1)*f]
		for p := range xi {
			xi[p] = a*xi[p] + b*xj[p]
		}
		yi, yj := y[i*k:(i+1)*k], yTmp[j*k:(j+1)*k]
		for p := range yi {
			yi[p] = a*yi[p] + b*yj[p]
		}
	}
}

// betaSample draws from Beta(a, a) as G1/(G1+G2) for G1, G2 ~ Gamma(a, 1).
func betaSample(a float64, rng *rand.Rand) float64 {
	g1, g2 := gammaSample(a, rng), gammaSample(a, rng)
	if g1+g2 == 0 {
		return 0.5
	}
	return g1 / (g1 + g2)
}

// gammaSample draws from Gamma(a, 1) by Marsaglia and Tsang's method
// (2000); for a < 1 it draws Gamma(a+1, 1) and scales by U^(1/a).
func gammaSample(a float64, rng *rand.Rand) float64 {
	if a < 1 {
		u := rng.Float64()
		return gammaSample(a+1, rng) * math.Pow(u, 1/a)
	}
	d := a - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := rng.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}
