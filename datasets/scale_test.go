package datasets

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// tab returns a tabular set of the rows given, with labels i mod 2.
func tab(rows ...[]float32) *Set {
	s := &Set{C: 1, H: 1, W: len(rows[0]), Classes: 2}
	for i, r := range rows {
		s.Data = append(s.Data, r...)
		s.Labels = append(s.Labels, i%2)
	}
	return s
}

func TestRangeScaler(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fit      []*Set
		min, max []float32
		apply    *Set      // applied after fitting
		want     []float32 // apply's values afterwards
	}{
		{
			name: "one set",
			fit:  []*Set{tab([]float32{1, 5, -10}, []float32{3, 5, 30}, []float32{2, 5, 10})},
			min:  []float32{1, 5, -10}, max: []float32{3, 5, 30},
			apply: tab([]float32{1, 5, -10}, []float32{3, 5, 30}, []float32{2, 5, 10}),
			want:  []float32{-1, 0, -1, 1, 0, 1, 0, 0, 0}, // feature 1 is constant: 0
		},
		{
			name: "two sets",
			fit:  []*Set{tab([]float32{0, 100}), tab([]float32{4, 300}, []float32{2, 200})},
			min:  []float32{0, 100}, max: []float32{4, 300},
			apply: tab([]float32{1, 150}),
			want:  []float32{-0.5, -0.5},
		},
		{
			name: "outside the fitted range is not clamped",
			fit:  []*Set{tab([]float32{0}, []float32{10})},
			min:  []float32{0}, max: []float32{10},
			apply: tab([]float32{-5}, []float32{20}),
			want:  []float32{-2, 3},
		},
		{
			name: "an empty set with others",
			fit:  []*Set{{C: 1, H: 1, W: 2}, tab([]float32{-1, 1e6}, []float32{1, 2e6})},
			min:  []float32{-1, 1e6}, max: []float32{1, 2e6},
			apply: tab([]float32{0, 1.5e6}),
			want:  []float32{0, 0},
		},
	} {
		sc, err := FitRangeScaler(tc.fit...)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !slices.Equal(sc.Min, tc.min) || !slices.Equal(sc.Max, tc.max) {
			t.Errorf("%s: range [%v, %v], want [%v, %v]", tc.name, sc.Min, sc.Max, tc.min, tc.max)
		}
		if err := sc.Apply(tc.apply); err != nil {
			t.Errorf("%s: Apply: %v", tc.name, err)
			continue
		}
		for j, w := range tc.want {
			if math.Abs(float64(tc.apply.Values()[j]-w)) > 1e-6 {
				t.Errorf("%s: Data[%d] = %v, want %v", tc.name, j, tc.apply.Values()[j], w)
			}
		}
	}
}

func TestRangeScalerErrors(t *testing.T) {
	good := &RangeScaler{Min: []float32{0, 1}, Max: []float32{1, 2}}
	nan := float32(math.NaN())
	for _, tc := range []struct {
		name string
		err  func() error
		want error
	}{
		{"fit nothing", func() error { _, err := FitRangeScaler(); return err }, ErrInvalidArgument},
		{"fit empty", func() error { _, err := FitRangeScaler(&Set{C: 1, H: 1, W: 3}); return err }, ErrInvalidArgument},
		{"fit nil", func() error { _, err := FitRangeScaler(nil); return err }, ErrInvalidArgument},
		{"fit feature counts differ", func() error { _, err := FitRangeScaler(mkSet(2, 1, 1, 2, 2), mkSet(2, 1, 1, 3, 2)); return err }, ErrInvalidArgument},
		{"fit NaN", func() error { _, err := FitRangeScaler(tab([]float32{1, nan})); return err }, ErrInvalid},
		{"fit bad data length", func() error {
			s := mkSet(2, 1, 1, 2, 2)
			s.Data = s.Data[:3]
			_, err := FitRangeScaler(s)
			return err
		}, ErrInvalid},
		{"apply features differ", func() error { return good.Apply(mkSet(2, 1, 1, 3, 2)) }, ErrInvalidArgument},
		{"invert features differ", func() error { return good.Invert(mkSet(2, 1, 1, 1, 2)) }, ErrInvalidArgument},
		{"apply nil", func() error { return good.Apply(nil) }, ErrInvalidArgument},
		{"apply bad data length", func() error {
			s := mkSet(2, 1, 1, 2, 2)
			s.Data = s.Data[:3]
			return good.Apply(s)
		}, ErrInvalid},
		{"min and max lengths differ", func() error {
			return (&RangeScaler{Min: []float32{0, 0}, Max: []float32{1}}).Apply(mkSet(1, 1, 1, 2, 2))
		}, ErrInvalidArgument},
		{"min above max", func() error {
			return (&RangeScaler{Min: []float32{2}, Max: []float32{1}}).Invert(mkSet(1, 1, 1, 1, 2))
		}, ErrInvalidArgument},
		{"infinite range", func() error {
			return (&RangeScaler{Min: []float32{0}, Max: []float32{float32(math.Inf(1))}}).Apply(mkSet(1, 1, 1, 1, 2))
		}, ErrInvalidArgument},
	} {
		if err := tc.err(); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	// a failed Apply leaves the set as it was
	s := mkSet(2, 1, 1, 3, 2)
	before := slices.Clone(s.Values())
	if good.Apply(s) == nil || !slices.Equal(s.Values(), before) {
		t.Error("failed Apply changed the set")
	}
}

// Apply maps every fitted value into [-1, 1], with each feature's
// minimum and maximum at the ends, and Invert gives the values back.
func TestRangeScalerRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, f = 200, 6
	s := &Set{C: 1, H: 1, W: f, Classes: 1, Labels: make([]int, n)}
	scales := []float64{1e-3, 1, 50, 1e4, 0, 7} // feature 4 is constant
	offsets := []float64{0, -3, 1000, -2e5, 42, 0.5}
	for range n {
		for j := range f {
			s.Data = append(s.Data, float32(offsets[j]+scales[j]*rng.NormFloat64()))
		}
	}
	orig := slices.Clone(s.Values())
	sc, err := FitRangeScaler(s)
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.Apply(s); err != nil {
		t.Fatal(err)
	}
	for j := range f {
		lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
		for i := range n {
			lo, hi = min(lo, s.Values()[i*f+j]), max(hi, s.Values()[i*f+j])
		}
		wantLo, wantHi := float32(-1), float32(1)
		if scales[j] == 0 {
			wantLo, wantHi = 0, 0
		}
		if math.Abs(float64(lo-wantLo)) > 1e-6 || math.Abs(float64(hi-wantHi)) > 1e-6 {
			t.Errorf("feature %d scaled to [%v, %v], want [%v, %v]", j, lo, hi, wantLo, wantHi)
		}
	}
	if err := sc.Invert(s); err != nil {
		t.Fatal(err)
	}
	for i, v := range s.Values() {
		j := i % f
		tol := 1e-6 * (float64(sc.Max[j]-sc.Min[j]) + math.Abs(float64(orig[i])))
		if math.Abs(float64(v-orig[i])) > tol {
			t.Errorf("example %d feature %d: %v after the round trip, was %v", i/f, j, v, orig[i])
		}
	}
	// the ends of [-1, 1] invert to the ends of the fitted range
	ends := &Set{C: 1, H: 1, W: f, Labels: make([]int, 2), Data: make([]float32, 2*f)}
	for j := range f {
		ends.Data[j], ends.Data[f+j] = -1, 1
	}
	if err := sc.Invert(ends); err != nil {
		t.Fatal(err)
	}
	for j := range f {
		if ends.Values()[j] != sc.Min[j] || ends.Values()[f+j] != sc.Max[j] {
			t.Errorf("feature %d: ends invert to %v, %v, want %v, %v", j, ends.Values()[j], ends.Values()[f+j], sc.Min[j], sc.Max[j])
		}
	}
}

// FindOutliers reports a feature whose range one extreme value stretches
// (issue 15, row 21: one value of 1e30 in a column collapsed its scaled
// range), and leaves alone features that are normal, heavy-tailed within
// reason, sparse or constant.
func TestFindOutliers(t *testing.T) {
	const n = 200
	rng := rand.New(rand.NewPCG(1, 2))
	mk := func(f func(i int) float32) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = f(i)
		}
		return v
	}
	for _, tc := range []struct {
		name    string
		col     []float32
		want    bool
		example int
	}{
		{"normal", mk(func(int) float32 { return float32(rng.NormFloat64()) }), false, 0},
		{"log-normal σ=1", mk(func(int) float32 { return float32(math.Exp(rng.NormFloat64())) }), false, 0},
		{"sparse binary", mk(func(i int) float32 {
			if i%50 == 0 {
				return 1
			}
			return 0
		}), false, 0},
		{"constant", mk(func(int) float32 { return 5 }), false, 0},
		{"one 1e30", mk(func(i int) float32 {
			if i == 17 {
				return 1e30
			}
			return float32(i % 10)
		}), true, 17},
		{"one −1e6", mk(func(i int) float32 {
			if i == 3 {
				return -1e6
			}
			return float32(rng.NormFloat64())
		}), true, 3},
	} {
		s := &Set{C: 1, H: 1, W: 2, Labels: make([]int, n), Columns: &CSVColumns{Names: []string{"ok", "x"}, Label: -1}}
		for i := range n {
			s.Data = append(s.Data, float32(i), tc.col[i])
		}
		got := FindOutliers(nil, s)
		if !tc.want {
			if len(got) != 0 {
				t.Errorf("%s: reported %+v", tc.name, got)
			}
			continue
		}
		if len(got) != 1 || got[0].Feature != 1 || got[0].Name != "x" || got[0].Set != 1 || got[0].Example != tc.example || got[0].Value != tc.col[tc.example] || got[0].Spread <= OutlierSpread {
			t.Errorf("%s: got %+v, want feature 1 (x), set 1, example %d, value %v", tc.name, got, tc.example, tc.col[tc.example])
		}
	}
}
