package layers

import (
	"fmt"
	"sort"
	"strings"

	"gorgonia.org/tensor"
)

// StateDict returns a copy of every parameter of the layers (trainable
// weights and state such as BatchNorm's running statistics), keyed by
// Param.Name. The tensors are clones: later training does not change them.
// A parameter listed by several layers (the same *Param) appears once; two
// distinct parameters with the same name are an error.
func StateDict(ls ...Layer) (map[string]*tensor.Dense, error) {
	ps, err := uniqueParams(ls)
	if err != nil {
		return nil, err
	}
	m := make(map[string]*tensor.Dense, len(ps))
	for _, p := range ps {
		m[p.Name] = p.Value.Clone().(*tensor.Dense)
	}
	return m, nil
}

// LoadStateDict copies the values of m into the parameters of the layers, in
// place: the tensors of the parameters are kept, so graphs, machines and
// solvers bound to them stay valid. Every parameter must have an entry of the
// same shape and dtype, and every entry must name a parameter; otherwise
// nothing is copied and the error is a *StateError listing each problem.
// Two distinct parameters with the same name are an error too.
func LoadStateDict(m map[string]*tensor.Dense, ls ...Layer) error {
	ps, err := uniqueParams(ls)
	if err != nil {
		return err
	}
	se := &StateError{}
	known := make(map[string]bool, len(ps))
	for _, p := range ps {
		known[p.Name] = true
		t, ok := m[p.Name]
		switch {
		case !ok:
			se.Missing = append(se.Missing, p.Name)
		case t == nil:
			se.Mismatched = append(se.Mismatched, fmt.Sprintf("%s: nil tensor, want %v %v", p.Name, p.Value.Shape(), p.Value.Dtype()))
		case !t.Shape().Eq(p.Value.Shape()) || t.Dtype() != p.Value.Dtype():
			se.Mismatched = append(se.Mismatched, fmt.Sprintf("%s: got %v %v, want %v %v", p.Name, t.Shape(), t.Dtype(), p.Value.Shape(), p.Value.Dtype()))
		}
	}
	for name := range m {
		if !known[name] {
			se.Unexpected = append(se.Unexpected, name)
		}
	}
	if len(se.Missing)+len(se.Unexpected)+len(se.Mismatched) > 0 {
		sort.Strings(se.Missing)
		sort.Strings(se.Unexpected)
		sort.Strings(se.Mismatched)
		return se
	}
	for _, p := range ps {
		if err := copyValues(p.Value, m[p.Name]); err != nil {
			return fmt.Errorf("layers: load %s: %w", p.Name, err)
		}
	}
	return nil
}

// StateError is the error of LoadStateDict when the entries do not match the
// parameters. Each list is sorted.
type StateError struct {
	Missing    []string // parameters with no entry
	Unexpected []string // entries that name no parameter
	Mismatched []string // "name: got <shape> <dtype>, want <shape> <dtype>"
}

// Error lists every problem.
func (e *StateError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, "missing "+strings.Join(e.Missing, ", "))
	}
	if len(e.Unexpected) > 0 {
		parts = append(parts, "unexpected "+strings.Join(e.Unexpected, ", "))
	}
	if len(e.Mismatched) > 0 {
		parts = append(parts, "mismatched "+strings.Join(e.Mismatched, "; "))
	}
	return "layers: state dict: " + strings.Join(parts, "; ")
}

// uniqueParams returns the parameters of the layers, each *Param once, and
// an error if two distinct parameters share a name or a parameter is
// invalid.
func uniqueParams(ls []Layer) ([]*Param, error) {
	var ps []*Param
	byName := map[string]*Param{}
	for i, l := range ls {
		if l == nil {
			return nil, fmt.Errorf("layers: layer %d is nil", i)
		}
		for _, p := range l.Params() {
			if p == nil || p.Value == nil {
				return nil, fmt.Errorf("layers: layer %d (%T) has a nil parameter", i, l)
			}
			if q, ok := byName[p.Name]; ok {
				if q != p {
					return nil, fmt.Errorf("layers: duplicate parameter name %q", p.Name)
				}
				continue
			}
			byName[p.Name] = p
			ps = append(ps, p)
		}
	}
	return ps, nil
}

// copyValues copies the data of src into dst, which have the same shape and
// dtype; src may be a view.
func copyValues(dst, src *tensor.Dense) error {
	if src.IsView() || !src.IsNativelyAccessible() {
		src = src.Materialize().(*tensor.Dense)
	}
	switch d := dst.Data().(type) {
	case []float32:
		copy(d, src.Data().([]float32))
	case []float64:
		copy(d, src.Data().([]float64))
	default:
		return tensor.Copy(dst, src)
	}
	return nil
}
