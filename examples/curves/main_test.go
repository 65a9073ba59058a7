package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/semigan/semigan/sgan"
)

func writeMetrics(t *testing.T, path string, accs ...float64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := &sgan.CSVWriter{W: f}
	for i, a := range accs {
		if err := w.Observe(sgan.EpochStats{Epoch: i + 1, EvalAcc: a, DLoss: 1, GLoss: 0.5, Losses: map[string]float64{"sup": 0.3},
			Elapsed: time.Duration(i+1) * time.Minute}); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")
	writeMetrics(t, a, 0.9, 0.95, 0.97)
	writeMetrics(t, b, 0.8, 0.9)
	for _, tc := range []struct {
		name string
		args []string
		want string // error substring, "" for success
	}{
		{"one file", []string{"-o", filepath.Join(dir, "one.png"), a}, ""},
		{"comparison", []string{"-o", filepath.Join(dir, "two.png"), "-epochs", "first=" + a, b}, ""},
		{"no files", []string{"-o", filepath.Join(dir, "none.png")}, "no metrics file"},
		{"missing file", []string{"-o", filepath.Join(dir, "x.png"), filepath.Join(dir, "nope.csv")}, "nope.csv"},
		{"bad targets", []string{"-targets", "9x", a}, "not a number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout bytes.Buffer
			err := run(tc.args, &stdout, &bytes.Buffer{})
			switch {
			case tc.want == "" && err != nil:
				t.Fatal(err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			case tc.want == "":
				if st, err := os.Stat(tc.args[1]); err != nil || st.Size() == 0 {
					t.Errorf("%s not written (%v)", tc.args[1], err)
				}
			}
		})
	}
}
