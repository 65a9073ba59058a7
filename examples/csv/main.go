package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/examples/internal/command"
	"github.com/semigan/semigan/examples/internal/recipeflags"
	"github.com/semigan/semigan/sgan"
	"github.com/semigan/semigan/sgan/rundir"
	"github.com/semigan/semigan/sgan/sganplot"
)

func main() { command.Main("csv", run) }

type options struct {
	labelled, unlabelled, test, labelColumn, shapeFlag, scaleFlag, out, arch, demo string
	seed                                                                           uint64
	epochs, batch, perClass, maxDraws, demoLabels, demoUnlabelled, demoTest        int
	duration                                                                       time.Duration
	minConf                                                                        float64
	cond, baseline, noBar, force                                                   bool
	classes                                                                        int

	recipe    *recipeflags.Flags
	shape     shape
	scale     datasets.Scale
	autoScale bool // no -scale: 255 for image rows, else none
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
	fs.IntVar(&o.epochs, "epochs", 100, "epochs: passes over the unlabelled rows, several per epoch where -min-steps asks for more steps (training also stops at -duration)")
	fs.DurationVar(&o.duration, "duration", 3*time.Minute, "wall-clock cap on training (0: none); the learning rate decays over whichever of -epochs and -duration runs out first")
	fs.StringVar(&o.arch, "arch", "", "discriminator: conv or mlp (default conv for images; rows smaller than 5x5, such as tabular rows, always get mlp)")
	fs.IntVar(&o.batch, "batch", 100, "batch size (labelled, unlabelled and generated, each)")
	fs.IntVar(&o.perClass, "per-class", 100, "synthetic rows to write per class")
	fs.Float64Var(&o.minConf, "min-confidence", 0, "classifier probability a synthetic row needs to be kept (0: 0.9; negative: keep every row)")
	fs.IntVar(&o.maxDraws, "max-draws", 0, "most rows to generate while looking for -per-class confident rows of every class (0: 50 × per-class × classes, at most 5,000,000)")
	fs.BoolVar(&o.cond, "conditional", false, "class-conditional generator: synthetic rows are generated for each class")
	fs.BoolVar(&o.baseline, "baseline", false, "train the classifier on the labelled rows alone (no GAN, no synthetic rows), for comparison")
	fs.BoolVar(&o.noBar, "no-bar", false, "no progress bar, only one line per epoch")
	fs.BoolVar(&o.force, "force", false, "let this run replace the model.ckpt of an earlier run in -out (without it, such a run stops before training)")
	fs.IntVar(&o.classes, "classes", 0, "number of classes (0: the largest label + 1, refused when far above the number of distinct labels)")
	fs.StringVar(&o.demo, "demo", "", "without -labelled/-unlabelled: the demo data to write and use, mnist (default) or tabular")
	fs.IntVar(&o.demoLabels, "demo-labels", 0, "demo: labelled rows per class (0: 10 for mnist, 20 for tabular)")
	fs.IntVar(&o.demoUnlabelled, "demo-unlabelled", 0, "demo: unlabelled rows (0: 10000 for mnist, 4000 for tabular)")
	fs.IntVar(&o.demoTest, "demo-test", 0, "demo: test rows (0: 2000)")
	o.recipe = recipeflags.Register(fs)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var err error
	if o.shapeFlag != "" {
		if o.shape.C, o.shape.H, o.shape.W, err = datasets.ParseShape(o.shapeFlag); err != nil {
			return o, fmt.Errorf("-shape %q: want CxHxW with positive integers, such as 1x28x28 (or 1x1xF for tabular rows)", o.shapeFlag)
		}
	}
	if o.autoScale = o.scaleFlag == ""; !o.autoScale {
		if o.scaleFlag == "1" {
			o.scaleFlag = "01" // accepted before datasets.ParseScale was
		}
		if o.scale, err = datasets.ParseScale(o.scaleFlag); err != nil {
			return o, fmt.Errorf("-scale %q: want 255 (pixels 0..255), 01 (values in 0..1) or none (values as they are, min-max scaled to [-1, 1])", o.scaleFlag)
		}
	} else {
		o.scale = datasets.ScaleNone
	}
	i, atoiErr := strconv.Atoi(o.labelColumn)
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	case (o.labelled == "") != (o.unlabelled == ""):
		return o, errors.New("give both -labelled and -unlabelled, or neither for the demo")
	case o.labelled != "" && o.demo != "":
		return o, errors.New("-demo writes its own data: leave out -labelled and -unlabelled")
	case o.labelled == "" && o.test != "":
		return o, errors.New("-test needs -labelled and -unlabelled (the demo writes its own test file)")
	case o.demo != "" && o.demo != "mnist" && o.demo != "tabular":
		return o, fmt.Errorf("-demo %q: want mnist or tabular", o.demo)
	case o.demoLabels < 0 || o.demoUnlabelled < 0 || o.demoTest < 0:
		return o, errors.New("-demo-labels, -demo-unlabelled and -demo-test must not be negative")
	case atoiErr == nil && i < 0:
		return o, fmt.Errorf("-label-column %d: a column index must not be negative", i)
	case strings.TrimSpace(o.labelColumn) == "":
		return o, errors.New("-label-column is empty")
	case o.arch != "" && o.arch != "mlp" && o.arch != "conv":
		return o, fmt.Errorf("-arch %q: want conv or mlp", o.arch)
	case o.maxDraws < 0:
		return o, fmt.Errorf("-max-draws %d: must not be negative", o.maxDraws)
	case o.perClass <= 0:
		return o, fmt.Errorf("-per-class %d: need a positive number", o.perClass)
	case o.minConf >= 1:
		return o, fmt.Errorf("-min-confidence %g: must be below 1", o.minConf)
	case o.classes < 0 || o.classes > datasets.MaxClasses:
		return o, fmt.Errorf("-classes %d: want 0 (from the labels) up to %d", o.classes, datasets.MaxClasses)
	case o.batch <= 0 || o.epochs <= 0 || o.duration < 0:
		return o, fmt.Errorf("-batch %d, -epochs %d, -duration %v: need positive batch and epochs and a non-negative duration", o.batch, o.epochs, o.duration)
	case o.baseline && o.cond:
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
	lab, unl, test, err := load(o, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "labelled:   %s: %d rows, %d features, %d classes (rows per class %v)\n", o.labelled, lab.Len(), lab.Features(), lab.Classes, lab.ClassCounts())
	fmt.Fprintf(stdout, "unlabelled: %s: %d rows\n", o.unlabelled, unl.Len())
	if test != nil {
		fmt.Fprintf(stdout, "test:       %s: %d rows\n", o.test, test.Len())
	}
	if err := sizeSynthesis(&o, lab.Classes); err != nil {
		return err
	}
	var scaler *datasets.RangeScaler
	path := func(name string) string { return filepath.Join(o.out, name) }
	if o.scale == datasets.ScaleNone {
		if scaler, err = datasets.FitRangeScaler(lab, unl); err != nil {
			return err
		}
		warnOutliers(stderr, o, lab, unl)
		for _, s := range slices.DeleteFunc([]*datasets.Set{lab, unl, test}, func(s *datasets.Set) bool { return s == nil }) {
			if err := scaler.Apply(s); err != nil {
				return err
			}
		}
		fmt.Fprintf(stdout, "shape %dx%dx%d, scale none: each feature min-max scaled to [-1, 1] over the %d labelled and unlabelled rows\n", lab.C, lab.H, lab.W, lab.Len()+unl.Len())
	} else {
		fmt.Fprintf(stdout, "shape %dx%dx%d, scale %s\n", lab.C, lab.H, lab.W, map[datasets.Scale]string{datasets.Scale255: "255", datasets.Scale01: "01"}[o.scale])
	}

	mc := sgan.DefaultModelConfig()
	mc.Classes, mc.Channels, mc.Height, mc.Width = lab.Classes, lab.C, lab.H, lab.W
	mc.Seed, mc.Conditional, mc.SupervisedOnly = o.seed, o.cond, o.baseline
	if o.arch != "" {
		mc.Arch = sgan.Arch(o.arch)
	}
	if lab.H < 5 || lab.W < 5 {
		mc.Arch = sgan.ArchMLP // what ArchConv falls back to for such small examples
	}
	mc, tc := o.recipe.Configs(mc)
	tc.BatchSize = o.batch
	tc.Budget.Epochs, tc.Budget.Duration = o.epochs, o.duration
	tr, err := command.NewTrainer(mc, tc)
	if err != nil {
		return err
	}
	m, c := tr.Model(), tr.Model().Config()
	fmt.Fprintln(stdout, recipeflags.Describe(c, tr.Config()))
	run, err := command.OpenRun(o.out, tr, rundir.Options{Progress: stderr, NoBar: o.noBar, Overwrite: o.force,
		Curves: sganplot.Options{Title: "semi-supervised training on " + filepath.Base(o.labelled)}},
		"replace it with -force, or choose another -out")
	if err != nil {
		return err
	}
	if scaler != nil {
		// written with the model's first epoch, never beside an earlier
		// run's model (issue 24, row 7)
		if err := run.WriteWithModel("scaler.csv", func(w io.Writer) error { return datasets.WriteRangeScaler(w, scaler) }); err != nil {
			run.Abort()
			return err
		}
	}
	hist, err := run.Fit(ctx, lab, unl, test)
	if err != nil {
		return err
	}
	if err := command.Interrupted(ctx, run, tr, "", nil); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "trained %d epochs (%d steps) in %v\n", len(hist.Epochs), tr.Steps(), hist.Last().Elapsed.Round(100*time.Millisecond))
	if test != nil {
		met, err := m.Evaluate(test)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "test accuracy: %.4f (%d errors of %d)\n", met.Accuracy, met.Errors, met.N)
	}
	p, err := m.PredictProbaSet(unl)
	if err != nil {
		return err
	}
	if err := datasets.SavePredictions(path("predictions.csv"), p, c.Classes); err != nil {
		return err
	}
	written := []string{path("model.ckpt"), path("metrics.csv"), path("predictions.csv") + fmt.Sprintf(" (%d rows)", unl.Len())}

	if !c.SupervisedOnly {
		syn, err := command.Synthesize(m, o.perClass, sgan.SynthOptions{MinConfidence: o.minConf, MaxDraws: o.maxDraws}, nil, stderr,
			lab.ClassNames, "lower -min-confidence or raise -max-draws")
		if err != nil {
			return err
		}
		if err := writeSynthetic(path("synthetic_data.csv"), syn, lab.Columns, scaler, o.scale); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "synthetic rows per class: %v (%d rows, %d wanted per class)\n", syn.ClassCounts(), syn.Len(), o.perClass)
		written = append(written, path("synthetic_data.csv")+fmt.Sprintf(" (%d rows)", syn.Len()))
	} else {
		fmt.Fprintln(stdout, "no synthetic rows: the -baseline model has no generator")
	}
	if scaler != nil {
		written = append(written, path("scaler.csv"))
	}
	fmt.Fprintf(stdout, "wrote:\n  %s\nfor other runtimes (ONNX; inputs scaled as scaler.csv says): go run ./examples/export -ckpt %s\n", strings.Join(written, "\n  "), path("model.ckpt"))
	fmt.Fprintf(stdout, "done in %v\n", time.Since(start).Round(100*time.Millisecond))
	return nil
}
