package conv

import (
	"fmt"
	"testing"
)

var kernGeoms = []struct {
	name             string
	c, h, o, k, s, p int
}{
	{"c1_28_k5s2", 1, 28, 32, 5, 2, 2},
	{"c32_14_k5s2", 32, 14, 64, 5, 2, 2},
	{"c64_7_k3s1", 64, 7, 128, 3, 1, 1},
	{"c32_14_k5s2T", 32, 14, 64, 5, 2, 2},
	{"c1_28_k5s2T", 1, 28, 32, 5, 2, 2},
}

func BenchmarkIm2col(b *testing.B) {
	for _, kg := range kernGeoms {
		g, _ := NewGeom(100, kg.c, kg.h, kg.h, kg.o, kg.k, kg.s, kg.p)
		x := make([]float32, g.ImageLen())
		col := make([]float32, g.CKK()*g.L())
		pad := make([]float32, g.padLen())
		b.Run(fmt.Sprintf("im2col/%s", kg.name), func(b *testing.B) {
			for b.Loop() {
				padImage(&g, x, pad)
				im2colP(&g, pad, col, g.L())
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(col)), "ns/elem")
		})
		b.Run(fmt.Sprintf("col2im/%s", kg.name), func(b *testing.B) {
			for b.Loop() {
				col2im(&g, g.spans(), col, g.L(), x)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(col)), "ns/elem")
		})
	}
}

func BenchmarkPasses(b *testing.B) {
	bl := benchBLAS()
	for _, kg := range kernGeoms[:3] {
		g, _ := NewGeom(100, kg.c, kg.h, kg.h, kg.o, kg.k, kg.s, kg.p)
		x := make([]float32, g.N*g.ImageLen())
		w := make([]float32, g.O*g.CKK())
		bias := make([]float32, g.O)
		y := make([]float32, g.N*g.OutLen())
		for _, cols := range []int{1, 512} {
			b.Run(fmt.Sprintf("fwd/%s/cols%d", kg.name, cols), func(b *testing.B) {
				old := ChunkCols
				ChunkCols = cols
				defer func() { ChunkCols = old }()
				for b.Loop() {
					Forward(bl, g, x, w, bias, y)
				}
			})
		}
	}
}
