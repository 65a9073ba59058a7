package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/examples/internal/command"
	"github.com/semigan/semigan/sgan"
)

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
	mc := sgan.DefaultModelConfig()
	mc.Seed, mc.Classes, mc.Channels, mc.Height, mc.Width = seed, train.Classes, train.C, train.H, train.W
	mc, tc := o.recipe.Configs(mc)
	tc.BatchSize = o.batch
	tr, err := command.NewTrainer(mc, tc)
	if err != nil {
		return nil, err
	}
	m := tr.Model()
	labelled := slices.Clone(start)
	isLabelled := map[int]bool{}
	for _, i := range labelled {
		isLabelled[i] = true
	}
	pick := rand.New(rand.NewPCG(seed, 77)) // the random strategy's draws
	var points []point
	for {
		lab := train.Subset(labelled)
		// each round trains for -round, or -round-epochs more epochs
		b := tr.Config().Budget
		b.Epochs, b.Duration = 0, o.round
		if o.roundEpochs > 0 {
			b.Epochs, b.Duration = tr.Epochs()+o.roundEpochs, 0
		}
		if err := tr.SetBudget(b); err != nil {
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
			sug, err := m.SuggestLabelsSet(unl, n, sgan.SuggestOptions{Labelled: lab.Values(), Method: method})
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
