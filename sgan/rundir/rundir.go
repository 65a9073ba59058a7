package rundir

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
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
	// Resume continues an earlier run: the trainer was loaded from the
	// directory's model.ckpt (or from ResumeFrom), the earlier rows of
	// metrics.csv are kept and new ones follow them, and the curves
	// cover the earlier epochs too.
	Resume bool
	// ResumeFrom is the checkpoint a resumed trainer was loaded from when
	// that is not the directory's own model.ckpt: the earlier rows then
	// come from the metrics.csv beside it, and a model.ckpt already in the
	// directory is another run's, which only Overwrite lets this run
	// replace. Empty: the directory's own model.ckpt. Needs Resume.
	ResumeFrom string
	// NoCheckpoint leaves model.ckpt alone (for runs whose model is not
	// worth keeping).
	NoCheckpoint bool
	// Overwrite lets a run replace a model.ckpt of another run already in
	// the directory. Without it (or Resume of that very checkpoint, or
	// NoCheckpoint), Open refuses such a directory, so that a new run
	// never silently replaces an earlier run's model.
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
	lock    *os.File
	pending []pendingFile // to write with the first epoch (WriteWithModel)
	printer *sgan.Printer
	hist    sgan.History  // earlier epochs (when resuming) and this run's
	earlier int           // how many of hist's epochs are earlier runs'
	offset  time.Duration // elapsed time of the earlier epochs
	saved   int           // the trainer's step count at the last checkpoint
	closed  bool
}

var _ sgan.StepObserver = (*Run)(nil)

// Open prepares dir (creating it if needed) for a run of t.
//
// A directory belongs to one run at a time: Open takes a lock on it
// (LockFile, an flock that the system drops when the process ends, killed
// or not) and refuses, naming the process that holds it, a directory in
// use. Close or Abort releases it. Holding the lock, Open removes the
// temporary files that a killed run's writes left there.
//
// Without Resume, Overwrite or NoCheckpoint, a directory that already
// holds model.ckpt is refused with an error wrapping fs.ErrExist, and
// nothing in it is touched. With opts.Resume, the earlier rows of
// metrics.csv are read back (a missing file is fine; an unreadable one
// is an error), less any row of an epoch that the checkpoint did not
// complete (a partial epoch, or one whose checkpoint was never written):
// the resumed trainer runs that epoch again.
//
// Open writes nothing but the lock file: metrics.csv and model.ckpt are
// replaced only when the first epoch ends (Observe).
func Open(dir string, t *sgan.Trainer, opts Options) (_ *Run, err error) {
	if t == nil {
		return nil, errors.New("rundir: nil trainer")
	}
	if opts.ResumeFrom != "" && !opts.Resume {
		return nil, errors.New("rundir: Options.ResumeFrom needs Resume")
	}
	if err := checkReplace(dir, opts); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("rundir: %w", err)
	}
	r := &Run{dir: dir, tr: t, opts: opts, saved: t.Steps()}
	if r.lock, err = lock(dir); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			r.unlock()
		}
	}()
	// Checked again now that no other run can be writing here.
	if err := checkReplace(dir, opts); err != nil {
		return nil, err
	}
	// A run killed in the middle of a write leaves its temporary file;
	// holding the directory's lock, this run may clear it.
	removed, err := atomicfile.RemoveStale(dir)
	if err != nil {
		return nil, fmt.Errorf("rundir: %w", err)
	}
	for _, name := range removed {
		r.note("removed %s, left by a run that was stopped while writing", filepath.Join(dir, name))
	}
	if opts.Resume {
		if err := r.loadEarlier(); err != nil {
			return nil, err
		}
	}
	if opts.Progress != nil {
		r.printer = &sgan.Printer{W: opts.Progress, NoBar: opts.NoBar}
	}
	return r, nil
}

// checkReplace refuses a directory whose model.ckpt this run would
// replace without leave: that of another run.
func checkReplace(dir string, opts Options) error {
	if opts.Overwrite || opts.NoCheckpoint {
		return nil
	}
	ck := filepath.Join(dir, CheckpointFile)
	st, err := os.Stat(ck)
	if err != nil {
		return nil
	}
	if opts.Resume {
		if opts.ResumeFrom == "" {
			return nil
		}
		if from, err := os.Stat(opts.ResumeFrom); err == nil && os.SameFile(st, from) {
			return nil
		}
		return fmt.Errorf("rundir: %s holds the model of another run than %s, which this run would replace: %w", ck, opts.ResumeFrom, fs.ErrExist)
	}
	return fmt.Errorf("rundir: %s holds the model of an earlier run, which this run would replace: %w", ck, fs.ErrExist)
}

// loadEarlier reads the earlier epochs of a resumed run, keeping those
// that the trainer's checkpoint completed.
func (r *Run) loadEarlier() error {
	path := r.Path(MetricsFile)
	if r.opts.ResumeFrom != "" {
		path = filepath.Join(filepath.Dir(r.opts.ResumeFrom), MetricsFile)
	}
	h, err := sgan.LoadHistoryCSV(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("rundir: resume: %w", err)
	}
	done := r.tr.Epochs()
	keep := h.Epochs
	for len(keep) > 0 && keep[len(keep)-1].Epoch > done {
		keep = keep[:len(keep)-1]
	}
	if n := len(h.Epochs) - len(keep); n > 0 {
		r.note("%s: dropped its last %d row(s), of epochs the checkpoint did not complete (%d); they are trained again", path, n, done)
	}
	r.hist.Epochs = keep
	r.earlier = len(keep)
	if len(keep) > 0 {
		r.offset = keep[len(keep)-1].Elapsed
	}
	return nil
}

func (r *Run) note(format string, args ...any) {
	if r.opts.Progress != nil {
		fmt.Fprintf(r.opts.Progress, format+"\n", args...)
	}
}

// SaveLabelled records which training examples the run labelled, for
// labelled.csv: one line "index,label" for each example of lab, its
// position in the set it was split from (datasets.Set.Origin) and its
// class, after comment lines starting with "#", so that another method
// can be run on exactly the same split (scripts/classic.py --labels
// FILE). lab must have come from Split or Subset. The file is written
// with the first epoch (WriteWithModel).
func (r *Run) SaveLabelled(lab *datasets.Set) error {
	if lab == nil || len(lab.Origin) != lab.Len() {
		return errors.New("rundir: SaveLabelled: the labelled set does not record where its examples came from (datasets.Set.Origin)")
	}
	origin, labels := slices.Clone(lab.Origin), slices.Clone(lab.Labels)
	return r.WriteWithModel(LabelledFile, func(w io.Writer) error {
		if _, err := fmt.Fprintf(w, "# the %d labelled training examples of this run: index in the training set, label\n", len(labels)); err != nil {
			return err
		}
		for i, o := range origin {
			if _, err := fmt.Fprintf(w, "%d,%d\n", o, labels[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// WriteWithModel has write fill the file name of the run's directory
// when the run's first epoch is committed, just before its metrics row
// and checkpoint: for files that belong with the model (the split it was
// trained on, the scaling of its inputs), so that a run that never
// completes an epoch leaves the directory as it found it, and one that
// does never pairs its model with an earlier run's files. Each file is
// written atomically.
func (r *Run) WriteWithModel(name string, write func(w io.Writer) error) error {
	if r.closed {
		return errors.New("rundir: WriteWithModel after the run ended")
	}
	if name == "" || name != filepath.Base(name) || name == CheckpointFile || name == MetricsFile || name == LockFile {
		return fmt.Errorf("rundir: WriteWithModel: %q is not a plain file name of its own in the run directory", name)
	}
	r.pending = append(r.pending, pendingFile{name, write})
	return nil
}

type pendingFile struct {
	name  string
	write func(io.Writer) error
}

// writePending writes the files of WriteWithModel.
func (r *Run) writePending() error {
	for len(r.pending) > 0 {
		p := r.pending[0]
		if err := atomicfile.Write(r.Path(p.name), p.write); err != nil {
			return fmt.Errorf("rundir: %w", err)
		}
		r.pending = r.pending[1:]
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

// Observe records an epoch: its line, then its metrics row and its
// checkpoint, in that order, each file replaced atomically. A crash
// between the two leaves a row that the checkpoint did not complete,
// which a resumed run drops (Open). A resumed run's elapsed times
// continue from the earlier epochs'.
func (r *Run) Observe(e sgan.EpochStats) error {
	e.Elapsed += r.offset
	r.hist.Epochs = append(r.hist.Epochs, e)
	if r.printer != nil {
		if err := r.printer.Observe(e); err != nil {
			return err
		}
	}
	if err := r.writePending(); err != nil {
		return err
	}
	if err := r.writeMetrics(); err != nil {
		return err
	}
	return r.saveCheckpoint()
}

// writeMetrics replaces metrics.csv with the rows of every epoch so far.
func (r *Run) writeMetrics() error {
	err := atomicfile.Write(r.Path(MetricsFile), func(w io.Writer) error {
		cw := &sgan.CSVWriter{W: w}
		for _, e := range r.hist.Epochs {
			if err := cw.Observe(e); err != nil {
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

func (r *Run) saveCheckpoint() error {
	if r.opts.NoCheckpoint || r.tr.Steps() == r.saved {
		return nil
	}
	if err := r.tr.Save(r.Path(CheckpointFile)); err != nil {
		return fmt.Errorf("rundir: %w", err)
	}
	r.saved = r.tr.Steps()
	return nil
}

// Trained reports whether this run has taken a step: whether Close has
// anything to write.
func (r *Run) Trained() bool { return len(r.hist.Epochs) > r.earlier }

// Close ends a run that ended well or was interrupted on purpose: it
// saves the final checkpoint, draws curves.png over the whole history and
// releases the directory. A run that took no step (interrupted before
// its first) writes nothing and leaves the directory as it found it. A
// run that failed should Abort instead.
func (r *Run) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	defer r.unlock()
	if !r.Trained() {
		return nil
	}
	errs := []error{r.saveCheckpoint()}
	if !r.opts.NoCurves {
		if err := sganplot.SaveCurves(r.Path(CurvesFile), &r.hist, r.opts.Curves); err != nil {
			errs = append(errs, fmt.Errorf("rundir: %w", err))
		}
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

// Abort ends a run that failed: it releases the directory and writes
// nothing, so the metrics and checkpoint of the last good epoch (or of
// the run before, if no epoch ended) stay as they were.
func (r *Run) Abort() {
	if !r.closed {
		r.closed = true
		r.unlock()
	}
}
