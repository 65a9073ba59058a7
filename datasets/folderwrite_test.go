package datasets

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// tree returns the paths of the files and folders under dir, relative to
// it and slash-separated, in sorted order; folders end in "/".
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			rel += "/"
		}
		out = append(out, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSaveImageFolderRoundTrip(t *testing.T) {
	gray12 := writableSet(14, 1, 3, 2, 12) // classes 00..11; 12 examples + 2
	gray12.Labels[13] = 0                  // so that class 1 has one example
	gray12.Labels[1] = 5                   // and none of them 1
	named := writableSet(7, 1, 2, 3, 3)
	named.ClassNames = []string{"Zebra", "ant", "bee"} // sorted as bytes
	named.Labels = []int{2, 0, 2, 2, 0, 0, 2}          // class "ant" empty
	rgb := writableSet(5, 3, 4, 2, 2)
	rgb.ClassNames = []string{"cat", "dog"}
	flat := writableSet(3, 3, 1, 2, 0)
	one := writableSet(1, 1, 1, 1, 1)
	for _, test := range []struct {
		name    string
		s       *Set
		opts    FolderOptions
		names   []string // class names read back
		entries []string // some paths that must exist
	}{
		{"gray padded", gray12, FolderOptions{}, []string{"00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11"},
			[]string{"00/00.png", "00/13.png", "01/", "05/01.png", "11/11.png"}},
		{"gray named", named, FolderOptions{}, named.ClassNames, []string{"Zebra/", "ant/", "bee/0.png", "Zebra/1.png"}},
		{"rgb named", rgb, FolderOptions{Color: RGB}, rgb.ClassNames, []string{"cat/0.png", "dog/1.png"}},
		{"flat unlabelled", flat, FolderOptions{Color: RGB}, nil, []string{"0.png", "2.png"}},
		{"one example", one, FolderOptions{}, []string{"0"}, []string{"0/0.png"}},
	} {
		t.Run(test.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out", "set")
			s := test.s
			if err := SaveImageFolder(dir, s); err != nil {
				t.Fatal(err)
			}
			files := tree(t, dir)
			for _, e := range test.entries {
				if !slices.Contains(files, e) {
					t.Errorf("no %s in %v", e, files)
				}
			}
			for _, f := range files {
				if strings.Contains(f, "tmp") {
					t.Errorf("temporary file %s left", f)
				}
			}

			got, err := LoadImageFolder(dir, test.opts)
			if err != nil {
				t.Fatal(err)
			}
			// LoadImageFolder reads the examples grouped by class.
			order := make([]int, s.Len())
			for i := range order {
				order[i] = i
			}
			slices.SortStableFunc(order, func(a, b int) int { return s.Labels[a] - s.Labels[b] })
			want := s.Subset(order)
			if got.C != s.C || got.H != s.H || got.W != s.W || got.Classes != s.Classes {
				t.Errorf("read back %d×%d×%d, %d classes; want %d×%d×%d, %d classes", got.C, got.H, got.W, got.Classes, s.C, s.H, s.W, s.Classes)
			}
			if !slices.Equal(got.ClassNames, test.names) {
				t.Errorf("class names %q, want %q", got.ClassNames, test.names)
			}
			if !slices.Equal(got.Labels, want.Labels) {
				t.Errorf("labels %v, want %v", got.Labels, want.Labels)
			}
			if q := quantised(want.Values()); !slices.Equal(got.Values(), q) {
				t.Errorf("data %v, want %v", got.Values(), q)
			}
		})
	}
}

// TestSaveImageFolderHidden checks that a folder holding only hidden
// entries, which LoadImageFolder ignores, is written to.
func TestSaveImageFolderHidden(t *testing.T) {
	dir := t.TempDir()
	writeTemp(t, dir, ".DS_Store", []byte("junk"))
	writeTemp(t, dir, ".git/config", []byte("junk"))
	s := writableSet(4, 1, 2, 2, 2)
	if err := SaveImageFolder(dir, s); err != nil {
		t.Fatal(err)
	}
	got, err := LoadImageFolder(dir, FolderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Len() != 4 || !slices.Equal(got.ClassNames, []string{"0", "1"}) {
		t.Errorf("read back %d examples, classes %q", got.Len(), got.ClassNames)
	}
}

func TestSaveImageFolderErrors(t *testing.T) {
	unl := writableSet(4, 1, 2, 2, 3)
	unl.Labels[3] = Unlabelled
	nan := writableSet(5, 1, 2, 2, 2)
	nan.Data[4*4+1] = float32(math.NaN())
	outOfRange := writableSet(3, 1, 2, 2, 2)
	outOfRange.Labels[1] = 2
	named := func(names ...string) *Set {
		s := writableSet(4, 1, 2, 2, len(names))
		s.ClassNames = names
		return s
	}
	for _, test := range []struct {
		name string
		s    *Set
		want error
		msg  string
	}{
		{"nil", nil, ErrInvalidArgument, "nil"},
		{"empty", &Set{C: 1, H: 2, W: 2, Classes: 2}, ErrInvalid, "no examples"},
		{"two channels", writableSet(2, 2, 2, 2, 2), ErrInvalid, "2 channels, want 1 (gray PNG) or 3 (RGB PNG)"},
		{"four channels", writableSet(2, 4, 2, 2, 2), ErrInvalid, "4 channels"},
		{"unlabelled", unl, ErrInvalid, "example 3 is Unlabelled"},
		{"NaN", nan, ErrInvalid, "example 4, feature 1: value NaN is not finite"},
		{"label out of range", outOfRange, ErrInvalid, "example 1: label 2 out of range [0, 2)"},
		{"names too few", &Set{Data: make([]float32, 4), Labels: []int{0}, C: 1, H: 2, W: 2, Classes: 2, ClassNames: []string{"a"}}, ErrInvalid, "1 class names for 2 classes"},
		{"unsorted names", named("dog", "cat"), ErrInvalid, `class 0 is "dog", class 1 "cat"`},
		{"equal names", named("a", "a"), ErrInvalid, `classes 0 and 1 are both named "a"`},
		{"names differ in case", named("B", "a", "b"), ErrInvalid, `"B" (class 0) and "b" (class 2) differ only in case`},
		{"empty name", named("", "a"), ErrInvalid, "class 0 has an empty name"},
		{"hidden name", named(".a", "b"), ErrInvalid, `name ".a" begins with "."`},
		{"dot dot", named("..", "a"), ErrInvalid, `begins with "."`},
		{"slash", named("a", "b/c"), ErrInvalid, `name "b/c" holds a slash`},
		{"backslash", named("a", `b\c`), ErrInvalid, "holds a slash"},
	} {
		parent := t.TempDir()
		dir := filepath.Join(parent, "out")
		err := SaveImageFolder(dir, test.s)
		if !errors.Is(err, test.want) || !strings.HasPrefix(err.Error(), "datasets: ") || !strings.Contains(err.Error(), test.msg) {
			t.Errorf("%s: err = %v, want %v with %q", test.name, err, test.want, test.msg)
		}
		if entries, _ := os.ReadDir(parent); len(entries) != 0 {
			t.Errorf("%s: failed write left %d entries", test.name, len(entries))
		}
	}
}

func TestSaveImageFolderNotEmpty(t *testing.T) {
	s := writableSet(4, 1, 2, 2, 2)
	for _, test := range []struct {
		name  string
		files []string
		msg   string
	}{
		{"file", []string{"notes.txt"}, `it holds "notes.txt";`},
		{"folder", []string{"0/old.png"}, `it holds "0" (folder);`},
		{"many", []string{"a/x", "b", "c", "d", ".hidden", "e"}, `it holds "a" (folder), "b", "c" and 2 more;`},
	} {
		dir := t.TempDir()
		for _, f := range test.files {
			writeTemp(t, dir, f, []byte("old"))
		}
		before := tree(t, dir)
		err := SaveImageFolder(dir, s)
		if !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), test.msg) || !strings.Contains(err.Error(), "datasets: "+dir+" is not empty") {
			t.Errorf("%s: err = %v, want fs.ErrExist naming %q", test.name, err, test.msg)
		}
		if after := tree(t, dir); !slices.Equal(before, after) {
			t.Errorf("%s: failed write changed %v to %v", test.name, before, after)
		}
	}

	// A second write to the same folder fails rather than mixing files.
	dir := filepath.Join(t.TempDir(), "set")
	if err := SaveImageFolder(dir, s); err != nil {
		t.Fatal(err)
	}
	if err := SaveImageFolder(dir, writableSet(2, 1, 2, 2, 2)); !errors.Is(err, fs.ErrExist) {
		t.Errorf("second write: err = %v", err)
	}
	if got, err := LoadImageFolder(dir, FolderOptions{}); err != nil || got.Len() != 4 {
		t.Errorf("after a refused write: %v", err)
	}

	// dir naming a file is an I/O error.
	file := writeTemp(t, t.TempDir(), "file", nil)
	if err := SaveImageFolder(file, s); err == nil || !strings.HasPrefix(err.Error(), "datasets: ") {
		t.Errorf("dir is a file: err = %v", err)
	}
}

// TestSaveImageFolderCleanup checks that a write failing part way
// removes what it made: here the folder of a class whose name is too
// long for the file system, after the folder of the class before it.
func TestSaveImageFolderCleanup(t *testing.T) {
	parent := t.TempDir()
	s := writableSet(4, 1, 2, 2, 2)
	s.ClassNames = []string{"a", strings.Repeat("b", 300)}
	err := SaveImageFolder(filepath.Join(parent, "out"), s)
	if err == nil || errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), "datasets: ") {
		t.Fatalf("err = %v, want an I/O error", err)
	}
	if left := tree(t, parent); len(left) != 0 {
		t.Errorf("failed write left %v", left)
	}
}
