package layers

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func testNet(rng *rand.Rand) Sequential {
	return Sequential{
		NewDense("net/fc1", 4, 3, GlorotUniform(rng, 1)),
		NewBatchNorm("net/bn1", 3),
		LeakyReLU{Alpha: 0.2},
		Dropout{P: 0.5},
		NewWNDense("net/out", 3, 2, Normal(rng, 0.05)),
	}
}

func TestStateDictRoundTrip(t *testing.T) {
	src := testNet(newRNG(1))
	// change the running stats so that state, not only weights, is checked
	runForward(t, src, Train, randTensor(newRNG(2), tensor.Float32, 5, 4), newRNG(3))
	m, err := StateDict(src)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	want := []string{"net/bn1/beta", "net/bn1/gamma", "net/bn1/running_mean", "net/bn1/running_var",
		"net/fc1/W", "net/fc1/b", "net/out/V", "net/out/b", "net/out/g"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("names %v, want %v", names, want)
	}
	dst := testNet(newRNG(99))
	ptrs := map[string]*tensor.Dense{}
	for _, p := range dst.Params() {
		ptrs[p.Name] = p.Value
	}
	if err := LoadStateDict(m, dst); err != nil {
		t.Fatal(err)
	}
	for _, p := range dst.Params() {
		if p.Value != ptrs[p.Name] {
			t.Errorf("%s: tensor replaced", p.Name)
		}
		if maxAbsDiff(toFloat64s(p.Value), toFloat64s(m[p.Name])) != 0 {
			t.Errorf("%s: values differ", p.Name)
		}
	}
	// the dict is a copy
	setAt(m["net/fc1/W"], 0, 1234)
	if getAt(dst[0].(*Dense).W.Value, 0) == 1234 || getAt(src[0].(*Dense).W.Value, 0) == 1234 {
		t.Errorf("StateDict shares storage with the parameters")
	}
	// same output in Infer mode
	x := randTensor(newRNG(4), tensor.Float32, 5, 4)
	if d := maxAbsDiff(toFloat64s(runForward(t, src, Infer, x, nil)), toFloat64s(runForward(t, dst, Infer, x, nil))); d != 0 {
		t.Errorf("outputs differ by %g after load", d)
	}
}

func TestLoadStateDictErrors(t *testing.T) {
	net := testNet(newRNG(1))
	good, err := StateDict(net)
	if err != nil {
		t.Fatal(err)
	}
	clone := func() map[string]*tensor.Dense {
		m := map[string]*tensor.Dense{}
		for k, v := range good {
			m[k] = v.Clone().(*tensor.Dense)
		}
		return m
	}
	cases := []struct {
		name   string
		edit   func(m map[string]*tensor.Dense)
		expect StateError
	}{
		{"missing", func(m map[string]*tensor.Dense) { delete(m, "net/fc1/b"); delete(m, "net/bn1/running_var") },
			StateError{Missing: []string{"net/bn1/running_var", "net/fc1/b"}}},
		{"unexpected", func(m map[string]*tensor.Dense) { m["net/extra"] = Ones(tensor.Shape{2}, tensor.Float32) },
			StateError{Unexpected: []string{"net/extra"}}},
		{"shape", func(m map[string]*tensor.Dense) { m["net/fc1/W"] = Ones(tensor.Shape{3, 4}, tensor.Float32) },
			StateError{Mismatched: []string{"net/fc1/W: got (3, 4) float32, want (4, 3) float32"}}},
		{"dtype", func(m map[string]*tensor.Dense) { m["net/out/g"] = Ones(tensor.Shape{2}, tensor.Float64) },
			StateError{Mismatched: []string{"net/out/g: got (2) float64, want (2) float32"}}},
		{"nil", func(m map[string]*tensor.Dense) { m["net/out/g"] = nil },
			StateError{Mismatched: []string{"net/out/g: nil tensor, want (2) float32"}}},
		{"all", func(m map[string]*tensor.Dense) {
			delete(m, "net/fc1/b")
			m["x"] = Ones(tensor.Shape{2}, tensor.Float32)
			m["net/out/g"] = Ones(tensor.Shape{3}, tensor.Float32)
		}, StateError{Missing: []string{"net/fc1/b"}, Unexpected: []string{"x"},
			Mismatched: []string{"net/out/g: got (3) float32, want (2) float32"}}},
	}
	for _, c := range cases {
		m := clone()
		c.edit(m)
		before, _ := StateDict(net)
		err := LoadStateDict(m, net)
		var se *StateError
		if !errors.As(err, &se) {
			t.Errorf("%s: error %v, want *StateError", c.name, err)
			continue
		}
		if !reflect.DeepEqual(*se, c.expect) {
			t.Errorf("%s: got %+v, want %+v", c.name, *se, c.expect)
		}
		after, _ := StateDict(net)
		for k, v := range before {
			if maxAbsDiff(toFloat64s(v), toFloat64s(after[k])) != 0 {
				t.Errorf("%s: failed load changed %s", c.name, k)
			}
		}
	}
}

func TestDuplicateNames(t *testing.T) {
	a := NewDense("fc", 2, 2, Ones)
	b := NewDense("fc", 2, 2, Ones)
	if _, err := StateDict(a, b); err == nil {
		t.Errorf("StateDict: no error for duplicate names")
	}
	if err := LoadStateDict(map[string]*tensor.Dense{}, a, b); err == nil {
		t.Errorf("LoadStateDict: no error for duplicate names")
	}
	// the same layer twice is fine
	if m, err := StateDict(a, a); err != nil || len(m) != 2 {
		t.Errorf("StateDict(a, a): %v, %d entries", err, len(m))
	}
	// Builder: two distinct params with the same name in one graph
	g := G.NewGraph()
	bl := NewBuilder(g, Train)
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(3, 2), G.WithName("x"))
	if _, err := (Sequential{a, b}).Forward(bl, x); err == nil {
		t.Errorf("Builder: no error for duplicate parameter names")
	}
	if _, err := bl.Bind(&Param{Name: "", Value: Ones(tensor.Shape{2}, tensor.Float32)}); err == nil {
		t.Errorf("Builder: no error for an unnamed parameter")
	}
	if _, err := bl.Bind(nil); err == nil {
		t.Errorf("Builder: no error for a nil parameter")
	}
}

// TestSharedParams builds two graphs over the same layer, as the SGAN's D
// and G steps do, and checks they see the same tensors.
func TestSharedParams(t *testing.T) {
	l := NewDense("fc", 2, 2, Ones)
	var nodes []*G.Node
	for range 2 {
		g := G.NewGraph()
		b := NewBuilder(g, Train)
		x := G.NewMatrix(g, tensor.Float32, G.WithShape(1, 2), G.WithName("x"))
		if _, err := l.Forward(b, x); err != nil {
			t.Fatal(err)
		}
		if n := b.Learnables(); len(n) != 2 {
			t.Fatalf("%d learnables", len(n))
		}
		nodes = append(nodes, b.Node(l.W))
	}
	if nodes[0] == nodes[1] || nodes[0].Value() != nodes[1].Value() {
		t.Errorf("graphs do not share the W tensor")
	}
}
