//go:build unix

package gemm

import (
	"syscall"
	"time"
)

// cpuTime is the user+system CPU time consumed so far by this process; the
// benchmarks report throughput per CPU second too, because wall time on a
// shared machine says little.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
