package layers

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Sequential chains layers: the output of each is the input of the next.
type Sequential []Layer

var (
	_ Layer           = Sequential(nil)
	_ DataInitializer = Sequential(nil)
)

// Forward applies the layers in order and returns the last output; an empty
// Sequential returns x.
func (s Sequential) Forward(b *Builder, x *G.Node) (*G.Node, error) {
	outs, err := s.ForwardAll(b, x)
	if err != nil {
		return nil, err
	}
	if len(outs) == 0 {
		return x, nil
	}
	return outs[len(outs)-1], nil
}

// ForwardAll applies the layers in order and returns every layer's output:
// outs[i] is the output of s[i]. Use it to take intermediate activations,
// such as the features for the SGAN generator's feature-matching loss.
// A failing layer's error is wrapped with its index.
func (s Sequential) ForwardAll(b *Builder, x *G.Node) ([]*G.Node, error) {
	outs := make([]*G.Node, 0, len(s))
	for i, l := range s {
		if l == nil {
			return nil, fmt.Errorf("layers: sequential: layer %d is nil", i)
		}
		y, err := l.Forward(b, x)
		if err != nil {
			return nil, fmt.Errorf("layers: sequential: layer %d (%T): %w", i, l, err)
		}
		outs = append(outs, y)
		x = y
	}
	return outs, nil
}

// Params concatenates the layers' parameters in order. A parameter shared
// by several layers (the same *Param) is listed once.
func (s Sequential) Params() []*Param {
	var ps []*Param
	seen := map[*Param]bool{}
	for _, l := range s {
		if l == nil {
			continue
		}
		for _, p := range l.Params() {
			if !seen[p] {
				seen[p] = true
				ps = append(ps, p)
			}
		}
	}
	return ps
}

// InitFromData initialises the layers in order from the input batch x
// (data-dependent initialisation): a layer that implements DataInitializer
// (WNDense, a nested Sequential) initialises itself from its input and
// passes on its output; any other layer is run in Infer mode on a graph of
// its own (so noise and dropout are off and BatchNorm uses its running
// statistics). It returns the output of the last layer.
func (s Sequential) InitFromData(x *tensor.Dense) (*tensor.Dense, error) {
	for i, l := range s {
		if l == nil {
			return nil, fmt.Errorf("layers: sequential: layer %d is nil", i)
		}
		var err error
		if di, ok := l.(DataInitializer); ok {
			x, err = di.InitFromData(x)
		} else {
			x, err = runInfer(l, x)
		}
		if err != nil {
			return nil, fmt.Errorf("layers: sequential: data init of layer %d (%T): %w", i, l, err)
		}
	}
	return x, nil
}

// runInfer runs l in Infer mode on the value x and returns its output.
func runInfer(l Layer, x *tensor.Dense) (*tensor.Dense, error) {
	if x == nil {
		return nil, fmt.Errorf("nil input")
	}
	g := G.NewGraph()
	b := NewBuilder(g, Infer).SetDtype(x.Dtype())
	xn := G.NewTensor(g, x.Dtype(), x.Dims(), G.WithShape(x.Shape().Clone()...), G.WithName("layers/datainit/x"), G.WithValue(x))
	y, err := l.Forward(b, xn)
	if err != nil {
		return nil, err
	}
	if y == xn {
		return x.Clone().(*tensor.Dense), nil
	}
	var v G.Value
	G.Read(y, &v)
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		return nil, err
	}
	t, ok := v.(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("output of type %T", v)
	}
	return t.Clone().(*tensor.Dense), nil
}
