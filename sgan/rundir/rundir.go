package rundir

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/internal/atomicfile"
	"github.com/semigan/semigan/sgan"
	"github.com/semigan/semigan/sgan/sganplot"
)

// File names inside a run's directory.
const (
	MetricsFile    = "metrics.csv"
	CheckpointFile = "model.ckpt"
	CurvesFile     = "curves.png"
	// LabelledFile lists the training examples a run labelled (SaveLabelled).
	LabelledFile = "labelled.csv"
)

// Options control what a Run writes. The zero value keeps metrics.csv and
// model.ckpt, draws curves.png, and prints nothing.
type Options struct {
	// Progress receives one line per epoch and, when it is a terminal
	// (and NoBar is off), a progress bar inside each epoch. Nil: silent.
	Progress io.Writer
	// NoBar switches the progress bar off.
	NoBar bool
	// Resume appends to the directory's metrics.csv, and draws the
	// curves over its earlier epochs too, instead of starting it anew.
	Resume bool
	// NoCheckpoint leaves model.ckpt alone (for runs whose model is not
	// worth keeping).
	NoCheckpoint bool
	// Overwrite lets a run that does not resume replace a model.ckpt
	// already in the directory. Without it (or Resume, or NoCheckpoint),
	// Open refuses such a directory, so that a new run never silently
	// replaces an earlier run's model.
	Overwrite bool
	// NoCurves skips curves.png.
	NoCurves bool
	// Curves are the drawing options of curves.png (title, targets).
	Curves sganplot.Options
}

// Run is a training run's directory; see the package documentation.
type Run struct {
	dir     string
	tr      *sgan.Trainer
	opts    Options
	metrics *os.File
	csv     *sgan.CSVWriter
	printer *sgan.Printer
	hist    sgan.History  // earlier epochs (when resuming) and this run's
	offset  time.Duration // elapsed time of the earlier epochs
	closed  bool
}

var _ sgan.StepObserver = (*Run)(nil)

// Open prepares dir (creating it if needed) for a run of t, removing the
// temporary files that a killed run's writes left there (a directory
// belongs to one run at a time). With
// opts.Resume, the earlier rows of metrics.csv are read back (a missing
// file is fine; an unreadable one is an error) and new rows are appended.
// Without Resume, Overwrite or NoCheckpoint, a directory that already
// holds model.ckpt is refused with an error wrapping fs.ErrExist, and
// nothing in it is touched.
func Open(dir string, t *sgan.Trainer, opts Options) (*Run, error) {
	if t == nil {
		return nil, errors.New("rundir: nil trainer")
	}
	if !opts.Resume && !opts.Overwrite && !opts.NoCheckpoint {
		ck := filepath.Join(dir, CheckpointFile)
		if _, err := os.Stat(ck); err == nil {
			return nil, fmt.Errorf("rundir: %s holds the model of an earlier run, which this run would replace: %w", ck, fs.ErrExist)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("rundir: %w", err)
	}
	// A run killed in the middle of a write leaves its temporary file;
	// the directory belongs to one run at a time, so the next one clears it.
	removed, err := atomicfile.RemoveStale(dir)
	if err != nil {
		return nil, fmt.Errorf("rundir: %w", err)
	}
	for _, name := range removed {
		if opts.Progress != nil {
			fmt.Fprintf(opts.Progress, "removed %s, left by a run that was stopped while writing\n", filepath.Join(dir, name))
		}
	}
	r := &Run{dir: dir, tr: t, opts: opts}
	path := r.Path(MetricsFile)
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	header := true
	if opts.Resume {
		h, err := sgan.LoadHistoryCSV(path)
		switch {
		case err == nil:
			r.hist.Epochs = h.Epochs
			r.offset = h.Last().Elapsed
			flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
			header = false
			if err := upgradeMetrics(path, h); err != nil {
				return nil, fmt.Errorf("rundir: resume: %w", err)
			}
		case errors.Is(err, fs.ErrNotExist):
		default:
			return nil, fmt.Errorf("rundir: resume: %w", err)
		}
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return nil, fmt.Errorf("rundir: %w", err)
	}
	r.metrics = f
	r.csv = &sgan.CSVWriter{W: f, NoHeader: !header}
	if opts.Progress != nil {
		r.printer = &sgan.Printer{W: opts.Progress, NoBar: opts.NoBar}
	}
	return r, nil
}

// upgradeMetrics rewrites the metrics file at path, whose rows h holds,
// with today's columns (sgan.CSVHeader) when its header differs, as it
// does for a file written by an earlier release: the rows appended next
// then line up with the header. The rewrite is atomic; values keep the
// six significant digits they were written with.
func upgradeMetrics(path string, h *sgan.History) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	first, err := bufio.NewReader(f).ReadString('\n')
	f.Close()
	if err != nil && err != io.EOF {
		return err
	}
	if strings.TrimRight(first, "\r\n") == strings.Join(sgan.CSVHeader, ",") {
		return nil
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		cw := &sgan.CSVWriter{W: w}
		if len(h.Epochs) == 0 {
			return csv.NewWriter(w).WriteAll([][]string{sgan.CSVHeader})
		}
		for _, e := range h.Epochs {
			if err := cw.Observe(e); err != nil {
				return err
			}
		}
		return nil
	})
}

// SaveLabelled writes labelled.csv: one line "index,label" for each
// example of lab, its position in the set it was split from
// (datasets.Set.Origin) and its class, after comment lines starting with
// "#", so that another method can be run on exactly the same split
// (scripts/classic.py --labels FILE). lab must have come from Split or
// Subset.
func (r *Run) SaveLabelled(lab *datasets.Set) error {
	if lab == nil || len(lab.Origin) != lab.Len() {
		return errors.New("rundir: SaveLabelled: the labelled set does not record where its examples came from (datasets.Set.Origin)")
	}
	err := atomicfile.Write(r.Path(LabelledFile), func(w io.Writer) error {
		if _, err := fmt.Fprintf(w, "# the %d labelled training examples of this run: index in the training set, label\n", lab.Len()); err != nil {
			return err
		}
		for i, o := range lab.Origin {
			if _, err := fmt.Fprintf(w, "%d,%d\n", o, lab.Labels[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("rundir: %w", err)
	}
	return nil
}

// Path returns the path of a file in the run's directory.
func (r *Run) Path(name string) string { return filepath.Join(r.dir, name) }

// History returns the epochs recorded so far, a resumed run's earlier
// ones first.
func (r *Run) History() *sgan.History {
	return &sgan.History{Epochs: append([]sgan.EpochStats(nil), r.hist.Epochs...)}
}

// ObserveStep draws the progress bar.
func (r *Run) ObserveStep(p sgan.Progress) {
	if r.printer != nil {
		r.printer.ObserveStep(p)
	}
}

// Observe records an epoch: its line, its metrics row, and the checkpoint.
// A resumed run's elapsed times continue from the earlier epochs'.
func (r *Run) Observe(e sgan.EpochStats) error {
	e.Elapsed += r.offset
	r.hist.Epochs = append(r.hist.Epochs, e)
	if r.printer != nil {
		if err := r.printer.Observe(e); err != nil {
			return err
		}
	}
	if err := r.csv.Observe(e); err != nil {
		return fmt.Errorf("rundir: %s: %w", r.Path(MetricsFile), err)
	}
	return r.saveCheckpoint()
}

func (r *Run) saveCheckpoint() error {
	if r.opts.NoCheckpoint {
		return nil
	}
	if err := r.tr.Save(r.Path(CheckpointFile)); err != nil {
		return fmt.Errorf("rundir: %w", err)
	}
	return nil
}

// Close saves the final checkpoint, draws curves.png over the whole
// history and closes metrics.csv. Call it when training ended well or was
// cancelled; a run that failed should only Abort.
func (r *Run) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	errs := []error{r.saveCheckpoint()}
	if !r.opts.NoCurves && len(r.hist.Epochs) > 0 {
		if err := sganplot.SaveCurves(r.Path(CurvesFile), &r.hist, r.opts.Curves); err != nil {
			errs = append(errs, fmt.Errorf("rundir: %w", err))
		}
	}
	if err := r.metrics.Close(); err != nil {
		errs = append(errs, fmt.Errorf("rundir: %w", err))
	}
	return errors.Join(errs...)
}

// Fit trains the run's trainer on lab, unl and eval (Trainer.Fit, with
// the run observing) and ends the run: a run that fails is aborted, so
// the last good checkpoint stays, and its error returned; one that ends
// or is cancelled (ctx) is closed, writing the final checkpoint and
// curves, and its history returned with the error of Close, if any. A
// cancellation is not an error here: ctx.Err() tells it.
func (r *Run) Fit(ctx context.Context, lab, unl, eval *datasets.Set) (*sgan.History, error) {
	hist, err := r.tr.Fit(ctx, lab, unl, eval, r)
	if err != nil && !errors.Is(err, context.Canceled) {
		r.Abort()
		return hist, err
	}
	return hist, r.Close()
}

// Abort closes metrics.csv without touching the checkpoint or the curves:
// the end of a run that failed, whose last good checkpoint stays.
func (r *Run) Abort() {
	if !r.closed {
		r.closed = true
		r.metrics.Close()
	}
}
