package conv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/blas/gonum"

	sgemm "github.com/semigan/semigan/layers/internal/gemm"
)

// naive direct convolution and its adjoints, in float64.
func naiveForward(g Geom, x, w, b []float64) []float64 {
	y := make([]float64, g.N*g.OutLen())
	for n := 0; n < g.N; n++ {
		for o := 0; o < g.O; o++ {
			for oy := 0; oy < g.OH; oy++ {
				for ox := 0; ox < g.OW; ox++ {
					var s float64
					if b != nil {
						s = b[o]
					}
					for c := 0; c < g.C; c++ {
						for ki := 0; ki < g.K; ki++ {
							for kj := 0; kj < g.K; kj++ {
								iy, ix := oy*g.S-g.P+ki, ox*g.S-g.P+kj
								if iy < 0 || iy >= g.H || ix < 0 || ix >= g.W {
									continue
								}
								s += x[((n*g.C+c)*g.H+iy)*g.W+ix] * w[((o*g.C+c)*g.K+ki)*g.K+kj]
							}
						}
					}
					y[((n*g.O+o)*g.OH+oy)*g.OW+ox] = s
				}
			}
		}
	}
	return y
}

// naiveScatter: x[n,c,iy,ix] += dy[n,o,oy,ox]·w[o,c,ki,kj], plus bias b[c].
func naiveScatter(g Geom, dy, w, b []float64) []float64 {
	x := make([]float64, g.N*g.ImageLen())
	for n := 0; n < g.N; n++ {
		for c := 0; c < g.C; c++ {
			for i := 0; i < g.H*g.W; i++ {
				if b != nil {
					x[(n*g.C+c)*g.H*g.W+i] = b[c]
				}
			}
		}
		for o := 0; o < g.O; o++ {
			for oy := 0; oy < g.OH; oy++ {
				for ox := 0; ox < g.OW; ox++ {
					v := dy[((n*g.O+o)*g.OH+oy)*g.OW+ox]
					for c := 0; c < g.C; c++ {
						for ki := 0; ki < g.K; ki++ {
							for kj := 0; kj < g.K; kj++ {
								iy, ix := oy*g.S-g.P+ki, ox*g.S-g.P+kj
								if iy < 0 || iy >= g.H || ix < 0 || ix >= g.W {
									continue
								}
								x[((n*g.C+c)*g.H+iy)*g.W+ix] += v * w[((o*g.C+c)*g.K+ki)*g.K+kj]
							}
						}
					}
				}
			}
		}
	}
	return x
}

func naiveFilter(g Geom, x, dy []float64) []float64 {
	dw := make([]float64, g.O*g.CKK())
	for n := 0; n < g.N; n++ {
		for o := 0; o < g.O; o++ {
			for oy := 0; oy < g.OH; oy++ {
				for ox := 0; ox < g.OW; ox++ {
					v := dy[((n*g.O+o)*g.OH+oy)*g.OW+ox]
					for c := 0; c < g.C; c++ {
						for ki := 0; ki < g.K; ki++ {
							for kj := 0; kj < g.K; kj++ {
								iy, ix := oy*g.S-g.P+ki, ox*g.S-g.P+kj
								if iy < 0 || iy >= g.H || ix < 0 || ix >= g.W {
									continue
								}
								dw[((o*g.C+c)*g.K+ki)*g.K+kj] += v * x[((n*g.C+c)*g.H+iy)*g.W+ix]
							}
						}
					}
				}
			}
		}
	}
	return dw
}

func randSlice(r *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = r.Float64()*2 - 1
	}
	return s
}

func conv32(s []float64) []float32 {
	d := make([]float32, len(s))
	for i, v := range s {
		d[i] = float32(v)
	}
	return d
}

func maxDiff[T Float](got []T, want []float64) float64 {
	var m float64
	for i, v := range want {
		m = math.Max(m, math.Abs(float64(got[i])-v)/(1+math.Abs(v)))
	}
	return m
}

// TestKernelsAgainstNaive checks the four passes against direct loops, in
// both dtypes, with one and several workers and with one and several
// samples per gemm chunk.
func TestKernelsAgainstNaive(t *testing.T) {
	cases := []struct{ n, c, h, w, o, k, s, p int }{
		{1, 1, 5, 5, 1, 3, 1, 0},
		{2, 3, 7, 6, 4, 3, 1, 1},
		{3, 2, 9, 9, 3, 5, 2, 2},
		{2, 2, 8, 8, 3, 4, 2, 1},
		{5, 3, 7, 7, 2, 5, 2, 2},
		{4, 2, 6, 5, 3, 2, 3, 0},
		{3, 1, 4, 4, 2, 1, 1, 0},
		{2, 2, 3, 3, 2, 5, 1, 2},  // kernel larger than the image
		{7, 3, 4, 4, 5, 3, 1, 1},  // chunks of several samples
		{9, 2, 3, 2, 3, 3, 2, 1},  // tiny output, many samples per chunk
		{3, 4, 11, 7, 2, 3, 2, 0}, // odd sizes
		{2, 2, 5, 9, 2, 3, 1, 3},  // padding larger than the kernel overhang
		{2, 3, 10, 10, 2, 5, 3, 1},
		{3, 2, 16, 16, 70, 3, 1, 1}, // gemms larger than gonum's tiles
	}
	defer func() { ForceRowForm = nil }()
	for ci, tc := range cases {
		for _, bl := range []BLAS{gonum.Implementation{}, sgemm.Implementation{}} {
			for _, form := range []bool{true, false} {
				ForceRowForm = &form
				for _, procs := range []int{1, 3} {
					for _, chunk := range []int{1, 512} {
						prev := runtime.GOMAXPROCS(procs)
						oldChunk := ChunkCols
						ChunkCols = chunk
						name := fmt.Sprintf("case%d/%T/rowform=%t/procs%d/chunk%d", ci, bl, form, procs, chunk)
						g, err := NewGeom(tc.n, tc.c, tc.h, tc.w, tc.o, tc.k, tc.s, tc.p)
						if err != nil {
							t.Fatalf("%s: %v", name, err)
						}
						r := rand.New(rand.NewPCG(uint64(ci), 7))
						x := randSlice(r, g.N*g.ImageLen())
						w := randSlice(r, g.O*g.CKK())
						b := randSlice(r, g.O)
						bc := randSlice(r, g.C)
						dy := randSlice(r, g.N*g.OutLen())
						wantY := naiveForward(g, x, w, b)
						wantX := naiveScatter(g, dy, w, bc)
						wantW := naiveFilter(g, x, dy)
						wantB := make([]float64, g.O)
						for i, v := range dy {
							wantB[(i/g.L())%g.O] += v
						}

						y := make([]float64, len(wantY))
						Forward(bl, g, x, w, b, y)
						dx := make([]float64, len(wantX))
						BackwardData(bl, g, dy, w, bc, dx)
						dw := make([]float64, len(wantW))
						BackwardFilter(bl, g, x, dy, dw)
						db := make([]float64, g.O)
						BiasGrad(g.N, g.O, g.L(), dy, db)
						for _, c := range []struct {
							what string
							d    float64
						}{{"forward", maxDiff(y, wantY)}, {"data", maxDiff(dx, wantX)}, {"filter", maxDiff(dw, wantW)}, {"bias", maxDiff(db, wantB)}} {
							if c.d > 1e-12 {
								t.Errorf("%s float64 %s: max rel diff %g", name, c.what, c.d)
							}
						}

						y32 := make([]float32, len(wantY))
						Forward(bl, g, conv32(x), conv32(w), nil, y32)
						wantY0 := naiveForward(g, x, w, nil)
						dx32 := make([]float32, len(wantX))
						BackwardData(bl, g, conv32(dy), conv32(w), nil, dx32)
						wantX0 := naiveScatter(g, dy, w, nil)
						dw32 := make([]float32, len(wantW))
						BackwardFilter(bl, g, conv32(x), conv32(dy), dw32)
						for _, c := range []struct {
							what string
							d    float64
						}{{"forward", maxDiff(y32, wantY0)}, {"data", maxDiff(dx32, wantX0)}, {"filter", maxDiff(dw32, wantW)}} {
							if c.d > 1e-5 {
								t.Errorf("%s float32 %s: max rel diff %g", name, c.what, c.d)
							}
						}
						ChunkCols = oldChunk
						runtime.GOMAXPROCS(prev)
					}
				}
			}
		}
	}
}

func TestNewGeomErrors(t *testing.T) {
	bad := [][8]int{
		{0, 1, 5, 5, 1, 3, 1, 0},
		{1, 1, 5, 5, 0, 3, 1, 0},
		{1, 1, 5, 5, 1, 0, 1, 0},
		{1, 1, 5, 5, 1, 3, 0, 0},
		{1, 1, 5, 5, 1, 3, 1, -1},
		{1, 1, 2, 5, 1, 5, 1, 1},
	}
	for i, a := range bad {
		if _, err := NewGeom(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]); err == nil {
			t.Errorf("case %d %v: no error", i, a)
		}
	}
}

func TestSum(t *testing.T) {
	for n := 0; n < 11; n++ {
		v := make([]float64, n)
		want := 0.0
		for i := range v {
			v[i] = float64(i + 1)
			want += v[i]
		}
		if got := sum(v); got != want {
			t.Errorf("sum of 1..%d = %v, want %v", n, got, want)
		}
	}
}
