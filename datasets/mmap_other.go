//go:build !unix

package datasets

import "os"

// mapping stands in for a memory map where the system has none that the
// standard library reaches: the bytes are read into memory, and written
// back by flush.
type mapping struct {
	data []byte
}

// mapFile reads the first size bytes of f (or makes size zero bytes for
// writing).
func mapFile(f *os.File, size int, writable bool) (*mapping, error) {
	data := make([]byte, size)
	if !writable {
		if _, err := f.ReadAt(data, 0); err != nil {
			return nil, err
		}
	}
	return &mapping{data: data}, nil
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
