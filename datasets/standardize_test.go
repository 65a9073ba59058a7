package datasets

import (
	"errors"
	"math"
	"testing"
)

func TestStandardizer(t *testing.T) {
	train := &Set{Data: []float32{1, 5, 10, 3, 5, 20}, Labels: []int{0, 1}, C: 1, H: 1, W: 3, Classes: 2}
	z := FitStandardizer(train)
	wantMean, wantStd := []float32{2, 5, 15}, []float32{1, 1, 5} // feature 1 is constant: Std 1
	for j := range 3 {
		if z.Mean[j] != wantMean[j] || z.Std[j] != wantStd[j] {
			t.Errorf("feature %d: mean %v std %v, want %v %v", j, z.Mean[j], z.Std[j], wantMean[j], wantStd[j])
		}
	}
	if err := z.Apply(train); err != nil {
		t.Fatal(err)
	}
	for j, want := range []float32{-1, 0, -1, 1, 0, 1} {
		if math.Abs(float64(train.Values()[j]-want)) > 1e-6 {
			t.Errorf("Data[%d] = %v, want %v", j, train.Values()[j], want)
		}
	}
	if err := z.Apply(mkSet(1, 1, 1, 2, 1)); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("err = %v", err)
	}
	if !panics(func() { FitStandardizer(&Set{C: 1, H: 1, W: 1}) }) {
		t.Error("FitStandardizer of an empty set does not panic")
	}
}
