package sgan

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/layers"
	"google.golang.org/protobuf/encoding/protowire"
	G "gorgonia.org/gorgonia"
)

// onnxSummary is what the tests read back from an exported model.
type onnxSummary struct {
	ir, opset       int64
	ops             []string
	inputs, outputs []string
	meta            map[string]string
	initializers    int
}

// readONNX decodes the fields of a ModelProto that the tests look at.
func readONNX(t *testing.T, b []byte) onnxSummary {
	t.Helper()
	s := onnxSummary{meta: map[string]string{}}
	fields := func(b []byte, f func(num protowire.Number, v []byte, x uint64)) {
		for len(b) > 0 {
			num, typ, n := protowire.ConsumeTag(b)
			if n < 0 {
				t.Fatalf("bad tag: %v", protowire.ParseError(n))
			}
			b = b[n:]
			switch typ {
			case protowire.VarintType:
				x, n := protowire.ConsumeVarint(b)
				if n < 0 {
					t.Fatal("bad varint")
				}
				f(num, nil, x)
				b = b[n:]
			case protowire.BytesType:
				v, n := protowire.ConsumeBytes(b)
				if n < 0 {
					t.Fatal("bad bytes")
				}
				f(num, v, 0)
				b = b[n:]
			case protowire.Fixed32Type:
				_, n := protowire.ConsumeFixed32(b)
				b = b[n:]
			default:
				t.Fatalf("unexpected wire type %v", typ)
			}
		}
	}
	str := func(msg []byte, field protowire.Number) string {
		var out string
		fields(msg, func(num protowire.Number, v []byte, _ uint64) {
			if num == field {
				out = string(v)
			}
		})
		return out
	}
	fields(b, func(num protowire.Number, v []byte, x uint64) {
		switch num {
		case 1:
			s.ir = int64(x)
		case 8:
			fields(v, func(num protowire.Number, _ []byte, x uint64) {
				if num == 2 {
					s.opset = int64(x)
				}
			})
		case 14:
			s.meta[str(v, 1)] = str(v, 2)
		case 7:
			fields(v, func(num protowire.Number, v []byte, _ uint64) {
				switch num {
				case 1:
					s.ops = append(s.ops, str(v, 4))
				case 5:
					s.initializers++
				case 11:
					s.inputs = append(s.inputs, str(v, 1))
				case 12:
					s.outputs = append(s.outputs, str(v, 1))
				}
			})
		}
	})
	return s
}

// The exported graphs have the operators, inputs, outputs and metadata
// the documentation promises, for each built-in architecture.
func TestONNXExportStructure(t *testing.T) {
	conv := DefaultModelConfig()
	conv.Seed, conv.Classes, conv.Height, conv.Width, conv.Channels, conv.Conditional = 1, 3, 16, 16, 3, true
	mlp := DefaultModelConfig()
	mlp.Seed, mlp.Classes, mlp.Height, mlp.Width, mlp.Arch = 2, 4, 1, 12, ArchMLP
	for _, tc := range []struct {
		name          string
		cfg           ModelConfig
		disc, gen     []string
		genInputs     []string
		names         []string
		wantClassMeta string
	}{
		{"conv, conditional, colour", conv,
			[]string{"Conv", "LeakyRelu", "Conv", "LeakyRelu", "Flatten", "Gemm", "Softmax", "ReduceLogSumExp", "Sigmoid"},
			[]string{"Concat", "Gemm", "Reshape", "BatchNormalization", "Relu", "ConvTranspose", "BatchNormalization", "Relu", "ConvTranspose", "Tanh"},
			[]string{"z", "class_code"}, []string{"circle", "square", "star"}, `["circle","square","star"]`},
		{"mlp, tabular", mlp,
			[]string{"Flatten", "Gemm", "Relu", "Gemm", "Relu", "Gemm", "Relu", "Gemm", "Relu", "Gemm", "Relu", "Gemm", "Softmax", "ReduceLogSumExp", "Sigmoid"},
			[]string{"Gemm", "BatchNormalization", "Relu", "Gemm", "BatchNormalization", "Relu", "Gemm", "Tanh", "Reshape"},
			[]string{"z"}, nil, `["0","1","2","3"]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			var cb, gb bytes.Buffer
			if err := m.WriteClassifierONNX(&cb, ONNXOptions{ClassNames: tc.names, Metadata: map[string]string{"dataset": "test"}}); err != nil {
				t.Fatal(err)
			}
			if err := m.WriteGeneratorONNX(&gb, ONNXOptions{ClassNames: tc.names}); err != nil {
				t.Fatal(err)
			}
			c, g := readONNX(t, cb.Bytes()), readONNX(t, gb.Bytes())
			if c.ir != 8 || c.opset != 13 || g.ir != 8 || g.opset != 13 {
				t.Errorf("IR %d/%d, opset %d/%d; want 8 and 13", c.ir, g.ir, c.opset, g.opset)
			}
			if !slices.Equal(c.ops, tc.disc) || !slices.Equal(c.inputs, []string{"image"}) || !slices.Equal(c.outputs, []string{"logits", "probabilities", "real"}) {
				t.Errorf("classifier: ops %v, inputs %v, outputs %v", c.ops, c.inputs, c.outputs)
			}
			if !slices.Equal(g.ops, tc.gen) || !slices.Equal(g.inputs, tc.genInputs) || !slices.Equal(g.outputs, []string{"image"}) {
				t.Errorf("generator: ops %v, inputs %v, outputs %v", g.ops, g.inputs, g.outputs)
			}
			if c.meta["semigan.class_names"] != tc.wantClassMeta || c.meta["semigan.part"] != "classifier" || c.meta["dataset"] != "test" ||
				!strings.Contains(c.meta["semigan.input_scaling"], "127.5") || !strings.Contains(c.meta["semigan.model_config"], `"classes":`) {
				t.Errorf("metadata %v", c.meta)
			}
		})
	}
}

// What cannot be exported is refused with an error naming it.
func TestONNXExportErrors(t *testing.T) {
	cfg, _ := tinyConfig(3)
	d, g := tinyNets(3)
	d.Net = append(d.Net.(layers.Sequential), oddLayer{})
	m, err := NewWith(cfg, d, g)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.WriteClassifierONNX(&bytes.Buffer{}, ONNXOptions{}); err == nil || !strings.Contains(err.Error(), "oddLayer") {
		t.Errorf("an unknown layer: %v, want an error naming it", err)
	}
	mc := DefaultModelConfig()
	mc.SupervisedOnly = true
	sup, err := New(mc)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"no generator", sup.WriteGeneratorONNX(&bytes.Buffer{}, ONNXOptions{}), "no generator"},
		{"class names", sup.WriteClassifierONNX(&bytes.Buffer{}, ONNXOptions{ClassNames: []string{"a"}}), "1 class names for 10 classes"},
		{"reserved key", sup.WriteClassifierONNX(&bytes.Buffer{}, ONNXOptions{Metadata: map[string]string{"semigan.part": "x"}}), "exporter's"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, tc.err, tc.want)
		}
	}
}

// oddLayer is a layer the exporter does not know.
type oddLayer struct{}

func (oddLayer) Forward(b *layers.Builder, x *G.Node) (*G.Node, error) { return x, nil }
func (oddLayer) Params() []*layers.Param                               { return nil }

// onnxRuntimeDir returns the node_modules folder holding onnxruntime-node,
// or skips the test.
func onnxRuntimeDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SEMIGAN_ONNXRUNTIME")
	if dir == "" {
		t.Skip("SEMIGAN_ONNXRUNTIME is not set: set it to a folder where `ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node@1.30.0` ran to compare the export with onnxruntime (.ci/run does)")
	}
	nm := filepath.Join(dir, "node_modules")
	if _, err := os.Stat(filepath.Join(nm, "onnxruntime-node")); err != nil {
		t.Fatalf("SEMIGAN_ONNXRUNTIME=%s: %v", dir, err)
	}
	return nm
}

// runONNX runs model in onnxruntime on the named inputs (float32 values
// and shapes) and returns every output.
func runONNX(t *testing.T, nodePath string, model []byte, inputs map[string][]float32, shapes map[string][]int) map[string][]float32 {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "model.onnx")
	if err := os.WriteFile(path, model, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{filepath.Join("testdata", "onnxrun.js"), path, dir}
	for name, v := range inputs {
		raw := make([]byte, 4*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(x))
		}
		if err := os.WriteFile(filepath.Join(dir, name+".in"), raw, 0o644); err != nil {
			t.Fatal(err)
		}
		var dims []string
		for _, d := range shapes[name] {
			dims = append(dims, fmt.Sprint(d))
		}
		args = append(args, name+":"+strings.Join(dims, "x"))
	}
	cmd := exec.Command("node", args...)
	cmd.Env = append(os.Environ(), "NODE_PATH="+nodePath)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("onnxruntime: %v\n%s", err, out)
	}
	outs := map[string][]float32{}
	files, _ := filepath.Glob(filepath.Join(dir, "*.out"))
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		v := make([]float32, len(raw)/4)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		outs[strings.TrimSuffix(filepath.Base(f), ".out")] = v
	}
	return outs
}

// checkONNX runs the ONNX checker (full check, strict shape inference)
// when Debian's python3-onnx is installed.
func checkONNX(t *testing.T, model []byte) {
	t.Helper()
	if err := exec.Command("/usr/bin/python3", "-c", "import onnx").Run(); err != nil {
		t.Log("python3-onnx is not installed: the ONNX checker is skipped (apt-get install -y python3-onnx)")
		return
	}
	path := filepath.Join(t.TempDir(), "model.onnx")
	if err := os.WriteFile(path, model, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("/usr/bin/python3", filepath.Join("testdata", "onnxcheck.py"), path).CombinedOutput(); err != nil {
		t.Fatalf("onnx checker: %v\n%s", err, out)
	}
}

// maxDiff returns the largest |a−b| and whether every row of K values has
// the same argmax.
func maxDiff(a, b []float32, K int) (float64, bool) {
	d, same := 0.0, len(a) == len(b)
	if !same {
		return math.Inf(1), false
	}
	for i := range a {
		d = max(d, math.Abs(float64(a[i]-b[i])))
	}
	if K > 0 {
		for i := 0; i < len(a); i += K {
			if argmax(a[i:i+K]) != argmax(b[i:i+K]) {
				same = false
			}
		}
	}
	return d, same
}

// The exported classifier and generator compute in onnxruntime what
// PredictProba, Logits and GenerateFrom compute in Go: on 1,000 MNIST test
// images for the default model, briefly trained (so that the weight
// average and the batch statistics are not their initial values), on a
// conditional colour model, and on the MLP networks of tabular data.
func TestONNXMatchesRuntime(t *testing.T) {
	if testing.Short() {
		t.Skip("trains three models briefly")
	}
	nodePath := onnxRuntimeDir(t)
	lab, unl, test := mnistSubset(t, 400, 1000)
	mnist := DefaultModelConfig()
	mnist.Seed = 5
	colour := DefaultModelConfig()
	colour.Seed, colour.Channels, colour.Height, colour.Width, colour.Classes, colour.Conditional = 6, 3, 32, 32, 4, true
	tab := DefaultModelConfig()
	tab.Seed, tab.Channels, tab.Height, tab.Width, tab.Classes, tab.Arch = 7, 1, 1, 12, 3, ArchMLP
	for _, tc := range []struct {
		name           string
		cfg            ModelConfig
		lab, unl, eval *datasets.Set
	}{
		{"mnist", mnist, lab, unl, test},
		{"colour conditional", colour, randomSet(6, 3, 32, 32, 4, 40), randomSet(7, 3, 32, 32, 4, 200), randomSet(8, 3, 32, 32, 4, 300)},
		{"tabular mlp", tab, randomSet(9, 1, 1, 12, 3, 30), randomSet(10, 1, 1, 12, 3, 200), randomSet(11, 1, 1, 12, 3, 300)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tcfg := DefaultTrainConfig(tc.cfg)
			tcfg.BatchSize, tcfg.Budget = 20, Budget{Epochs: 1}
			tcfg.Weights["propagation"] = 0
			m, tr := newBuiltIn(t, tc.cfg, tcfg)
			if _, err := tr.Fit(context.Background(), tc.lab, tc.unl, nil); err != nil {
				t.Fatal(err)
			}
			c := m.Config()
			var cb bytes.Buffer
			if err := m.WriteClassifierONNX(&cb, ONNXOptions{}); err != nil {
				t.Fatal(err)
			}
			checkONNX(t, cb.Bytes())
			x, n := tc.eval.Values(), tc.eval.Len()
			out := runONNX(t, nodePath, cb.Bytes(), map[string][]float32{"image": x}, map[string][]int{"image": {n, c.Channels, c.Height, c.Width}})
			proba, err := m.PredictProba(x)
			if err != nil {
				t.Fatal(err)
			}
			logits, err := m.Logits(x)
			if err != nil {
				t.Fatal(err)
			}
			if d, same := maxDiff(proba, out["probabilities"], c.Classes); d > 1e-5 || !same {
				t.Errorf("probabilities of %d examples: max difference %.3g (want ≤ 1e-5), same argmax %v", n, d, same)
			}
			if d, _ := maxDiff(logits, out["logits"], 0); d > 1e-4 {
				t.Errorf("logits: max difference %.3g", d)
			}
			if len(out["real"]) != n {
				t.Errorf("real: %d values for %d examples", len(out["real"]), n)
			}
			for i := range min(n, 50) {
				var s float64
				for _, l := range logits[i*c.Classes : (i+1)*c.Classes] {
					s += math.Exp(float64(l))
				}
				if want := s / (1 + s); math.Abs(want-float64(out["real"][i])) > 1e-5 {
					t.Fatalf("real[%d] = %v, want %v", i, out["real"][i], want)
				}
			}
			t.Logf("classifier: %d examples, probabilities within %.2g", n, func() float64 { d, _ := maxDiff(proba, out["probabilities"], 0); return d }())

			var gb bytes.Buffer
			if err := m.WriteGeneratorONNX(&gb, ONNXOptions{}); err != nil {
				t.Fatal(err)
			}
			checkONNX(t, gb.Bytes())
			const ng = 64
			z := m.drawZ(ng, rand.New(rand.NewPCG(1, 2)))
			inputs := map[string][]float32{"z": z}
			shapes := map[string][]int{"z": {ng, c.LatentDim}}
			var want []float32
			if c.Conditional {
				y := make([]float32, ng*c.Classes)
				fillClasses(y, c.Classes)
				inputs["class_code"], shapes["class_code"] = y, []int{ng, c.Classes}
				want, err = m.GenerateFromClasses(z, y)
			} else {
				want, err = m.GenerateFrom(z)
			}
			if err != nil {
				t.Fatal(err)
			}
			gout := runONNX(t, nodePath, gb.Bytes(), inputs, shapes)
			if d, _ := maxDiff(want, gout["image"], 0); d > 1e-5 {
				t.Errorf("generator: max difference %.3g over %d images (want ≤ 1e-5)", d, ng)
			}
		})
	}
}

// randomSet is n examples of shape c×h×w with values in [−1, 1] and k
// classes.
func randomSet(seed uint64, c, h, w, k, n int) *datasets.Set {
	rng := rand.New(rand.NewPCG(seed, 3))
	s := &datasets.Set{C: c, H: h, W: w, Classes: k}
	for i := range n {
		s.Labels = append(s.Labels, i%k)
		for range c * h * w {
			s.Data = append(s.Data, float32(2*rng.Float64()-1))
		}
	}
	return s
}

// A checkpoint of one's own (SEMIGAN_ONNX_CKPT, such as a trained
// mnist100 model, with SEMIGAN_ONNXRUNTIME) exported and compared with
// PredictProba on 1,000 images (MNIST's first test images for an MNIST
// model, random ones of the model's shape otherwise) and GenerateFrom on
// 64 latent vectors.
func TestONNXCheckpoint(t *testing.T) {
	path := os.Getenv("SEMIGAN_ONNX_CKPT")
	if path == "" {
		t.Skip("SEMIGAN_ONNX_CKPT is not set")
	}
	nodePath := onnxRuntimeDir(t)
	m, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	c := m.Config()
	// MNIST's first 1,000 test images for an MNIST-shaped model, else
	// 1,000 random images of the model's shape
	test := randomSet(12, c.Channels, c.Height, c.Width, c.Classes, 1000)
	if c.Channels == 1 && c.Height == 28 && c.Width == 28 && c.Classes == 10 {
		_, mnist, err := datasets.LoadMNIST("")
		if err != nil {
			t.Fatal(err)
		}
		test = mnist.Head(1000)
	}
	var cb bytes.Buffer
	if err := m.WriteClassifierONNX(&cb, ONNXOptions{}); err != nil {
		t.Fatal(err)
	}
	out := runONNX(t, nodePath, cb.Bytes(), map[string][]float32{"image": test.Values()}, map[string][]int{"image": {test.Len(), c.Channels, c.Height, c.Width}})
	proba, err := m.PredictProba(test.Values())
	if err != nil {
		t.Fatal(err)
	}
	d, same := maxDiff(proba, out["probabilities"], c.Classes)
	met, _ := m.Evaluate(test)
	t.Logf("%s: %d test images, accuracy %.4f; ONNX probabilities within %.2g of PredictProba, same argmax: %v", path, test.Len(), met.Accuracy, d, same)
	if d > 1e-5 || !same {
		t.Errorf("max difference %.3g, same argmax %v", d, same)
	}
	if c.SupervisedOnly {
		return
	}
	var gb bytes.Buffer
	if err := m.WriteGeneratorONNX(&gb, ONNXOptions{}); err != nil {
		t.Fatal(err)
	}
	z := m.drawZ(64, rand.New(rand.NewPCG(3, 4)))
	want, err := m.GenerateFrom(z)
	if err != nil {
		t.Fatal(err)
	}
	inputs, shapes := map[string][]float32{"z": z}, map[string][]int{"z": {64, c.LatentDim}}
	if c.Conditional {
		y := make([]float32, 64*c.Classes)
		fillClasses(y, c.Classes)
		inputs["class_code"], shapes["class_code"] = y, []int{64, c.Classes}
	}
	gd, _ := maxDiff(want, runONNX(t, nodePath, gb.Bytes(), inputs, shapes)["image"], 0)
	t.Logf("generator: 64 images within %.2g", gd)
	if gd > 1e-5 {
		t.Errorf("generator: max difference %.3g", gd)
	}
}
