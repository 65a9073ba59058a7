package datasets

import (
	"math"
	"slices"
)

// RangeScaler holds the per-feature minimum and maximum of tabular data,
// to map each feature linearly onto [-1, 1], the range of a tanh
// generator, and generated examples back to the original units. Fit it on
// the training data (labelled and unlabelled together), apply it to every
// set the model sees, and invert it on generated sets:
//
//	sc, err := datasets.FitRangeScaler(lab, unl)
//	err = sc.Apply(lab) // and unl, test
//	…
//	err = sc.Invert(synthetic)
//
// A constant feature (Min[j] == Max[j]) maps to 0 and back to Min[j].
// Values outside the fitted range (in a test set, say) map linearly
// outside [-1, 1]; nothing is clamped.
//
// SaveRangeScaler and LoadRangeScaler (WriteRangeScaler and
// ReadRangeScaler) keep a fitted scaler in a small CSV file, so that
// data scaled for a model can be scaled the same way, and its generated
// examples mapped back, by another program.
type RangeScaler struct {
	Min []float32 // smallest value of each feature
	Max []float32 // largest value of each feature

	// Names optionally names the features, in order: nil, or one name
	// per feature. FitRangeScaler takes them from the Columns of the
	// first set that has them.
	Names []string
}

// FitRangeScaler returns the per-feature minimum and maximum over all the
// examples of sets, which must have the same number of features, and the
// feature names of the first set that has Columns. It
// returns an error wrapping ErrInvalidArgument if no set is given, the
// sets hold no examples together, or their feature counts differ, and one
// wrapping ErrInvalid if a set fails Validate.
func FitRangeScaler(sets ...*Set) (*RangeScaler, error) {
	f, n := -1, 0
	for i, s := range sets {
		if s == nil {
			return nil, argError("FitRangeScaler: set %d is nil", i)
		}
		if err := s.Validate(); err != nil {
			return nil, err
		}
		if f >= 0 && s.Features() != f {
			return nil, argError("FitRangeScaler: set %d has %d features, set 0 has %d", i, s.Features(), f)
		}
		f = s.Features()
		n += s.Len()
	}
	if n == 0 {
		return nil, argError("FitRangeScaler: no examples")
	}
	r := &RangeScaler{Min: make([]float32, f), Max: make([]float32, f)}
	for _, s := range sets {
		if s.Columns != nil {
			r.Names = s.Columns.FeatureNames()
			break
		}
	}
	for j := range f {
		r.Min[j] = float32(math.Inf(1))
		r.Max[j] = float32(math.Inf(-1))
	}
	for _, s := range sets {
		data := s.Values()
		for i := 0; i+f <= len(data); i += f {
			for j, v := range data[i : i+f] {
				r.Min[j] = min(r.Min[j], v)
				r.Max[j] = max(r.Max[j], v)
			}
		}
	}
	return r, nil
}

// valid reports whether r is a set of finite intervals, with a name for
// each or none.
func (r *RangeScaler) valid() error {
	if r == nil {
		return argError("nil *RangeScaler")
	}
	if len(r.Min) != len(r.Max) {
		return argError("RangeScaler has %d minima and %d maxima", len(r.Min), len(r.Max))
	}
	if len(r.Names) != 0 && len(r.Names) != len(r.Min) {
		return argError("RangeScaler has %d names for %d features", len(r.Names), len(r.Min))
	}
	for j := range r.Min {
		lo, hi := float64(r.Min[j]), float64(r.Max[j])
		if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) || lo > hi {
			return argError("RangeScaler feature %d: range [%v, %v] is not a finite interval", j, r.Min[j], r.Max[j])
		}
	}
	return nil
}

// check reports whether r is usable on a set s.
func (r *RangeScaler) check(what string, s *Set) error {
	if s == nil {
		return argError("RangeScaler.%s of a nil set", what)
	}
	if err := r.valid(); err != nil {
		return err
	}
	f := s.Features()
	if f != len(r.Min) {
		return argError("RangeScaler of %d features applied to a set of %d", len(r.Min), f)
	}
	if !s.IsPixels() && len(s.Data) != s.Len()*f {
		return invalidError("len(Data) = %d, want %d examples × %d features = %d", len(s.Data), s.Len(), f, s.Len()*f)
	}
	return nil
}

// Apply replaces each value v of feature j of s by
// 2(v - Min[j])/(Max[j] - Min[j]) - 1, in place, computed in float64; a
// constant feature becomes 0. It returns an error wrapping
// ErrInvalidArgument, and leaves s unchanged, if s does not have
// len(Min) features or r is not a set of finite intervals, and one
// wrapping ErrInvalid if len(s.Data) is not Len()·Features(). A set of
// pixels becomes a set with Data (Set.ToFloat32) first.
func (r *RangeScaler) Apply(s *Set) error {
	if err := r.check("Apply", s); err != nil {
		return err
	}
	s.ToFloat32()
	f := len(r.Min)
	for i := 0; i+f <= len(s.Data); i += f {
		x := s.Data[i : i+f]
		for j := range x {
			lo, hi := float64(r.Min[j]), float64(r.Max[j])
			if hi == lo {
				x[j] = 0
				continue
			}
			x[j] = float32(2*(float64(x[j])-lo)/(hi-lo) - 1)
		}
	}
	return nil
}

// Invert undoes Apply: it replaces each value v of feature j of s by
// Min[j] + (v + 1)(Max[j] - Min[j])/2, in place, so that [-1, 1] maps
// back onto [Min[j], Max[j]]; a constant feature becomes Min[j]. Its
// errors are those of Apply.
func (r *RangeScaler) Invert(s *Set) error {
	if err := r.check("Invert", s); err != nil {
		return err
	}
	s.ToFloat32()
	f := len(r.Min)
	for i := 0; i+f <= len(s.Data); i += f {
		x := s.Data[i : i+f]
		for j := range x {
			lo, hi := float64(r.Min[j]), float64(r.Max[j])
			x[j] = float32(lo + (float64(x[j])+1)*(hi-lo)/2)
		}
	}
	return nil
}

// Outlier is a value that stretches its feature's range far beyond where
// the bulk of the feature's values lie, so that min-max scaling squeezes
// the other values into a sliver of [-1, 1]. See FindOutliers.
type Outlier struct {
	Feature int     // 0-based feature index
	Name    string  // the feature's name, if the set has Columns
	Set     int     // index of the set among FindOutliers' arguments
	Example int     // 0-based example index in that set
	Value   float32 // the value
	Spread  float64 // (max − min) over the interquartile range
}

// OutlierSpread is the ratio of a feature's full range to its
// interquartile range beyond which FindOutliers reports it. A normal
// sample of a million values has a ratio of about 7; a log-normal one
// with σ = 2 (incomes, say) a few hundred.
const OutlierSpread = 1000

// FindOutliers reports, for each feature of sets (which must have the
// same number of features) whose range is more than OutlierSpread times
// its interquartile range, the value farthest from the median: one
// Outlier per such feature, in feature order. Features whose
// interquartile range is zero (mostly constant, or binary and sparse)
// are not reported. Min-max scaling (RangeScaler) of such a feature
// leaves all but a few of its values in less than 1/OutlierSpread of
// [-1, 1]; the caller may warn, clip or transform (log) the feature.
func FindOutliers(sets ...*Set) []Outlier {
	f := -1
	for _, s := range sets {
		if s != nil && s.Len() > 0 {
			if f >= 0 && s.Features() != f {
				return nil
			}
			f = s.Features()
		}
	}
	var out []Outlier
	var col []float32
	data := make([][]float32, len(sets))
	for i, s := range sets {
		if s != nil {
			data[i] = s.Values()
		}
	}
	for j := 0; j < f; j++ {
		col = col[:0]
		for _, d := range data {
			for i := j; i < len(d); i += f {
				col = append(col, d[i])
			}
		}
		if len(col) < 4 {
			continue
		}
		sorted := slices.Clone(col)
		slices.Sort(sorted)
		n := len(sorted)
		q1, q3 := float64(sorted[n/4]), float64(sorted[(3*n)/4])
		med := float64(sorted[n/2])
		lo, hi := float64(sorted[0]), float64(sorted[n-1])
		iqr := q3 - q1
		if !(iqr > 0) || (hi-lo)/iqr <= OutlierSpread {
			continue
		}
		o := Outlier{Feature: j, Spread: (hi - lo) / iqr}
		far := -1.0
		for si, d := range data {
			for i := j; i < len(d); i += f {
				if dist := math.Abs(float64(d[i]) - med); dist > far {
					far, o.Set, o.Example, o.Value = dist, si, i/f, d[i]
				}
			}
		}
		for _, s := range sets {
			if s != nil && s.Columns != nil {
				if names := s.Columns.FeatureNames(); j < len(names) {
					o.Name = names[j]
				}
				break
			}
		}
		out = append(out, o)
	}
	return out
}
