package sgan

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestBetaSampleMoments(t *testing.T) {
	for _, a := range []float64{0.2, 0.75, 1, 4} {
		rng := rand.New(rand.NewPCG(1, uint64(a*100)))
		const n = 200000
		var s, s2 float64
		for range n {
			v := betaSample(a, rng)
			if v < 0 || v > 1 || math.IsNaN(v) {
				t.Fatalf("Beta(%g, %g) gave %g", a, a, v)
			}
			s += v
			s2 += v * v
		}
		mean, vr := s/n, s2/n-(s/n)*(s/n)
		want := 1 / (4 * (2*a + 1)) // variance of Beta(a, a)
		if math.Abs(mean-0.5) > 0.005 || math.Abs(vr-want) > 0.05*want {
			t.Errorf("Beta(%g, %g): mean %.4f, variance %.5f; want 0.5, %.5f", a, a, mean, vr, want)
		}
	}
}

func TestMixup(t *testing.T) {
	const n, f, k = 8, 3, 4
	x, y := make([]float32, n*f), make([]float32, n*k)
	for i := range n {
		for p := range f {
			x[i*f+p] = float32(i)
		}
		y[i*k+i%k] = 1
	}
	x0 := append([]float32(nil), x...)
	mixup(x, y, make([]float32, n*f), make([]float32, n*k), n, f, k, 0.75, rand.New(rand.NewPCG(3, 4)))
	moved := 0
	for i := range n {
		var sum float32
		for p := range k {
			sum += y[i*k+p]
		}
		if math.Abs(float64(sum-1)) > 1e-6 {
			t.Errorf("example %d: target sums to %g", i, sum)
		}
		// λ ≥ ½: the example keeps at least half of its own target.
		if y[i*k+i%k] < 0.5-1e-6 {
			t.Errorf("example %d: own class weight %g < 0.5", i, y[i*k+i%k])
		}
		if x[i*f] != x0[i*f] {
			moved++
		}
		// The pixels mix with the same weights as the targets: every pixel
		// of the example holds the same value.
		if x[i*f] != x[i*f+f-1] {
			t.Errorf("example %d: pixels %v differ", i, x[i*f:(i+1)*f])
		}
	}
	if moved < n/2 {
		t.Errorf("only %d of %d examples changed", moved, n)
	}
}

// A training step with Mixup mixes its own copy of the labelled batch:
// the caller's batch is left as it was, and the supervised loss of the
// first step (same initial weights) differs from the step without mixup.
func TestMixupStep(t *testing.T) {
	first := func(alpha float64) (float64, Batch) {
		d, g := tinyNets(8)
		mc, cfg := tinyConfig(8)
		cfg.Augment.Mixup = alpha
		m, err := NewWith(mc, d, g)
		if err != nil {
			t.Fatal(err)
		}
		tr := mustTrainer(t, m, cfg)
		lab, unl := tinyBatches(8)
		st, err := tr.Step(lab, unl)
		if err != nil {
			t.Fatal(err)
		}
		return st.Losses[termSup], lab
	}
	plain, lab0 := first(0)
	mixed, lab1 := first(0.75)
	if plain == mixed {
		t.Errorf("supervised loss %v with and without mixup", plain)
	}
	for i := range lab0.X {
		if lab0.X[i] != lab1.X[i] {
			t.Fatalf("mixup changed the caller's batch at %d: %v, was %v", i, lab1.X[i], lab0.X[i])
		}
	}
}

// randomRGB returns n random RGB images of p pixels in [-1, 1].
func randomRGB(n, p int, rng *rand.Rand) []float32 {
	x := make([]float32, n*3*p)
	for i := range x {
		x[i] = float32(2*rng.Float64() - 1)
	}
	return x
}

// The colour augmentations keep values in [−1, 1] and do what each says:
// a channel shuffle permutes the channels, gray makes them equal, a hue
// rotation keeps each pixel's mean gray level (it turns about the gray
// axis), and inversion negates.
func TestColourAugmentations(t *testing.T) {
	const n, p = 40, 16
	for _, tc := range []struct {
		name  string
		a     Augment
		check func(in, out []float32) string
	}{
		{"shuffle", Augment{ChannelShuffle: true}, func(in, out []float32) string {
			for i := range n {
				for c := range 3 {
					src := -1
					for s := range 3 {
						if slicesEqual(out[(i*3+c)*p:(i*3+c+1)*p], in[(i*3+s)*p:(i*3+s+1)*p]) {
							src = s
						}
					}
					if src < 0 {
						return "a channel that is none of the inputs'"
					}
				}
			}
			return ""
		}},
		{"gray", Augment{Gray: 1}, func(_, out []float32) string {
			for i := range n {
				for q := range p {
					if r, g, b := out[i*3*p+q], out[i*3*p+p+q], out[i*3*p+2*p+q]; r != g || g != b {
						return "channels differ after Gray 1"
					}
				}
			}
			return ""
		}},
		{"jitter", Augment{Color: 0.4}, func(in, out []float32) string {
			changed := 0
			for i := range out {
				if out[i] != in[i] {
					changed++
				}
			}
			if changed < len(out)/2 {
				return "most values unchanged"
			}
			return ""
		}},
		{"invert", Augment{Invert: 1}, func(in, out []float32) string {
			for i := range out {
				if out[i] != -in[i] {
					return "not negated"
				}
			}
			return ""
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			in := randomRGB(n, p, rng)
			out := append([]float32(nil), in...)
			g := newAugmenter(ModelConfig{Channels: 3, Height: 4, Width: 4, Classes: 2}, TrainConfig{BatchSize: n, Augment: tc.a})
			g.view(out, rng)
			for _, v := range out {
				if !(v >= -1 && v <= 1) {
					t.Fatalf("value %v outside [-1, 1]", v)
				}
			}
			if msg := tc.check(in, out); msg != "" {
				t.Error(msg)
			}
		})
	}
	// a hue rotation is a rotation that keeps the gray axis; saturation 0
	// maps every colour to its gray level
	for _, theta := range []float64{0.3, -2, math.Pi} {
		h := hueMatrix(theta)
		for r := range 3 {
			if sum := h[r][0] + h[r][1] + h[r][2]; math.Abs(sum-1) > 1e-12 {
				t.Errorf("hue %g: row %d sums to %g, so gray is not kept", theta, r, sum)
			}
			for c := range 3 {
				var dot float64
				for k := range 3 {
					dot += h[r][k] * h[c][k]
				}
				if want := map[bool]float64{true: 1, false: 0}[r == c]; math.Abs(dot-want) > 1e-12 {
					t.Errorf("hue %g: not orthogonal (rows %d, %d: %g)", theta, r, c, dot)
				}
			}
		}
	}
	s0 := saturationMatrix(0)
	for r := range 3 {
		for c := range 3 {
			if math.Abs(s0[r][c]-1.0/3) > 1e-15 {
				t.Errorf("saturation 0: %v", s0)
			}
		}
	}
	// colour images of gray data are left alone
	g := newAugmenter(ModelConfig{Channels: 1, Height: 4, Width: 4, Classes: 2}, TrainConfig{BatchSize: 1, Augment: Augment{Color: 0.5, Gray: 1, ChannelShuffle: true}})
	if g.colour {
		t.Error("colour augmentation on for 1-channel images")
	}
}

// slicesEqual reports whether a and b are equal to within float32
// rounding.
func slicesEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1e-6 {
			return false
		}
	}
	return true
}
