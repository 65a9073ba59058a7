package datasets

import (
	"image"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
)

// Unlabelled is the label of an example whose class is not known.
const Unlabelled = -1

// pixelLUT maps a byte p in 0..255 to float32(p/127.5 - 1).
var pixelLUT = func() (t [256]float32) {
	for p := range t {
		t[p] = float32(float64(p)/127.5 - 1)
	}
	return t
}()

// PixelValue returns the value in [-1, 1] of the byte p in 0..255,
// float32(p/127.5 - 1). Every loader in this package uses it.
func PixelValue(p uint8) float32 { return pixelLUT[p] }

// PixelByte is the inverse of PixelValue: it returns round((v+1)*127.5)
// clamped to 0..255. NaN maps to 0.
func PixelByte(v float32) uint8 {
	x := (float64(v) + 1) * 127.5
	switch {
	case !(x > 0): // also NaN
		return 0
	case x >= 255:
		return 255
	}
	return uint8(x + 0.5)
}

// Set is a dataset of N examples, each C×H×W values.
//
// A set stores its values in one of two ways. A set of pixels (IsPixels;
// what the image loaders return) keeps one byte per value and reads a
// pixel p in 0..255 as p/127.5 - 1 (PixelValue), so values lie in
// [-1, 1]; its Data is nil and its examples are read with ReadExample,
// Example or Values, converted to float32 only as they are read. Sets
// taken from it (Subset, Head, Split) share its bytes, which may be
// read from a cache file as they are used (FolderOptions.Cache). Any other set holds its
// values in Data as float32: tabular data (CSV files read with ScaleNone
// keep their values) and sets built by hand.
//
// Either way an example's values are in C×H×W row-major (channel, row,
// column) order, so that the set is an N×C×H×W (BCHW) array, the layout
// gorgonia's Conv2d expects.
//
// The zero value is an empty set with no shape. Loaders return sets
// that pass Validate; a Set built by hand should be checked with it.
type Set struct {
	// Data holds the N×C×H×W values, len(Data) == N*C*H*W, of a set
	// that is not a set of pixels; nil for a set of pixels.
	Data []float32

	// Labels holds one label per example, len(Labels) == N. A label
	// is a class in [0, Classes) or Unlabelled.
	Labels []int

	// C, H and W are the number of channels, the height and the
	// width of every example. Tabular data has C = H = 1 and W
	// features.
	C, H, W int

	// Classes is the number of classes K, or 0 if it is not known.
	// A set whose labels are all Unlabelled may still have Classes > 0.
	Classes int

	// ClassNames optionally names the classes. When set it has
	// Classes elements.
	ClassNames []string

	// Origin, if not nil, holds for each example its position in the
	// set it was taken from by Subset, Head or Split (composed over
	// repeated subsets, so that it always points into the first set): a
	// run can record which examples of the training set it labelled, and
	// another method can be run on the same split.
	Origin []int

	// Columns, if not nil, is the layout of the CSV file the set was
	// read from: the names of the features and of the label column, in
	// file order (see CSVColumns). LoadCSV and ReadCSV set it, Subset
	// and Split keep it, and SaveCSV and WriteCSV write the set back in
	// that layout. Other loaders leave it nil. When set it names
	// Features() feature columns.
	Columns *CSVColumns

	// pix, when not nil, holds the values as pixels (IsPixels), and
	// rows lists the row of pix that holds each example (nil: example
	// i is row i).
	pix  *pixelStore
	rows []int32
}

// Len returns the number of examples N, len(s.Labels).
func (s *Set) Len() int { return len(s.Labels) }

// Shape returns the shape of one example.
func (s *Set) Shape() (c, h, w int) { return s.C, s.H, s.W }

// Features returns the number of values of one example, C*H*W.
func (s *Set) Features() int { return s.C * s.H * s.W }

// Example returns the values of example i. For a set with Data the
// returned slice is a view into s.Data: changing it changes the set. For
// a set of pixels it is a new slice, and changing it changes nothing
// (ReadExample reads into a buffer of the caller's, without allocating).
// It panics if i is out of range.
func (s *Set) Example(i int) []float32 {
	f := s.Features()
	if i < 0 || i >= s.Len() {
		panic("datasets: example index out of range")
	}
	if s.pix != nil {
		x := make([]float32, f)
		s.ReadExample(x, i)
		return x
	}
	return s.Data[i*f : (i+1)*f : (i+1)*f]
}

// Image returns example i as an image, mapping each value v in [-1, 1]
// to the byte PixelByte(v). A set with C == 1 gives an *image.Gray and a
// set with C == 3 an *image.RGBA (opaque); any other C gives an
// *image.Gray of the first channel. It panics if i is out of range.
func (s *Set) Image(i int) image.Image {
	if i < 0 || i >= s.Len() {
		panic("datasets: example index out of range")
	}
	x := s.pixelBytes(make([]byte, s.Features()), i)
	defer runtime.KeepAlive(s)
	hw := s.H * s.W
	r := image.Rect(0, 0, s.W, s.H)
	if s.C == 3 {
		img := image.NewRGBA(r)
		for p := range hw {
			img.Pix[4*p+0] = x[p]
			img.Pix[4*p+1] = x[hw+p]
			img.Pix[4*p+2] = x[2*hw+p]
			img.Pix[4*p+3] = 0xff
		}
		return img
	}
	img := image.NewGray(r)
	copy(img.Pix, x[:hw])
	return img
}

// Subset returns a new set holding copies of the examples idx, in that
// order; an index may repeat. Classes, ClassNames and Columns are kept,
// and Origin records where each example came from. A subset of a set of
// pixels shares its pixels, which are never changed in place, instead of
// copying them. It panics if an index is out of range.
func (s *Set) Subset(idx []int) *Set {
	f := s.Features()
	n := s.Len()
	out := &Set{
		Labels:     make([]int, len(idx)),
		C:          s.C,
		H:          s.H,
		W:          s.W,
		Classes:    s.Classes,
		ClassNames: slices.Clone(s.ClassNames),
		Columns:    s.Columns.clone(),
		Origin:     make([]int, len(idx)),
	}
	if s.pix == nil {
		out.Data = make([]float32, len(idx)*f)
	}
	for k, i := range idx {
		if i < 0 || i >= n {
			panic("datasets: Subset index out of range")
		}
		if s.pix == nil {
			copy(out.Data[k*f:(k+1)*f], s.Data[i*f:(i+1)*f])
		}
		out.Labels[k] = s.Labels[i]
		out.Origin[k] = i
		if s.Origin != nil {
			out.Origin[k] = s.Origin[i]
		}
	}
	if s.pix != nil {
		out.pix, out.rows = s.pix, s.subsetRows(idx)
	}
	return out
}

// Head returns a new set holding copies of the first n examples of s,
// or of all of them when n is Len or more, as Subset of 0, 1, … would:
// for a quick run on part of a set, or a demo's share of a larger one.
// It panics if n is negative.
func (s *Set) Head(n int) *Set {
	if n < 0 {
		panic("datasets: Head of a negative number of examples")
	}
	idx := make([]int, min(n, s.Len()))
	for i := range idx {
		idx[i] = i
	}
	return s.Subset(idx)
}

// Clone returns a deep copy of s. A clone of a set of pixels shares its
// pixels, which are never changed in place.
func (s *Set) Clone() *Set {
	out := *s
	out.Data = slices.Clone(s.Data)
	out.rows = slices.Clone(s.rows)
	out.Labels = slices.Clone(s.Labels)
	out.ClassNames = slices.Clone(s.ClassNames)
	out.Columns = s.Columns.clone()
	out.Origin = slices.Clone(s.Origin)
	return &out
}

// QuantizePixels replaces every value v of s by PixelValue(PixelByte(v)),
// the nearest of the 256 values of an 8-bit image, clamping to [-1, 1],
// as SaveIDX, SaveImageFolder and SavePNGGrid store values. SaveCSV with
// Scale255 then writes every value as a whole number 0..255. A set of
// pixels is left as it is: its values are already those.
func (s *Set) QuantizePixels() {
	for i, v := range s.Data {
		s.Data[i] = pixelLUT[PixelByte(v)]
	}
}

// Validate reports whether s is consistent: C, H and W are positive,
// len(Data) == Len()*Features(), every label is Unlabelled or in
// [0, Classes), ClassNames is empty or has Classes names, Columns (if
// any) name Features() feature columns, and no value is
// NaN or ±Inf. Values outside [-1, 1] are allowed (tabular data read with
// ScaleNone). The error wraps ErrInvalid and names the first bad example.
func (s *Set) Validate() error {
	if s.C <= 0 || s.H <= 0 || s.W <= 0 {
		return invalidError("shape %d×%d×%d is not positive", s.C, s.H, s.W)
	}
	if s.Classes < 0 || s.Classes > MaxClasses {
		return invalidError("Classes = %d is outside [0, %d] (MaxClasses)", s.Classes, MaxClasses)
	}
	if len(s.ClassNames) != 0 && len(s.ClassNames) != s.Classes {
		return invalidError("%d class names for %d classes", len(s.ClassNames), s.Classes)
	}
	n, f := s.Len(), s.Features()
	if err := s.checkStorage(); err != nil {
		return err
	}
	if s.Origin != nil && len(s.Origin) != n {
		return invalidError("len(Origin) = %d for %d examples", len(s.Origin), n)
	}
	if s.Columns != nil {
		if err := s.Columns.check(f); err != nil {
			return err
		}
	}
	if err := s.checkLabels(); err != nil {
		return err
	}
	for j, v := range s.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return invalidError("example %d, feature %d: value %v is not finite", j/f, j%f, v)
		}
	}
	return nil
}

// MaxClasses is the largest number of classes a Set may have. Loaders
// refuse a label of MaxClasses or more (naming the file and row) before
// anything is allocated per class, and Validate refuses a larger Classes.
const MaxClasses = 1 << 16

// checkLabels reports whether every label is Unlabelled or in [0, Classes).
func (s *Set) checkLabels() error {
	for i, l := range s.Labels {
		if l != Unlabelled && (l < 0 || l >= s.Classes) {
			return invalidError("example %d: label %d out of range [0, %d)", i, l, s.Classes)
		}
	}
	return nil
}

// ClassCounts returns the number of examples of each class; Unlabelled
// examples are not counted. It has Classes elements. Labels out of range
// are not counted either (Validate reports them).
func (s *Set) ClassCounts() []int {
	counts := make([]int, max(s.Classes, 0))
	for _, l := range s.Labels {
		if l >= 0 && l < len(counts) {
			counts[l]++
		}
	}
	return counts
}

// Transpose swaps the rows and columns of every channel of every example
// in place and swaps H and W. EMNIST files store images transposed;
// calling Transpose after LoadIDX shows them upright. A set of pixels
// gets pixels of its own: the sets it shared them with are unchanged.
func (s *Set) Transpose() {
	h, w := s.H, s.W
	if s.pix != nil {
		s.ownPixels()
		transposePlanes(s.pix.buf, h, w)
		s.H, s.W = w, h
		return
	}
	transposePlanes(s.Data, h, w)
	s.H, s.W = w, h
}

// transposePlanes transposes each h×w plane of data in place.
func transposePlanes[T byte | float32](data []T, h, w int) {
	tmp := make([]T, h*w)
	for off := 0; off+h*w <= len(data); off += h * w {
		plane := data[off : off+h*w]
		for y := range h {
			for x := range w {
				tmp[x*h+y] = plane[y*w+x]
			}
		}
		copy(plane, tmp)
	}
}

// SplitOptions controls Set.Split. The zero value gives disjoint sets.
type SplitOptions struct {
	// KeepLabelled keeps the chosen labelled examples in the
	// unlabelled set too (with label Unlabelled), as Salimans et al.
	// (2016) do for their semi-supervised MNIST runs. When false, the
	// two sets are disjoint.
	KeepLabelled bool
}

// Split makes the semi-supervised split of s: labelled holds perClass
// examples of every class in [0, Classes), chosen uniformly at random
// with rng, and unlabelled holds the other examples (or all of them, see
// SplitOptions) with their labels set to Unlabelled. Examples of s that
// are already Unlabelled always go to unlabelled. Both sets keep the order
// of s, and Classes and ClassNames; labelled keeps the Columns of s and
// unlabelled gets them without the label column, so that SaveCSV writes
// it as unlabelled rows.
//
// A nil rng takes the first perClass examples of each class. With the
// same seed the split is the same.
//
// Split returns a *ClassSizeError naming the class if a class has fewer
// than perClass labelled examples, and an error if perClass is negative,
// s.Classes is not positive or a label is out of range.
func (s *Set) Split(perClass int, rng *rand.Rand, opts SplitOptions) (labelled, unlabelled *Set, err error) {
	if perClass < 0 {
		return nil, nil, argError("split: perClass = %d is negative", perClass)
	}
	if s.Classes <= 0 {
		return nil, nil, invalidError("split: set has Classes = %d", s.Classes)
	}
	if err := s.checkLabels(); err != nil {
		return nil, nil, err
	}
	byClass := make([][]int, s.Classes)
	for i, l := range s.Labels {
		if l != Unlabelled {
			byClass[l] = append(byClass[l], i)
		}
	}
	chosen := make([]bool, s.Len())
	for k, idx := range byClass {
		if len(idx) < perClass {
			e := &ClassSizeError{Class: k, Have: len(idx), Want: perClass}
			if k < len(s.ClassNames) {
				e.Name = s.ClassNames[k]
			}
			return nil, nil, e
		}
		if rng != nil {
			// Partial Fisher–Yates: idx[:perClass] becomes a uniform sample.
			for i := range perClass {
				j := i + rng.IntN(len(idx)-i)
				idx[i], idx[j] = idx[j], idx[i]
			}
		}
		for _, i := range idx[:perClass] {
			chosen[i] = true
		}
	}
	lab := make([]int, 0, perClass*s.Classes)
	unl := make([]int, 0, s.Len())
	for i, c := range chosen {
		if c {
			lab = append(lab, i)
		}
		if !c || opts.KeepLabelled {
			unl = append(unl, i)
		}
	}
	labelled = s.Subset(lab)
	unlabelled = s.Subset(unl)
	for i := range unlabelled.Labels {
		unlabelled.Labels[i] = Unlabelled
	}
	if unlabelled.Columns != nil {
		unlabelled.Columns = unlabelled.Columns.WithoutLabel()
	}
	return labelled, unlabelled, nil
}
