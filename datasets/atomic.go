package datasets

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// wrapIO prefixes an I/O error with the package name.
func wrapIO(err error) error { return fmt.Errorf("datasets: %w", err) }

// writeFileAtomic calls write with a buffered writer to a temporary file
// in the directory of path, then syncs it, gives it mode 0644 and renames
// it to path. On error the temporary file is removed and path is left as
// it was.
func writeFileAtomic(path string, write func(w io.Writer) error) error {
	tmp, err := stageFile(path, write)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return wrapIO(err)
	}
	return nil
}

// stageFile does the work of writeFileAtomic but the rename: it returns
// the name of the complete, synced temporary file, in the directory of
// path, that the caller renames to path (or removes). On error no
// temporary file is left.
func stageFile(path string, write func(w io.Writer) error) (_ string, err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return "", wrapIO(err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<16)
	if err = write(bw); err != nil {
		return "", err
	}
	if err = bw.Flush(); err != nil {
		return "", wrapIO(err)
	}
	if err = f.Chmod(0o644); err != nil {
		return "", wrapIO(err)
	}
	if err = f.Sync(); err != nil {
		return "", wrapIO(err)
	}
	if err = f.Close(); err != nil {
		return "", wrapIO(err)
	}
	return tmp, nil
}
