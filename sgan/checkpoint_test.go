package sgan

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"io"
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
	tr := tinyTrainer(t, 2)
	m := tr.Model()
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

	// different initial weights and training seed (Load restores the
	// random state)
	m2 := tinyModel(t, 99)
	tr2 := mustTrainer(t, m2, tinyTrainConfig(99))
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
	if !sameStats(s1, s2) {
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
	cfg4, _ := tinyConfig(3)
	cfg4.Classes = 4
	m4, err := NewWith(cfg4, &Discriminator{Net: d4, Feature: 2}, g)
	if err != nil {
		t.Fatal(err)
	}
	// a model without the generator's layer "gen/fc1" but with "gen/fc9"
	_, gOther := tinyNets(3)
	gOther.Net.(layers.Sequential)[0] = layers.NewDense("gen/fc9", 5, 16, layers.GlorotUniform(rng, 1))
	dOther, _ := tinyNets(3)
	mcOther, _ := tinyConfig(3)
	mOther, err := NewWith(mcOther, dOther, gOther)
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

// A version-1 file holds the training state too: LoadTrainer resumes it.
func TestLoadTrainerVersion1(t *testing.T) {
	g := readV1Golden(t)
	tr, err := LoadTrainer("testdata/v1-conv-3x8x8.ckpt")
	if err != nil {
		t.Fatal(err)
	}
	if tr.Steps() != g.Steps || tr.dOpt.t != g.AdamD {
		t.Errorf("resumed at step %d (Adam %d), the file was written at %d (%d)", tr.Steps(), tr.dOpt.t, g.Steps, g.AdamD)
	}
}

// builtInTrainer is a small built-in conv model and its trainer.
func builtInTrainer(t *testing.T) *Trainer {
	t.Helper()
	mc := DefaultModelConfig()
	mc.Seed, mc.Classes, mc.Height, mc.Width, mc.LatentDim, mc.EvalBatch = 3, 3, 8, 8, 6, 5
	tc := DefaultTrainConfig(mc)
	tc.BatchSize = 4
	_, tr := newBuiltIn(t, mc, tc)
	return tr
}

func randomBatches(seed uint64, n, f, k int) (Batch, Batch) {
	rng := rand.New(rand.NewPCG(seed, 5))
	lab := Batch{X: make([]float32, n*f), Labels: make([]int, n)}
	unl := Batch{X: make([]float32, n*f)}
	for i := range lab.X {
		lab.X[i] = float32(rng.Float64()*2 - 1)
		unl.X[i] = float32(rng.Float64()*2 - 1)
	}
	for i := range lab.Labels {
		lab.Labels[i] = i % k
	}
	return lab, unl
}

// Trainer.Save then LoadTrainer continues bit for bit: the resumed run's
// steps equal those of the run that was never interrupted.
func TestLoadTrainerResumesExactly(t *testing.T) {
	dir := t.TempDir()
	tr := builtInTrainer(t)
	lab, unl := randomBatches(1, 4, 64, 3)
	for i := 0; i < 3; i++ {
		if _, err := tr.Step(lab, unl); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "t.ckpt")
	if err := tr.Save(path); err != nil {
		t.Fatal(err)
	}
	var want []StepStats
	for i := 0; i < 2; i++ {
		st, err := tr.Step(lab, unl)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, st)
	}
	tr2, err := LoadTrainer(path)
	if err != nil {
		t.Fatal(err)
	}
	if tr2.Steps() != 3 {
		t.Errorf("resumed at step %d, want 3", tr2.Steps())
	}
	for i := range want {
		st, err := tr2.Step(lab, unl)
		if err != nil {
			t.Fatal(err)
		}
		if !sameStats(st, want[i]) {
			t.Fatalf("resumed step %d:\n got  %+v\n want %+v", i+1, st, want[i])
		}
	}

	// A model's own checkpoint predicts the same but holds no training state.
	mpath := filepath.Join(dir, "m.ckpt")
	if err := tr.Model().Save(mpath); err != nil {
		t.Fatal(err)
	}
	m, err := Load(mpath)
	if err != nil {
		t.Fatal(err)
	}
	p1, _ := tr.Model().Logits(lab.X)
	p2, _ := m.Logits(lab.X)
	for i := range p1 {
		if p1[i] != p2[i] {
			t.Fatalf("logit %d: saved model %v, loaded %v", i, p1[i], p2[i])
		}
	}
	if _, err := LoadTrainer(mpath); err == nil || !strings.Contains(err.Error(), "no training state") {
		t.Errorf("LoadTrainer of a model checkpoint: %v", err)
	}
	fi1, _ := os.Stat(path)
	fi2, _ := os.Stat(mpath)
	if !(fi2.Size() < fi1.Size()/2) {
		t.Errorf("model checkpoint %d bytes, trainer checkpoint %d: the model's should hold no Adam moments", fi2.Size(), fi1.Size())
	}
}

// A load that fails changes nothing: a bad value in the last tensor is
// found before any tensor is copied.
func TestLoadIsAllOrNothing(t *testing.T) {
	src := tinyModel(t, 5)
	var buf bytes.Buffer
	if _, err := src.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	// the last value before the checksum becomes NaN; the checksum is redone
	binary.LittleEndian.PutUint32(b[len(b)-8:], math.Float32bits(float32(math.NaN())))
	binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.ChecksumIEEE(b[:len(b)-4]))
	m := tinyModel(t, 6)
	before, _ := layers.StateDict(m.disc.Net, m.gen.Net)
	if _, err := m.ReadFrom(bytes.NewReader(b)); err == nil || !strings.Contains(err.Error(), "non-finite") {
		t.Fatalf("NaN tensor: %v", err)
	}
	after, _ := layers.StateDict(m.disc.Net, m.gen.Net)
	for name, v := range before {
		a, w := after[name].Data().([]float32), v.Data().([]float32)
		for i := range w {
			if a[i] != w[i] {
				t.Fatalf("%s[%d] changed from %v to %v by a failed load", name, i, w[i], a[i])
			}
		}
	}
	// and Save refuses non-finite weights
	m.disc.Net.Params()[0].Value.Data().([]float32)[0] = float32(math.Inf(1))
	if err := m.Save(filepath.Join(t.TempDir(), "x.ckpt")); err == nil || !strings.Contains(err.Error(), "non-finite") {
		t.Errorf("Save of an infinite weight: %v", err)
	}
}

// FuzzReadCheckpoint feeds the checkpoint reader arbitrary bytes, seeded
// with the model and trainer checkpoints of a tiny custom network. It
// must never panic, and whatever it accepts must restore into a model of
// that network, or be refused with an error, without panicking.
func FuzzReadCheckpoint(f *testing.F) {
	tr := tinyTrainer(f, 1)
	m := tr.Model()
	lab, unl := tinyBatches(1)
	if _, err := tr.Step(lab, unl); err != nil {
		f.Fatal(err)
	}
	for _, w := range []io.WriterTo{m, tr} {
		var buf bytes.Buffer
		if _, err := w.WriteTo(&buf); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Add([]byte("SEMIGAN\x00"))
	// A built-in model small enough to fuzz (a supervised-only conv net on
	// 5×5 images, width 1: about a hundred weights), so that Load's path
	// from the header's configuration (buildModel: limits, New; then
	// restoreModel) is reached too.
	bmc := DefaultModelConfig()
	bmc.Classes, bmc.Height, bmc.Width, bmc.DiscWidth, bmc.SupervisedOnly, bmc.EvalBatch = 2, 5, 5, 1, true, 2
	btc := DefaultTrainConfig(bmc)
	btc.BatchSize = 2
	builtin, err := New(bmc)
	if err != nil {
		f.Fatal(err)
	}
	// with a trainer section, so that its configuration is read and
	// checked against the model's too
	btr := mustTrainer(f, builtin, btc)
	var bt bytes.Buffer
	if _, err := btr.WriteTo(&bt); err != nil {
		f.Fatal(err)
	}
	f.Add(bt.Bytes())
	var bb bytes.Buffer
	if _, err := builtin.WriteTo(&bb); err != nil {
		f.Fatal(err)
	}
	f.Add(bb.Bytes())
	for _, b := range hostileVariants(f, bb.Bytes()) {
		f.Add(b)
	}
	// the bounded reads: bytes after the checksum, a header cut short
	f.Add(append(bytes.Clone(bb.Bytes()), 1, 2, 3, 4, 5))
	f.Add(bb.Bytes()[:20])
	ttr := tinyTrainer(f, 2)
	target := ttr.Model()
	f.Fuzz(func(t *testing.T, b []byte) {
		ck, err := readCheckpoint(bytes.NewReader(b), "fuzz")
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("unreadable file, error %T %v: want a *CorruptError", err, err)
			}
			return
		}
		var se *layers.StateError
		for _, err := range []error{target.restoreModel(ck), ttr.restore(ck)} {
			if err != nil && !errors.Is(err, ErrCorrupt) && !errors.As(err, &se) && !strings.Contains(err.Error(), "no training state") {
				t.Fatalf("restore: error %T %v: want corruption or a state mismatch", err, err)
			}
		}
		// Load's path; predicting once is skipped for inference batches
		// too large to run quickly (bounded by MaxStepBytes, not by the
		// fuzzer's patience).
		if !ck.model.Custom {
			m, err := ck.buildModel()
			if err == nil {
				err = m.restoreModel(ck)
			}
			if err == nil && m.cfg.EvalBatch*m.cfg.Channels*m.cfg.Height*m.cfg.Width <= 1<<16 {
				if _, err := m.Logits(make([]float32, m.cfg.Channels*m.cfg.Height*m.cfg.Width)); err != nil {
					t.Fatalf("a loaded model cannot predict: %v", err)
				}
			}
		}
	})
}

// A trainer checkpoint written before PropagationConfig.MaxExamples
// existed has no max_examples field (as one saved with 0 has none, being
// omitted when empty): it loads as 0, no bound, the graph it was trained
// with. The default bound is saved and loaded as it is.
func TestPropagationBoundInCheckpoints(t *testing.T) {
	for _, tc := range []struct {
		max       int
		wantField bool
	}{{0, false}, {60000, true}, {500, true}} {
		mc := tinyConfigBuiltin()
		cfg := DefaultTrainConfig(mc)
		cfg.Weights[termPropagation] = 1
		cfg.Propagation.MaxExamples = tc.max
		_, tr := newBuiltIn(t, mc, cfg)
		path := filepath.Join(t.TempDir(), "t.ckpt")
		if err := tr.Save(path); err != nil {
			t.Fatal(err)
		}
		tr.Close()
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := bytes.Contains(raw, []byte(`"max_examples"`)); got != tc.wantField {
			t.Errorf("MaxExamples %d: max_examples in the file: %v, want %v", tc.max, got, tc.wantField)
		}
		back, err := LoadTrainer(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := back.Config().Propagation.MaxExamples; got != tc.max {
			t.Errorf("MaxExamples %d saved, %d loaded", tc.max, got)
		}
		back.Close()
	}
}
