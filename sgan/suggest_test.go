package sgan

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/semigan/semigan/datasets"
)

// suggestData returns 25 examples for tinyModel(m): the example the model
// is least sure about at 0, 5, 10, 15 and 20, random ones in between.
func suggestData(t *testing.T, m *Model) (x []float32) {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 6))
	const F = 16
	cand := make([]float32, 200*F)
	for i := range cand {
		cand[i] = float32(rng.Float64()*2 - 1)
	}
	s, err := m.SuggestLabels(cand, 1, SuggestOptions{PoolFactor: 1})
	if err != nil {
		t.Fatal(err)
	}
	u := cand[s[0].Index*F : (s[0].Index+1)*F]
	for range 5 {
		x = append(x, u...)
		for range 4 {
			j := rng.IntN(200)
			if j == s[0].Index {
				j = (j + 1) % 200
			}
			x = append(x, cand[j*F:(j+1)*F]...)
		}
	}
	return x
}

func TestSuggestLabels(t *testing.T) {
	tr := tinyTrainer(t, 41)
	m := tr.Model()
	lab, unl := tinyBatches(41)
	for range 5 {
		if _, err := tr.Step(lab, unl); err != nil {
			t.Fatal(err)
		}
	}
	x := suggestData(t, m)
	isCopy := func(i int) bool { return i%5 == 0 }

	for _, tc := range []struct {
		name       string
		n          int
		opts       SuggestOptions
		wantN      int
		maxCopies  int // suggestions among the five copies
		minCopies  int
		sortedByMg bool
	}{
		{"uncertainty only", 3, SuggestOptions{PoolFactor: 1}, 3, 3, 3, true},
		{"uncertainty and diversity", 3, SuggestOptions{}, 3, 1, 1, false},
		{"uncertainty × distance", 3, SuggestOptions{Method: ByDistance}, 3, 1, 1, false},
		{"distance keeps away from the labelled", 3, SuggestOptions{Method: ByDistance, Labelled: x[:16]}, 3, 0, 0, false},
		{"diversity keeps away from the labelled", 3, SuggestOptions{Labelled: x[:16]}, 3, 0, 0, false},
		{"more than there are", 40, SuggestOptions{}, 25, 5, 5, false},
		{"none", 0, SuggestOptions{}, 0, 0, 0, false},
	} {
		got, err := m.SuggestLabels(x, tc.n, tc.opts)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if len(got) != tc.wantN {
			t.Fatalf("%s: %d suggestions, want %d", tc.name, len(got), tc.wantN)
		}
		copies, seen := 0, map[int]bool{}
		for j, s := range got {
			if seen[s.Index] || s.Index < 0 || s.Index >= 25 {
				t.Fatalf("%s: suggestion %d: index %d repeated or out of range", tc.name, j, s.Index)
			}
			seen[s.Index] = true
			if isCopy(s.Index) {
				copies++
			}
			if tc.sortedByMg && j > 0 && s.Margin < got[j-1].Margin {
				t.Errorf("%s: margins not increasing: %v then %v", tc.name, got[j-1].Margin, s.Margin)
			}
			if s.Margin < 0 || s.Margin > 1 {
				t.Errorf("%s: margin %v outside [0, 1]", tc.name, s.Margin)
			}
		}
		if copies < tc.minCopies || copies > tc.maxCopies {
			t.Errorf("%s: %d of the suggestions are copies of one image, want %d to %d: %+v", tc.name, copies, tc.minCopies, tc.maxCopies, got)
		}
		again, err := m.SuggestLabels(x, tc.n, tc.opts)
		if err != nil || !slices.Equal(again, got) {
			t.Errorf("%s: a second call gave %+v (%v), the first %+v", tc.name, again, err, got)
		}
	}
}

func TestSuggestLabelsErrors(t *testing.T) {
	m := tinyModel(t, 42)
	good := make([]float32, 3*16)
	nan := slices.Clone(good)
	nan[20] = float32(math.NaN())
	for _, tc := range []struct {
		name string
		x    []float32
		n    int
		opts SuggestOptions
		want string
	}{
		{"negative n", good, -1, SuggestOptions{}, "negative"},
		{"negative pool", good, 1, SuggestOptions{PoolFactor: -2}, "PoolFactor"},
		{"unknown method", good, 1, SuggestOptions{Method: 7}, "Method"},
		{"ragged input", good[:20], 1, SuggestOptions{}, "whole number"},
		{"ragged labelled", good, 1, SuggestOptions{Labelled: good[:5]}, "labelled values"},
		{"NaN input", nan, 1, SuggestOptions{}, "input example 1"},
		{"NaN labelled", good, 1, SuggestOptions{Labelled: nan}, "labelled example 1"},
	} {
		_, err := m.SuggestLabels(tc.x, tc.n, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "sgan: ") {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

// Prediction and suggestions over a set of pixels give what the slice
// functions give over the set's values, and refuse a set of another
// shape.
func TestSetFunctionsMatchSlices(t *testing.T) {
	tr := tinyTrainer(t, 43)
	m := tr.Model()
	lab, unl := tinyBatches(43)
	for range 5 {
		if _, err := tr.Step(lab, unl); err != nil {
			t.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(7, 8))
	pix := make([]byte, 120*16)
	for i := range pix {
		pix[i] = byte(rng.IntN(256))
	}
	set := datasets.NewPixelSet(pix, make([]int, 120), 1, 4, 4, 3).Subset(rng.Perm(120)[:90])
	x := set.Values()

	wantP, err1 := m.Predict(x)
	gotP, err2 := m.PredictSet(set)
	if err1 != nil || err2 != nil || !slices.Equal(gotP, wantP) {
		t.Errorf("PredictSet: %v %v, equal: %v", err1, err2, slices.Equal(gotP, wantP))
	}
	wantQ, err1 := m.PredictProba(x)
	gotQ, err2 := m.PredictProbaSet(set)
	if err1 != nil || err2 != nil || !slices.Equal(gotQ, wantQ) {
		t.Errorf("PredictProbaSet: %v %v, equal: %v", err1, err2, slices.Equal(gotQ, wantQ))
	}
	opts := SuggestOptions{Labelled: x[:3*16]}
	wantS, err1 := m.SuggestLabels(x, 7, opts)
	gotS, err2 := m.SuggestLabelsSet(set, 7, opts)
	if err1 != nil || err2 != nil || !slices.Equal(gotS, wantS) {
		t.Errorf("SuggestLabelsSet: %v %v\n got  %v\n want %v", err1, err2, gotS, wantS)
	}

	other := datasets.NewPixelSet(make([]byte, 2*25), make([]int, 2), 1, 5, 5, 3)
	for name, err := range map[string]error{
		"PredictSet":       second(m.PredictSet(other)),
		"PredictProbaSet":  second(m.PredictProbaSet(other)),
		"SuggestLabelsSet": second(m.SuggestLabelsSet(other, 1, SuggestOptions{})),
	} {
		if err == nil || !strings.Contains(err.Error(), "1×5×5") {
			t.Errorf("%s of 5×5 images: %v", name, err)
		}
	}
	if _, err := m.SuggestLabelsSet(set, -1, SuggestOptions{}); err == nil {
		t.Errorf("SuggestLabelsSet with n = -1: no error")
	}
}

// second returns the error of a two-value call.
func second[T any](_ T, err error) error { return err }
