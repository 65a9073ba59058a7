package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/semigan/semigan/sgan"
)

// TestMain keeps the tests' decoded images out of the user's cache folder
// (the default -cache).
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "images-cache")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CACHE_HOME", dir)
	os.Setenv("HOME", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// shapesFolders writes the colour set: perClass labelled images per class,
// unl unlabelled ones (some in a subfolder), and a test folder.
func shapesFolders(t *testing.T, dir string, side, perClass, unl, test int) (lab, unlDir, testDir string) {
	rng := rand.New(rand.NewPCG(1, 2))
	names := []string{"bar", "disc", "square"} // sorted: classes 0, 1, 2
	kind := map[string]int{"square": 0, "disc": 1, "bar": 2}
	lab, unlDir, testDir = filepath.Join(dir, "lab"), filepath.Join(dir, "unl"), filepath.Join(dir, "test")
	for _, name := range names {
		for i := range perClass {
			writePNG(t, filepath.Join(lab, name, fmt.Sprintf("%d.png", i)), shapesImage(kind[name], side, rng))
		}
		for i := range test {
			writePNG(t, filepath.Join(testDir, name, fmt.Sprintf("%d.png", i)), shapesImage(kind[name], side, rng))
		}
	}
	for i := range unl {
		sub := ""
		if i%4 == 0 {
			sub = "more"
		}
		// sizes vary: the loader resizes
		writePNG(t, filepath.Join(unlDir, sub, fmt.Sprintf("u%03d.png", i)), shapesImage(i%3, side+4*(i%2), rng))
	}
	return lab, unlDir, testDir
}

// The workflow on a small colour set of 32×32 images: it trains, writes
// every promised file, and the classifier is far above chance.
func TestRunColourSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for about half a minute")
	}
	dir := t.TempDir()
	lab, unl, test := shapesFolders(t, dir, 32, 5, 120, 20)
	writePNG(t, filepath.Join(unl, "more", "broken.png"), image.NewGray(image.Rect(0, 0, 1, 1)))
	os.WriteFile(filepath.Join(unl, "more", "broken.png"), []byte("\x89PNG\r\n\x1a\nnot really"), 0o644)
	out := filepath.Join(dir, "out")
	cache := filepath.Join(dir, "cache")
	defer func(n int) { predictionChunk = n }(predictionChunk)
	predictionChunk = 7 // predictions.csv in several chunks
	args := []string{"-labelled", lab, "-unlabelled", unl, "-test", test, "-out", out, "-no-bar", "-skip-bad", "-cache", cache,
		"-epochs", "4", "-min-steps", "200", "-duration", "0", "-batch", "20", "-synthetic", "3", "-label-next", "6"}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	t.Log(stdout.String())
	for _, want := range []string{"3 classes", "resized to 32x32, 3 channel(s)", "skipped 1 unreadable", "broken.png"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	var acc float64
	if _, err := fmt.Sscanf(stdout.String()[strings.Index(stdout.String(), "test accuracy: "):], "test accuracy: %f", &acc); err != nil || acc < 0.7 {
		t.Errorf("test accuracy %v (%v), want at least 0.7 (chance is 0.33)", acc, err)
	}
	for _, f := range []string{"model.ckpt", "metrics.csv", "curves.png", "samples.png", "predictions.csv", "label-next.csv"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty (%v)", f, err)
		}
	}
	rows := readCSV(t, filepath.Join(out, "predictions.csv"))
	if strings.Join(rows[0], ",") != "file,predicted,probability,bar,disc,square" || len(rows) != 121 {
		t.Errorf("predictions.csv: header %q, %d rows; want the class names and 120 rows", rows[0], len(rows)-1)
	}
	next := readCSV(t, filepath.Join(out, "label-next.csv"))
	if strings.Join(next[0], ",") != "rank,file,score,margin,predicted" || len(next) != 7 || !strings.HasPrefix(next[1][1], unl) {
		t.Errorf("label-next.csv: %q", next)
	}
	for _, class := range []string{"bar", "disc", "square"} {
		if _, err := os.Stat(filepath.Join(out, "synthetic", class)); err != nil {
			t.Errorf("synthetic/%s: %v", class, err)
		}
	}
	// the three folders' decoded images, for the next run
	if cached, err := filepath.Glob(filepath.Join(cache, "*.pixels")); err != nil || len(cached) != 3 {
		t.Errorf("-cache holds %q, want three .pixels files (%v)", cached, err)
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// Each bad input stops the run before training with one clear error.
func TestInputErrors(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	gray := func(path string) { writePNG(t, path, image.NewGray(image.Rect(0, 0, 8, 8))) }
	colour := func(path string) { writePNG(t, path, shapesImage(0, 8, rng)) }
	d := func(parts ...string) string { return filepath.Join(append([]string{dir}, parts...)...) }
	gray(d("ok", "a", "1.png"))
	gray(d("ok", "b", "1.png"))
	gray(d("unl", "1.png"))
	gray(d("one", "a", "1.png"))
	gray(d("empty", "a", "1.png"))
	os.MkdirAll(d("empty", "b"), 0o755)
	gray(d("mixed", "a", "1.png"))
	colour(d("mixed", "b", "1.png"))
	gray(d("corrupt", "a", "1.png"))
	os.MkdirAll(d("corrupt", "b"), 0o755)
	os.WriteFile(d("corrupt", "b", "1.png"), []byte("not an image"), 0o644)
	gray(d("flat", "1.png"))
	gray(d("othertest", "x", "1.png"))
	gray(d("othertest", "y", "1.png"))
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"corrupt image", []string{"-labelled", d("corrupt"), "-unlabelled", d("unl")}, []string{d("corrupt", "b", "1.png"), "cannot decode"}},
		{"empty class folder", []string{"-labelled", d("empty"), "-unlabelled", d("unl")}, []string{`class folder "b" has no images`}},
		{"one class", []string{"-labelled", d("one"), "-unlabelled", d("unl")}, []string{"one class", "at least two"}},
		{"mixed channels", []string{"-labelled", d("mixed"), "-unlabelled", d("unl")}, []string{"mix gray", "colour", "-channels"}},
		{"no class folders", []string{"-labelled", d("flat"), "-unlabelled", d("unl")}, []string{"no class folders"}},
		{"test classes differ", []string{"-labelled", d("ok"), "-unlabelled", d("unl"), "-test", d("othertest")}, []string{d("othertest"), "class folders"}},
		{"missing folder", []string{"-labelled", d("nosuch"), "-unlabelled", d("unl")}, []string{"nosuch"}},
		{"bad size", []string{"-labelled", d("ok"), "-unlabelled", d("unl"), "-size", "32"}, []string{"-size"}},
		// issue 24, row 10: the product overflowed and image.NewRGBA panicked
		{"size overflowing", []string{"-labelled", d("ok"), "-unlabelled", d("unl"), "-size", "4294967296x4294967296"}, []string{"-size", "at most 16777216 pixels"}},
		// row 11: every image was resized (24 GB) before the model refused it
		{"size beyond the model", []string{"-labelled", d("ok"), "-unlabelled", d("unl"), "-size", "4096x4096"}, []string{"4096x4096", "MaxParams"}},
		{"bad channels", []string{"-labelled", d("ok"), "-unlabelled", d("unl"), "-channels", "2"}, []string{"-channels 2"}},
		{"one folder only", []string{"-labelled", d("ok")}, []string{"both -labelled and -unlabelled"}},
	} {
		err := run(context.Background(), append(tc.args, "-out", d("out-"+tc.name), "-no-bar"), &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tc.name, err, w)
			}
		}
		if strings.Count(err.Error(), "\n") > 0 {
			t.Errorf("%s: error has several lines: %q", tc.name, err)
		}
		if _, err := os.Stat(d("out-"+tc.name, "model.ckpt")); err == nil {
			t.Errorf("%s: trained anyway", tc.name)
		}
	}
}

// The run directory keeps only this run's outputs, and never loses the
// user's files (issue 24): a -force rerun that writes no synthetic
// images or label suggestions removes the earlier run's (row 2); a
// synthetic/ folder holding a file no run wrote is refused before
// training, -force or not, and kept (row 1); a class named like a
// spreadsheet formula is written as text (row 25); an interrupt before
// the first step writes nothing and is an error (row 9).
func TestRunKeepsOnlyItsOwnFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a few steps, three times")
	}
	dir := t.TempDir()
	formula := "=HYPERLINK(x)"
	shade := func(v uint8) image.Image {
		img := image.NewGray(image.Rect(0, 0, 8, 8))
		for i := range img.Pix {
			img.Pix[i] = v
		}
		return img
	}
	for k, class := range []string{formula, "b"} {
		for i := range 3 {
			writePNG(t, filepath.Join(dir, "lab", class, fmt.Sprintf("%d.png", i)), shade(uint8(255*k)))
		}
	}
	for i := range 20 {
		writePNG(t, filepath.Join(dir, "unl", fmt.Sprintf("%d.png", i)), shade(uint8(255*(i%2))))
	}
	out := filepath.Join(dir, "out")
	common := []string{"-labelled", filepath.Join(dir, "lab"), "-unlabelled", filepath.Join(dir, "unl"), "-out", out, "-no-bar",
		"-epochs", "1", "-min-steps", "40", "-batch", "10"}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	err := run(cancelled, common, &bytes.Buffer{}, &bytes.Buffer{})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "nothing written") {
		t.Errorf("interrupted before training: %v", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("interrupted before training, yet -out exists (%v)", err)
	}

	var stdout bytes.Buffer
	if err := run(context.Background(), append(common, "-synthetic", "1", "-label-next", "2"), &stdout, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, filepath.Join(out, "predictions.csv"))
	if rows[0][3] != "'"+formula {
		t.Errorf("predictions.csv header cell %q, want %q", rows[0][3], "'"+formula)
	}
	for _, r := range rows[1:] {
		if strings.HasPrefix(r[1], "=") {
			t.Errorf("predictions.csv cell %q would run as a formula", r[1])
		}
	}
	if _, err := os.Stat(filepath.Join(out, "synthetic", "b")); err != nil {
		t.Fatalf("first run's synthetic images: %v", err)
	}

	stdout.Reset()
	// -baseline (issue 24, row 27: the labels-only comparison) writes no
	// synthetic images or samples
	if err := run(context.Background(), append(common, "-force", "-baseline", "-label-next", "0"), &stdout, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if m, err := sgan.Load(filepath.Join(out, "model.ckpt")); err != nil || !m.Config().SupervisedOnly {
		t.Errorf("-baseline model: %v, want a supervised-only model", err)
	}
	for _, gone := range []string{"synthetic", "label-next.csv", "samples.png"} {
		if _, err := os.Stat(filepath.Join(out, gone)); !os.IsNotExist(err) {
			t.Errorf("%s of the earlier run still beside the new model (%v)", gone, err)
		}
	}
	if strings.Contains(stdout.String(), "synthetic") {
		t.Errorf("a run that wrote no synthetic images lists them:\n%s", stdout.String())
	}

	mine := filepath.Join(out, "synthetic", "b", "mine.png")
	writePNG(t, mine, image.NewGray(image.Rect(0, 0, 2, 2)))
	before, _ := os.ReadFile(filepath.Join(out, "model.ckpt"))
	err = run(context.Background(), append(common, "-force", "-synthetic", "1"), &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), mine) {
		t.Errorf("a synthetic/ folder holding a user's file: %v, want an error naming %s", err, mine)
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("the user's file is gone: %v", err)
	}
	if after, _ := os.ReadFile(filepath.Join(out, "model.ckpt")); !bytes.Equal(before, after) {
		t.Error("the refused run trained and replaced the model")
	}
}

func TestDefaultSize(t *testing.T) {
	for _, tc := range []struct{ w, h, wantW, wantH int }{
		{28, 28, 28, 28},
		{32, 32, 32, 32},
		{640, 480, 64, 48},
		{100, 50, 64, 32},
		{5, 5, 8, 8},
		{30, 30, 28, 28},
	} {
		if got := defaultSize(tc.w, tc.h); got != image.Pt(tc.wantW, tc.wantH) {
			t.Errorf("defaultSize(%d, %d) = %v, want %dx%d", tc.w, tc.h, got, tc.wantW, tc.wantH)
		}
	}
}

// 64×64 colour images build and train (a few steps), with the size taken
// from the data.
func TestRun64x64(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for a few seconds")
	}
	dir := t.TempDir()
	lab, unl, _ := shapesFolders(t, dir, 64, 2, 20, 0)
	out := filepath.Join(dir, "out")
	var stdout bytes.Buffer
	args := []string{"-labelled", lab, "-unlabelled", unl, "-out", out, "-no-bar", "-epochs", "1", "-min-steps", "10", "-batch", "10",
		"-synthetic", "1", "-label-next", "2"}
	if err := run(context.Background(), args, &stdout, &bytes.Buffer{}); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	if !strings.Contains(stdout.String(), "resized to 64x64, 3 channel(s)") || !strings.Contains(stdout.String(), "(10 steps)") {
		t.Errorf("output:\n%s", stdout.String())
	}
}

// The shapes demo writes its folders and trains on them.
func TestDemoShapes(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a few steps")
	}
	out := t.TempDir()
	var stdout bytes.Buffer
	args := []string{"-demo", "shapes", "-demo-unlabelled", "30", "-demo-test", "15", "-out", out, "-no-bar",
		"-epochs", "1", "-min-steps", "5", "-batch", "10", "-synthetic", "1", "-label-next", "3"}
	if err := run(context.Background(), args, &stdout, &bytes.Buffer{}); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	for _, want := range []string{"demo: 15 labelled, 30 unlabelled, 15 test images", "resized to 32x32, 3 channel(s)", "test accuracy"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
	if _, err := os.Stat(filepath.Join(out, "demo", "labelled", "square")); err != nil {
		t.Error(err)
	}
}

// predictions.csv is written a chunk of images at a time, each row from
// its own image's probabilities.
func TestWritePredictionsInChunks(t *testing.T) {
	defer func(n int) { predictionChunk = n }(predictionChunk)
	predictionChunk = 3
	files := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	var calls [][2]int
	predict := func(lo, hi int) ([]float32, error) {
		calls = append(calls, [2]int{lo, hi})
		var p []float32
		for i := lo; i < hi; i++ {
			x := float32(i) / 10
			p = append(p, x, 1-x) // class "yes" is i/10
		}
		return p, nil
	}
	path := filepath.Join(t.TempDir(), "predictions.csv")
	if err := writePredictions(path, files, []string{"yes", "no"}, predict); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(calls) != "[[0 3] [3 6] [6 8]]" {
		t.Errorf("chunks %v, want [[0 3] [3 6] [6 8]]", calls)
	}
	rows := readCSV(t, path)
	if len(rows) != 9 {
		t.Fatalf("%d rows", len(rows))
	}
	for i, r := range rows[1:] {
		if r[0] != files[i] || r[3] != fmt.Sprintf("%.6f", float32(i)/10) {
			t.Errorf("row %d: %q", i, r)
		}
	}
	failing := func(lo, hi int) ([]float32, error) {
		if lo > 0 {
			return nil, errors.New("disk on fire")
		}
		return predict(lo, hi)
	}
	bad := filepath.Join(t.TempDir(), "predictions.csv")
	if err := writePredictions(bad, files, []string{"yes", "no"}, failing); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("a failing chunk: %v", err)
	}
	if _, err := os.Stat(bad); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a failed write left %s (%v)", bad, err)
	}
}
