package datasets

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWritePredictions(t *testing.T) {
	for _, test := range []struct {
		name    string
		proba   []float32
		classes int
		want    string
		err     error
	}{
		{"two examples", []float32{0.1, 0.9, 0.75, 0.25}, 2,
			"row,predicted,probability,p0,p1\n0,1,0.900000,0.100000,0.900000\n1,0,0.750000,0.750000,0.250000\n", nil},
		{"tie: the first class", []float32{0.5, 0.5}, 2, "row,predicted,probability,p0,p1\n0,0,0.500000,0.500000,0.500000\n", nil},
		{"no examples", nil, 3, "row,predicted,probability,p0,p1,p2\n", nil},
		{"no classes", []float32{1}, 0, "", ErrInvalidArgument},
		{"ragged", []float32{0.2, 0.3, 0.5}, 2, "", ErrInvalidArgument},
		{"NaN", []float32{0.5, float32(math.NaN())}, 2, "", ErrInvalidArgument},
	} {
		var b strings.Builder
		err := WritePredictions(&b, test.proba, test.classes)
		if !errors.Is(err, test.err) || (err == nil) != (test.err == nil) {
			t.Errorf("%s: error %v, want %v", test.name, err, test.err)
			continue
		}
		if b.String() != test.want {
			t.Errorf("%s: wrote %q, want %q", test.name, b.String(), test.want)
		}
	}
	// many rows go through the intermediate flushes
	proba := make([]float32, 3*5000)
	for i := range proba {
		proba[i] = float32(i%3) / 3
	}
	path := filepath.Join(t.TempDir(), "pred.csv")
	if err := SavePredictions(path, proba, 3); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 5001 || lines[4999] != "4998,2,0.666667,0.000000,0.333333,0.666667" {
		t.Errorf("%d lines, line 4999 %q", len(lines), lines[4999])
	}
	if err := SavePredictions(path, proba, 7); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("ragged: error %v", err)
	}
}

func TestCloneQuantize(t *testing.T) {
	s, err := ReadCSV(strings.NewReader("a,label\n0,1\n255,0\n"), "t.csv", CSVOptions{Header: true, LabelName: "label"})
	if err != nil {
		t.Fatal(err)
	}
	s.ClassNames = []string{"no", "yes"}
	c := s.Clone()
	c.Values()[0], c.Labels[0], c.ClassNames[0], c.Columns.Names[0] = 0.5, 0, "changed", "changed"
	if s.Values()[0] != -1 || s.Labels[0] != 1 || s.ClassNames[0] != "no" || s.Columns.Names[0] != "a" {
		t.Errorf("Clone shares storage: original now %+v %+v", s, s.Columns)
	}
	q := &Set{C: 1, H: 1, W: 4, Data: []float32{-2, 0.999, 0.5, -0.2}, Labels: []int{Unlabelled}}
	q.QuantizePixels()
	for i, want := range []uint8{0, 255, 191, 102} {
		if q.Values()[i] != PixelValue(want) {
			t.Errorf("value %d quantised to %v, want PixelValue(%d) = %v", i, q.Values()[i], want, PixelValue(want))
		}
	}
}
