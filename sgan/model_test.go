package sgan

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/semigan/semigan/layers"
)

// tinyConfig is a 1×4×4, 3-class problem small enough for exact tests.
func tinyConfig(seed uint64) Config {
	return Config{Classes: 3, Channels: 1, Height: 4, Width: 4, LatentDim: 5, BatchSize: 6, EvalBatch: 4,
		Seed: seed, LearnRate: 1e-2, AugmentShift: -1, ConsistencyWeight: -1}
}

// tinyNets builds deterministic (noise-free) dense networks for tinyConfig.
func tinyNets(seed uint64) (*Discriminator, *Generator) {
	rng := rand.New(rand.NewPCG(seed, 7))
	d := layers.Sequential{
		layers.Flatten{},
		layers.NewDense("disc/fc1", 16, 8, layers.GlorotUniform(rng, 1)),
		layers.LeakyReLU{Alpha: 0.2},
		layers.NewDense("disc/out", 8, 3, layers.GlorotUniform(rng, 1)),
	}
	g := layers.Sequential{
		layers.NewDense("gen/fc1", 5, 16, layers.GlorotUniform(rng, 1)),
		layers.Tanh{},
		layers.Reshape{Shape: []int{1, 4, 4}},
	}
	return &Discriminator{Net: d, Feature: 2}, &Generator{Net: g}
}

func tinyModel(t testing.TB, seed uint64) *Model {
	t.Helper()
	d, g := tinyNets(seed)
	m, err := NewWith(tinyConfig(seed), d, g)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// tinyBatches returns a fixed labelled and unlabelled batch for tinyConfig:
// class k images are bright in row k.
func tinyBatches(seed uint64) (Batch, Batch) {
	rng := rand.New(rand.NewPCG(seed, 11))
	mk := func(n int) Batch {
		b := Batch{X: make([]float32, n*16), Labels: make([]int, n)}
		for i := 0; i < n; i++ {
			k := i % 3
			b.Labels[i] = k
			for j := 0; j < 16; j++ {
				v := -0.8 + 0.2*rng.Float64()
				if j/4 == k {
					v = 0.8 - 0.2*rng.Float64()
				}
				b.X[i*16+j] = float32(v)
			}
		}
		return b
	}
	return mk(6), mk(6)
}

// dCost evaluates the discriminator's cost on fixed inputs without
// updating (test hook).
func (m *Model) dCost(t testing.TB, lab, unl Batch, z []float32) float64 {
	t.Helper()
	if m.train == nil {
		tg, err := m.buildTrain()
		if err != nil {
			t.Fatal(err)
		}
		m.train = tg
	}
	tr := m.train
	copy(tr.xLab, lab.X)
	clear(tr.yLab)
	for i, y := range lab.Labels {
		tr.yLab[i*m.cfg.Classes+y] = 1
	}
	copy(tr.xUnl, unl.X)
	copy(tr.z, z)
	tr.dB.FillRandom(rand.New(rand.NewPCG(1, 1)))
	tr.dVM.Reset()
	if err := tr.dVM.RunAll(); err != nil {
		t.Fatal(err)
	}
	zeroGrads(tr.dNodes)
	return scalar(tr.dCost.Value())
}

func TestStepLowersDiscriminatorLoss(t *testing.T) {
	m := tinyModel(t, 1)
	lab, unl := tinyBatches(1)
	z := make([]float32, 6*5)
	for i := range z {
		z[i] = float32(math.Sin(float64(i)))
	}
	before := m.dCost(t, lab, unl, z)
	for i := 0; i < 5; i++ {
		if _, err := m.Step(lab, unl); err != nil {
			t.Fatal(err)
		}
	}
	after := m.dCost(t, lab, unl, z)
	if !(after < before) {
		t.Errorf("D loss on a fixed batch went from %.5f to %.5f after 5 steps; want lower", before, after)
	}
}

func TestSameSeedSameRun(t *testing.T) {
	run := func(seed uint64) []StepStats {
		m := tinyModel(t, seed)
		lab, unl := tinyBatches(3)
		var out []StepStats
		for i := 0; i < 4; i++ {
			st, err := m.Step(lab, unl)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, st)
		}
		return out
	}
	a, b, c := run(5), run(5), run(6)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("step %d: same seed, different stats:\n%+v\n%+v", i, a[i], b[i])
		}
	}
	if a[len(a)-1] == c[len(c)-1] {
		t.Errorf("different seeds gave identical stats %+v", a[len(a)-1])
	}
}

func TestBuiltInSameSeedSameRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the MNIST-size networks")
	}
	cfg := Config{Seed: 9, BatchSize: 8, EvalBatch: 8}
	run := func() (StepStats, []float32) {
		m, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(2, 2))
		lab := Batch{X: make([]float32, 8*784), Labels: make([]int, 8)}
		unl := Batch{X: make([]float32, 8*784)}
		for i := range lab.X {
			lab.X[i] = float32(rng.Float64()*2 - 1)
			unl.X[i] = float32(rng.Float64()*2 - 1)
		}
		for i := range lab.Labels {
			lab.Labels[i] = i % 10
		}
		var st StepStats
		for i := 0; i < 2; i++ {
			if st, err = m.Step(lab, unl); err != nil {
				t.Fatal(err)
			}
		}
		l, err := m.Logits(lab.X)
		if err != nil {
			t.Fatal(err)
		}
		return st, l
	}
	s1, l1 := run()
	s2, l2 := run()
	if s1 != s2 {
		t.Errorf("same seed, different stats:\n%+v\n%+v", s1, s2)
	}
	for i := range l1 {
		if l1[i] != l2[i] {
			t.Fatalf("logit %d differs: %v vs %v", i, l1[i], l2[i])
		}
	}
}

func TestStepErrors(t *testing.T) {
	m := tinyModel(t, 1)
	lab, unl := tinyBatches(1)
	bad := lab
	bad.Labels = append([]int(nil), lab.Labels...)
	bad.Labels[2] = 3
	short := Batch{X: lab.X[:16], Labels: lab.Labels[:1]}
	nan := Batch{X: append([]float32(nil), lab.X...), Labels: lab.Labels}
	nan.X[0] = float32(math.NaN())
	for _, tc := range []struct {
		name     string
		lab, unl Batch
		want     string
	}{
		{"label out of range", bad, unl, "label 3 out of range"},
		{"short labelled batch", short, unl, "labelled batch has 16 values"},
		{"short unlabelled batch", lab, short, "unlabelled batch has 16 values"},
		{"NaN input", nan, unl, "loss is NaN"},
	} {
		_, err := m.Step(tc.lab, tc.unl)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	var nf *NonFiniteError
	if _, err := m.Step(nan, unl); !errors.As(err, &nf) || nf.Step != m.Steps()+1 {
		t.Errorf("NaN input: error %v, want *NonFiniteError at step %d", err, m.Steps()+1)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	m := tinyModel(t, 2)
	lab, unl := tinyBatches(2)
	for i := 0; i < 3; i++ {
		if _, err := m.Step(lab, unl); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "m.ckpt")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	want, err := m.PredictProba(lab.X)
	if err != nil {
		t.Fatal(err)
	}

	m2 := tinyModel(t, 99) // different initial weights
	if err := m2.LoadFile(path); err != nil {
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
	s1, err := m.Step(lab, unl)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := m2.Step(lab, unl)
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
		err := tc.into.LoadFile(path)
		if err == nil {
			t.Errorf("%s: loaded without error", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %q does not name %q and the file", tc.name, err, tc.want)
		}
		var ce *CheckpointError
		if errors.As(err, &ce) != tc.typed {
			t.Errorf("%s: error %T, typed CheckpointError %v expected", tc.name, err, tc.typed)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string // "" means valid
	}{
		{"zero value", Config{}, ""},
		{"one class", Config{Classes: 1}, "Classes = 1"},
		{"bad arch", Config{Arch: "resnet"}, "unknown Arch"},
		{"negative batch", Config{BatchSize: -1}, "BatchSize = -1"},
		{"negative lr", Config{LearnRate: -1}, "learning rates"},
		{"beta1 = 1", Config{Beta1: 1}, "betas"},
		{"EMA = 1", Config{EMADecay: 1}, "EMADecay"},
		{"negative duration", Config{Duration: -1}, "Duration"},
		{"EMA off", Config{EMADecay: -1}, ""},
	} {
		err := tc.cfg.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: unexpected error %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	if _, err := New(Config{Classes: 1}); err == nil {
		t.Error("New accepted an invalid config")
	}
}

func TestPredictAnyCount(t *testing.T) {
	m := tinyModel(t, 4)
	lab, _ := tinyBatches(4)
	// EvalBatch is 4: 6 images need a padded second batch; 1 and 0 work too.
	for _, n := range []int{6, 4, 1, 0} {
		p, err := m.Predict(lab.X[:n*16])
		if err != nil {
			t.Fatal(err)
		}
		if len(p) != n {
			t.Errorf("Predict of %d images gave %d classes", n, len(p))
		}
	}
	full, _ := m.Logits(lab.X)
	one, _ := m.Logits(lab.X[5*16:])
	for k := 0; k < 3; k++ {
		if full[5*3+k] != one[k] {
			t.Errorf("logits of image 5 depend on its batch: %v vs %v", full[5*3:], one)
		}
	}
	if _, err := m.Predict(lab.X[:7]); err == nil {
		t.Error("Predict accepted a partial image")
	}
	pr, _ := m.PredictProba(lab.X)
	for i := 0; i < 6; i++ {
		s := pr[3*i] + pr[3*i+1] + pr[3*i+2]
		if math.Abs(float64(s)-1) > 1e-5 {
			t.Errorf("probabilities of image %d sum to %v", i, s)
		}
	}
	imgs, err := m.Generate(7, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 7*16 {
		t.Errorf("Generate(7) gave %d values", len(imgs))
	}
	for _, v := range imgs {
		if v < -1 || v > 1 {
			t.Fatalf("generated value %v outside [-1, 1]", v)
		}
	}
}

func TestConsistencyStep(t *testing.T) {
	d, g := tinyNets(8)
	cfg := tinyConfig(8)
	cfg.ConsistencyWeight = 1
	cfg.AugmentShift = 1
	m, err := NewWith(cfg, d, g)
	if err != nil {
		t.Fatal(err)
	}
	lab, unl := tinyBatches(8)
	st, err := m.Step(lab, unl)
	if err != nil {
		t.Fatal(err)
	}
	// two differently shifted views give different predictions
	if !(st.Consistency > 0) {
		t.Errorf("consistency loss %v, want > 0", st.Consistency)
	}
	off := tinyModel(t, 8)
	st, err = off.Step(lab, unl)
	if err != nil {
		t.Fatal(err)
	}
	if st.Consistency != 0 {
		t.Errorf("consistency loss %v with the loss off", st.Consistency)
	}
}

// Random shifts leave 1×F rows alone: a vertical shift of a one-row
// example would replace it by the background (a bug once, found by
// examples/csv).
func TestNoShiftsForRows(t *testing.T) {
	for _, tc := range []struct {
		h, w  int
		shift bool
	}{
		{1, 16, false}, {16, 1, false}, {4, 4, true},
	} {
		cfg := Config{Height: tc.h, Width: tc.w, AugmentShift: 2}
		if got := cfg.WithDefaults().shifts(); got != tc.shift {
			t.Errorf("%d×%d: shifts = %v, want %v", tc.h, tc.w, got, tc.shift)
		}
	}
	cfg := tinyConfig(1)
	cfg.Height, cfg.Width, cfg.AugmentShift = 1, 16, 2
	d, g := tinyNets(1)
	g.Net = append(g.Net.(layers.Sequential), layers.Reshape{Shape: []int{1, 1, 16}})
	m, err := NewWith(cfg, d, g)
	if err != nil {
		t.Fatal(err)
	}
	lab, unl := tinyBatches(1)
	if _, err := m.Step(lab, unl); err != nil {
		t.Fatal(err)
	}
	for i, v := range m.train.xLab {
		if v != lab.X[i] {
			t.Fatalf("labelled value %d changed from %v to %v: the 1×16 rows were shifted", i, lab.X[i], v)
		}
	}
}

// A model that is no longer referenced is collected with its graphs. The
// values read out of the training graphs once sat in the struct holding the
// tape machines, which gorgonia finalizes: the cycle through a finalized
// object kept every trained model in memory (about 200 MB each at the
// default size).
func TestTrainedModelIsCollected(t *testing.T) {
	collected := make(chan struct{})
	func() {
		m := tinyModel(t, 1)
		lab, unl := tinyBatches(1)
		if _, err := m.Step(lab, unl); err != nil {
			t.Fatal(err)
		}
		runtime.SetFinalizer(m.train, func(*trainGraphs) { close(collected) })
	}()
	for i := 0; i < 20; i++ {
		runtime.GC()
		select {
		case <-collected:
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatal("the training graphs of an unreferenced model were not collected")
}
