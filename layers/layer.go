package layers

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func init() {
	// gorgonia's default "stabilisation" pass rewrites Log(SoftMax(x)) by
	// mutating the SoftMax node in place, so every other user of that node
	// silently receives log-probabilities. Every graph in this module writes
	// the stable forms itself (LogSoftMax, Softplus, LSE), so the pass is
	// switched off once for the whole process.
	G.UseNonStable()
}

// Mode says whether a graph is built for training or for inference. It is
// fixed when the graph is built: Dropout and GaussianNoise add their random
// inputs only in Train mode, BatchNorm uses batch statistics in Train mode
// and running statistics in Infer mode.
type Mode int

const (
	// Train builds the training form of every layer.
	Train Mode = iota
	// Infer builds the deterministic inference form of every layer.
	Infer
)

// String returns "train" or "infer".
func (m Mode) String() string {
	switch m {
	case Train:
		return "train"
	case Infer:
		return "infer"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Param is a named tensor owned by a layer: a learnable weight, or state
// such as BatchNorm's running statistics. Its Value is the one storage of
// that tensor; every graph that uses the layer binds a node to this same
// tensor, so an optimiser step in one graph is seen by all others.
type Param struct {
	Name      string        // hierarchical, unique in a model, e.g. "disc/conv1/W"
	Value     *tensor.Dense // the storage shared by all graphs
	Trainable bool          // false for state that no optimiser updates
}

// Layer is a piece of network. Forward adds the layer's operations to the
// graph that b builds and returns the output node. Params lists every
// learnable and state tensor of the layer, in a stable order.
type Layer interface {
	Forward(b *Builder, x *G.Node) (*G.Node, error)
	Params() []*Param
}

// RandomInput is an input node of a training graph whose value is drawn
// afresh before each run: a dropout mask or Gaussian noise. Fill writes the
// new values into dst from rng.
type RandomInput struct {
	Node *G.Node
	Fill func(rng *rand.Rand, dst []float32)
}

// Builder builds one gorgonia graph in one Mode. It binds layer parameters
// to nodes of its graph (one node per Param, shared tensor storage) and
// collects the random inputs that must be refilled before each run.
//
// One model typically has several builders over the same layers: a graph
// for the discriminator's cost, one for the generator's cost and one for
// inference, since gorgonia cannot differentiate twice in one graph.
type Builder struct {
	g      *G.ExprGraph
	mode   Mode
	nodes  map[*Param]*G.Node
	names  map[string]*Param
	order  []*Param
	random []RandomInput
	seq    int
	dtype  tensor.Dtype
	values func(*Param) *tensor.Dense // nil: bind each Param's own Value
	// scratch for filling float64 random inputs (gradient checks)
	scratch []float32
}

// NewBuilder returns a Builder over g in mode m.
func NewBuilder(g *G.ExprGraph, m Mode) *Builder {
	return &Builder{g: g, mode: m, nodes: map[*Param]*G.Node{}, names: map[string]*Param{}, dtype: tensor.Float32}
}

// SetDtype sets the dtype of the random inputs the builder creates
// (float32 by default; float64 is used by gradient checks) and returns b.
func (b *Builder) SetDtype(dt tensor.Dtype) *Builder { b.dtype = dt; return b }

// SetValues makes Bind give each parameter's node the tensor f returns
// for it instead of the parameter's own Value (when f returns nil, the
// Value is used). The tensor must have the Value's shape and dtype. A
// graph built this way reads its own copy of the weights: inference
// graphs use it to hold a weight average while training goes on in the
// live tensors. It returns b.
func (b *Builder) SetValues(f func(*Param) *tensor.Dense) *Builder { b.values = f; return b }

// Dtype returns the dtype of the random inputs the builder creates.
func (b *Builder) Dtype() tensor.Dtype { return b.dtype }

// Graph returns the graph being built.
func (b *Builder) Graph() *G.ExprGraph { return b.g }

// Mode returns the mode the graph is built in.
func (b *Builder) Mode() Mode { return b.mode }

// Bind returns the node of p in b's graph, creating it on first use. Two
// distinct Params with the same name are an error: gorgonia would silently
// merge their nodes.
func (b *Builder) Bind(p *Param) (*G.Node, error) {
	if b == nil {
		return nil, fmt.Errorf("layers: bind: nil Builder")
	}
	if n, ok := b.nodes[p]; ok {
		return n, nil
	}
	if p == nil || p.Value == nil {
		return nil, fmt.Errorf("layers: bind: nil parameter or parameter without value")
	}
	if q, ok := b.names[p.Name]; ok && q != p {
		return nil, fmt.Errorf("layers: duplicate parameter name %q", p.Name)
	}
	if p.Name == "" {
		return nil, fmt.Errorf("layers: parameter without a name (gorgonia merges unnamed nodes of equal shape)")
	}
	v := p.Value
	if b.values != nil {
		if t := b.values(p); t != nil {
			if !t.Shape().Eq(v.Shape()) || t.Dtype() != v.Dtype() {
				return nil, fmt.Errorf("layers: bind %s: substitute value is %v %v, want %v %v", p.Name, t.Dtype(), t.Shape(), v.Dtype(), v.Shape())
			}
			v = t
		}
	}
	n := G.NewTensor(b.g, v.Dtype(), v.Dims(), G.WithShape(v.Shape().Clone()...),
		G.WithName(p.Name), G.WithValue(v))
	b.nodes[p] = n
	b.names[p.Name] = p
	b.order = append(b.order, p)
	return n, nil
}

// Learnables returns the nodes of the trainable parameters bound so far, in
// the order they were first bound. Pass a subset of them to gorgonia.Grad.
func (b *Builder) Learnables() G.Nodes {
	var ns G.Nodes
	for _, p := range b.order {
		if p.Trainable {
			ns = append(ns, b.nodes[p])
		}
	}
	return ns
}

// Node returns the node bound to p, or nil if p is not used in this graph.
func (b *Builder) Node(p *Param) *G.Node { return b.nodes[p] }

// NewRandomInput adds a float32 input node of the given shape whose value is
// refilled by fill at every call of FillRandom. The name gets a unique
// suffix so that equal layers never share a mask.
func (b *Builder) NewRandomInput(name string, shape tensor.Shape, fill func(rng *rand.Rand, dst []float32)) *G.Node {
	b.seq++
	t := tensor.New(tensor.WithShape(shape.Clone()...), tensor.Of(b.dtype))
	n := G.NewTensor(b.g, b.dtype, len(shape), G.WithShape(shape.Clone()...),
		G.WithName(fmt.Sprintf("%s#rand%d", name, b.seq)), G.WithValue(t))
	b.random = append(b.random, RandomInput{Node: n, Fill: fill})
	return n
}

// RandomInputs returns the random inputs of the graph in creation order.
func (b *Builder) RandomInputs() []RandomInput { return b.random }

// FillRandom draws new values for every random input from rng. Call it
// before each run of a training graph; the order of draws is fixed, so the
// same rng state gives the same masks.
func (b *Builder) FillRandom(rng *rand.Rand) {
	for _, r := range b.random {
		switch d := r.Node.Value().Data().(type) {
		case []float32:
			r.Fill(rng, d)
		case []float64:
			if cap(b.scratch) < len(d) {
				b.scratch = make([]float32, len(d))
			}
			s := b.scratch[:len(d)]
			r.Fill(rng, s)
			for i, v := range s {
				d[i] = float64(v)
			}
		}
	}
}
