package datasets

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// quantised returns the values LoadIDX and LoadImageFolder read back for
// the values x, PixelValue(PixelByte(v)).
func quantised(x []float32) []float32 {
	out := make([]float32, len(x))
	for j, v := range x {
		out[j] = PixelValue(PixelByte(v))
	}
	return out
}

// writableSet returns a set of n examples of c×h×w values, with labels
// i%classes, whose values cover the pixel grid, values between its
// points and values outside [-1, 1] (clamped when written).
func writableSet(n, c, h, w, classes int) *Set {
	s := mkSet(n, c, h, w, classes)
	for j := range s.Values() {
		switch j % 5 {
		case 0:
			s.Data[j] = PixelValue(uint8(j * 37))
		case 1:
			s.Data[j] = float32(j%101)/50 - 1 + 0.0031 // off the grid
		case 2:
			s.Data[j] = -1.5 - float32(j%3)
		case 3:
			s.Data[j] = 1 + float32(j%4)
		default:
			s.Data[j] = float32(math.Sin(float64(j)))
		}
	}
	return s
}

func TestSaveIDXRoundTrip(t *testing.T) {
	for _, test := range []struct {
		name           string
		c              int
		images, labels string
	}{
		{"gray raw", 1, "images.idx", "labels.idx"},
		{"gray gz", 1, "images.gz", "labels.gz"},
		{"gray mixed", 1, "train-images-idx3-ubyte.GZ", "train-labels-idx1-ubyte"},
		{"rgb raw", 3, "images", "labels"},
		{"rgb gz", 3, "images.idx.gz", "labels.idx.gz"},
		{"two channels gz", 2, "images.gz", "labels"},
	} {
		t.Run(test.name, func(t *testing.T) {
			dir := t.TempDir()
			s := writableSet(13, test.c, 3, 5, 4)
			s.ClassNames = []string{"a", "b", "c", "d"}
			ip, lp := filepath.Join(dir, test.images), filepath.Join(dir, test.labels)
			if err := SaveIDX(ip, lp, s); err != nil {
				t.Fatal(err)
			}
			got, err := LoadIDX(ip, lp)
			if err != nil {
				t.Fatal(err)
			}
			if err := got.Validate(); err != nil {
				t.Fatal(err)
			}
			if got.C != s.C || got.H != s.H || got.W != s.W || got.Classes != s.Classes || !slices.Equal(got.Labels, s.Labels) {
				t.Errorf("read back %d×%d×%d, %d classes, labels %v; want %d×%d×%d, %d classes, labels %v",
					got.C, got.H, got.W, got.Classes, got.Labels, s.C, s.H, s.W, s.Classes, s.Labels)
			}
			if want := quantised(s.Values()); !slices.Equal(got.Values(), want) {
				t.Errorf("data %v, want %v", got.Values(), want)
			}
			if got.ClassNames != nil {
				t.Errorf("class names %v: IDX files hold none", got.ClassNames)
			}

			// The files are what their names say: gzip or raw IDX,
			// idx3 for gray images, idx4 (N, C, H, W) otherwise.
			for _, f := range []struct {
				path string
				dims []int
			}{
				{ip, []int{13, s.C, 3, 5}},
				{lp, []int{13}},
			} {
				if s.C == 1 && f.path == ip {
					f.dims = []int{13, 3, 5}
				}
				b, err := os.ReadFile(f.path)
				if err != nil {
					t.Fatal(err)
				}
				gz := bytes.HasPrefix(b, []byte{0x1f, 0x8b})
				if want := strings.HasSuffix(strings.ToLower(f.path), ".gz"); gz != want {
					t.Errorf("%s: gzip %v, want %v", f.path, gz, want)
				}
				idx, err := ReadIDX(bytes.NewReader(b), f.path)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(idx.Dims, f.dims) {
					t.Errorf("%s: dims %v, want %v", f.path, idx.Dims, f.dims)
				}
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 2 {
				t.Errorf("%d files in the directory, want 2", len(entries))
			}
		})
	}
}

// TestSaveIDXClasses checks that Classes read back is the largest label
// + 1, as documented, and that labels up to 255 are written.
func TestSaveIDXClasses(t *testing.T) {
	dir := t.TempDir()
	s := mkSet(4, 1, 2, 2, 300)
	s.Data = quantised(s.Data)
	s.Labels = []int{255, 0, 7, 7}
	ip, lp := filepath.Join(dir, "i"), filepath.Join(dir, "l")
	if err := SaveIDX(ip, lp, s); err != nil {
		t.Fatal(err)
	}
	got, err := LoadIDX(ip, lp)
	if err != nil {
		t.Fatal(err)
	}
	if got.Classes != 256 || !slices.Equal(got.Labels, s.Labels) || !slices.Equal(got.Values(), s.Values()) {
		t.Errorf("classes %d, labels %v", got.Classes, got.Labels)
	}
}

func TestSaveIDXErrors(t *testing.T) {
	dir := t.TempDir()
	ip := writeTemp(t, dir, "images.gz", []byte("old images"))
	lp := writeTemp(t, dir, "labels.gz", []byte("old labels"))
	unl := writableSet(4, 1, 2, 2, 3)
	unl.Labels[2] = Unlabelled
	big := writableSet(3, 1, 2, 2, 300)
	big.Labels[1] = 256
	outOfRange := writableSet(3, 1, 2, 2, 3)
	outOfRange.Labels[2] = 3
	nan := writableSet(5, 3, 2, 2, 2)
	nan.Data[3*12+5] = float32(math.NaN())
	inf := writableSet(5, 1, 2, 2, 2)
	inf.Data[9] = float32(math.Inf(-1))
	for _, test := range []struct {
		name   string
		s      *Set
		labels string
		want   error
		msg    string
	}{
		{"nil", nil, lp, ErrInvalidArgument, "nil"},
		{"empty", &Set{C: 1, H: 2, W: 2, Classes: 2}, lp, ErrInvalid, "no examples"},
		{"zero value", &Set{}, lp, ErrInvalid, "no examples"},
		{"unlabelled", unl, lp, ErrInvalid, "example 2 is Unlabelled"},
		{"label 256", big, lp, ErrInvalid, "example 1: label 256 does not fit"},
		{"label >= Classes", outOfRange, lp, ErrInvalid, "example 2: label 3 out of range [0, 3)"},
		{"NaN", nan, lp, ErrInvalid, "example 3, feature 5: value NaN is not finite"},
		{"Inf", inf, lp, ErrInvalid, "example 2, feature 1"},
		{"bad shape", &Set{Data: make([]float32, 3), Labels: []int{0}, C: 1, H: 2, W: 2, Classes: 1}, lp, ErrInvalid, "len(Data)"},
		{"same file", writableSet(2, 1, 2, 2, 2), ip, ErrInvalidArgument, "both go to"},
	} {
		err := SaveIDX(ip, test.labels, test.s)
		if !errors.Is(err, test.want) || !strings.HasPrefix(err.Error(), "datasets: ") || !strings.Contains(err.Error(), test.msg) {
			t.Errorf("%s: err = %v, want %v with %q", test.name, err, test.want, test.msg)
		}
	}
	for path, want := range map[string]string{ip: "old images", lp: "old labels"} {
		if b, _ := os.ReadFile(path); string(b) != want {
			t.Errorf("failed writes changed %s to %q", path, b)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("%d files left in the directory, want 2", len(entries))
	}

	// An I/O error on the label file leaves the image file as it was.
	err := SaveIDX(ip, filepath.Join(dir, "missing", "labels.gz"), writableSet(2, 1, 2, 2, 2))
	if err == nil || !strings.HasPrefix(err.Error(), "datasets: ") {
		t.Errorf("writing labels into a missing directory: err = %v", err)
	}
	if b, _ := os.ReadFile(ip); string(b) != "old images" {
		t.Errorf("failed label write changed the image file to %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("%d files left in the directory, want 2", len(entries))
	}
}

func TestWriteIDX(t *testing.T) {
	for _, test := range []struct {
		dims []int
		gz   bool
	}{
		{[]int{5}, false},
		{[]int{5}, true},
		{[]int{2, 3, 4}, false},
		{[]int{2, 3, 4}, true},
		{[]int{1, 2, 1, 3, 2}, true},
	} {
		n := 1
		for _, d := range test.dims {
			n *= d
		}
		var b bytes.Buffer
		if err := WriteIDX(&b, &IDX{Dims: test.dims, Data: seq(n)}, test.gz); err != nil {
			t.Fatalf("%v gz=%v: %v", test.dims, test.gz, err)
		}
		if !test.gz && !bytes.Equal(b.Bytes(), idxBytes(test.dims, seq(n))) {
			t.Errorf("%v: wrote % x", test.dims, b.Bytes())
		}
		got, err := ReadIDX(&b, "x")
		if err != nil {
			t.Fatalf("%v gz=%v: %v", test.dims, test.gz, err)
		}
		if !slices.Equal(got.Dims, test.dims) || !bytes.Equal(got.Data, seq(n)) {
			t.Errorf("%v gz=%v: read back dims %v, data %v", test.dims, test.gz, got.Dims, got.Data)
		}
	}
	for _, test := range []struct {
		idx *IDX
		msg string
	}{
		{nil, "nil"},
		{&IDX{}, "0 dimensions"},
		{&IDX{Dims: make([]int, 256)}, "256 dimensions"},
		{&IDX{Dims: []int{2, 0}}, "dimension 1 is 0"},
		{&IDX{Dims: []int{-1}}, "dimension 0 is -1"},
		{&IDX{Dims: []int{1 << 33}}, "want 1 to 4294967295"},
		{&IDX{Dims: []int{1 << 20, 1 << 20}}, "more than"},
		{&IDX{Dims: []int{2, 3}, Data: seq(5)}, "hold 6 values, len(Data) = 5"},
	} {
		var b bytes.Buffer
		err := WriteIDX(&b, test.idx, true)
		if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), test.msg) {
			t.Errorf("%+v: err = %v, want one with %q", test.idx, err, test.msg)
		}
		if b.Len() != 0 {
			t.Errorf("%+v: wrote %d bytes", test.idx, b.Len())
		}
	}
}

// TestLoadIDXChannels checks that an idx4 image file is read as
// (N, C, H, W).
func TestLoadIDXChannels(t *testing.T) {
	dir := t.TempDir()
	pix := seq(2 * 2 * 1 * 3)
	ip := writeTemp(t, dir, "images", idxBytes([]int{2, 2, 1, 3}, pix))
	lp := writeTemp(t, dir, "labels", idxBytes([]int{2}, []byte{1, 0}))
	s, err := LoadIDX(ip, lp)
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 2 || s.C != 2 || s.H != 1 || s.W != 3 || s.Classes != 2 {
		t.Errorf("got %d×%d×%d×%d, %d classes", s.Len(), s.C, s.H, s.W, s.Classes)
	}
	vals := s.Values()
	for j, p := range pix {
		if vals[j] != PixelValue(p) {
			t.Fatalf("Data[%d] = %v, want %v", j, vals[j], PixelValue(p))
		}
	}
	ip = writeTemp(t, dir, "5d", idxBytes([]int{2, 1, 2, 1, 3}, pix))
	if _, err := LoadIDX(ip, lp); err == nil || !strings.Contains(err.Error(), "has 5 dimensions") {
		t.Errorf("5-D image file: err = %v", err)
	}
}
