//go:build !unix

package rundir

import "os"

// lockFile is a no-op where flock is not available: the lock file then
// only records who ran last, and two runs in one directory are not
// kept apart.
func lockFile(f *os.File) (held bool, err error) { return false, nil }
