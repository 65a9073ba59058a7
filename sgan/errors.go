package sgan

import (
	"errors"
	"fmt"
)

// ErrStop may be returned by an Observer to end Fit early, without error.
var ErrStop = errors.New("sgan: stop requested")

// NonFiniteError reports that training diverged at the step it names: a
// NaN or infinite loss (the weights are then those before that step's
// update), or, with Param set, a weight that the step's update made
// non-finite or larger in magnitude than 1e6 (MaxWeight). Training stops;
// Save refuses non-finite weights, so a diverged model never replaces a
// good checkpoint.
type NonFiniteError struct {
	Step  int
	Which string // "discriminator" or "generator"
	Param string // the diverged weight's parameter, "" for a loss
	Value float64
}

func (e *NonFiniteError) Error() string {
	if e.Param != "" {
		return fmt.Sprintf("sgan: step %d: %s weight %s is %v after the update (training diverged; try a lower learning rate)", e.Step, e.Which, e.Param, e.Value)
	}
	return fmt.Sprintf("sgan: step %d: %s loss is %v (training diverged; try a lower learning rate)", e.Step, e.Which, e.Value)
}

// ErrCorrupt is matched (errors.Is) by every *CorruptError.
var ErrCorrupt = errors.New("corrupt checkpoint")

// CorruptError is the error for a checkpoint file that cannot be read as
// one: a foreign file (bad magic), a truncated one, a checksum mismatch,
// an unknown format version, a header that does not parse, holds a field
// this release does not know, or holds impossible values (negative
// counters, a tensor listed twice, a configuration outside the limits or
// larger than the file), or a non-finite value. errors.Is(err,
// ErrCorrupt) tells it apart from a file that is sound but does not fit
// the model it is loaded into (a wrapped *layers.StateError) and from
// I/O errors.
type CorruptError struct {
	File   string // the file's name, as given to the loader
	Reason string // what is wrong, e.g. "checksum mismatch"
	Err    error  // the underlying error, if any
}

func (e *CorruptError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("sgan: load %s: %s: %v", e.File, e.Reason, e.Err)
	}
	return fmt.Sprintf("sgan: load %s: %s", e.File, e.Reason)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// Is reports whether target is ErrCorrupt.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }
