package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/sgan"
)

// The program synthesizes, exports in three formats that read back, and
// trains both classifiers. The GAN is an untrained conditional model:
// this checks the plumbing, not the accuracy.
func TestRunSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two classifiers for a few seconds")
	}
	mc := sgan.DefaultModelConfig()
	mc.Conditional, mc.EvalBatch, mc.Seed = true, 20, 2
	m, err := sgan.New(mc)
	if err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(t.TempDir(), "model.ckpt")
	if err := m.Save(ckpt); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	args := []string{"-ckpt", ckpt, "-out", out, "-per-class", "3", "-min-confidence", "-1",
		"-duration", "2s", "-test", "100", "-no-bar"}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	want := regexp.MustCompile(`(?m)^classifier trained on 30 synthetic examples only: test accuracy 0\.\d{4}$`)
	if !want.MatchString(stdout.String()) || !strings.Contains(stdout.String(), "100 real labels") {
		t.Errorf("output lacks the accuracy lines:\n%s", stdout.String())
	}
	fromCSV, err := datasets.LoadCSV(filepath.Join(out, "synthetic.csv"), datasets.CSVOptions{Header: true, LabelName: "label"})
	if err != nil {
		t.Fatal(err)
	}
	fromIDX, err := datasets.LoadIDX(filepath.Join(out, "synthetic-images-idx3-ubyte.gz"), filepath.Join(out, "synthetic-labels-idx1-ubyte.gz"))
	if err != nil {
		t.Fatal(err)
	}
	fromPNG, err := datasets.LoadImageFolder(filepath.Join(out, "png"), datasets.FolderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*datasets.Set{"csv": fromCSV, "idx": fromIDX, "png": fromPNG} {
		if s.Len() != 30 || s.C != 1 || s.H != 28 || s.W != 28 {
			t.Errorf("%s: %d examples of %d×%d×%d, want 30 of 1×28×28", name, s.Len(), s.C, s.H, s.W)
			continue
		}
		for i, y := range s.Labels {
			if y != i/3 {
				t.Errorf("%s: example %d has label %d, want %d", name, i, y, i/3)
				break
			}
		}
		// CSV keeps the generator's values to a few digits; IDX and PNG
		// store bytes, so they agree within one byte step
		for i, v := range s.Values() {
			if d := v - fromCSV.Data[i]; d > 1.001/127.5 || d < -1.001/127.5 {
				t.Errorf("%s: value %d is %v, csv has %v", name, i, v, fromCSV.Data[i])
				break
			}
		}
	}
	for _, f := range []string{"preview.png", "accuracy.png", "classifier-synthetic/model.ckpt", "classifier-real100/model.ckpt", "classifier-synthetic/metrics.csv", "classifier-synthetic/curves.png"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty (%v)", f, err)
		}
	}
}

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, ""},
		{[]string{"-per-class", "0"}, "positive"},
		{[]string{"extra"}, "unexpected"},
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

// A checkpoint of another shape than the data is refused before anything
// is written (issue 24, row 8: the CSV, IDX and preview files were
// written first).
func TestWrongShapeWritesNothing(t *testing.T) {
	mc := sgan.DefaultModelConfig()
	mc.Height, mc.Width, mc.Classes, mc.EvalBatch = 8, 8, 3, 20
	m, err := sgan.New(mc)
	if err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(t.TempDir(), "model.ckpt")
	if err := m.Save(ckpt); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	err = run(context.Background(), []string{"-ckpt", ckpt, "-out", out, "-per-class", "3", "-min-confidence", "-1", "-no-bar"}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "1×8×8 examples of 3 classes") {
		t.Errorf("error %v, want one giving the model's shape", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("-out was created (%v)", err)
	}
}
