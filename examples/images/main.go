package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/examples/internal/recipeflags"
	"github.com/semigan/semigan/internal/atomicfile"
	"github.com/semigan/semigan/sgan"
	"github.com/semigan/semigan/sgan/rundir"
	"github.com/semigan/semigan/sgan/sganplot"
)

// maxSide is the largest side the default -size picks.
const maxSide = 64

type options struct {
	labelled, unlabelled, test, out, demo, sizeFlag string
	channels, synthetic, labelNext, batch, epochs   int
	demoUnlabelled, demoTest                        int
	seed                                            uint64
	duration                                        time.Duration
	skipBad, force, noBar                           bool
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
	o.recipe = recipeflags.Register(fs)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.sizeFlag != "" {
		w, h, ok := strings.Cut(strings.ToLower(o.sizeFlag), "x")
		var err1, err2 error
		o.size.X, err1 = strconv.Atoi(w)
		o.size.Y, err2 = strconv.Atoi(h)
		if !ok || err1 != nil || err2 != nil || o.size.X < 1 || o.size.Y < 1 || o.size.X*o.size.Y > datasets.MaxImagePixels {
			return o, fmt.Errorf("-size %q: want WxH with positive sides, such as 32x32", o.sizeFlag)
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

// folders are the three image folders and how they are read.
type folders struct {
	lab, unl, test *datasets.FolderListing
	channels       int
	size           image.Point
}

// scan lists the folders and reads every image's header, to choose the
// channels and the size unless the flags give them.
func scan(o options, skip func(string, error) bool) (*folders, error) {
	f := &folders{channels: o.channels, size: o.size}
	var err error
	if f.lab, err = datasets.ListImageFolder(o.labelled, datasets.FolderOptions{}); err != nil {
		return nil, err
	}
	if len(f.lab.ClassNames) == 0 {
		return nil, fmt.Errorf("%s: no class folders: the labelled folder needs one subfolder of images per class", o.labelled)
	}
	if f.unl, err = datasets.ListImageFolder(o.unlabelled, datasets.FolderOptions{Recursive: true}); err != nil {
		return nil, err
	}
	if o.test != "" {
		if f.test, err = datasets.ListImageFolder(o.test, datasets.FolderOptions{}); err != nil {
			return nil, err
		}
		if !slices.Equal(f.test.ClassNames, f.lab.ClassNames) {
			return nil, fmt.Errorf("%s has the classes %q, but %s has %q: the test folder needs the labelled folder's class folders", o.test, f.test.ClassNames, o.labelled, f.lab.ClassNames)
		}
	}
	var gray, colour string
	var ws, hs []int
	for _, fl := range []*datasets.FolderListing{f.lab, f.unl} {
		for _, path := range fl.Files {
			h, err := datasets.ReadImageHeader(path)
			if err != nil {
				if skip(path, err) {
					continue
				}
				return nil, err
			}
			if h.Gray && gray == "" {
				gray = path
			}
			if !h.Gray && colour == "" {
				colour = path
			}
			ws, hs = append(ws, h.Size.X), append(hs, h.Size.Y)
		}
	}
	if f.channels == 0 {
		switch {
		case gray != "" && colour != "":
			return nil, fmt.Errorf("the images mix gray (such as %s) and colour (such as %s): give -channels 1 or -channels 3", gray, colour)
		case colour != "":
			f.channels = 3
		default:
			f.channels = 1
		}
	}
	if f.size == (image.Point{}) {
		if len(ws) == 0 {
			return nil, fmt.Errorf("%s and %s hold no readable image", o.labelled, o.unlabelled)
		}
		f.size = defaultSize(median(ws), median(hs))
	}
	return f, nil
}

// defaultSize scales a median image size down to at most maxSide on the
// longer side, keeping the aspect, and rounds each side down to a
// multiple of 4 (the generator halves the sides twice) of at least 8.
func defaultSize(w, h int) image.Point {
	if m := max(w, h); m > maxSide {
		w, h = w*maxSide/m, h*maxSide/m
	}
	round := func(v int) int { return max(8, v/4*4) }
	return image.Point{X: round(w), Y: round(h)}
}

func median(v []int) int {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// skipList records the files skipped under -skip-bad.
type skipList struct {
	on    bool
	files []string
	errs  []error
}

func (s *skipList) skip(path string, err error) bool {
	if !s.on {
		return false
	}
	if !slices.Contains(s.files, path) {
		s.files, s.errs = append(s.files, path), append(s.errs, err)
	}
	return true
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
	skipped := &skipList{on: o.skipBad}
	f, err := scan(o, skipped.skip)
	if err != nil {
		return err
	}
	color := datasets.Gray
	if f.channels == 3 {
		color = datasets.RGB
	}
	load := func(dir string, recursive bool) (*datasets.Set, error) {
		if dir == "" {
			return nil, nil
		}
		return datasets.LoadImageFolder(dir, datasets.FolderOptions{Color: color, Size: f.size, Recursive: recursive, Skip: skipped.skip})
	}
	lab, err := load(o.labelled, false)
	if err != nil {
		return err
	}
	unl, err := load(o.unlabelled, true)
	if err != nil {
		return err
	}
	test, err := load(o.test, false)
	if err != nil {
		return err
	}
	counts := lab.ClassCounts()
	for k, n := range counts {
		if n == 0 {
			return fmt.Errorf("%s: class folder %q has no images", o.labelled, lab.ClassNames[k])
		}
	}
	if len(counts) < 2 {
		return fmt.Errorf("%s: one class (%q): a classifier needs at least two class folders", o.labelled, lab.ClassNames[0])
	}
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
	fmt.Fprintf(stdout, "images resized to %dx%d, %d channel(s)\n", f.size.X, f.size.Y, f.channels)

	batch := o.batch
	if batch == 0 {
		batch = min(100, unl.Len())
	}
	cfg := sgan.Config{Classes: lab.Classes, Channels: f.channels, Height: f.size.Y, Width: f.size.X,
		Epochs: o.epochs, Duration: o.duration, BatchSize: batch, Seed: o.seed}
	o.recipe.Apply(&cfg)
	m, err := sgan.New(cfg)
	if err != nil {
		return err
	}
	tr, err := sgan.NewTrainer(m, m.Config())
	if err != nil {
		return err
	}
	c := m.Config()
	fmt.Fprintln(stdout, recipeflags.Describe(c))
	run, err := rundir.Open(o.out, tr, rundir.Options{Progress: stderr, NoBar: o.noBar, Overwrite: o.force,
		Curves: sganplot.Options{Title: "semi-supervised training on " + filepath.Base(filepath.Clean(o.labelled))}})
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w; replace it with -force, or choose another -out", err)
	}
	if err != nil {
		return err
	}
	hist, err := run.Fit(ctx, lab, unl, test)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "trained %d epochs (%d steps) in %v\n", len(hist.Epochs), tr.Steps(), hist.Last().Elapsed.Round(100*time.Millisecond))
	written := []string{run.Path(rundir.CheckpointFile), run.Path(rundir.MetricsFile), run.Path(rundir.CurvesFile)}
	path := run.Path

	imgs, err := m.Generate(100, rand.New(rand.NewPCG(o.seed, 99)))
	if err != nil {
		return err
	}
	if err := datasets.SavePNGGrid(path("samples.png"), imgs, 100, c.Channels, c.Height, c.Width, 10); err != nil {
		return err
	}
	written = append(written, path("samples.png"))

	proba, err := m.PredictProba(unl.Data)
	if err != nil {
		return err
	}
	if err := writePredictions(path("predictions.csv"), unlFiles, lab.ClassNames, proba); err != nil {
		return err
	}
	written = append(written, fmt.Sprintf("%s (%d images)", path("predictions.csv"), unl.Len()))

	if o.labelNext > 0 {
		sug, err := m.SuggestLabels(unl.Data, o.labelNext, sgan.SuggestOptions{Labelled: lab.Data})
		if err != nil {
			return err
		}
		if err := writeLabelNext(path("label-next.csv"), sug, unlFiles, lab.ClassNames); err != nil {
			return err
		}
		written = append(written, fmt.Sprintf("%s (%d images)", path("label-next.csv"), len(sug)))
	}
	if o.synthetic > 0 {
		n, err := writeSynthetic(path("synthetic"), m, o, lab.ClassNames, stderr)
		if err != nil {
			return err
		}
		written = append(written, fmt.Sprintf("%s (%d images)", path("synthetic"), n))
	}
	if test != nil {
		met, err := m.Evaluate(test)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "test accuracy: %.4f (%d errors of %d)\n", met.Accuracy, met.Errors, met.N)
	}
	fmt.Fprintf(stdout, "wrote:\n  %s\n", strings.Join(written, "\n  "))
	if len(skipped.files) > 0 {
		fmt.Fprintf(stdout, "skipped %d unreadable or misfit files (-skip-bad):\n", len(skipped.files))
		for i, p := range skipped.files {
			fmt.Fprintf(stdout, "  %s: %v\n", p, skipped.errs[i])
		}
	}
	fmt.Fprintf(stdout, "done in %v\n", time.Since(start).Round(100*time.Millisecond))
	return nil
}

// writePredictions writes, for each unlabelled file, the predicted class
// name, its probability and the probability of every class.
func writePredictions(path string, files, classes []string, proba []float32) error {
	K := len(classes)
	return atomicfile.Write(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		cw.Write(append([]string{"file", "predicted", "probability"}, classes...))
		row := make([]string, 3+K)
		for i, file := range files {
			p := proba[i*K : (i+1)*K]
			best := 0
			for k := range p {
				if p[k] > p[best] {
					best = k
				}
			}
			row[0], row[1], row[2] = file, classes[best], strconv.FormatFloat(float64(p[best]), 'f', 6, 32)
			for k, v := range p {
				row[3+k] = strconv.FormatFloat(float64(v), 'f', 6, 32)
			}
			cw.Write(row)
		}
		cw.Flush()
		return cw.Error()
	})
}

// writeLabelNext writes the suggestions, best first.
func writeLabelNext(path string, sug []sgan.Suggestion, files, classes []string) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		cw.Write([]string{"rank", "file", "score", "margin", "predicted"})
		for r, s := range sug {
			cw.Write([]string{strconv.Itoa(r + 1), files[s.Index], strconv.FormatFloat(s.Score, 'f', 6, 64),
				strconv.FormatFloat(s.Margin, 'f', 6, 64), classes[s.Predicted]})
		}
		cw.Flush()
		return cw.Error()
	})
}

// writeSynthetic writes -synthetic generated images per class, labelled
// by the classifier, as class folders of PNGs, and returns how many.
func writeSynthetic(dir string, m *sgan.Model, o options, classes []string, stderr io.Writer) (int, error) {
	syn, err := m.Synthesize(o.synthetic, sgan.SynthOptions{}, rand.New(rand.NewPCG(o.seed, 98)))
	if _, ok := errors.AsType[*sgan.SynthesisError](err); ok {
		fmt.Fprintf(stderr, "warning: %v\n", err)
	} else if err != nil {
		return 0, err
	}
	if syn == nil || syn.Len() == 0 {
		return 0, nil
	}
	syn.ClassNames = classes
	if o.force {
		// our own output of an earlier run, which -force replaces
		if err := os.RemoveAll(dir); err != nil {
			return 0, err
		}
	}
	if err := datasets.SaveImageFolder(dir, syn); err != nil {
		return 0, err
	}
	return syn.Len(), nil
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
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "images:", err)
		}
		os.Exit(1)
	}
}
