package atomicfile

import (
	"bufio"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Mode is the permission of every file written by this package.
const Mode os.FileMode = 0o644

// bufferSize is the size of the buffer between the write function and
// the temporary file.
const bufferSize = 1 << 16

// Error reports a failure of a file operation of Write, Stage or
// Commit, as opposed to an error of the caller's write function.
type Error struct {
	Op   string // "create", "flush", "chmod", "sync", "close" or "rename"
	Path string // the destination
	Err  error  // the cause, usually an *fs.PathError or *os.LinkError
}

// Error returns a message of the form "writing PATH: OP: CAUSE".
func (e *Error) Error() string { return "writing " + e.Path + ": " + e.Op + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Write writes the file at path atomically: write is called with a
// buffered writer to a temporary file in the directory of path, which is
// then flushed, given mode 0644, synced, closed and renamed to path. On
// any error, the temporary file is removed and path is left untouched;
// see the package documentation for the errors returned.
func Write(path string, write func(w io.Writer) error) error {
	s, err := Stage(path, write)
	if err != nil {
		return err
	}
	return s.Commit()
}

// Staged is a complete, synced temporary file waiting to replace its
// destination. Exactly one of Commit and Discard should be called.
type Staged struct {
	path, tmp string
	done      bool
}

// Stage does the work of Write but the rename: it returns the staged
// file, which Commit renames to path. On error no temporary file is
// left.
func Stage(path string, write func(w io.Writer) error) (_ *Staged, err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return nil, &Error{Op: "create", Path: path, Err: err}
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, bufferSize)
	if err := write(bw); err != nil {
		return nil, err
	}
	step := func(op string, err error) error {
		if err != nil {
			return &Error{Op: op, Path: path, Err: err}
		}
		return nil
	}
	if err := step("flush", bw.Flush()); err != nil {
		return nil, err
	}
	if err := step("chmod", f.Chmod(Mode)); err != nil {
		return nil, err
	}
	if err := step("sync", f.Sync()); err != nil {
		return nil, err
	}
	if err := step("close", f.Close()); err != nil {
		return nil, err
	}
	return &Staged{path: path, tmp: tmp}, nil
}

// Path returns the destination of s.
func (s *Staged) Path() string { return s.path }

// Commit renames the staged file to its destination. If the rename
// fails, the temporary file is removed and the destination is left as
// it was. Commit after Commit or Discard returns an error.
func (s *Staged) Commit() error {
	if s.done {
		return &Error{Op: "rename", Path: s.path, Err: errors.New("already committed or discarded")}
	}
	s.done = true
	if err := os.Rename(s.tmp, s.path); err != nil {
		os.Remove(s.tmp)
		return &Error{Op: "rename", Path: s.path, Err: err}
	}
	return nil
}

// Discard removes the staged file, leaving the destination as it was.
// It does nothing after Commit or Discard.
func (s *Staged) Discard() {
	if !s.done {
		s.done = true
		os.Remove(s.tmp)
	}
}

// RemoveStale removes from dir the temporary files that Write and Stage
// leave behind only when their process is killed mid-write (names of the
// form .NAME.tmpDIGITS), and returns the names it removed. Call it only
// on a directory that no other writer is using at the time.
func RemoveStale(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, e := range entries {
		if !e.Type().IsRegular() || !isTemp(e.Name()) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			return removed, err
		}
		removed = append(removed, e.Name())
	}
	return removed, nil
}

// isTemp reports whether name has the form of Stage's temporary files:
// ".", a name, ".tmp", then one or more digits.
func isTemp(name string) bool {
	if len(name) < 2 || name[0] != '.' {
		return false
	}
	i := strings.LastIndex(name, ".tmp")
	if i < 2 || i+4 == len(name) {
		return false
	}
	for _, c := range name[i+4:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
