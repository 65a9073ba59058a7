package sgan

import (
	"bytes"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/semigan/semigan/layers"
)

// Prediction, generation and saving from many goroutines at once on one
// model, while its trainer steps, give the same answers as one goroutine
// would (issue 12, row 7). Before the model's lock, inference swapped the
// weight average into the shared parameters: under -race this test
// reported the data race, and without it predictions could mix averaged
// and live weights.
func TestConcurrentUse(t *testing.T) {
	tr := tinyTrainer(t, 21)
	m := tr.Model()
	lab, unl := tinyBatches(21)
	for range 10 {
		if _, err := tr.Step(lab, unl); err != nil {
			t.Fatal(err)
		}
	}
	x := append(append([]float32(nil), lab.X...), unl.X...)
	z := make([]float32, 7*m.Config().LatentDim)
	for i := range z {
		z[i] = float32(i%5) - 2
	}
	wantP, err := m.PredictProba(x)
	if err != nil {
		t.Fatal(err)
	}
	wantG, err := m.GenerateFrom(z)
	if err != nil {
		t.Fatal(err)
	}
	var wantCk bytes.Buffer
	if _, err := m.WriteTo(&wantCk); err != nil {
		t.Fatal(err)
	}

	live := func() (w [][]float32) {
		for _, p := range m.dParams {
			w = append(w, slices.Clone(p.Value.Data().([]float32)))
		}
		return w
	}
	liveBefore := live()
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				switch g % 3 {
				case 0:
					p, err := m.PredictProba(x)
					if err != nil || !slices.Equal(p, wantP) {
						errs <- "PredictProba differs from the serial result"
						return
					}
				case 1:
					out, err := m.GenerateFrom(z)
					if err != nil || !slices.Equal(out, wantG) {
						errs <- "GenerateFrom differs from the serial result"
						return
					}
				case 2:
					var b bytes.Buffer
					if _, err := m.WriteTo(&b); err != nil || !bytes.Equal(b.Bytes(), wantCk.Bytes()) {
						errs <- "WriteTo differs from the serial result"
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	// Issue 15, row 15: concurrent predictions used to leave the weight
	// average in the live tensors.
	for i, w := range live() {
		if !slices.Equal(w, liveBefore[i]) {
			t.Errorf("parameter %s changed while only predicting", m.dParams[i].Name)
		}
	}

	// While the trainer steps, other goroutines keep predicting: every
	// answer is well formed (the weights they see are those between two
	// steps), and nothing races.
	done := make(chan struct{})
	var pw sync.WaitGroup
	for range 3 {
		pw.Add(1)
		go func() {
			defer pw.Done()
			rng := rand.New(rand.NewPCG(1, 2))
			for {
				select {
				case <-done:
					return
				default:
				}
				if _, err := m.Predict(x); err != nil {
					t.Error(err)
					return
				}
				if _, err := m.Generate(3, rng); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for range 20 {
		if _, err := tr.Step(lab, unl); err != nil {
			t.Error(err)
			break
		}
	}
	close(done)
	pw.Wait()
}

// Predictions do not wait for one another: while one goroutine holds an
// inference graph, another prediction runs on a second graph (issue 12:
// the averaged weights live in each graph's own tensors, so inference
// needs no model-wide lock). With one lock for all of inference this test
// timed out.
func TestPredictionsRunInParallel(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	m := tinyModel(t, 22)
	lab, _ := tinyBatches(22)
	want, err := m.Predict(lab.X)
	if err != nil {
		t.Fatal(err)
	}
	held, err := m.acquireInfer(len(lab.Labels))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		got, err := m.Predict(lab.X)
		if err == nil && !slices.Equal(got, want) {
			t.Errorf("second graph predicts %v, first %v", got, want)
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("a prediction waited for another prediction's graph")
	}
	m.releaseInfer(held)
}

// However many goroutines predict at once, a model keeps at most
// maxInferGraphs inference graphs (issue 24, row 16: one per GOMAXPROCS,
// 2.2 GB at 64), and every caller gets its answer.
func TestInferenceGraphsBounded(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(16))
	m := tinyModel(t, 24)
	lab, _ := tinyBatches(24)
	want, err := m.Predict(lab.X)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for range 5 {
				got, err := m.Predict(lab.X)
				if err != nil || !slices.Equal(got, want) {
					t.Errorf("concurrent Predict: %v, %v; want %v", got, err, want)
					return
				}
			}
		})
	}
	wg.Wait()
	m.mu.Lock()
	made, free := m.infer.made, len(m.infer.free)
	m.mu.Unlock()
	if made > maxInferGraphs() || made != free || maxInferGraphs() != 4 {
		t.Errorf("%d graphs made (%d free), want at most %d (4 at GOMAXPROCS 16)", made, free, maxInferGraphs())
	}
}

// A request of a few examples runs a graph of a few examples, not one of
// a large EvalBatch, with the same answers (issue 24, row 15: 100
// examples at EvalBatch 26000 took 69 s and 1.8 GB).
func TestSmallRequestsUseSmallGraphs(t *testing.T) {
	cfg, _ := tinyConfig(25)
	cfg.EvalBatch = 5000
	d, g := tinyNets(25)
	big, err := NewWith(cfg, d, g)
	if err != nil {
		t.Fatal(err)
	}
	lab, _ := tinyBatches(25)
	n := len(lab.Labels)
	got, err := big.Logits(lab.X)
	if err != nil {
		t.Fatal(err)
	}
	if ig := big.infer.free[0]; ig.n != 8 {
		t.Errorf("%d examples ran on a graph of %d, want 8", n, ig.n)
	}
	// the same networks at the default EvalBatch agree
	cfg.EvalBatch = 0
	d2, g2 := tinyNets(25)
	small, err := NewWith(cfg, d2, g2)
	if err != nil {
		t.Fatal(err)
	}
	want, err := small.Logits(lab.X)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-5 {
			t.Fatalf("logit %d: %v at a graph of %d, %v at EvalBatch %d", i, got[i], big.infer.free[0].n, want[i], small.cfg.EvalBatch)
		}
	}
	// a larger request gets a graph that holds it
	many := slices.Repeat(lab.X, 20)
	if _, err := big.Logits(many); err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, ig := range big.infer.free {
		sizes = append(sizes, ig.n)
	}
	if slices.Max(sizes) < 20*n {
		t.Errorf("after %d examples: graphs of %v", 20*n, sizes)
	}
	imgs, err := big.Generate(3, nil)
	if err != nil || len(imgs) != 3*cfg.Channels*cfg.Height*cfg.Width {
		t.Fatalf("Generate: %v", err)
	}
	if big.genInf.n != 4 {
		t.Errorf("3 images generated by a graph of %d, want 4", big.genInf.n)
	}
}

// An inference graph copies the weights it needs: once made, its answers
// do not move when the live parameters change behind its back, and they
// follow every change made by a training step, a load or through
// Discriminator().
func TestPredictionWeightsAreRefreshed(t *testing.T) {
	cfg, tc := tinyConfig(23)
	cfg.EMADecay = 0 // predictions use the live weights
	d, g := tinyNets(23)
	m, err := NewWith(cfg, d, g)
	if err != nil {
		t.Fatal(err)
	}
	lab, unl := tinyBatches(23)
	before, err := m.Logits(lab.X)
	if err != nil {
		t.Fatal(err)
	}
	out := d.Net.(interface{ Params() []*layers.Param }).Params()
	bias := out[len(out)-1].Value.Data().([]float32)

	bias[0] += 100 // behind the model's back: not seen
	if got, _ := m.Logits(lab.X); !slices.Equal(got, before) {
		t.Fatal("a change that bypassed the model reached a prediction")
	}
	m.Discriminator() // announces that the networks may change
	got, err := m.Logits(lab.X)
	if err != nil {
		t.Fatal(err)
	}
	if d := got[0] - before[0]; d < 99 || d > 101 {
		t.Fatalf("after Discriminator(): logit 0 moved by %v, want 100", d)
	}
	bias[0] -= 100
	m.Discriminator()

	tr := mustTrainer(t, m, tc)
	if _, err := tr.Step(lab, unl); err != nil {
		t.Fatal(err)
	}
	after, err := m.Logits(lab.X)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(after, before) {
		t.Fatal("predictions did not follow a training step")
	}
}

// The ops of package layers reuse their output arrays on every run of a
// graph, so the model must copy what it returns: a result must not change
// when the model is asked again.
func TestResultsAreNotOverwritten(t *testing.T) {
	m := tinyModel(t, 3)
	c := m.Config()
	F := c.Channels * c.Height * c.Width
	rng := rand.New(rand.NewPCG(5, 6))
	rnd := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.Float64()*2 - 1)
		}
		return v
	}
	for _, tc := range []struct {
		name string
		in   func() []float32
		f    func(x []float32) ([]float32, error)
	}{
		{"Logits", func() []float32 { return rnd(3 * F) }, m.Logits},
		{"PredictProba", func() []float32 { return rnd(3 * F) }, m.PredictProba},
		{"GenerateFrom", func() []float32 { return rnd(3 * c.LatentDim) }, m.GenerateFrom},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first, err := tc.f(tc.in())
			if err != nil {
				t.Fatal(err)
			}
			kept := slices.Clone(first)
			second, err := tc.f(tc.in())
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(first, kept) {
				t.Errorf("the first result changed when the model was asked again")
			}
			if slices.Equal(first, second) {
				t.Errorf("two different inputs gave the same result: the test checks nothing")
			}
		})
	}
}
