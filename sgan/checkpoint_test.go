package sgan

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/semigan/semigan/layers"
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

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	m := tinyModel(t, 2)
	tr := mustTrainer(t, m)
	lab, unl := tinyBatches(2)
	for i := 0; i < 3; i++ {
		if _, err := tr.Step(lab, unl); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "m.ckpt")
	if err := tr.Save(path); err != nil {
		t.Fatal(err)
	}
	want, err := m.PredictProba(lab.X)
	if err != nil {
		t.Fatal(err)
	}

	m2 := tinyModel(t, 99) // different initial weights
	tr2 := mustTrainer(t, m2)
	if err := tr2.Load(path); err != nil {
		t.Fatal(err)
	}
	got, err := m2.PredictProba(lab.X)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("probability %d: loaded model %v, saved model %v", i, got[i], want[i])
		}
	}
	// Training resumes exactly: the next step of both gives equal stats.
	s1, err := tr.Step(lab, unl)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := tr2.Step(lab, unl)
	if err != nil {
		t.Fatal(err)
	}
	if s1 != s2 {
		t.Errorf("resumed step differs:\n%+v\n%+v", s1, s2)
	}
	// Custom models are not rebuilt by Load.
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "custom networks") {
		t.Errorf("Load of a custom model: %v", err)
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(matches) > 0 {
		t.Errorf("temporary files left behind: %v", matches)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("checkpoint mode: %v, %v; want 0644 like every other output", fi.Mode().Perm(), err)
	}
}

func TestLoadRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	m := tinyModel(t, 3)
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)/2] ^= 0xff

	// a model with another shape: 4 classes instead of 3
	rng := rand.New(rand.NewPCG(1, 1))
	d4 := layers.Sequential{
		layers.Flatten{},
		layers.NewDense("disc/fc1", 16, 8, layers.GlorotUniform(rng, 1)),
		layers.LeakyReLU{Alpha: 0.2},
		layers.NewDense("disc/out", 8, 4, layers.GlorotUniform(rng, 1)),
	}
	_, g := tinyNets(3)
	cfg4 := tinyConfig(3)
	cfg4.Classes = 4
	m4, err := NewWith(cfg4, &Discriminator{Net: d4, Feature: 2}, g)
	if err != nil {
		t.Fatal(err)
	}
	// a model without the generator's layer "gen/fc1" but with "gen/fc9"
	_, gOther := tinyNets(3)
	gOther.Net.(layers.Sequential)[0] = layers.NewDense("gen/fc9", 5, 16, layers.GlorotUniform(rng, 1))
	dOther, _ := tinyNets(3)
	mOther, err := NewWith(tinyConfig(3), dOther, gOther)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name  string
		data  []byte
		into  *Model
		want  string
		typed bool
	}{
		{"empty", nil, tinyModel(t, 4), "bad magic", false},
		{"foreign", []byte("PK\x03\x04 this is a zip file, not a checkpoint"), tinyModel(t, 4), "bad magic", false},
		{"truncated", good[:len(good)-100], tinyModel(t, 4), "", false},
		{"corrupt", flipped, tinyModel(t, 4), "", false},
		{"misshapen", good, m4, "disc/out/W", true},
		{"missing and unexpected", good, mOther, "gen/fc9/W", true},
	} {
		path := filepath.Join(dir, tc.name)
		if err := os.WriteFile(path, tc.data, 0o644); err != nil {
			t.Fatal(err)
		}
		err := tc.into.Load(path)
		if err == nil {
			t.Errorf("%s: loaded without error", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %q does not name %q and the file", tc.name, err, tc.want)
		}
		var se *layers.StateError
		if errors.As(err, &se) != tc.typed {
			t.Errorf("%s: error %T, a wrapped *layers.StateError %v expected", tc.name, err, tc.typed)
		}
	}
}
