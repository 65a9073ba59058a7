package layers

import (
	"fmt"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestReshape(t *testing.T) {
	cases := []struct {
		l        Layer
		in, want []int
	}{
		{Flatten{}, []int{2, 3, 4, 5}, []int{2, 60}},
		{Flatten{}, []int{3, 4}, []int{3, 4}},
		{Reshape{Shape: []int{2, 2, 3}}, []int{2, 12}, []int{2, 2, 2, 3}},
		{Reshape{Shape: []int{6}}, []int{4, 2, 3}, []int{4, 6}},
	}
	for ci, c := range cases {
		for _, dt := range dtypes {
			t.Run(fmt.Sprintf("%d/%v", ci, dt), func(t *testing.T) {
				rng := newRNG(uint64(ci) + 400)
				x := randTensor(rng, dt, c.in...)
				y := runForward(t, c.l, Infer, x, nil)
				if !y.Shape().Eq(tensor.Shape(c.want)) {
					t.Fatalf("shape %v, want %v", y.Shape(), c.want)
				}
				if maxAbsDiff(toFloat64s(y), toFloat64s(x)) != 0 {
					t.Errorf("values changed")
				}
				checkGrad(t, dt, gradTol(dt), func(b *Builder, in []*G.Node) (*G.Node, error) {
					h, err := c.l.Forward(b, in[0])
					if err != nil {
						return nil, err
					}
					return Tanh{}.Forward(b, h)
				}, x)
			})
		}
	}
}

func TestReshapeErrors(t *testing.T) {
	for i, c := range []struct {
		l     Layer
		shape []int
	}{
		{Reshape{Shape: []int{5}}, []int{2, 6}},
		{Reshape{Shape: []int{-1, 6}}, []int{2, 6}},
		{Reshape{Shape: []int{0}}, []int{2, 6}},
	} {
		if err := forwardErr(c.l, tensor.Float32, Train, c.shape...); err == nil {
			t.Errorf("%d: no error", i)
		}
	}
	if _, err := (Flatten{}).Forward(nil, nil); err == nil {
		t.Errorf("no error for nil input")
	}
}
