//go:build !unix

package datasets

// mapping stands in for anonymous memory outside the Go heap where the
// system has no memory map that the standard library reaches: the bytes
// are in the heap.
type mapping struct {
	data []byte
}

// anonymousMap returns size zero bytes.
func anonymousMap(size int) (*mapping, error) {
	return &mapping{data: make([]byte, size)}, nil
}

// unmap releases the bytes.
func (m *mapping) unmap() error {
	if m != nil {
		m.data = nil
	}
	return nil
}
