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
	colour     bool // colour augmentation applies: 3 channels and one of Color, Gray, ChannelShuffle
	n, c, h, w int  // batch size and image shape
	k          int  // classes
	tmp        []float32
	mixX, mixY []float32 // copies of the labelled batch for mixup
}

func newAugmenter(m ModelConfig, t TrainConfig) *augmenter {
	a := t.Augment
	return &augmenter{a: a, shift: t.shifts(m), colour: m.Channels == 3 && (a.Color > 0 || a.Gray > 0 || a.ChannelShuffle),
		n: t.BatchSize, c: m.Channels, h: m.Height, w: m.Width, k: m.Classes, tmp: make([]float32, m.Height*m.Width)}
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
	if g.colour {
		colourImages(x, g.n, g.h*g.w, g.a, rng)
	}
	if g.a.Invert > 0 {
		invertImages(x, g.n, g.c*g.h*g.w, g.a.Invert, rng)
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
	if g.colour {
		colourImages(x1, g.n, g.h*g.w, g.a, rng)
		colourImages(x2, g.n, g.h*g.w, g.a, rng)
	}
	if g.a.Invert > 0 {
		invertImages(x1, g.n, g.c*g.h*g.w, g.a.Invert, rng)
		invertImages(x2, g.n, g.c*g.h*g.w, g.a.Invert, rng)
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

// colourImages jitters the colours of each of the n RGB images of x
// (n,3,H,W; p = H·W pixels a channel) in place, drawing from rng: a
// channel permutation (ChannelShuffle), brightness, contrast and
// saturation factors in [1−Color, 1+Color] and a hue rotation of up to
// Color·180° about the gray axis, then gray with probability Gray; values
// stay within [−1, 1].
func colourImages(x []float32, n, p int, a Augment, rng *rand.Rand) {
	for i := range n {
		img := x[i*3*p : (i+1)*3*p]
		var perm [3]int
		perm = [3]int{0, 1, 2}
		if a.ChannelShuffle {
			q := rng.Perm(3)
			perm = [3]int{q[0], q[1], q[2]}
		}
		// the colour transform as one 3×3 matrix and an offset, on values
		// in [0, 1]: rows mix the (permuted) channels
		m := [3][3]float64{}
		for r := range 3 {
			m[r][perm[r]] = 1
		}
		off := [3]float64{}
		if a.Color > 0 {
			jit := func() float64 { return 1 + a.Color*(2*rng.Float64()-1) }
			bright, contrast, sat := jit(), jit(), jit()
			theta := a.Color * math.Pi * (2*rng.Float64() - 1)
			h, s := hueMatrix(theta), saturationMatrix(sat)
			m = mul3(s, mul3(h, m))
			// contrast about the image's mean gray, then brightness
			var mean float64
			for _, v := range img {
				mean += float64(v+1) / 2
			}
			mean /= float64(len(img))
			for r := range 3 {
				for c := range 3 {
					m[r][c] *= contrast * bright
				}
				off[r] = (1 - contrast) * mean * bright
			}
		}
		gray := a.Gray > 0 && rng.Float64() < a.Gray
		for q := range p {
			in := [3]float64{float64(img[q]+1) / 2, float64(img[p+q]+1) / 2, float64(img[2*p+q]+1) / 2}
			var out [3]float64
			for r := range 3 {
				out[r] = off[r] + m[r][0]*in[0] + m[r][1]*in[1] + m[r][2]*in[2]
			}
			if gray {
				g := 0.299*out[0] + 0.587*out[1] + 0.114*out[2]
				out = [3]float64{g, g, g}
			}
			for r := range 3 {
				img[r*p+q] = float32(2*min(1, max(0, out[r])) - 1)
			}
		}
	}
}

// invertImages negates each of the n images of x (f values each) with
// probability p.
func invertImages(x []float32, n, f int, p float64, rng *rand.Rand) {
	for i := range n {
		if rng.Float64() < p {
			for j := range x[i*f : (i+1)*f] {
				x[i*f+j] = -x[i*f+j]
			}
		}
	}
}

// hueMatrix is the rotation by theta about the gray axis (1,1,1)/√3 of
// RGB space (Rodrigues' formula): it turns the hue and keeps the gray
// level.
func hueMatrix(theta float64) [3][3]float64 {
	cs, sn := math.Cos(theta), math.Sin(theta)
	var h [3][3]float64
	for r := range 3 {
		for c := range 3 {
			h[r][c] = (1 - cs) / 3
			switch (c - r + 3) % 3 {
			case 0:
				h[r][c] += cs
			case 1:
				h[r][c] -= sn / math.Sqrt(3)
			case 2:
				h[r][c] += sn / math.Sqrt(3)
			}
		}
	}
	return h
}

// saturationMatrix moves each colour towards (s < 1) or away from (s > 1)
// the mean of its channels.
func saturationMatrix(s float64) [3][3]float64 {
	var m [3][3]float64
	for r := range 3 {
		for c := range 3 {
			m[r][c] = (1 - s) / 3
			if r == c {
				m[r][c] += s
			}
		}
	}
	return m
}

func mul3(a, b [3][3]float64) [3][3]float64 {
	var c [3][3]float64
	for i := range 3 {
		for j := range 3 {
			for k := range 3 {
				c[i][j] += a[i][k] * b[k][j]
			}
		}
	}
	return c
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
