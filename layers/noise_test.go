package layers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestDropout(t *testing.T) {
	for _, p := range []float64{0.3, 0.5} {
		for _, dt := range dtypes {
			t.Run(fmt.Sprintf("%v/%v", p, dt), func(t *testing.T) {
				rng := newRNG(300)
				x := awayFromZero(rng, dt, 0.5, 40, 50)
				l := Dropout{P: p}
				y1 := toFloat64s(runForward(t, l, Train, x, newRNG(1)))
				y2 := toFloat64s(runForward(t, l, Train, x, newRNG(1)))
				y3 := toFloat64s(runForward(t, l, Train, x, newRNG(2)))
				if maxAbsDiff(y1, y2) != 0 {
					t.Errorf("same seed, different masks")
				}
				if maxAbsDiff(y1, y3) == 0 {
					t.Errorf("different seeds, same mask")
				}
				xs := toFloat64s(x)
				keep := 1 / (1 - p)
				dropped, sum := 0, 0.0
				for i, v := range y1 {
					m := v / xs[i]
					switch {
					case m == 0:
						dropped++
					case math.Abs(m-keep) < 1e-5:
					default:
						t.Fatalf("element %d: mask value %g, want 0 or %g", i, m, keep)
					}
					sum += m
				}
				n := float64(len(y1))
				if f := float64(dropped) / n; math.Abs(f-p) > 0.05 {
					t.Errorf("dropped fraction %g, want %g", f, p)
				}
				if mean := sum / n; math.Abs(mean-1) > 0.06 {
					t.Errorf("mask mean %g, want ~1", mean)
				}
				yi := toFloat64s(runForward(t, l, Infer, x, nil))
				if maxAbsDiff(yi, xs) != 0 {
					t.Errorf("Infer mode is not the identity")
				}
				checkGrad(t, dt, gradTol(dt), func(b *Builder, in []*G.Node) (*G.Node, error) {
					return l.Forward(b, in[0])
				}, randTensor(rng, dt, 3, 4))
			})
		}
	}
}

func TestGaussianNoise(t *testing.T) {
	for _, dt := range dtypes {
		rng := newRNG(301)
		x := randTensor(rng, dt, 50, 40)
		l := GaussianNoise{Sigma: 0.5}
		y1 := toFloat64s(runForward(t, l, Train, x, newRNG(1)))
		y2 := toFloat64s(runForward(t, l, Train, x, newRNG(1)))
		if maxAbsDiff(y1, y2) != 0 {
			t.Errorf("%v: same seed, different noise", dt)
		}
		xs := toFloat64s(x)
		s1, s2 := 0.0, 0.0
		for i, v := range y1 {
			d := v - xs[i]
			s1 += d
			s2 += d * d
		}
		n := float64(len(xs))
		if m, sd := s1/n, math.Sqrt(s2/n); math.Abs(m) > 0.05 || math.Abs(sd-0.5) > 0.05 {
			t.Errorf("%v: noise mean %g std %g, want 0 and 0.5", dt, m, sd)
		}
		if maxAbsDiff(toFloat64s(runForward(t, l, Infer, x, nil)), xs) != 0 {
			t.Errorf("%v: Infer mode is not the identity", dt)
		}
		checkGrad(t, dt, gradTol(dt), func(b *Builder, in []*G.Node) (*G.Node, error) {
			return l.Forward(b, in[0])
		}, randTensor(rng, dt, 3, 4))
	}
}

// TestRandomInputsDistinct checks that two equal dropout layers on the same
// node get distinct masks (no hash-consing of the mask nodes).
func TestRandomInputsDistinct(t *testing.T) {
	g := G.NewGraph()
	b := NewBuilder(g, Train)
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(20, 20), G.WithName("x"), G.WithValue(Ones(tensor.Shape{20, 20}, tensor.Float32)))
	y1, err1 := Dropout{P: 0.5}.Forward(b, x)
	y2, err2 := Dropout{P: 0.5}.Forward(b, x)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if y1 == y2 || len(b.RandomInputs()) != 2 {
		t.Fatalf("the two dropouts share a node")
	}
	var v1, v2 G.Value
	G.Read(y1, &v1)
	G.Read(y2, &v2)
	m := G.NewTapeMachine(g)
	b.FillRandom(newRNG(1))
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	if maxAbsDiff(toFloat64s(v1.(*tensor.Dense)), toFloat64s(v2.(*tensor.Dense))) == 0 {
		t.Errorf("two dropouts drew the same mask")
	}
}

func TestNoiseErrors(t *testing.T) {
	for i, l := range []Layer{Dropout{P: 1}, Dropout{P: -0.1}, Dropout{P: math.NaN()}, GaussianNoise{Sigma: -1}, GaussianNoise{Sigma: math.Inf(1)}} {
		if err := forwardErr(l, tensor.Float32, Train, 2, 3); err == nil {
			t.Errorf("%d: no error for %+v", i, l)
		}
	}
	// dtype of the input differs from the builder's
	g := G.NewGraph()
	b := NewBuilder(g, Train)
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 2), G.WithName("x"))
	if _, err := (Dropout{P: 0.5}).Forward(b, x); err == nil {
		t.Errorf("no error for float64 input in a float32 builder")
	}
	if _, err := (GaussianNoise{Sigma: 0.5}).Forward(nil, x); err == nil {
		t.Errorf("no error for nil builder")
	}
}

// fillMask draws one 64-bit number per four values, 16 bits per value:
// its unrolled loop must give exactly what the plain loop gives, tails
// included, so that a seed keeps its masks.
func TestFillMaskDraws(t *testing.T) {
	plain := func(rng *rand.Rand, dst []float32, p float64, keep float32) {
		thr := uint64(math.Round(p * 65536))
		for i := 0; i < len(dst); i += 4 {
			r := rng.Uint64()
			for j := i; j < min(i+4, len(dst)); j++ {
				if r&0xffff < thr {
					dst[j] = 0
				} else {
					dst[j] = keep
				}
				r >>= 16
			}
		}
	}
	for _, p := range []float64{0.1, 0.5, 0.9} {
		for n := 0; n <= 13; n++ {
			got, want := make([]float32, n), make([]float32, n)
			rg, rw := newRNG(uint64(n)), newRNG(uint64(n))
			fillMask(rg, got, p, 2)
			plain(rw, want, p, 2)
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("p %v, n %d: value %d is %v, want %v", p, n, i, got[i], want[i])
				}
			}
			if rg.Uint64() != rw.Uint64() {
				t.Errorf("p %v, n %d: a different number of draws", p, n)
			}
		}
	}
}
