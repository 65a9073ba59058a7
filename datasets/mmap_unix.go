//go:build unix

package datasets

import (
	"os"
	"syscall"
)

// mapping is a memory map of a file: the pixels of a folder cache live
// in the page cache, not in the Go heap, and the kernel may drop and
// reread them under memory pressure.
type mapping struct {
	data []byte
}

// mapFile maps the first size bytes of f, shared, for reading or for
// reading and writing.
func mapFile(f *os.File, size int, writable bool) (*mapping, error) {
	prot := syscall.PROT_READ
	if writable {
		prot |= syscall.PROT_WRITE
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, size, prot, syscall.MAP_SHARED)
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
