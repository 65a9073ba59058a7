package sganplot

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot/vg"

	"github.com/semigan/semigan/sgan"
)

// synthetic returns a plausible history of n epochs of about 1.5 minutes,
// with a test accuracy rising towards 99 % (NaN when noEval).
func synthetic(n int, noEval bool) *sgan.History {
	h := &sgan.History{}
	for i := 1; i <= n; i++ {
		t := float64(i)
		acc := 0.99 - 0.5*math.Exp(-t/3)
		if noEval {
			acc = math.NaN()
		}
		h.Epochs = append(h.Epochs, sgan.EpochStats{
			Epoch: i, Steps: 469, TotalSteps: 469 * i,
			DLoss: 0.4 + 0.6*math.Exp(-t/4), GLoss: 0.1 + 0.05*math.Sin(t), Losses: map[string]float64{"sup": 2.3 * math.Exp(-t/2), "unsup": 0.7 * math.Exp(-t/5)},
			EvalAcc: acc,
			Elapsed: time.Duration(i) * 90 * time.Second,
		})
	}
	return h
}

// decode reads the PNG at path and checks its size.
func decode(t *testing.T, path string, w, h int) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Fatalf("%s: size %dx%d, want %dx%d", path, b.Dx(), b.Dy(), w, h)
	}
	if !drawnOn(img) {
		t.Errorf("%s: the image is blank", path)
	}
	return img
}

// drawnOn reports whether img has both white and darker pixels.
func drawnOn(img image.Image) bool {
	var white, dark bool
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			g := color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y
			white = white || g == 255
			dark = dark || g < 192
		}
	}
	return white && dark
}

// noTemp fails when dir holds anything but the named files.
func noTemp(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("directory holds %q, want %q", got, names)
	}
}

func TestSaveCurves(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name         string
		hist         *sgan.History
		opts         Options
		wide, height int
	}{
		{"default", synthetic(12, false), Options{}, 768, 576},
		{"by epoch", synthetic(12, false), Options{Title: "MNIST, 100 labels", XAxis: ByEpoch, Targets: []float64{95, 97, 98}}, 768, 576},
		{"sized", synthetic(3, false), Options{Width: 4 * vg.Inch, Height: 3 * vg.Inch, DPI: 50, Targets: []float64{90}}, 200, 150},
		{"one epoch", synthetic(1, false), Options{Targets: []float64{98}}, 768, 576},
		{"no evaluation", synthetic(5, true), Options{Title: "no eval"}, 768, 576},
		{"some NaN", func() *sgan.History {
			h := synthetic(6, false)
			h.Epochs[0].EvalAcc = math.NaN()
			h.Epochs[3].EvalAcc = math.NaN()
			h.Epochs[2].GLoss = math.Inf(1)
			for i := range h.Epochs {
				h.Epochs[i].DLoss = math.NaN()  // a diverged run: no D loss line at all
				h.Epochs[i].Losses["unsup"] = 0 // supervised only: no unsupervised line
			}
			return h
		}(), Options{}, 768, 576},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".png")
			if err := SaveCurves(path, tc.hist, tc.opts); err != nil {
				t.Fatal(err)
			}
			decode(t, path, tc.wide, tc.height)
			if runtime.GOOS != "windows" {
				if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o644 {
					t.Errorf("mode %v, %v", st.Mode(), err)
				}
			}
		})
	}
}

func TestSaveCurvesReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "curves.png")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := SaveCurves(path, synthetic(4, false), Options{DPI: 30}); err != nil {
		t.Fatal(err)
	}
	decode(t, path, 240, 180)
	noTemp(t, dir, "curves.png")

	// A failed write leaves neither the destination nor a temporary file.
	if err := SaveCurves(filepath.Join(dir, "missing", "c.png"), synthetic(4, false), Options{}); err == nil ||
		!strings.HasPrefix(err.Error(), "sganplot: ") {
		t.Errorf("write into a missing directory: err = %v", err)
	}
	noTemp(t, dir, "curves.png")
}

func TestCurvesErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    *sgan.History
		opts Options
		want string
	}{
		{"nil history", nil, Options{}, "empty history"},
		{"empty history", &sgan.History{}, Options{}, "empty history"},
		{"negative width", synthetic(2, false), Options{Width: -1}, "bad size"},
		{"huge", synthetic(2, false), Options{Width: 1000 * vg.Inch}, "pixels"},
		{"tiny", synthetic(2, false), Options{Width: 0.001}, "pixels"},
		{"x axis", synthetic(2, false), Options{XAxis: 7}, "XAxis(7)"},
		{"NaN target", synthetic(2, false), Options{Targets: []float64{math.NaN()}}, "target"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img, err := Curves(tc.h, tc.opts)
			if err == nil || !strings.HasPrefix(err.Error(), "sganplot: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Curves: img %v, err %v; want an error with %q", img != nil, err, tc.want)
			}
			dir := t.TempDir()
			if err := SaveCurves(filepath.Join(dir, "c.png"), tc.h, tc.opts); err == nil {
				t.Error("SaveCurves: no error")
			}
			noTemp(t, dir)
		})
	}
}

func TestNoEvaluationOmitsPanel(t *testing.T) {
	// Without test accuracies the loss panel fills the image: its top edge
	// is higher than the loss panel's under an accuracy panel.
	with, err := Curves(synthetic(5, false), Options{DPI: 40})
	if err != nil {
		t.Fatal(err)
	}
	without, err := Curves(synthetic(5, true), Options{DPI: 40})
	if err != nil {
		t.Fatal(err)
	}
	if differ(with, without) == 0 {
		t.Error("the images without and with test accuracy are equal")
	}
}

// differ counts the pixels that differ.
func differ(a, b image.Image) int {
	n := 0
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if a.At(x, y) != b.At(x, y) {
				n++
			}
		}
	}
	return n
}

func TestSaveComparison(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cmp.png")
	fast := synthetic(10, false)
	slow := synthetic(20, false)
	for i := range slow.Epochs {
		slow.Epochs[i].Elapsed *= 2
		slow.Epochs[i].EvalAcc -= 0.02
	}
	runs := []Run{{"baseline", slow}, {"EMA", fast}, {"", synthetic(3, true)}}
	opts := Options{Title: "comparison", Targets: []float64{97, 98}, Width: 6 * vg.Inch, Height: 4 * vg.Inch}
	if err := SaveComparison(path, runs, opts); err != nil {
		t.Fatal(err)
	}
	decode(t, path, 576, 384)
	noTemp(t, dir, "cmp.png")

	// Order matters: the same runs swapped draw a different image.
	a, err := Comparison(runs[:2], opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Comparison([]Run{runs[1], runs[0]}, opts)
	if err != nil {
		t.Fatal(err)
	}
	a2, err := Comparison(runs[:2], opts)
	if err != nil {
		t.Fatal(err)
	}
	if differ(a, b) == 0 {
		t.Error("swapping the runs changed nothing")
	}
	if differ(a, a2) != 0 {
		t.Error("the same comparison drawn twice differs")
	}

	// Many runs cycle through colors and then dash patterns.
	var many []Run
	for i := range 9 {
		many = append(many, Run{History: synthetic(4+i, false)})
	}
	if _, err := Comparison(many, Options{XAxis: ByEpoch}); err != nil {
		t.Error(err)
	}
}

func TestComparisonErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		runs []Run
		want string
	}{
		{"none", nil, "no runs"},
		{"empty run", []Run{{"a", synthetic(2, false)}, {"b", &sgan.History{}}}, `run 2 ("b"): empty history`},
		{"nil run", []Run{{"a", nil}}, `run 1 ("a"): empty history`},
		{"no accuracy", []Run{{"a", synthetic(2, true)}, {"b", synthetic(3, true)}}, "no run has a test accuracy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Comparison(tc.runs, Options{})
			if err == nil || !strings.HasPrefix(err.Error(), "sganplot: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v; want one with %q", err, tc.want)
			}
			dir := t.TempDir()
			if err := SaveComparison(filepath.Join(dir, "c.png"), tc.runs, Options{}); err == nil {
				t.Error("SaveComparison: no error")
			}
			noTemp(t, dir)
		})
	}
}

func TestXAxisString(t *testing.T) {
	if ByMinutes.String() != "minutes" || ByEpoch.String() != "epoch" || XAxis(3).String() != "XAxis(3)" {
		t.Error(ByMinutes, ByEpoch, XAxis(3))
	}
}
