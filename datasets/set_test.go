package datasets

import (
	"errors"
	"image"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestPixelRoundTrip(t *testing.T) {
	for p := range 256 {
		v := PixelValue(uint8(p))
		if want := float32(float64(p)/127.5 - 1); v != want {
			t.Errorf("PixelValue(%d) = %v, want %v", p, v, want)
		}
		if v < -1 || v > 1 {
			t.Errorf("PixelValue(%d) = %v outside [-1, 1]", p, v)
		}
		if got := PixelByte(v); got != uint8(p) {
			t.Errorf("PixelByte(PixelValue(%d)) = %d", p, got)
		}
	}
	for i, test := range []struct {
		v    float32
		want uint8
	}{
		{-2, 0}, {2, 255}, {float32(math.NaN()), 0}, {float32(math.Inf(1)), 255}, {0, 128},
	} {
		if got := PixelByte(test.v); got != test.want {
			t.Errorf("%d: PixelByte(%v) = %d, want %d", i, test.v, got, test.want)
		}
	}
}

func TestSetAccessors(t *testing.T) {
	s := mkSet(4, 2, 3, 5, 2)
	if s.Len() != 4 || s.Features() != 30 {
		t.Fatalf("Len, Features = %d, %d", s.Len(), s.Features())
	}
	if c, h, w := s.Shape(); c != 2 || h != 3 || w != 5 {
		t.Fatalf("Shape = %d, %d, %d", c, h, w)
	}
	x := s.Example(2)
	if len(x) != 30 || x[0] != 2 || cap(x) != 30 {
		t.Fatalf("Example(2) = len %d cap %d, x[0] = %v", len(x), cap(x), x[0])
	}
	x[0] = 42
	if s.Values()[60] != 42 {
		t.Error("Example is not a view")
	}
	sub := s.Subset([]int{3, 0, 3})
	if sub.Len() != 3 || sub.Labels[0] != 1 || sub.Labels[1] != 0 || sub.Values()[0] != 3 || sub.Values()[30] != 0 {
		t.Errorf("Subset = labels %v, data %v…", sub.Labels, sub.Values()[:1])
	}
	sub.Data[0] = -5
	if s.Values()[90] == -5 {
		t.Error("Subset does not copy")
	}
	if err := sub.Validate(); err != nil {
		t.Error(err)
	}
	if !panics(func() { s.Example(4) }) || !panics(func() { s.Subset([]int{-1}) }) {
		t.Error("out-of-range index does not panic")
	}
}

func panics(f func()) (b bool) {
	defer func() { b = recover() != nil }()
	f()
	return false
}

func TestValidate(t *testing.T) {
	for i, test := range []struct {
		mod  func(s *Set)
		want string // "" for no error
	}{
		{func(s *Set) {}, ""},
		{func(s *Set) { s.Labels[1] = Unlabelled }, ""},
		{func(s *Set) { s.Data[3] = 7 }, ""}, // values outside [-1, 1] are allowed
		{func(s *Set) { s.C = 0 }, "shape"},
		{func(s *Set) { s.Data = s.Data[:len(s.Data)-1] }, "len(Data)"},
		{func(s *Set) { s.Labels[2] = 3 }, "example 2: label 3 out of range"},
		{func(s *Set) { s.Labels[0] = -2 }, "example 0: label -2"},
		{func(s *Set) { s.Classes = -1 }, "outside [0, 65536]"},
		{func(s *Set) { s.Classes = MaxClasses + 1 }, "MaxClasses"},
		{func(s *Set) { s.ClassNames = []string{"a"} }, "class names"},
		{func(s *Set) { s.Data[13] = float32(math.NaN()) }, "example 1, feature 1: value NaN"},
		{func(s *Set) { s.Data[0] = float32(math.Inf(-1)) }, "not finite"},
	} {
		s := mkSet(4, 1, 3, 4, 3)
		test.mod(s)
		err := s.Validate()
		if test.want == "" {
			if err != nil {
				t.Errorf("%d: unexpected error %v", i, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), test.want) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%d: error %v, want one containing %q wrapping ErrInvalid", i, err, test.want)
		}
	}
}

func TestImage(t *testing.T) {
	gray := &Set{Data: []float32{-1, 0, 1, 0.5, -0.5, 1}, Labels: []int{Unlabelled}, C: 1, H: 2, W: 3}
	g, ok := gray.Image(0).(*image.Gray)
	if !ok {
		t.Fatalf("Image of C=1 is %T", gray.Image(0))
	}
	if want := []uint8{0, 128, 255, 191, 64, 255}; !slices.Equal(g.Pix, want) || g.Bounds() != image.Rect(0, 0, 3, 2) {
		t.Errorf("gray Pix = %v, want %v", g.Pix, want)
	}
	rgb := &Set{Data: []float32{-1, 1, 1, -1, 0, 0}, Labels: []int{0}, C: 3, H: 1, W: 2, Classes: 1}
	c, ok := rgb.Image(0).(*image.RGBA)
	if !ok {
		t.Fatalf("Image of C=3 is %T", rgb.Image(0))
	}
	if want := []uint8{0, 255, 128, 255, 255, 0, 128, 255}; !slices.Equal(c.Pix, want) {
		t.Errorf("RGB Pix = %v, want %v", c.Pix, want)
	}
}

func TestTranspose(t *testing.T) {
	s := &Set{Data: []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, Labels: []int{0, 0}, C: 1, H: 2, W: 3, Classes: 1}
	s.Transpose()
	want := []float32{1, 4, 2, 5, 3, 6, 7, 10, 8, 11, 9, 12}
	if s.H != 3 || s.W != 2 || !slices.Equal(s.Values(), want) {
		t.Errorf("Transpose = %d×%d %v, want 3×2 %v", s.H, s.W, s.Values(), want)
	}
}

func TestClassCounts(t *testing.T) {
	s := mkSet(8, 1, 1, 1, 3)
	s.Labels[0] = Unlabelled
	if got, want := s.ClassCounts(), []int{2, 3, 2}; !slices.Equal(got, want) {
		t.Errorf("ClassCounts = %v, want %v", got, want)
	}
}

func TestSplit(t *testing.T) {
	for i, test := range []struct {
		n, classes, perClass int
		keep                 bool
		nilRng               bool
	}{
		{n: 100, classes: 10, perClass: 3},
		{n: 100, classes: 10, perClass: 3, keep: true},
		{n: 100, classes: 10, perClass: 10},
		{n: 100, classes: 10, perClass: 0},
		{n: 50, classes: 5, perClass: 2, nilRng: true},
	} {
		s := mkSet(test.n, 1, 2, 2, test.classes)
		var rng *rand.Rand
		if !test.nilRng {
			rng = rand.New(rand.NewPCG(1, uint64(i)))
		}
		lab, unl, err := s.Split(test.perClass, rng, SplitOptions{KeepLabelled: test.keep})
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if err := lab.Validate(); err != nil {
			t.Errorf("%d: labelled: %v", i, err)
		}
		if err := unl.Validate(); err != nil {
			t.Errorf("%d: unlabelled: %v", i, err)
		}
		for k, c := range lab.ClassCounts() {
			if c != test.perClass {
				t.Errorf("%d: class %d has %d labelled examples, want %d", i, k, c, test.perClass)
			}
		}
		wantUnl := test.n - test.perClass*test.classes
		if test.keep {
			wantUnl = test.n
		}
		if unl.Len() != wantUnl || unl.Classes != test.classes {
			t.Errorf("%d: unlabelled has %d examples, %d classes; want %d, %d", i, unl.Len(), unl.Classes, wantUnl, test.classes)
		}
		for j, l := range unl.Labels {
			if l != Unlabelled {
				t.Fatalf("%d: unlabelled example %d has label %d", i, j, l)
			}
		}
		// Each example is identified by Data[first feature] == its index in s.
		seen := map[float32]int{}
		for j := range lab.Len() {
			x := lab.Example(j)[0]
			seen[x]++
			if lab.Labels[j] != s.Labels[int(x)] {
				t.Errorf("%d: labelled example %v has label %d, want %d", i, x, lab.Labels[j], s.Labels[int(x)])
			}
		}
		for j := range unl.Len() {
			seen[unl.Example(j)[0]]++
		}
		// Origin points back into s, through a second subset too
		for _, part := range []*Set{lab, unl, unl.Head(unl.Len() / 2)} {
			for j, o := range part.Origin {
				if part.Example(j)[0] != float32(o) {
					t.Fatalf("%d: example %d came from %v, Origin says %d", i, j, part.Example(j)[0], o)
				}
			}
			if len(part.Origin) != part.Len() {
				t.Fatalf("%d: %d origins for %d examples", i, len(part.Origin), part.Len())
			}
		}
		for idx := range test.n {
			want := 1
			if test.keep && idx < test.n && lab.Len() > 0 && slices.Contains(lab.Values(), float32(idx)) {
				want = 2
			}
			if seen[float32(idx)] != want {
				t.Errorf("%d: example %d appears %d times, want %d", i, idx, seen[float32(idx)], want)
			}
		}
		if test.nilRng {
			// The first perClass of each class, in order.
			if got := lab.Values()[0]; got != 0 || lab.Len() != 10 || lab.Example(9)[0] != 9 {
				t.Errorf("%d: nil rng split took %v…", i, lab.Values()[0])
			}
		}
	}
}

func TestSplitDeterministic(t *testing.T) {
	s := mkSet(1000, 1, 1, 1, 10)
	split := func(seed uint64) []float32 {
		lab, _, err := s.Split(5, rand.New(rand.NewPCG(seed, 7)), SplitOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return lab.Values()
	}
	a, b, c := split(1), split(1), split(2)
	if !slices.Equal(a, b) {
		t.Error("same seed, different split")
	}
	if slices.Equal(a, c) {
		t.Error("different seeds, same split")
	}
}

func TestSplitErrors(t *testing.T) {
	s := mkSet(20, 1, 1, 1, 4)
	s.Labels[1], s.Labels[5] = 0, 0 // class 1 now has 3 examples
	s.ClassNames = []string{"zero", "one", "two", "three"}
	_, _, err := s.Split(4, rand.New(rand.NewPCG(1, 1)), SplitOptions{})
	var ce *ClassSizeError
	if !errors.As(err, &ce) || ce.Class != 1 || ce.Have != 3 || ce.Want != 4 || ce.Name != "one" {
		t.Fatalf("err = %v, want a ClassSizeError for class 1", err)
	}
	if !strings.Contains(err.Error(), `class 1 ("one") has 3 labelled examples, want 4`) {
		t.Errorf("message %q", err)
	}
	for i, test := range []struct {
		mod      func(s *Set)
		perClass int
		want     error
	}{
		{func(s *Set) {}, -1, ErrInvalidArgument},
		{func(s *Set) { s.Classes = 0 }, 1, ErrInvalid},
		{func(s *Set) { s.Labels[3] = 9 }, 1, ErrInvalid},
	} {
		s := mkSet(20, 1, 1, 1, 4)
		test.mod(s)
		if _, _, err := s.Split(test.perClass, nil, SplitOptions{}); !errors.Is(err, test.want) {
			t.Errorf("%d: err = %v, want %v", i, err, test.want)
		}
	}
}

func TestHead(t *testing.T) {
	s := mkSet(5, 1, 2, 3, 2)
	s.ClassNames = []string{"a", "b"}
	for _, test := range []struct {
		n, want int
	}{
		{0, 0}, {1, 1}, {3, 3}, {5, 5}, {6, 5}, {100, 5},
	} {
		h := s.Head(test.n)
		if h.Len() != test.want {
			t.Errorf("Head(%d).Len() = %d, want %d", test.n, h.Len(), test.want)
			continue
		}
		if want := s.Subset(seqTo(test.want)); !slices.Equal(h.Values(), want.Values()) || !slices.Equal(h.Labels, want.Labels) ||
			!slices.Equal(h.ClassNames, s.ClassNames) || h.Classes != s.Classes || h.C != s.C || h.H != s.H || h.W != s.W {
			t.Errorf("Head(%d) = %+v, want the first %d examples %+v", test.n, h, test.want, want)
		}
		if err := h.Validate(); err != nil {
			t.Errorf("Head(%d): %v", test.n, err)
		}
		if h.Len() > 0 {
			h.Data[0] = -7
			if s.Values()[0] == -7 {
				t.Errorf("Head(%d) does not copy", test.n)
			}
		}
	}
	if !panics(func() { s.Head(-1) }) {
		t.Error("Head(-1) does not panic")
	}
}

func seqTo(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}
