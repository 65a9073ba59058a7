// Package conv holds the numeric kernels behind the convolution ops of
// package layers: im2col/col2im lowering onto BLAS gemm, parallel over the
// batch, for float32 and float64 NCHW tensors.
//
// Everything is phrased in terms of one ordinary convolution, described by a
// Geom: an "image" side (N,C,H,W), a filter (O,C,K,K) and an "output" side
// (N,O,OH,OW). A transposed convolution is the backward-data pass of the
// convolution whose output side is its input, so it reuses the same kernels:
//
//	Forward:        y  = conv(x, w) (+ bias per output channel)
//	BackwardData:   dx = col2im(wᵀ·dy) (+ bias per image channel)
//	BackwardFilter: dw = Σₙ dyₙ·im2col(xₙ)ᵀ
//	BiasGrad:       db = Σ over batch and space of dy
//
// The kernels call the BLAS passed in (gorgonia's current BLAS in practice:
// semigan's assembly GEMM in the default build, OpenBLAS with the openblas
// tag), so they follow whatever gorgonia.Use selected. The batch is split
// over GOMAXPROCS worker goroutines (divided by BLASThreads when the BLAS
// runs its own threads); each worker gemms a chunk of several samples at
// once, so that small spatial sizes (7×7) still give gemm operands wide
// enough to run near peak, and reuses pooled scratch buffers. Outputs are
// written in NCHW directly (Forward scatters each chunk's (O, samples·L)
// product into place, adding the bias on the way).
//
// With gonum's plain BLAS the gemms are phrased as a·bᵀ with the long
// dimension innermost (im2row layout) and cut into tiles small enough for
// gonum's serial kernel, which is then about 1.7× faster; see rowForm.
package conv

import (
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Float is the element type of the kernels.
type Float interface{ ~float32 | ~float64 }

// BLAS is the level-3 BLAS the kernels need; gorgonia.BLAS satisfies it.
type BLAS interface {
	blas.Float32Level3
	blas.Float64Level3
}

// Geom describes a 2-D convolution with square kernel, stride and symmetric
// zero padding: image (N,C,H,W) * filter (O,C,K,K) -> output (N,O,OH,OW),
// OH = (H+2P-K)/S+1 and likewise OW.
type Geom struct {
	N, C, H, W int // image side
	O          int // output channels
	K, S, P    int // kernel size, stride, padding
	OH, OW     int // output side
}

// NewGeom returns the geometry of a convolution of an (n,c,h,w) image with
// an (o,c,k,k) filter, computing the output size. It returns an error if a
// size is not positive or the output would be empty.
func NewGeom(n, c, h, w, o, k, s, p int) (Geom, error) {
	g := Geom{N: n, C: c, H: h, W: w, O: o, K: k, S: s, P: p}
	switch {
	case n <= 0 || c <= 0 || h <= 0 || w <= 0 || o <= 0:
		return g, fmt.Errorf("non-positive size: image (%d,%d,%d,%d), %d output channels", n, c, h, w, o)
	case k <= 0 || s <= 0 || p < 0:
		return g, fmt.Errorf("bad kernel %d, stride %d or padding %d", k, s, p)
	case h+2*p < k || w+2*p < k:
		return g, fmt.Errorf("kernel %d larger than padded input %dx%d (padding %d)", k, h, w, p)
	}
	g.OH = (h+2*p-k)/s + 1
	g.OW = (w+2*p-k)/s + 1
	return g, nil
}

// L is the number of output positions per sample and channel, OH·OW.
func (g Geom) L() int { return g.OH * g.OW }

// CKK is the length of one filter, C·K·K: the rows of an im2col buffer.
func (g Geom) CKK() int { return g.C * g.K * g.K }

// ImageLen is the number of elements of one image sample, C·H·W.
func (g Geom) ImageLen() int { return g.C * g.H * g.W }

// OutLen is the number of elements of one output sample, O·OH·OW.
func (g Geom) OutLen() int { return g.O * g.OH * g.OW }

// Tuning knobs, variables so that benchmarks can explore them.
var (
	// ChunkCols is the gemm width (samples·L) a chunk aims at.
	ChunkCols = 512
	// ChunkBytes caps the im2col buffer of one chunk.
	ChunkBytes = 4 << 20
)

// chunk returns the number of samples gemm'd together.
func (g Geom) chunk(elem int) int {
	l := g.L()
	nb := (ChunkCols + l - 1) / l
	if m := ChunkBytes / (elem * g.CKK() * l); nb > m {
		nb = m
	}
	if nb < 1 {
		nb = 1
	}
	if nb > g.N {
		nb = g.N
	}
	return nb
}

// BLASThreads, if not nil, returns the number of threads the BLAS runs
// each gemm on. The kernels then run GOMAXPROCS/BLASThreads() workers, so
// that the goroutines and the BLAS threads together match GOMAXPROCS.
var BLASThreads func() int

// Workers returns how many goroutines a kernel over n items uses:
// GOMAXPROCS divided by the BLAS's own thread count, at most n, at least 1.
func Workers(n int) int {
	w := runtime.GOMAXPROCS(0)
	if BLASThreads != nil {
		if t := BLASThreads(); t > 1 {
			w /= t
		}
	}
	if w > n {
		w = n
	}
	if w < 1 {
		w = 1
	}
	return w
}

// Parallel runs fn over contiguous ranges covering [0,n), on up to
// GOMAXPROCS goroutines (no BLAS involved).
func Parallel(n int, fn func(lo, hi int)) {
	w := runtime.GOMAXPROCS(0)
	if w > n {
		w = n
	}
	parallel(n, w, func(_, lo, hi int) { fn(lo, hi) })
}

// parallel splits [0,n) into contiguous ranges, one per worker, and runs
// fn(worker, lo, hi) on each; the last range runs on the calling goroutine.
func parallel(n, workers int, fn func(w, lo, hi int)) {
	if workers <= 1 {
		fn(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*n/workers, (w+1)*n/workers
		if w == workers-1 {
			fn(w, lo, hi)
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(w, lo, hi)
		}()
	}
	wg.Wait()
}

// ---- scratch buffers ----

var pool32, pool64 sync.Pool

// getBuf returns a scratch slice of length n with unspecified contents.
func getBuf[T Float](n int) *[]T {
	var p *sync.Pool
	var zero T
	if _, ok := any(zero).(float32); ok {
		p = &pool32
	} else {
		p = &pool64
	}
	if v := p.Get(); v != nil {
		b := v.(*[]T)
		if cap(*b) >= n {
			*b = (*b)[:n]
			return b
		}
	}
	b := make([]T, n)
	return &b
}

func putBuf[T Float](b *[]T) {
	var zero T
	if _, ok := any(zero).(float32); ok {
		pool32.Put(b)
	} else {
		pool64.Put(b)
	}
}

// gemm computes c = a·b + beta·c (with the given transposes) in the BLAS
// of the element type.
//
// With gonum's BLAS, a·bᵀ (NoTrans, Trans) is computed in tiles of at most
// 64×192 elements of c: gonum then runs its serial kernel, whose full-length
// dot products are about 1.7× faster than the 64-long pieces its parallel
// kernel computes (the kernels parallelise over the batch themselves).
func gemm[T Float](bl BLAS, tA, tB blas.Transpose, m, n, k int, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if tA == blas.NoTrans && tB == blas.Trans && isGonum(bl) && (m > tileM || n > tileN) {
		for i := 0; i < m; i += tileM {
			mi := min(tileM, m-i)
			for j := 0; j < n; j += tileN {
				nj := min(tileN, n-j)
				gemm1(bl, tA, tB, mi, nj, k, a[i*lda:], lda, b[j*ldb:], ldb, beta, c[i*ldc+j:], ldc)
			}
		}
		return
	}
	gemm1(bl, tA, tB, m, n, k, a, lda, b, ldb, beta, c, ldc)
}

const tileM, tileN = 64, 192

func gemm1[T Float](bl BLAS, tA, tB blas.Transpose, m, n, k int, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	switch av := any(a).(type) {
	case []float32:
		bl.Sgemm(tA, tB, m, n, k, 1, av, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
	case []float64:
		bl.Dgemm(tA, tB, m, n, k, 1, av, lda, any(b).([]float64), ldb, float64(beta), any(c).([]float64), ldc)
	default:
		panic(fmt.Sprintf("conv: unsupported element type %T", a))
	}
}

// isGonum reports whether bl is gonum's pure-Go BLAS.
func isGonum(bl BLAS) bool {
	switch bl.(type) {
	case gonum.Implementation, *gonum.Implementation:
		return true
	}
	return false
}

// rowForm says whether Forward and BackwardData phrase their gemms as a·bᵀ
// with the patch or channel axis innermost (im2row layout), which is what
// gonum's BLAS is fastest at, rather than as a·b over im2col columns, which
// suits OpenBLAS.
func rowForm(bl BLAS) bool {
	if ForceRowForm != nil {
		return *ForceRowForm
	}
	return isGonum(bl)
}

// ForceRowForm, if not nil, overrides rowForm (tests and benchmarks).
var ForceRowForm *bool

// ---- im2col / col2im ----

// span returns the range [lo,hi) of output positions o whose input
// coordinate o·s − p + kk lies inside [0,n).
func span(n, out, s, p, kk int) (lo, hi int) {
	// o·s ≥ p − kk  ⇒  o ≥ ceil((p−kk)/s)
	if d := p - kk; d > 0 {
		lo = (d + s - 1) / s
	}
	// o·s − p + kk ≤ n−1  ⇒  o ≤ floor((n−1+p−kk)/s)
	if d := n - 1 + p - kk; d < 0 {
		hi = 0
	} else {
		hi = d/s + 1
	}
	if hi > out {
		hi = out
	}
	if lo > hi {
		lo = hi
	}
	return lo, hi
}

// spanTab holds, for each kernel row ki and column kj, the output rows and
// columns whose input lies inside the image (see span).
type spanTab struct{ ys, xs [][2]int }

func (g *Geom) spans() *spanTab {
	t := &spanTab{ys: make([][2]int, g.K), xs: make([][2]int, g.K)}
	for i := 0; i < g.K; i++ {
		t.ys[i][0], t.ys[i][1] = span(g.H, g.OH, g.S, g.P, i)
		t.xs[i][0], t.xs[i][1] = span(g.W, g.OW, g.S, g.P, i)
	}
	return t
}

// im2row writes the patches of one image sample x (C,H,W) into colT, one
// row of C·K·K elements (c,ki,kj) per output position: the transpose of
// im2col's layout, for gemms whose inner dimension is the patch.
func im2row[T Float](g *Geom, x, colT []T) {
	k, s, p := g.K, g.S, g.P
	oh, ow, h, w := g.OH, g.OW, g.H, g.W
	ckk := g.CKK()
	if len(x) < g.C*h*w || len(colT) < oh*ow*ckk {
		panic("conv: im2row: short slice")
	}
	xb := unsafe.Pointer(unsafe.SliceData(x))
	d := unsafe.Pointer(unsafe.SliceData(colT))
	dOff := 0
	for oy := 0; oy < oh; oy++ {
		iy0 := oy*s - p
		kiLo, kiHi := max(0, -iy0), min(k, h-iy0)
		for ox := 0; ox < ow; ox++ {
			ix0 := ox*s - p
			kjLo, kjHi := max(0, -ix0), min(k, w-ix0)
			patchRow[T](d, xb, dOff, iy0*w+ix0, g.C, k, kiLo, kiHi, kjLo, kjHi, h*w, w)
			dOff += ckk
		}
	}
}

// patchRow writes one im2row row at element dOff of the array at d: for
// each channel c and kernel row ki, the K elements x[off + c·chanStride +
// ki·w + kj] of the array at xb, zero outside [kiLo,kiHi) × [kjLo,kjHi)
// (where the index would leave the image; off itself may be negative).
func patchRow[T Float](d, xb unsafe.Pointer, dOff, off, c, k, kiLo, kiHi, kjLo, kjHi, chanStride, w int) {
	for ; c > 0; c-- {
		for ki := 0; ki < k; ki++ {
			if ki < kiLo || ki >= kiHi {
				for kj := 0; kj < k; kj++ {
					*at[T](d, dOff+kj) = 0
				}
			} else {
				r := off + ki*w
				for kj := 0; kj < kjLo; kj++ {
					*at[T](d, dOff+kj) = 0
				}
				for kj := kjLo; kj < kjHi; kj++ {
					*at[T](d, dOff+kj) = *at[T](xb, r+kj)
				}
				for kj := kjHi; kj < k; kj++ {
					*at[T](d, dOff+kj) = 0
				}
			}
			dOff += k
		}
		off += chanStride
	}
}

// col2im adds the columns of col (the layout im2colP writes) back onto
// one image sample x (C,H,W): the adjoint of im2colP.
//
// im2colP, im2row and col2im are the hot loops besides gemm. They check
// the extent of both slices once and then index through unsafe pointers
// (only ever forming pointers to elements inside the slices), since the
// bounds checks of the short rows (OW and K are 3 to 14 here) cost as much
// as the copies themselves. The inner loops are separate functions so that
// their counters stay in registers. (col2im stays with edge tests rather
// than a padded copy: adding into a padded copy measured 2.5 times slower.)
func col2im[T Float](g *Geom, sp *spanTab, col []T, ld int, x []T) {
	k, s, p := g.K, g.S, g.P
	oh, ow, h, w := g.OH, g.OW, g.H, g.W
	if len(x) < g.C*h*w || len(col) < (g.CKK()-1)*ld+oh*ow || ld < oh*ow {
		panic("conv: col2im: short slice")
	}
	xb := unsafe.Pointer(unsafe.SliceData(x))
	cb := unsafe.Pointer(unsafe.SliceData(col))
	ys, xs := sp.ys, sp.xs
	row := 0
	for c := 0; c < g.C; c++ {
		for ki := 0; ki < k; ki++ {
			ylo, yhi := ys[ki][0], ys[ki][1]
			for kj := 0; kj < k; kj++ {
				xlo, xhi := xs[kj][0], xs[kj][1]
				r := row
				row++
				if xhi <= xlo || yhi <= ylo {
					continue
				}
				scatterRows[T](xb, cb, c*h*w+(ylo*s-p+ki)*w+xlo*s-p+kj, r*ld+ylo*ow+xlo,
					yhi-ylo, xhi-xlo, ow, s, s*w)
			}
		}
	}
}

// scatterRows adds rows of n elements of the array at src (from element
// sOff, row stride ow) to d[dOff + i·s], dOff advancing by dstStride per
// row: the adjoint of a strided gather.
func scatterRows[T Float](d, src unsafe.Pointer, dOff, sOff, rows, n, ow, s, dstStride int) {
	for ; rows > 0; rows-- {
		switch s {
		case 1:
			for i := 0; i < n; i++ {
				*at[T](d, dOff+i) += *at[T](src, sOff+i)
			}
		case 2:
			for i := 0; i < n; i++ {
				*at[T](d, dOff+2*i) += *at[T](src, sOff+i)
			}
		default:
			for i := 0; i < n; i++ {
				*at[T](d, dOff+s*i) += *at[T](src, sOff+i)
			}
		}
		sOff += ow
		dOff += dstStride
	}
}

// ---- im2col through a zero-padded copy ----
//
// im2colP works on a zero-padded (C, H+2P, W+2P) copy of one image sample
// (padImage: contiguous row copies), so that the patch rows are plain
// strided gathers with no edge tests: the pixel (oy·S−P+ki, ox·S−P+kj) of
// the image is element (oy·S+ki, ox·S+kj) of the padded copy, always
// inside it. On the SGAN's layers this is about 30 % faster than gathering
// from the image with edge tests, the padding pass included.

// padLen is the number of values of the padded copy of one sample.
func (g *Geom) padLen() int { return g.C * (g.H + 2*g.P) * (g.W + 2*g.P) }

// padImage writes the zero-padded copy of the image sample x (C,H,W) into
// pad.
func padImage[T Float](g *Geom, x, pad []T) {
	h, w, p := g.H, g.W, g.P
	hp, wp := h+2*p, w+2*p
	if len(x) < g.C*h*w || len(pad) < g.padLen() {
		panic("conv: padImage: short slice")
	}
	for c := 0; c < g.C; c++ {
		plane := pad[c*hp*wp : (c+1)*hp*wp]
		clear(plane[:p*wp])
		clear(plane[(p+h)*wp:])
		xc := x[c*h*w : (c+1)*h*w]
		for y := 0; y < h; y++ {
			row := plane[(p+y)*wp : (p+y+1)*wp]
			clear(row[:p])
			copy(row[p:p+w], xc[y*w:(y+1)*w])
			clear(row[p+w:])
		}
	}
}

// im2colP writes the patches of one sample, given as its padded copy
// pad, into col: row (c,ki,kj) at col[row·ld:], one column per output
// position.
func im2colP[T Float](g *Geom, pad, col []T, ld int) {
	k, s, oh, ow := g.K, g.S, g.OH, g.OW
	hp, wp := g.H+2*g.P, g.W+2*g.P
	if len(col) < (g.CKK()-1)*ld+oh*ow || ld < oh*ow || len(pad) < g.padLen() {
		panic("conv: im2col: short slice")
	}
	d := unsafe.Pointer(unsafe.SliceData(col))
	src := unsafe.Pointer(unsafe.SliceData(pad))
	row := 0
	for c := 0; c < g.C; c++ {
		for ki := 0; ki < k; ki++ {
			for kj := 0; kj < k; kj++ {
				gatherPadded[T](d, src, row*ld, (c*hp+ki)*wp+kj, oh, ow, s, s*wp)
				row++
			}
		}
	}
}

// gatherPadded writes rows·n values at element dOff of the array at d:
// row r, column i is element sOff + r·rowStride + i·s of the array at s.
func gatherPadded[T Float](d, src unsafe.Pointer, dOff, sOff, rows, n, s, rowStride int) {
	for ; rows > 0; rows-- {
		if s == 1 {
			i := 0
			for ; i+4 <= n; i += 4 {
				*(*[4]T)(unsafe.Pointer(at[T](d, dOff+i))) = *(*[4]T)(unsafe.Pointer(at[T](src, sOff+i)))
			}
			for ; i < n; i++ {
				*at[T](d, dOff+i) = *at[T](src, sOff+i)
			}
		} else {
			for i, j := 0, sOff; i < n; i, j = i+1, j+s {
				*at[T](d, dOff+i) = *at[T](src, j)
			}
		}
		dOff += n
		sOff += rowStride
	}
}

// at returns a pointer to element i of the array at b.
func at[T Float](b unsafe.Pointer, i int) *T {
	var z T
	return (*T)(unsafe.Add(b, uintptr(i)*unsafe.Sizeof(z)))
}

// ---- the four passes ----

// Forward computes y (N,O,OH,OW) = conv(x (N,C,H,W), w (O,C,K,K)) + b,
// where b (length O) may be nil. y is overwritten.
func Forward[T Float](bl BLAS, g Geom, x, w, b, y []T) {
	rows := rowForm(bl)
	nb := g.chunk(int(sizeOf[T]()))
	l, ckk, il, ol := g.L(), g.CKK(), g.ImageLen(), g.OutLen()
	parallel(g.N, Workers(g.N), func(_, lo, hi int) {
		colp := getBuf[T](ckk * nb * l)
		defer putBuf(colp)
		col := *colp
		padp := getBuf[T](g.padLen())
		defer putBuf(padp)
		pad := *padp
		var tmp []T
		if nb > 1 {
			tp := getBuf[T](g.O * nb * l)
			defer putBuf(tp)
			tmp = *tp
		}
		for n0 := lo; n0 < hi; n0 += nb {
			m := min(nb, hi-n0)
			ld := m * l
			for j := 0; j < m; j++ {
				xn := x[(n0+j)*il : (n0+j+1)*il]
				if rows {
					im2row(&g, xn, col[j*l*ckk:])
				} else {
					padImage(&g, xn, pad)
					im2colP(&g, pad, col[j*l:], ld)
				}
			}
			// out (O, ld) = w (O, CKK) · patches (CKK, ld)
			out, ldo, beta := tmp, ld, T(0)
			if m == 1 {
				out, ldo = y[n0*ol:(n0+1)*ol], l
				if b != nil {
					fillRows(out, b, l)
					beta = 1
				}
			}
			if rows {
				gemm(bl, blas.NoTrans, blas.Trans, g.O, ld, ckk, w, ckk, col, ckk, beta, out, ldo)
			} else {
				gemm(bl, blas.NoTrans, blas.NoTrans, g.O, ld, ckk, w, ckk, col, ld, beta, out, ldo)
			}
			if m == 1 {
				continue
			}
			for j := 0; j < m; j++ {
				yn := y[(n0+j)*ol : (n0+j+1)*ol]
				for o := 0; o < g.O; o++ {
					src := tmp[o*ld+j*l : o*ld+(j+1)*l]
					dst := yn[o*l : (o+1)*l]
					if b == nil {
						copy(dst, src)
						continue
					}
					bo := b[o]
					for i, v := range src {
						dst[i] = v + bo
					}
				}
			}
		}
	})
}

// BackwardData computes x (N,C,H,W) = col2im(wᵀ·dy) + b for dy (N,O,OH,OW)
// and w (O,C,K,K), where b (length C) may be nil. x is overwritten. This is
// the gradient of Forward with respect to its image and also the forward
// pass of a transposed convolution.
func BackwardData[T Float](bl BLAS, g Geom, dy, w, b, x []T) {
	sp := g.spans()
	rows := rowForm(bl)
	nb := g.chunk(int(sizeOf[T]()))
	l, ckk, il, ol := g.L(), g.CKK(), g.ImageLen(), g.OutLen()
	hw := g.H * g.W
	var wt []T // wᵀ (CKK, O) for the row form
	if rows {
		wtp := getBuf[T](ckk * g.O)
		defer putBuf(wtp)
		wt = *wtp
		transpose(wt, w, g.O, ckk)
	}
	parallel(g.N, Workers(g.N), func(_, lo, hi int) {
		colp := getBuf[T](ckk * nb * l)
		defer putBuf(colp)
		col := *colp
		var tmp []T
		if nb > 1 || rows {
			tp := getBuf[T](g.O * nb * l)
			defer putBuf(tp)
			tmp = *tp
		}
		for n0 := lo; n0 < hi; n0 += nb {
			m := min(nb, hi-n0)
			ld := m * l
			// col (CKK, ld) = wᵀ · dy (O, ld)
			switch {
			case rows:
				gatherT(tmp, dy, n0, m, g.O, l) // dyᵀ (ld, O)
				gemm(bl, blas.NoTrans, blas.Trans, ckk, ld, g.O, wt, g.O, tmp, g.O, 0, col, ld)
			case m > 1:
				gather(tmp, dy, n0, m, g.O, l)
				gemm(bl, blas.Trans, blas.NoTrans, ckk, ld, g.O, w, ckk, tmp, ld, 0, col, ld)
			default:
				gemm(bl, blas.Trans, blas.NoTrans, ckk, ld, g.O, w, ckk, dy[n0*ol:], ld, 0, col, ld)
			}
			for j := 0; j < m; j++ {
				xn := x[(n0+j)*il : (n0+j+1)*il]
				if b != nil {
					fillRows(xn, b, hw)
				} else {
					clear(xn)
				}
				col2im(&g, sp, col[j*l:], ld, xn)
			}
		}
	})
}

// BackwardFilter computes dw (O,C,K,K) = Σₙ dyₙ·im2col(xₙ)ᵀ for x (N,C,H,W)
// and dy (N,O,OH,OW). dw is overwritten.
func BackwardFilter[T Float](bl BLAS, g Geom, x, dy, dw []T) {
	nb := g.chunk(int(sizeOf[T]()))
	l, ckk, il, ol := g.L(), g.CKK(), g.ImageLen(), g.OutLen()
	nw := Workers(g.N)
	wl := g.O * ckk
	parts := make([]*[]T, nw)
	parallel(g.N, nw, func(wk, lo, hi int) {
		var acc []T
		if wk == 0 {
			acc = dw
		} else {
			parts[wk] = getBuf[T](wl)
			acc = *parts[wk]
		}
		clear(acc)
		colp := getBuf[T](ckk * nb * l)
		defer putBuf(colp)
		col := *colp
		padp := getBuf[T](g.padLen())
		defer putBuf(padp)
		pad := *padp
		var tmp []T
		if nb > 1 {
			tp := getBuf[T](g.O * nb * l)
			defer putBuf(tp)
			tmp = *tp
		}
		for n0 := lo; n0 < hi; n0 += nb {
			m := min(nb, hi-n0)
			ld := m * l
			for j := 0; j < m; j++ {
				padImage(&g, x[(n0+j)*il:(n0+j+1)*il], pad)
				im2colP(&g, pad, col[j*l:], ld)
			}
			src := dy[n0*ol:]
			if m > 1 {
				gather(tmp, dy, n0, m, g.O, l)
				src = tmp
			}
			gemm(bl, blas.NoTrans, blas.Trans, g.O, ckk, ld, src, ld, col, ld, 1, acc, ckk)
		}
	})
	for _, p := range parts[1:] {
		for i, v := range *p {
			dw[i] += v
		}
		putBuf(p)
	}
}

// BiasGrad computes db (length O) = the sum of dy (N,O,L) over the batch and
// the L positions. db is overwritten.
func BiasGrad[T Float](n, o, l int, dy, db []T) {
	parallel(o, min(runtime.GOMAXPROCS(0), o/8+1), func(_, lo, hi int) {
		for c := lo; c < hi; c++ {
			var s T
			for i := 0; i < n; i++ {
				s += sum(dy[(i*o+c)*l : (i*o+c+1)*l])
			}
			db[c] = s
		}
	})
}

// sum returns the sum of v, with four accumulators to break the chain of
// dependent additions.
func sum[T Float](v []T) T {
	var a, b, c, d T
	i := 0
	for ; i+4 <= len(v); i += 4 {
		w := v[i : i+4 : i+4]
		a += w[0]
		b += w[1]
		c += w[2]
		d += w[3]
	}
	for ; i < len(v); i++ {
		a += v[i]
	}
	return (a + b) + (c + d)
}

// gather copies samples n0..n0+m-1 of dy (N,O,L) into tmp as an (O, m·L)
// matrix.
func gather[T Float](tmp, dy []T, n0, m, o, l int) {
	ld := m * l
	for j := 0; j < m; j++ {
		s := dy[(n0+j)*o*l:]
		for c := 0; c < o; c++ {
			copy(tmp[c*ld+j*l:c*ld+(j+1)*l], s[c*l:(c+1)*l])
		}
	}
}

// gatherT copies samples n0..n0+m-1 of dy (N,O,L) into tmp as the
// transpose (m·L, O) of gather's matrix.
func gatherT[T Float](tmp, dy []T, n0, m, o, l int) {
	for j := 0; j < m; j++ {
		transpose(tmp[j*l*o:(j+1)*l*o], dy[(n0+j)*o*l:(n0+j+1)*o*l], o, l)
	}
}

// transpose writes the transpose (c, r) of the row-major r×c matrix src
// into dst, in 32×32 blocks.
func transpose[T Float](dst, src []T, r, c int) {
	const bs = 32
	for i0 := 0; i0 < r; i0 += bs {
		for j0 := 0; j0 < c; j0 += bs {
			for i := i0; i < min(i0+bs, r); i++ {
				row := src[i*c : (i+1)*c]
				for j := j0; j < min(j0+bs, c); j++ {
					dst[j*r+i] = row[j]
				}
			}
		}
	}
}

// fillRows sets row r of dst (rows of length l) to b[r].
func fillRows[T Float](dst, b []T, l int) {
	for r, v := range b {
		d := dst[r*l : (r+1)*l]
		for i := range d {
			d[i] = v
		}
	}
}

func sizeOf[T Float]() uintptr {
	var z T
	if _, ok := any(z).(float32); ok {
		return 4
	}
	return 8
}
