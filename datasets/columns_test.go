package datasets

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The reader records every column's name and the label's position.
func TestCSVColumns(t *testing.T) {
	for _, test := range []struct {
		name, content string
		opts          CSVOptions
		want          CSVColumns
		features      []string
		label         string
	}{
		{"header, label by name in the middle", "a, species ,b\n1,0,2\n",
			CSVOptions{Header: true, LabelName: "species", Scale: ScaleNone},
			CSVColumns{Header: true, Names: []string{"a", "species", "b"}, Label: 1}, []string{"a", "b"}, "species"},
		{"detected header, byte order mark, label by index", "\ufeffx,y,z\n1,2,0\n",
			CSVOptions{DetectHeader: true, LabelColumn: 2, Scale: ScaleNone},
			CSVColumns{Header: true, Names: []string{"x", "y", "z"}, Label: 2}, []string{"x", "y"}, "z"},
		{"no header: generated names", "3,1,2\n",
			CSVOptions{DetectHeader: true, LabelColumn: 0, Scale: ScaleNone},
			CSVColumns{Names: []string{"label", "x0", "x1"}, Label: 0}, []string{"x0", "x1"}, "label"},
		{"unlabelled", "p,q\n1,2\n",
			CSVOptions{Header: true, LabelColumn: -1, Scale: ScaleNone},
			CSVColumns{Header: true, Names: []string{"p", "q"}, Label: -1}, []string{"p", "q"}, ""},
	} {
		s, err := ReadCSV(strings.NewReader(test.content), "t.csv", test.opts)
		if err != nil {
			t.Errorf("%s: %v", test.name, err)
			continue
		}
		if s.Columns == nil || !reflect.DeepEqual(*s.Columns, test.want) {
			t.Errorf("%s: Columns %+v, want %+v", test.name, s.Columns, test.want)
			continue
		}
		if got := s.Columns.FeatureNames(); !slices.Equal(got, test.features) {
			t.Errorf("%s: FeatureNames() = %q, want %q", test.name, got, test.features)
		}
		if got := s.Columns.LabelName(); got != test.label {
			t.Errorf("%s: LabelName() = %q, want %q", test.name, got, test.label)
		}
		if wl := s.Columns.WithoutLabel(); wl.Label != -1 || !slices.Equal(wl.Names, test.features) || wl.Header != test.want.Header {
			t.Errorf("%s: WithoutLabel() = %+v", test.name, wl)
		}
	}
}

// LoadCSV, SaveCSV, LoadCSV: the same names, column order, label
// position and values, whatever options the writer is given.
func TestSaveCSVColumnsRoundTrip(t *testing.T) {
	for _, test := range []struct {
		name, content string
		opts          CSVOptions
	}{
		{"header, label in the middle", "sepal,species,petal,width\n5.1,0,1.4,-0.2\n4.9,2,1.5e3,0.25\n",
			CSVOptions{DetectHeader: true, LabelName: "species", Scale: ScaleNone}},
		{"no header, label last", "1.5,2,1\n-3,4,0\n",
			CSVOptions{DetectHeader: true, LabelColumn: 2, Scale: ScaleNone}},
		{"unlabelled, quoted names", "\"a,b\",c\n1,2\n",
			CSVOptions{Header: true, LabelColumn: -1, Scale: ScaleNone}},
		{"pixels, label first", "label,p0,p1,p2,p3\n3,0,255,17,128\n",
			CSVOptions{Header: true, LabelName: "label"}},
	} {
		dir := t.TempDir()
		in := filepath.Join(dir, "in.csv")
		if err := os.WriteFile(in, []byte(test.content), 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := LoadCSV(in, test.opts)
		if err != nil {
			t.Fatalf("%s: %v", test.name, err)
		}
		out := filepath.Join(dir, "out.csv")
		// options that would lay the file out otherwise are ignored
		if err := SaveCSV(out, s, CSVOptions{Scale: test.opts.Scale, LabelColumn: 0}); err != nil {
			t.Fatalf("%s: %v", test.name, err)
		}
		got, err := LoadCSV(out, test.opts)
		if err != nil {
			t.Fatalf("%s: %v", test.name, err)
		}
		if !reflect.DeepEqual(got, s) {
			t.Errorf("%s: read back %+v (%+v), want %+v (%+v)", test.name, got, got.Columns, s, s.Columns)
		}
		if a, b := firstLine(t, in), firstLine(t, out); test.opts.Scale == ScaleNone && a != b {
			t.Errorf("%s: first line %q, want %q as in the input", test.name, b, a)
		}
	}
}

func firstLine(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return line
}

// Generated examples given the Columns of the set they imitate are
// written in its layout; IgnoreColumns falls back to the options.
func TestWriteCSVColumns(t *testing.T) {
	cols := &CSVColumns{Header: true, Names: []string{"a", "species", "b"}, Label: 1}
	syn := &Set{C: 1, H: 1, W: 2, Classes: 3, Data: []float32{-10, 300, 0, 200}, Labels: []int{0, 2}, Columns: cols}
	for _, test := range []struct {
		name string
		s    *Set
		opts CSVOptions
		want string
		err  error
	}{
		{"columns", syn, CSVOptions{Scale: ScaleNone}, "a,species,b\n-10,0,300\n0,2,200\n", nil},
		{"ignored", syn, CSVOptions{Scale: ScaleNone, IgnoreColumns: true, LabelColumn: -1}, "-10,300\n0,200\n", nil},
		{"no header", &Set{C: 1, H: 1, W: 2, Classes: 2, Data: []float32{1, 2}, Labels: []int{1},
			Columns: &CSVColumns{Names: []string{"x0", "x1", "label"}, Label: 2}}, CSVOptions{Scale: ScaleNone, Header: true}, "1,2,1\n", nil},
		{"unlabelled", &Set{C: 1, H: 1, W: 2, Data: []float32{1, 2}, Labels: []int{Unlabelled}, Columns: cols.WithoutLabel()},
			CSVOptions{Scale: ScaleNone}, "a,b\n1,2\n", nil},
		{"labels but no label column", &Set{C: 1, H: 1, W: 2, Classes: 2, Data: []float32{1, 2}, Labels: []int{1}, Columns: cols.WithoutLabel()},
			CSVOptions{Scale: ScaleNone}, "", ErrInvalid},
		{"unlabelled example, label column", &Set{C: 1, H: 1, W: 2, Classes: 2, Data: []float32{1, 2}, Labels: []int{Unlabelled}, Columns: cols},
			CSVOptions{Scale: ScaleNone}, "", ErrInvalid},
		{"columns of another width", &Set{C: 1, H: 1, W: 3, Classes: 2, Data: []float32{1, 2, 3}, Labels: []int{1}, Columns: cols},
			CSVOptions{Scale: ScaleNone}, "", ErrInvalid},
		{"label column out of range", &Set{C: 1, H: 1, W: 2, Classes: 2, Data: []float32{1, 2}, Labels: []int{1},
			Columns: &CSVColumns{Names: []string{"a", "b", "c"}, Label: 3}}, CSVOptions{Scale: ScaleNone}, "", ErrInvalid},
		{"nil set", nil, CSVOptions{}, "", ErrInvalidArgument},
	} {
		var b strings.Builder
		err := WriteCSV(&b, test.s, test.opts)
		if !errors.Is(err, test.err) || (err == nil) != (test.err == nil) {
			t.Errorf("%s: error %v, want %v", test.name, err, test.err)
			continue
		}
		if err == nil && b.String() != test.want {
			t.Errorf("%s: wrote %q, want %q", test.name, b.String(), test.want)
		}
		if err != nil && b.Len() > 0 {
			t.Errorf("%s: wrote %q before failing", test.name, b.String())
		}
	}
}

// Subset copies the Columns; Split's unlabelled set loses the label
// column.
func TestColumnsSubsetSplit(t *testing.T) {
	s, err := ReadCSV(strings.NewReader("a,y,b\n1,0,2\n3,1,4\n5,0,6\n7,1,8\n"), "t.csv", CSVOptions{Header: true, LabelName: "y", Scale: ScaleNone})
	if err != nil {
		t.Fatal(err)
	}
	sub := s.Subset([]int{1})
	sub.Columns.Names[0] = "changed"
	if s.Columns.Names[0] != "a" {
		t.Error("Subset shares its Columns with the original")
	}
	lab, unl, err := s.Split(1, nil, SplitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(lab.Columns, s.Columns) {
		t.Errorf("labelled Columns %+v, want %+v", lab.Columns, s.Columns)
	}
	if want := (&CSVColumns{Header: true, Names: []string{"a", "b"}, Label: -1}); !reflect.DeepEqual(unl.Columns, want) {
		t.Errorf("unlabelled Columns %+v, want %+v", unl.Columns, want)
	}
	var b strings.Builder
	if err := WriteCSV(&b, unl, CSVOptions{Scale: ScaleNone}); err != nil || b.String() != "a,b\n5,6\n7,8\n" {
		t.Errorf("unlabelled set written as %q (%v)", b.String(), err)
	}
}
