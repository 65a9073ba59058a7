//go:build !amd64 || purego

package gemm

// Without an assembly micro-kernel Sgemm is gonum's.
const haveAsm = false

var (
	kernels    []*microKernel
	bestKernel *microKernel
)

func init() { activeKernel = bestKernel }
