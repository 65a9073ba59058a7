package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/semigan/semigan/datasets"
)

// realOpts are the options real_data.csv of the demos is read with.
var realOpts = datasets.CSVOptions{DetectHeader: true, LabelName: "label", Scale: datasets.ScaleNone}

func readRows(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

// The tabular demo runs end to end on a small budget and writes every
// output file in the promised layout.
func TestRunTabularSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for a few seconds")
	}
	out := t.TempDir()
	const perClass, K, F, nUnl = 15, 4, 10, 300
	args := []string{"-demo", "tabular", "-demo-unlabelled", strconv.Itoa(nUnl), "-demo-test", "200", "-batch", "20",
		"-epochs", "2", "-min-steps", "0", "-duration", "0", "-per-class", strconv.Itoa(perClass), "-conditional", "-min-confidence", "-1",
		"-out", out, "-no-bar"}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	t.Log(stdout.String())
	for _, want := range []string{"wrote the tabular demo data", "test accuracy: ", "synthetic rows per class: [15 15 15 15]"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	for _, f := range []string{"model.ckpt", "metrics.csv", "curves.png", "predictions.csv", "synthetic_data.csv", "scaler.csv",
		"demo/real_data.csv", "demo/unlabelled_data.csv", "demo/test_data.csv"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty (%v)", f, err)
		}
	}

	real, err := datasets.LoadCSV(filepath.Join(out, "demo/real_data.csv"), realOpts)
	if err != nil {
		t.Fatal(err)
	}
	syn, err := datasets.LoadCSV(filepath.Join(out, "synthetic_data.csv"), realOpts)
	if err != nil {
		t.Fatal(err)
	}
	if syn.Len() != perClass*K || syn.Features() != F || real.Features() != F {
		t.Errorf("synthetic_data.csv has %d rows of %d features, want %d of %d", syn.Len(), syn.Features(), perClass*K, F)
	}
	for k, n := range syn.ClassCounts() {
		if n != perClass {
			t.Errorf("synthetic class %d has %d rows, want %d", k, n, perClass)
		}
	}
	// the same header, and values in the units of the real data: inside
	// the range of the labelled and unlabelled rows
	if a, b := readRows(t, filepath.Join(out, "synthetic_data.csv"))[0], readRows(t, filepath.Join(out, "demo/real_data.csv"))[0]; strings.Join(a, ",") != strings.Join(b, ",") {
		t.Errorf("synthetic header %q, real header %q", a, b)
	}
	unl, err := datasets.LoadCSV(filepath.Join(out, "demo/unlabelled_data.csv"), datasets.CSVOptions{DetectHeader: true, LabelColumn: -1, Scale: datasets.ScaleNone})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := datasets.FitRangeScaler(real, unl)
	if err != nil {
		t.Fatal(err)
	}
	// scaler.csv reads back to the scaler fitted on the demo files
	saved, err := datasets.LoadRangeScaler(filepath.Join(out, "scaler.csv"), F)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(saved, sc) {
		t.Errorf("scaler.csv holds %+v, want %+v", saved, sc)
	}
	for i, v := range syn.Data {
		j := i % F
		slack := 1e-5 * float64(sc.Max[j]-sc.Min[j])
		if float64(v) < float64(sc.Min[j])-slack || float64(v) > float64(sc.Max[j])+slack {
			t.Errorf("synthetic row %d feature %d = %v, outside the data's range [%v, %v]", i/F, j, v, sc.Min[j], sc.Max[j])
			break
		}
	}

	pred := readRows(t, filepath.Join(out, "predictions.csv"))
	if want := []string{"row", "predicted", "probability", "p0", "p1", "p2", "p3"}; strings.Join(pred[0], ",") != strings.Join(want, ",") {
		t.Errorf("predictions header %q, want %q", pred[0], want)
	}
	if len(pred)-1 != nUnl {
		t.Errorf("predictions.csv has %d rows, want %d", len(pred)-1, nUnl)
	}
	for i, r := range pred[1:] {
		k, err1 := strconv.Atoi(r[1])
		p, err2 := strconv.ParseFloat(r[2], 64)
		sum := 0.0
		for _, c := range r[3:] {
			v, _ := strconv.ParseFloat(c, 64)
			sum += v
		}
		if r[0] != strconv.Itoa(i) || err1 != nil || err2 != nil || k < 0 || k >= K || math.Abs(sum-1) > 1e-4 || r[3+k] != r[2] || p < 1.0/K-1e-6 {
			t.Errorf("predictions row %d: %q", i, r)
			break
		}
	}
	metrics := readRows(t, filepath.Join(out, "metrics.csv"))
	if len(metrics) != 3 {
		t.Errorf("metrics.csv has %d rows, want a header and 2 epochs", len(metrics))
	}
}

var accLine = regexp.MustCompile(`test accuracy: (0\.\d{4}|1\.0000) \((\d+) errors of (\d+)\)`)

// A little longer, the classifier of the tabular demo is clearly better
// than chance (1/4), and the unconditional generator fills the classes.
func TestRunTabularLearns(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for a few seconds")
	}
	out := t.TempDir()
	args := []string{"-demo", "tabular", "-demo-unlabelled", "1000", "-demo-test", "500", "-batch", "50",
		"-epochs", "8", "-min-steps", "0", "-duration", "30s", "-per-class", "20", "-min-confidence", "-1", "-out", out, "-no-bar"}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	t.Log(stdout.String())
	m := accLine.FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no accuracy line in\n%s", stdout.String())
	}
	if acc, _ := strconv.ParseFloat(m[1], 64); acc < 0.8 {
		t.Errorf("test accuracy %v, want clearly above chance (0.25)\n%s", acc, stderr.String())
	}
	syn, err := datasets.LoadCSV(filepath.Join(out, "synthetic_data.csv"), realOpts)
	if err != nil {
		t.Fatal(err)
	}
	if syn.Len() != 4*20 {
		t.Errorf("synthetic_data.csv has %d rows, want 80 (class counts %v)\n%s", syn.Len(), syn.ClassCounts(), stderr.String())
	}
}

// writeSynthetic keeps the labelled file's header, label position and
// units.
func TestWriteSynthetic(t *testing.T) {
	dir := t.TempDir()
	scaler := &datasets.RangeScaler{Min: []float32{-10, 100}, Max: []float32{10, 300}}
	syn := &datasets.Set{C: 1, H: 1, W: 2, Classes: 3, Data: []float32{-1, 1, 0, 0, 1, -1}, Labels: []int{0, 1, 2}}
	cols := &datasets.CSVColumns{Header: true, Names: []string{"a", "species", "b"}, Label: 1}
	path := filepath.Join(dir, "syn.csv")
	if err := writeSynthetic(path, syn, cols, scaler, datasets.ScaleNone); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if want := "a,species,b\n-10,0,300\n0,1,200\n10,2,100\n"; string(b) != want {
		t.Errorf("wrote\n%s\nwant\n%s", b, want)
	}
	if syn.Data[0] != -1 {
		t.Error("writeSynthetic changed its input")
	}
	// pixels: no header, label first, whole numbers
	px := &datasets.Set{C: 1, H: 1, W: 2, Classes: 2, Data: []float32{-1, 0.999, 0.5, -0.2}, Labels: []int{1, 0}}
	if err := writeSynthetic(path, px, &datasets.CSVColumns{Names: []string{"label", "x0", "x1"}, Label: 0}, nil, datasets.Scale255); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(path)
	if want := "1,0,255\n0,191,102\n"; string(b) != want {
		t.Errorf("wrote\n%s\nwant\n%s", b, want)
	}
}

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // error substring, "" for success
	}{
		{nil, ""},
		{[]string{"-demo", "tabular", "-shape", "1x1x10"}, ""},
		{[]string{"-labelled", "a.csv", "-unlabelled", "b.csv", "-shape", "3x32x32", "-scale", "01"}, ""},
		{[]string{"-shape", "28x28"}, ""},
		{[]string{"-shape", "1x28"}, ""},
		{[]string{"-shape", "abc"}, `-shape "abc": want CxHxW`},
		{[]string{"-shape", "0x28x28"}, "want CxHxW"},
		{[]string{"-shape", "1x2x3x4"}, "want CxHxW"},
		{[]string{"-shape", "1xx28"}, "want CxHxW"},
		{[]string{"-shape", "-1x28x28"}, "want CxHxW"},
		{[]string{"-scale", "100"}, `-scale "100"`},
		{[]string{"-labelled", "a.csv"}, "give both -labelled and -unlabelled"},
		{[]string{"-unlabelled", "b.csv"}, "give both -labelled and -unlabelled"},
		{[]string{"-test", "t.csv"}, "-test needs -labelled"},
		{[]string{"-demo", "images"}, `-demo "images"`},
		{[]string{"-demo", "tabular", "-labelled", "a.csv", "-unlabelled", "b.csv"}, "leave out -labelled"},
		{[]string{"-per-class", "0"}, "-per-class 0"},
		{[]string{"-min-confidence", "1"}, "-min-confidence 1"},
		{[]string{"-label-column", "-2"}, "must not be negative"},
		{[]string{"-label-column", ""}, "-label-column is empty"},
		{[]string{"-batch", "0"}, "need positive batch"},
		{[]string{"-baseline", "-conditional"}, "exclude each other"},
		{[]string{"-demo-test", "-5"}, "must not be negative"},
		{[]string{"-arch", "mlp"}, ""},
		{[]string{"-arch", "resnet"}, `-arch "resnet"`},
		{[]string{"-max-draws", "-1"}, "-max-draws -1"},
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

// Problems with the input files stop run before training, with an error
// naming the file.
func TestInputErrors(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	lab := file("lab.csv", "f1,f2,f3,label\n1,2,3,0\n4,5,6,1\n")
	unl := file("unl.csv", "f1,f2,f3\n1,2,3\n4,5,6\n")
	unlWide := file("unl_wide.csv", "f1,f2,f3,label\n1,2,3,0\n")
	unlBad := file("unl_bad.csv", "f1,f2,f3\n1,2,3\n4,x,6\n")
	labOne := file("lab_one.csv", "f1,f2,f3,label\n1,2,3,0\n4,5,6,0\n")
	labNoHeader := file("lab_nohdr.csv", "1,2,3,0\n4,5,6,1\n")
	testNarrow := file("test.csv", "f1,f2,label\n1,2,0\n")
	testBadLabel := file("test_label.csv", "f1,f2,f3,label\n1,2,3,2\n")
	pixels := file("pix.csv", "f1,f2,f3,label\n1,2,300,0\n4,5,6,1\n")
	lab4 := file("lab4.csv", "a,b,c,d,label\n1000,2,3,4,0\n4,5,6,7,1\n")
	unl4 := file("unl4.csv", "a,b,c,d\n1,2,3,4\n4,5,6,900\n")
	labHuge := file("lab_huge.csv", "f1,f2,f3,label\n1,2,3,0\n4,5,6,1\n7,8,9,100000\n")
	labFar := file("lab_far.csv", "f1,f2,f3,label\n1,2,3,0\n4,5,6,1\n7,8,9,1000\n")
	missing := filepath.Join(dir, "nosuch.csv")
	for _, tc := range []struct {
		name string
		args []string
		want []string // substrings of the error
	}{
		{"missing labelled file", []string{"-labelled", missing, "-unlabelled", unl}, []string{missing, "no such file"}},
		{"missing unlabelled file", []string{"-labelled", lab, "-unlabelled", missing}, []string{missing, "no such file"}},
		{"missing test file", []string{"-labelled", lab, "-unlabelled", unl, "-test", missing}, []string{missing}},
		{"unlabelled has the label column", []string{"-labelled", lab, "-unlabelled", unlWide}, []string{unlWide, lab, "4 columns", "3 feature columns", `column named "label"`}},
		{"unlabelled has a bad cell", []string{"-labelled", lab, "-unlabelled", unlBad}, []string{unlBad, "row 3, column 2", "not a number"}},
		{"no label column", []string{"-labelled", lab, "-unlabelled", unl, "-label-column", "class"}, []string{lab, `no column named "class"`}},
		{"no header", []string{"-labelled", labNoHeader, "-unlabelled", unl}, []string{labNoHeader, `no column named "label"`}},
		{"one class", []string{"-labelled", labOne, "-unlabelled", unl}, []string{labOne, "need at least 2"}},
		// issue 15, row 13: such labels made 100,001 classes and ran out of memory
		{"label 100000", []string{"-labelled", labHuge, "-unlabelled", unl}, []string{labHuge, "row 4", "below 65536"}},
		{"label far beyond the others", []string{"-labelled", labFar, "-unlabelled", unl}, []string{labFar, "row 4", "1001 classes for 3 distinct labels"}},
		{"too many classes", []string{"-labelled", lab, "-unlabelled", unl, "-classes", "70000"}, []string{"-classes 70000"}},
		// issue 24, row 18: it trained, then sat in synthesis for minutes
		{"synthesis too large", []string{"-labelled", lab, "-unlabelled", unl, "-classes", "65536"}, []string{"-per-class 100 × 65536 classes", "lower -per-class"}},
		{"shape mismatch", []string{"-labelled", lab, "-unlabelled", unl, "-shape", "1x28x28"}, []string{"-shape 1x28x28", "needs 784", lab, "3 feature columns"}},
		// issue 15, row 20: the error used to be about values outside [0, 255]
		{"shape mismatch, wide values", []string{"-labelled", lab4, "-unlabelled", unl4, "-shape", "1x2x3"}, []string{"-shape 1x2x3", "4 feature columns", "needs 6"}},
		{"test narrower", []string{"-labelled", lab, "-unlabelled", unl, "-test", testNarrow}, []string{testNarrow, lab}},
		{"test label out of range", []string{"-labelled", lab, "-unlabelled", unl, "-test", testBadLabel}, []string{testBadLabel, "row 2, column 4", "out of range"}},
		{"pixel out of range", []string{"-labelled", pixels, "-unlabelled", unl, "-scale", "255"}, []string{pixels, "row 2, column 3", "outside [0, 255]"}},
	} {
		args := append(tc.args, "-out", filepath.Join(dir, "out"), "-no-bar")
		err := run(context.Background(), args, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tc.name, err, w)
			}
		}
	}
	// with the label column by index, and no header, the files are fine
	// up to the training, which -epochs bounds; here only the reading is
	// checked.
	o, err := parse([]string{"-labelled", labNoHeader, "-unlabelled", file("unl_nohdr.csv", "1,2,3\n4,5,6\n"), "-label-column", "3"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	ls, us, _, err := load(o, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if ls.Columns.Header || ls.Columns.Label != 3 || ls.Features() != 3 || us.Len() != 2 || ls.Classes != 2 {
		t.Errorf("load without header: columns %+v, %d features, %d unlabelled rows, %d classes", ls.Columns, ls.Features(), us.Len(), ls.Classes)
	}
}

// Issue 15, rows 13, 18 and 21: warnings about empty classes are capped,
// a column with an extreme value is named with the value and its row,
// and a second run into the same -out stops before training unless
// -force.
func TestRunWarnsAndKeepsEarlierModel(t *testing.T) {
	if testing.Short() {
		t.Skip("trains twice for a moment")
	}
	dir := t.TempDir()
	var lab, unl strings.Builder
	lab.WriteString("a,b,c,label\n")
	for i, k := range []int{0, 1, 13, 0, 1, 13} { // classes 2..12 have no rows
		fmt.Fprintf(&lab, "%d,%d,%d,%d\n", i, 2*i, i%3, k)
	}
	unl.WriteString("a,b,c\n")
	for i := range 30 {
		b := float64(i % 7)
		if i == 11 {
			b = 1e30
		}
		fmt.Fprintf(&unl, "%d,%g,%d\n", i, b, i%3)
	}
	labPath, unlPath := filepath.Join(dir, "lab.csv"), filepath.Join(dir, "unl.csv")
	os.WriteFile(labPath, []byte(lab.String()), 0o644)
	os.WriteFile(unlPath, []byte(unl.String()), 0o644)
	out := filepath.Join(dir, "out")
	args := []string{"-labelled", labPath, "-unlabelled", unlPath, "-out", out, "-no-bar", "-batch", "6",
		"-epochs", "1", "-min-steps", "0", "-duration", "5s", "-per-class", "1", "-min-confidence", "-1"}

	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	warn := stderr.String()
	if n := strings.Count(warn, "has no row of class"); n != maxWarnings || !strings.Contains(warn, "and 1 more classes without rows") {
		t.Errorf("%d empty-class warnings, want %d and a count of the rest:\n%s", n, maxWarnings, warn)
	}
	if !strings.Contains(warn, `column "b": the value 1e+30 (data row 12 of `+unlPath) {
		t.Errorf("no warning naming column b, its value and row:\n%s", warn)
	}
	if strings.Contains(warn, `column "a"`) || strings.Contains(warn, `column "c"`) {
		t.Errorf("warning about a sound column:\n%s", warn)
	}

	ck := filepath.Join(out, "model.ckpt")
	before, err := os.ReadFile(ck)
	if err != nil {
		t.Fatal(err)
	}
	scalerBefore, err := os.ReadFile(filepath.Join(out, "scaler.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// The second run's data has other ranges, so another scaler: it must
	// not be written beside the earlier model (issue 24, row 7).
	unl2 := filepath.Join(dir, "unl2.csv")
	os.WriteFile(unl2, []byte("a,b,c\n100,200,300\n-5,-6,-7\n1,2,3\n4,5,6\n7,8,9\n1,1,1\n"), 0o644)
	args2 := slices.Clone(args)
	args2[3] = unl2
	stdout.Reset()
	err = run(context.Background(), args2, &stdout, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), ck) || !strings.Contains(err.Error(), "-force") {
		t.Fatalf("second run into the same -out: error %v, want one naming %s and -force", err, ck)
	}
	if after, _ := os.ReadFile(ck); !bytes.Equal(before, after) || strings.Contains(stdout.String(), "trained") {
		t.Error("the refused run trained or touched the earlier model")
	}
	if after, _ := os.ReadFile(filepath.Join(out, "scaler.csv")); !bytes.Equal(scalerBefore, after) {
		t.Errorf("the refused run rewrote scaler.csv beside the earlier model:\n%s", after)
	}
	if err := run(context.Background(), append(args, "-force"), &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Errorf("with -force: %v", err)
	}
}
