package sganplot

import (
	"fmt"
	"os"
	"path/filepath"
)

// writeFileAtomic writes data to a temporary file in path's directory,
// syncs it and renames it over path, so that readers see either the old
// file or the whole new one. The file is made readable by all (0644), as
// images usually are.
func writeFileAtomic(path string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("sganplot: write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("sganplot: write %s: %w", path, err)
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("sganplot: write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("sganplot: write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("sganplot: write %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("sganplot: write %s: %w", path, err)
	}
	return nil
}
