//go:build unix

package datasets

import (
	"os"
	"syscall"
)

// mapping is anonymous memory outside the Go heap.
type mapping struct {
	data []byte
}

// anonymousMap returns size zero bytes outside the Go heap: the pixels of
// a large set, which would otherwise count twice towards the heap size
// at which the garbage collector runs (GOGC), though they never become
// garbage.
func anonymousMap(size int) (*mapping, error) {
	data, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil, os.NewSyscallError("mmap", err)
	}
	return &mapping{data: data}, nil
}

// unmap releases the map; its data must not be used afterwards.
func (m *mapping) unmap() error {
	if m == nil || m.data == nil {
		return nil
	}
	err := syscall.Munmap(m.data)
	m.data = nil
	return os.NewSyscallError("munmap", err)
}
