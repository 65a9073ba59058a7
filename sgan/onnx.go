package sgan

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"runtime/debug"
	"strconv"

	"github.com/semigan/semigan/internal/atomicfile"
	"github.com/semigan/semigan/internal/onnxpb"
	"github.com/semigan/semigan/layers"
	"gorgonia.org/tensor"
)

// ONNX export: the classifier and the generator as ONNX models (IR
// version 8, opset 13), for runtimes outside Go (onnxruntime in Python,
// Node, C++, the browser). The exported networks are the inference ones:
// dropout and input noise are left out, batch normalisation uses its
// running statistics, weight-normalised layers are folded into plain
// weights, and the classifier carries the weight average that Predict
// uses when EMA is on.
const (
	onnxIRVersion = 8
	onnxOpset     = 13
)

// ONNXOptions are the options of the ONNX export.
type ONNXOptions struct {
	// ClassNames name the K classes in the model's metadata
	// (semigan.class_names); nil: "0", "1", ... Its length must be K.
	ClassNames []string
	// Metadata adds entries to the model's metadata (keys starting with
	// "semigan." are the exporter's own and are refused).
	Metadata map[string]string
}

// WriteClassifierONNX writes m's classifier to w as an ONNX model with
// one input and three outputs:
//
//	image          float32 (N, C, H, W), each value pixel/127.5 − 1 for 8-bit pixels
//	logits         float32 (N, K): the K class logits (Logits)
//	probabilities  float32 (N, K): their softmax (PredictProba)
//	real           float32 (N): the discriminator's probability that each
//	               image is real rather than generated, σ(log Σ_k exp(logit_k))
//
// N is free. The metadata records the input layout and scaling, the class
// names, the model configuration and the semigan version. A network built
// by NewWith exports when it is a layers.Sequential of the layers package's
// own layers; any other layer is refused with an error naming it.
func (m *Model) WriteClassifierONNX(w io.Writer, opts ONNXOptions) error {
	return writeONNX(w, m.classifierONNX, opts)
}

// SaveClassifierONNX writes the classifier's ONNX model
// (WriteClassifierONNX) to path, atomically.
func (m *Model) SaveClassifierONNX(path string, opts ONNXOptions) error {
	return saveONNX(path, m.classifierONNX, opts)
}

// WriteGeneratorONNX writes m's generator to w as an ONNX model:
//
//	z           float32 (N, LatentDim): latent vectors, drawn from N(0, I)
//	class_code  float32 (N, K), Conditional models only: the class of
//	            each image, one-hot (mixtures blend classes)
//	image       float32 (N, C, H, W), values in [−1, 1] (pixel = (v+1)·127.5)
//
// as GenerateFrom and GenerateFromClasses compute them. A model without a
// generator (SupervisedOnly) is an error.
func (m *Model) WriteGeneratorONNX(w io.Writer, opts ONNXOptions) error {
	return writeONNX(w, m.generatorONNX, opts)
}

// SaveGeneratorONNX writes the generator's ONNX model
// (WriteGeneratorONNX) to path, atomically.
func (m *Model) SaveGeneratorONNX(path string, opts ONNXOptions) error {
	return saveONNX(path, m.generatorONNX, opts)
}

// writeONNX writes the model that build encodes to w.
func writeONNX(w io.Writer, build func(ONNXOptions) ([]byte, error), opts ONNXOptions) error {
	b, err := build(opts)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("sgan: ONNX export: %w", err)
	}
	return nil
}

// saveONNX writes the model that build encodes to path, atomically.
func saveONNX(path string, build func(ONNXOptions) ([]byte, error), opts ONNXOptions) error {
	b, err := build(opts)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
		return fmt.Errorf("sgan: ONNX export: %w", err)
	}
	return nil
}

func (m *Model) classifierONNX(opts ONNXOptions) ([]byte, error) {
	c := m.cfg
	meta, err := m.onnxMetadata("classifier", opts)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e := &onnxExporter{values: func(p *layers.Param) []float32 {
		if a := m.ema.averageOf(p); a != nil {
			return a
		}
		return p.Value.Data().([]float32)
	}}
	e.graph.Name = "semigan_classifier"
	e.graph.Inputs = []onnxpb.ValueInfo{{Name: "image", ElemType: onnxpb.Float, Shape: batchShape(c.Channels, c.Height, c.Width)}}
	x, err := e.layer(m.disc.Net, "image")
	if err != nil {
		return nil, err
	}
	e.rename(x, "logits")
	e.node("Softmax", []string{"logits"}, []string{"probabilities"}, onnxpb.IntAttr("axis", 1))
	lse := e.node("ReduceLogSumExp", []string{"logits"}, nil, onnxpb.IntsAttr("axes", 1), onnxpb.IntAttr("keepdims", 0))
	e.node("Sigmoid", []string{lse}, []string{"real"})
	e.graph.Outputs = []onnxpb.ValueInfo{
		{Name: "logits", ElemType: onnxpb.Float, Shape: batchShape(c.Classes)},
		{Name: "probabilities", ElemType: onnxpb.Float, Shape: batchShape(c.Classes)},
		{Name: "real", ElemType: onnxpb.Float, Shape: batchShape()},
	}
	return e.model(meta, "semigan classifier: K class logits, their softmax, and the probability that each image is real"), nil
}

func (m *Model) generatorONNX(opts ONNXOptions) ([]byte, error) {
	c := m.cfg
	if m.gen == nil || m.gen.Net == nil {
		return nil, fmt.Errorf("sgan: ONNX export: the model has no generator (SupervisedOnly)")
	}
	meta, err := m.onnxMetadata("generator", opts)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e := &onnxExporter{values: func(p *layers.Param) []float32 { return p.Value.Data().([]float32) }}
	e.graph.Name = "semigan_generator"
	e.graph.Inputs = []onnxpb.ValueInfo{{Name: "z", ElemType: onnxpb.Float, Shape: batchShape(c.LatentDim)}}
	in := "z"
	if c.Conditional {
		e.graph.Inputs = append(e.graph.Inputs, onnxpb.ValueInfo{Name: "class_code", ElemType: onnxpb.Float, Shape: batchShape(c.Classes)})
		in = e.node("Concat", []string{"z", "class_code"}, nil, onnxpb.IntAttr("axis", 1))
	}
	x, err := e.layer(m.gen.Net, in)
	if err != nil {
		return nil, err
	}
	e.rename(x, "image")
	e.graph.Outputs = []onnxpb.ValueInfo{{Name: "image", ElemType: onnxpb.Float, Shape: batchShape(c.Channels, c.Height, c.Width)}}
	return e.model(meta, "semigan generator: images in [-1, 1] from latent vectors"), nil
}

// onnxMetadata returns the metadata entries of an exported part.
func (m *Model) onnxMetadata(part string, opts ONNXOptions) ([]onnxpb.KeyValue, error) {
	c := m.cfg
	names := opts.ClassNames
	if names == nil {
		for k := range c.Classes {
			names = append(names, strconv.Itoa(k))
		}
	}
	if len(names) != c.Classes {
		return nil, fmt.Errorf("sgan: ONNX export: %d class names for %d classes", len(names), c.Classes)
	}
	jsonOf := func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	}
	meta := []onnxpb.KeyValue{
		{Key: "semigan.part", Value: part},
		{Key: "semigan.version", Value: semiganVersion()},
		{Key: "semigan.image_layout", Value: fmt.Sprintf("float32 (N, %d, %d, %d): N images, channels (%s), rows, columns", c.Channels, c.Height, c.Width, map[bool]string{true: "gray", false: "R, G, B"}[c.Channels == 1])},
		{Key: "semigan.input_scaling", Value: "images: value = pixel/127.5 - 1 for 8-bit pixels (0..255 to -1..1), as the datasets loaders scale them; rows of a CSV: the run's datasets.RangeScaler (scaler.csv)"},
		{Key: "semigan.class_names", Value: jsonOf(names)},
		{Key: "semigan.model_config", Value: jsonOf(c)},
	}
	for k, v := range opts.Metadata {
		if len(k) >= 8 && k[:8] == "semigan." {
			return nil, fmt.Errorf("sgan: ONNX export: metadata key %q: keys starting with \"semigan.\" are the exporter's", k)
		}
		meta = append(meta, onnxpb.KeyValue{Key: k, Value: v})
	}
	return meta, nil
}

// semiganVersion is the module version semigan was built at, "(devel)"
// in its own repository.
func semiganVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range append([]*debug.Module{&bi.Main}, bi.Deps...) {
			if d.Path == "github.com/semigan/semigan" {
				return d.Version
			}
		}
	}
	return "(devel)"
}

func batchShape(dims ...int) []onnxpb.Dim {
	s := []onnxpb.Dim{{Param: "N"}}
	for _, d := range dims {
		s = append(s, onnxpb.Dim{Value: int64(d)})
	}
	return s
}

// onnxExporter builds the graph of one network.
type onnxExporter struct {
	graph  onnxpb.Graph
	values func(p *layers.Param) []float32 // the weights to export
	n      int                             // names made so far
}

func (e *onnxExporter) name(prefix string) string {
	e.n++
	return fmt.Sprintf("%s_%d", prefix, e.n)
}

// node appends a node and returns its (first) output, named after its
// operator unless outputs are given.
func (e *onnxExporter) node(op string, inputs, outputs []string, attrs ...onnxpb.Attr) string {
	if outputs == nil {
		outputs = []string{e.name(op)}
	}
	e.graph.Nodes = append(e.graph.Nodes, onnxpb.Node{Name: e.name("node_" + op), OpType: op, Inputs: inputs, Outputs: outputs, Attrs: attrs})
	return outputs[0]
}

// rename gives the value x, the last node's output, the name out.
func (e *onnxExporter) rename(x, out string) {
	if n := len(e.graph.Nodes); n > 0 && e.graph.Nodes[n-1].Outputs[0] == x {
		e.graph.Nodes[n-1].Outputs[0] = out
		return
	}
	e.node("Identity", []string{x}, []string{out})
}

// weight adds a parameter's exported values as an initializer.
func (e *onnxExporter) weight(p *layers.Param) (string, error) {
	if p.Value.Dtype() != tensor.Float32 {
		return "", fmt.Errorf("sgan: ONNX export: parameter %s is %v, the exporter writes float32", p.Name, p.Value.Dtype())
	}
	return e.constant(p.Name, p.Value.Shape(), e.values(p)), nil
}

func (e *onnxExporter) constant(name string, shape []int, v []float32) string {
	dims := make([]int64, len(shape))
	for i, d := range shape {
		dims[i] = int64(d)
	}
	e.graph.Initializers = append(e.graph.Initializers, onnxpb.FloatTensor(name, dims, v))
	return name
}

// layer appends the inference form of l applied to x and returns its
// output.
func (e *onnxExporter) layer(l layers.Layer, x string) (string, error) {
	var err error
	switch l := l.(type) {
	case layers.Sequential:
		for _, sub := range l {
			if x, err = e.layer(sub, x); err != nil {
				return "", err
			}
		}
		return x, nil
	case layers.GaussianNoise, *layers.GaussianNoise, layers.Dropout, *layers.Dropout:
		return x, nil // training only
	case *layers.Conv2D:
		in, err := e.params(x, l.W, l.B)
		if err != nil {
			return "", err
		}
		k, s, p := int64(l.Kernel), int64(l.Stride), int64(l.Pad)
		return e.node("Conv", in, nil, onnxpb.IntsAttr("kernel_shape", k, k), onnxpb.IntsAttr("strides", s, s),
			onnxpb.IntsAttr("pads", p, p, p, p), onnxpb.IntsAttr("dilations", 1, 1), onnxpb.IntAttr("group", 1)), nil
	case *layers.ConvTranspose2D:
		in, err := e.params(x, l.W, l.B)
		if err != nil {
			return "", err
		}
		k, s, p, op := int64(l.Kernel), int64(l.Stride), int64(l.Pad), int64(l.OutPad)
		return e.node("ConvTranspose", in, nil, onnxpb.IntsAttr("kernel_shape", k, k), onnxpb.IntsAttr("strides", s, s),
			onnxpb.IntsAttr("pads", p, p, p, p), onnxpb.IntsAttr("output_padding", op, op), onnxpb.IntsAttr("dilations", 1, 1), onnxpb.IntAttr("group", 1)), nil
	case *layers.Dense:
		in, err := e.params(x, l.W, l.B)
		if err != nil {
			return "", err
		}
		return e.node("Gemm", in, nil), nil
	case *layers.WNDense:
		return e.wnDense(l, x)
	case *layers.BatchNorm:
		return e.batchNorm(l, x)
	case layers.LeakyReLU:
		return e.node("LeakyRelu", []string{x}, nil, onnxpb.FloatAttr("alpha", float32(l.Alpha))), nil
	case *layers.LeakyReLU:
		return e.node("LeakyRelu", []string{x}, nil, onnxpb.FloatAttr("alpha", float32(l.Alpha))), nil
	case layers.ReLU, *layers.ReLU:
		return e.node("Relu", []string{x}, nil), nil
	case layers.Tanh, *layers.Tanh:
		return e.node("Tanh", []string{x}, nil), nil
	case layers.Sigmoid, *layers.Sigmoid:
		return e.node("Sigmoid", []string{x}, nil), nil
	case layers.Softplus, *layers.Softplus:
		return e.node("Softplus", []string{x}, nil), nil
	case layers.Flatten, *layers.Flatten:
		return e.node("Flatten", []string{x}, nil, onnxpb.IntAttr("axis", 1)), nil
	case layers.Reshape:
		return e.reshape(l, x), nil
	case *layers.Reshape:
		return e.reshape(*l, x), nil
	}
	return "", fmt.Errorf("sgan: ONNX export: layer %T has no ONNX form in this exporter (it knows the layers package's Sequential, Conv2D, ConvTranspose2D, Dense, WNDense, BatchNorm, activations, Flatten, Reshape, Dropout and GaussianNoise)", l)
}

// params returns x followed by the initializers of w and, if any, b.
func (e *onnxExporter) params(x string, w, b *layers.Param) ([]string, error) {
	wn, err := e.weight(w)
	if err != nil {
		return nil, err
	}
	in := []string{x, wn}
	if b != nil {
		bn, err := e.weight(b)
		if err != nil {
			return nil, err
		}
		in = append(in, bn)
	}
	return in, nil
}

func (e *onnxExporter) reshape(l layers.Reshape, x string) string {
	shape := []int64{0} // 0: the batch dimension, copied from the input
	for _, d := range l.Shape {
		shape = append(shape, int64(d))
	}
	name := e.name("shape")
	e.graph.Initializers = append(e.graph.Initializers, onnxpb.Int64Tensor(name, shape))
	return e.node("Reshape", []string{x, name}, nil)
}

// wnDense folds weight normalisation into a plain weight matrix,
// W[k][j] = V[k][j]·g[j]/‖V[·][j]‖, and exports a Gemm.
func (e *onnxExporter) wnDense(l *layers.WNDense, x string) (string, error) {
	if l.V.Value.Dtype() != tensor.Float32 {
		return "", fmt.Errorf("sgan: ONNX export: layer %s is %v, the exporter writes float32", l.Name, l.V.Value.Dtype())
	}
	v, g := e.values(l.V), e.values(l.Scale)
	in, out := l.In, l.Out
	norm := make([]float64, out)
	for k := range in {
		for j := range out {
			norm[j] += float64(v[k*out+j]) * float64(v[k*out+j])
		}
	}
	w := make([]float32, len(v))
	for k := range in {
		for j := range out {
			w[k*out+j] = float32(float64(v[k*out+j]) * float64(g[j]) / math.Sqrt(norm[j]))
		}
	}
	inputs := []string{x, e.constant(l.Name+"/W", []int{in, out}, w)}
	if l.B != nil {
		bn, err := e.weight(l.B)
		if err != nil {
			return "", err
		}
		inputs = append(inputs, bn)
	}
	return e.node("Gemm", inputs, nil), nil
}

func (e *onnxExporter) batchNorm(l *layers.BatchNorm, x string) (string, error) {
	gamma, err := e.weight(l.Gamma)
	if err != nil {
		return "", err
	}
	beta := ""
	if l.Beta != nil {
		if beta, err = e.weight(l.Beta); err != nil {
			return "", err
		}
	} else {
		beta = e.constant(l.Name+"/beta", []int{l.C}, make([]float32, l.C))
	}
	mean, err := e.weight(l.RunningMean)
	if err != nil {
		return "", err
	}
	variance, err := e.weight(l.RunningVar)
	if err != nil {
		return "", err
	}
	return e.node("BatchNormalization", []string{x, gamma, beta, mean, variance}, nil, onnxpb.FloatAttr("epsilon", float32(l.Eps))), nil
}

func (e *onnxExporter) model(meta []onnxpb.KeyValue, doc string) []byte {
	pm := onnxpb.Model{IRVersion: onnxIRVersion, Opset: onnxOpset, ProducerName: "semigan", ProducerVersion: semiganVersion(),
		DocString: doc, Graph: e.graph, Metadata: meta}
	return pm.Marshal()
}
