package layers

import (
	"fmt"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func denseRef(x, w, b []float64, n, in, out int) []float64 {
	y := make([]float64, n*out)
	for i := 0; i < n; i++ {
		for j := 0; j < out; j++ {
			s := 0.0
			if b != nil {
				s = b[j]
			}
			for k := 0; k < in; k++ {
				s += x[i*in+k] * w[k*out+j]
			}
			y[i*out+j] = s
		}
	}
	return y
}

func TestDense(t *testing.T) {
	cases := []struct {
		n, in, out int
		noBias     bool
	}{
		{1, 1, 1, false},
		{4, 3, 5, false},
		{5, 7, 2, true},
		{3, 6, 6, false},
	}
	for ci, c := range cases {
		for _, dt := range dtypes {
			t.Run(fmt.Sprintf("%d/%v", ci, dt), func(t *testing.T) {
				rng := newRNG(uint64(ci))
				opts := []Option{WithDtype(dt), WithBiasInit(Normal(rng, 1))}
				if c.noBias {
					opts = append(opts, WithoutBias())
				}
				l := NewDense("fc", c.in, c.out, GlorotUniform(rng, 1), opts...)
				if got := len(l.Params()); got != 2-btoi(c.noBias) {
					t.Fatalf("%d params", got)
				}
				x := randTensor(rng, dt, c.n, c.in)
				y := runForward(t, l, Infer, x, nil)
				var bv []float64
				if l.B != nil {
					bv = toFloat64s(l.B.Value)
				}
				want := denseRef(toFloat64s(x), toFloat64s(l.W.Value), bv, c.n, c.in, c.out)
				if !y.Shape().Eq(tensor.Shape{c.n, c.out}) {
					t.Fatalf("shape %v", y.Shape())
				}
				if d := maxAbsDiff(toFloat64s(y), want); d > tolFor(dt) {
					t.Errorf("forward differs by %g", d)
				}
				checkGrad(t, dt, gradTol(dt), func(b *Builder, in []*G.Node) (*G.Node, error) {
					return l.Forward(b, in[0])
				}, x)
			})
		}
	}
}

func TestDenseErrors(t *testing.T) {
	l := NewDense("fc", 3, 2, Ones)
	for i, c := range []struct {
		dt    tensor.Dtype
		shape []int
	}{
		{tensor.Float32, []int{4, 2}},
		{tensor.Float32, []int{4, 3, 1}},
		{tensor.Float32, []int{3}},
		{tensor.Float64, []int{4, 3}},
	} {
		if err := forwardErr(l, c.dt, Train, c.shape...); err == nil {
			t.Errorf("%d: no error for input %v %v", i, c.dt, c.shape)
		}
	}
	if _, err := l.Forward(NewBuilder(G.NewGraph(), Train), nil); err == nil {
		t.Errorf("no error for nil input")
	}
	mustPanic(t, "in=0", func() { NewDense("fc", 0, 2, Ones) })
	mustPanic(t, "out<0", func() { NewDense("fc", 2, -1, Ones) })
	mustPanic(t, "nil init", func() { NewDense("fc", 2, 2, nil) })
	mustPanic(t, "empty name", func() { NewDense("", 2, 2, Ones) })
	mustPanic(t, "int dtype", func() { NewDense("fc", 2, 2, Ones, WithDtype(tensor.Int)) })
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// SetValues binds substitute tensors: the graph computes with them and
// leaves the parameters alone; a substitute of the wrong shape or dtype
// is an error.
func TestBuilderSetValues(t *testing.T) {
	l := NewDense("sv", 2, 1, Zeros)
	w := tensor.New(tensor.WithShape(2, 1), tensor.WithBacking([]float32{3, 4}))
	cases := []struct {
		name    string
		sub     *tensor.Dense
		want    float32 // output for x = (1, 1)
		wantErr bool
	}{
		{"none", nil, 0, false},
		{"weights", w, 7, false},
		{"wrong shape", tensor.New(tensor.WithShape(1, 2), tensor.WithBacking([]float32{3, 4})), 0, true},
		{"wrong dtype", tensor.New(tensor.WithShape(2, 1), tensor.WithBacking([]float64{3, 4})), 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := G.NewGraph()
			b := NewBuilder(g, Infer).SetValues(func(p *Param) *tensor.Dense {
				if p == l.W {
					return c.sub
				}
				return nil
			})
			x := G.NewMatrix(g, G.Float32, G.WithShape(1, 2), G.WithName("x"),
				G.WithValue(tensor.New(tensor.WithShape(1, 2), tensor.WithBacking([]float32{1, 1}))))
			y, err := l.Forward(b, x)
			if c.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			vm := G.NewTapeMachine(g)
			defer vm.Close()
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			if got := y.Value().Data().([]float32)[0]; got != c.want {
				t.Fatalf("output %v, want %v", got, c.want)
			}
			if v := l.W.Value.Data().([]float32); v[0] != 0 || v[1] != 0 {
				t.Fatalf("parameter changed to %v", v)
			}
		})
	}
}
