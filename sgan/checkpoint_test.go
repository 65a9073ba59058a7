package sgan

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// v1Golden is what the code that wrote testdata/v1-conv-3x8x8.ckpt
// (checkpoint format version 1, before the Model/Trainer split) computed
// from it: the logits of the weight-averaged classifier on x, and its
// step counts.
type v1Golden struct {
	X      []float32 `json:"x"`
	Logits []float32 `json:"logits"`
	Steps  int       `json:"steps"`
	AdamD  int       `json:"adam_d"`
}

func readV1Golden(t *testing.T) v1Golden {
	t.Helper()
	raw, err := os.ReadFile("testdata/v1-conv-3x8x8.json")
	if err != nil {
		t.Fatal(err)
	}
	var g v1Golden
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

// Checkpoints written by the first format must keep loading, with the
// same predictions.
func TestLoadVersion1Checkpoint(t *testing.T) {
	g := readV1Golden(t)
	m, err := Load("testdata/v1-conv-3x8x8.ckpt")
	if err != nil {
		t.Fatal(err)
	}
	l, err := m.Logits(g.X)
	if err != nil {
		t.Fatal(err)
	}
	if len(l) != len(g.Logits) {
		t.Fatalf("%d logits, want %d", len(l), len(g.Logits))
	}
	for i := range l {
		if math.Abs(float64(l[i]-g.Logits[i])) > 1e-4 {
			t.Fatalf("logit %d = %v, the writing code computed %v", i, l[i], g.Logits[i])
		}
	}
}
