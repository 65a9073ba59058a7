package rundir_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
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
// training fails.
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
	if _, err := os.Stat(run.Path(rundir.CheckpointFile)); err != nil {
		t.Errorf("no checkpoint after a cancelled run: %v", err)
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
