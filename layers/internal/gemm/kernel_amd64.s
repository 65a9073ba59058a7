//go:build !purego

#include "textflag.h"

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET

// ---------------------------------------------------------------------------
// AVX2+FMA 6×16 micro-kernel.
//
// Registers: AX = packed A (6 floats per k step), BX = packed B (16 floats
// per k step), Y0..Y11 = accumulators, row i of the tile in Y(2i) (columns
// 0-7) and Y(2i+1) (columns 8-15); Y12, Y13 = the B row; Y14, Y15 = broadcast
// A values.

#define STEP6x16(ao, bo) \
	VMOVUPS      bo(BX), Y12;        \
	VMOVUPS      bo+32(BX), Y13;     \
	VBROADCASTSS ao(AX), Y14;        \
	VBROADCASTSS ao+4(AX), Y15;      \
	VFMADD231PS  Y12, Y14, Y0;       \
	VFMADD231PS  Y13, Y14, Y1;       \
	VFMADD231PS  Y12, Y15, Y2;       \
	VFMADD231PS  Y13, Y15, Y3;       \
	VBROADCASTSS ao+8(AX), Y14;      \
	VBROADCASTSS ao+12(AX), Y15;     \
	VFMADD231PS  Y12, Y14, Y4;       \
	VFMADD231PS  Y13, Y14, Y5;       \
	VFMADD231PS  Y12, Y15, Y6;       \
	VFMADD231PS  Y13, Y15, Y7;       \
	VBROADCASTSS ao+16(AX), Y14;     \
	VBROADCASTSS ao+20(AX), Y15;     \
	VFMADD231PS  Y12, Y14, Y8;       \
	VFMADD231PS  Y13, Y14, Y9;       \
	VFMADD231PS  Y12, Y15, Y10;      \
	VFMADD231PS  Y13, Y15, Y11

// C row = alpha*acc + beta*C row (Y12 = alpha, Y13 = beta).
#define ACCROW(lo, hi) \
	VMULPS      Y12, lo, lo;         \
	VMULPS      Y12, hi, hi;         \
	VFMADD231PS (DI), Y13, lo;       \
	VFMADD231PS 32(DI), Y13, hi;     \
	VMOVUPS     lo, (DI);            \
	VMOVUPS     hi, 32(DI);          \
	ADDQ        DX, DI

// C row = alpha*acc (Y12 = alpha); C is not read.
#define STOREROW(lo, hi) \
	VMULPS  Y12, lo, lo;             \
	VMULPS  Y12, hi, hi;             \
	VMOVUPS lo, (DI);                \
	VMOVUPS hi, 32(DI);              \
	ADDQ    DX, DI

// func kernel6x16(k int, a, b, c *float32, ldc int, alpha, beta float32, accum int)
TEXT ·kernel6x16(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), DI
	MOVQ ldc+32(FP), DX
	SHLQ $2, DX

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

	MOVQ CX, R8
	SHRQ $2, R8
	JZ   k6x16tail

k6x16loop4:
	PREFETCHT0 512(BX)
	STEP6x16(0, 0)
	STEP6x16(24, 64)
	PREFETCHT0 576(BX)
	STEP6x16(48, 128)
	STEP6x16(72, 192)
	ADDQ $96, AX
	ADDQ $256, BX
	DECQ R8
	JNZ  k6x16loop4

k6x16tail:
	ANDQ $3, CX
	JZ   k6x16done

k6x16loop1:
	STEP6x16(0, 0)
	ADDQ $24, AX
	ADDQ $64, BX
	DECQ CX
	JNZ  k6x16loop1

k6x16done:
	VBROADCASTSS alpha+40(FP), Y12
	MOVQ         accum+48(FP), R9
	TESTQ        R9, R9
	JZ           k6x16store

	VBROADCASTSS beta+44(FP), Y13
	ACCROW(Y0, Y1)
	ACCROW(Y2, Y3)
	ACCROW(Y4, Y5)
	ACCROW(Y6, Y7)
	ACCROW(Y8, Y9)
	ACCROW(Y10, Y11)
	VZEROUPPER
	RET

k6x16store:
	STOREROW(Y0, Y1)
	STOREROW(Y2, Y3)
	STOREROW(Y4, Y5)
	STOREROW(Y6, Y7)
	STOREROW(Y8, Y9)
	STOREROW(Y10, Y11)
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// Packing routines for full 6-row A panels and 16-column B panels.
// All take (k int, src *float32, ld int, dst *float32), ld in elements.

// TRANSPOSE8x8 transposes the 8×8 block whose rows are Y0..Y7: afterwards
// Y(8+q) holds column q, that is {Y0[q], Y1[q], ..., Y7[q]}. Y0..Y7 are
// clobbered.
#define TRANSPOSE8x8 \
	VUNPCKLPS  Y1, Y0, Y8;          \
	VUNPCKHPS  Y1, Y0, Y9;          \
	VUNPCKLPS  Y3, Y2, Y10;         \
	VUNPCKHPS  Y3, Y2, Y11;         \
	VUNPCKLPS  Y5, Y4, Y12;         \
	VUNPCKHPS  Y5, Y4, Y13;         \
	VUNPCKLPS  Y7, Y6, Y14;         \
	VUNPCKHPS  Y7, Y6, Y15;         \
	VSHUFPS    $0x44, Y10, Y8, Y0;  \
	VSHUFPS    $0xEE, Y10, Y8, Y1;  \
	VSHUFPS    $0x44, Y11, Y9, Y2;  \
	VSHUFPS    $0xEE, Y11, Y9, Y3;  \
	VSHUFPS    $0x44, Y14, Y12, Y4; \
	VSHUFPS    $0xEE, Y14, Y12, Y5; \
	VSHUFPS    $0x44, Y15, Y13, Y6; \
	VSHUFPS    $0xEE, Y15, Y13, Y7; \
	VPERM2F128 $0x20, Y4, Y0, Y8;   \
	VPERM2F128 $0x20, Y5, Y1, Y9;   \
	VPERM2F128 $0x20, Y6, Y2, Y10;  \
	VPERM2F128 $0x20, Y7, Y3, Y11;  \
	VPERM2F128 $0x31, Y4, Y0, Y12;  \
	VPERM2F128 $0x31, Y5, Y1, Y13;  \
	VPERM2F128 $0x31, Y6, Y2, Y14;  \
	VPERM2F128 $0x31, Y7, Y3, Y15

// func packB16N(k int, src *float32, ld int, dst *float32)
// dst[p*16+j] = src[p*ld+j], j < 16.
TEXT ·packB16N(SB), NOSPLIT, $0-32
	MOVQ k+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R8
	MOVQ dst+24(FP), DI
	SHLQ $2, R8
	TESTQ CX, CX
	JLE  pb16ndone

pb16nloop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    R8, SI
	ADDQ    $64, DI
	DECQ    CX
	JNZ     pb16nloop

pb16ndone:
	VZEROUPPER
	RET

// func transpose8(k int, src *float32, ld int, dst *float32, dld int)
// dst[p*dld+i] = src[i*ld+p], i < 8, for p < k&^7 (the caller does the rest).
TEXT ·transpose8(SB), NOSPLIT, $0-40
	MOVQ k+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R8
	MOVQ dst+24(FP), DI
	MOVQ dld+32(FP), R11
	SHLQ $2, R8
	SHLQ $2, R11
	LEAQ (R8)(R8*2), R9       // 3*ld
	LEAQ (SI)(R8*4), R10      // row 4
	LEAQ (R11)(R11*2), R12    // 3*dld
	SHRQ $3, CX
	JZ   tr8done

tr8loop:
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(R8*1), Y1
	VMOVUPS (SI)(R8*2), Y2
	VMOVUPS (SI)(R9*1), Y3
	VMOVUPS (R10), Y4
	VMOVUPS (R10)(R8*1), Y5
	VMOVUPS (R10)(R8*2), Y6
	VMOVUPS (R10)(R9*1), Y7
	TRANSPOSE8x8
	LEAQ    (DI)(R11*4), DX
	VMOVUPS Y8, (DI)
	VMOVUPS Y9, (DI)(R11*1)
	VMOVUPS Y10, (DI)(R11*2)
	VMOVUPS Y11, (DI)(R12*1)
	VMOVUPS Y12, (DX)
	VMOVUPS Y13, (DX)(R11*1)
	VMOVUPS Y14, (DX)(R11*2)
	VMOVUPS Y15, (DX)(R12*1)
	LEAQ    (DX)(R11*4), DI
	ADDQ    $32, SI
	ADDQ    $32, R10
	DECQ    CX
	JNZ     tr8loop

tr8done:
	VZEROUPPER
	RET

// func packCopy8(k int, src *float32, ld int, dst *float32)
// dst[p*8+j] = src[p*ld+j], j < 8.
TEXT ·packCopy8(SB), NOSPLIT, $0-32
	MOVQ k+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R8
	MOVQ dst+24(FP), DI
	SHLQ $2, R8
	TESTQ CX, CX
	JLE  pc8done

pc8loop:
	VMOVUPS (SI), Y0
	VMOVUPS Y0, (DI)
	ADDQ    R8, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     pc8loop

pc8done:
	VZEROUPPER
	RET

// func packCopy32(k int, src *float32, ld int, dst *float32)
// dst[p*32+j] = src[p*ld+j], j < 32.
TEXT ·packCopy32(SB), NOSPLIT, $0-32
	MOVQ k+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R8
	MOVQ dst+24(FP), DI
	SHLQ $2, R8
	TESTQ CX, CX
	JLE  pc32done

pc32loop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ    R8, SI
	ADDQ    $128, DI
	DECQ    CX
	JNZ     pc32loop

pc32done:
	VZEROUPPER
	RET

// func packA6T(k int, src *float32, ld int, dst *float32)
// dst[p*6+i] = src[p*ld+i], i < 6.
TEXT ·packA6T(SB), NOSPLIT, $0-32
	MOVQ k+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R8
	MOVQ dst+24(FP), DI
	SHLQ $2, R8
	TESTQ CX, CX
	JLE  pa6tdone

pa6tloop:
	VMOVUPS (SI), X0
	VMOVSD  16(SI), X1
	VMOVUPS X0, (DI)
	VMOVSD  X1, 16(DI)
	ADDQ    R8, SI
	ADDQ    $24, DI
	DECQ    CX
	JNZ     pa6tloop

pa6tdone:
	RET

// func packA6N(k int, src *float32, ld int, dst *float32)
// dst[p*6+i] = src[i*ld+p], i < 6, for p < k&^7 (the caller does the rest).
// Rows 6 and 7 of each 8×8 transpose are zero; each transposed column is
// stored as 8 floats at dst+24*p, the next store overwriting the 2 extra,
// except the last, which is stored as 6.
TEXT ·packA6N(SB), NOSPLIT, $0-32
	MOVQ k+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R8
	MOVQ dst+24(FP), DI
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9       // 3*ld
	LEAQ (SI)(R8*4), R10      // row 4
	SHRQ $3, CX
	JZ   pa6ndone

pa6nloop:
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(R8*1), Y1
	VMOVUPS (SI)(R8*2), Y2
	VMOVUPS (SI)(R9*1), Y3
	VMOVUPS (R10), Y4
	VMOVUPS (R10)(R8*1), Y5
	VXORPS  Y6, Y6, Y6
	VXORPS  Y7, Y7, Y7
	TRANSPOSE8x8
	VMOVUPS Y8, (DI)
	VMOVUPS Y9, 24(DI)
	VMOVUPS Y10, 48(DI)
	VMOVUPS Y11, 72(DI)
	VMOVUPS Y12, 96(DI)
	VMOVUPS Y13, 120(DI)
	VMOVUPS Y14, 144(DI)
	VMOVUPS X15, 168(DI)
	VEXTRACTF128 $1, Y15, X15
	VMOVSD  X15, 184(DI)
	ADDQ    $32, SI
	ADDQ    $32, R10
	ADDQ    $192, DI
	DECQ    CX
	JNZ     pa6nloop

pa6ndone:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// AVX-512 8×32 micro-kernel.
//
// Registers: AX = packed A (8 floats per k step), BX = packed B (32 floats
// per k step), Z0..Z15 = accumulators, row i of the tile in Z(2i) (columns
// 0-15) and Z(2i+1) (columns 16-31); Z16, Z17 = the B row; Z18..Z21 =
// broadcast A values.

#define STEP8x32(ao, bo) \
	VMOVUPS      bo(BX), Z16;        \
	VMOVUPS      bo+64(BX), Z17;     \
	VBROADCASTSS ao(AX), Z18;        \
	VBROADCASTSS ao+4(AX), Z19;      \
	VBROADCASTSS ao+8(AX), Z20;      \
	VBROADCASTSS ao+12(AX), Z21;     \
	VFMADD231PS  Z16, Z18, Z0;       \
	VFMADD231PS  Z17, Z18, Z1;       \
	VFMADD231PS  Z16, Z19, Z2;       \
	VFMADD231PS  Z17, Z19, Z3;       \
	VFMADD231PS  Z16, Z20, Z4;       \
	VFMADD231PS  Z17, Z20, Z5;       \
	VFMADD231PS  Z16, Z21, Z6;       \
	VFMADD231PS  Z17, Z21, Z7;       \
	VBROADCASTSS ao+16(AX), Z18;     \
	VBROADCASTSS ao+20(AX), Z19;     \
	VBROADCASTSS ao+24(AX), Z20;     \
	VBROADCASTSS ao+28(AX), Z21;     \
	VFMADD231PS  Z16, Z18, Z8;       \
	VFMADD231PS  Z17, Z18, Z9;       \
	VFMADD231PS  Z16, Z19, Z10;      \
	VFMADD231PS  Z17, Z19, Z11;      \
	VFMADD231PS  Z16, Z20, Z12;      \
	VFMADD231PS  Z17, Z20, Z13;      \
	VFMADD231PS  Z16, Z21, Z14;      \
	VFMADD231PS  Z17, Z21, Z15

#define ACCROWZ(lo, hi) \
	VMULPS      Z18, lo, lo;         \
	VMULPS      Z18, hi, hi;         \
	VFMADD231PS (DI), Z19, lo;       \
	VFMADD231PS 64(DI), Z19, hi;     \
	VMOVUPS     lo, (DI);            \
	VMOVUPS     hi, 64(DI);          \
	ADDQ        DX, DI

#define STOREROWZ(lo, hi) \
	VMULPS  Z18, lo, lo;             \
	VMULPS  Z18, hi, hi;             \
	VMOVUPS lo, (DI);                \
	VMOVUPS hi, 64(DI);              \
	ADDQ    DX, DI

// func kernel8x32(k int, a, b, c *float32, ldc int, alpha, beta float32, accum int)
TEXT ·kernel8x32(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), DI
	MOVQ ldc+32(FP), DX
	SHLQ $2, DX

	VPXORD Z0, Z0, Z0
	VMOVAPS Z0, Z1
	VMOVAPS Z0, Z2
	VMOVAPS Z0, Z3
	VMOVAPS Z0, Z4
	VMOVAPS Z0, Z5
	VMOVAPS Z0, Z6
	VMOVAPS Z0, Z7
	VMOVAPS Z0, Z8
	VMOVAPS Z0, Z9
	VMOVAPS Z0, Z10
	VMOVAPS Z0, Z11
	VMOVAPS Z0, Z12
	VMOVAPS Z0, Z13
	VMOVAPS Z0, Z14
	VMOVAPS Z0, Z15

	MOVQ CX, R8
	SHRQ $2, R8
	JZ   k8x32tail

k8x32loop4:
	PREFETCHT0 1024(BX)
	STEP8x32(0, 0)
	PREFETCHT0 1088(BX)
	STEP8x32(32, 128)
	PREFETCHT0 1152(BX)
	STEP8x32(64, 256)
	PREFETCHT0 1216(BX)
	STEP8x32(96, 384)
	ADDQ $128, AX
	ADDQ $512, BX
	DECQ R8
	JNZ  k8x32loop4

k8x32tail:
	ANDQ $3, CX
	JZ   k8x32done

k8x32loop1:
	STEP8x32(0, 0)
	ADDQ $32, AX
	ADDQ $128, BX
	DECQ CX
	JNZ  k8x32loop1

k8x32done:
	VBROADCASTSS alpha+40(FP), Z18
	MOVQ         accum+48(FP), R9
	TESTQ        R9, R9
	JZ           k8x32store

	VBROADCASTSS beta+44(FP), Z19
	ACCROWZ(Z0, Z1)
	ACCROWZ(Z2, Z3)
	ACCROWZ(Z4, Z5)
	ACCROWZ(Z6, Z7)
	ACCROWZ(Z8, Z9)
	ACCROWZ(Z10, Z11)
	ACCROWZ(Z12, Z13)
	ACCROWZ(Z14, Z15)
	VZEROUPPER
	RET

k8x32store:
	STOREROWZ(Z0, Z1)
	STOREROWZ(Z2, Z3)
	STOREROWZ(Z4, Z5)
	STOREROWZ(Z6, Z7)
	STOREROWZ(Z8, Z9)
	STOREROWZ(Z10, Z11)
	STOREROWZ(Z12, Z13)
	STOREROWZ(Z14, Z15)
	VZEROUPPER
	RET

// func kernel8x32half(k int, a, b, c *float32, ldc int, alpha, beta float32, accum int)
// The left 8×16 half of kernel8x32, for right-edge tiles at most 16 wide:
// reads only the first 16 floats of each 32-float B row and writes only
// columns 0-15 of C. Accumulators are Z0, Z2, ..., Z14.
TEXT ·kernel8x32half(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), DI
	MOVQ ldc+32(FP), DX
	SHLQ $2, DX

	VPXORD  Z0, Z0, Z0
	VMOVAPS Z0, Z2
	VMOVAPS Z0, Z4
	VMOVAPS Z0, Z6
	VMOVAPS Z0, Z8
	VMOVAPS Z0, Z10
	VMOVAPS Z0, Z12
	VMOVAPS Z0, Z14

k8x16loop:
	VMOVUPS      (BX), Z16
	VBROADCASTSS (AX), Z18
	VBROADCASTSS 4(AX), Z19
	VBROADCASTSS 8(AX), Z20
	VBROADCASTSS 12(AX), Z21
	VFMADD231PS  Z16, Z18, Z0
	VFMADD231PS  Z16, Z19, Z2
	VFMADD231PS  Z16, Z20, Z4
	VFMADD231PS  Z16, Z21, Z6
	VBROADCASTSS 16(AX), Z18
	VBROADCASTSS 20(AX), Z19
	VBROADCASTSS 24(AX), Z20
	VBROADCASTSS 28(AX), Z21
	VFMADD231PS  Z16, Z18, Z8
	VFMADD231PS  Z16, Z19, Z10
	VFMADD231PS  Z16, Z20, Z12
	VFMADD231PS  Z16, Z21, Z14
	ADDQ         $32, AX
	ADDQ         $128, BX
	DECQ         CX
	JNZ          k8x16loop

	VBROADCASTSS alpha+40(FP), Z18
	VBROADCASTSS beta+44(FP), Z19
	MOVQ         accum+48(FP), R9
	TESTQ        R9, R9
	JZ           k8x16store

#define ACCHALF(r) \
	VMULPS      Z18, r, r;   \
	VFMADD231PS (DI), Z19, r; \
	VMOVUPS     r, (DI);     \
	ADDQ        DX, DI

	ACCHALF(Z0)
	ACCHALF(Z2)
	ACCHALF(Z4)
	ACCHALF(Z6)
	ACCHALF(Z8)
	ACCHALF(Z10)
	ACCHALF(Z12)
	ACCHALF(Z14)
	VZEROUPPER
	RET

#define STOREHALF(r) \
	VMULPS  Z18, r, r; \
	VMOVUPS r, (DI);   \
	ADDQ    DX, DI

k8x16store:
	STOREHALF(Z0)
	STOREHALF(Z2)
	STOREHALF(Z4)
	STOREHALF(Z6)
	STOREHALF(Z8)
	STOREHALF(Z10)
	STOREHALF(Z12)
	STOREHALF(Z14)
	VZEROUPPER
	RET
