package rundir_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/sgan"
	"github.com/semigan/semigan/sgan/rundir"
)

// smallSets are 3-class 1×8×8 sets: class k has a bright row band k.
func smallSets(n int, seed uint64) *datasets.Set {
	rng := rand.New(rand.NewPCG(seed, 1))
	s := &datasets.Set{C: 1, H: 8, W: 8, Classes: 3}
	for i := 0; i < n; i++ {
		k := i % 3
		for p := 0; p < 64; p++ {
			v := -0.9 + 0.2*rng.Float64()
			if (p/8)/3 == k {
				v = 0.9 - 0.2*rng.Float64()
			}
			s.Data = append(s.Data, float32(v))
		}
		s.Labels = append(s.Labels, k)
	}
	return s
}

func smallTrainer(t testing.TB, epochs int) *sgan.Trainer {
	t.Helper()
	mc := sgan.DefaultModelConfig()
	mc.Seed, mc.Classes, mc.Height, mc.Width, mc.LatentDim, mc.EvalBatch = 1, 3, 8, 8, 8, 30
	m, err := sgan.New(mc)
	if err != nil {
		t.Fatal(err)
	}
	tc := sgan.DefaultTrainConfig(mc)
	tc.BatchSize, tc.Budget = 6, sgan.Budget{Epochs: epochs}
	tr, err := sgan.NewTrainer(m, tc)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestRunWritesAndResumes(t *testing.T) {
	dir := t.TempDir()
	lab, unl, test := smallSets(12, 1), smallSets(36, 2), smallSets(30, 3)
	tr := smallTrainer(t, 2)
	var log bytes.Buffer
	run, err := rundir.Open(dir, tr, rundir.Options{Progress: &log, NoBar: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Fit(context.Background(), lab, unl, test, run); err != nil {
		t.Fatal(err)
	}
	if err := run.Close(); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{rundir.MetricsFile, rundir.CheckpointFile, rundir.CurvesFile} {
		if fi, err := os.Stat(run.Path(f)); err != nil || fi.Size() == 0 || fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: %v (%v)", f, fi, err)
		}
	}
	if n := strings.Count(log.String(), "epoch "); n != 2 {
		t.Errorf("progress has %d epoch lines, want 2:\n%s", n, log.String())
	}

	// resume: two more epochs appended to the same metrics.csv
	tr2, err := sgan.LoadTrainer(run.Path(rundir.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	if tr2.Steps() != tr.Steps() || tr2.Epochs() != 2 {
		t.Fatalf("resumed at step %d, epoch %d; saved at %d, 2", tr2.Steps(), tr2.Epochs(), tr.Steps())
	}
	if err := tr2.SetBudget(sgan.Budget{Epochs: 4}); err != nil {
		t.Fatal(err)
	}
	run2, err := rundir.Open(dir, tr2, rundir.Options{Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr2.Fit(context.Background(), lab, unl, test, run2); err != nil {
		t.Fatal(err)
	}
	if err := run2.Close(); err != nil {
		t.Fatal(err)
	}
	h, err := sgan.LoadHistoryCSV(run.Path(rundir.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Epochs) != 4 {
		t.Fatalf("metrics.csv has %d epochs after resuming, want 4", len(h.Epochs))
	}
	for i, e := range h.Epochs {
		if e.Epoch != i+1 || (i > 0 && e.Elapsed < h.Epochs[i-1].Elapsed) {
			t.Errorf("row %d: epoch %d, elapsed %v after %v", i, e.Epoch, e.Elapsed, h.Epochs[max(i-1, 0)].Elapsed)
		}
	}
	if got := run2.History(); len(got.Epochs) != 4 {
		t.Errorf("History has %d epochs, want 4", len(got.Epochs))
	}
}

// A failed run aborts: the last good checkpoint is left as it was.
func TestAbortKeepsCheckpoint(t *testing.T) {
	dir := t.TempDir()
	tr := smallTrainer(t, 1)
	run, err := rundir.Open(dir, tr, rundir.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Fit(context.Background(), smallSets(12, 1), smallSets(12, 2), nil, run); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(run.Path(rundir.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	lab, unl := sgan.Batch{X: make([]float32, 6*64), Labels: make([]int, 6)}, sgan.Batch{X: make([]float32, 6*64), Indices: make([]int, 6)}
	if _, err := tr.Step(lab, unl); err != nil { // the weights move on
		t.Fatal(err)
	}
	run.Abort()
	after, err := os.ReadFile(run.Path(rundir.CheckpointFile))
	if err != nil || !bytes.Equal(before, after) {
		t.Errorf("Abort changed the checkpoint (%v)", err)
	}
	if err := run.Close(); err != nil {
		t.Errorf("Close after Abort: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := rundir.Open(t.TempDir(), nil, rundir.Options{}); err == nil {
		t.Error("nil trainer accepted")
	}
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/"+rundir.MetricsFile, []byte("not,a,metrics\nfile"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := rundir.Open(dir, smallTrainer(t, 1), rundir.Options{Resume: true}); err == nil || !strings.Contains(err.Error(), rundir.MetricsFile) {
		t.Errorf("resume over a bad metrics.csv: %v", err)
	}
}

func exampleSets() (lab, unl, test *datasets.Set) {
	return smallSets(12, 1), smallSets(24, 2), smallSets(30, 3)
}

// Temporary files left by a run killed mid-write (issue 12, row 9) are
// removed when the next run opens the directory, and it says so.
func TestOpenRemovesStaleTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	stale := []string{".model.ckpt.tmp2718281", ".samples.png.tmp31415"}
	for _, name := range append(stale, rundir.CheckpointFile) {
		if err := os.WriteFile(dir+"/"+name, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var progress bytes.Buffer
	r, err := rundir.Open(dir, smallTrainer(t, 1), rundir.Options{Progress: &progress, Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	r.Abort()
	for _, name := range stale {
		if _, err := os.Stat(dir + "/" + name); !os.IsNotExist(err) {
			t.Errorf("%s still there (%v)", name, err)
		}
		if !strings.Contains(progress.String(), name) {
			t.Errorf("progress does not mention %s:\n%s", name, progress.String())
		}
	}
	if _, err := os.Stat(dir + "/" + rundir.CheckpointFile); err != nil {
		t.Errorf("the checkpoint itself was touched: %v", err)
	}
}

// A new run into a directory that holds an earlier run's model.ckpt is
// refused, and the file is left alone, unless it resumes, may overwrite
// or keeps no checkpoint (issue 15, row 18: the model used to be
// replaced after the first epoch without a word).
func TestOpenKeepsEarlierModel(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts rundir.Options
		ok   bool
	}{
		{"new run", rundir.Options{}, false},
		{"resume", rundir.Options{Resume: true}, true},
		{"overwrite", rundir.Options{Overwrite: true}, true},
		{"no checkpoint", rundir.Options{NoCheckpoint: true}, true},
	} {
		dir := t.TempDir()
		ck := filepath.Join(dir, rundir.CheckpointFile)
		if err := os.WriteFile(ck, []byte("earlier model"), 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := rundir.Open(dir, smallTrainer(t, 1), tc.opts)
		if tc.ok {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
				continue
			}
			r.Abort()
			continue
		}
		if err == nil || !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), ck) {
			t.Errorf("%s: error %v, want one wrapping fs.ErrExist and naming %s", tc.name, err, ck)
		}
		if b, _ := os.ReadFile(ck); string(b) != "earlier model" {
			t.Errorf("%s: the earlier model was touched", tc.name)
		}
		if _, err := os.Stat(filepath.Join(dir, rundir.MetricsFile)); err == nil {
			t.Errorf("%s: a refused run created %s", tc.name, rundir.MetricsFile)
		}
	}
}

// Run.Fit closes the run when training ends or is cancelled (the final
// checkpoint is written, cancellation is no error), and aborts it when
// training fails. A run cancelled before its first step writes nothing
// (issue 24, row 9: it used to write an untrained model.ckpt and an empty
// metrics.csv).
func TestRunFit(t *testing.T) {
	dir := t.TempDir()
	run, err := rundir.Open(dir, smallTrainer(t, 1), rundir.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := run.Fit(ctx, smallSets(12, 1), smallSets(12, 2), nil); err != nil {
		t.Fatalf("cancelled Fit: %v", err)
	}
	if run.Trained() {
		t.Error("Trained() after no step")
	}
	for _, name := range []string{rundir.CheckpointFile, rundir.MetricsFile, rundir.CurvesFile, rundir.LabelledFile} {
		if _, err := os.Stat(run.Path(name)); !os.IsNotExist(err) {
			t.Errorf("a run cancelled before its first step left %s (%v)", name, err)
		}
	}

	// cancelled after some steps: the checkpoint holds them
	dir1 := t.TempDir()
	tr1 := smallTrainer(t, 1)
	run1, err := rundir.Open(dir1, tr1, rundir.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx1, cancel1 := context.WithCancel(context.Background())
	defer cancel1()
	if _, err := tr1.Fit(ctx1, smallSets(12, 1), smallSets(36, 2), nil, run1, cancelAfter{cancel1}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Fit cancelled after a step: %v", err)
	}
	if err := run1.Close(); err != nil {
		t.Fatal(err)
	}
	back, err := sgan.LoadTrainer(run1.Path(rundir.CheckpointFile))
	if err != nil || back.Steps() != tr1.Steps() || back.Steps() == 0 {
		t.Errorf("checkpoint of the cancelled run: %v, steps %d, want %d", err, back.Steps(), tr1.Steps())
	}

	dir2 := t.TempDir()
	run2, err := rundir.Open(dir2, smallTrainer(t, 1), rundir.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := run2.Fit(context.Background(), nil, smallSets(12, 2), nil); err == nil {
		t.Fatal("Fit without a labelled set: no error")
	}
	if _, err := os.Stat(run2.Path(rundir.CheckpointFile)); !os.IsNotExist(err) {
		t.Errorf("a failed run wrote a checkpoint (%v)", err)
	}
}

// cancelAfter cancels training at its first step.
type cancelAfter struct{ cancel context.CancelFunc }

func (c cancelAfter) ObserveStep(sgan.Progress)     { c.cancel() }
func (c cancelAfter) Observe(sgan.EpochStats) error { return nil }

// trained runs a fresh trainer for epochs epochs in dir and returns it.
func trained(t *testing.T, dir string, epochs int, opts rundir.Options) *sgan.Trainer {
	t.Helper()
	tr := smallTrainer(t, epochs)
	run, err := rundir.Open(dir, tr, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := run.Fit(context.Background(), smallSets(12, 1), smallSets(36, 2), nil); err != nil {
		t.Fatal(err)
	}
	return tr
}

func readFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, name := range []string{rundir.CheckpointFile, rundir.MetricsFile, rundir.CurvesFile} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		out[name] = string(b)
	}
	return out
}

// One run at a time in a directory (issue 24, row 4: two runs started
// together interleaved their metrics rows): the second Open is refused,
// naming the process that holds the directory, until the first ends.
func TestOpenLocksDirectory(t *testing.T) {
	dir := t.TempDir()
	first, err := rundir.Open(dir, smallTrainer(t, 1), rundir.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = rundir.Open(dir, smallTrainer(t, 1), rundir.Options{})
	if !errors.Is(err, rundir.ErrBusy) || !strings.Contains(err.Error(), fmt.Sprintf("process %d", os.Getpid())) {
		t.Fatalf("second Open while the first runs: %v, want ErrBusy naming process %d", err, os.Getpid())
	}
	first.Abort()
	second, err := rundir.Open(dir, smallTrainer(t, 1), rundir.Options{})
	if err != nil {
		t.Fatalf("Open after the first run ended: %v", err)
	}
	second.Abort()
}

// A run that fails leaves the directory as it was (issue 24, row 5: a
// run replacing an earlier one with -force emptied metrics.csv when it
// diverged, leaving the earlier model without its metrics).
func TestFailedRunLeavesDirectory(t *testing.T) {
	dir := t.TempDir()
	trained(t, dir, 1, rundir.Options{})
	before := readFiles(t, dir)
	run, err := rundir.Open(dir, smallTrainer(t, 1), rundir.Options{Overwrite: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := run.SaveLabelled(&datasets.Set{}); err != nil {
		t.Fatal(err)
	}
	if _, err := run.Fit(context.Background(), smallSets(12, 1), smallSets(3, 2), nil); err == nil {
		t.Fatal("Fit with 3 unlabelled examples and batches of 6: no error")
	}
	if after := readFiles(t, dir); !maps.Equal(before, after) {
		t.Error("the failed run changed the earlier run's files")
	}
	if _, err := os.Stat(filepath.Join(dir, rundir.LabelledFile)); !os.IsNotExist(err) {
		t.Errorf("the failed run wrote %s (%v)", rundir.LabelledFile, err)
	}
}

// Rows of epochs that the checkpoint did not complete are dropped when
// the run resumes, which trains those epochs again (issue 24, row 6: a
// run killed between its metrics row and its checkpoint, or interrupted
// inside an epoch, showed that epoch twice after -resume).
func TestResumeDropsRowsPastCheckpoint(t *testing.T) {
	dir := t.TempDir()
	trained(t, dir, 1, rundir.Options{})
	ck := filepath.Join(dir, rundir.CheckpointFile)
	epoch1, err := os.ReadFile(ck)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := sgan.LoadTrainer(ck)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.SetBudget(sgan.Budget{Epochs: 2}); err != nil {
		t.Fatal(err)
	}
	run, err := rundir.Open(dir, tr, rundir.Options{Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := run.Fit(context.Background(), smallSets(12, 1), smallSets(36, 2), nil); err != nil {
		t.Fatal(err)
	}
	// killed after epoch 2's metrics row, before its checkpoint
	if err := os.WriteFile(ck, epoch1, 0o644); err != nil {
		t.Fatal(err)
	}
	tr, err = sgan.LoadTrainer(ck)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.SetBudget(sgan.Budget{Epochs: 3}); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	run, err = rundir.Open(dir, tr, rundir.Options{Resume: true, Progress: &log, NoBar: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "dropped its last 1 row") {
		t.Errorf("no note of the dropped row:\n%s", log.String())
	}
	if _, err := run.Fit(context.Background(), smallSets(12, 1), smallSets(36, 2), nil); err != nil {
		t.Fatal(err)
	}
	h, err := sgan.LoadHistoryCSV(filepath.Join(dir, rundir.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	var epochs []int
	for _, e := range h.Epochs {
		epochs = append(epochs, e.Epoch)
	}
	if !slices.Equal(epochs, []int{1, 2, 3}) {
		t.Errorf("epochs in metrics.csv after the resume: %v, want [1 2 3]", epochs)
	}
	if last := h.Epochs[2]; last.TotalSteps != tr.Steps() {
		t.Errorf("last row's total steps %d, trainer's %d", last.TotalSteps, tr.Steps())
	}
}

// Resuming another directory's checkpoint into -out: the earlier rows
// come from beside that checkpoint, and a model already in -out is
// another run's, replaced only with Overwrite (issue 24, row 3: it was
// replaced silently, and the earlier rows appended to -out's metrics).
func TestResumeFromAnotherDirectory(t *testing.T) {
	src, other := t.TempDir(), t.TempDir()
	trained(t, src, 1, rundir.Options{})
	trained(t, other, 2, rundir.Options{})
	before := readFiles(t, other)
	from := filepath.Join(src, rundir.CheckpointFile)
	load := func() *sgan.Trainer {
		tr, err := sgan.LoadTrainer(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.SetBudget(sgan.Budget{Epochs: 2}); err != nil {
			t.Fatal(err)
		}
		return tr
	}
	_, err := rundir.Open(other, load(), rundir.Options{Resume: true, ResumeFrom: from})
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("resume into a directory holding another model: %v, want fs.ErrExist", err)
	}
	if after := readFiles(t, other); !maps.Equal(before, after) {
		t.Error("the refused run changed the other directory")
	}
	if _, err := rundir.Open(src, load(), rundir.Options{Resume: true, ResumeFrom: from}); err != nil {
		t.Errorf("resume into the checkpoint's own directory named by ResumeFrom: %v", err)
	}

	fresh := filepath.Join(t.TempDir(), "continued")
	run, err := rundir.Open(fresh, load(), rundir.Options{Resume: true, ResumeFrom: from})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := run.Fit(context.Background(), smallSets(12, 1), smallSets(36, 2), nil); err != nil {
		t.Fatal(err)
	}
	h, err := sgan.LoadHistoryCSV(filepath.Join(fresh, rundir.MetricsFile))
	if err != nil || len(h.Epochs) != 2 || h.Epochs[0].Epoch != 1 || h.Epochs[1].Epoch != 2 {
		t.Errorf("metrics of the continued run: %v, %+v", err, h)
	}
	if hs, _ := sgan.LoadHistoryCSV(filepath.Join(src, rundir.MetricsFile)); len(hs.Epochs) != 1 {
		t.Errorf("the source directory's metrics changed: %d rows", len(hs.Epochs))
	}
}

// A run resumed in a directory whose metrics.csv an earlier release wrote
// (other columns, in another order) rewrites it with today's columns
// before appending, keeping the earlier rows' values.
func TestResumeUpgradesOldMetrics(t *testing.T) {
	dir := t.TempDir()
	lab, unl, test := smallSets(12, 1), smallSets(36, 2), smallSets(30, 3)
	tr := smallTrainer(t, 1)
	run, err := rundir.Open(dir, tr, rundir.Options{NoCurves: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := run.Fit(context.Background(), lab, unl, test); err != nil {
		t.Fatal(err)
	}
	old := "epoch,steps,elapsed_s,d_loss,g_loss,sup_loss,unsup_loss,entropy,consistency,train_acc,test_acc,test_errors,learn_rate,gen_class,fake_class,pseudo_loss,pseudo_rate,balance\n" +
		"1,6,1.5,4.25,0.5,2.125,1.0625,0.75,0.25,0.5,0.625,11,0.001,0,0,0,0,0\n"
	if err := os.WriteFile(run.Path(rundir.MetricsFile), []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	tr2, err := sgan.LoadTrainer(run.Path(rundir.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := tr2.SetBudget(sgan.Budget{Epochs: 2}); err != nil {
		t.Fatal(err)
	}
	run2, err := rundir.Open(dir, tr2, rundir.Options{Resume: true, NoCurves: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := run2.Fit(context.Background(), lab, unl, test); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(run.Path(rundir.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(lines) != 3 || lines[0] != strings.Join(sgan.CSVHeader, ",") {
		t.Fatalf("metrics.csv after the resume:\n%s", raw)
	}
	h, err := sgan.LoadHistoryCSV(run.Path(rundir.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	e := h.Epochs[0]
	if e.Epoch != 1 || e.DLoss != 4.25 || e.Losses["sup"] != 2.125 || e.Losses["unsup"] != 1.0625 || e.EvalErrors != 11 || e.Elapsed != 1500*time.Millisecond {
		t.Errorf("the earlier row read back as %+v", e)
	}
	if h.Epochs[1].Epoch != 2 || h.Epochs[1].Losses["sup"] == 0 {
		t.Errorf("the appended row: %+v", h.Epochs[1])
	}
}
