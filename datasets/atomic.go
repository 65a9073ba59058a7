package datasets

import (
	"errors"
	"fmt"
	"io"

	"github.com/semigan/semigan/internal/atomicfile"
)

// wrapIO prefixes an I/O error with the package name.
func wrapIO(err error) error { return fmt.Errorf("datasets: %w", err) }

// wrapFileOp prefixes the package name to an *atomicfile.Error, the
// failure of a file operation; errors of the write function, which
// carry their own prefix, pass through unchanged.
func wrapFileOp(err error) error {
	if _, ok := errors.AsType[*atomicfile.Error](err); ok {
		return wrapIO(err)
	}
	return err
}

// writeFileAtomic writes the file at path through write, atomically
// (atomicfile.Write): on error path is left as it was.
func writeFileAtomic(path string, write func(w io.Writer) error) error {
	return wrapFileOp(atomicfile.Write(path, write))
}

// stageFile is atomicfile.Stage with the errors of writeFileAtomic.
func stageFile(path string, write func(w io.Writer) error) (*atomicfile.Staged, error) {
	s, err := atomicfile.Stage(path, write)
	return s, wrapFileOp(err)
}
