package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/semigan/semigan/sgan"
)

// untrained saves a fresh model (28×28, small batches) and returns its
// path and the two classes its classifier gives generated images most.
func untrained(t *testing.T, conditional bool) (string, int, int) {
	t.Helper()
	mc := sgan.DefaultModelConfig()
	mc.EvalBatch, mc.Seed, mc.Conditional = 20, 3, conditional
	m, err := sgan.New(mc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "model.ckpt")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	lc, err := m.LatentClasses(200, 0, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	a, b := -1, -1
	for k, n := range lc.Counts {
		switch {
		case a < 0 || n > lc.Counts[a]:
			a, b = k, a
		case b < 0 || n > lc.Counts[b]:
			b = k
		}
	}
	return path, a, b
}

// The program writes its PNGs for an unconditional and a conditional
// model. The models are untrained: this checks the plumbing, not the
// pictures.
func TestRunSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a few thousand images")
	}
	for _, tc := range []struct {
		cond  bool
		files []string
	}{
		{false, []string{"interp_linear.png", "interp_spherical.png", "steer.png"}},
		{true, []string{"interp_linear.png", "interp_spherical.png", "classes.png", "morph.png"}},
	} {
		t.Run(fmt.Sprint("conditional=", tc.cond), func(t *testing.T) {
			ckpt, a, b := untrained(t, tc.cond)
			out := t.TempDir()
			args := []string{"-ckpt", ckpt, "-out", out, "-samples", "200", "-min-confidence", "0",
				"-rows", "2", "-steps", "4", "-pairs", fmt.Sprintf("%d-%d", a, b)}
			var stdout, stderr bytes.Buffer
			if err := run(context.Background(), args, &stdout, &stderr); err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			for _, f := range tc.files {
				if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
					t.Errorf("%s missing or empty (%v)", f, err)
				}
			}
			if !tc.cond && !strings.Contains(stdout.String(), "steering success") {
				t.Errorf("no steering figures in the output:\n%s", stdout.String())
			}
		})
	}
}

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, ""},
		{[]string{"-steps", "1"}, "at least 2"},
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
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"1-7,3-8", ""},
		{"1-1", "two different"},
		{"1-10", "two different"},
		{"x", "not a pair"},
	} {
		_, err := parsePairs(tc.in, 10)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.in, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q: error %v, want %q", tc.in, err, tc.want)
		}
	}
	if err := run(context.Background(), []string{"-ckpt", filepath.Join(t.TempDir(), "none.ckpt")}, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Error("missing checkpoint accepted")
	}
}
