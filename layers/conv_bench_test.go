package layers

import (
	"fmt"
	"hash"
	"hash/fnv"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/chewxy/hm"
	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/semigan/semigan/layers/internal/conv"
)

// The shapes that `scripts/torch_reference.py layers` times in PyTorch
// (batch 100, float32; keep the two lists equal). macs is the forward
// multiply-add count per example; the reported GFLOP/s counts
// 3·2·macs·batch per forward+backward (and 2·macs·batch per forward only),
// as the PyTorch script does.
var convBenchShapes = []struct {
	name                 string
	transposed           bool
	in, out, k, s, p, op int
	h                    int // input size
	macs                 int
}{
	{"Conv2D_5x5_s2_1-32_28x28", false, 1, 32, 5, 2, 2, 0, 28, 14 * 14 * 32 * 25},
	{"Conv2D_5x5_s2_32-64_14x14", false, 32, 64, 5, 2, 2, 0, 14, 7 * 7 * 64 * 32 * 25},
	{"Conv2D_3x3_s1_64-128_7x7", false, 64, 128, 3, 1, 1, 0, 7, 7 * 7 * 128 * 64 * 9},
	{"ConvT2D_5x5_s2_64-32_7-14", true, 64, 32, 5, 2, 2, 1, 7, 7 * 7 * 64 * 32 * 25},
	{"ConvT2D_5x5_s2_32-1_14-28", true, 32, 1, 5, 2, 2, 1, 14, 14 * 14 * 32 * 1 * 25},
	{"ConvT2D_5x5_s2_128-64_7-14", true, 128, 64, 5, 2, 2, 1, 7, 7 * 7 * 128 * 64 * 25},
}

const convBenchBatch = 100

// Tuning experiments: SEMIGAN_CHUNK_COLS and SEMIGAN_CHUNK_BYTES override
// the chunking of the kernels in benchmarks, SEMIGAN_ROWFORM (true/false)
// the gemm formulation (see internal/conv), SEMIGAN_BLAS_THREADS the
// number of threads the kernels assume each gemm runs on; SEMIGAN_BLAS=gonum
// switches gorgonia (and so the ops) to gonum's plain BLAS.
func init() {
	if v, err := strconv.Atoi(os.Getenv("SEMIGAN_CHUNK_COLS")); err == nil && v > 0 {
		conv.ChunkCols = v
	}
	if v, err := strconv.Atoi(os.Getenv("SEMIGAN_CHUNK_BYTES")); err == nil && v > 0 {
		conv.ChunkBytes = v
	}
	if v, err := strconv.ParseBool(os.Getenv("SEMIGAN_ROWFORM")); err == nil {
		conv.ForceRowForm = &v
	}
	if v, err := strconv.Atoi(os.Getenv("SEMIGAN_BLAS_THREADS")); err == nil && v > 0 {
		conv.BLASThreads = func() int { return v }
	}
	if os.Getenv("SEMIGAN_BLAS") == "gonum" {
		G.Use(gonum.Implementation{})
	}
}

// BenchmarkConv times forward+backward (pass=fwdbwd, cost = the sum of the
// output, its gradient a tensor of ones as in PyTorch's y.sum().backward())
// and forward only (pass=fwd) of each shape, through this package's ops (impl=semigan) and
// through gorgonia's own Conv2d + BroadcastAdd (impl=gorgonia; for the
// transposed shapes: zero insertion + Conv2d, the construction of
// GORGONIA.md §4.3).
//
//	go test -run '^$' -bench Conv -benchtime 20x -count 5 -cpu 1,2 ./layers
func BenchmarkConv(b *testing.B) {
	for _, impl := range []string{"semigan", "gorgonia"} {
		for _, pass := range []string{"fwdbwd", "fwd"} {
			for _, sh := range convBenchShapes {
				b.Run(fmt.Sprintf("impl=%s/pass=%s/layer=%s", impl, pass, sh.name), func(b *testing.B) {
					rng := newRNG(1)
					g := G.NewGraph()
					x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(convBenchBatch, sh.in, sh.h, sh.h), G.WithName("x"),
						G.WithValue(randTensor(rng, tensor.Float32, convBenchBatch, sh.in, sh.h, sh.h)))
					wshape := []int{sh.out, sh.in, sh.k, sh.k}
					if sh.transposed && impl == "semigan" {
						wshape = []int{sh.in, sh.out, sh.k, sh.k}
					}
					w := G.NewTensor(g, tensor.Float32, 4, G.WithShape(wshape...), G.WithName("w"),
						G.WithValue(Normal(rng, 0.05)(tensor.Shape(wshape), tensor.Float32)))
					bshape := []int{sh.out}
					if impl == "gorgonia" {
						bshape = []int{1, sh.out, 1, 1}
					}
					bias := G.NewTensor(g, tensor.Float32, len(bshape), G.WithShape(bshape...), G.WithName("b"),
						G.WithValue(Normal(rng, 0.05)(tensor.Shape(bshape), tensor.Float32)))
					var y *G.Node
					var err error
					switch {
					case impl == "semigan" && !sh.transposed:
						y, err = Convolve(x, w, bias, sh.s, sh.p)
					case impl == "semigan":
						y, err = ConvolveTranspose(x, w, bias, sh.s, sh.p, sh.op)
					default:
						y, err = gorgoniaConv(x, w, bias, sh.k, sh.s, sh.p, sh.op, sh.transposed)
					}
					if err != nil {
						b.Fatal(err)
					}
					var m G.VM
					flops := 2.0 * float64(sh.macs) * convBenchBatch
					if pass == "fwd" {
						m = G.NewTapeMachine(g)
					} else {
						cost := G.Must(G.ApplyOp(benchSum{}, y))
						if _, err := G.Grad(cost, x, w, bias); err != nil {
							b.Fatal(err)
						}
						m = G.NewTapeMachine(g, G.BindDualValues(x, w, bias))
						flops *= 3
					}
					defer m.Close()
					run := func() {
						m.Reset()
						if err := m.RunAll(); err != nil {
							b.Fatal(err)
						}
					}
					run() // warm the pools
					b.ResetTimer()
					cpu0, flt0 := benchCPUTime()
					for b.Loop() {
						run()
					}
					cpu1, flt1 := benchCPUTime()
					b.ReportMetric((cpu1-cpu0).Seconds()*1e3/float64(b.N), "cpu-ms/op")
					b.ReportMetric(float64(flt1-flt0)/float64(b.N), "faults/op")
					b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
					b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/op")
				})
			}
		}
	}
}

// benchSum is the scalar cost Σy of the benchmarks. gorgonia's own Sum
// would do, but its gradient (a Repeat of the scalar) costs about as much
// as the 3×3 convolution's backward pass, which is not what is measured.
type benchSum struct{}

// benchFill is benchSum's gradient: a tensor shaped like its first input,
// filled with the scalar second input.
type benchFill struct{}

func (benchSum) Arity() int { return 1 }
func (benchSum) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(G.TensorType{Dims: 4, Of: a}, a)
}
func (benchSum) InferShape(...G.DimSizer) (tensor.Shape, error) { return tensor.ScalarShape(), nil }
func (benchSum) Do(vals ...G.Value) (G.Value, error) {
	var s float32
	for _, v := range vals[0].Data().([]float32) {
		s += v
	}
	return G.NewF32(s), nil
}
func (benchSum) ReturnsPtr() bool      { return false }
func (benchSum) CallsExtern() bool     { return false }
func (benchSum) OverwritesInput() int  { return -1 }
func (benchSum) WriteHash(h hash.Hash) { fmt.Fprint(h, "bench.sum") }
func (op benchSum) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}
func (benchSum) String() string     { return "benchSum" }
func (benchSum) DiffWRT(int) []bool { return []bool{true} }
func (benchSum) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	d, err := G.ApplyOp(benchFill{}, inputs[0], grad)
	return G.Nodes{d}, err
}

func (benchFill) Arity() int { return 2 }
func (benchFill) Type() hm.Type {
	a := hm.TypeVariable('a')
	t := G.TensorType{Dims: 4, Of: a}
	return hm.NewFnType(t, a, t)
}
func (benchFill) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return in[0].(tensor.Shape).Clone(), nil
}
func (benchFill) Do(vals ...G.Value) (G.Value, error) {
	var g float32
	switch v := vals[1].(type) {
	case *G.F32:
		g = float32(*v)
	case *tensor.Dense:
		g = v.Data().([]float32)[0]
	default:
		return nil, fmt.Errorf("benchFill: gradient %T", v)
	}
	out := make([]float32, vals[0].Shape().TotalSize())
	for i := range out {
		out[i] = g
	}
	return tensor.New(tensor.WithShape(vals[0].Shape().Clone()...), tensor.WithBacking(out)), nil
}
func (benchFill) ReturnsPtr() bool      { return false }
func (benchFill) CallsExtern() bool     { return false }
func (benchFill) OverwritesInput() int  { return -1 }
func (benchFill) WriteHash(h hash.Hash) { fmt.Fprint(h, "bench.fill") }
func (op benchFill) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}
func (benchFill) String() string { return "benchFill" }

// benchCPUTime returns the user+system CPU time of the process (on a shared
// machine a steadier guide than wall time for single-threaded runs) and its
// count of minor page faults (fresh memory costs a fault per page).
func benchCPUTime() (time.Duration, int64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), ru.Minflt
}

// gorgoniaConv is the baseline: G.Conv2d plus a broadcast bias (1,C,1,1);
// for a transposed convolution with stride 2, zero insertion + Conv2d with
// pad k−1−p (filter in Conv2d layout, (out, in, k, k)) + crop.
func gorgoniaConv(x, w, b *G.Node, k, s, p, op int, transposed bool) (*G.Node, error) {
	var y *G.Node
	var err error
	if !transposed {
		y, err = G.Conv2d(x, w, tensor.Shape{k, k}, []int{p, p}, []int{s, s}, []int{1, 1})
	} else {
		if s != 2 {
			return nil, fmt.Errorf("baseline supports stride 2 only")
		}
		z, err := G.ApplyOp(benchZeroInsert2{}, x)
		if err != nil {
			return nil, err
		}
		q := k - 1 - p
		if y, err = G.Conv2d(z, w, tensor.Shape{k, k}, []int{q, q}, []int{1, 1}, []int{1, 1}); err != nil {
			return nil, err
		}
		xs := x.Shape()
		ho, wo := (xs[2]-1)*2-2*p+k+op, (xs[3]-1)*2-2*p+k+op
		if y.Shape()[2] != ho || y.Shape()[3] != wo {
			y, err = G.Slice(y, nil, nil, G.S(0, ho), G.S(0, wo))
		}
	}
	if err != nil {
		return nil, err
	}
	return G.BroadcastAdd(y, b, nil, []byte{0, 2, 3})
}

// benchZeroInsert2 is GORGONIA.md Appendix B's ZeroInsert2: (N,C,H,W) →
// (N,C,2H,2W) with x at the even positions (float32 only).
type benchZeroInsert2 struct{}

// benchZeroInsert2Grad picks the even positions back out.
type benchZeroInsert2Grad struct{}

func benchT4() hm.Type {
	t := G.TensorType{Dims: 4, Of: hm.TypeVariable('a')}
	return hm.NewFnType(t, t)
}

func (benchZeroInsert2) Arity() int    { return 1 }
func (benchZeroInsert2) Type() hm.Type { return benchT4() }
func (benchZeroInsert2) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s := in[0].(tensor.Shape)
	return tensor.Shape{s[0], s[1], 2 * s[2], 2 * s[3]}, nil
}
func (benchZeroInsert2) Do(vals ...G.Value) (G.Value, error) {
	t := vals[0].(*tensor.Dense)
	s := t.Shape()
	n, c, h, w := s[0], s[1], s[2], s[3]
	in := t.Data().([]float32)
	out := make([]float32, n*c*4*h*w)
	for p := 0; p < n*c; p++ {
		for i := 0; i < h; i++ {
			for j := 0; j < w; j++ {
				out[p*4*h*w+(2*i)*2*w+2*j] = in[p*h*w+i*w+j]
			}
		}
	}
	return tensor.New(tensor.WithShape(n, c, 2*h, 2*w), tensor.WithBacking(out)), nil
}
func (benchZeroInsert2) ReturnsPtr() bool      { return false }
func (benchZeroInsert2) CallsExtern() bool     { return false }
func (benchZeroInsert2) OverwritesInput() int  { return -1 }
func (benchZeroInsert2) WriteHash(h hash.Hash) { fmt.Fprint(h, "bench.zi2") }
func (op benchZeroInsert2) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}
func (benchZeroInsert2) String() string     { return "ZeroInsert2" }
func (benchZeroInsert2) DiffWRT(int) []bool { return []bool{true} }
func (benchZeroInsert2) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(benchZeroInsert2Grad{}, grad)
	return G.Nodes{dx}, err
}

func (benchZeroInsert2Grad) Arity() int    { return 1 }
func (benchZeroInsert2Grad) Type() hm.Type { return benchT4() }
func (benchZeroInsert2Grad) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s := in[0].(tensor.Shape)
	return tensor.Shape{s[0], s[1], s[2] / 2, s[3] / 2}, nil
}
func (benchZeroInsert2Grad) Do(vals ...G.Value) (G.Value, error) {
	t := vals[0].(*tensor.Dense)
	s := t.Shape()
	n, c, H, W := s[0], s[1], s[2], s[3]
	h, w := H/2, W/2
	g := t.Data().([]float32)
	out := make([]float32, n*c*h*w)
	for p := 0; p < n*c; p++ {
		for i := 0; i < h; i++ {
			for j := 0; j < w; j++ {
				out[p*h*w+i*w+j] = g[p*H*W+(2*i)*W+2*j]
			}
		}
	}
	return tensor.New(tensor.WithShape(n, c, h, w), tensor.WithBacking(out)), nil
}
func (benchZeroInsert2Grad) ReturnsPtr() bool      { return false }
func (benchZeroInsert2Grad) CallsExtern() bool     { return false }
func (benchZeroInsert2Grad) OverwritesInput() int  { return -1 }
func (benchZeroInsert2Grad) WriteHash(h hash.Hash) { fmt.Fprint(h, "bench.zi2grad") }
func (op benchZeroInsert2Grad) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}
func (benchZeroInsert2Grad) String() string { return "ZeroInsert2Grad" }

// TestGorgoniaConvBaseline checks that the benchmark's baseline computes
// the same transposed convolution (with the filter re-laid out and flipped),
// so the timing comparison is of equal work.
func TestGorgoniaConvBaseline(t *testing.T) {
	rng := newRNG(31)
	n, cin, cout, h, k, p, op := 2, 3, 2, 4, 5, 2, 1
	x := randTensor(rng, tensor.Float32, n, cin, h, h)
	wt := randTensor(rng, tensor.Float32, cin, cout, k, k) // PyTorch layout
	wc := tensor.New(tensor.WithShape(cout, cin, k, k), tensor.Of(tensor.Float32))
	src, dst := wt.Data().([]float32), wc.Data().([]float32)
	for i := 0; i < cin; i++ {
		for o := 0; o < cout; o++ {
			for a := 0; a < k; a++ {
				for c := 0; c < k; c++ {
					dst[((o*cin+i)*k+a)*k+c] = src[((i*cout+o)*k+(k-1-a))*k+(k-1-c)]
				}
			}
		}
	}
	b := randTensor(rng, tensor.Float32, 1, cout, 1, 1)
	want, _, _ := convRefTranspose(toFloat64s(x), toFloat64s(wt), toFloat64s(b), n, cin, h, h, cout, k, 2, p, op)
	got, _ := convRun(t, func(in []*G.Node) (*G.Node, error) {
		return gorgoniaConv(in[0], in[1], in[2], k, 2, p, op, true)
	}, x, wc, b)
	if e := convMaxRelDiff(got, want); e > 1e-5 {
		t.Errorf("baseline transposed convolution differs from the reference by %g", e)
	}
}
