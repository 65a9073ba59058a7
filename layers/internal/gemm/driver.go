package gemm

import (
	"runtime"
	"sync"
	"unsafe"
)

// microKernel describes an mr×nr register-blocked micro-kernel and the cache
// blocking used around it.
type microKernel struct {
	name   string
	mr, nr int // register block: C tile of mr rows × nr columns
	kc     int // depth of a packed panel (upper bound; balanced per call)
	mc     int // rows of op(A) packed at once (multiple of mr)
	nc     int // columns of op(B) packed at once (multiple of nr)

	// fn computes the mr×nr tile
	//	acc = Σ_{p<k} a[p*mr+i] * b[p*nr+j]
	//	C[i*ldc+j] = alpha*acc + beta*C[i*ldc+j]   if accum != 0
	//	C[i*ldc+j] = alpha*acc                     if accum == 0 (C not read)
	// from packed panels a (k×mr, row i of the tile contiguous per p) and
	// b (k×nr). k >= 1.
	fn func(k int, a, b, c *float32, ldc int, alpha, beta float32, accum int)

	// fnHalf, if not nil, is fn restricted to the left nr/2 columns (of
	// both the B panel and C), for right-edge tiles at most nr/2 wide.
	fnHalf func(k int, a, b, c *float32, ldc int, alpha, beta float32, accum int)

	// Optional assembly packers for full panels, func(k, src, ld, dst).
	// packA gathers an mr-row panel of a row-major op(A) (aTrans false) and
	// packB an nr-column panel of op(B) stored transposed (bTrans true); both
	// transpose 8×8 blocks and pack only p < k&^7, leaving the rest to Go.
	// packAT (aTrans true) and packBN (bTrans false) copy rows and pack all
	// of k.
	packA, packAT, packB, packBN packFunc
}

type packFunc func(k int, src *float32, ld int, dst *float32)

// activeKernel is the micro-kernel Sgemm uses; nil means gonum's Sgemm.
// It is set once at init (see kernel_*.go) and only changed by tests.
var activeKernel *microKernel

// smallWork is the size m·n·k below which Sgemm calls gonum's Sgemm,
// which is faster there than packing.
var smallWork = 8 * 8 * 8

// minFlopsPerThread is the least work, in multiply-adds, worth handing to an
// extra goroutine.
var minFlopsPerThread = 1 << 20

// problem is one validated Sgemm call with alpha != 0, k > 0, m, n > 0.
type problem struct {
	aTrans, bTrans bool
	m, n, k        int
	a              []float32
	lda            int
	b              []float32
	ldb            int
	c              []float32
	ldc            int
	alpha, beta    float32
}

// buffers holds the packed panels of one goroutine.
type buffers struct {
	a, b []float32
	tile []float32
}

var bufPool sync.Pool

func getBuffers(uk *microKernel) *buffers {
	bufs, _ := bufPool.Get().(*buffers)
	if bufs == nil {
		bufs = new(buffers)
	}
	na := uk.mc * uk.kc
	nb := uk.nc * uk.kc
	if cap(bufs.a) < na {
		bufs.a = make([]float32, na)
	}
	if cap(bufs.b) < nb {
		bufs.b = make([]float32, nb)
	}
	if cap(bufs.tile) < uk.mr*uk.nr {
		bufs.tile = make([]float32, uk.mr*uk.nr)
	}
	bufs.a, bufs.b, bufs.tile = bufs.a[:na], bufs.b[:nb], bufs.tile[:uk.mr*uk.nr]
	return bufs
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// balance splits total into the fewest chunks of at most limit and returns the
// chunk size, rounded up to a multiple of unit, that makes them as even as
// possible.
func balance(total, limit, unit int) int {
	if total <= limit {
		return ceilDiv(total, unit) * unit
	}
	s := ceilDiv(total, ceilDiv(total, limit))
	return min(limit, ceilDiv(s, unit)*unit)
}

// run computes the whole product, on several goroutines when it is large.
func (g *problem) run(uk *microKernel) {
	threads := runtime.GOMAXPROCS(0)
	work := g.m * g.n * g.k
	threads = min(threads, max(1, work/minFlopsPerThread))
	// Split C into column strips (whole nr panels) or row strips (whole mr
	// panels), whichever dimension has more panels; each goroutine computes
	// its strip with its own packing buffers, so no synchronisation is needed.
	colPanels := ceilDiv(g.n, uk.nr)
	rowPanels := ceilDiv(g.m, uk.mr)
	splitN := colPanels >= rowPanels
	panels := rowPanels
	if splitN {
		panels = colPanels
	}
	threads = min(threads, panels)
	if threads <= 1 {
		bufs := getBuffers(uk)
		g.block(uk, bufs, 0, g.m, 0, g.n)
		bufPool.Put(bufs)
		return
	}
	var wg sync.WaitGroup
	for t := 0; t < threads; t++ {
		lo, hi := panels*t/threads, panels*(t+1)/threads
		i0, i1, j0, j1 := 0, g.m, 0, g.n
		if splitN {
			j0, j1 = lo*uk.nr, min(hi*uk.nr, g.n)
		} else {
			i0, i1 = lo*uk.mr, min(hi*uk.mr, g.m)
		}
		wg.Add(1)
		go func(g problem) { // a copy, so that *g does not escape
			defer wg.Done()
			bufs := getBuffers(uk)
			g.block(uk, bufs, i0, i1, j0, j1)
			bufPool.Put(bufs)
		}(*g)
	}
	wg.Wait()
}

// block computes rows [i0,i1) × columns [j0,j1) of C, GotoBLAS style:
//
//	for jc: nc columns of op(B)       (packed B block lives in L3/L2)
//	  for pc: kc deep slices of k     (pack op(B)[pc:pc+kc, jc:jc+nc])
//	    for ic: mc rows of op(A)      (pack op(A)[ic:ic+mc, pc:pc+kc], in L2)
//	      for jr: nr-wide B panel     (in L1)
//	        for ir: mr-high A panel   -> micro-kernel on an mr×nr tile of C
func (g *problem) block(uk *microKernel, bufs *buffers, i0, i1, j0, j1 int) {
	mr, nr := uk.mr, uk.nr
	kc := balance(g.k, uk.kc, 1)
	mc := balance(i1-i0, uk.mc, mr)
	nc := balance(j1-j0, uk.nc, nr)
	for jc := j0; jc < j1; jc += nc {
		nb := min(nc, j1-jc)
		for pc := 0; pc < g.k; pc += kc {
			kb := min(kc, g.k-pc)
			g.packB(uk, bufs.b, pc, kb, jc, nb)
			beta, accum := g.beta, 1
			if pc > 0 {
				beta = 1 // later k slices accumulate onto the first one
			} else if beta == 0 {
				accum = 0
			}
			for ic := i0; ic < i1; ic += mc {
				mb := min(mc, i1-ic)
				g.packA(uk, bufs.a, ic, mb, pc, kb)
				g.macro(uk, bufs, ic, mb, jc, nb, kb, beta, accum)
			}
		}
	}
}

// macro runs the micro-kernel over the packed mb×kb block of op(A) and the
// packed kb×nb block of op(B), updating C[ic:ic+mb, jc:jc+nb].
func (g *problem) macro(uk *microKernel, bufs *buffers, ic, mb, jc, nb, kb int, beta float32, accum int) {
	mr, nr := uk.mr, uk.nr
	ap, bp, tile := bufs.a, bufs.b, bufs.tile
	c, ldc, alpha := g.c, g.ldc, g.alpha
	for jr := 0; jr < nb; jr += nr {
		nrr := min(nr, nb-jr)
		bpanel := &bp[(jr/nr)*kb*nr]
		for ir := 0; ir < mb; ir += mr {
			mrr := min(mr, mb-ir)
			apanel := &ap[(ir/mr)*kb*mr]
			off := (ic+ir)*ldc + jc + jr
			if mrr == mr && nrr == nr {
				// The kernel writes rows off, off+ldc, ..., each nr long.
				_ = c[off+(mr-1)*ldc+nr-1]
				uk.fn(kb, apanel, bpanel, unsafe.SliceData(c[off:]), ldc, alpha, beta, accum)
				continue
			}
			// Edge tile: compute the full padded tile into scratch, then merge
			// the valid part.
			if nrr <= nr/2 && uk.fnHalf != nil {
				uk.fnHalf(kb, apanel, bpanel, &tile[0], nr, alpha, 0, 0)
			} else {
				uk.fn(kb, apanel, bpanel, &tile[0], nr, alpha, 0, 0)
			}
			for i := 0; i < mrr; i++ {
				crow := c[off+i*ldc : off+i*ldc+nrr]
				trow := tile[i*nr : i*nr+nrr]
				if accum == 0 {
					copy(crow, trow)
					continue
				}
				for j, v := range trow {
					crow[j] = v + beta*crow[j]
				}
			}
		}
	}
}

// packA packs op(A)[ic:ic+mb, pc:pc+kb] into ceil(mb/mr) panels of kb×mr
// values (panel element [p][i] = op(A)[ic+ir+i, pc+p]), zero-padding the last.
func (g *problem) packA(uk *microKernel, dst []float32, ic, mb, pc, kb int) {
	mr := uk.mr
	a, lda := g.a, g.lda
	for ir := 0; ir < mb; ir += mr {
		mrr := min(mr, mb-ir)
		panel := dst[(ir/mr)*kb*mr : (ir/mr+1)*kb*mr]
		if g.aTrans {
			// op(A)[i, p] = a[p*lda + i]: each p is a contiguous run of i.
			if mrr == mr && uk.packAT != nil {
				_ = a[(pc+kb-1)*lda+ic+ir+mr-1]
				uk.packAT(kb, &a[pc*lda+ic+ir], lda, &panel[0])
				continue
			}
			for p := 0; p < kb; p++ {
				src := a[(pc+p)*lda+ic+ir:]
				d := panel[p*mr : p*mr+mr]
				copy(d, src[:mrr])
				clear(d[mrr:])
			}
			continue
		}
		// op(A)[i, p] = a[i*lda + p]: each i is a contiguous run of p.
		p0 := 0
		if mrr == mr && uk.packA != nil && kb >= 8 {
			_ = a[(ic+ir+mr-1)*lda+pc+kb-1]
			uk.packA(kb, &a[(ic+ir)*lda+pc], lda, &panel[0])
			p0 = kb &^ 7
		}
		for i := 0; i < mrr && p0 < kb; i++ {
			src := a[(ic+ir+i)*lda+pc:]
			src = src[p0:kb]
			d := panel[p0*mr+i:]
			for p, v := range src {
				d[p*mr] = v
			}
		}
		for i := mrr; i < mr; i++ {
			for p := 0; p < kb; p++ {
				panel[p*mr+i] = 0
			}
		}
	}
}

// packB packs op(B)[pc:pc+kb, jc:jc+nb] into ceil(nb/nr) panels of kb×nr
// values (panel element [p][j] = op(B)[pc+p, jc+jr+j]), zero-padding the last.
func (g *problem) packB(uk *microKernel, dst []float32, pc, kb, jc, nb int) {
	nr := uk.nr
	b, ldb := g.b, g.ldb
	for jr := 0; jr < nb; jr += nr {
		nrr := min(nr, nb-jr)
		panel := dst[(jr/nr)*kb*nr : (jr/nr+1)*kb*nr]
		if !g.bTrans {
			// op(B)[p, j] = b[p*ldb + j]: each p is a contiguous run of j.
			if nrr == nr && uk.packBN != nil {
				_ = b[(pc+kb-1)*ldb+jc+jr+nr-1]
				uk.packBN(kb, &b[pc*ldb+jc+jr], ldb, &panel[0])
				continue
			}
			for p := 0; p < kb; p++ {
				src := b[(pc+p)*ldb+jc+jr:]
				d := panel[p*nr : p*nr+nr]
				copy(d, src[:nrr])
				clear(d[nrr:])
			}
			continue
		}
		// op(B)[p, j] = b[j*ldb + p]: each j is a contiguous run of p.
		p0 := 0
		if nrr == nr && uk.packB != nil && kb >= 8 {
			_ = b[(jc+jr+nr-1)*ldb+pc+kb-1]
			uk.packB(kb, &b[(jc+jr)*ldb+pc], ldb, &panel[0])
			p0 = kb &^ 7
		}
		for j := 0; j < nrr && p0 < kb; j++ {
			src := b[(jc+jr+j)*ldb+pc:]
			src = src[p0:kb]
			d := panel[p0*nr+j:]
			for p, v := range src {
				d[p*nr] = v
			}
		}
		for j := nrr; j < nr; j++ {
			for p := 0; p < kb; p++ {
				panel[p*nr+j] = 0
			}
		}
	}
}
