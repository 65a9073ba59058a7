package rundir

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// LockFile is the file in a run's directory whose lock marks the
// directory as in use by one run. It stays when the run ends (removing it
// would let two later runs lock two different files); what it holds only
// names the last run that took it.
const LockFile = ".semigan.lock"

// lock takes the lock of the run directory dir, or says which process
// holds it.
func lock(dir string) (*os.File, error) {
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("rundir: lock: %w", err)
	}
	held, err := lockFile(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("rundir: lock %s: %w", path, err)
	}
	if held {
		who, _ := io.ReadAll(io.LimitReader(f, 512))
		f.Close()
		desc := strings.TrimSpace(string(who))
		if desc == "" {
			desc = "another process"
		}
		return nil, fmt.Errorf("rundir: %s is in use by %s: one run at a time may write a run directory (wait for it to end, or choose another directory): %w", dir, desc, ErrBusy)
	}
	host, _ := os.Hostname()
	desc := fmt.Sprintf("%s (process %d on %s, started %s)\n", filepath.Base(os.Args[0]), os.Getpid(), host, time.Now().Format(time.DateTime))
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(desc), 0) // informative only
	}
	return f, nil
}

// ErrBusy is wrapped by the error of Open when another run holds the
// directory.
var ErrBusy = errors.New("run directory in use")

func (r *Run) unlock() {
	if r.lock != nil {
		r.lock.Close()
		r.lock = nil
	}
}
