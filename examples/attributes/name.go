package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/examples/internal/command"
	"github.com/semigan/semigan/sgan"
	"github.com/semigan/semigan/sgan/rundir"
	"github.com/semigan/semigan/sgan/sganplot"
)

// nameDirection makes the two-sided set of direction o.direction, writes
// it, and trains a classifier on it.
func nameDirection(ctx context.Context, m *sgan.Model, dirs []sgan.Direction, o options, stdout, stderr io.Writer) error {
	dir := dirs[o.direction].Z
	if o.negate {
		dir = negated(dir)
	}
	names := [2]string{"not-" + o.name, o.name}
	set, err := m.SynthesizeTwoSided(dir, o.n/2, sgan.TwoSidedOptions{Margin: o.margin, Extent: o.extent, MinConfidence: o.minConf, Names: names},
		rand.New(rand.NewPCG(o.seed, 2)))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "generated %d images on the two sides of direction %d: %q and %q\n", set.Len(), o.direction, names[1], names[0])
	if !o.noPNG {
		p := filepath.Join(o.out, "png")
		if err := command.SaveImageFolder(p, set); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s/%s and %s/%s\n", p, names[1], p, names[0])
	}
	csvPath := filepath.Join(o.out, o.name+".csv")
	if err := datasets.SaveCSV(csvPath, set, datasets.CSVOptions{Header: true, LabelName: "label", LabelColumn: -1}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s\n", csvPath)
	// The last tenth of the pairs is held out to show the classifier
	// learnt the two sides, not the training images.
	train, held := splitPairs(set, 10)
	cl, err := trainClassifier(ctx, train, held, filepath.Join(o.out, "classifier-"+o.name), o, stderr)
	if err != nil {
		return err
	}
	met, err := cl.Evaluate(held)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "classifier %q vs %q trained on %d generated images only: %.1f %% right on %d held-out generated images; saved in %s\n",
		names[1], names[0], train.Len(), 100*met.Accuracy, held.Len(), filepath.Join(o.out, "classifier-"+o.name, rundir.CheckpointFile))
	return nil
}

// splitPairs splits a two-sided set into its first pairs and the last
// 1/part of them, pairs kept whole.
func splitPairs(s *datasets.Set, part int) (first, last *datasets.Set) {
	pairs := s.Len() / 2
	cut := 2 * (pairs - max(1, pairs/part))
	idx := make([]int, s.Len())
	for i := range idx {
		idx[i] = i
	}
	return s.Subset(idx[:cut]), s.Subset(idx[cut:])
}

func negated(v []float32) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = -x
	}
	return out
}

// trainClassifier trains the default conv discriminator, supervised only,
// on lab for o.steps steps, in the run directory dir, with eval (nil: none)
// evaluated after each of its ten epochs.
func trainClassifier(ctx context.Context, lab, eval *datasets.Set, dir string, o options, stderr io.Writer) (*sgan.Model, error) {
	mc := sgan.DefaultModelConfig()
	mc.Classes, mc.Channels, mc.Height, mc.Width = lab.Classes, lab.C, lab.H, lab.W
	mc.SupervisedOnly, mc.Seed = true, o.seed
	tc := sgan.DefaultTrainConfig(mc)
	tc.BatchSize = min(100, lab.Len())
	tc.Budget = sgan.Budget{Epochs: 10, MinSteps: o.steps}
	tr, err := command.NewTrainer(mc, tc)
	if err != nil {
		return nil, err
	}
	run, err := command.OpenRun(dir, tr, rundir.Options{Progress: stderr, NoBar: o.noBar, Overwrite: o.force,
		Curves: sganplot.Options{Title: "classifier trained on generated images only"}}, "replace it with -force, or choose another -out")
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "training a fresh classifier on %d generated images (%d steps)\n", lab.Len(), o.steps)
	_, err = run.Fit(ctx, lab, nil, eval)
	if err := command.Interrupted(ctx, run, tr, "", err); err != nil {
		return nil, err
	}
	return tr.Model(), nil
}
