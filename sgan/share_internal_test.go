package sgan

import "testing"

// The training graphs let their op outputs share arrays (see
// layers.ShareBuffers): a change that puts one of gorgonia's own ops
// between two of the layers, or reads a value it should not, shows here
// as a graph that keeps most of its arrays.
func TestTrainingGraphsShareArrays(t *testing.T) {
	for _, c := range []struct {
		name     string
		r        recipe
		maxRatio float64 // bytes after / bytes before, both graphs together
	}{
		{"conv", recipe{}, 0.7},
		{"conv, no consistency", recipe{train: func(t *TrainConfig) { t.Weights[termConsistency] = 0 }}, 0.7},
		{"conv, conditional", recipe{model: conditional}, 0.7},
		{"mlp", recipe{model: func(m *ModelConfig) { m.Arch = ArchMLP }}, 0.95}, // mostly weight gradients, which are roots
		{"supervised only", recipe{model: func(m *ModelConfig) { m.SupervisedOnly = true }}, 0.8},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.r.seed = 1
			mc, tc := c.r.configs()
			tc.BatchSize = 8
			m, tr := newBuiltIn(t, mc, tc)
			g, err := buildTrain(m, tr.cfg)
			if err != nil {
				t.Fatal(err)
			}
			var before, after int64
			for _, s := range []*graphStep{g.d, g.g} {
				if s == nil {
					continue
				}
				t.Logf("%v", s.shared)
				if s.shared.Shared == 0 || s.shared.BytesAfter > s.shared.BytesBefore {
					t.Errorf("graph shares nothing: %v", s.shared)
				}
				before += s.shared.BytesBefore
				after += s.shared.BytesAfter
			}
			if r := float64(after) / float64(before); r > c.maxRatio {
				t.Errorf("the graphs keep %.0f %% of their output arrays (%d of %d bytes), want at most %.0f %%",
					100*r, after, before, 100*c.maxRatio)
			}
		})
	}
}
