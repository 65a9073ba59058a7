package sgan

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// Every loss term a training graph registers has its column in the
// metrics table, so that no term is computed without being reported; the
// only read-outs without a column are the two internal ones.
func TestEveryTermHasAMetric(t *testing.T) {
	internal := map[string]bool{readLabLogits: true, readFeatMean: true}
	byTerm := map[string]bool{}
	for _, c := range metricColumns {
		if c.loss {
			byTerm[c.name] = true
		}
	}
	for _, mod := range []func(*TrainConfig){
		func(c *TrainConfig) {},
		func(c *TrainConfig) { c.Weights[termConsistency], c.Augment.Shift = 1, 1 },
		func(c *TrainConfig) { c.Weights[termPseudo], c.Weights["balance"] = 1, 1 },
		func(c *TrainConfig) { c.Weights[termFeatureMatching], c.Weights[termNonSaturating] = 0, 1 },
	} {
		d, g := tinyNets(1)
		mc, cfg := tinyConfig(1)
		mod(&cfg)
		m, err := NewWith(mc, d, g)
		if err != nil {
			t.Fatal(err)
		}
		tg, err := buildTrain(m, mustTrainer(t, m, cfg).cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, gs := range []*graphStep{tg.d, tg.g} {
			for name := range gs.out {
				if !internal[name] && !byTerm[name] {
					t.Errorf("term %q has no column in metricColumns", name)
				}
			}
		}
	}
	m, cfg := tinyCondModel(t, 1, func(c *TrainConfig) { c.Weights["fake_class"] = 1 })
	tg, err := buildTrain(m, mustTrainer(t, m, cfg).cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"fake_class", termUnsup, termSup, "entropy"} {
		if tg.d.out[name] == nil {
			t.Errorf("the conditional discriminator step has no %q read-out", name)
		}
	}
	if tg.g.out[termGenClass] == nil {
		t.Errorf("the conditional generator step has no %q read-out", termGenClass)
	}
}

// The table is consistent: unique names, one field kind per row, a loss
// column for each term and term metric in the loss-term table's order,
// old column names that map to loss columns, and the accumulator turns
// sums into means.
func TestMetricColumns(t *testing.T) {
	seen := map[string]bool{}
	var losses []string
	for _, c := range metricColumns {
		kinds := 0
		for _, set := range []bool{c.i != nil, c.f != nil, c.d != nil, c.loss} {
			if set {
				kinds++
			}
		}
		if kinds != 1 || seen[c.name] {
			t.Errorf("bad row %q", c.name)
		}
		seen[c.name] = true
		if c.loss {
			losses = append(losses, c.name)
		}
	}
	if !slices.Equal(losses, termMetrics()) {
		t.Errorf("loss columns %v, want the terms and their metrics %v", losses, termMetrics())
	}
	for old, now := range legacyColumns {
		if seen[old] || !slices.Contains(losses, now) {
			t.Errorf("old column %q maps to %q, which is not a loss column (or the old name is still one)", old, now)
		}
	}
	if strings.Join(CSVHeader, ",") == "" || len(CSVHeader) != len(metricColumns) {
		t.Errorf("CSVHeader %v", CSVHeader)
	}
	acc := newEpochAccumulator(3)
	acc.add(StepStats{DLoss: 1, Losses: map[string]float64{"entropy": 2, "fake_class": 4}, LabelledCorrect: 5}, 10)
	acc.add(StepStats{DLoss: 3, Losses: map[string]float64{"entropy": 4, "fake_class": 0}, LabelledCorrect: 10}, 10)
	e := acc.finish()
	if e.Epoch != 3 || e.Steps != 2 || e.DLoss != 2 || e.Losses["entropy"] != 3 || e.Losses["fake_class"] != 2 || e.TrainAcc != 0.75 || !math.IsNaN(e.EvalAcc) {
		t.Errorf("epoch stats %+v", e)
	}
	if v, ok := e.Losses[termSup]; ok {
		t.Errorf("a term no step computed has the mean %v", v)
	}
}
