package command

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/sgan"
	"github.com/semigan/semigan/sgan/rundir"
)

// Func is an example program's body: it parses args, writes its output
// to stdout and its progress and warnings to stderr, and stops early
// when ctx is cancelled.
type Func func(ctx context.Context, args []string, stdout, stderr io.Writer) error

// GCPercent is the collector's target (GOGC) that Main sets unless the
// GOGC environment variable is set.
const GCPercent = 50

// Main runs run with the command-line arguments, os.Stdout, os.Stderr and
// a context that an interrupt (Ctrl-C) cancels. When run fails it prints
// "name: error" to os.Stderr and exits with status 1; when it was
// interrupted (its error wraps context.Canceled), with status 130, as a
// shell does for a program ended by Ctrl-C. -h prints the usage and
// exits with status 0.
func Main(name string, run Func) {
	if os.Getenv("GOGC") == "" {
		// What a training program holds is mostly long-lived arrays (the
		// graphs', the weights), and each step leaves a few MB of
		// garbage: collecting when the heap has grown by half its live
		// size, not by all of it, keeps resident memory a quarter lower
		// for about a millisecond of collection every few seconds.
		debug.SetGCPercent(GCPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(exitCode(name, run(ctx, os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
}

// exitCode prints err, if any, and returns the program's exit status.
func exitCode(name string, err error, stderr io.Writer) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 130
	default:
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
}

// Interrupted returns err while ctx is live. Once an interrupt cancelled
// ctx, it returns instead the error a program ends with, wrapping
// ctx.Err(): what the closed run (nil: none opened yet) kept, and hint,
// how to continue (such as " (continue with -resume out/model.ckpt)"). A
// program calls it after loading its data and after training, so that an
// interrupted run neither goes on to write predictions nor exits 0.
func Interrupted(ctx context.Context, run *rundir.Run, tr *sgan.Trainer, hint string, err error) error {
	if ctx.Err() == nil {
		return err
	}
	if run == nil || !run.Trained() {
		return fmt.Errorf("interrupted before the first training step; nothing written: %w", ctx.Err())
	}
	return fmt.Errorf("interrupted at step %d; the model trained so far is in %s%s: %w", tr.Steps(), run.Path(rundir.CheckpointFile), hint, ctx.Err())
}

// CheckMemory refuses to spend bytes on what (such as "220 images of
// 4096x4096x3") when they exceed the memory this machine has available
// (MemAvailable of /proc/meminfo; no check where that cannot be read),
// so that a program says so before decoding rather than being killed
// part way.
func CheckMemory(what string, bytes float64) error {
	avail, ok := availableMemory()
	if !ok || bytes <= float64(avail) {
		return nil
	}
	return fmt.Errorf("%s need about %.3g GiB in memory, more than the %.3g GiB available: use fewer or smaller images (-size)", what, bytes/(1<<30), float64(avail)/(1<<30))
}

// availableMemory reads MemAvailable from /proc/meminfo.
func availableMemory() (uint64, bool) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemAvailable:"); ok {
			var kb uint64
			if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kb); err == nil {
				return kb << 10, true
			}
		}
	}
	return 0, false
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
// it prints a warning to stderr, naming each short class by its name in
// names (its number when names is nil) and ending with hint, what the
// program's flags offer (such as "lower -min-confidence or raise
// -max-draws"; empty: nothing), and returns the examples that passed;
// any other error is returned.
func Synthesize(m *sgan.Model, perClass int, opts sgan.SynthOptions, rng *rand.Rand, stderr io.Writer, names []string, hint string) (*datasets.Set, error) {
	syn, err := m.Synthesize(perClass, opts, rng)
	if se, ok := errors.AsType[*sgan.SynthesisError](err); ok {
		var short []string
		for k, n := range se.Counts {
			if n < se.Want {
				name := fmt.Sprintf("class %d", k)
				if k < len(names) {
					name = fmt.Sprintf("class %q", names[k])
				}
				short = append(short, fmt.Sprintf("%s has %d", name, n))
			}
		}
		fmt.Fprintf(stderr, "warning: after %d generated examples, %s of the %d wanted: the classifier was rarely confident about generated examples of these classes", se.Drawn, strings.Join(short, ", "), se.Want)
		if hint != "" {
			fmt.Fprintf(stderr, "; %s", hint)
		}
		fmt.Fprintln(stderr)
	} else if err != nil {
		return nil, err
	}
	return syn, nil
}
