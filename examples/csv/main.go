// Command csv runs the semi-supervised workflow on CSV files: it trains
// semigan's semi-supervised GAN on a few labelled rows and many
// unlabelled ones, labels the unlabelled rows, and writes synthetic
// labelled rows in the layout and units of the labelled file.
//
//	go run ./examples/csv -labelled real_data.csv -unlabelled unlabelled_data.csv [-test test.csv]
//	go run ./examples/csv                   # MNIST demo: writes its CSV files into out-csv/demo first
//	go run ./examples/csv -demo tabular     # tabular demo: Gaussian clusters, 4 classes, 10 features
//
// # Input
//
// The labelled file (-labelled) has one example per row: feature columns
// and a label column, by default the column named "label" (-label-column
// takes a name, or a 0-based index for files without a header). A header
// row is detected: it is taken as one when one of its cells is not a
// number. Labels are integers 0..K-1, and K is the largest label + 1.
// The unlabelled file (-unlabelled) has the same feature columns, in the
// same order, without the label column. The optional test file (-test)
// is laid out like the labelled one; the accuracy on it is reported
// after every epoch and at the end.
//
// By default each row is a tabular example, shape 1×1×F for F feature
// columns (the MLP discriminator and a dense generator), whose values
// are read as they are (-scale none) and then mapped feature by feature
// onto [-1, 1], the range of the generator's tanh output, by a min-max
// scaler fitted on the labelled and unlabelled rows together
// (datasets.RangeScaler; test rows outside that range map outside
// [-1, 1]). For image rows give the shape, such as -shape 1x28x28 for
// MNIST digits in channel-row-column order; the scale is then 255
// (pixels 0..255) unless -scale says 01 (values in 0..1) or none.
//
// # Output
//
// Into -out (default out-csv):
//
//   - model.ckpt: the trained model (sgan.Load reads it back);
//   - metrics.csv: one row of losses and accuracies per epoch;
//   - curves.png: the test accuracy (with -test) and the losses per epoch;
//   - predictions.csv: for each unlabelled row, its 0-based index among
//     the data rows ("row"), the predicted class ("predicted"), that
//     class's probability ("probability") and the K class probabilities
//     ("p0", "p1", …);
//   - synthetic_data.csv: -per-class generated rows of every class, with
//     the header, column order, label column and units of the labelled
//     file, so that it reads back with the same options; min-max scaled
//     features are mapped back through the scaler, pixels are rounded to
//     integers;
//   - scaler.csv (with -scale none): each feature's column name and the
//     minimum and maximum the scaler was fitted with.
//
// The generated rows are those the classifier labels with a probability
// of at least -min-confidence (default 0.9); with -conditional the
// generator is class-conditional and each row must also be classified as
// the class it was generated for. A negative -min-confidence keeps every
// row. When too few rows of a class pass within -max-draws generated
// rows, the file holds those that did and a warning says so.
//
// # Demos
//
// Without -labelled and -unlabelled the command first writes demo files
// into -out/demo (real_data.csv, unlabelled_data.csv, test_data.csv)
// and then runs on them. -demo mnist (the default) takes 10 labelled
// MNIST digits per class chosen with the seed, 10,000 unlabelled training
// digits and the first 2,000 test digits, as pixel rows 0..255 with
// header x0..x783,label, and reads them with -shape 1x28x28 -scale 255.
// -demo tabular draws four Gaussian classes in 10 dimensions, which
// differ in 3 latent directions only (the other 7 are noise), mixed by a
// random rotation and given unequal scales and offsets: 20 labelled rows
// per class, 4,000 unlabelled rows and 2,000 test rows (-demo-labels,
// -demo-unlabelled and -demo-test change the sizes). The best possible
// accuracy on it is about 96.7%; the nearest class mean of the 20
// labelled rows per class gets about 96%, linear discriminant analysis
// of them about 95%.
//
// Tabular rows are trained without random shifts: sgan applies them only
// to examples with more than one row and column.
package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/internal/atomicfile"
	"github.com/semigan/semigan/sgan"
	"github.com/semigan/semigan/sgan/sganplot"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "csv:", err)
		os.Exit(1)
	}
}

// shape is a C×H×W example shape; the zero value means "1×1×F".
type shape struct{ C, H, W int }

func (s shape) set() bool      { return s.C > 0 }
func (s shape) image() bool    { return s.H > 1 || s.W > 1 }
func (s shape) size() int      { return s.C * s.H * s.W }
func (s shape) String() string { return fmt.Sprintf("%dx%dx%d", s.C, s.H, s.W) }

// parseShape parses "CxHxW" or "HxW" (one channel).
func parseShape(v string) (shape, error) {
	bad := fmt.Errorf("-shape %q: want CxHxW with positive integers, such as 1x28x28 (or 1x1xF for tabular rows)", v)
	parts := strings.FieldsFunc(strings.ToLower(v), func(r rune) bool { return r == 'x' || r == '×' })
	if len(parts) < 2 || len(parts) > 3 || strings.Count(strings.ToLower(v), "x")+strings.Count(v, "×") != len(parts)-1 {
		return shape{}, bad
	}
	var n []int
	for _, p := range parts {
		k, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || k <= 0 {
			return shape{}, bad
		}
		n = append(n, k)
	}
	if len(n) == 2 {
		n = append([]int{1}, n...)
	}
	return shape{n[0], n[1], n[2]}, nil
}

// parseScale parses -scale; "" is the automatic choice.
func parseScale(v string) (sc datasets.Scale, auto bool, err error) {
	switch strings.ToLower(v) {
	case "":
		return datasets.ScaleNone, true, nil
	case "255":
		return datasets.Scale255, false, nil
	case "01", "0-1", "1":
		return datasets.Scale01, false, nil
	case "none":
		return datasets.ScaleNone, false, nil
	}
	return 0, false, fmt.Errorf("-scale %q: want 255 (pixels 0..255), 01 (values in 0..1) or none (values as they are, min-max scaled to [-1, 1])", v)
}

type options struct {
	labelled, unlabelled, test string
	labelColumn                string
	shapeFlag, scaleFlag       string
	out                        string
	seed                       uint64
	epochs                     int
	duration                   time.Duration
	batch                      int
	perClass                   int
	minConf                    float64
	maxDraws                   int
	arch                       string
	cond                       bool
	baseline                   bool
	noBar                      bool
	demo                       string
	demoLabels                 int
	demoUnlabelled             int
	demoTest                   int

	shape     shape
	scale     datasets.Scale
	autoScale bool
}

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("csv", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.labelled, "labelled", "", "CSV file of labelled rows: feature columns and a label column")
	fs.StringVar(&o.unlabelled, "unlabelled", "", "CSV file of unlabelled rows: the same feature columns, no label")
	fs.StringVar(&o.test, "test", "", "optional CSV file of labelled test rows, laid out like -labelled, for reporting accuracy")
	fs.StringVar(&o.labelColumn, "label-column", "label", "header name of the label column, or its 0-based index (for files without a header)")
	fs.StringVar(&o.shapeFlag, "shape", "", "shape CxHxW of a row's features, such as 1x28x28 for image rows (default 1x1xF: tabular)")
	fs.StringVar(&o.scaleFlag, "scale", "", "feature values: 255 (pixels 0..255), 01 (values in 0..1) or none (as they are, then min-max scaled to [-1, 1]); default none for tabular rows, 255 with an image -shape")
	fs.StringVar(&o.out, "out", "out-csv", "directory for model.ckpt, metrics.csv, predictions.csv, synthetic_data.csv")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of every random choice (demo data, initialisation, batches, noise, synthetic rows)")
	fs.IntVar(&o.epochs, "epochs", 100, "passes over the unlabelled rows (training also stops at -duration)")
	fs.DurationVar(&o.duration, "duration", 3*time.Minute, "wall-clock cap on training (0: none); the learning rate decays over whichever of -epochs and -duration runs out first")
	fs.StringVar(&o.arch, "arch", "", "discriminator: conv or mlp (default conv for images; rows smaller than 5x5, such as tabular rows, always get mlp)")
	fs.IntVar(&o.batch, "batch", 100, "batch size (labelled, unlabelled and generated, each)")
	fs.IntVar(&o.perClass, "per-class", 100, "synthetic rows to write per class")
	fs.Float64Var(&o.minConf, "min-confidence", 0, "classifier probability a synthetic row needs to be kept (0: 0.9; negative: keep every row)")
	fs.IntVar(&o.maxDraws, "max-draws", 0, "most rows to generate while looking for -per-class confident rows of every class (0: 50 × per-class × classes)")
	fs.BoolVar(&o.cond, "conditional", false, "class-conditional generator: synthetic rows are generated for each class")
	fs.BoolVar(&o.baseline, "baseline", false, "train the classifier on the labelled rows alone (no GAN, no synthetic rows), for comparison")
	fs.BoolVar(&o.noBar, "no-bar", false, "no progress bar, only one line per epoch")
	fs.StringVar(&o.demo, "demo", "", "without -labelled/-unlabelled: the demo data to write and use, mnist (default) or tabular")
	fs.IntVar(&o.demoLabels, "demo-labels", 0, "demo: labelled rows per class (0: 10 for mnist, 20 for tabular)")
	fs.IntVar(&o.demoUnlabelled, "demo-unlabelled", 0, "demo: unlabelled rows (0: 10000 for mnist, 4000 for tabular)")
	fs.IntVar(&o.demoTest, "demo-test", 0, "demo: test rows (0: 2000)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var err error
	if o.shapeFlag != "" {
		if o.shape, err = parseShape(o.shapeFlag); err != nil {
			return o, err
		}
	}
	if o.scale, o.autoScale, err = parseScale(o.scaleFlag); err != nil {
		return o, err
	}
	switch {
	case (o.labelled == "") != (o.unlabelled == ""):
		return o, errors.New("give both -labelled and -unlabelled, or neither for the demo")
	case o.labelled != "" && o.demo != "":
		return o, errors.New("-demo writes its own data: leave out -labelled and -unlabelled")
	case o.labelled == "" && o.test != "":
		return o, errors.New("-test needs -labelled and -unlabelled (the demo writes its own test file)")
	}
	switch o.demo {
	case "", "mnist", "tabular":
	default:
		return o, fmt.Errorf("-demo %q: want mnist or tabular", o.demo)
	}
	if o.demoLabels < 0 || o.demoUnlabelled < 0 || o.demoTest < 0 {
		return o, errors.New("-demo-labels, -demo-unlabelled and -demo-test must not be negative")
	}
	if i, err := strconv.Atoi(o.labelColumn); err == nil && i < 0 {
		return o, fmt.Errorf("-label-column %d: a column index must not be negative", i)
	}
	if strings.TrimSpace(o.labelColumn) == "" {
		return o, errors.New("-label-column is empty")
	}
	switch o.arch {
	case "", "mlp", "conv":
	default:
		return o, fmt.Errorf("-arch %q: want conv or mlp", o.arch)
	}
	if o.maxDraws < 0 {
		return o, fmt.Errorf("-max-draws %d: must not be negative", o.maxDraws)
	}
	if o.perClass <= 0 {
		return o, fmt.Errorf("-per-class %d: need a positive number", o.perClass)
	}
	if o.minConf >= 1 {
		return o, fmt.Errorf("-min-confidence %g: must be below 1", o.minConf)
	}
	if o.batch <= 0 || o.epochs <= 0 || o.duration < 0 {
		return o, fmt.Errorf("-batch %d, -epochs %d, -duration %v: need positive batch and epochs and a non-negative duration", o.batch, o.epochs, o.duration)
	}
	if o.baseline && o.cond {
		return o, errors.New("-baseline and -conditional exclude each other: the baseline has no generator")
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	start := time.Now()
	if o.labelled == "" {
		if err := writeDemo(&o, stdout); err != nil {
			return err
		}
	}
	if o.autoScale && o.shape.set() && o.shape.image() {
		o.scale = datasets.Scale255
	}

	in, err := load(o, stderr)
	if err != nil {
		return err
	}
	lab, unl, test := in.lab, in.unl, in.test
	F, K := lab.Features(), lab.Classes
	fmt.Fprintf(stdout, "labelled:   %s: %d rows, %d features, %d classes (rows per class %v)\n", o.labelled, lab.Len(), F, K, lab.ClassCounts())
	fmt.Fprintf(stdout, "unlabelled: %s: %d rows\n", o.unlabelled, unl.Len())
	if test != nil {
		fmt.Fprintf(stdout, "test:       %s: %d rows\n", o.test, test.Len())
	}

	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	var scaler *datasets.RangeScaler
	scalerPath := filepath.Join(o.out, "scaler.csv")
	if o.scale == datasets.ScaleNone {
		if scaler, err = datasets.FitRangeScaler(lab, unl); err != nil {
			return err
		}
		for _, s := range []*datasets.Set{lab, unl, test} {
			if s == nil {
				continue
			}
			if err := scaler.Apply(s); err != nil {
				return err
			}
		}
		if err := writeScaler(scalerPath, scaler, in.featureNames()); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "shape %dx%dx%d, scale none: each feature min-max scaled to [-1, 1] over the %d labelled and unlabelled rows\n",
			lab.C, lab.H, lab.W, lab.Len()+unl.Len())
	} else {
		fmt.Fprintf(stdout, "shape %dx%dx%d, scale %s\n", lab.C, lab.H, lab.W, map[datasets.Scale]string{datasets.Scale255: "255", datasets.Scale01: "01"}[o.scale])
	}

	cfg := sgan.Config{
		Classes:        K,
		Channels:       lab.C,
		Height:         lab.H,
		Width:          lab.W,
		Epochs:         o.epochs,
		Duration:       o.duration,
		BatchSize:      o.batch,
		Seed:           o.seed,
		Conditional:    o.cond,
		SupervisedOnly: o.baseline,
	}
	cfg.Arch = sgan.Arch(o.arch)
	if lab.H < 5 || lab.W < 5 {
		cfg.Arch = sgan.ArchMLP // what ArchConv falls back to for such small examples
	}
	m, err := sgan.New(cfg)
	if err != nil {
		return err
	}
	c := m.Config()
	fmt.Fprintf(stdout, "arch %s, batch %d, up to %d epochs / %v, seed %d, supervised only %v, conditional %v\n",
		c.Arch, c.BatchSize, c.Epochs, c.Duration, c.Seed, c.SupervisedOnly, c.Conditional)

	metricsPath := filepath.Join(o.out, "metrics.csv")
	mf, err := os.Create(metricsPath)
	if err != nil {
		return err
	}
	defer mf.Close()
	hist, err := m.Fit(ctx, lab, unl, test, &sgan.Printer{W: stderr, NoBar: o.noBar}, &sgan.CSVWriter{W: mf})
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	if err := mf.Close(); err != nil {
		return err
	}
	if len(hist.Epochs) > 0 {
		if err := sganplot.SaveCurves(filepath.Join(o.out, "curves.png"), hist, sganplot.Options{Title: "semi-supervised training on " + filepath.Base(o.labelled)}); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "trained %d epochs (%d steps) in %v\n", len(hist.Epochs), m.Steps(), hist.Last().Elapsed.Round(100*time.Millisecond))
	ckptPath := filepath.Join(o.out, "model.ckpt")
	if err := m.Save(ckptPath); err != nil {
		return err
	}
	if test != nil {
		met, err := m.Evaluate(test)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "test accuracy: %.4f (%d errors of %d)\n", met.Accuracy, met.Errors, met.N)
	}

	predPath := filepath.Join(o.out, "predictions.csv")
	if err := writePredictions(predPath, m, unl); err != nil {
		return err
	}
	written := []string{ckptPath, metricsPath, predPath + fmt.Sprintf(" (%d rows)", unl.Len())}

	if !c.SupervisedOnly {
		synPath := filepath.Join(o.out, "synthetic_data.csv")
		syn, err := m.Synthesize(o.perClass, sgan.SynthOptions{MinConfidence: o.minConf, MaxDraws: o.maxDraws}, nil)
		var se *sgan.SynthesisError
		switch {
		case errors.As(err, &se):
			fmt.Fprintf(stderr, "warning: %v\n", err)
		case err != nil:
			return err
		}
		if err := writeSynthetic(synPath, syn, scaler, o.scale, in.layout); err != nil {
			return err
		}
		counts := syn.ClassCounts()
		fmt.Fprintf(stdout, "synthetic rows per class: %v (%d rows, %d wanted per class)\n", counts, syn.Len(), o.perClass)
		written = append(written, synPath+fmt.Sprintf(" (%d rows)", syn.Len()))
	} else {
		fmt.Fprintln(stdout, "no synthetic rows: the -baseline model has no generator")
	}
	if scaler != nil {
		written = append(written, scalerPath)
	}
	fmt.Fprintln(stdout, "wrote:")
	for _, p := range written {
		fmt.Fprintln(stdout, "  "+p)
	}
	fmt.Fprintf(stdout, "done in %v\n", time.Since(start).Round(100*time.Millisecond))
	return nil
}

// layout is the column layout of the labelled file.
type layout struct {
	header   []string // nil when the file has no header row
	labelCol int      // 0-based index of the label column
	ncols    int
}

type inputs struct {
	lab, unl, test *datasets.Set
	layout         layout
}

// featureNames returns the names of the feature columns: the header's,
// or "x0", "x1", … when there is none.
func (in *inputs) featureNames() []string {
	var names []string
	for j := range in.layout.ncols {
		if j == in.layout.labelCol {
			continue
		}
		if in.layout.header != nil {
			names = append(names, in.layout.header[j])
		} else {
			names = append(names, "x"+strconv.Itoa(len(names)))
		}
	}
	return names
}

// load reads the three files and checks that they agree.
func load(o options, stderr io.Writer) (*inputs, error) {
	labOpts := datasets.CSVOptions{DetectHeader: true, Scale: o.scale}
	if i, err := strconv.Atoi(o.labelColumn); err == nil {
		labOpts.LabelColumn = i
	} else {
		labOpts.LabelName = o.labelColumn
	}
	lab, err := datasets.LoadCSV(o.labelled, labOpts)
	if err != nil {
		return nil, err
	}
	first, err := firstRow(o.labelled)
	if err != nil {
		return nil, err
	}
	in := &inputs{lab: lab, layout: layout{labelCol: labOpts.LabelColumn, ncols: len(first)}}
	if !allNumbers(first) {
		in.layout.header = first
		if labOpts.LabelName != "" {
			in.layout.labelCol = slices.Index(first, labOpts.LabelName)
		}
	}
	F := lab.Features()
	if lab.Classes < 2 {
		return nil, fmt.Errorf("%s: the labels span %d class(es); need at least 2", o.labelled, lab.Classes)
	}
	for k, n := range lab.ClassCounts() {
		if n == 0 {
			fmt.Fprintf(stderr, "warning: %s has no row of class %d (labels run 0..%d)\n", o.labelled, k, lab.Classes-1)
		}
	}

	unl, err := datasets.LoadCSV(o.unlabelled, datasets.CSVOptions{DetectHeader: true, LabelColumn: -1, Scale: o.scale})
	if err != nil {
		return nil, err
	}
	if unl.Features() != F {
		msg := fmt.Sprintf("%s has %d columns, but %s has %d feature columns besides its label column: the unlabelled file needs the same feature columns, without the label",
			o.unlabelled, unl.Features(), o.labelled, F)
		if ufirst, err := firstRow(o.unlabelled); err == nil && labOpts.LabelName != "" && slices.Contains(ufirst, labOpts.LabelName) {
			msg += fmt.Sprintf(" (it has a column named %q)", labOpts.LabelName)
		}
		return nil, errors.New(msg)
	}
	if in.layout.header != nil {
		if ufirst, err := firstRow(o.unlabelled); err == nil && !allNumbers(ufirst) {
			names := in.featureNames()
			for j := range names {
				if names[j] != ufirst[j] {
					fmt.Fprintf(stderr, "warning: column %d is %q in %s but %q in %s; columns are matched by position\n",
						j+1, ufirst[j], o.unlabelled, names[j], o.labelled)
					break
				}
			}
		}
	}
	in.unl = unl

	if o.test != "" {
		testOpts := labOpts
		testOpts.Classes = lab.Classes
		if in.test, err = datasets.LoadCSV(o.test, testOpts); err != nil {
			return nil, err
		}
		if in.test.Features() != F {
			return nil, fmt.Errorf("%s has %d feature columns, but %s has %d: the test file needs the layout of the labelled one",
				o.test, in.test.Features(), o.labelled, F)
		}
	}

	sh := shape{1, 1, F}
	if o.shape.set() {
		if o.shape.size() != F {
			return nil, fmt.Errorf("-shape %v needs %d features, but %s has %d feature columns", o.shape, o.shape.size(), o.labelled, F)
		}
		sh = o.shape
	}
	for _, s := range []*datasets.Set{in.lab, in.unl, in.test} {
		if s != nil {
			s.C, s.H, s.W = sh.C, sh.H, sh.W
		}
	}
	return in, nil
}

// firstRow returns the cells of the first row of a CSV file, as
// datasets.LoadCSV sees it.
func firstRow(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	rec, err := r.Read()
	if err != nil {
		// LoadCSV reports it, naming the row
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	rec[0] = strings.TrimPrefix(rec[0], "\ufeff")
	for j := range rec {
		rec[j] = strings.TrimSpace(rec[j])
	}
	return rec, nil
}

// allNumbers reports whether every cell parses as a number (a data row,
// not a header), as datasets.LoadCSV decides.
func allNumbers(rec []string) bool {
	for _, cell := range rec {
		if _, err := strconv.ParseFloat(strings.TrimSpace(cell), 64); err != nil {
			return false
		}
	}
	return true
}

// writePredictions writes the classifier's predictions for the rows of unl.
func writePredictions(path string, m *sgan.Model, unl *datasets.Set) error {
	p, err := m.PredictProba(unl.Data)
	if err != nil {
		return err
	}
	K := m.Config().Classes
	return atomicfile.Write(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		row := []string{"row", "predicted", "probability"}
		for k := range K {
			row = append(row, "p"+strconv.Itoa(k))
		}
		if err := cw.Write(row); err != nil {
			return err
		}
		f := func(v float32) string { return strconv.FormatFloat(float64(v), 'f', 6, 32) }
		for i := range unl.Len() {
			pi := p[i*K : (i+1)*K]
			best := 0
			for k := range pi {
				if pi[k] > pi[best] {
					best = k
				}
			}
			row = append(row[:0], strconv.Itoa(i), strconv.Itoa(best), f(pi[best]))
			for _, v := range pi {
				row = append(row, f(v))
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	})
}

// writeSynthetic writes the generated set syn (values in [-1, 1]) in the
// layout and units of the labelled file.
func writeSynthetic(path string, syn *datasets.Set, scaler *datasets.RangeScaler, sc datasets.Scale, lay layout) error {
	syn = syn.Subset(seq(syn.Len())) // a copy, to map back
	syn.C, syn.H, syn.W = 1, 1, syn.Features()
	switch {
	case scaler != nil:
		if err := scaler.Invert(syn); err != nil {
			return err
		}
	case sc == datasets.Scale255:
		for i, v := range syn.Data {
			syn.Data[i] = datasets.PixelValue(datasets.PixelByte(v)) // whole pixel values
		}
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		if lay.header != nil {
			cw := csv.NewWriter(w)
			if err := cw.Write(lay.header); err != nil {
				return err
			}
			cw.Flush()
			if err := cw.Error(); err != nil {
				return err
			}
		}
		return datasets.WriteCSV(w, syn, datasets.CSVOptions{LabelColumn: lay.labelCol, Scale: sc})
	})
}

// writeScaler writes each feature's name and fitted range.
func writeScaler(path string, r *datasets.RangeScaler, names []string) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		cw.Write([]string{"column", "min", "max"})
		for j := range r.Min {
			cw.Write([]string{names[j], strconv.FormatFloat(float64(r.Min[j]), 'g', -1, 32), strconv.FormatFloat(float64(r.Max[j]), 'g', -1, 32)})
		}
		cw.Flush()
		return cw.Error()
	})
}

func seq(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}
