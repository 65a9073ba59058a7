package sgan

import (
	"fmt"
	"math/rand/v2"

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

// Model is a semi-supervised GAN: a discriminator that is also a K-class
// classifier, and a generator. It owns the training, inference and
// generation graphs, all bound to the same parameter tensors.
//
// A Model is not safe for concurrent use.
type Model struct {
	cfg  Config
	disc *Discriminator
	gen  *Generator

	dParams, gParams []*layers.Param // trainable, stable order

	train  *trainGraphs // built lazily by the first Step
	infer  *inferGraph  // built lazily by the first prediction
	genInf *genGraph    // built lazily by the first Generate

	ema        *ema  // nil when EMADecay < 0
	dOpt, gOpt *adam // gOpt nil without generator

	pcg   *rand.PCG  // the state behind rng, saved in checkpoints
	rng   *rand.Rand // masks, z, augmentation, shuffling
	step  int        // D updates taken
	epoch int        // epochs completed by Fit
	// progress is the fraction of Fit's budget used, for schedules that
	// ramp up; it is 1 outside Fit, so that custom loops calling Step get
	// the full weights.
	progress float64

	custom   bool // built by NewWith from user networks
	dataInit bool // InitFromData has run
}

// Config returns the model's configuration with defaults filled in.
func (m *Model) Config() Config { return m.cfg }

// Discriminator returns the model's classifier network.
func (m *Model) Discriminator() *Discriminator { return m.disc }

// Generator returns the model's generator network.
func (m *Model) Generator() *Generator { return m.gen }

// Steps returns the number of training steps taken so far.
func (m *Model) Steps() int { return m.step }

// New builds a model with the built-in architecture that cfg.Arch names,
// initialised from cfg.Seed.
func New(cfg Config) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	initRng := rand.New(rand.NewPCG(cfg.Seed, streamInit))
	d, g, err := buildArch(cfg, initRng)
	if err != nil {
		return nil, err
	}
	m, err := NewWith(cfg, d, g)
	if err != nil {
		return nil, err
	}
	m.custom = false
	return m, nil
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
// graphs, so an error names the mismatch. gen may be nil when
// cfg.SupervisedOnly is set.
func NewWith(cfg Config, d *Discriminator, g *Generator) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	if d == nil || d.Net == nil {
		return nil, fmt.Errorf("sgan: nil discriminator")
	}
	if (g == nil || g.Net == nil) && !cfg.SupervisedOnly {
		return nil, fmt.Errorf("sgan: nil generator (only SupervisedOnly models may omit it)")
	}
	pcg := rand.NewPCG(cfg.Seed, streamTrain)
	m := &Model{cfg: cfg, disc: d, gen: g, pcg: pcg, rng: rand.New(pcg), custom: true, progress: 1}
	m.dParams = trainable(d.Net.Params())
	m.dOpt = newAdam("disc", m.dParams, cfg.LearnRate, cfg.Beta1, cfg.Beta2, 1e-8)
	if g != nil && g.Net != nil && !cfg.SupervisedOnly {
		m.gParams = trainable(g.Net.Params())
		m.gOpt = newAdam("gen", m.gParams, cfg.GenLearnRate, cfg.Beta1, cfg.Beta2, 1e-8)
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
	if cfg.EMADecay >= 0 {
		m.ema = newEMA(m.dParams, cfg.EMADecay)
	}
	// Build the inference graph now: it checks the discriminator's shapes
	// and costs little.
	if _, err := m.inferGraph(); err != nil {
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

// trainGraphs are the two training graphs: one per cost, since gorgonia
// cannot differentiate twice in one graph.
type trainGraphs struct {
	// discriminator step
	dB                  *layers.Builder
	dVM                 G.VM
	xLab, yLab, xUnl, z []float32
	dNodes              G.Nodes
	dCost               *G.Node
	xUnl2               []float32 // second view of the unlabelled batch (consistency)
	consW               *G.Node   // scalar input: the consistency weight of this step
	shiftTmp            []float32 // scratch of H·W values for augmentation

	// values read out of the graphs; a separate object, see readouts
	out *readouts

	// generator step (nil graph when SupervisedOnly)
	gB      *layers.Builder
	gVM     G.VM
	gz      []float32
	gFeat   []float32 // mean real features, copied from the D step
	featDim int
	gNodes  G.Nodes
	gCost   *G.Node
	hasGen  bool

	// the class-code input of the D step's generated batch (nil unless
	// Conditional); the codes themselves are filled once, at build time
	yFakeNode *G.Node
}

// readouts receive the values that G.Read nodes copy out of the training
// graphs. They live apart from trainGraphs on purpose: a Read node keeps a
// pointer to its target, and gorgonia puts a finalizer on every tape
// machine; a target inside the struct that holds the machine would close
// a cycle through a finalized object, which Go never collects, and every
// model ever trained would stay in memory with its graphs (about 200 MB
// each at the default size).
type readouts struct {
	sup, uns, ent, cons G.Value
	labLogits           G.Value
	feat                G.Value // mean features of the D step's unlabelled batch
	fakeCls, genCls     G.Value
}

// genInput makes the generator's input for one graph: a (BatchSize,
// LatentDim) latent input z, and for a Conditional model a (BatchSize, K)
// class-code input y, concatenated to z. tag names the graph's nodes.
func genInput(g *G.ExprGraph, c Config, tag string) (in *G.Node, z, y []float32, yNode *G.Node, err error) {
	zNode, z := input(g, "z_"+tag, c.BatchSize, c.LatentDim)
	if !c.Conditional {
		return zNode, z, nil, nil, nil
	}
	yNode, y = input(g, "y_"+tag, c.BatchSize, c.Classes)
	if in, err = G.Concat(1, zNode, yNode); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("sgan: conditional generator input: %w", err)
	}
	return in, z, y, yNode, nil
}

func (m *Model) buildTrain() (*trainGraphs, error) {
	c := m.cfg
	B := c.BatchSize
	t := &trainGraphs{shiftTmp: make([]float32, c.Height*c.Width), out: &readouts{}}

	// ---- discriminator cost ----
	g := G.NewGraph()
	t.dB = layers.NewBuilder(g, layers.Train)
	xLab, bufLab := input(g, "x_lab", B, c.Channels, c.Height, c.Width)
	yLab, bufY := input(g, "y_lab_onehot", B, c.Classes)
	t.xLab, t.yLab = bufLab, bufY
	x := xLab
	nReal := 1
	var err error
	if !c.SupervisedOnly {
		xUnl, bufUnl := input(g, "x_unl", B, c.Channels, c.Height, c.Width)
		t.xUnl = bufUnl
		var z *G.Node
		var yFake []float32
		if z, t.z, yFake, t.yFakeNode, err = genInput(g, c, "d"); err != nil {
			return nil, err
		}
		fillClasses(yFake, c.Classes) // constant: the classes asked for never change
		fake, err := m.gen.Net.Forward(t.dB, z)
		if err != nil {
			return nil, fmt.Errorf("sgan: generator: %w", err)
		}
		if !fake.Shape().Eq(xLab.Shape()) {
			return nil, fmt.Errorf("sgan: generator output shape %v, want %v", fake.Shape(), xLab.Shape())
		}
		parts := G.Nodes{xLab, xUnl, fake}
		if weight(c.ConsistencyWeight) > 0 {
			// a second, differently shifted and masked view of the
			// unlabelled batch for the consistency loss
			xUnl2, buf := input(g, "x_unl2", B, c.Channels, c.Height, c.Width)
			t.xUnl2 = buf
			parts = append(parts, xUnl2)
		}
		x, err = G.Concat(0, parts...)
		if err != nil {
			return nil, fmt.Errorf("sgan: concat batches: %w", err)
		}
		nReal = len(parts)
	}
	outs, err := m.disc.Net.ForwardAll(t.dB, x)
	if err != nil {
		return nil, fmt.Errorf("sgan: discriminator: %w", err)
	}
	logits := outs[len(outs)-1]
	if s := logits.Shape(); len(s) != 2 || s[0] != nReal*B || s[1] != c.Classes {
		return nil, fmt.Errorf("sgan: discriminator output shape %v, want (%d, %d)", s, nReal*B, c.Classes)
	}
	lLab := logits
	if nReal > 1 {
		if lLab, err = G.Slice(logits, G.S(0, B)); err != nil {
			return nil, err
		}
	}
	sup, err := supervisedLoss(lLab, yLab)
	if err != nil {
		return nil, err
	}
	reads := G.Nodes{G.Read(sup, &t.out.sup), G.Read(lLab, &t.out.labLogits)}
	cost := sup
	if !c.SupervisedOnly {
		lUnl, err := G.Slice(logits, G.S(B, 2*B))
		if err != nil {
			return nil, err
		}
		lFake, err := G.Slice(logits, G.S(2*B, 3*B))
		if err != nil {
			return nil, err
		}
		uns, err := unsupervisedLoss(lUnl, lFake)
		if err != nil {
			return nil, err
		}
		reads = append(reads, G.Read(uns, &t.out.uns))
		if c.GenLoss == FeatureMatching {
			// The generator matches the mean features of this step's real
			// unlabelled batch: read them here rather than running the
			// discriminator over real data again in the generator's graph.
			fi := m.disc.Feature
			if fi < 0 || fi >= len(outs)-1 {
				return nil, fmt.Errorf("sgan: feature layer %d out of range [0, %d)", fi, len(outs)-1)
			}
			feat, err := flatten2(outs[fi])
			if err != nil {
				return nil, err
			}
			t.featDim = feat.Shape()[1]
			fU, err := G.Slice(feat, G.S(B, 2*B))
			if err != nil {
				return nil, err
			}
			fm, err := G.Mean(fU, 0)
			if err != nil {
				return nil, err
			}
			reads = append(reads, G.Read(fm, &t.out.feat))
		}
		if w := weight(c.UnsupWeight); w > 0 {
			wu, err := G.HadamardProd(uns, constant(uns, w))
			if err != nil {
				return nil, err
			}
			if cost, err = G.Add(cost, wu); err != nil {
				return nil, err
			}
		}
		if w := weight(c.EntropyWeight); w > 0 {
			ent, err := entropyLoss(lUnl)
			if err != nil {
				return nil, err
			}
			reads = append(reads, G.Read(ent, &t.out.ent))
			we, err := G.HadamardProd(ent, constant(ent, w))
			if err != nil {
				return nil, err
			}
			if cost, err = G.Add(cost, we); err != nil {
				return nil, err
			}
		}
		if w := weight(c.FakeClassWeight); w > 0 && c.Conditional {
			// AC-GAN: the classifier learns the class of each conditional fake
			fc, err := supervisedLoss(lFake, t.yFakeNode)
			if err != nil {
				return nil, err
			}
			reads = append(reads, G.Read(fc, &t.out.fakeCls))
			wf, err := G.HadamardProd(fc, constant(fc, w))
			if err != nil {
				return nil, err
			}
			if cost, err = G.Add(cost, wf); err != nil {
				return nil, err
			}
		}
		if t.xUnl2 != nil {
			lUnl2, err := G.Slice(logits, G.S(3*B, 4*B))
			if err != nil {
				return nil, err
			}
			cons, err := consistencyLoss(lUnl, lUnl2)
			if err != nil {
				return nil, err
			}
			reads = append(reads, G.Read(cons, &t.out.cons))
			// the weight is an input, ramped up by Step
			t.consW = G.NewScalar(g, G.Float32, G.WithName("w_consistency"), G.WithValue(float32(0)))
			wc, err := G.HadamardProd(cons, t.consW)
			if err != nil {
				return nil, err
			}
			if cost, err = G.Add(cost, wc); err != nil {
				return nil, err
			}
		}
	}
	t.dCost = cost
	if t.dNodes, err = nodesOf(t.dB, m.dParams); err != nil {
		return nil, err
	}
	dGrads, err := G.Grad(cost, t.dNodes...)
	if err != nil {
		return nil, fmt.Errorf("sgan: discriminator gradients: %w", err)
	}
	t.dVM = G.NewTapeMachine(needed(g, cost, dGrads, reads), G.BindDualValues(t.dNodes...))
	m.dOpt.nodes = t.dNodes

	if c.SupervisedOnly {
		return t, nil
	}

	// ---- generator cost ----
	gg := G.NewGraph()
	t.gB = layers.NewBuilder(gg, layers.Train)
	gz, bufGZ, bufGY, gyNode, err := genInput(gg, c, "g")
	if err != nil {
		return nil, err
	}
	t.gz = bufGZ
	fillClasses(bufGY, c.Classes)
	fake, err := m.gen.Net.Forward(t.gB, gz)
	if err != nil {
		return nil, fmt.Errorf("sgan: generator: %w", err)
	}
	gouts, err := m.disc.Net.ForwardAll(t.gB, fake)
	if err != nil {
		return nil, fmt.Errorf("sgan: discriminator: %w", err)
	}
	gLogits := gouts[len(gouts)-1]
	var gCost *G.Node
	switch c.GenLoss {
	case FeatureMatching:
		fRealMean, buf := input(gg, "f_real_mean", t.featDim)
		t.gFeat = buf
		feat, err := flatten2(gouts[m.disc.Feature])
		if err != nil {
			return nil, err
		}
		if gCost, err = featureMatchingLoss(fRealMean, feat); err != nil {
			return nil, err
		}
	case NonSaturating:
		if gCost, err = realLoss(gLogits); err != nil {
			return nil, err
		}
	}
	var gReads G.Nodes
	if w := weight(c.ClassWeight); w > 0 && c.Conditional {
		// the discriminator should see class y in G(z, y)
		cls, err := supervisedLoss(gLogits, gyNode)
		if err != nil {
			return nil, err
		}
		gReads = append(gReads, G.Read(cls, &t.out.genCls))
		wc, err := G.HadamardProd(cls, constant(cls, w))
		if err != nil {
			return nil, err
		}
		if gCost, err = G.Add(gCost, wc); err != nil {
			return nil, err
		}
	}
	t.gCost = gCost
	if t.gNodes, err = nodesOf(t.gB, m.gParams); err != nil {
		return nil, err
	}
	gGrads, err := G.Grad(gCost, t.gNodes...)
	if err != nil {
		return nil, fmt.Errorf("sgan: generator gradients: %w", err)
	}
	t.gVM = G.NewTapeMachine(needed(gg, gCost, gGrads, gReads), G.BindDualValues(t.gNodes...))
	m.gOpt.nodes = t.gNodes
	t.hasGen = true
	return t, nil
}

// needed returns the part of g that computes the cost, the wanted
// gradients and the read-outs. gorgonia's symbolic differentiation adds the
// gradient of every input of every op on the path, such as the gradients
// of the discriminator's weights in the generator's graph; a machine over
// the whole graph would compute them all and throw them away.
func needed(g *G.ExprGraph, cost *G.Node, grads, reads G.Nodes) *G.ExprGraph {
	roots := append(G.Nodes{cost}, grads...)
	roots = append(roots, reads...)
	return g.SubgraphRoots(roots...)
}

// inferGraph is the discriminator in inference mode at batch EvalBatch.
type inferGraph struct {
	vm     G.VM
	x      []float32
	logits *G.Node
}

func (m *Model) inferGraph() (*inferGraph, error) {
	if m.infer != nil {
		return m.infer, nil
	}
	c := m.cfg
	g := G.NewGraph()
	b := layers.NewBuilder(g, layers.Infer)
	x, buf := input(g, "x", c.EvalBatch, c.Channels, c.Height, c.Width)
	l, err := m.disc.Net.Forward(b, x)
	if err != nil {
		return nil, fmt.Errorf("sgan: discriminator: %w", err)
	}
	if s := l.Shape(); len(s) != 2 || s[0] != c.EvalBatch || s[1] != c.Classes {
		return nil, fmt.Errorf("sgan: discriminator output shape %v, want (%d, %d)", s, c.EvalBatch, c.Classes)
	}
	m.infer = &inferGraph{vm: G.NewTapeMachine(g), x: buf, logits: l}
	return m.infer, nil
}

// genGraph is the generator in inference mode at batch BatchSize.
type genGraph struct {
	vm   G.VM
	z, y []float32 // y: class codes of a Conditional model
	out  *G.Node
}

func (m *Model) genGraph() (*genGraph, error) {
	if m.genInf != nil {
		return m.genInf, nil
	}
	if m.gen == nil || m.gen.Net == nil {
		return nil, fmt.Errorf("sgan: the model has no generator")
	}
	c := m.cfg
	g := G.NewGraph()
	b := layers.NewBuilder(g, layers.Infer)
	z, buf, ybuf, _, err := genInput(g, c, "inf")
	if err != nil {
		return nil, err
	}
	out, err := m.gen.Net.Forward(b, z)
	if err != nil {
		return nil, fmt.Errorf("sgan: generator: %w", err)
	}
	want := tensor.Shape{c.BatchSize, c.Channels, c.Height, c.Width}
	if !out.Shape().Eq(want) {
		return nil, fmt.Errorf("sgan: generator output shape %v, want %v", out.Shape(), want)
	}
	m.genInf = &genGraph{vm: G.NewTapeMachine(g), z: buf, y: ybuf, out: out}
	return m.genInf, nil
}
