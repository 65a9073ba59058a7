package sgan

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
)

// The table's rows are well formed, and the default recipe switches on
// exactly the terms with a default weight that apply to the model.
func TestLossTermsTable(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range fixedColumns {
		seen[c.name] = true
	}
	for _, lt := range lossTerms {
		for _, name := range append([]string{lt.Name}, lt.Metrics...) {
			if name == "" || seen[name] || strings.ContainsAny(name, " ,-") {
				t.Errorf("term %q: metric name %q empty, repeated or not a plain column name", lt.Name, name)
			}
			seen[name] = true
		}
		if lt.Doc == "" || (lt.Network != discNet && lt.Network != genNet) || lt.build == nil || lt.Default < 0 {
			t.Errorf("term %q: doc %q, network %q, default %g", lt.Name, lt.Doc, lt.Network, lt.Default)
		}
	}
	for _, mod := range []func(*ModelConfig){nil, func(m *ModelConfig) { m.Conditional = true }, func(m *ModelConfig) { m.SupervisedOnly = true }} {
		mc := DefaultModelConfig()
		if mod != nil {
			mod(&mc)
		}
		tc := DefaultTrainConfig(mc)
		for _, lt := range lossTerms {
			want := 0.0
			if lt.appliesTo(mc) {
				want = lt.Default
			}
			if tc.Weights[lt.Name] != want {
				t.Errorf("%+v: default weight of %s = %g, want %g", mc, lt.Name, tc.Weights[lt.Name], want)
			}
		}
		if err := tc.resolved().validateFor(mc); err != nil {
			t.Errorf("%+v: the default recipe is refused: %v", mc, err)
		}
	}
	if got := LossTerms(); len(got) != len(lossTerms) || got[0].Name != termSup {
		t.Errorf("LossTerms() = %v", got)
	}
}

// A term that does not apply to the model, an unknown term and a
// negative weight are refused with errors that name them.
func TestTermWeightsChecked(t *testing.T) {
	plain, cond, sup := DefaultModelConfig(), DefaultModelConfig(), DefaultModelConfig()
	cond.Conditional, sup.SupervisedOnly = true, true
	for _, tc := range []struct {
		model  ModelConfig
		edit   func(*TrainConfig)
		wantIn string
	}{
		{plain, func(c *TrainConfig) { c.Weights["gen_class"] = 1 }, `"gen_class" does not apply`},
		{plain, func(c *TrainConfig) { c.Weights["fake_class"] = 0.5 }, `"fake_class" does not apply`},
		{sup, func(c *TrainConfig) { c.Weights["entropy"] = 1 }, `"entropy" does not apply`},
		{sup, func(c *TrainConfig) { c.Weights["unsup"] = 1 }, `"unsup" does not apply`},
		{plain, func(c *TrainConfig) { c.Weights["entropie"] = 1 }, `unknown loss term "entropie"`},
		{plain, func(c *TrainConfig) { c.Weights["balance"] = -1 }, `Weights["balance"] = -1`},
		{plain, func(c *TrainConfig) { c.Weights["sup"] = 0 }, `Weights["sup"] is 0`},
		{plain, func(c *TrainConfig) { c.Weights["consistency"] = 0; c.MeanTeacher = true }, "MeanTeacher is set but the consistency term is off"},
		{cond, func(c *TrainConfig) { c.Weights["feature_matching"], c.Weights["gen_class"] = 0, 0 }, "no generator term is on"},
	} {
		c := DefaultTrainConfig(tc.model)
		tc.edit(&c)
		m, err := New(tc.model)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := NewTrainer(m, c); err == nil || !strings.Contains(err.Error(), tc.wantIn) {
			t.Errorf("%v: NewTrainer: %v, want an error containing %q", c.Weights, err, tc.wantIn)
		}
	}
}

// Adding a weighted term is one function and one row of the table: a row
// appended here (the mean squared logit of the unlabelled batch) is
// switched on by its weight, built into the discriminator's cost,
// reported by Step, averaged by Fit's accumulator, written as a CSV
// column, read back, and listed by LossTerms, with nothing else changed.
func TestAddTermIsOneRow(t *testing.T) {
	meanSquare := func(x *termInputs) (*G.Node, error) {
		sq, err := G.Square(x.lUnl)
		if err != nil {
			return nil, err
		}
		return G.Mean(sq)
	}
	saved := lossTerms
	defer func() { lossTerms = saved }()
	lossTerms = append(slices.Clone(saved), lossTerm{
		LossTerm: LossTerm{Name: "logit_l2", Network: discNet, Doc: "mean squared logit of the unlabelled batch"},
		needs:    needUnlabelled, build: meanSquare})

	mc := tinyConfigBuiltin()
	tc := DefaultTrainConfig(mc)
	tc.BatchSize = 6
	if _, on := tc.Weights["logit_l2"]; on {
		t.Fatal("a term without a default weight is on by default")
	}
	run := func(w float64) StepStats {
		c := tc.Clone()
		c.Weights["logit_l2"] = w
		_, tr := newBuiltIn(t, mc, c)
		defer tr.Close()
		rng := rand.New(rand.NewPCG(1, 2))
		x, y := formatData(12, rng)
		st, err := tr.Step(Batch{X: x[:6*64], Labels: y[:6]}, Batch{X: x[6*64:]})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	off, on := run(0), run(2)
	if _, ok := off.Losses["logit_l2"]; ok {
		t.Error("the term is reported while off")
	}
	v, ok := on.Losses["logit_l2"]
	if !ok || !(v > 0) {
		t.Fatalf("the term is not reported while on: %v", on.Losses)
	}
	// the cost is the weighted sum of its terms, the new one's included
	// (without a schedule, ramped weights are full)
	sum := func(st StepStats) float64 {
		var s float64
		for _, lt := range lossTerms {
			w := tc.Weights[lt.Name]
			if lt.Name == "logit_l2" {
				w = 2
			}
			if lt.Network == discNet {
				s += w * st.Losses[lt.Name]
			}
		}
		return s
	}
	if d := on.DLoss - sum(on); d > 1e-4 || d < -1e-4 {
		t.Errorf("DLoss %v is not the weighted sum of its terms (%v)", on.DLoss, sum(on))
	}
	acc := newEpochAccumulator(1)
	acc.add(on, 6)
	acc.add(on, 6)
	es := acc.finish()
	if es.Losses["logit_l2"] != v {
		t.Errorf("epoch mean %v, want %v", es.Losses["logit_l2"], v)
	}
	var buf bytes.Buffer
	if err := (&CSVWriter{W: &buf}).Observe(es); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.SplitN(buf.String(), "\n", 2)[0], ",logit_l2") {
		t.Errorf("CSV header without the term: %q", buf.String())
	}
	h, err := ReadHistoryCSV(&buf, "m.csv")
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Epochs[0].Losses["logit_l2"]; got < v*0.99999 || got > v*1.00001 {
		t.Errorf("read back %v, want %v", got, v)
	}
	if lt := LossTerms(); lt[len(lt)-1].Name != "logit_l2" {
		t.Error("LossTerms does not list the term")
	}
}
