package layers

import (
	"fmt"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestConv2DLayer(t *testing.T) {
	rng := newRNG(21)
	cases := []struct {
		in, out, k, s, p int
		h, wantH         int
		opts             []Option
	}{
		{1, 4, 5, 2, 2, 28, 14, nil},
		{4, 3, 5, 2, 2, 14, 7, nil},
		{3, 2, 3, 1, 1, 7, 7, []Option{WithoutBias()}},
		{2, 3, 4, 2, 1, 9, 4, []Option{WithBiasInit(Constant(0.5))}},
	}
	for ci, tc := range cases {
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			name := fmt.Sprintf("case %d %v", ci, dt)
			l := NewConv2D(fmt.Sprintf("c%d", ci), tc.in, tc.out, tc.k, tc.s, tc.p, Normal(rng, 0.3), append(tc.opts, WithDtype(dt))...)
			if !l.W.Value.Shape().Eq(tensor.Shape{tc.out, tc.in, tc.k, tc.k}) || l.W.Name != fmt.Sprintf("c%d/W", ci) {
				t.Errorf("%s: W %q %v", name, l.W.Name, l.W.Value.Shape())
			}
			var bv []float64
			if l.B != nil {
				if len(l.Params()) != 2 || l.B.Name != fmt.Sprintf("c%d/b", ci) {
					t.Errorf("%s: params %v", name, l.Params())
				}
				bv = toFloat64s(l.B.Value)
			} else if len(l.Params()) != 1 {
				t.Errorf("%s: %d params without bias", name, len(l.Params()))
			}
			x := randTensor(rng, dt, 2, tc.in, tc.h, tc.h)
			y := runForward(t, l, Train, x, nil)
			want, oh, ow := convRefForward(toFloat64s(x), toFloat64s(l.W.Value), bv, 2, tc.in, tc.h, tc.h, tc.out, tc.k, tc.s, tc.p)
			if oh != tc.wantH || !y.Shape().Eq(tensor.Shape{2, tc.out, oh, ow}) {
				t.Errorf("%s: output %v, want (2,%d,%d,%d)", name, y.Shape(), tc.out, tc.wantH, tc.wantH)
				continue
			}
			if e := convMaxRelDiff(toFloat64s(y), want); e > tolFor(dt) {
				t.Errorf("%s: max rel diff %g", name, e)
			}
		}
	}
}

func TestConvTranspose2DLayer(t *testing.T) {
	rng := newRNG(22)
	cases := []struct {
		in, out, k, s, p, op int
		h, wantH             int
		opts                 []Option
	}{
		{4, 3, 5, 2, 2, 1, 7, 14, nil}, // 7→14
		{3, 1, 5, 2, 2, 1, 14, 28, nil},
		{4, 2, 4, 2, 1, 0, 7, 14, nil},
		{2, 1, 4, 2, 1, 0, 14, 28, []Option{WithoutBias()}},
		{3, 2, 3, 1, 1, 0, 5, 5, []Option{WithBiasInit(Constant(-0.25))}},
	}
	for ci, tc := range cases {
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			name := fmt.Sprintf("case %d %v", ci, dt)
			l := NewConvTranspose2D(fmt.Sprintf("ct%d", ci), tc.in, tc.out, tc.k, tc.s, tc.p, tc.op, Normal(rng, 0.3), append(tc.opts, WithDtype(dt))...)
			if !l.W.Value.Shape().Eq(tensor.Shape{tc.in, tc.out, tc.k, tc.k}) {
				t.Errorf("%s: W %v", name, l.W.Value.Shape())
			}
			var bv []float64
			if l.B != nil {
				bv = toFloat64s(l.B.Value)
			}
			x := randTensor(rng, dt, 2, tc.in, tc.h, tc.h)
			y := runForward(t, l, Infer, x, nil)
			want, oh, ow := convRefTranspose(toFloat64s(x), toFloat64s(l.W.Value), bv, 2, tc.in, tc.h, tc.h, tc.out, tc.k, tc.s, tc.p, tc.op)
			if oh != tc.wantH || !y.Shape().Eq(tensor.Shape{2, tc.out, oh, ow}) {
				t.Errorf("%s: output %v, want (2,%d,%d,%d)", name, y.Shape(), tc.out, tc.wantH, tc.wantH)
				continue
			}
			if e := convMaxRelDiff(toFloat64s(y), want); e > tolFor(dt) {
				t.Errorf("%s: max rel diff %g", name, e)
			}
		}
	}
}

// TestConvLayersGrad checks a small generator-like stack Conv2D →
// ConvTranspose2D through the layers' Forward, in both dtypes.
func TestConvLayersGrad(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		rng := newRNG(23)
		c := NewConv2D("g/c", 2, 3, 3, 2, 1, Normal(rng, 0.5), WithDtype(dt), WithBiasInit(Normal(rng, 0.5)))
		ct := NewConvTranspose2D("g/ct", 3, 2, 4, 2, 1, 0, Normal(rng, 0.5), WithDtype(dt), WithBiasInit(Normal(rng, 0.5)))
		seq := Sequential{c, ct}
		checkGrad(t, dt, gradTol(dt), func(b *Builder, in []*G.Node) (*G.Node, error) {
			return seq.Forward(b, in[0])
		}, randTensor(rng, dt, 2, 2, 6, 6))
	}
}

func TestConvLayerErrors(t *testing.T) {
	rng := newRNG(24)
	c := NewConv2D("e/c", 3, 4, 5, 2, 2, Normal(rng, 1))
	ct := NewConvTranspose2D("e/ct", 3, 4, 5, 2, 2, 1, Normal(rng, 1))
	cases := []struct {
		name  string
		l     Layer
		dt    tensor.Dtype
		shape []int
		want  string
	}{
		{"conv rank", c, tensor.Float32, []int{2, 3, 8}, "dimensions"},
		{"conv channels", c, tensor.Float32, []int{2, 2, 8, 8}, "axis 1"},
		{"conv dtype", c, tensor.Float64, []int{2, 3, 8, 8}, "dtype"},
		{"conv empty output", NewConv2D("e/c0", 3, 4, 5, 2, 0, Normal(rng, 1)), tensor.Float32, []int{2, 3, 4, 4}, "kernel"},
		{"convT rank", ct, tensor.Float32, []int{3, 8, 8}, "dimensions"},
		{"convT channels", ct, tensor.Float32, []int{2, 4, 8, 8}, "axis 1"},
		{"convT dtype", ct, tensor.Float64, []int{2, 3, 8, 8}, "dtype"},
	}
	for _, tc := range cases {
		err := forwardErr(tc.l, tc.dt, Train, tc.shape...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
	// 1×1 input, kernel 5, pad 3, stride 1: (1−1)·1 − 6 + 5 + 0 = −1.
	ct2 := NewConvTranspose2D("e/ct2", 1, 1, 5, 1, 3, 0, Normal(rng, 1))
	if err := forwardErr(ct2, tensor.Float32, Train, 1, 1, 1, 1); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("convT empty output: error %v", err)
	}
}

func TestConvConstructorPanics(t *testing.T) {
	init := Normal(newRNG(25), 1)
	mustPanic(t, "conv empty name", func() { NewConv2D("", 1, 1, 3, 1, 0, init) })
	mustPanic(t, "conv inC 0", func() { NewConv2D("c", 0, 1, 3, 1, 0, init) })
	mustPanic(t, "conv outC 0", func() { NewConv2D("c", 1, 0, 3, 1, 0, init) })
	mustPanic(t, "conv kernel 0", func() { NewConv2D("c", 1, 1, 0, 1, 0, init) })
	mustPanic(t, "conv stride 0", func() { NewConv2D("c", 1, 1, 3, 0, 0, init) })
	mustPanic(t, "conv pad -1", func() { NewConv2D("c", 1, 1, 3, 1, -1, init) })
	mustPanic(t, "conv nil init", func() { NewConv2D("c", 1, 1, 3, 1, 0, nil) })
	mustPanic(t, "conv int dtype", func() { NewConv2D("c", 1, 1, 3, 1, 0, init, WithDtype(tensor.Int)) })
	mustPanic(t, "convT empty name", func() { NewConvTranspose2D("", 1, 1, 3, 2, 0, 1, init) })
	mustPanic(t, "convT inC 0", func() { NewConvTranspose2D("c", 0, 1, 3, 2, 0, 1, init) })
	mustPanic(t, "convT kernel -1", func() { NewConvTranspose2D("c", 1, 1, -1, 2, 0, 1, init) })
	mustPanic(t, "convT stride 0", func() { NewConvTranspose2D("c", 1, 1, 3, 0, 0, 0, init) })
	mustPanic(t, "convT pad -1", func() { NewConvTranspose2D("c", 1, 1, 3, 2, -1, 1, init) })
	mustPanic(t, "convT outPad = stride", func() { NewConvTranspose2D("c", 1, 1, 3, 2, 0, 2, init) })
	mustPanic(t, "convT outPad -1", func() { NewConvTranspose2D("c", 1, 1, 3, 2, 0, -1, init) })
	mustPanic(t, "convT nil init", func() { NewConvTranspose2D("c", 1, 1, 3, 2, 0, 1, nil) })
}
