package sgan

import (
	"fmt"
	"math/rand/v2"

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
// w > 0. A first term of weight 1 starts the cost as it is.
func (b *costBuilder) add(name string, n *G.Node, w float64) {
	b.read(name, n)
	if b.err != nil || n == nil || w <= 0 {
		return
	}
	if b.cost == nil && w == 1 {
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

// run fills the graph's random inputs from rng and runs it once.
func (s *graphStep) run(rng *rand.Rand) error {
	s.b.FillRandom(rng)
	s.vm.Reset()
	return s.vm.RunAll()
}

// trainGraphs are the two training graphs, one per cost, since gorgonia
// cannot differentiate twice in one graph, with the buffers behind their
// inputs.
type trainGraphs struct {
	d                   *graphStep
	xLab, yLab, xUnl, z []float32
	xUnl2               []float32      // second view of the unlabelled batch
	ramped              []rampedWeight // scalar inputs: the ramped weights of this step
	teacher             *inferGraph    // MeanTeacher: the weight average in inference mode, batch BatchSize
	tProbs              []float32      // MeanTeacher: the teacher's class probabilities, the consistency targets
	aug                 *augmenter
	// feeders fill the inputs that terms made (a class prior,
	// propagated labels) before each step, from the trainer's state and
	// the unlabelled batch
	feeders []func(t *Trainer, unl Batch) error

	g       *graphStep // nil without the GAN
	gz      []float32
	gFeat   []float32 // mean real features, copied from the D step
	featDim int
}

// rampedWeight is the input node of a term whose weight ramps up.
type rampedWeight struct {
	name string
	node *G.Node
}

// buildTrain builds both training graphs of model m for the training
// configuration c.
func buildTrain(m *Model, c TrainConfig) (*trainGraphs, error) {
	mc := m.Config()
	t := &trainGraphs{aug: newAugmenter(mc, c)}
	var err error
	if t.d, err = buildDiscriminatorStep(m, c, t); err != nil {
		return nil, err
	}
	if c.teacher() && !mc.SupervisedOnly {
		if t.teacher, err = m.inferGraphAt(c.BatchSize); err != nil {
			return nil, fmt.Errorf("sgan: teacher: %w", err)
		}
	}
	if !mc.gan(c) {
		return t, nil
	}
	if t.g, err = buildGeneratorStep(m, c, t); err != nil {
		return nil, err
	}
	return t, nil
}

// buildDiscriminatorStep builds the discriminator's cost: the labelled,
// unlabelled, generated (and, with a second view, second unlabelled view)
// batches go through D as one concatenated batch, and the discriminator's
// loss terms that are on are summed over their slices of the logits.
func buildDiscriminatorStep(m *Model, c TrainConfig, t *trainGraphs) (*graphStep, error) {
	mc := m.Config()
	disc, _ := m.networks()
	B := c.BatchSize
	g := G.NewGraph()
	lb := layers.NewBuilder(g, layers.Train)
	cb := newCostBuilder("discriminator")
	x := &termInputs{g: g, cb: cb, m: mc, t: c, tg: t}
	in, rows, err := discBatches(m, c, t, lb, x)
	if err != nil {
		return nil, err
	}
	nReal := 1 + btoi(rows.unl >= 0) + btoi(rows.fake >= 0) + btoi(rows.unl2 >= 0)
	outs, err := disc.Net.ForwardAll(lb, in)
	if err != nil {
		return nil, fmt.Errorf("sgan: discriminator: %w", err)
	}
	logits := outs[len(outs)-1]
	if s := logits.Shape(); len(s) != 2 || s[0] != nReal*B || s[1] != mc.Classes {
		return nil, fmt.Errorf("sgan: discriminator output shape %v, want (%d, %d)", s, nReal*B, mc.Classes)
	}
	x.lLab = logits
	if nReal > 1 {
		x.lLab = cb.slice(logits, 0, B)
	}
	rowsOf := func(r int) *G.Node {
		if r < 0 {
			return nil
		}
		return cb.slice(logits, r, r+B)
	}
	x.lUnl, x.lFake, x.lUnl2 = rowsOf(rows.unl), rowsOf(rows.fake), rowsOf(rows.unl2)
	if cb.err != nil {
		return nil, cb.err
	}
	if rows.fake >= 0 && needsRealFeatures(mc, c) {
		// The generator matches the mean features of this step's real
		// unlabelled batch: read them here rather than running the
		// discriminator over real data again in the generator's graph.
		fi := disc.Feature
		if fi < 0 || fi >= len(outs)-1 {
			return nil, fmt.Errorf("sgan: feature layer %d out of range [0, %d)", fi, len(outs)-1)
		}
		feat := cb.node(flatten2(outs[fi]))
		if feat != nil {
			t.featDim = feat.Shape()[1]
		}
		cb.read(readFeatMean, cb.node(G.Mean(cb.slice(feat, rows.unl, rows.unl+B), 0)))
	}
	addTerms(discNet, x)
	cb.read(readLabLogits, x.lLab)
	return cb.compile(lb, m.trainableParams(discNet))
}

// batchRows are the first rows of each batch in the discriminator step's
// concatenated batch (the labelled one is at 0), -1 when absent.
type batchRows struct{ unl, fake, unl2 int }

// discBatches makes the inputs of the discriminator's step and returns
// their concatenation: the labelled batch, then, unless the model is
// SupervisedOnly, the unlabelled batch, the generated one (when the GAN
// is played) and the second view (when a term needs it).
func discBatches(m *Model, c TrainConfig, t *trainGraphs, lb *layers.Builder, x *termInputs) (*G.Node, batchRows, error) {
	mc := m.Config()
	_, gen := m.networks()
	g, B := x.g, c.BatchSize
	rows := batchRows{-1, -1, -1}
	xLab, bufLab := input(g, "x_lab", B, mc.Channels, mc.Height, mc.Width)
	yLab, bufY := input(g, "y_lab_onehot", B, mc.Classes)
	t.xLab, t.yLab, x.yLab = bufLab, bufY, yLab
	if mc.SupervisedOnly {
		return xLab, rows, nil
	}
	xUnl, bufUnl := input(g, "x_unl", B, mc.Channels, mc.Height, mc.Width)
	t.xUnl = bufUnl
	parts := G.Nodes{xLab, xUnl}
	rows.unl = B
	if mc.gan(c) {
		z, bufZ, yFake, yNode, err := genInput(g, mc, B, "d")
		if err != nil {
			return nil, rows, err
		}
		t.z, x.yFake = bufZ, yNode
		fillClasses(yFake, mc.Classes) // constant: the classes asked for never change
		fake, err := gen.Net.Forward(lb, z)
		if err != nil {
			return nil, rows, fmt.Errorf("sgan: generator: %w", err)
		}
		if !fake.Shape().Eq(xLab.Shape()) {
			return nil, rows, fmt.Errorf("sgan: generator output shape %v, want %v", fake.Shape(), xLab.Shape())
		}
		rows.fake = len(parts) * B
		parts = append(parts, fake)
	}
	if c.secondView() {
		// a second, differently augmented and masked view of the
		// unlabelled batch
		xUnl2, buf := input(g, "x_unl2", B, mc.Channels, mc.Height, mc.Width)
		t.xUnl2 = buf
		rows.unl2 = len(parts) * B
		parts = append(parts, xUnl2)
	}
	in, err := G.Concat(0, parts...)
	if err != nil {
		return nil, rows, fmt.Errorf("sgan: concat batches: %w", err)
	}
	return in, rows, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// needsRealFeatures reports whether a generator term that is on needs
// the mean features of the real batch.
func needsRealFeatures(m ModelConfig, c TrainConfig) bool {
	for i := range lossTerms {
		if t := &lossTerms[i]; t.needs&needRealFeat != 0 && t.builtIn(m, c) {
			return true
		}
	}
	return false
}

// buildGeneratorStep builds the generator's cost: D runs over generated
// images only (the real side of feature matching is an input, copied from
// the discriminator step).
func buildGeneratorStep(m *Model, c TrainConfig, t *trainGraphs) (*graphStep, error) {
	mc := m.Config()
	disc, gen := m.networks()
	gg := G.NewGraph()
	lb := layers.NewBuilder(gg, layers.Train)
	cb := newCostBuilder("generator")
	x := &termInputs{g: gg, cb: cb, m: mc, t: c, tg: t}
	gz, bufGZ, bufGY, gyNode, err := genInput(gg, mc, c.BatchSize, "g")
	if err != nil {
		return nil, err
	}
	t.gz, x.gy = bufGZ, gyNode
	fillClasses(bufGY, mc.Classes)
	fake, err := gen.Net.Forward(lb, gz)
	if err != nil {
		return nil, fmt.Errorf("sgan: generator: %w", err)
	}
	gouts, err := disc.Net.ForwardAll(lb, fake)
	if err != nil {
		return nil, fmt.Errorf("sgan: discriminator: %w", err)
	}
	x.gLogits = gouts[len(gouts)-1]
	if fi := disc.Feature; fi >= 0 && fi < len(gouts)-1 && needsRealFeatures(mc, c) {
		x.gFeat = cb.node(flatten2(gouts[fi]))
	}
	addTerms(genNet, x)
	if cb.cost == nil && cb.err == nil {
		return nil, fmt.Errorf("sgan: the generator is trained but none of its loss terms is on")
	}
	return cb.compile(lb, m.trainableParams(genNet))
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
