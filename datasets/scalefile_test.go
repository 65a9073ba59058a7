package datasets

import (
	"bytes"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestSaveRangeScalerRoundTrip(t *testing.T) {
	for _, test := range []struct {
		name string
		r    *RangeScaler
		want *RangeScaler // read back; nil: r
	}{
		{"names", &RangeScaler{Min: []float32{-1.5, 0, 3}, Max: []float32{2, 0, 1e30}, Names: []string{"a", "b,with comma", ` "quoted" `}}, nil},
		{"no names", &RangeScaler{Min: []float32{0.1, -7}, Max: []float32{0.3, 1.0000001}},
			&RangeScaler{Min: []float32{0.1, -7}, Max: []float32{0.3, 1.0000001}, Names: []string{"x0", "x1"}}},
		{"extremes", &RangeScaler{Min: []float32{-math.MaxFloat32, math.SmallestNonzeroFloat32}, Max: []float32{math.MaxFloat32, 1}, Names: []string{"big", "tiny"}}, nil},
	} {
		path := filepath.Join(t.TempDir(), "scaler.csv")
		if err := SaveRangeScaler(path, test.r); err != nil {
			t.Fatalf("%s: %v", test.name, err)
		}
		got, err := LoadRangeScaler(path, len(test.r.Min))
		if err != nil {
			t.Fatalf("%s: %v", test.name, err)
		}
		want := test.want
		if want == nil {
			want = test.r
		}
		// names are trimmed on reading
		want = &RangeScaler{Min: want.Min, Max: want.Max, Names: append([]string(nil), want.Names...)}
		for j := range want.Names {
			want.Names[j] = strings.TrimSpace(want.Names[j])
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: read back %+v, want %+v", test.name, got, want)
		}
		if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o644 {
			t.Errorf("%s: file mode %v (%v), want 0644", test.name, st.Mode().Perm(), err)
		}
	}
}

// A scaler fitted on sets read from CSV is saved with their column
// names, and applied to new data after loading it does what the
// original does.
func TestRangeScalerFromCSV(t *testing.T) {
	s, err := ReadCSV(strings.NewReader("height,kind,weight\n1.5,0,60\n1.9,1,95\n"), "t.csv", CSVOptions{Header: true, LabelName: "kind", Scale: ScaleNone})
	if err != nil {
		t.Fatal(err)
	}
	r, err := FitRangeScaler(s)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteRangeScaler(&b, r); err != nil {
		t.Fatal(err)
	}
	if want := "column,min,max\nheight,1.5,1.9\nweight,60,95\n"; b.String() != want {
		t.Errorf("wrote %q, want %q", b.String(), want)
	}
	back, err := ReadRangeScaler(&b, "scaler.csv", 2)
	if err != nil {
		t.Fatal(err)
	}
	a, c := s.Subset([]int{0, 1}), s.Subset([]int{0, 1})
	if err := r.Apply(a); err != nil {
		t.Fatal(err)
	}
	if err := back.Apply(c); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.Values(), c.Values()) {
		t.Errorf("loaded scaler gives %v, fitted one %v", c.Values(), a.Values())
	}
}

func TestReadRangeScalerErrors(t *testing.T) {
	for _, test := range []struct {
		name, content string
		features      int
		row, col      int    // of the *FormatError
		msg           string // in the message
	}{
		{"empty", "", 0, 0, 0, "empty file"},
		{"no header", "a,1,2\n", 0, 1, 0, `header "a,1,2"`},
		{"header only", "column,min,max\n", 0, 0, 0, "no features"},
		{"too few fields", "column,min,max\na,1,2\nb,1\n", 0, 3, 0, "2 fields, want 3"},
		{"too many fields", "column,min,max\na,1,2,3\n", 0, 2, 0, "4 fields"},
		{"min not a number", "column,min,max\na,x,2\n", 0, 2, 2, `min: not a number: "x"`},
		{"max NaN", "column,min,max\na,1,NaN\n", 0, 2, 3, "max: \"NaN\" is not finite"},
		{"min -Inf", "column,min,max\n\na,-inf,2\n", 0, 3, 2, "not finite"},
		{"overflow", "column,min,max\na,1,1e39\n", 0, 2, 3, "overflows float32"},
		{"min above max", "column,min,max\na,1,2\nb,3,2.5\n", 0, 3, 0, "min 3 is above max 2.5"},
		{"too many features", "column,min,max\na,1,2\nb,1,2\nc,1,2\n", 2, 4, 0, "more than the 2 features"},
		{"too few features", "column,min,max\na,1,2\n", 2, 0, 0, "1 features, want 2"},
		{"malformed CSV", "column,min,max\n\"a,1,2\n", 0, 2, 0, "malformed CSV"},
	} {
		_, err := ReadRangeScaler(strings.NewReader(test.content), "scaler.csv", test.features)
		fe, ok := errors.AsType[*FormatError](err)
		if !ok {
			t.Errorf("%s: error %v (%T), want a *FormatError", test.name, err, err)
			continue
		}
		if fe.File != "scaler.csv" || fe.Row != test.row || fe.Col != test.col || !strings.Contains(err.Error(), test.msg) {
			t.Errorf("%s: error %q (row %d, column %d), want row %d, column %d, %q", test.name, err, fe.Row, fe.Col, test.row, test.col, test.msg)
		}
		if !strings.HasPrefix(err.Error(), "datasets: scaler.csv: ") {
			t.Errorf("%s: error %q does not begin with the package and file", test.name, err)
		}
	}
	if _, err := ReadRangeScaler(strings.NewReader("column,min,max\na,1,2\n"), "s.csv", -1); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("features -1: error %v, want ErrInvalidArgument", err)
	}
	if _, err := LoadRangeScaler(filepath.Join(t.TempDir(), "none.csv"), 0); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: error %v, want fs.ErrNotExist", err)
	}
}

func TestSaveRangeScalerErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "scaler.csv")
	os.WriteFile(path, []byte("old"), 0o644)
	nan := float32(math.NaN())
	for _, test := range []struct {
		name string
		r    *RangeScaler
	}{
		{"nil", nil},
		{"unequal lengths", &RangeScaler{Min: []float32{0}, Max: []float32{1, 2}}},
		{"names", &RangeScaler{Min: []float32{0}, Max: []float32{1}, Names: []string{"a", "b"}}},
		{"NaN", &RangeScaler{Min: []float32{nan}, Max: []float32{1}}},
		{"min above max", &RangeScaler{Min: []float32{2}, Max: []float32{1}}},
	} {
		if err := SaveRangeScaler(path, test.r); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: error %v, want ErrInvalidArgument", test.name, err)
		}
		if err := WriteRangeScaler(&bytes.Buffer{}, test.r); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: WriteRangeScaler error %v, want ErrInvalidArgument", test.name, err)
		}
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("failed saves changed the file to %q", b)
	}
}

// FuzzReadRangeScaler checks that no input makes ReadRangeScaler panic,
// that every error is a *FormatError naming the file, that accepted
// scalers are valid, and that they round-trip through WriteRangeScaler.
func FuzzReadRangeScaler(f *testing.F) {
	for _, seed := range []string{
		"column,min,max\na,1,2\nb,-3e5,0.25\n",
		"\ufeffcolumn , min, max\r\n\r\n\"x,y\", 1 ,1\n",
		"column,min,max\na,2,1\n",
		"column,min,max\na,NaN,1\n",
		"column,min,max\na,1\n",
		"column,min,max\n\"a,1,2\n",
		"a,b,c\n",
		"",
	} {
		f.Add([]byte(seed), uint8(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, features uint8) {
		r, err := ReadRangeScaler(bytes.NewReader(data), "fuzz.csv", int(features%4))
		if err != nil {
			if fe, ok := errors.AsType[*FormatError](err); !ok || fe.File != "fuzz.csv" {
				t.Fatalf("error %v (%T) is not a *FormatError naming the file", err, err)
			}
			return
		}
		if err := r.valid(); err != nil || len(r.Names) != len(r.Min) || len(r.Min) == 0 {
			t.Fatalf("accepted an invalid scaler %+v: %v", r, err)
		}
		var b bytes.Buffer
		if err := WriteRangeScaler(&b, r); err != nil {
			t.Fatalf("WriteRangeScaler: %v", err)
		}
		got, err := ReadRangeScaler(&b, "again.csv", len(r.Min))
		if err != nil {
			t.Fatalf("reading back %q: %v", b.String(), err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Fatalf("round trip changed %+v to %+v", r, got)
		}
	})
}
