package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/semigan/semigan/sgan"
	"github.com/semigan/semigan/sgan/rundir"
)

var finalLine = regexp.MustCompile(`^final test accuracy: 0\.\d{4} \(\d+ errors of \d+\)$`)

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// The program runs end to end on a small subset, writes its three files,
// resumes from its checkpoint, and ends with the promised line.
func TestRunSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for a few seconds")
	}
	out := t.TempDir()
	quick := []string{"-min-steps", "0", "-unlabelled", "200", "-test", "200", "-batch", "20", "-out", out, "-no-bar"}
	ck := filepath.Join(out, "model.ckpt")
	for _, tc := range []struct {
		name    string
		args    []string
		files   []string
		wantErr string
	}{
		{"train", append([]string{"-epochs", "1", "-seed", "3"}, quick...), []string{"model.ckpt", "metrics.csv", "curves.png", "samples.png"}, ""},
		{"resume", []string{"-epochs", "2", "-resume", ck, "-unlabelled", "200", "-test", "200", "-out", out, "-no-bar"}, []string{"model.ckpt"}, ""},
		// issue 15, row 18: a new run used to replace the model silently
		{"new run over a model", append([]string{"-epochs", "1", "-baseline"}, quick...), nil, "-force"},
		{"baseline", append([]string{"-epochs", "1", "-baseline", "-force"}, quick...), []string{"model.ckpt", "metrics.csv", "curves.png"}, ""},
		{"conditional", append([]string{"-epochs", "1", "-conditional", "-force"}, quick...), []string{"model.ckpt", "samples.png"}, ""},
	} {
		var stdout, stderr bytes.Buffer
		before, _ := os.ReadFile(ck)
		err := run(context.Background(), tc.args, &stdout, &stderr)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), ck) {
				t.Errorf("%s: error %v, want one naming %s and %q", tc.name, err, ck, tc.wantErr)
			}
			if after, _ := os.ReadFile(ck); !bytes.Equal(before, after) {
				t.Errorf("%s: the earlier model was replaced", tc.name)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v\n%s", tc.name, err, stderr.String())
		}
		if l := lastLine(stdout.String()); !finalLine.MatchString(l) {
			t.Errorf("%s: last line %q does not match %v", tc.name, l, finalLine)
		}
		for _, f := range tc.files {
			if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
				t.Errorf("%s: %s missing or empty (%v)", tc.name, f, err)
			}
		}
		if tc.name == "resume" && !strings.Contains(stdout.String(), "resumed from") {
			t.Errorf("resume: output does not say it resumed:\n%s", stdout.String())
		}
		// the resumed run trains on the first run's labelled split (seed 3)
		if tc.name == "resume" && !strings.Contains(stdout.String(), "; seed 3;") {
			t.Errorf("resume: not on the checkpoint's seed:\n%s", stdout.String())
		}
	}
}

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // error substring, "" for success
	}{
		{nil, ""},
		{[]string{"-labels", "255"}, "multiple of 10"},
		{[]string{"-labels", "0"}, "multiple of 10"},
		{[]string{"-batch", "0"}, "-batch 0: must be positive"},
		{[]string{"-unlabelled", "-5"}, "must not be negative"},
		{[]string{"-test", "-5"}, "must not be negative"},
		{[]string{"-epochs", "0"}, "-epochs 0: must be positive"},
		{[]string{"-duration", "-1m"}, "must not be negative"},
		{[]string{"-lr", "Inf"}, "not a finite number"},
		{[]string{"-noise", "NaN"}, "not a finite number"},
		{[]string{"-resume", "x.ckpt", "-epochs", "3", "-duration", "1m", "-out", "o"}, ""},
		{[]string{"-resume", "x.ckpt", "-lr", "0.01", "-batch", "50"}, "-batch, -lr would change it"},
		{[]string{"-resume", "x.ckpt", "-seed", "2"}, "-seed would change it"},
		{[]string{"-nosuchflag"}, "not defined"},
		{[]string{"extra"}, "unexpected arguments"},
	} {
		_, err := parse(tc.args, &bytes.Buffer{})
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.args, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q: error %v, want %q", tc.args, err, tc.want)
		}
	}
}

// A run that diverges (-lr 1e6) fails with an error naming the step, and
// the good checkpoint already in -out stays as it was (issue 12, row 3).
func TestDivergedRunKeepsCheckpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for a few seconds")
	}
	out := t.TempDir()
	quick := []string{"-epochs", "1", "-min-steps", "0", "-unlabelled", "200", "-test", "200", "-batch", "20", "-out", out, "-no-bar"}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), quick, &stdout, &stderr); err != nil {
		t.Fatalf("first run: %v\n%s", err, stderr.String())
	}
	ckpt := filepath.Join(out, "model.ckpt")
	good, err := os.ReadFile(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	goodMetrics, err := os.ReadFile(filepath.Join(out, "metrics.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// -force: even a run allowed to replace the model keeps it when it diverges
	err = run(context.Background(), append([]string{"-lr", "1e6", "-force"}, quick...), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "diverged") || !strings.Contains(err.Error(), "step ") {
		t.Fatalf("-lr 1e6: error %v, want one saying training diverged at a step", err)
	}
	after, err := os.ReadFile(ckpt)
	if err != nil || !bytes.Equal(after, good) {
		t.Errorf("the good checkpoint was replaced or removed (%v)", err)
	}
	// issue 24, row 5: its metrics stay with it (they were emptied)
	if m, err := os.ReadFile(filepath.Join(out, "metrics.csv")); err != nil || !bytes.Equal(m, goodMetrics) {
		t.Errorf("the good run's metrics.csv changed (%v):\n%s", err, m)
	}
}

// Runs that must not touch a directory: resuming another directory's
// model into an -out holding a model of its own (issue 24, row 3),
// resuming a checkpoint of the wrong shape (row 8), and a run
// interrupted before its first step (row 9). Each fails, naming why, and
// leaves -out as it was (or absent).
func TestRunLeavesDirectoryAlone(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for a few seconds")
	}
	src, other := t.TempDir(), t.TempDir()
	quick := []string{"-epochs", "1", "-min-steps", "0", "-unlabelled", "200", "-test", "200", "-batch", "20", "-no-bar"}
	for _, dir := range []string{src, other} {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), append([]string{"-out", dir}, quick...), &stdout, &stderr); err != nil {
			t.Fatalf("%v\n%s", err, stderr.String())
		}
	}
	mc := sgan.DefaultModelConfig()
	mc.Height, mc.Width, mc.Classes = 8, 8, 3
	small, err := sgan.New(mc)
	if err != nil {
		t.Fatal(err)
	}
	smallTr, err := sgan.NewTrainer(small, sgan.DefaultTrainConfig(mc))
	if err != nil {
		t.Fatal(err)
	}
	wrongShape := filepath.Join(t.TempDir(), "small.ckpt")
	if err := smallTr.Save(wrongShape); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	fresh := filepath.Join(t.TempDir(), "fresh")
	for _, tc := range []struct {
		name string
		ctx  context.Context
		args []string
		dir  string
		want string
	}{
		{"resume into another run's -out", context.Background(),
			[]string{"-resume", filepath.Join(src, "model.ckpt"), "-epochs", "2", "-unlabelled", "200", "-test", "200", "-out", other, "-no-bar"}, other, "-force"},
		{"resume a checkpoint of the wrong shape", context.Background(),
			[]string{"-resume", wrongShape, "-unlabelled", "200", "-test", "200", "-out", fresh}, fresh, "the model takes 1×8×8 images of 3 classes"},
		{"interrupted before the first step", cancelled, append([]string{"-out", other, "-force"}, quick...), other, "nothing written"},
	} {
		before := snapshot(t, tc.dir)
		var stdout, stderr bytes.Buffer
		err := run(tc.ctx, tc.args, &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %q", tc.name, err, tc.want)
		}
		if after := snapshot(t, tc.dir); !maps.Equal(before, after) {
			t.Errorf("%s: -out changed:\nbefore %v\nafter  %v", tc.name, slices.Sorted(maps.Keys(before)), slices.Sorted(maps.Keys(after)))
		}
	}
	if err := run(cancelled, append([]string{"-out", other, "-force"}, quick...), io.Discard, io.Discard); !errors.Is(err, context.Canceled) {
		t.Errorf("an interrupted run's error does not wrap context.Canceled (exit status 130): %v", err)
	}
}

// snapshot maps each file under dir (the lock file aside) to its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() != rundir.LockFile {
			b, _ := os.ReadFile(p)
			files[p] = string(b)
		}
		return nil
	})
	return files
}
