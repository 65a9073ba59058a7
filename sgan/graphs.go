package sgan

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"github.com/semigan/semigan/layers"
)

// costBuilder assembles one training cost as a sum of named terms and
// records, for each term, a read-out of its value for the step's
// statistics. Its error is sticky: after the first failure every call is a
// no-op, and err holds that failure, so a graph is built as a flat list of
// calls checked once at the end.
//
// Adding a loss term to a training graph is one call of add (or addScaled,
// when the weight changes from step to step); the term's value then
// appears under its name in the read-outs, which the metrics table
// (metrics.go) maps to StepStats fields.
type costBuilder struct {
	what  string // "discriminator" or "generator", for errors
	cost  *G.Node
	reads G.Nodes
	out   readouts
	err   error
}

// readouts receive the values that G.Read nodes copy out of a training
// graph, by term name. Each target is its own allocation, never a field of
// the struct that holds the graph's machine: a Read node keeps a pointer
// to its target, and gorgonia puts a finalizer on every tape machine; a
// target inside that struct would close a cycle through a finalized
// object, which Go never collects, and every model ever trained would stay
// in memory with its graphs (about 200 MB each at the default size).
type readouts map[string]*G.Value

// value returns the term's value of the last run as a float64, 0 when the
// term is not part of the graph.
func (r readouts) value(name string) float64 {
	p := r[name]
	if p == nil {
		return 0
	}
	return scalar(*p)
}

// raw returns the term's last value, nil when the term is not computed.
func (r readouts) raw(name string) G.Value {
	if p := r[name]; p != nil {
		return *p
	}
	return nil
}

func newCostBuilder(what string) *costBuilder {
	return &costBuilder{what: what, out: readouts{}}
}

// node records err and returns n: it lets a (node, error) result be used
// inline.
func (b *costBuilder) node(n *G.Node, err error) *G.Node {
	if b.err == nil && err != nil {
		b.err = fmt.Errorf("sgan: %s cost: %w", b.what, err)
	}
	if b.err != nil {
		return nil
	}
	return n
}

// fail records an error built by the caller.
func (b *costBuilder) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

// read registers a read-out of n under name without adding it to the cost.
func (b *costBuilder) read(name string, n *G.Node) {
	if b.err != nil || n == nil {
		return
	}
	if _, dup := b.out[name]; dup {
		b.fail(fmt.Errorf("sgan: %s cost: term %q added twice", b.what, name))
		return
	}
	v := new(G.Value)
	b.out[name] = v
	b.reads = append(b.reads, G.Read(n, v))
}

// add registers the read-out of the term n and adds w·n to the cost when
// w > 0. The first term starts the cost as it is (its weight must be 1).
func (b *costBuilder) add(name string, n *G.Node, w float64) {
	b.read(name, n)
	if b.err != nil || n == nil || w <= 0 {
		return
	}
	if b.cost == nil {
		if w != 1 {
			b.fail(fmt.Errorf("sgan: %s cost: first term %q has weight %g, want 1", b.what, name, w))
			return
		}
		b.cost = n
		return
	}
	b.sum(b.node(G.HadamardProd(n, constant(n, w))))
}

// addScaled registers the read-out of the term n and adds w·n to the cost,
// where w is a scalar input node whose value the trainer sets before each
// run (a ramped weight).
func (b *costBuilder) addScaled(name string, n, w *G.Node) {
	b.read(name, n)
	if b.err != nil || n == nil {
		return
	}
	b.sum(b.node(G.HadamardProd(n, w)))
}

func (b *costBuilder) sum(t *G.Node) {
	if b.err != nil {
		return
	}
	if b.cost == nil {
		b.cost = t
		return
	}
	b.cost = b.node(G.Add(b.cost, t))
}

// slice returns rows [lo, hi) of x.
func (b *costBuilder) slice(x *G.Node, lo, hi int) *G.Node {
	if b.err != nil {
		return nil
	}
	return b.node(G.Slice(x, G.S(lo, hi)))
}

// graphStep is one compiled training graph: its builder (for random
// inputs), machine, cost, the parameters' nodes whose gradients it
// computes, and the read-outs of its terms.
type graphStep struct {
	b     *layers.Builder
	vm    G.VM
	cost  *G.Node
	nodes G.Nodes
	out   readouts

	shared layers.ShareStats // what ShareBuffers did to the graph
}

// compile differentiates the cost with respect to params and makes the
// machine over the part of the graph that the cost, the gradients and the
// read-outs need.
func (b *costBuilder) compile(lb *layers.Builder, params []*layers.Param) (*graphStep, error) {
	if b.err != nil {
		return nil, b.err
	}
	nodes, err := nodesOf(lb, params)
	if err != nil {
		return nil, err
	}
	grads, err := G.Grad(b.cost, nodes...)
	if err != nil {
		return nil, fmt.Errorf("sgan: %s gradients: %w", b.what, err)
	}
	sub := needed(lb.Graph(), b.cost, grads, b.reads)
	shared, err := layers.ShareBuffers(sub)
	if err != nil {
		return nil, fmt.Errorf("sgan: %s graph: %w", b.what, err)
	}
	vm := G.NewTapeMachine(sub, G.BindDualValues(nodes...))
	return &graphStep{b: lb, vm: vm, cost: b.cost, nodes: nodes, out: b.out, shared: shared}, nil
}

// run fills the graph's random inputs from the trainer's stream and runs
// it once.
func (s *graphStep) run(t *Trainer) error {
	s.b.FillRandom(t.rng)
	s.vm.Reset()
	return s.vm.RunAll()
}

// trainGraphs are the two training graphs, one per cost, since gorgonia
// cannot differentiate twice in one graph, with the buffers behind their
// inputs.
type trainGraphs struct {
	d                   *graphStep
	xLab, yLab, xUnl, z []float32
	xUnl2               []float32   // second view of the unlabelled batch (consistency)
	consW               *G.Node     // scalar input: the consistency weight of this step
	teacher             *inferGraph // MeanTeacher: the weight average in inference mode, batch BatchSize
	tProbs              []float32   // MeanTeacher: the teacher's class probabilities, the consistency targets
	prior               []float32   // the class prior of the balance loss (K)
	shiftTmp            []float32   // scratch of H·W values for augmentation
	mixX, mixY          []float32   // scratch copies of the labelled batch for mixup

	g       *graphStep // nil when SupervisedOnly
	gz      []float32
	gFeat   []float32 // mean real features, copied from the D step
	featDim int
}

// Names of the cost terms, as registered by buildTrain; the metrics table
// maps them to StepStats fields.
const (
	termSup             = "sup"
	termUnsup           = "unsup"
	termEntropy         = "entropy"
	termBalance         = "balance"
	termConsistency     = "consistency"
	termFakeClass       = "fake_class"
	termGenClass        = "gen_class"
	termPseudo          = "pseudo"
	termPseudoRate      = "pseudo_rate" // share of the unlabelled batch with a pseudo-label
	termFeatureMatching = "feature_matching"
	termNonSaturating   = "nonsaturating"
	readLabLogits       = "lab_logits" // the labelled batch's logits, for the training accuracy
	readFeatMean        = "feat_mean"  // mean features of the unlabelled batch, for feature matching
)

// buildTrain builds both training graphs of model m for the training
// configuration c.
func buildTrain(m *Model, c Config) (*trainGraphs, error) {
	t := &trainGraphs{shiftTmp: make([]float32, c.Height*c.Width)}
	var err error
	if t.d, err = buildDiscriminatorStep(m, c, t); err != nil {
		return nil, err
	}
	if c.teacher() {
		if t.teacher, err = m.inferGraphAt(c.BatchSize); err != nil {
			return nil, fmt.Errorf("sgan: teacher: %w", err)
		}
	}
	if !c.gan() {
		return t, nil
	}
	if t.g, err = buildGeneratorStep(m, c, t); err != nil {
		return nil, err
	}
	return t, nil
}

// buildDiscriminatorStep builds the discriminator's cost: the labelled,
// unlabelled, generated (and, with the consistency loss, second unlabelled
// view) batches go through D as one concatenated batch.
func buildDiscriminatorStep(m *Model, c Config, t *trainGraphs) (*graphStep, error) {
	B := c.BatchSize
	g := G.NewGraph()
	lb := layers.NewBuilder(g, layers.Train)
	cb := newCostBuilder("discriminator")
	xLab, bufLab := input(g, "x_lab", B, c.Channels, c.Height, c.Width)
	yLab, bufY := input(g, "y_lab_onehot", B, c.Classes)
	t.xLab, t.yLab = bufLab, bufY
	x := xLab
	nReal := 1
	var yFakeNode *G.Node
	// the rows of each batch in the concatenated batch, -1 when absent
	rows := struct{ unl, fake, unl2 int }{-1, -1, -1}
	if !c.SupervisedOnly {
		xUnl, bufUnl := input(g, "x_unl", B, c.Channels, c.Height, c.Width)
		t.xUnl = bufUnl
		parts := G.Nodes{xLab, xUnl}
		rows.unl = B
		if c.gan() {
			z, bufZ, yFake, yNode, err := genInput(g, c, "d")
			if err != nil {
				return nil, err
			}
			t.z, yFakeNode = bufZ, yNode
			fillClasses(yFake, c.Classes) // constant: the classes asked for never change
			fake, err := m.gen.Net.Forward(lb, z)
			if err != nil {
				return nil, fmt.Errorf("sgan: generator: %w", err)
			}
			if !fake.Shape().Eq(xLab.Shape()) {
				return nil, fmt.Errorf("sgan: generator output shape %v, want %v", fake.Shape(), xLab.Shape())
			}
			rows.fake = len(parts) * B
			parts = append(parts, fake)
		}
		if c.secondView() {
			// a second, differently shifted and masked view of the
			// unlabelled batch for the consistency and pseudo-label losses
			xUnl2, buf := input(g, "x_unl2", B, c.Channels, c.Height, c.Width)
			t.xUnl2 = buf
			rows.unl2 = len(parts) * B
			parts = append(parts, xUnl2)
		}
		var err error
		if x, err = G.Concat(0, parts...); err != nil {
			return nil, fmt.Errorf("sgan: concat batches: %w", err)
		}
		nReal = len(parts)
	}
	outs, err := m.disc.Net.ForwardAll(lb, x)
	if err != nil {
		return nil, fmt.Errorf("sgan: discriminator: %w", err)
	}
	logits := outs[len(outs)-1]
	if s := logits.Shape(); len(s) != 2 || s[0] != nReal*B || s[1] != c.Classes {
		return nil, fmt.Errorf("sgan: discriminator output shape %v, want (%d, %d)", s, nReal*B, c.Classes)
	}
	lLab := logits
	if nReal > 1 {
		lLab = cb.slice(logits, 0, B)
	}
	cb.add(termSup, cb.node(supervisedLoss(lLab, yLab)), 1)
	cb.read(readLabLogits, lLab)
	if c.SupervisedOnly {
		return cb.compile(lb, m.dParams)
	}

	lUnl := cb.slice(logits, rows.unl, rows.unl+B)
	if cb.err != nil {
		return nil, cb.err
	}
	if c.gan() {
		lFake := cb.slice(logits, rows.fake, rows.fake+B)
		if cb.err != nil {
			return nil, cb.err
		}
		uns := cb.node(unsupervisedLoss(lUnl, lFake))
		if c.GenLoss == FeatureMatching {
			// The generator matches the mean features of this step's real
			// unlabelled batch: read them here rather than running the
			// discriminator over real data again in the generator's graph.
			fi := m.disc.Feature
			if fi < 0 || fi >= len(outs)-1 {
				return nil, fmt.Errorf("sgan: feature layer %d out of range [0, %d)", fi, len(outs)-1)
			}
			feat := cb.node(flatten2(outs[fi]))
			if feat != nil {
				t.featDim = feat.Shape()[1]
			}
			cb.read(readFeatMean, cb.node(G.Mean(cb.slice(feat, rows.unl, rows.unl+B), 0)))
		}
		cb.add(termUnsup, uns, weight(c.UnsupWeight))
		if w := weight(c.EntropyWeight); w > 0 {
			cb.add(termEntropy, cb.node(entropyLoss(lUnl)), w)
		}
		if w := weight(c.FakeClassWeight); w > 0 && c.Conditional {
			// AC-GAN: the classifier learns the class of each conditional fake
			cb.add(termFakeClass, cb.node(supervisedLoss(lFake, yFakeNode)), w)
		}
	} else if w := weight(c.EntropyWeight); w > 0 {
		cb.add(termEntropy, cb.node(entropyLoss(lUnl)), w)
	}
	if w := weight(c.BalanceWeight); w > 0 {
		prior, buf := input(g, "class_prior", c.Classes)
		t.prior = buf
		cb.add(termBalance, cb.node(balanceLoss(lUnl, prior)), w)
	}
	if c.teacher() {
		// Mean Teacher: the targets are an input, filled by Step
		target, buf := input(g, "teacher_probs", B, c.Classes)
		t.tProbs = buf
		t.consW = G.NewScalar(g, G.Float32, G.WithName("w_consistency"), G.WithValue(float32(0)))
		cb.addScaled(termConsistency, cb.node(consistencyToTarget(lUnl, target)), t.consW)
	}
	if t.xUnl2 != nil {
		lUnl2 := cb.slice(logits, rows.unl2, rows.unl2+B)
		if weight(c.ConsistencyWeight) > 0 && !c.MeanTeacher {
			// the weight is an input, ramped up by Step
			t.consW = G.NewScalar(g, G.Float32, G.WithName("w_consistency"), G.WithValue(float32(0)))
			cb.addScaled(termConsistency, cb.node(consistencyLoss(lUnl, lUnl2)), t.consW)
		}
		if w := weight(c.PseudoLabelWeight); w > 0 {
			// FixMatch: the first view's confident predictions are the
			// second view's targets
			target := cb.node(layers.PseudoLabels(lUnl, c.PseudoLabelThreshold))
			cb.add(termPseudo, cb.node(supervisedLoss(lUnl2, target)), w)
			if target != nil {
				kept := cb.node(G.Sum(target))
				cb.read(termPseudoRate, cb.node(G.HadamardDiv(kept, constant(kept, float64(B)))))
			}
		}
	}
	return cb.compile(lb, m.dParams)
}

// buildGeneratorStep builds the generator's cost: D runs over generated
// images only (the real side of feature matching is an input, copied from
// the discriminator step).
func buildGeneratorStep(m *Model, c Config, t *trainGraphs) (*graphStep, error) {
	gg := G.NewGraph()
	lb := layers.NewBuilder(gg, layers.Train)
	cb := newCostBuilder("generator")
	gz, bufGZ, bufGY, gyNode, err := genInput(gg, c, "g")
	if err != nil {
		return nil, err
	}
	t.gz = bufGZ
	fillClasses(bufGY, c.Classes)
	fake, err := m.gen.Net.Forward(lb, gz)
	if err != nil {
		return nil, fmt.Errorf("sgan: generator: %w", err)
	}
	gouts, err := m.disc.Net.ForwardAll(lb, fake)
	if err != nil {
		return nil, fmt.Errorf("sgan: discriminator: %w", err)
	}
	gLogits := gouts[len(gouts)-1]
	switch c.GenLoss {
	case FeatureMatching:
		fRealMean, buf := input(gg, "f_real_mean", t.featDim)
		t.gFeat = buf
		feat := cb.node(flatten2(gouts[m.disc.Feature]))
		cb.add(termFeatureMatching, cb.node(featureMatchingLoss(fRealMean, feat)), 1)
	case NonSaturating:
		cb.add(termNonSaturating, cb.node(realLoss(gLogits)), 1)
	}
	if w := weight(c.ClassWeight); w > 0 && c.Conditional {
		// the discriminator should see class y in G(z, y)
		cb.add(termGenClass, cb.node(supervisedLoss(gLogits, gyNode)), w)
	}
	return cb.compile(lb, m.gParams)
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
