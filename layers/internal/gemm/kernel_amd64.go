//go:build !purego

package gemm

import "unsafe"

//go:noescape
func kernel6x16(k int, a, b, c *float32, ldc int, alpha, beta float32, accum int)

//go:noescape
func kernel8x32half(k int, a, b, c *float32, ldc int, alpha, beta float32, accum int)

//go:noescape
func kernel8x32(k int, a, b, c *float32, ldc int, alpha, beta float32, accum int)

// Packing helpers (see kernel_amd64.s).
//
//go:noescape
func packA6N(k int, src *float32, ld int, dst *float32)

//go:noescape
func packA6T(k int, src *float32, ld int, dst *float32)

//go:noescape
func packB16N(k int, src *float32, ld int, dst *float32)

//go:noescape
func packCopy8(k int, src *float32, ld int, dst *float32)

//go:noescape
func packCopy32(k int, src *float32, ld int, dst *float32)

//go:noescape
func transpose8(k int, src *float32, ld int, dst *float32, dld int)

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
func xgetbv() (eax, edx uint32)

// cpuFeatures reports whether the CPU supports AVX2 and FMA with the OS
// saving YMM state, and whether it also supports AVX-512F with the OS saving
// ZMM and opmask state.
func cpuFeatures() (avx2fma, avx512 bool) {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false, false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const (
		fma     = 1 << 12
		osxsave = 1 << 27
		avx     = 1 << 28
	)
	if ecx1&(fma|osxsave|avx) != fma|osxsave|avx {
		return false, false
	}
	xcr0, _ := xgetbv()
	_, ebx7, _, _ := cpuid(7, 0)
	const (
		avx2    = 1 << 5
		avx512f = 1 << 16
	)
	avx2fma = xcr0&0x6 == 0x6 && ebx7&avx2 != 0
	avx512 = avx2fma && xcr0&0xe6 == 0xe6 && ebx7&avx512f != 0
	return avx2fma, avx512
}

func addf(p *float32, n int) *float32 { return (*float32)(unsafe.Add(unsafe.Pointer(p), 4*n)) }

var avx2Kernel = &microKernel{
	name: "avx2-fma 6x16",
	mr:   6, nr: 16,
	kc: 256, mc: 144, nc: 1024,
	fn: kernel6x16,

	packA:  packA6N,
	packAT: packA6T,
	packB: func(k int, src *float32, ld int, dst *float32) {
		transpose8(k, src, ld, dst, 16)
		transpose8(k, addf(src, 8*ld), ld, addf(dst, 8), 16)
	},
	packBN: packB16N,
}

var avx512Kernel = &microKernel{
	name: "avx512 8x32",
	mr:   8, nr: 32,
	kc: 384, mc: 128, nc: 1024,
	fn:     kernel8x32,
	fnHalf: kernel8x32half,

	packA: func(k int, src *float32, ld int, dst *float32) {
		transpose8(k, src, ld, dst, 8)
	},
	packAT: packCopy8,
	packB: func(k int, src *float32, ld int, dst *float32) {
		for h := 0; h < 32; h += 8 {
			transpose8(k, addf(src, h*ld), ld, addf(dst, h), 32)
		}
	},
	packBN: packCopy32,
}

// haveAsm says that this build has the assembly micro-kernels.
const haveAsm = true

// kernels lists the micro-kernels this CPU supports, best first.
var kernels = func() []*microKernel {
	var ks []*microKernel
	avx2fma, avx512 := cpuFeatures()
	if avx512 {
		ks = append(ks, avx512Kernel)
	}
	if avx2fma {
		ks = append(ks, avx2Kernel)
	}
	return ks
}()

// bestKernel is the fastest micro-kernel this CPU supports, or nil.
var bestKernel = func() *microKernel {
	if len(kernels) > 0 {
		return kernels[0]
	}
	return nil
}()

func init() { activeKernel = bestKernel }
