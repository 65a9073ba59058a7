package conv

import (
	"fmt"
	"testing"
	"unsafe"
)

func im2colU[T Float](g *Geom, x, col []T, ld int) {
	k, s, p := g.K, g.S, g.P
	oh, ow, h, w := g.OH, g.OW, g.H, g.W
	var z T
	sz := unsafe.Sizeof(z)
	_ = x[g.C*h*w-1]
	_ = col[(g.CKK()-1)*ld+oh*ow-1]
	xb := unsafe.Pointer(unsafe.SliceData(x))
	cb := unsafe.Pointer(unsafe.SliceData(col))
	row := 0
	for c := 0; c < g.C; c++ {
		for ki := 0; ki < k; ki++ {
			ylo, yhi := span(h, oh, s, p, ki)
			for kj := 0; kj < k; kj++ {
				xlo, xhi := span(w, ow, s, p, kj)
				dst := unsafe.Add(cb, uintptr(row*ld)*sz)
				row++
				if xhi <= xlo || yhi <= ylo {
					clear(unsafe.Slice((*T)(dst), oh*ow))
					continue
				}
				if ylo > 0 {
					clear(unsafe.Slice((*T)(dst), ylo*ow))
				}
				if yhi < oh {
					clear(unsafe.Slice((*T)(unsafe.Add(dst, uintptr(yhi*ow)*sz)), (oh-yhi)*ow))
				}
				off := c*h*w + xlo*s - p + kj
				for y := ylo; y < yhi; y++ {
					d := unsafe.Add(dst, uintptr(y*ow)*sz)
					for i := 0; i < xlo; i++ {
						*(*T)(unsafe.Add(d, uintptr(i)*sz)) = 0
					}
					for i := xhi; i < ow; i++ {
						*(*T)(unsafe.Add(d, uintptr(i)*sz)) = 0
					}
					src := unsafe.Add(xb, uintptr(off+(y*s-p+ki)*w)*sz)
					d = unsafe.Add(d, uintptr(xlo)*sz)
					n := xhi - xlo
					if s == 1 {
						i := 0
						for ; i+4 <= n; i += 4 {
							*(*[4]T)(unsafe.Add(d, uintptr(i)*sz)) = *(*[4]T)(unsafe.Add(src, uintptr(i)*sz))
						}
						for ; i < n; i++ {
							*(*T)(unsafe.Add(d, uintptr(i)*sz)) = *(*T)(unsafe.Add(src, uintptr(i)*sz))
						}
						continue
					}
					ss := uintptr(s) * sz
					for i := 0; i < n; i++ {
						*(*T)(d) = *(*T)(src)
						d = unsafe.Add(d, sz)
						src = unsafe.Add(src, ss)
					}
				}
			}
		}
	}
}

func BenchmarkIm2colU(b *testing.B) {
	for _, kg := range kernGeoms[:3] {
		g, _ := NewGeom(100, kg.c, kg.h, kg.h, kg.o, kg.k, kg.s, kg.p)
		x := make([]float32, g.ImageLen())
		for i := range x {
			x[i] = float32(i)
		}
		col := make([]float32, g.CKK()*g.L())
		col2 := make([]float32, g.CKK()*g.L())
		im2col(&g, x, col2, g.L())
		im2colU(&g, x, col, g.L())
		for i := range col {
			if col[i] != col2[i] {
				b.Fatalf("mismatch at %d", i)
			}
		}
		for r := 0; r < 1; r++ {
			b.Run(fmt.Sprintf("U/%s", kg.name), func(b *testing.B) {
				for b.Loop() {
					im2colU(&g, x, col, g.L())
				}
			})
			b.Run(fmt.Sprintf("orig/%s", kg.name), func(b *testing.B) {
				for b.Loop() {
					im2col(&g, x, col, g.L())
				}
			})
		}
	}
}
