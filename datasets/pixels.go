package datasets

import "runtime"

// pixelStore holds examples as 8-bit pixels, F bytes each, one after the
// other: the value of byte p is PixelValue(p). Sets taken from a set of
// pixels (Subset, Head, Split, Clone) share its store and differ only in
// which rows they list, so that a split of a large set costs no copy of
// its pixels. A store's bytes are never changed once it is made (the
// operations that change values, Transpose and ToFloat32, give the set a
// store of its own), which makes sharing safe.
type pixelStore struct {
	buf []byte
	f   int // bytes per example

	// mapped, when not nil, owns buf as a memory map of a cache file;
	// it is unmapped when the store becomes unreachable.
	mapped *mapping
}

// rowOf returns the row of s.pix.buf that holds example i.
func (s *Set) rowOf(i int) int {
	if s.rows == nil {
		return i
	}
	return int(s.rows[i])
}

// pixelRow returns the bytes of example i of a set of pixels. The slice
// aliases the store: callers only read it, and keep s reachable while
// they do (runtime.KeepAlive), since a mapped store is unmapped when it
// becomes unreachable.
func (s *Set) pixelRow(i int) []byte {
	f := s.pix.f
	r := s.rowOf(i)
	return s.pix.buf[r*f : (r+1)*f : (r+1)*f]
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
	return &Set{Labels: labels, C: c, H: h, W: w, Classes: classes, pix: &pixelStore{buf: pix, f: c * h * w}}
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
	pixelValues(dst[:f], s.pixelRow(i))
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
	for i := range s.Len() {
		pixelValues(out[i*f:(i+1)*f], s.pixelRow(i))
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
// value written into scratch.
func (s *Set) pixelBytes(scratch []byte, i int) []byte {
	if s.pix != nil {
		return s.pixelRow(i)
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
	for i := range s.Len() {
		copy(buf[i*f:(i+1)*f], s.pixelRow(i))
	}
	runtime.KeepAlive(s)
	s.pix, s.rows = &pixelStore{buf: buf, f: f}, nil
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
	rows := len(s.pix.buf) / max(f, 1)
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
