//go:build unix

package datasets

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A named pipe called f.png is refused at once, naming it, and skipped
// under Skip (issue 24, row 17: opening it blocked for as long as no
// process wrote to it).
func TestLoadImageFolderRefusesPipe(t *testing.T) {
	dir := t.TempDir()
	writeTemp(t, dir, "a.png", grayPNG(4, 4, 10))
	fifo := filepath.Join(dir, "f.png")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip(err)
	}
	type result struct {
		s   *Set
		err error
	}
	load := func(opts FolderOptions) result {
		done := make(chan result, 1)
		go func() {
			s, err := LoadImageFolder(dir, opts)
			done <- result{s, err}
		}()
		select {
		case r := <-done:
			return r
		case <-time.After(20 * time.Second):
			t.Fatal("LoadImageFolder blocked on a named pipe")
			return result{}
		}
	}
	r := load(FolderOptions{})
	if fe := asFormatError(t, r.err); fe.File != fifo || !strings.Contains(r.err.Error(), "not a regular file") {
		t.Errorf("error %v, want one naming %s", r.err, fifo)
	}
	var skipped []string
	r = load(FolderOptions{Skip: func(p string, _ error) bool { skipped = append(skipped, p); return true }})
	if r.err != nil || r.s.Len() != 1 || len(skipped) != 1 || skipped[0] != fifo {
		t.Errorf("with Skip: %v, skipped %q", r.err, skipped)
	}
	if _, err := ReadImageHeader(fifo); err == nil {
		t.Error("ReadImageHeader of a named pipe: no error")
	}
}

// Skip also covers a dangling symbolic link and, in a recursive load, an
// unreadable subfolder (issue 24, row 22: neither was skippable).
func TestLoadImageFolderSkipsBadEntries(t *testing.T) {
	dir := t.TempDir()
	writeTemp(t, dir, "a.png", grayPNG(4, 4, 10))
	dangling := filepath.Join(dir, "gone.png")
	if err := os.Symlink(filepath.Join(dir, "nowhere.png"), dangling); err != nil {
		t.Skip(err)
	}
	locked := filepath.Join(dir, "locked")
	writeTemp(t, locked, "b.png", grayPNG(4, 4, 20))
	canLock := os.Geteuid() != 0 // root reads any folder
	if canLock {
		if err := os.Chmod(locked, 0); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(locked, 0o755)
	}
	_, err := LoadImageFolder(dir, FolderOptions{Recursive: true})
	if fe := asFormatError(t, err); fe.File != dangling && fe.File != locked {
		t.Errorf("without Skip: %v, want an error naming the link or the folder", err)
	}
	var skipped []string
	s, err := LoadImageFolder(dir, FolderOptions{Recursive: true, Skip: func(p string, e error) bool {
		var fe *FormatError
		if !errors.As(e, &fe) {
			t.Errorf("Skip got %T %v, want a *FormatError", e, e)
		}
		skipped = append(skipped, p)
		return true
	}})
	want := 1 + 1 // a.png and locked/b.png
	if canLock {
		want = 1
	}
	if err != nil || s.Len() != want || !strings.Contains(strings.Join(skipped, " "), dangling) || (canLock && !strings.Contains(strings.Join(skipped, " "), locked)) {
		t.Errorf("with Skip: %v, %v images (want %d), skipped %q", err, s, want, skipped)
	}
}
