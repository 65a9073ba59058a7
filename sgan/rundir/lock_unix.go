//go:build unix

package rundir

import (
	"errors"
	"os"
	"syscall"
)

// lockFile takes an exclusive advisory lock (flock) on f without waiting.
// The kernel drops it when the process ends, however it ends, so a killed
// run never leaves a directory locked. held reports another holder. On a
// file system without locks the directory is used unlocked.
func lockFile(f *os.File) (held bool, err error) {
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	switch {
	case errors.Is(err, syscall.EWOULDBLOCK):
		return true, nil
	case errors.Is(err, syscall.ENOLCK), errors.Is(err, syscall.ENOTSUP), errors.Is(err, syscall.EOPNOTSUPP):
		// a file system without locks (some network mounts): the run
		// goes on unlocked rather than not at all
		return false, nil
	}
	return false, err
}
