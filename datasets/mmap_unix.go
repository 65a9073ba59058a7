//go:build unix

package datasets

import (
	"os"
	"syscall"
)

// mapping is a memory map: of a folder cache file being written, whose
// pages go to the file without passing through the Go heap, or anonymous
// memory outside the heap.
type mapping struct {
	data []byte
}

// mapFile maps the first size bytes of f, shared, for writing.
func mapFile(f *os.File, size int) (*mapping, error) {
	data, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return nil, os.NewSyscallError("mmap", err)
	}
	return &mapping{data: data}, nil
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

// flush writes the map's changes to the file.
func (m *mapping) flush(*os.File) error {
	// syscall has no Msync; munmap writes a shared map's pages back, and
	// the caller's fsync makes them durable.
	return nil
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
