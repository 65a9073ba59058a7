// Package gemm is a fast float32 matrix multiply (BLAS Sgemm) in Go assembly
// for amd64, for use as gorgonia's BLAS in the pure-Go build:
//
//	gorgonia.Use(gemm.Implementation{})
//
// Implementation is gonum's BLAS with Sgemm replaced; Sgemm has exactly the
// row-major semantics of gonum's blas.Float32Level3.Sgemm. On CPUs without
// AVX2+FMA, on other architectures, and with the purego build tag, Sgemm is
// gonum's. Kernel says which micro-kernel is in use.
//
// # Blocking
//
// The algorithm is GotoBLAS/BLIS: C is computed in mr×nr tiles by an
// assembly micro-kernel that keeps the tile in registers and streams packed
// panels of op(A) and op(B) from cache:
//
//	for jc in steps of nc:             columns of C and op(B)
//	  for pc in steps of kc:           depth; pack op(B)[pc:+kc, jc:+nc]
//	                                   into kc×nr panels (L3/L2 resident)
//	    for ic in steps of mc:         rows; pack op(A)[ic:+mc, pc:+kc]
//	                                   into kc×mr panels (L2 resident)
//	      for jr in steps of nr:       one kc×nr B panel (L1 resident)
//	        for ir in steps of mr:     micro-kernel: C[ir:+mr, jr:+nr] (+)= A panel · B panel
//
// kc, mc and nc are upper bounds; each call divides k, m and n into
// near-equal blocks. The first kc slice applies beta (beta == 0 never reads
// C, so NaNs in C are overwritten as BLAS requires), later ones accumulate.
// Packing zero-pads partial panels; partial tiles at the right and bottom
// edges are computed into a scratch tile and merged (with the AVX-512
// kernel, a right-edge tile at most 16 wide uses its 8×16 half). Products
// with m·n·k < 512 go to gonum, which is faster there. Packing is transposing
// where needed (A not transposed, B transposed) and uses 8×8 AVX register
// transposes. Packing buffers come from a sync.Pool.
//
// Large products are split over runtime.GOMAXPROCS(0) goroutines into strips
// of whole panels, along n or m (whichever has more panels); each goroutine
// packs and computes its own strip, so they share nothing but read-only A
// and B.
//
// # Micro-kernels
//
// With AVX-512F (and the OS saving ZMM state), the 8×32 kernel: sixteen ZMM
// accumulators, row i of the tile in Z(2i) (columns 0-15) and Z(2i+1)
// (columns 16-31); per k step it loads the 32-float B row into Z16, Z17,
// broadcasts the 8 A values into Z18..Z21 (four at a time) and issues 16
// VFMADD231PS. kc=384, mc=128, nc=1024. It is used only when CPUID reports
// AVX-512F and XCR0 has the opmask and ZMM state bits; it runs at about twice
// the AVX2 kernel's speed on Zen 5.
//
// With AVX2 and FMA only, the 6×16 kernel: twelve YMM accumulators, row i in
// Y(2i) (columns 0-7) and Y(2i+1) (columns 8-15); per k step it loads the
// B row into Y12, Y13, broadcasts A values into Y14, Y15 and issues 12
// VFMADD231PS. kc=256, mc=144, nc=1024.
//
// Both kernels unroll k by 4 and finish with C = alpha·acc (+ beta·C).
package gemm
