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
// The kernels call the BLAS passed in (gorgonia's current BLAS in practice),
// so they follow a switch to OpenBLAS. Each worker goroutine gemms a chunk of
// several samples at once, so that small spatial sizes still give gemm
// operands wide enough to run near peak.
package conv

import (
	"fmt"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
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
	ChunkBytes = 2 << 20
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
func gemm[T Float](bl BLAS, tA, tB blas.Transpose, m, n, k int, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	switch av := any(a).(type) {
	case []float32:
		bl.Sgemm(tA, tB, m, n, k, 1, av, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
	case []float64:
		bl.Dgemm(tA, tB, m, n, k, 1, av, lda, any(b).([]float64), ldb, float64(beta), any(c).([]float64), ldc)
	default:
		panic(fmt.Sprintf("conv: unsupported element type %T", a))
	}
}

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

// im2col writes the patches of one image sample x (C,H,W) into col, row
// (c,ki,kj) at col[row·ld:], one column per output position.
func im2col[T Float](g *Geom, x, col []T, ld int) {
	k, s, p := g.K, g.S, g.P
	oh, ow, h, w := g.OH, g.OW, g.H, g.W
	row := 0
	for c := 0; c < g.C; c++ {
		xc := x[c*h*w : (c+1)*h*w]
		for ki := 0; ki < k; ki++ {
			ylo, yhi := span(h, oh, s, p, ki)
			for kj := 0; kj < k; kj++ {
				xlo, xhi := span(w, ow, s, p, kj)
				dst := col[row*ld : row*ld+oh*ow]
				row++
				clear(dst[:ylo*ow])
				clear(dst[yhi*ow:])
				if xhi <= xlo {
					clear(dst[ylo*ow : yhi*ow])
					continue
				}
				n := xhi - xlo
				off := xlo*s - p + kj
				for y := ylo; y < yhi; y++ {
					d := dst[y*ow : y*ow+ow]
					for i := 0; i < xlo; i++ {
						d[i] = 0
					}
					for i := xhi; i < ow; i++ {
						d[i] = 0
					}
					src := xc[(y*s-p+ki)*w+off:]
					if s == 1 {
						dd, ss := d[xlo:xhi], src[:n]
						for i := range dd {
							dd[i] = ss[i]
						}
						continue
					}
					if s == 2 {
						dd, ss := d[xlo:xhi], src[:2*n-1]
						for i := range dd {
							dd[i] = ss[2*i]
						}
						continue
					}
					dd, ss := d[xlo:xhi], src[:(n-1)*s+1]
					for i := range dd {
						dd[i] = ss[i*s]
					}
				}
			}
		}
	}
}

// col2im adds the columns of col (layout as written by im2col) back onto
// one image sample x (C,H,W): the adjoint of im2col.
func col2im[T Float](g *Geom, col []T, ld int, x []T) {
	k, s, p := g.K, g.S, g.P
	oh, ow, h, w := g.OH, g.OW, g.H, g.W
	row := 0
	for c := 0; c < g.C; c++ {
		xc := x[c*h*w : (c+1)*h*w]
		for ki := 0; ki < k; ki++ {
			ylo, yhi := span(h, oh, s, p, ki)
			for kj := 0; kj < k; kj++ {
				xlo, xhi := span(w, ow, s, p, kj)
				src := col[row*ld : row*ld+oh*ow]
				row++
				if xhi <= xlo {
					continue
				}
				n := xhi - xlo
				off := xlo*s - p + kj
				for y := ylo; y < yhi; y++ {
					ss := src[y*ow+xlo : y*ow+xhi]
					d := xc[(y*s-p+ki)*w+off:]
					if s == 1 {
						d = d[:n]
						for i, v := range ss {
							d[i] += v
						}
						continue
					}
					if s == 2 {
						d = d[:2*n-1]
						for i, v := range ss {
							d[2*i] += v
						}
						continue
					}
					d = d[:(n-1)*s+1]
					for i, v := range ss {
						d[i*s] += v
					}
				}
			}
		}
	}
}

// ---- the four passes ----

// Forward computes y (N,O,OH,OW) = conv(x (N,C,H,W), w (O,C,K,K)) + b,
// where b (length O) may be nil. y is overwritten.
func Forward[T Float](bl BLAS, g Geom, x, w, b, y []T) {
	nb := g.chunk(int(sizeOf[T]()))
	l, ckk, il, ol := g.L(), g.CKK(), g.ImageLen(), g.OutLen()
	parallel(g.N, Workers(g.N), func(_, lo, hi int) {
		colp := getBuf[T](ckk * nb * l)
		defer putBuf(colp)
		col := *colp
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
				im2col(&g, x[(n0+j)*il:(n0+j+1)*il], col[j*l:], ld)
			}
			if m == 1 {
				yn := y[n0*ol : (n0+1)*ol]
				var beta T
				if b != nil {
					fillRows(yn, b, l)
					beta = 1
				}
				gemm(bl, blas.NoTrans, blas.NoTrans, g.O, l, ckk, w, ckk, col, l, beta, yn, l)
				continue
			}
			gemm(bl, blas.NoTrans, blas.NoTrans, g.O, ld, ckk, w, ckk, col, ld, 0, tmp, ld)
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
	nb := g.chunk(int(sizeOf[T]()))
	l, ckk, il, ol := g.L(), g.CKK(), g.ImageLen(), g.OutLen()
	hw := g.H * g.W
	parallel(g.N, Workers(g.N), func(_, lo, hi int) {
		colp := getBuf[T](ckk * nb * l)
		defer putBuf(colp)
		col := *colp
		var tmp []T
		if nb > 1 {
			tp := getBuf[T](g.O * nb * l)
			defer putBuf(tp)
			tmp = *tp
		}
		for n0 := lo; n0 < hi; n0 += nb {
			m := min(nb, hi-n0)
			ld := m * l
			src := dy[n0*ol:]
			if m > 1 {
				gather(tmp, dy, n0, m, g.O, l)
				src = tmp
			}
			gemm(bl, blas.Trans, blas.NoTrans, ckk, ld, g.O, w, ckk, src, ld, 0, col, ld)
			for j := 0; j < m; j++ {
				xn := x[(n0+j)*il : (n0+j+1)*il]
				if b != nil {
					fillRows(xn, b, hw)
				} else {
					clear(xn)
				}
				col2im(&g, col[j*l:], ld, xn)
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
				im2col(&g, x[(n0+j)*il:(n0+j+1)*il], col[j*l:], ld)
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
	parallel(o, Workers(o/8+1), func(_, lo, hi int) {
		for c := lo; c < hi; c++ {
			var s T
			for i := 0; i < n; i++ {
				row := dy[(i*o+c)*l : (i*o+c+1)*l]
				var r T
				for _, v := range row {
					r += v
				}
				s += r
			}
			db[c] = s
		}
	})
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
