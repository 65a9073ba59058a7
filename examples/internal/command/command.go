package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/signal"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/sgan"
	"github.com/semigan/semigan/sgan/rundir"
)

// Func is an example program's body: it parses args, writes its output
// to stdout and its progress and warnings to stderr, and stops early
// when ctx is cancelled.
type Func func(ctx context.Context, args []string, stdout, stderr io.Writer) error

// Main runs run with the command-line arguments, os.Stdout, os.Stderr and
// a context that an interrupt (Ctrl-C) cancels. When run fails it prints
// "name: error" to os.Stderr and exits with status 1.
func Main(name string, run Func) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

// NewTrainer makes the model of mc and a trainer for it with tc.
func NewTrainer(mc sgan.ModelConfig, tc sgan.TrainConfig) (*sgan.Trainer, error) {
	m, err := sgan.New(mc)
	if err != nil {
		return nil, err
	}
	return sgan.NewTrainer(m, tc)
}

// OpenRun opens the run directory dir for tr, as rundir.Open does. When
// dir holds the model of an earlier run that this one would replace, the
// error (which wraps fs.ErrExist) ends with "; " and hint: what the
// program's flags offer, such as "replace it with -force, or choose
// another -out".
func OpenRun(dir string, tr *sgan.Trainer, opts rundir.Options, hint string) (*rundir.Run, error) {
	run, err := rundir.Open(dir, tr, opts)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("%w; %s", err, hint)
	}
	return run, err
}

// Synthesize draws perClass labelled examples of every class from m, as
// m.Synthesize does. When some class falls short (a *sgan.SynthesisError)
// it prints "warning: " and the error to stderr and returns the examples
// that passed; any other error is returned.
func Synthesize(m *sgan.Model, perClass int, opts sgan.SynthOptions, rng *rand.Rand, stderr io.Writer) (*datasets.Set, error) {
	syn, err := m.Synthesize(perClass, opts, rng)
	if _, ok := errors.AsType[*sgan.SynthesisError](err); ok {
		fmt.Fprintf(stderr, "warning: %v\n", err)
	} else if err != nil {
		return nil, err
	}
	return syn, nil
}
