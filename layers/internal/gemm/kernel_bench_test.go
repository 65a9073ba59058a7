package gemm

import "testing"

// BenchmarkKernel measures the micro-kernel alone on L1-resident panels.
func BenchmarkKernel(b *testing.B) {
	for _, uk := range kernels {
		b.Run(uk.name, func(b *testing.B) { benchKernel(b, uk) })
	}
}

func benchKernel(b *testing.B, uk *microKernel) {
	const k = 256
	a := make([]float32, k*uk.mr)
	bb := make([]float32, k*uk.nr)
	c := make([]float32, uk.mr*uk.nr)
	t0 := cpuTime()
	for i := 0; i < b.N; i++ {
		uk.fn(k, &a[0], &bb[0], &c[0], uk.nr, 1, 1, 1)
	}
	flops := 2 * float64(k*uk.mr*uk.nr) * float64(b.N)
	b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if cpu := (cpuTime() - t0).Seconds(); cpu > 0 {
		b.ReportMetric(flops/cpu/1e9, "GFLOP/cpu-s")
	}
}
