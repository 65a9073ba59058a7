// Package layers provides neural-network layers as gorgonia subgraphs, with
// seeded initialisers and the custom ops that gorgonia v0.9.18 lacks or gets
// wrong or slow.
//
// # Overview
//
// A layer is a struct with exported fields and a Forward method that adds
// its operations to a graph (the Layer interface):
//
//   - Dense and WNDense (weight-normalised, with data-dependent
//     initialisation) for (N, In) inputs;
//   - Conv2D and ConvTranspose2D for NCHW images;
//   - BatchNorm for (N, C) and (N, C, H, W) inputs;
//   - the activations LeakyReLU, ReLU, Tanh, Sigmoid and Softplus;
//   - Dropout and GaussianNoise, active in Train mode only;
//   - Reshape and Flatten, which keep the batch dimension;
//   - Sequential, a chain of layers, whose ForwardAll also returns the
//     intermediate outputs.
//
// Constructors take a name and explicit sizes, for example
//
//	rng := rand.New(rand.NewPCG(seed, 0))
//	d := layers.Sequential{
//		layers.NewDense("disc/fc1", 784, 500, layers.HeNormal(rng, 0.2)),
//		layers.LeakyReLU{Alpha: 0.2},
//		layers.Dropout{P: 0.5},
//		layers.NewDense("disc/out", 500, 10, layers.GlorotUniform(rng, 1)),
//	}
//
// and options (WithDtype, WithoutBias, WithBiasInit, WithFixedScale).
// LSE, AddBias and ScaleChannels are the ops on which the SGAN loss and
// custom layers build. StateDict and LoadStateDict export and import every
// parameter by name.
//
// # Parameters and graphs
//
// A parameter is a Param: a unique hierarchical name ("disc/fc1/W"), its one
// *tensor.Dense and whether an optimiser trains it. Layers own their Params,
// not gorgonia nodes, because one model needs several graphs: gorgonia
// cannot differentiate twice in one graph, so a GAN has a graph for the
// discriminator's cost, one for the generator's cost and one for inference.
// A Builder builds one graph: Bind creates, on first use, the node of a
// Param in that graph, bound to the Param's tensor. Every graph thus shares
// the same storage, and an optimiser step through one graph's nodes is seen
// by the others. Builder.Learnables lists the trainable nodes of its graph,
// for gorgonia.Grad, BindDualValues and a solver.
//
// Load saved values with LoadStateDict, which copies into the existing
// tensors; never replace a Param's Value once graphs are built.
//
// Layers allocate float32 parameters unless built WithDtype(tensor.Float64);
// the input of a layer must have its parameters' dtype, and the Builder's
// dtype (SetDtype) must match it for the random inputs.
//
// # Modes
//
// The Mode of a graph is fixed when it is built. In Train mode Dropout and
// GaussianNoise add random input nodes and BatchNorm normalises with batch
// statistics and updates its running statistics at every run; in Infer mode
// Dropout and GaussianNoise return their input unchanged and BatchNorm uses
// the running statistics. There is no mode switch at run time and no mode
// state shared between machines (gorgonia's own BatchNorm has both).
//
// # Values and memory
//
// The ops of this package (convolutions, matrix products, activations,
// batch normalisation, dropout and noise, reshapes, the log-sum-exp)
// write their results into arrays they own and reuse each time their
// graph runs: a training step leaves almost no garbage, where gorgonia's
// own ops allocate every result anew. The value of such a node is
// therefore valid until its graph runs again. Copy what you keep, or read
// it with gorgonia.Read, which copies.
//
// ShareBuffers goes one step further for a graph that is complete: nodes
// whose lifetimes in the machine's order do not overlap share one array,
// which roughly halves what a training graph holds (the forward values
// that the backward pass reads stay; most gradients live for a few ops).
// After it, only the graph's roots (costs, gradients, outputs) and the
// nodes passed to it as kept may be read after a run.
//
// # Randomness
//
// All randomness comes from explicit math/rand/v2 generators. Initialisers
// (GlorotUniform, HeNormal, Normal, ...) take the *rand.Rand to draw from.
// Dropout masks and noise are input nodes of the graph that
// Builder.FillRandom refills from a given *rand.Rand; call it before each
// run of a training graph. The draws are made in a fixed order, so the same
// seed gives the same initial weights, masks and noise. Nothing in this
// package uses gorgonia's time-seeded initialisers or gorgonia.Dropout.
//
// # Errors and panics
//
// Forward, LSE, AddBias and the state functions return errors, prefixed
// "layers:", for bad inputs: wrong shapes or dtypes, nil nodes, invalid
// layer fields such as a dropout probability of 1, and duplicate parameter
// names in one graph. LoadStateDict returns a *StateError listing the
// missing, unexpected and mismatched entries. Constructors panic on
// programmer errors, which each documents: an empty name, a non-positive
// size, a nil initialiser, an unsupported dtype.
//
// # Gorgonia pitfalls handled here
//
// gorgonia v0.9.18 has bugs and traps that this package works around (see
// GORGONIA.md in the project's shared notes):
//
//   - The "stabilisation" pass mutates Log(SoftMax(x)) in place; the package
//     calls gorgonia.UseNonStable at init.
//   - Nodes are hash-consed: two input nodes of equal dtype, shape and name
//     (including the empty name) are one node. Bind requires names and
//     rejects two Params of one name; random inputs get unique suffixes; the
//     custom ops hash every parameter.
//   - gorgonia.LogSumExp computes a wrong value and fails on matrices; use
//     LSE.
//   - gorgonia.LogSoftMax (tensor v0.9.24) shifts each row of a float32
//     matrix by a maximum that starts from the matrix's first element, so a
//     row with a logit far above it gives -Inf and NaN losses; use
//     LogSoftmax.
//   - gorgonia.Dropout has a wrong gradient for p ≠ 0.5, cannot be seeded and
//     aliases its input in eval mode; Dropout is a mask input instead.
//   - gorgonia.BatchNorm's mode is shared by every machine on a graph and a
//     new training machine resets its statistics; BatchNorm is custom ops
//     that keep the statistics in Params.
//   - Reductions along a middle axis of 4-D tensors give wrong values; the
//     custom ops reduce per channel with their own loops.
//   - gorgonia.LeakyRelu and BroadcastAdd materialise masks and repeats;
//     LeakyReLU and AddBias are single ops, several times faster.
//   - gorgonia.Reshape returns a view of its input, so an in-place op
//     downstream could write through it; Reshape and Flatten copy.
//
// Two traps remain the caller's: call Reset before every RunAll of a
// TapeMachine (RunAll alone does nothing), and zero gradients between runs
// that no solver Step follows (they accumulate). After a forward+backward
// run only parameters and scalar costs hold their values; read other nodes
// with gorgonia.Read.
package layers
