package sgan

import (
	"math"
	"strings"
	"testing"
)

// Every loss term a training graph registers has its row in the metrics
// table, so that no term is computed without being reported; the only
// read-outs without a row are the two internal ones.
func TestEveryTermHasAMetric(t *testing.T) {
	internal := map[string]bool{readLabLogits: true, readFeatMean: true}
	byTerm := map[string]bool{}
	for _, c := range metricColumns {
		if c.term != "" {
			byTerm[c.term] = true
		}
	}
	for _, mod := range []func(*Config){
		func(c *Config) {},
		func(c *Config) { c.ConsistencyWeight, c.AugmentShift = 1, 1 },
	} {
		d, g := tinyNets(1)
		cfg := tinyConfig(1)
		mod(&cfg)
		m, err := NewWith(cfg, d, g)
		if err != nil {
			t.Fatal(err)
		}
		tg, err := buildTrain(m, m.cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, gs := range []*graphStep{tg.d, tg.g} {
			for name := range gs.out {
				if !internal[name] && !byTerm[name] {
					t.Errorf("term %q has no row in metricColumns", name)
				}
			}
		}
	}
	m := tinyCondModel(t, 1, func(c *Config) { c.FakeClassWeight = 1 })
	tg, err := buildTrain(m, m.cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{termFakeClass, termUnsup, termSup, termEntropy} {
		if tg.d.out[name] == nil {
			t.Errorf("the conditional discriminator step has no %q read-out", name)
		}
	}
	if tg.g.out[termGenClass] == nil {
		t.Errorf("the conditional generator step has no %q read-out", termGenClass)
	}
}

// The table is consistent: unique names, one field kind per row, step
// losses only on float rows, and the accumulator turns sums into means.
func TestMetricColumns(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range metricColumns {
		kinds := 0
		for _, set := range []bool{c.i != nil, c.f != nil, c.d != nil} {
			if set {
				kinds++
			}
		}
		if kinds != 1 || seen[c.name] || (c.step != nil && c.f == nil) || (c.term != "" && c.step == nil) {
			t.Errorf("bad row %q", c.name)
		}
		seen[c.name] = true
	}
	if strings.Join(CSVHeader, ",") == "" || len(CSVHeader) != len(metricColumns) {
		t.Errorf("CSVHeader %v", CSVHeader)
	}
	acc := newEpochAccumulator(3)
	acc.add(StepStats{DLoss: 1, Entropy: 2, FakeClass: 4, LabelledCorrect: 5}, 10)
	acc.add(StepStats{DLoss: 3, Entropy: 4, FakeClass: 0, LabelledCorrect: 10}, 10)
	e := acc.finish()
	if e.Epoch != 3 || e.Steps != 2 || e.DLoss != 2 || e.Entropy != 3 || e.FakeClass != 2 || e.TrainAcc != 0.75 || !math.IsNaN(e.EvalAcc) {
		t.Errorf("epoch stats %+v", e)
	}
}
