package datasets

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

func TestWritePNGGrid(t *testing.T) {
	for i, test := range []struct {
		n, c, h, w, cols int
		wantW, wantH     int
	}{
		{n: 5, c: 1, h: 2, w: 3, cols: 2, wantW: 2*4 + 1, wantH: 3*3 + 1},
		{n: 5, c: 1, h: 2, w: 3, cols: 0, wantW: 3*4 + 1, wantH: 2*3 + 1}, // cols = ceil(sqrt(5)) = 3
		{n: 2, c: 3, h: 1, w: 1, cols: 9, wantW: 2*2 + 1, wantH: 1*2 + 1}, // cols capped at n
	} {
		data := make([]float32, test.n*test.c*test.h*test.w)
		for j := range data {
			data[j] = -1 // black images on a white frame
		}
		data[0] = 1
		var b bytes.Buffer
		if err := WritePNGGrid(&b, data, test.n, test.c, test.h, test.w, test.cols); err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		img, err := png.Decode(&b)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if got := img.Bounds(); got != image.Rect(0, 0, test.wantW, test.wantH) {
			t.Errorf("%d: bounds %v, want %dx%d", i, got, test.wantW, test.wantH)
		}
		gray := func(x, y int) uint32 { r, _, _, _ := img.At(x, y).RGBA(); return r >> 8 }
		if gray(0, 0) != 255 || gray(1, 1) != 255 || gray(2, 1) != 0 && test.w > 1 {
			t.Errorf("%d: border %d, first pixel %d, second %d", i, gray(0, 0), gray(1, 1), gray(2, 1))
		}
		if test.c == 3 {
			if _, ok := img.(*image.RGBA); !ok {
				t.Errorf("%d: colour grid decoded as %T", i, img)
			}
		}
	}
}

func TestPNGGridErrors(t *testing.T) {
	data := make([]float32, 12)
	for i, test := range []struct{ n, c, h, w int }{
		{0, 1, 2, 2}, {1, 2, 2, 2}, {1, 1, 0, 2}, {4, 1, 2, 2}, {1, 3, 2, 3},
	} {
		if err := WritePNGGrid(&bytes.Buffer{}, data, test.n, test.c, test.h, test.w, 0); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%d: err = %v, want ErrInvalidArgument", i, err)
		}
	}
}

func TestSavePNGGrid(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "grid.png")
	s := mkSet(4, 1, 5, 5, 2)
	for j := range s.Values() {
		s.Data[j] = float32(j%11)/5 - 1
	}
	if err := SavePNGGrid(path, s.Values(), s.Len(), s.C, s.H, s.W, 2); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// Example 3 sits in the second row and column; its pixel (x, y) is at
	// (1 + 6 + x, 1 + 6 + y).
	want := s.Image(3).(*image.Gray)
	for y := range 5 {
		for x := range 5 {
			if got := img.(*image.Gray).GrayAt(7+x, 7+y).Y; got != want.GrayAt(x, y).Y {
				t.Fatalf("pixel (%d, %d) = %d, want %d", x, y, got, want.GrayAt(x, y).Y)
			}
		}
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", st.Mode())
	}
	if err := SavePNGGrid(path, nil, 1, 1, 1, 1, 1); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("err = %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files in the directory, want 1", len(entries))
	}
}
