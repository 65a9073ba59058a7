package datasets

import (
	"image"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// pixelPair returns the same n examples of c×h×w as a set of pixels and
// as a set with Data, labelled i mod classes.
func pixelPair(n, c, h, w, classes int) (pix, flt *Set) {
	buf := make([]byte, n*c*h*w)
	for i := range buf {
		buf[i] = byte(i*37 + i/7)
	}
	labels := make([]int, n)
	for i := range labels {
		labels[i] = i % classes
	}
	pix = NewPixelSet(buf, labels, c, h, w, classes)
	flt = &Set{Data: make([]float32, len(buf)), Labels: slices.Clone(labels), C: c, H: h, W: w, Classes: classes}
	for i, p := range buf {
		flt.Data[i] = PixelValue(p)
	}
	return pix, flt
}

// A set of pixels reads as the set of the same values held in Data, through
// every accessor and every way of taking a set from it.
func TestPixelSetMatchesFloat(t *testing.T) {
	pix, flt := pixelPair(40, 3, 2, 5, 4)
	if !pix.IsPixels() || flt.IsPixels() || pix.Data != nil {
		t.Fatalf("IsPixels: %v %v", pix.IsPixels(), flt.IsPixels())
	}
	if err := pix.Validate(); err != nil {
		t.Fatal(err)
	}
	same := func(what string, a, b *Set) {
		t.Helper()
		if !slices.Equal(a.Values(), b.Values()) || !slices.Equal(a.Labels, b.Labels) || !slices.Equal(a.Origin, b.Origin) {
			t.Errorf("%s: pixels and floats differ", what)
		}
		for i := range a.Len() {
			if !slices.Equal(a.Example(i), b.Example(i)) {
				t.Errorf("%s: example %d differs", what, i)
			}
			got := make([]float32, a.Features()+1)
			a.ReadExample(got, i)
			if !slices.Equal(got[:a.Features()], b.Example(i)) {
				t.Errorf("%s: ReadExample %d differs", what, i)
			}
		}
	}
	same("whole", pix, flt)
	idx := []int{5, 3, 3, 39, 0}
	same("subset", pix.Subset(idx), flt.Subset(idx))
	same("subset of subset", pix.Subset(idx).Subset([]int{4, 0}), flt.Subset(idx).Subset([]int{4, 0}))
	same("head", pix.Head(7), flt.Head(7))
	same("clone", pix.Clone(), flt.Clone())
	for _, keep := range []bool{false, true} {
		pl, pu, err1 := pix.Split(2, rand.New(rand.NewPCG(1, 2)), SplitOptions{KeepLabelled: keep})
		fl, fu, err2 := flt.Split(2, rand.New(rand.NewPCG(1, 2)), SplitOptions{KeepLabelled: keep})
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		same("split labelled", pl, fl)
		same("split unlabelled", pu, fu)
		if !pl.IsPixels() || !pu.IsPixels() || pu.pix != pix.pix {
			t.Errorf("split of pixels: not a view of the same pixels")
		}
	}
	// batches: the same seed gives the same batches
	pb, fb := pix.Batches(7, rand.New(rand.NewPCG(3, 4))), flt.Batches(7, rand.New(rand.NewPCG(3, 4)))
	px, fx := make([]float32, 7*pix.Features()), make([]float32, 7*pix.Features())
	pl, fl := make([]int, 7), make([]int, 7)
	for {
		n, m := pb.Next(px, pl), fb.Next(fx, fl)
		if n != m || !slices.Equal(px, fx) || !slices.Equal(pl, fl) {
			t.Fatalf("batches differ")
		}
		if n == 0 {
			break
		}
	}
	// images: the bytes come back as they were stored
	for i := range pix.Len() {
		if got, want := pix.Image(i).(*image.RGBA), flt.Image(i).(*image.RGBA); !slices.Equal(got.Pix, want.Pix) {
			t.Fatalf("Image(%d) differs", i)
		}
	}
	g, _ := pixelPair(3, 1, 4, 4, 1)
	if got := g.Image(2).(*image.Gray).Pix; !slices.Equal(got, g.pix.buf[32:48]) {
		t.Errorf("gray Image = %v, want the stored bytes", got)
	}
}

// Example of a set of pixels is a copy; changing it, or transposing a set
// taken from the set, leaves the set as it was. ToFloat32 gives the same
// values in Data.
func TestPixelSetIsNotChangedThroughViews(t *testing.T) {
	pix, flt := pixelPair(6, 1, 2, 3, 2)
	before := pix.Values()
	pix.Example(1)[0] = 99
	sub := pix.Subset([]int{1, 2})
	sub.Transpose()
	if sub.H != 3 || sub.W != 2 || sub.pix == pix.pix {
		t.Fatalf("Transpose of a subset: %d×%d, shares pixels: %v", sub.H, sub.W, sub.pix == pix.pix)
	}
	fs := flt.Subset([]int{1, 2})
	fs.Transpose()
	if !slices.Equal(sub.Values(), fs.Values()) {
		t.Errorf("transposed pixels %v, floats %v", sub.Values(), fs.Values())
	}
	if !slices.Equal(pix.Values(), before) {
		t.Errorf("the set changed through a view")
	}
	c := pix.Clone()
	c.ToFloat32()
	if c.IsPixels() || !slices.Equal(c.Data, before) || !pix.IsPixels() {
		t.Errorf("ToFloat32: pixels %v, Data %v", c.IsPixels(), c.Data)
	}
	pix.QuantizePixels() // nothing to do
	if !slices.Equal(pix.Values(), before) {
		t.Errorf("QuantizePixels changed a set of pixels")
	}
}

func TestPixelSetValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(s *Set)
		wantIn string
	}{
		{"ok", func(s *Set) {}, ""},
		{"data too", func(s *Set) { s.Data = make([]float32, 24) }, "has Data too"},
		{"shape", func(s *Set) { s.W = 3 }, "the pixels 4 per example"},
		{"more examples than rows", func(s *Set) { s.Labels = append(s.Labels, 0) }, "7 examples, 6 rows"},
		{"row out of range", func(s *Set) { *s = *s.Subset([]int{0, 1}); s.rows[1] = 6 }, "example 1: row 6 of 6"},
		{"rows and labels", func(s *Set) { *s = *s.Subset([]int{0, 1}); s.Labels = s.Labels[:1] }, "2 rows listed for 1 examples"},
		{"label", func(s *Set) { s.Labels[2] = 5 }, "label 5 out of range"},
	} {
		s, _ := pixelPair(6, 1, 2, 2, 2)
		tc.change(s)
		err := s.Validate()
		if tc.wantIn == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantIn) {
			t.Errorf("%s: err = %v, want one containing %q", tc.name, err, tc.wantIn)
		}
	}
}

func TestNewPixelSetPanics(t *testing.T) {
	for _, tc := range []struct {
		n, c, h, w int
	}{{5, 1, 2, 2}, {4, 0, 2, 2}, {4, 1, -1, 2}} {
		if !panics(func() { NewPixelSet(make([]byte, tc.n*4), make([]int, 4), tc.c, tc.h, tc.w, 1) }) {
			t.Errorf("NewPixelSet(%v) did not panic", tc)
		}
	}
}
