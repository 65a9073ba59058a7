package sgan

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"github.com/semigan/semigan/datasets"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/semigan/semigan/layers"
)

// Network is a layer whose intermediate outputs can be read: ForwardAll
// returns the output of every sub-layer in order, the last being the
// network's output. layers.Sequential implements it.
type Network interface {
	layers.Layer
	ForwardAll(b *layers.Builder, x *G.Node) ([]*G.Node, error)
}

// Discriminator is the classifier: Net maps images (N,C,H,W) to K logits
// (N,K); the (K+1)-th "fake" logit is fixed at 0. Feature is the index, in
// the outputs of Net.ForwardAll, of the layer whose activations the
// generator's feature-matching loss compares (usually the penultimate).
type Discriminator struct {
	Net     Network
	Feature int
}

// Generator maps latent vectors (N,LatentDim) to images (N,C,H,W) in
// [-1, 1]. The generator of a Conditional model maps (N,LatentDim+K): each
// row is z followed by the class code.
type Generator struct {
	Net Network
}

// Model is a trained (or training) semi-supervised GAN: a discriminator
// that is also a K-class classifier, a generator, the exponential moving
// average of the discriminator's weights that evaluation and prediction
// use, and the inference and generation graphs, all bound to the same
// parameter tensors. Its methods classify, generate, explore the latent
// space and save. Training is the job of a Trainer (NewTrainer), which
// owns the optimisers, the training random stream, the counters and the
// schedule; Model.Fit is a shortcut that makes one.
//
// A Model is safe for use by many goroutines at once. Prediction
// (Logits, Predict, PredictProba, Evaluate) runs in parallel: each call
// takes an inference graph of its own from a small pool (at most
// GOMAXPROCS graphs; further callers wait for one), and each graph holds
// its own copy of the weights it classifies with (the weight average when
// EMA is on), refreshed when the model has changed since. A prediction
// therefore never reads the live training tensors and sees the weights as
// they were between two training steps. Generation, sampling, saving and
// loading take the model's lock (mu) and run one at a time, as do a
// Trainer's steps. A *rand.Rand passed to a method must not be shared
// between goroutines.
type Model struct {
	mu sync.Mutex // held while the parameters are read or written

	cfg  ModelConfig
	disc *Discriminator
	gen  *Generator

	dParams, gParams []*layers.Param // trainable, stable order

	infer  inferPool // inference graphs, built lazily by predictions
	genInf *genGraph // built lazily by the first Generate

	// version counts changes to the parameters (training steps, loads,
	// initialisation, handing out the networks); an inference graph
	// whose copy of the weights is older refreshes it.
	version uint64

	ema *ema // nil when EMADecay is 0

	custom   bool // built by NewWith from user networks
	dataInit bool // the data-dependent initialisation has run (or the model was trained)
	training bool // a Trainer is attached: one at a time
}

// Config returns the model's configuration (EvalBatch made explicit).
func (m *Model) Config() ModelConfig { return m.cfg }

// Discriminator returns the model's classifier network. Its parameter
// tensors are the live ones: predictions made after this call copy them
// afresh, so that changes made through it are seen.
func (m *Model) Discriminator() *Discriminator {
	m.mu.Lock()
	m.version++
	m.mu.Unlock()
	return m.disc
}

// Generator returns the model's generator network.
func (m *Model) Generator() *Generator { return m.gen }

// New builds a model with the built-in architecture that cfg.Arch names,
// initialised from cfg.Seed.
func New(cfg ModelConfig) (*Model, error) {
	cfg = cfg.resolved()
	if err := cfg.validate(true); err != nil {
		return nil, err
	}
	return newBuiltin(cfg)
}

// newBuiltin builds the model of a resolved and validated cfg.
func newBuiltin(cfg ModelConfig) (*Model, error) {
	initRng := rand.New(rand.NewPCG(cfg.Seed, streamInit))
	d, g, err := buildArch(cfg, initRng)
	if err != nil {
		return nil, err
	}
	return newModel(cfg, d, g, false)
}

// Streams of the seed: each use of randomness draws from its own PCG
// stream, so that changing one (say, the number of evaluation batches)
// does not shift the others.
const (
	streamInit  = 1
	streamTrain = 2
	// StreamSplit is the stream that the examples use to choose the
	// labelled examples: rand.New(rand.NewPCG(cfg.Seed, sgan.StreamSplit)).
	StreamSplit = 3
	streamGen   = 4
)

// NewWith builds a model from user-supplied networks. The discriminator
// must map (N,C,H,W) to (N,K) and the generator (N,LatentDim) to
// (N,C,H,W), with the shape and K of cfg; this is checked by building the
// graphs, so an error names the mismatch. cfg.Arch, DiscWidth,
// InputNoise and DiscDropout describe the built-in networks and are not
// used. gen may be nil when cfg.SupervisedOnly is set.
func NewWith(cfg ModelConfig, d *Discriminator, g *Generator) (*Model, error) {
	cfg = cfg.resolved()
	if cfg.Arch == "" {
		cfg.Arch = ArchConv // unused; keeps Validate's check of the name
	}
	if err := cfg.validate(false); err != nil {
		return nil, err
	}
	return newModel(cfg, d, g, true)
}

// newModel builds a model of a resolved and validated cfg around the
// networks d and g.
func newModel(cfg ModelConfig, d *Discriminator, g *Generator, custom bool) (*Model, error) {
	if d == nil || d.Net == nil {
		return nil, fmt.Errorf("sgan: nil discriminator")
	}
	if (g == nil || g.Net == nil) && !cfg.SupervisedOnly {
		return nil, fmt.Errorf("sgan: nil generator (only SupervisedOnly models may omit it)")
	}
	m := &Model{cfg: cfg, disc: d, gen: g, custom: custom}
	m.dParams = trainable(d.Net.Params())
	if g != nil && g.Net != nil && !cfg.SupervisedOnly {
		m.gParams = trainable(g.Net.Params())
	}
	seen := map[string]bool{}
	for _, l := range []Network{d.Net, netOrNil(g)} {
		if l == nil {
			continue
		}
		for _, p := range l.Params() {
			if seen[p.Name] {
				return nil, fmt.Errorf("sgan: duplicate parameter name %q", p.Name)
			}
			seen[p.Name] = true
		}
	}
	if cfg.EMADecay > 0 {
		m.ema = newEMA(m.dParams, cfg.EMADecay)
	}
	// Check the discriminator's shapes now, on a graph of two examples:
	// the inference graph itself (EvalBatch examples) is built by the
	// first prediction, so that loading a model allocates no more than
	// its weights.
	if _, err := m.inferGraphAt(min(2, cfg.EvalBatch)); err != nil {
		return nil, err
	}
	return m, nil
}

func netOrNil(g *Generator) Network {
	if g == nil {
		return nil
	}
	return g.Net
}

func trainable(ps []*layers.Param) []*layers.Param {
	var out []*layers.Param
	for _, p := range ps {
		if p.Trainable {
			out = append(out, p)
		}
	}
	return out
}

// input makes a float32 input node backed by a slice the model owns.
func input(g *G.ExprGraph, name string, shape ...int) (*G.Node, []float32) {
	n := 1
	for _, s := range shape {
		n *= s
	}
	buf := make([]float32, n)
	t := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(buf))
	node := G.NewTensor(g, G.Float32, len(shape), G.WithShape(shape...), G.WithName(name), G.WithValue(t))
	return node, buf
}

// nodesOf returns the nodes that b bound to ps, in the order of ps.
func nodesOf(b *layers.Builder, ps []*layers.Param) (G.Nodes, error) {
	ns := make(G.Nodes, len(ps))
	for i, p := range ps {
		n := b.Node(p)
		if n == nil {
			return nil, fmt.Errorf("sgan: parameter %s is not used by the network", p.Name)
		}
		ns[i] = n
	}
	return ns, nil
}

// flatten2 reshapes (N, ...) to (N, rest).
func flatten2(x *G.Node) (*G.Node, error) {
	s := x.Shape()
	if len(s) == 2 {
		return x, nil
	}
	return G.Reshape(x, tensor.Shape{s[0], s.TotalSize() / s[0]})
}

// genInput makes the generator's input for one graph: an (n, LatentDim)
// latent input z, and for a Conditional model an (n, K) class-code input
// y, concatenated to z. tag names the graph's nodes.
func genInput(g *G.ExprGraph, c ModelConfig, n int, tag string) (in *G.Node, z, y []float32, yNode *G.Node, err error) {
	zNode, z := input(g, "z_"+tag, n, c.LatentDim)
	if !c.Conditional {
		return zNode, z, nil, nil, nil
	}
	yNode, y = input(g, "y_"+tag, n, c.Classes)
	if in, err = G.Concat(1, zNode, yNode); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("sgan: conditional generator input: %w", err)
	}
	return in, z, y, yNode, nil
}

// inferGraph is the discriminator in inference mode at batch EvalBatch,
// bound to its own copy of the discriminator's parameters (weights).
type inferGraph struct {
	n       int // examples per run
	vm      G.VM
	x       []float32
	logits  *G.Node
	feat    *G.Node // the feature layer's activations, flattened to (n, F)
	weights []graphWeight
	version uint64 // the Model.version its weights were copied at
}

// graphWeight pairs a parameter with the graph's own copy of it.
type graphWeight struct {
	p   *layers.Param
	dst []float32
}

// inferPool holds the inference graphs not in use. Graphs are made on
// demand, at most maxInferGraphs of them however many goroutines predict
// at once (issue 24, row 16: one graph per GOMAXPROCS, 2.2 GB at 64);
// callers beyond that wait for one. A graph of n examples serves any
// request, in chunks of n.
type inferPool struct {
	free []*inferGraph
	made int        // guarded by Model.mu
	wait *sync.Cond // on Model.mu: a graph was given back
}

// maxInferGraphs bounds the inference graphs of a model: more would hold
// memory for callers that the cores cannot serve at once anyway.
func maxInferGraphs() int { return max(1, min(runtime.GOMAXPROCS(0), 4)) }

// minInferBatch is the smallest inference graph. A prediction server's
// requests of one image each run a graph of one (at 64, such requests
// ran at a sixth of the rate).
const minInferBatch = 1

// graphBatch is the batch of the graph to build for a request of n
// examples: EvalBatch, or for fewer examples the next power of two, so
// that a few predictions or images do not run a graph of a large
// EvalBatch (issue 24, row 15: 100 examples at EvalBatch
// 26000 took 69 s and 1.8 GB).
func (c ModelConfig) graphBatch(n int) int {
	if n >= c.EvalBatch {
		return c.EvalBatch
	}
	b := minInferBatch
	for b < n {
		b *= 2
	}
	return min(b, c.EvalBatch)
}

// acquireInfer returns an inference graph for a request of n examples,
// whose weights are the model's current ones (the average when EMA is
// on). Give it back with releaseInfer.
func (m *Model) acquireInfer(n int) (*inferGraph, error) {
	want := m.cfg.graphBatch(n)
	m.mu.Lock()
	defer m.mu.Unlock()
	p := &m.infer
	if p.wait == nil {
		p.wait = sync.NewCond(&m.mu)
	}
	for {
		// the smallest free graph that holds the request, else the largest
		best := -1
		for i, g := range p.free {
			switch {
			case best < 0:
				best = i
			case g.n >= want && (p.free[best].n < want || g.n < p.free[best].n):
				best = i
			case g.n < want && p.free[best].n < want && g.n > p.free[best].n:
				best = i
			}
		}
		var ig *inferGraph
		switch {
		case best >= 0 && p.free[best].n >= want:
			ig = p.free[best]
			p.free = slices.Delete(p.free, best, best+1)
		case p.made < maxInferGraphs() || best >= 0:
			if p.made >= maxInferGraphs() {
				// a free graph too small for this request gives way
				p.free = slices.Delete(p.free, best, best+1)
				p.made--
			}
			var err error
			if ig, err = m.inferGraphAt(want); err != nil {
				return nil, err
			}
			p.made++
			ig.version = m.version - 1 // force a copy below
		default:
			p.wait.Wait() // every graph is in use
			continue
		}
		if ig.version != m.version {
			m.copyWeights(ig)
		}
		return ig, nil
	}
}

func (m *Model) releaseInfer(ig *inferGraph) {
	m.mu.Lock()
	m.infer.free = append(m.infer.free, ig)
	m.infer.wait.Signal()
	m.mu.Unlock()
}

// copyWeights fills ig's weights from the model: the average for the
// parameters EMA tracks, the live value for the others. m.mu is held.
func (m *Model) copyWeights(ig *inferGraph) {
	for _, w := range ig.weights {
		if a := m.ema.averageOf(w.p); a != nil {
			copy(w.dst, a)
		} else {
			copy(w.dst, w.p.Value.Data().([]float32))
		}
	}
	ig.version = m.version
}

// inferGraphAt builds the discriminator's inference graph for n examples,
// with its own (zeroed) copy of every float32 parameter.
func (m *Model) inferGraphAt(n int) (*inferGraph, error) {
	c := m.cfg
	g := G.NewGraph()
	ig := &inferGraph{}
	b := layers.NewBuilder(g, layers.Infer).SetValues(func(p *layers.Param) *tensor.Dense {
		if p.Value.Dtype() != tensor.Float32 {
			return nil
		}
		buf := make([]float32, p.Value.Shape().TotalSize())
		ig.weights = append(ig.weights, graphWeight{p: p, dst: buf})
		return tensor.New(tensor.WithShape(p.Value.Shape().Clone()...), tensor.WithBacking(buf))
	})
	x, buf := input(g, "x", n, c.Channels, c.Height, c.Width)
	outs, err := m.disc.Net.ForwardAll(b, x)
	if err != nil {
		return nil, fmt.Errorf("sgan: discriminator: %w", err)
	}
	l := outs[len(outs)-1]
	if s := l.Shape(); len(s) != 2 || s[0] != n || s[1] != c.Classes {
		return nil, fmt.Errorf("sgan: discriminator output shape %v, want (%d, %d)", s, n, c.Classes)
	}
	if fi := m.disc.Feature; fi >= 0 && fi < len(outs)-1 {
		if ig.feat, err = flatten2(outs[fi]); err != nil {
			return nil, fmt.Errorf("sgan: feature layer: %w", err)
		}
	}
	if _, err := layers.ShareBuffers(g, l, ig.feat); err != nil {
		return nil, fmt.Errorf("sgan: inference graph: %w", err)
	}
	ig.vm, ig.x, ig.logits, ig.n = G.NewTapeMachine(g), buf, l, n
	return ig, nil
}

// genGraph is the generator in inference mode, at batch n (EvalBatch,
// or fewer for small requests: ModelConfig.graphBatch).
type genGraph struct {
	n    int
	vm   G.VM
	z, y []float32 // y: class codes of a Conditional model
	out  *G.Node
}

// genGraph returns the generator graph for a request of n examples: the
// one built before when it holds them or is already at EvalBatch, else a
// new one at graphBatch(n), which replaces it. m.mu is held.
func (m *Model) genGraph(n int) (*genGraph, error) {
	want := m.cfg.graphBatch(n)
	if gg := m.genInf; gg != nil && (gg.n >= want || gg.n == m.cfg.EvalBatch) {
		return gg, nil
	}
	if m.gen == nil || m.gen.Net == nil {
		return nil, fmt.Errorf("sgan: the model has no generator")
	}
	c := m.cfg
	g := G.NewGraph()
	b := layers.NewBuilder(g, layers.Infer)
	z, buf, ybuf, _, err := genInput(g, c, want, "inf")
	if err != nil {
		return nil, err
	}
	out, err := m.gen.Net.Forward(b, z)
	if err != nil {
		return nil, fmt.Errorf("sgan: generator: %w", err)
	}
	if shape := (tensor.Shape{want, c.Channels, c.Height, c.Width}); !out.Shape().Eq(shape) {
		return nil, fmt.Errorf("sgan: generator output shape %v, want %v", out.Shape(), shape)
	}
	if _, err := layers.ShareBuffers(g, out); err != nil {
		return nil, fmt.Errorf("sgan: generator graph: %w", err)
	}
	m.genInf = &genGraph{n: want, vm: G.NewTapeMachine(g), z: buf, y: ybuf, out: out}
	return m.genInf, nil
}

// InitFromData runs the data-dependent initialisation of the
// discriminator's layers (those that implement layers.DataInitializer,
// such as the weight-normalised layers of ArchMLP) on the examples x, so
// that each such layer starts with outputs of zero mean and unit variance
// (Salimans & Kingma 2016). Fit calls it once, on up to 500 unlabelled
// examples, before a new model's first step; it does nothing for networks
// without such layers.
func (m *Model) InitFromData(x []float32) error {
	di, ok := m.disc.Net.(layers.DataInitializer)
	if !ok || !hasDataInit(m.disc.Net) {
		return nil
	}
	c := m.cfg
	F := c.Channels * c.Height * c.Width
	if len(x) == 0 || len(x)%F != 0 {
		return fmt.Errorf("sgan: InitFromData: %d values is not a positive number of %d×%d×%d examples", len(x), c.Channels, c.Height, c.Width)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.version++
	t := tensor.New(tensor.WithShape(len(x)/F, c.Channels, c.Height, c.Width), tensor.WithBacking(append([]float32(nil), x...)))
	if _, err := di.InitFromData(t); err != nil {
		return fmt.Errorf("sgan: data-dependent initialisation: %w", err)
	}
	if m.ema != nil {
		m.ema.reset()
	}
	m.dataInit = true
	return nil
}

// hasDataInit reports whether any layer of a Sequential network has a
// data-dependent initialisation.
func hasDataInit(n Network) bool {
	seq, ok := n.(layers.Sequential)
	if !ok {
		return true
	}
	for _, l := range seq {
		if _, ok := l.(layers.DataInitializer); ok {
			return true
		}
	}
	return false
}

// checkSet verifies that s matches the model's shape and classes and
// that its values are finite and within ±MaxInput.
func (m *Model) checkSet(what string, s *datasets.Set, labelled bool) error {
	c := m.cfg
	if s == nil || s.Len() == 0 {
		return fmt.Errorf("sgan: %s set is empty", what)
	}
	if s.C != c.Channels || s.H != c.Height || s.W != c.Width {
		return fmt.Errorf("sgan: %s set has images %d×%d×%d, the model expects %d×%d×%d", what, s.C, s.H, s.W, c.Channels, c.Height, c.Width)
	}
	if s.IsPixels() {
		// pixels are in [−1, 1]: only the storage needs checking
		if err := s.Validate(); err != nil {
			return fmt.Errorf("sgan: %s set: %w", what, err)
		}
	} else if n, f := s.Len(), s.Features(); len(s.Data) != n*f {
		return fmt.Errorf("sgan: %s set has %d values in Data for %d examples of %d×%d×%d = %d values (want %d): Data and Labels disagree", what, len(s.Data), n, s.C, s.H, s.W, f, n*f)
	}
	if labelled {
		for i, y := range s.Labels {
			if y < 0 || y >= c.Classes {
				return fmt.Errorf("sgan: %s set example %d: label %d out of range [0, %d)", what, i, y, c.Classes)
			}
		}
	}
	if i := badInput(s.Data); i >= 0 {
		F := s.C * s.H * s.W
		return fmt.Errorf("sgan: %s set example %d, value %d: %v is not finite or beyond ±%g; the networks expect inputs of about [−1, 1] (datasets' loaders scale pixels, datasets.RangeScaler tabular columns)", what, i/F, i%F, s.Data[i], MaxInput)
	}
	return nil
}

// What a Trainer uses of its model. The trainer reaches the model only
// through these methods.

// networks returns the discriminator and the generator (nil for a
// SupervisedOnly model).
func (m *Model) networks() (*Discriminator, *Generator) { return m.disc, m.gen }

// trainableParams returns the trainable parameters of the network net
// (discNet or genNet), in a stable order; nil for a model without
// generator.
func (m *Model) trainableParams(net string) []*layers.Param {
	if net == genNet {
		return m.gParams
	}
	return m.dParams
}

// attach records that a trainer is attached, refusing a second one.
func (m *Model) attach() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.training {
		return fmt.Errorf("sgan: NewTrainer: the model already has a trainer; Close it first")
	}
	m.training = true
	return nil
}

// detach records that the trainer is gone.
func (m *Model) detach() {
	m.mu.Lock()
	m.training = false
	m.mu.Unlock()
}

// lock takes the model's lock, for reading its weights; the returned
// function releases it.
func (m *Model) lock() (unlock func()) {
	m.mu.Lock()
	return m.mu.Unlock
}

// lockForStep takes the model's lock for a training step and counts the
// change of weights to come (even if the step fails); the returned
// function releases the lock.
func (m *Model) lockForStep() (unlock func()) {
	m.mu.Lock()
	m.version++
	return m.mu.Unlock
}

// discUpdated folds an update of the discriminator's weights into the
// weight average. The lock is held.
func (m *Model) discUpdated() {
	if m.ema != nil {
		m.ema.update()
	}
	m.dataInit = true
}

// needsDataInit reports whether the data-dependent initialisation has
// yet to run (a new model, never trained or initialised).
func (m *Model) needsDataInit() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return !m.dataInit
}
