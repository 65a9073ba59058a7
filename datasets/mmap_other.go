//go:build !unix

package datasets

import "os"

// mapping stands in for a memory map where the system has none that the
// standard library reaches: the bytes are read into memory, and written
// back by flush.
type mapping struct {
	data []byte
}

// mapFile makes size zero bytes that flush writes to f.
func mapFile(f *os.File, size int) (*mapping, error) {
	return &mapping{data: make([]byte, size)}, nil
}

// anonymousMap returns size zero bytes.
func anonymousMap(size int) (*mapping, error) {
	return &mapping{data: make([]byte, size)}, nil
}

// flush writes the bytes to f.
func (m *mapping) flush(f *os.File) error {
	_, err := f.WriteAt(m.data, 0)
	return err
}

// unmap releases the bytes.
func (m *mapping) unmap() error {
	if m != nil {
		m.data = nil
	}
	return nil
}
