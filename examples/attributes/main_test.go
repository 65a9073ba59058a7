package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/sgan"
)

// canvas returns a blank 28×28 image (all −1) and a function that inks
// pixel (y, x).
func canvas() ([]float32, func(y, x int)) {
	img := make([]float32, 28*28)
	for i := range img {
		img[i] = -1
	}
	return img, func(y, x int) {
		if y >= 0 && x >= 0 && y < 28 && x < 28 {
			img[y*28+x] = 1
		}
	}
}

// bar draws a stroke of the given width from row 4 to row 23, its
// centre at column 14 + lean·(13.5 − y): leaning right when lean > 0.
func bar(width int, lean float64) []float32 {
	img, ink := canvas()
	for y := 4; y < 24; y++ {
		c := 14 + lean*(13.5-float64(y))
		for i := range width {
			ink(y, int(math.Round(c-float64(width)/2+float64(i))))
		}
	}
	return img
}

func TestMeasures(t *testing.T) {
	for _, tc := range []struct {
		lean, lo, hi float64
	}{
		{0, -0.02, 0.02},
		{0.3, 0.27, 0.33},
		{-0.5, -0.55, -0.45},
	} {
		if s := slant(bar(3, tc.lean), 1, 28, 28); s < tc.lo || s > tc.hi {
			t.Errorf("slant of a bar leaning %g: %.3f, want in [%g, %g]", tc.lean, s, tc.lo, tc.hi)
		}
	}
	prev := 0.0
	for w := 1; w <= 5; w++ {
		th := thickness(bar(w, 0.2), 1, 28, 28)
		if th <= prev || th < 0.7*float64(w) || th > 1.05*float64(w) {
			t.Errorf("thickness of a stroke %d pixels wide: %.3f (previous width %.3f), want increasing, about %d", w, th, prev, w)
		}
		prev = th
	}
	img, ink := canvas()
	for y := range 10 {
		for x := range 10 {
			ink(y+5, x+5)
		}
	}
	if a := area(img, 1, 28, 28); math.Abs(a-100.0/784) > 1e-12 {
		t.Errorf("area of a 10×10 square: %v, want %v", a, 100.0/784)
	}
	blank, _ := canvas()
	for _, m := range measures {
		if v := m.f(blank, 1, 28, 28); v != 0 {
			t.Errorf("%s of a blank image: %v, want 0", m.name, v)
		}
	}
}

func TestAUC(t *testing.T) {
	measure := []float64{1, 2, 3, 4, 5, 6}
	for _, tc := range []struct {
		name  string
		score []float64
		want  float64
	}{
		// the median is 4: the positives are the measures 5 and 6
		{"perfect", []float64{0, 0, 0, 0, 1, 1}, 1},
		{"reversed", []float64{6, 5, 4, 3, 2, 1}, 0},
		{"constant", []float64{2, 2, 2, 2, 2, 2}, 0.5},
		{"a negative tied with the positives", []float64{0, 0, 0, 1, 1, 1}, 7.0 / 8},
		{"one swap", []float64{1, 2, 3, 5, 4, 6}, 7.0 / 8},
		{"a tie across", []float64{1, 2, 3, 4, 4, 6}, 7.5 / 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := auc(tc.score, measure)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("AUC %v, want %v", got, tc.want)
			}
		})
	}
	if _, err := auc([]float64{1, 2}, []float64{3, 3}); err == nil {
		t.Error("constant measure accepted")
	}
	if _, err := auc([]float64{1, 2}, []float64{3}); err == nil {
		t.Error("lengths differ, accepted")
	}
}

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, ""},
		{[]string{"-direction", "3", "-name", "thick"}, ""},
		{[]string{"extra"}, "unexpected"},
		{[]string{"-directions", "0"}, "at least 1 direction"},
		{[]string{"-directions", "20", "-samples", "30"}, "2 samples per direction"},
		{[]string{"-rows", "0"}, "-rows"},
		{[]string{"-cols", "1"}, "-cols"},
		{[]string{"-direction", "20"}, "numbered 0 to 19"},
		{[]string{"-direction", "3"}, "needs -name"},
		{[]string{"-direction", "3", "-name", "a/b"}, "needs -name"},
		{[]string{"-n", "1"}, "one pair"},
		{[]string{"-margin", "0"}, "0 < margin"},
		{[]string{"-margin", "4"}, "margin ≤ extent"},
		{[]string{"-extent", "NaN"}, "extent"},
		{[]string{"-min-confidence", "1"}, "below 1"},
		{[]string{"-steps", "0"}, "-steps"},
		{[]string{"-probe", "0"}, "-probe"},
	} {
		_, err := parse(tc.args, &bytes.Buffer{})
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.args, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q: error %v, want %q", tc.args, err, tc.want)
		}
	}
	if _, err := parseMeasures("slant, thickness"); err != nil {
		t.Error(err)
	}
	if _, err := parseMeasures("slant,colour"); err == nil || !strings.Contains(err.Error(), `"colour"`) {
		t.Errorf("unknown attribute: error %v", err)
	}
}

// untrained saves a fresh 28×28 model and returns its path.
func untrained(t *testing.T, conditional bool) string {
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
	return path
}

// The program's three parts on an untrained model: the strips, a named
// direction's set and classifier, and the evaluation. This checks the
// plumbing; what the method reaches on a trained model is measured in
// docs/RECIPES.md.
func TestRunSmoke(t *testing.T) {
	for _, conditional := range []bool{false, true} {
		t.Run(fmt.Sprint("conditional=", conditional), func(t *testing.T) {
			if conditional && testing.Short() {
				t.Skip("the unconditional run covers the plumbing")
			}
			runSmoke(t, conditional)
		})
	}
}

func runSmoke(t *testing.T, conditional bool) {
	ckpt := untrained(t, conditional)
	out := t.TempDir()
	args := []string{"-ckpt", ckpt, "-out", out, "-directions", "3", "-samples", "60", "-rows", "2", "-cols", "3",
		"-direction", "1", "-name", "thick", "-n", "40", "-steps", "3", "-evaluate", "slant,thickness", "-probe", "20", "-test", "200", "-no-bar"}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	for _, f := range []string{"strips.png", "directions.csv", "thick.csv", "png/thick", "png/not-thick",
		"classifier-thick/model.ckpt", "eval-slant/model.ckpt", "eval-thickness/model.ckpt", "evaluation.csv"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	set, err := datasets.LoadImageFolder(filepath.Join(out, "png"), datasets.FolderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if set.Len() != 40 || set.Classes != 2 {
		t.Errorf("png folders hold %d images of %d classes, want 40 of 2", set.Len(), set.Classes)
	}
	csv, err := os.ReadFile(filepath.Join(out, "evaluation.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(string(csv)), "\n"); len(lines) != 3 || !strings.HasPrefix(lines[1], "slant,") {
		t.Errorf("evaluation.csv:\n%s", csv)
	}
	// A second run refuses to replace the classifiers without -force.
	err = run(context.Background(), args, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "-force") {
		t.Errorf("second run: error %v, want a refusal naming -force", err)
	}
	if err := run(context.Background(), append(args, "-force"), &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Errorf("second run with -force: %v", err)
	}
}
