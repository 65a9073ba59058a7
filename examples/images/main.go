package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/examples/internal/command"
	"github.com/semigan/semigan/examples/internal/recipeflags"
	"github.com/semigan/semigan/sgan"
	"github.com/semigan/semigan/sgan/rundir"
	"github.com/semigan/semigan/sgan/sganplot"
)

type options struct {
	labelled, unlabelled, test, out, demo, sizeFlag string
	cache                                           string
	channels, synthetic, labelNext, batch, epochs   int
	demoUnlabelled, demoTest                        int
	seed                                            uint64
	duration                                        time.Duration
	skipBad, force, noBar, baseline                 bool
	size                                            image.Point
	recipe                                          *recipeflags.Flags
}

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("images", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.labelled, "labelled", "", "folder of labelled images: one subfolder per class, named after the class")
	fs.StringVar(&o.unlabelled, "unlabelled", "", "folder of unlabelled images (subfolders included)")
	fs.StringVar(&o.test, "test", "", "optional folder of test images, laid out like -labelled, for reporting accuracy")
	fs.StringVar(&o.out, "out", "out-images", "directory for the model, metrics, curves, samples, predictions, label suggestions and synthetic images")
	fs.StringVar(&o.demo, "demo", "", "without -labelled/-unlabelled: write demo folders into -out/demo and train on them: mnist (default; 10 labelled digits per class) or shapes (coloured shapes, 32x32, 5 labelled per class)")
	fs.IntVar(&o.demoUnlabelled, "demo-unlabelled", 10000, "demo: unlabelled images")
	fs.IntVar(&o.demoTest, "demo-test", 2000, "demo: test images")
	fs.IntVar(&o.channels, "channels", 0, "1 (gray) or 3 (colour); 0: from the images (an error when they mix gray and colour)")
	fs.StringVar(&o.sizeFlag, "size", "", "WxH every image is resized to, such as 32x32 (default: the median size of the images, scaled down to at most 64 on the longer side)")
	fs.IntVar(&o.synthetic, "synthetic", 20, "generated images to write per class into -out/synthetic (0: none)")
	fs.IntVar(&o.labelNext, "label-next", 50, "unlabelled images to suggest for labelling next, in -out/label-next.csv (0: none)")
	fs.BoolVar(&o.skipBad, "skip-bad", false, "skip images that cannot be read or decoded, listing each at the end, instead of stopping")
	fs.BoolVar(&o.force, "force", false, "let this run replace the model.ckpt of an earlier run in -out")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of every random choice")
	fs.IntVar(&o.epochs, "epochs", 20, "passes over the unlabelled images (at least -min-steps steps in all; training also stops at -duration)")
	fs.DurationVar(&o.duration, "duration", 10*time.Minute, "wall-clock cap on training (0: none)")
	fs.IntVar(&o.batch, "batch", 0, "batch size (0: 100, or the number of unlabelled images if fewer)")
	fs.BoolVar(&o.noBar, "no-bar", false, "no progress bar, only one line per epoch")
	fs.StringVar(&o.cache, "cache", defaultCache(), "folder for the decoded images, kept between runs so that a second run over the same folders starts at once (empty: none)")
	fs.BoolVar(&o.baseline, "baseline", false, "train the classifier on the labelled images alone (no GAN, no generated images), for comparison")
	o.recipe = recipeflags.Register(fs)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.sizeFlag != "" {
		var err error
		if o.size, err = parseSize(o.sizeFlag); err != nil {
			return o, err
		}
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	case (o.labelled == "") != (o.unlabelled == ""):
		return o, errors.New("give both -labelled and -unlabelled, or neither for the demo")
	case o.labelled != "" && o.demo != "":
		return o, errors.New("-demo writes its own folders: leave out -labelled and -unlabelled")
	case o.labelled == "" && o.test != "":
		return o, errors.New("-test needs -labelled and -unlabelled (the demo writes its own test folder)")
	case o.demo != "" && o.demo != "mnist" && o.demo != "shapes":
		return o, fmt.Errorf("-demo %q: want mnist or shapes", o.demo)
	case o.channels != 0 && o.channels != 1 && o.channels != 3:
		return o, fmt.Errorf("-channels %d: want 1 (gray) or 3 (colour)", o.channels)
	case o.synthetic < 0 || o.labelNext < 0 || o.batch < 0 || o.epochs <= 0 || o.duration < 0 || o.demoUnlabelled <= 0 || o.demoTest < 0:
		return o, errors.New("-synthetic, -label-next and -batch must not be negative, -epochs and -demo-unlabelled must be positive, -duration and -demo-test not negative")
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
	skipped, loadStart := &skipList{on: o.skipBad}, time.Now()
	f, err := scan(ctx, o, skipped.skip)
	if err != nil {
		return err
	}
	if err := checkClasses(o.labelled, f.lab.ClassNames, f.classCounts()); err != nil {
		return err
	}
	// The model is built, and the memory the images will take is checked,
	// before any image is decoded or resized (issue 24, row 11).
	batch := o.batch
	if batch == 0 {
		batch = min(100, len(f.unl.Files))
	}
	mc := sgan.DefaultModelConfig()
	mc.Classes, mc.Channels, mc.Height, mc.Width, mc.Seed = len(f.lab.ClassNames), f.channels, f.size.Y, f.size.X, o.seed
	mc.SupervisedOnly = o.baseline
	mc, tc := o.recipe.Configs(mc)
	tc.BatchSize = batch
	tc.Budget.Epochs, tc.Budget.Duration = o.epochs, o.duration
	tr, err := command.NewTrainer(mc, tc)
	if err != nil {
		return fmt.Errorf("images of %dx%d, %d channel(s): %w", f.size.X, f.size.Y, f.channels, err)
	}
	if err := command.CheckMemory(fmt.Sprintf("%d images of %dx%dx%d", f.images(), f.size.X, f.size.Y, f.channels), float64(f.images())*float64(f.channels*f.size.X*f.size.Y)); err != nil {
		return err
	}
	// The folders this run replaces must be its own (issue 24, row 1).
	if err := command.CheckWritten(filepath.Join(o.out, "synthetic")); err != nil {
		return err
	}
	lab, unl, test, err := loadFolders(ctx, o, f, skipped.skip, stderr)
	if err != nil {
		return command.Interrupted(ctx, nil, nil, "", err)
	}
	if err := checkClasses(o.labelled, lab.ClassNames, lab.ClassCounts()); err != nil { // again: -skip-bad may have emptied a class
		return err
	}
	counts := lab.ClassCounts()
	// The unlabelled files that were loaded, in the set's order, for
	// predictions.csv and label-next.csv.
	unlFiles := slices.DeleteFunc(slices.Clone(f.unl.Files), func(p string) bool { return slices.Contains(skipped.files, p) })
	if len(unlFiles) != unl.Len() {
		return fmt.Errorf("internal error: %d unlabelled files for %d images", len(unlFiles), unl.Len())
	}
	fmt.Fprintf(stdout, "labelled:   %s: %d images, %d classes %q (images per class %v)\n", o.labelled, lab.Len(), lab.Classes, lab.ClassNames, counts)
	fmt.Fprintf(stdout, "unlabelled: %s: %d images\n", o.unlabelled, unl.Len())
	if test != nil {
		fmt.Fprintf(stdout, "test:       %s: %d images\n", o.test, test.Len())
	}
	fmt.Fprintf(stdout, "images resized to %dx%d, %d channel(s); listed, read and decoded in %v\n", f.size.X, f.size.Y, f.channels, time.Since(loadStart).Round(10*time.Millisecond))

	m, c := tr.Model(), tr.Model().Config()
	fmt.Fprintln(stdout, recipeflags.Describe(c, tr.Config()))
	run, err := command.OpenRun(o.out, tr, rundir.Options{Progress: stderr, NoBar: o.noBar, Overwrite: o.force,
		Curves: sganplot.Options{Title: "semi-supervised training on " + filepath.Base(filepath.Clean(o.labelled))}},
		"replace it with -force, or choose another -out")
	if err != nil {
		return err
	}
	hist, err := run.Fit(ctx, lab, unl, test)
	if err != nil {
		return err
	}
	if err := command.Interrupted(ctx, run, tr, "", nil); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "trained %d epochs (%d steps) in %v\n", len(hist.Epochs), tr.Steps(), hist.Last().Elapsed.Round(100*time.Millisecond))
	written := []string{run.Path(rundir.CheckpointFile), run.Path(rundir.MetricsFile), run.Path(rundir.CurvesFile)}
	path := run.Path

	samples := path("samples.png")
	if !c.SupervisedOnly {
		imgs, err := m.Generate(100, rand.New(rand.NewPCG(o.seed, 99)))
		if err != nil {
			return err
		}
		if err := datasets.SavePNGGrid(samples, imgs, 100, c.Channels, c.Height, c.Width, 10); err != nil {
			return err
		}
		written = append(written, samples)
	} else if err := removeStale(samples); err != nil {
		return err
	}

	if err := writePredictions(path("predictions.csv"), unlFiles, lab.ClassNames, setPredictor(m, unl)); err != nil {
		return err
	}
	written = append(written, fmt.Sprintf("%s (%d images)", path("predictions.csv"), unl.Len()))

	labelNext := path("label-next.csv")
	if o.labelNext > 0 {
		sug, err := m.SuggestLabelsSet(unl, o.labelNext, sgan.SuggestOptions{Labelled: lab.Values()})
		if err != nil {
			return err
		}
		if err := writeLabelNext(labelNext, sug, unlFiles, lab.ClassNames); err != nil {
			return err
		}
		written = append(written, fmt.Sprintf("%s (%d images)", labelNext, len(sug)))
	} else if err := removeStale(labelNext); err != nil {
		return err
	}
	// An earlier run's synthetic images never stay beside this run's model
	// (issue 24, row 2).
	n, err := writeSynthetic(path("synthetic"), m, o, lab.ClassNames, stderr)
	if err != nil {
		return err
	}
	if n > 0 {
		written = append(written, fmt.Sprintf("%s (%d images)", path("synthetic"), n))
	}
	if test != nil {
		met, err := m.Evaluate(test)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "test accuracy: %.4f (%d errors of %d)\n", met.Accuracy, met.Errors, met.N)
	}
	fmt.Fprintf(stdout, "wrote:\n  %s\nfor other runtimes (ONNX): go run ./examples/export -ckpt %s -class-names %s\n", strings.Join(written, "\n  "), path(rundir.CheckpointFile), strings.Join(lab.ClassNames, ","))
	if len(skipped.files) > 0 {
		fmt.Fprintf(stdout, "skipped %d unreadable or misfit files (-skip-bad):\n", len(skipped.files))
		for i, p := range skipped.files {
			fmt.Fprintf(stdout, "  %s: %v\n", p, skipped.errs[i])
		}
	}
	fmt.Fprintf(stdout, "done in %v\n", time.Since(start).Round(100*time.Millisecond))
	return nil
}

func main() { command.Main("images", run) }
