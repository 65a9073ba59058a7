package layers_test

import (
	"fmt"
	"log"
	"math/rand/v2"

	"github.com/semigan/semigan/layers"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// A small classifier: its parameters, one training step's graph and the
// shape of its output.
func Example() {
	rng := rand.New(rand.NewPCG(1, 2))
	net := layers.Sequential{
		layers.NewDense("clf/fc1", 784, 64, layers.HeNormal(rng, 0.2)),
		layers.NewBatchNorm("clf/bn1", 64),
		layers.LeakyReLU{Alpha: 0.2},
		layers.Dropout{P: 0.5},
		layers.NewDense("clf/out", 64, 10, layers.GlorotUniform(rng, 1)),
	}
	for _, p := range net.Params() {
		fmt.Printf("%-22s %-9s trainable=%v\n", p.Name, fmt.Sprint(p.Value.Shape()), p.Trainable)
	}

	g := G.NewGraph()
	b := layers.NewBuilder(g, layers.Train)
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(32, 784), G.WithName("x"),
		G.WithValue(layers.Normal(rng, 1)(tensor.Shape{32, 784}, tensor.Float32)))
	logits, err := net.Forward(b, x)
	if err != nil {
		log.Fatal(err)
	}
	lse, err := layers.LSE(logits)
	if err != nil {
		log.Fatal(err)
	}
	cost := G.Must(G.Mean(lse))
	if _, err := G.Grad(cost, b.Learnables()...); err != nil {
		log.Fatal(err)
	}
	m := G.NewTapeMachine(g, G.BindDualValues(b.Learnables()...))
	defer m.Close()
	b.FillRandom(rng) // new dropout mask
	m.Reset()
	if err := m.RunAll(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("logits:", logits.Shape(), "learnables:", len(b.Learnables()), "random inputs:", len(b.RandomInputs()))
	// Output:
	// clf/fc1/W              (784, 64) trainable=true
	// clf/fc1/b              (64)      trainable=true
	// clf/bn1/gamma          (64)      trainable=true
	// clf/bn1/beta           (64)      trainable=true
	// clf/bn1/running_mean   (64)      trainable=false
	// clf/bn1/running_var    (64)      trainable=false
	// clf/out/W              (64, 10)  trainable=true
	// clf/out/b              (10)      trainable=true
	// logits: (32, 10) learnables: 6 random inputs: 1
}

// Saving and restoring parameters by name. LoadStateDict copies into the
// existing tensors and names every entry that does not fit.
func ExampleStateDict() {
	rng := rand.New(rand.NewPCG(1, 2))
	a := layers.NewDense("fc", 3, 2, layers.GlorotUniform(rng, 1))
	state, err := layers.StateDict(a)
	if err != nil {
		log.Fatal(err)
	}
	b := layers.NewDense("fc", 3, 2, layers.Zeros)
	if err := layers.LoadStateDict(state, b); err != nil {
		log.Fatal(err)
	}
	fmt.Println(b.W.Value.Data().([]float32)[0] == a.W.Value.Data().([]float32)[0])

	c := layers.NewDense("fc", 4, 2, layers.Zeros)
	delete(state, "fc/b")
	state["fc/extra"] = layers.Ones(tensor.Shape{2}, tensor.Float32)
	fmt.Println(layers.LoadStateDict(state, c))
	// Output:
	// true
	// layers: state dict: missing fc/b; unexpected fc/extra; mismatched fc/W: got (3, 2) float32, want (4, 2) float32
}

// LSE is stable for large logits, where exp overflows.
func ExampleLSE() {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 2), G.WithName("logits"),
		G.WithValue(tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float64{1000, 1000, 0, 0}))))
	y, err := layers.LSE(x)
	if err != nil {
		log.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%.4f\n", y.Value().Data())
	// Output:
	// [1000.6931 0.6931]
}

// ForwardAll gives every layer's output: here the features of the
// penultimate layer, as the SGAN's feature-matching loss uses them.
func ExampleSequential_ForwardAll() {
	rng := rand.New(rand.NewPCG(3, 4))
	d := layers.Sequential{
		layers.NewDense("d/h", 8, 5, layers.HeNormal(rng, 0)),
		layers.ReLU{},
		layers.NewDense("d/out", 5, 3, layers.GlorotUniform(rng, 1)),
	}
	g := G.NewGraph()
	b := layers.NewBuilder(g, layers.Infer)
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(4, 8), G.WithName("x"))
	outs, err := d.ForwardAll(b, x)
	if err != nil {
		log.Fatal(err)
	}
	features, logits := outs[len(outs)-2], outs[len(outs)-1]
	fmt.Println(features.Shape(), logits.Shape())
	// Output:
	// (4, 5) (4, 3)
}

// Data-dependent initialisation of a weight-normalised stack: afterwards
// every output unit has zero mean and unit variance on the batch.
func ExampleSequential_InitFromData() {
	rng := rand.New(rand.NewPCG(5, 6))
	d := layers.Sequential{
		layers.GaussianNoise{Sigma: 0.3},
		layers.NewWNDense("d/h1", 20, 10, layers.Normal(rng, 0.05), layers.WithFixedScale()),
		layers.ReLU{},
		layers.NewWNDense("d/out", 10, 3, layers.Normal(rng, 0.05)),
	}
	x := layers.Normal(rng, 1)(tensor.Shape{100, 20}, tensor.Float32)
	y, err := d.InitFromData(x)
	if err != nil {
		log.Fatal(err)
	}
	v := y.Data().([]float32)
	mean, sq := 0.0, 0.0
	for i := 0; i < 100; i++ {
		mean += float64(v[i*3]) / 100
		sq += float64(v[i*3]) * float64(v[i*3]) / 100
	}
	fmt.Printf("unit 0: mean %.3f, variance %.3f\n", mean, sq-mean*mean)
	// Output:
	// unit 0: mean 0.000, variance 1.000
}

// Letting a training graph's intermediate values share arrays. Call
// ShareBuffers once the graph is complete, gradients included, and before
// its machine is made; keep the nodes you read after a run.
func ExampleShareBuffers() {
	rng := rand.New(rand.NewPCG(1, 2))
	net := layers.Sequential{
		layers.NewConv2D("d/conv1", 1, 8, 5, 2, 2, layers.HeNormal(rng, 0.2)),
		layers.LeakyReLU{Alpha: 0.2},
		layers.Dropout{P: 0.5},
		layers.NewConv2D("d/conv2", 8, 16, 5, 2, 2, layers.HeNormal(rng, 0.2)),
		layers.LeakyReLU{Alpha: 0.2},
		layers.Flatten{},
		layers.NewDense("d/out", 16*7*7, 10, layers.GlorotUniform(rng, 1)),
	}
	g := G.NewGraph()
	b := layers.NewBuilder(g, layers.Train)
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(32, 1, 28, 28), G.WithName("x"),
		G.WithValue(layers.Normal(rng, 1)(tensor.Shape{32, 1, 28, 28}, tensor.Float32)))
	logits, err := net.Forward(b, x)
	if err != nil {
		log.Fatal(err)
	}
	lse, err := layers.LSE(logits)
	if err != nil {
		log.Fatal(err)
	}
	cost := G.Must(G.Mean(lse))
	if _, err := G.Grad(cost, b.Learnables()...); err != nil {
		log.Fatal(err)
	}
	st, err := layers.ShareBuffers(g, logits) // logits are read after the run
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(st)

	m := G.NewTapeMachine(g, G.BindDualValues(b.Learnables()...))
	defer m.Close()
	b.FillRandom(rng)
	if err := m.RunAll(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("logits:", logits.Value().Shape())
	// Output:
	// 11 of 23 op outputs share arrays: 2.0 MB -> 1.3 MB
	// logits: (32, 10)
}
