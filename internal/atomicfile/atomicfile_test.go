package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// entries returns the names in dir.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := io.WriteString(w, s)
		return err
	}
}

func TestWrite(t *testing.T) {
	errWrite := errors.New("the write function failed")
	big := strings.Repeat("0123456789", bufferSize/5) // more than the buffer
	for _, tc := range []struct {
		name    string
		old     string // content before, "" for no file
		oldMode os.FileMode
		write   func(io.Writer) error
		want    string // content after
		wantErr error  // nil for success
	}{
		{name: "new file", write: writeString("hello\n"), want: "hello\n"},
		{name: "empty file", write: writeString(""), want: ""},
		{name: "larger than the buffer", write: writeString(big), want: big},
		{name: "replaces, mode 0644", old: "old", oldMode: 0o600, write: writeString("new"), want: "new"},
		{name: "write error keeps the old file", old: "old", oldMode: 0o600, want: "old", wantErr: errWrite,
			write: func(w io.Writer) error {
				io.WriteString(w, "partial")
				return errWrite
			}},
		{name: "write error, no old file", wantErr: errWrite,
			write: func(w io.Writer) error { return errWrite }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out.csv")
			if tc.old != "" {
				if err := os.WriteFile(path, []byte(tc.old), tc.oldMode); err != nil {
					t.Fatal(err)
				}
			}
			err := Write(path, tc.write)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("Write: error %v, want %v", err, tc.wantErr)
			}
			if err != nil && err != tc.wantErr {
				t.Errorf("the write function's error came back as %#v, want it unchanged", err)
			}
			names := entries(t, dir)
			if tc.old == "" && tc.wantErr != nil {
				if len(names) != 0 {
					t.Errorf("after a failed write the folder holds %q, want nothing", names)
				}
				return
			}
			if len(names) != 1 || names[0] != "out.csv" {
				t.Errorf("folder holds %q, want only out.csv (no temporary file)", names)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Errorf("content %.20q (%d bytes), want %.20q (%d bytes)", b, len(b), tc.want, len(tc.want))
			}
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			wantMode := Mode
			if tc.wantErr != nil {
				wantMode = tc.oldMode
			}
			if st.Mode().Perm() != wantMode {
				t.Errorf("mode %v, want %v", st.Mode().Perm(), wantMode)
			}
		})
	}
}

// Failures of the file operations are *Errors naming the destination
// and wrapping the cause, and leave nothing behind.
func TestWriteFileErrors(t *testing.T) {
	dir := t.TempDir()
	// a non-empty folder at the destination: the rename fails
	taken := filepath.Join(dir, "taken")
	if err := os.MkdirAll(filepath.Join(taken, "inside"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, op string
		is             error
	}{
		{"no such folder", filepath.Join(dir, "nosuch", "out.csv"), "create", fs.ErrNotExist},
		{"destination is a folder", taken, "rename", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Write(tc.path, writeString("data"))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T), want an *Error", err, err)
			}
			if e.Op != tc.op || e.Path != tc.path || !strings.Contains(err.Error(), tc.path) {
				t.Errorf("error %q: op %q, path %q; want op %q naming %s", err, e.Op, e.Path, tc.op, tc.path)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v does not wrap %v", err, tc.is)
			}
			if names := entries(t, dir); len(names) != 1 || names[0] != "taken" {
				t.Errorf("folder holds %q, want only the folder taken", names)
			}
		})
	}
}

func TestStage(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	sa, err := Stage(a, writeString("A"))
	if err != nil {
		t.Fatal(err)
	}
	sb, err := Stage(b, writeString("B"))
	if err != nil {
		t.Fatal(err)
	}
	if sa.Path() != a {
		t.Errorf("Path() = %q, want %q", sa.Path(), a)
	}
	if names := entries(t, dir); len(names) != 2 || !strings.HasPrefix(names[0], ".a.tmp") || !strings.HasPrefix(names[1], ".b.tmp") {
		t.Errorf("staged files %q, want two hidden temporary files and no destination yet", names)
	}
	if err := sa.Commit(); err != nil {
		t.Fatal(err)
	}
	sb.Discard()
	sb.Discard() // harmless
	if names := entries(t, dir); len(names) != 1 || names[0] != "a" {
		t.Errorf("after Commit and Discard the folder holds %q, want only a", names)
	}
	if err := sa.Commit(); err == nil {
		t.Error("a second Commit succeeded")
	}
	if err := sb.Commit(); err == nil {
		t.Error("Commit after Discard succeeded")
	}
	if _, err := os.Stat(b); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("discarded file exists: %v", err)
	}
}

func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	files := map[string]bool{ // name: should be removed
		".model.ckpt.tmp123456": true,
		".samples.png.tmp9":     true,
		"model.ckpt":            false,
		".hidden":               false,
		".x.tmp":                false, // no digits
		".x.tmp12a":             false,
		"a.tmp123":              false, // no leading dot
		".tmp123":               false, // no name
	}
	for name := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, ".d.tmp1"), 0o755); err != nil { // directories stay
		t.Fatal(err)
	}
	removed, err := RemoveStale(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, n := range removed {
		got[n] = true
	}
	for name, want := range files {
		_, statErr := os.Stat(filepath.Join(dir, name))
		if gone := os.IsNotExist(statErr); gone != want || got[name] != want {
			t.Errorf("%s: removed %v (reported %v), want %v", name, gone, got[name], want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, ".d.tmp1")); err != nil {
		t.Errorf("directory removed: %v", err)
	}
	if _, err := RemoveStale(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing directory: no error")
	}
}
