// Command mnist100 trains semigan's semi-supervised GAN on MNIST with 100
// labels (10 per class, chosen with the seed) and the other 59,900
// training images unlabelled, reports the accuracy on the 10,000 test
// images after every epoch, and writes into -out: the checkpoint
// (model.ckpt), the per-epoch metrics (metrics.csv), a plot of the test
// accuracy and the losses (curves.png) and a grid of generated digits
// (samples.png; one class per column with -conditional).
//
//	go run ./examples/mnist100                 # the default recipe
//	go run ./examples/mnist100 -baseline -out out-baseline   # the classifier on the 100 labels alone
//	go run ./examples/mnist100 -duration 30m -epochs 40 -out out-30m
//	go run ./examples/mnist100 -resume out/model.ckpt -epochs 20
//
// A run whose -out already holds a model.ckpt stops before training,
// unless it resumes that model (-resume) or may replace it (-force); so
// does one whose -out another run is writing. An interrupt (Ctrl-C)
// saves the model so far (nothing, before the first step) and exits with
// status 130; -resume continues it exactly.
// The last line printed is "final test accuracy: 0.XXXX (N errors of M)".
package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"time"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/examples/internal/command"
	"github.com/semigan/semigan/examples/internal/recipeflags"
	"github.com/semigan/semigan/layers"
	"github.com/semigan/semigan/sgan"
	"github.com/semigan/semigan/sgan/rundir"
	"github.com/semigan/semigan/sgan/sganplot"
)

func main() { command.Main("mnist100", run) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	train, test, err := datasets.LoadMNIST(o.data)
	if err != nil {
		return err
	}
	if o.test > 0 && o.test < test.Len() {
		test = test.Head(o.test)
	}
	var tr *sgan.Trainer
	if o.resume != "" {
		if tr, err = sgan.LoadTrainer(o.resume); err != nil {
			return err
		}
		o.seed = tr.Config().Seed // the labelled split of the first run
	}
	splitRng := rand.New(rand.NewPCG(o.seed, sgan.StreamSplit))
	lab, unl, err := train.Split(o.labels/10, splitRng, datasets.SplitOptions{KeepLabelled: true})
	if err != nil {
		return err
	}
	if o.unlabelled > 0 && o.unlabelled < unl.Len() {
		unl = unl.Head(o.unlabelled)
	}
	if err := command.Interrupted(ctx, nil, nil, "", nil); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "semigan mnist100: %d labelled, %d unlabelled, %d test images; seed %d; BLAS %s\n",
		lab.Len(), unl.Len(), test.Len(), o.seed, layers.BLASName())

	if tr != nil {
		b := tr.Config().Budget
		b.Epochs, b.Duration = o.epochs, o.duration
		if err := tr.SetBudget(b); err != nil {
			return err
		}
		// Refused before the run directory is touched (issue 24, row 8).
		if c := tr.Model().Config(); c.Channels != train.C || c.Height != train.H || c.Width != train.W || c.Classes != train.Classes {
			return fmt.Errorf("-resume %s: the model takes %d×%d×%d images of %d classes, the data has %d×%d×%d images of %d classes",
				o.resume, c.Channels, c.Height, c.Width, c.Classes, train.C, train.H, train.W, train.Classes)
		}
		fmt.Fprintf(stdout, "resumed from %s at step %d\n", o.resume, tr.Steps())
	} else {
		mc := sgan.DefaultModelConfig()
		mc.Seed, mc.SupervisedOnly, mc.Conditional = o.seed, o.baseline, o.cond
		if o.arch != "" {
			mc.Arch = sgan.Arch(o.arch)
		}
		mc, tc := o.recipe.Configs(mc)
		tc.BatchSize = o.batch
		tc.Budget.Epochs, tc.Budget.Duration = o.epochs, o.duration
		if tr, err = command.NewTrainer(mc, tc); err != nil {
			return err
		}
	}
	m, c := tr.Model(), tr.Model().Config()
	fmt.Fprintln(stdout, recipeflags.Describe(c, tr.Config()))
	// A step that needs more than the memory available is refused before
	// training (issue 24, row 14: -batch 4000 takes 5.2 GB a step).
	step := c.StepBytes(tr.Config().BatchSize)
	if err := command.CheckMemory(fmt.Sprintf("a training step at batch %d and the data", tr.Config().BatchSize), step+float64(train.Len()+test.Len())*float64(train.Features())); err != nil {
		return err
	}

	title := fmt.Sprintf("mnist100, %d labels, seed %d", lab.Len(), o.seed)
	targets := []float64{95, 97, 98} // MNIST's milestones
	if o.data != "" {
		title = fmt.Sprintf("mnist100 on %s, %d labels, seed %d", filepath.Base(filepath.Clean(o.data)), lab.Len(), o.seed)
		targets = nil
	}
	if c.SupervisedOnly {
		title += ", supervised only"
	}
	run, err := command.OpenRun(o.out, tr, rundir.Options{Progress: stderr, NoBar: o.noBar, Resume: o.resume != "", ResumeFrom: o.resume, Overwrite: o.force,
		Curves: sganplot.Options{Title: title, Targets: targets}},
		fmt.Sprintf("continue it with -resume %s, replace it with -force, or choose another -out", filepath.Join(o.out, rundir.CheckpointFile)))
	if err != nil {
		return err
	}
	if err := run.SaveLabelled(lab); err != nil {
		run.Abort()
		return err
	}
	hist, err := run.Fit(ctx, lab, unl, test)
	if err != nil {
		return err
	}
	ckpt := run.Path(rundir.CheckpointFile)
	if err := command.Interrupted(ctx, run, tr, fmt.Sprintf(" (continue with -resume %s)", ckpt), nil); err != nil {
		return err
	}
	written := []string{ckpt, run.Path(rundir.MetricsFile), run.Path(rundir.CurvesFile), run.Path(rundir.LabelledFile)}
	if !c.SupervisedOnly {
		imgs, err := m.Generate(100, rand.New(rand.NewPCG(o.seed, 99)))
		if err != nil {
			return err
		}
		samples := run.Path("samples.png")
		if err := datasets.SavePNGGrid(samples, imgs, 100, c.Channels, c.Height, c.Width, 10); err != nil {
			return err
		}
		written = append(written, samples)
	}
	met, err := m.Evaluate(test)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s\n", strings.Join(written, ", "))
	fmt.Fprintf(stdout, "for other runtimes (ONNX): go run ./examples/export -ckpt %s\n", ckpt)
	fmt.Fprintf(stdout, "trained %d epochs (%d steps) in %v\n", len(hist.Epochs), tr.Steps(), hist.Last().Elapsed.Round(time.Second))
	fmt.Fprintf(stdout, "final test accuracy: %.4f (%d errors of %d)\n", met.Accuracy, met.Errors, met.N)
	return nil
}
