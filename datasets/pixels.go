package datasets

import (
	"fmt"
	"os"
	"runtime"
	"sync"
)

// pixelStore holds examples as 8-bit pixels, F bytes each, one after the
// other: the value of byte p is PixelValue(p). Sets taken from a set of
// pixels (Subset, Head, Split, Clone) share its store and differ only in
// which rows they list, so that a split of a large set costs no copy of
// its pixels. A store's bytes are never changed once it is made (the
// operations that change values, Transpose and ToFloat32, give the set a
// store of its own), which makes sharing safe.
type pixelStore struct {
	buf []byte // the rows, for a store in memory
	f   int    // bytes per example
	n   int    // rows

	// mapped, when not nil, owns buf (an anonymous memory map); it is
	// unmapped when the store becomes unreachable.
	mapped *mapping

	// file, when not nil, holds the rows from offset 0 instead of buf:
	// a folder cache, read a row at a time (ReadAt) through the
	// operating system's page cache, so that the pixels never count in
	// the process's resident memory. It is closed when the store
	// becomes unreachable.
	file *os.File
}

// row returns the bytes of row r: a view of the store's memory, or the
// row read from its file into scratch (at least f bytes). A file that
// cannot be read (a disk error, or a cache file truncated by another
// program while in use) panics, as a fault in a memory map would.
func (p *pixelStore) row(scratch []byte, r int) []byte {
	f := p.f
	if p.file == nil {
		return p.buf[r*f : (r+1)*f : (r+1)*f]
	}
	if _, err := p.file.ReadAt(scratch[:f], int64(r)*int64(f)); err != nil {
		panic(fmt.Sprintf("datasets: reading the pixels of example row %d from %s: %v", r, p.file.Name(), err))
	}
	return scratch[:f]
}

// rowScratch holds buffers for rows read from a file by callers that
// have none of their own (ReadExample, which may run concurrently).
var rowScratch sync.Pool

// rowOf returns the row of s.pix.buf that holds example i.
func (s *Set) rowOf(i int) int {
	if s.rows == nil {
		return i
	}
	return int(s.rows[i])
}

// pixelRow returns the bytes of example i of a set of pixels, read into
// scratch (Features() bytes, or nil for a store in memory) for a store
// in a file. A view of memory aliases the store: callers only read it,
// and keep s reachable while they do (runtime.KeepAlive), since a mapped
// store is unmapped when it becomes unreachable.
func (s *Set) pixelRow(scratch []byte, i int) []byte {
	return s.pix.row(scratch, s.rowOf(i))
}

// scratchRow returns a buffer for one row when s's pixels are in a file
// (nil otherwise).
func (s *Set) scratchRow() []byte {
	if s.pix == nil || s.pix.file == nil {
		return nil
	}
	return make([]byte, s.pix.f)
}

// offHeapMin is the size from which the loaders keep pixels outside the
// Go heap (anonymousMap); smaller sets stay in it.
const offHeapMin = 1 << 20

// allocPixels returns size bytes for the pixels of a set being loaded,
// outside the Go heap when the set is large, and the mapping that owns
// them (nil for heap memory). The caller gives the mapping to the set
// with newStoreSet, or unmaps it.
func allocPixels(size int) ([]byte, *mapping) {
	if size >= offHeapMin {
		if m, err := anonymousMap(size); err == nil {
			return m.data, m
		}
	}
	return make([]byte, size), nil
}

// newStoreSet returns the set of pixels over buf (which m owns when it is
// not nil: it is unmapped once no set uses it).
func newStoreSet(buf []byte, m *mapping, labels []int, c, h, w, classes int) *Set {
	s := NewPixelSet(buf, labels, c, h, w, classes)
	if m != nil {
		s.pix.mapped = m
		runtime.SetFinalizer(s.pix, func(p *pixelStore) { p.mapped.unmap() })
	}
	return s
}

// newFileSet returns the set of pixels whose rows f holds from offset 0;
// f is closed once no set uses it.
func newFileSet(f *os.File, labels []int, c, h, w, classes int) *Set {
	s := &Set{Labels: labels, C: c, H: h, W: w, Classes: classes, pix: &pixelStore{file: f, f: c * h * w, n: len(labels)}}
	runtime.SetFinalizer(s.pix, func(p *pixelStore) { p.file.Close() })
	return s
}

// NewPixelSet returns a set of the examples in pix, c×h×w bytes each in
// C×H×W order, whose values are PixelValue of the bytes: a quarter of
// the memory of the same set as float32 Data. labels has one label per
// example (Unlabelled or a class in [0, classes)). The set takes pix
// over: the caller must not change it afterwards. Check the result with
// Validate when the labels come from outside.
//
// It panics if c, h or w is not positive or len(pix) is not
// len(labels)·c·h·w: a programmer error.
func NewPixelSet(pix []byte, labels []int, c, h, w, classes int) *Set {
	if c <= 0 || h <= 0 || w <= 0 || len(pix) != len(labels)*c*h*w {
		panic("datasets: NewPixelSet: len(pix) is not len(labels)·c·h·w")
	}
	return &Set{Labels: labels, C: c, H: h, W: w, Classes: classes, pix: &pixelStore{buf: pix, f: c * h * w, n: len(labels)}}
}

// IsPixels reports whether s stores its values as 8-bit pixels (one byte
// per value, PixelValue of it) rather than in Data. The image loaders
// (LoadMNIST, LoadIDX, LoadImageFolder) return sets of pixels, and so do
// Subset, Head, Split and Clone of one; their Data is nil. Read their
// values with ReadExample, Example or Values; ToFloat32 turns such a set
// into one with Data.
func (s *Set) IsPixels() bool { return s.pix != nil }

// ReadExample copies the values of example i into dst[:Features()],
// converting pixels to float32 for a set of pixels. It panics if i is out
// of range or dst is shorter than Features(). It does not allocate.
func (s *Set) ReadExample(dst []float32, i int) {
	f := s.Features()
	if i < 0 || i >= s.Len() {
		panic("datasets: example index out of range")
	}
	if len(dst) < f {
		panic("datasets: ReadExample: dst is shorter than Features()")
	}
	if s.pix == nil {
		copy(dst[:f], s.Data[i*f:(i+1)*f])
		return
	}
	if s.pix.file == nil {
		pixelValues(dst[:f], s.pixelRow(nil, i))
		runtime.KeepAlive(s)
		return
	}
	b, _ := rowScratch.Get().(*[]byte)
	if b == nil || len(*b) < f {
		b = new([]byte)
		*b = make([]byte, f)
	}
	pixelValues(dst[:f], s.pixelRow(*b, i))
	rowScratch.Put(b)
	runtime.KeepAlive(s)
}

// pixelValues writes PixelValue(src[j]) into dst[j].
func pixelValues(dst []float32, src []byte) {
	dst = dst[:len(src)]
	for j, p := range src {
		dst[j] = pixelLUT[p]
	}
}

// Values returns every value of s, N×C×H×W in example order: Data
// itself for a set with Data (not a copy), and a new float32 slice of
// four bytes per pixel for a set of pixels. For large sets of pixels,
// prefer reading an example or a batch at a time (ReadExample, Batches).
func (s *Set) Values() []float32 {
	if s.pix == nil {
		return s.Data
	}
	f := s.Features()
	out := make([]float32, s.Len()*f)
	scratch := s.scratchRow()
	for i := range s.Len() {
		pixelValues(out[i*f:(i+1)*f], s.pixelRow(scratch, i))
	}
	runtime.KeepAlive(s)
	return out
}

// ToFloat32 turns a set of pixels into a set with Data (Values), in
// place, for code that changes values; a set that already has Data is
// left as it is. Sets that shared the pixels are not affected.
func (s *Set) ToFloat32() {
	if s.pix == nil {
		return
	}
	s.Data = s.Values()
	s.pix, s.rows = nil, nil
}

// pixelBytes returns example i as bytes: the stored pixels of a set of
// pixels (read-only, valid while s is reachable), or PixelByte of each
// value written into scratch (Features() bytes).
func (s *Set) pixelBytes(scratch []byte, i int) []byte {
	if s.pix != nil {
		return s.pixelRow(scratch, i)
	}
	f := s.Features()
	for j, v := range s.Data[i*f : (i+1)*f] {
		scratch[j] = PixelByte(v)
	}
	return scratch[:f]
}

// ownPixels gives s a store of its own holding its examples in order, so
// that it can be changed without affecting the sets it shares pixels
// with.
func (s *Set) ownPixels() {
	f := s.Features()
	buf := make([]byte, s.Len()*f)
	scratch := s.scratchRow()
	for i := range s.Len() {
		copy(buf[i*f:(i+1)*f], s.pixelRow(scratch, i))
	}
	runtime.KeepAlive(s)
	s.pix, s.rows = &pixelStore{buf: buf, f: f, n: s.Len()}, nil
}

// subsetRows returns the rows of the store that hold the examples idx of
// s, in that order.
func (s *Set) subsetRows(idx []int) []int32 {
	rows := make([]int32, len(idx))
	for k, i := range idx {
		rows[k] = int32(s.rowOf(i))
	}
	return rows
}

// checkStorage reports whether the stored values match the number of
// examples and their shape.
func (s *Set) checkStorage() error {
	n, f := s.Len(), s.Features()
	if s.pix == nil {
		if len(s.Data) != n*f {
			return invalidError("len(Data) = %d, want %d examples × %d features = %d", len(s.Data), n, f, n*f)
		}
		return nil
	}
	if s.Data != nil {
		return invalidError("a set of pixels has Data too (%d values): use one or the other", len(s.Data))
	}
	if s.pix.f != f {
		return invalidError("shape %d×%d×%d has %d values, the pixels %d per example", s.C, s.H, s.W, f, s.pix.f)
	}
	rows := s.pix.n
	if s.rows == nil {
		if n > rows {
			return invalidError("%d examples, %d rows of pixels", n, rows)
		}
		return nil
	}
	if len(s.rows) != n {
		return invalidError("%d rows listed for %d examples", len(s.rows), n)
	}
	for i, r := range s.rows {
		if r < 0 || int(r) >= rows {
			return invalidError("example %d: row %d of %d", i, r, rows)
		}
	}
	return nil
}
