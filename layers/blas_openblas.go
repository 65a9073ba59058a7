//go:build openblas

package layers

// The netlib package declares no linker flags of its own; linking OpenBLAS
// here lets a plain `go build -tags openblas` (or go test) work without
// CGO_LDFLAGS. It needs libopenblas (Debian: apt-get install libopenblas-dev).

/*
#cgo LDFLAGS: -lopenblas
char* openblas_get_corename(void);
int openblas_get_num_threads(void);
void openblas_set_num_threads(int);
*/
import "C"

import (
	"os"

	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"

	"github.com/semigan/semigan/layers/internal/conv"
)

// With the openblas build tag, every gorgonia matrix product and the
// convolution ops of this package run on OpenBLAS.
//
// OpenBLAS's own thread count follows OPENBLAS_NUM_THREADS. When neither
// it nor OMP_NUM_THREADS is set, semigan sets it to 1: OpenBLAS's worker
// threads spin between calls and fight the Go scheduler for the cores
// (a training step took 0.37 s with 2 OpenBLAS threads and 0.24 s with 1
// on the 2-core machine, most of the difference in system time). The
// convolution ops split the batch over GOMAXPROCS/OPENBLAS_NUM_THREADS
// goroutines (at least one), each calling OpenBLAS, so that goroutines
// times BLAS threads match GOMAXPROCS. On CPUs
// newer than the OpenBLAS release (Debian's 0.3.21 treats Zen 4/5 as
// Haswell), OPENBLAS_CORETYPE=SkylakeX selects its AVX-512 kernels; see
// docs/BENCHMARKS.md.
func init() {
	if os.Getenv("OPENBLAS_NUM_THREADS") == "" && os.Getenv("OMP_NUM_THREADS") == "" {
		C.openblas_set_num_threads(1)
	}
	G.Use(netlib.Implementation{})
	conv.BLASThreads = func() int { return int(C.openblas_get_num_threads()) }
	openblasCore = C.GoString(C.openblas_get_corename())
}
