package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	"gorgonia.org/gorgonia"
)

var _ gorgonia.BLAS = Implementation{}

// naive computes alpha*op(A)*op(B) + beta*C in float64 (beta == 0 ignores C).
func naive(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) []float64 {
	out := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if tA == blas.NoTrans {
					av = a[i*lda+p]
				} else {
					av = a[p*lda+i]
				}
				if tB == blas.NoTrans {
					bv = b[p*ldb+j]
				} else {
					bv = b[j*ldb+p]
				}
				s += float64(av) * float64(bv)
			}
			v := float64(alpha) * s
			if beta != 0 {
				v += float64(beta) * float64(c[i*ldc+j])
			}
			out[i*n+j] = v
		}
	}
	return out
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

type gemmCase struct {
	tA, tB      blas.Transpose
	m, n, k     int
	alpha, beta float32
	padA, padB  int // extra leading-dimension padding
	padC        int
	nanC        bool
}

func (tc gemmCase) String() string {
	t := func(x blas.Transpose) string {
		if x == blas.NoTrans {
			return "N"
		}
		return "T"
	}
	return fmt.Sprintf("%s%s/m%d_n%d_k%d/a%g_b%g/pad%d,%d,%d/nan%v",
		t(tc.tA), t(tc.tB), tc.m, tc.n, tc.k, tc.alpha, tc.beta, tc.padA, tc.padB, tc.padC, tc.nanC)
}

// check runs one case through Sgemm and compares it with the float64
// reference and with gonum's Sgemm.
func check(t *testing.T, r *rand.Rand, tc gemmCase) {
	t.Helper()
	m, n, k := tc.m, tc.n, tc.k
	ar, ac := m, k
	if tc.tA != blas.NoTrans {
		ar, ac = k, m
	}
	br, bc := k, n
	if tc.tB != blas.NoTrans {
		br, bc = n, k
	}
	lda, ldb, ldc := max(1, ac+tc.padA), max(1, bc+tc.padB), max(1, n+tc.padC)
	a := randSlice(r, max(0, (ar-1)*lda+ac))
	b := randSlice(r, max(0, (br-1)*ldb+bc))
	c := randSlice(r, max(0, (m-1)*ldc+n))
	if tc.nanC {
		for i := range c {
			c[i] = float32(math.NaN())
		}
	}
	// Poison the padding of C so writes outside the m×n view are caught.
	for i := range c {
		if i%ldc >= n {
			c[i] = 12345
		}
	}
	c0 := append([]float32(nil), c...)
	cg := append([]float32(nil), c...)
	want := naive(tc.tA, tc.tB, m, n, k, tc.alpha, a, lda, b, ldb, tc.beta, c0, ldc)

	Sgemm(tc.tA, tc.tB, m, n, k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
	gonum.Implementation{}.Sgemm(tc.tA, tc.tB, m, n, k, tc.alpha, a, lda, b, ldb, tc.beta, cg, ldc)

	// float32 accumulation of k products of N(0,1) values: error grows
	// roughly like sqrt(k)·eps·|terms|; be generous but k-relative.
	tol := 1e-5 * float64(k+4) * (1 + math.Abs(float64(tc.alpha)))
	bad := 0
	for i := range c {
		row, col := i/ldc, i%ldc
		if col >= n {
			if c[i] != 12345 {
				t.Fatalf("%v: wrote outside C at (%d,%d): %v", tc, row, col, c[i])
			}
			continue
		}
		w := want[row*n+col]
		if d := math.Abs(float64(c[i]) - w); !(d <= tol*(1+math.Abs(w))) {
			if bad++; bad < 5 {
				t.Errorf("%v: C[%d,%d] = %v, want %v (gonum %v)", tc, row, col, c[i], w, cg[i])
			}
		}
		if d := math.Abs(float64(c[i]) - float64(cg[i])); !(d <= tol*(1+math.Abs(w))) {
			if bad++; bad < 5 {
				t.Errorf("%v: C[%d,%d] = %v, gonum %v", tc, row, col, c[i], cg[i])
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%v: %d mismatches", tc, bad)
	}
}

var transposes = []blas.Transpose{blas.NoTrans, blas.Trans}

// forEachKernel runs f once with each micro-kernel this CPU supports made
// the active one (or once with the gonum fallback when there is none).
func forEachKernel(t *testing.T, f func(t *testing.T)) {
	old, oldSmall := activeKernel, smallWork
	defer func() { activeKernel, smallWork = old, oldSmall }()
	smallWork = 0 // run even 1×1×1 products through the kernels
	if len(kernels) == 0 {
		t.Log("no assembly kernel on this machine; testing the gonum fallback")
		f(t)
		return
	}
	for _, uk := range kernels {
		activeKernel = uk
		t.Run(uk.name, f)
	}
}

func TestSgemmShapes(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		sizes := []int{1, 2, 3, 5, 6, 7, 16, 17, 33, 100}
		for _, ta := range transposes {
			for _, tb := range transposes {
				for _, m := range sizes {
					for _, n := range sizes {
						for _, k := range []int{1, 3, 7, 17, 33, 257} {
							check(t, r, gemmCase{tA: ta, tB: tb, m: m, n: n, k: k, alpha: 1, beta: 0})
						}
					}
				}
			}
		}
	})
}

func TestSgemmAlphaBetaStrides(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 4))
		for _, ta := range transposes {
			for _, tb := range transposes {
				for _, ab := range [][2]float32{{1, 0}, {1, 1}, {0, 0}, {0, 1}, {0, -2}, {-0.5, 0}, {2.5, -1.5}, {1, 0.5}} {
					for _, pad := range [][3]int{{0, 0, 0}, {3, 0, 5}, {0, 7, 1}, {11, 13, 17}} {
						for _, sz := range [][3]int{{7, 33, 17}, {17, 100, 3}, {33, 18, 300}} {
							check(t, r, gemmCase{
								tA: ta, tB: tb, m: sz[0], n: sz[1], k: sz[2],
								alpha: ab[0], beta: ab[1],
								padA: pad[0], padB: pad[1], padC: pad[2],
							})
						}
					}
				}
			}
		}
	})
}

func TestSgemmBetaZeroIgnoresNaN(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(5, 6))
		for _, ta := range transposes {
			for _, tb := range transposes {
				for _, sz := range [][3]int{{1, 1, 1}, {6, 16, 8}, {7, 17, 300}, {100, 257, 33}, {13, 40, 0}} {
					for _, alpha := range []float32{1, 0, 2} {
						check(t, r, gemmCase{tA: ta, tB: tb, m: sz[0], n: sz[1], k: sz[2], alpha: alpha, beta: 0, padC: 3, nanC: true})
					}
				}
			}
		}
	})
}

// TestSgemmLarge covers several cache blocks in every dimension and the
// multi-goroutine split along both m and n.
func TestSgemmLarge(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		if testing.Short() {
			t.Skip("large")
		}
		r := rand.New(rand.NewPCG(7, 8))
		old := minFlopsPerThread
		minFlopsPerThread = 1 << 10 // make sure the parallel split is exercised
		defer func() { minFlopsPerThread = old }()
		for _, sz := range [][3]int{{300, 2100, 600}, {2100, 70, 257}, {64, 4900, 80}, {257, 257, 257}} {
			for _, ta := range transposes {
				for _, tb := range transposes {
					check(t, r, gemmCase{tA: ta, tB: tb, m: sz[0], n: sz[1], k: sz[2], alpha: 1.5, beta: -0.5, padA: 1, padC: 2})
				}
			}
		}
	})
}

func TestSgemmZeroSizes(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(9, 10))
		for _, sz := range [][3]int{{0, 0, 0}, {0, 5, 3}, {5, 0, 3}, {5, 3, 0}} {
			for _, beta := range []float32{0, 1, 2} {
				check(t, r, gemmCase{tA: blas.NoTrans, tB: blas.Trans, m: sz[0], n: sz[1], k: sz[2], alpha: 1, beta: beta})
			}
		}
		// m == 0 or n == 0 must not touch anything, even with nil slices.
		Sgemm(blas.NoTrans, blas.NoTrans, 0, 0, 0, 1, nil, 1, nil, 1, 0, nil, 1)
	})
}

// TestFallback forces the gonum path.
func TestFallback(t *testing.T) {
	old := activeKernel
	activeKernel = nil
	defer func() { activeKernel = old }()
	if Kernel() != "gonum" {
		t.Fatalf("Kernel() = %q with no kernel", Kernel())
	}
	r := rand.New(rand.NewPCG(11, 12))
	for _, ta := range transposes {
		for _, tb := range transposes {
			check(t, r, gemmCase{tA: ta, tB: tb, m: 17, n: 33, k: 7, alpha: 2, beta: 0, nanC: true, padA: 1})
			check(t, r, gemmCase{tA: ta, tB: tb, m: 33, n: 17, k: 100, alpha: 1, beta: 0.5, padB: 2})
		}
	}
}

func TestPanics(t *testing.T) {
	a := make([]float32, 100)
	cases := []struct {
		name string
		f    func()
		msg  string
	}{
		{"badTrans", func() { Sgemm('x', blas.NoTrans, 2, 2, 2, 1, a, 2, a, 2, 0, a, 2) }, badTranspose},
		{"mLT0", func() { Sgemm(blas.NoTrans, blas.NoTrans, -1, 2, 2, 1, a, 2, a, 2, 0, a, 2) }, mLT0},
		{"ldA", func() { Sgemm(blas.NoTrans, blas.NoTrans, 2, 2, 3, 1, a, 2, a, 2, 0, a, 2) }, badLdA},
		{"ldC", func() { Sgemm(blas.NoTrans, blas.NoTrans, 2, 3, 2, 1, a, 2, a, 3, 0, a, 2) }, badLdC},
		{"shortC", func() { Sgemm(blas.NoTrans, blas.NoTrans, 20, 20, 2, 1, a, 2, a, 20, 0, a, 20) }, shortC},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != tc.msg {
					t.Errorf("panic %v, want %q", r, tc.msg)
				}
			}()
			tc.f()
		})
	}
}

// Kernel names the micro-kernel in use, the best one the CPU supports;
// on Linux the CPU's flags say which that must be.
func TestKernelName(t *testing.T) {
	want := "gonum"
	if bestKernel != nil {
		want = bestKernel.name
	}
	got := Kernel()
	if got != want {
		t.Fatalf("Kernel() = %q, the best kernel is %q", got, want)
	}
	if activeKernel != nil && !strings.HasSuffix(got, fmt.Sprintf(" %dx%d", activeKernel.mr, activeKernel.nr)) {
		t.Errorf("kernel %q computes %dx%d blocks", got, activeKernel.mr, activeKernel.nr)
	}
	raw, err := os.ReadFile("/proc/cpuinfo")
	if err != nil || runtime.GOARCH != "amd64" {
		t.Logf("kernel %s (no /proc/cpuinfo on %s/%s to check it against)", got, runtime.GOOS, runtime.GOARCH)
		return
	}
	flags := map[string]bool{}
	for _, line := range strings.Split(string(raw), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "flags" {
			for _, f := range strings.Fields(v) {
				flags[f] = true
			}
			break
		}
	}
	switch {
	case !haveAsm:
		want = "gonum"
	case flags["avx512f"]:
		want = "avx512 8x32"
	case flags["avx2"] && flags["fma"]:
		want = "avx2-fma 6x16"
	default:
		want = "gonum"
	}
	if got != want {
		t.Errorf("Kernel() = %q on a CPU with flags avx512f=%v avx2=%v fma=%v, want %q", got, flags["avx512f"], flags["avx2"], flags["fma"], want)
	}
}

// TestNoAllocs checks that a single-threaded call reuses pooled buffers.
func TestNoAllocs(t *testing.T) {
	if activeKernel == nil || raceEnabled {
		t.Skip("gonum fallback or race detector")
	}
	r := rand.New(rand.NewPCG(13, 14))
	const m, n, k = 20, 30, 40
	a, b, c := randSlice(r, m*k), randSlice(r, k*n), randSlice(r, m*n)
	allocs := testing.AllocsPerRun(100, func() {
		Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, b, n, 0, c, n)
	})
	if allocs > 0 {
		t.Errorf("%v allocations per call", allocs)
	}
}
