package command

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/sgan/rundir"
)

func twoClassSet() *datasets.Set {
	s := &datasets.Set{C: 1, H: 2, W: 2, Classes: 2, ClassNames: []string{"a", "b"}, Labels: []int{0, 1, 1}}
	s.Data = make([]float32, 3*4)
	return s
}

func mustWrite(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A folder of images a program wrote is replaced by the next run; one
// holding any file the program did not write is refused and left whole,
// -force or not (issue 24, row 1: -force deleted a synthetic/ folder
// recursively, a user's files and class folders included).
func TestSaveImageFolderReplacesOnlyItsOwn(t *testing.T) {
	for _, tc := range []struct {
		name    string
		prepare func(t *testing.T, dir string)
		refused string // a file the error must name; "" when accepted
	}{
		{"new folder", func(*testing.T, string) {}, ""},
		{"empty folder", func(t *testing.T, dir string) { os.MkdirAll(dir, 0o755) }, ""},
		{"an earlier run's", func(t *testing.T, dir string) {
			if err := SaveImageFolder(dir, twoClassSet()); err != nil {
				t.Fatal(err)
			}
		}, ""},
		{"a user's file among an earlier run's", func(t *testing.T, dir string) {
			if err := SaveImageFolder(dir, twoClassSet()); err != nil {
				t.Fatal(err)
			}
			mustWrite(t, filepath.Join(dir, "a", "holiday.jpg"), "mine")
		}, filepath.Join("a", "holiday.jpg")},
		{"a user's class folder, no list", func(t *testing.T, dir string) {
			mustWrite(t, filepath.Join(dir, "cats", "1.png"), "mine")
		}, filepath.Join("cats", "1.png")},
		{"a symbolic link", func(t *testing.T, dir string) {
			os.MkdirAll(dir, 0o755)
			if err := os.Symlink(t.TempDir(), filepath.Join(dir, "elsewhere")); err != nil {
				t.Skip(err)
			}
		}, "elsewhere"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "synthetic")
			tc.prepare(t, dir)
			before, _ := listFiles(dir)
			err := SaveImageFolder(dir, twoClassSet())
			if tc.refused == "" {
				if err != nil {
					t.Fatal(err)
				}
				files, err := written(dir)
				if err != nil || len(files) != 4 { // 3 images and the list
					t.Errorf("after writing: %v, %v", files, err)
				}
				if ok, err := RemoveWritten(dir); !ok || err != nil {
					t.Errorf("RemoveWritten: %v, %v", ok, err)
				}
				if _, err := os.Stat(dir); !os.IsNotExist(err) {
					t.Errorf("folder still there after RemoveWritten: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.refused) {
				t.Fatalf("error %v, want one naming %s", err, tc.refused)
			}
			if after, _ := listFiles(dir); strings.Join(after, ",") != strings.Join(before, ",") {
				t.Errorf("refused folder changed: %v, was %v", after, before)
			}
			if _, err := RemoveWritten(dir); err == nil {
				t.Error("RemoveWritten of the same folder: no error")
			}
		})
	}
}

func TestInterrupted(t *testing.T) {
	if err := Interrupted(context.Background(), nil, nil, "", nil); err != nil {
		t.Errorf("live context: %v", err)
	}
	if err := Interrupted(context.Background(), nil, nil, "", fs.ErrNotExist); err != fs.ErrNotExist {
		t.Errorf("live context, an error: %v", err)
	}
	if err := CheckMemory("a petabyte", 1<<50); err == nil && runtime.GOOS == "linux" {
		t.Error("CheckMemory of a petabyte: no error")
	}
	if err := CheckMemory("a kilobyte", 1<<10); err != nil {
		t.Errorf("CheckMemory of a kilobyte: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Interrupted(ctx, nil, nil, "", errors.New("load stopped"))
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "nothing written") {
		t.Errorf("before a run: %v", err)
	}
	mc, tc := tiny()
	tr, err := NewTrainer(mc, tc)
	if err != nil {
		t.Fatal(err)
	}
	run, err := rundir.Open(t.TempDir(), tr, rundir.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Abort()
	if err := Interrupted(ctx, run, tr, "", nil); !strings.Contains(err.Error(), "nothing written") {
		t.Errorf("run with no step: %v", err)
	}
}
