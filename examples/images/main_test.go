package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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
	args := []string{"-labelled", lab, "-unlabelled", unl, "-test", test, "-out", out, "-no-bar", "-skip-bad",
		"-epochs", "4", "-min-steps", "200", "-duration", "2m", "-batch", "20", "-synthetic", "3", "-label-next", "6"}
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
