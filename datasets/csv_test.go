package datasets

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestReadCSV(t *testing.T) {
	for i, test := range []struct {
		name    string
		content string
		opts    CSVOptions
		c, h, w int
		classes int
		labels  []int
		data    []float32
	}{
		{
			name:    "zero options: label first, pixels, square",
			content: "3,0,255,51,204\n1,255,0,0,0\n",
			c:       1, h: 2, w: 2, classes: 4,
			labels: []int{3, 1},
			data:   []float32{-1, 1, PixelValue(51), PixelValue(204), 1, -1, -1, -1},
		},
		{
			name:    "header, label by name, spaces, float label, CRLF",
			content: "a, b,lab ,c\r\n 0, 127.5 , 2.0,255\r\n\r\n255,0,0,0\r\n",
			opts:    CSVOptions{Header: true, LabelName: "lab"},
			c:       1, h: 1, w: 3, classes: 3,
			labels: []int{2, 0},
			data:   []float32{-1, 0, 1, 1, -1, -1},
		},
		{
			name:    "detected header, label last, Scale01, given shape, Classes",
			content: "x0,x1,x2,x3,x4,x5,y\n0,0.5,1,1,0.5,0,1\n",
			opts:    CSVOptions{DetectHeader: true, LabelColumn: 6, Scale: Scale01, C: 3, H: 1, W: 2, Classes: 5},
			c:       3, h: 1, w: 2, classes: 5,
			labels: []int{1},
			data:   []float32{-1, 0, 1, 1, 0, -1},
		},
		{
			name:    "byte order mark before the header",
			content: "\ufefflabel,a\n1,0\n",
			opts:    CSVOptions{Header: true, LabelName: "label"},
			c:       1, h: 1, w: 1, classes: 2,
			labels: []int{1},
			data:   []float32{-1},
		},
		{
			name:    "detect header finds none",
			content: "1,2,3\n4,5,6\n",
			opts:    CSVOptions{DetectHeader: true, LabelColumn: 0},
			c:       1, h: 1, w: 2, classes: 5,
			labels: []int{1, 4},
			data:   []float32{PixelValue(2), PixelValue(3), PixelValue(5), PixelValue(6)},
		},
		{
			name:    "unlabelled tabular, ScaleNone",
			content: "1.5,-2,3e2\n0,0,-0.25\n",
			opts:    CSVOptions{LabelColumn: -1, Scale: ScaleNone},
			c:       1, h: 1, w: 3, classes: 0,
			labels: []int{Unlabelled, Unlabelled},
			data:   []float32{1.5, -2, 300, 0, 0, -0.25},
		},
		{
			name:    "unlabelled with Classes and quoted cells",
			content: "\"0\",\"255\",\"0\",\"255\"\n",
			opts:    CSVOptions{LabelColumn: -1, Classes: 10},
			c:       1, h: 2, w: 2, classes: 10,
			labels: []int{Unlabelled},
			data:   []float32{-1, 1, -1, 1},
		},
		{
			name:    "tabular forced over a perfect square",
			content: "0.1,0.2,0.3,0.4,2\n",
			opts:    CSVOptions{LabelColumn: 4, Scale: ScaleNone, C: 1, H: 1, W: 4},
			c:       1, h: 1, w: 4, classes: 3,
			labels: []int{2},
			data:   []float32{0.1, 0.2, 0.3, 0.4},
		},
	} {
		s, err := ReadCSV(strings.NewReader(test.content), "t.csv", test.opts)
		if err != nil {
			t.Errorf("%d %s: %v", i, test.name, err)
			continue
		}
		if err := s.Validate(); err != nil {
			t.Errorf("%d %s: %v", i, test.name, err)
		}
		if s.C != test.c || s.H != test.h || s.W != test.w || s.Classes != test.classes {
			t.Errorf("%d %s: shape %d×%d×%d classes %d, want %d×%d×%d classes %d", i, test.name, s.C, s.H, s.W, s.Classes, test.c, test.h, test.w, test.classes)
		}
		if !slices.Equal(s.Labels, test.labels) {
			t.Errorf("%d %s: labels %v, want %v", i, test.name, s.Labels, test.labels)
		}
		if !slices.EqualFunc(s.Values(), test.data, func(a, b float32) bool { return math.Abs(float64(a-b)) < 1e-6 }) {
			t.Errorf("%d %s: data %v, want %v", i, test.name, s.Values(), test.data)
		}
	}
}

func TestReadCSVErrors(t *testing.T) {
	for i, test := range []struct {
		name     string
		content  string
		opts     CSVOptions
		row, col int
		msg      string
	}{
		{"empty file", "", CSVOptions{}, 0, 0, "empty file"},
		{"blank lines only", "\n\n", CSVOptions{}, 0, 0, "empty file"},
		{"header only", "label,a,b\n", CSVOptions{Header: true}, 0, 0, "no data rows"},
		{"ragged short", "1,2,3\n1,2\n", CSVOptions{}, 2, 0, "2 fields, want 3"},
		{"ragged long", "1,2,3\n\n1,2,3,4\n", CSVOptions{}, 3, 0, "4 fields, want 3"},
		{"not a number", "1,2,3\n1,abc,3\n", CSVOptions{}, 2, 2, `not a number: "abc"`},
		{"empty cell", "1,,3\n", CSVOptions{}, 1, 2, "empty cell"},
		{"NaN", "1,2\n1,NaN\n", CSVOptions{Scale: ScaleNone}, 2, 2, "not finite"},
		{"Inf", "1,+Inf\n", CSVOptions{Scale: ScaleNone}, 1, 2, "not finite"},
		{"overflow", "1,1e400\n", CSVOptions{Scale: ScaleNone}, 1, 2, "out of range"},
		{"float32 overflow", "1,1e39\n", CSVOptions{Scale: ScaleNone}, 1, 2, "overflows float32"},
		{"above 255", "1,256\n", CSVOptions{}, 1, 2, "outside [0, 255]"},
		{"negative pixel", "1,-1\n", CSVOptions{}, 1, 2, "outside [0, 255]"},
		{"above 1", "1,1.5\n", CSVOptions{Scale: Scale01}, 1, 2, "outside [0, 1]"},
		{"negative label", "0,1\n-1,2\n", CSVOptions{}, 2, 1, "label -1 is negative"},
		{"non-integer label", "2.5,1\n", CSVOptions{}, 1, 1, `label "2.5" is not an integer`},
		{"text label", "1,2\ncat,1\n", CSVOptions{}, 2, 1, "not an integer"},
		{"label too large", "1,0\n10,0\n", CSVOptions{Classes: 10}, 2, 1, "label 10 out of range [0, 10)"},
		{"label above MaxClasses", "1,0\n65536,0\n2,0\n", CSVOptions{}, 2, 1, "below 65536"},
		{"label 2147483647", "1,0\n2147483647,0\n", CSVOptions{}, 2, 1, "below 65536"},
		{"label 1e9", "1,0\n1e9,0\n", CSVOptions{}, 2, 1, "below 65536"},
		{"label far beyond the others", "0,1\n1,1\n2,1\n10000,1\n1,1\n", CSVOptions{}, 4, 1, "would make 10001 classes for 4 distinct labels"},
		{"gap beyond the others", "0,1\n1,1\n2,1\n30,1\n", CSVOptions{}, 4, 1, "would make 31 classes"},
		{"label column out of range", "1,2\n", CSVOptions{LabelColumn: 2}, 1, 0, "out of range"},
		{"no label name", "a,b\n1,2\n", CSVOptions{Header: true, LabelName: "label"}, 1, 0, `no column named "label"`},
		{"detected no header for name", "1,2\n", CSVOptions{DetectHeader: true, LabelName: "label"}, 1, 0, `no column named "label"`},
		{"no features", "1\n", CSVOptions{}, 1, 0, "no feature columns"},
		{"shape mismatch", "1,2,3\n", CSVOptions{LabelColumn: -1, C: 1, H: 2, W: 2}, 1, 0, "needs 4"},
		{"bad quote", "1,2\n1,\"2\n", CSVOptions{}, 2, 0, "malformed CSV"},
		{"bare quote", "1,2\"x\n", CSVOptions{}, 1, 0, "malformed CSV"},
	} {
		_, err := ReadCSV(strings.NewReader(test.content), "bad.csv", test.opts)
		if err == nil {
			t.Errorf("%d %s: no error", i, test.name)
			continue
		}
		fe := asFormatError(t, err)
		if fe.File != "bad.csv" || fe.Row != test.row || fe.Col != test.col || !strings.Contains(err.Error(), test.msg) {
			t.Errorf("%d %s: error %q (row %d col %d), want row %d col %d with %q", i, test.name, err, fe.Row, fe.Col, test.row, test.col, test.msg)
		}
		if !strings.HasPrefix(err.Error(), "datasets: bad.csv: ") {
			t.Errorf("%d %s: error %q does not start with the file", i, test.name, err)
		}
	}
}

// Gaps in the labels are accepted up to twice the distinct labels plus
// 10, and beyond that when Classes is given.
func TestReadCSVLabelGaps(t *testing.T) {
	for _, tc := range []struct {
		content string
		classes int
		want    int
	}{
		{"0,1\n1,1\n2,1\n17,1\n", 0, 18},
		{"0,1\n1,1\n2,1\n30,1\n", 40, 40},
	} {
		s, err := ReadCSV(strings.NewReader(tc.content), "gaps.csv", CSVOptions{Classes: tc.classes})
		if err != nil || s.Classes != tc.want {
			t.Errorf("%q with Classes %d: %v classes, error %v; want %d", tc.content, tc.classes, s, err, tc.want)
		}
	}
}

func TestReadCSVMessage(t *testing.T) {
	_, err := ReadCSV(strings.NewReader("1,2,3\n1,2,3\n1,2,3\n1,2,abc\n"), "f.csv", CSVOptions{})
	if want := `datasets: f.csv: row 4, column 3: not a number: "abc"`; err == nil || err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

func TestCSVOptionErrors(t *testing.T) {
	for i, opts := range []CSVOptions{
		{LabelName: "y"},
		{LabelColumn: -2},
		{Scale: Scale(7)},
		{C: 1},
		{C: 1, H: 2, W: -3},
		{Classes: -1},
	} {
		_, err := ReadCSV(strings.NewReader("1,2\n"), "x.csv", opts)
		if !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%d: %+v: err = %v, want ErrInvalidArgument", i, opts, err)
		}
	}
	if _, err := LoadCSV(filepath.Join(t.TempDir(), "none.csv"), CSVOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v", err)
	}
}

func TestSaveCSVRoundTrip(t *testing.T) {
	pixels := &Set{C: 1, H: 2, W: 2, Classes: 3}
	for i := range 6 {
		for j := range 4 {
			pixels.Data = append(pixels.Data, PixelValue(uint8(i*40+j*7)))
		}
		pixels.Labels = append(pixels.Labels, i%3)
	}
	pixels.Data[5] = 0.123 // not on the pixel grid
	rgb := mkSet(3, 3, 1, 2, 2)
	for j := range rgb.Values() {
		rgb.Data[j] = float32(j%7)/3 - 1
	}
	tab := mkSet(5, 1, 1, 3, 0) // ScaleNone, values outside [-1, 1]
	for i, test := range []struct {
		s    *Set
		opts CSVOptions
	}{
		{pixels, CSVOptions{}},
		{pixels, CSVOptions{Header: true, LabelName: "digit", LabelColumn: -1}},
		{pixels, CSVOptions{Header: true, LabelColumn: 2}},
		{pixels, CSVOptions{DetectHeader: true, LabelName: "y", LabelColumn: 4}},
		{rgb, CSVOptions{Scale: Scale01, LabelColumn: 1, C: 3, H: 1, W: 2}},
		{tab, CSVOptions{Scale: ScaleNone, LabelColumn: -1, C: 1, H: 1, W: 3}},
	} {
		path := filepath.Join(t.TempDir(), "set.csv")
		if err := SaveCSV(path, test.s, test.opts); err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		got, err := LoadCSV(path, test.opts)
		if err != nil {
			b, _ := os.ReadFile(path)
			t.Fatalf("%d: %v\n%s", i, err, b)
		}
		if got.C != test.s.C || got.H != test.s.H || got.W != test.s.W || got.Classes != test.s.Classes || !slices.Equal(got.Labels, test.s.Labels) {
			t.Errorf("%d: read back %d×%d×%d, %d classes, labels %v", i, got.C, got.H, got.W, got.Classes, got.Labels)
		}
		if !slices.EqualFunc(got.Values(), test.s.Values(), func(a, b float32) bool { return math.Abs(float64(a-b)) < 1e-6 }) {
			t.Errorf("%d: data %v, want %v", i, got.Values(), test.s.Values())
		}
		entries, _ := os.ReadDir(filepath.Dir(path))
		if len(entries) != 1 {
			t.Errorf("%d: %d files left in the directory", i, len(entries))
		}
	}
}

func TestSaveCSVErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	os.WriteFile(path, []byte("old"), 0o644)
	unl := mkSet(3, 1, 1, 2, 2)
	unl.Labels[1] = Unlabelled
	wide := mkSet(2, 1, 1, 2, 2)
	wide.Data[1] = 1.5
	for i, test := range []struct {
		s    *Set
		opts CSVOptions
		want error
	}{
		{unl, CSVOptions{}, ErrInvalid},
		{wide, CSVOptions{}, ErrInvalid},
		{wide, CSVOptions{Scale: Scale01}, ErrInvalid},
		{&Set{C: 0}, CSVOptions{}, ErrInvalid},
		{mkSet(2, 1, 1, 2, 2), CSVOptions{LabelColumn: 3}, ErrInvalidArgument},
		{mkSet(2, 1, 1, 2, 2), CSVOptions{LabelName: "y"}, ErrInvalidArgument},
	} {
		if err := SaveCSV(path, test.s, test.opts); !errors.Is(err, test.want) {
			t.Errorf("%d: err = %v, want %v", i, err, test.want)
		}
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("failed writes changed the file to %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files left in the directory", len(entries))
	}
	if err := SaveCSV(filepath.Join(dir, "no", "such", "dir.csv"), mkSet(1, 1, 1, 1, 1), CSVOptions{}); err == nil {
		t.Error("writing into a missing directory did not fail")
	}
}

func TestWriteCSV(t *testing.T) {
	s := &Set{Data: []float32{-1, 1, 0, -1}, Labels: []int{1, 0}, C: 1, H: 1, W: 2, Classes: 2}
	var b strings.Builder
	if err := WriteCSV(&b, s, CSVOptions{Header: true, LabelColumn: 1}); err != nil {
		t.Fatal(err)
	}
	if want := "x0,label,x1\n0,1,255\n127.5,0,0\n"; b.String() != want {
		t.Errorf("WriteCSV wrote %q, want %q", b.String(), want)
	}
}
