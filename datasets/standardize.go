package datasets

import "math"

// Standardizer holds per-feature means and standard deviations, to
// standardise tabular data read with ScaleNone: fit it on the training
// set, then apply it to the training and test sets alike.
type Standardizer struct {
	Mean []float32 // mean of each feature
	Std  []float32 // standard deviation of each feature; 1 where it is 0
}

// FitStandardizer returns the means and (population) standard
// deviations of the features of s, computed in float64. A constant
// feature gets Std 1, so that Apply only centres it. It panics if s is
// empty.
func FitStandardizer(s *Set) *Standardizer {
	n, f := s.Len(), s.Features()
	if n == 0 {
		panic("datasets: FitStandardizer of an empty set")
	}
	sum := make([]float64, f)
	data := s.Values()
	for i := range n {
		for j, v := range data[i*f : (i+1)*f] {
			sum[j] += float64(v)
		}
	}
	z := &Standardizer{Mean: make([]float32, f), Std: make([]float32, f)}
	mean := make([]float64, f)
	for j := range sum {
		mean[j] = sum[j] / float64(n)
		z.Mean[j] = float32(mean[j])
		sum[j] = 0
	}
	for i := range n {
		for j, v := range data[i*f : (i+1)*f] {
			d := float64(v) - mean[j]
			sum[j] += d * d
		}
	}
	for j := range sum {
		sd := math.Sqrt(sum[j] / float64(n))
		if sd == 0 || math.IsNaN(sd) {
			sd = 1
		}
		z.Std[j] = float32(sd)
	}
	return z
}

// Apply replaces each value v of feature j of s by (v - Mean[j]) / Std[j],
// in place. It returns an error wrapping ErrInvalidArgument if s does not
// have len(Mean) features. A set of pixels becomes a set with Data
// (Set.ToFloat32) first.
func (z *Standardizer) Apply(s *Set) error {
	f := s.Features()
	if f != len(z.Mean) || f != len(z.Std) {
		return argError("Standardizer of %d features applied to a set of %d", len(z.Mean), f)
	}
	s.ToFloat32()
	for i := 0; i+f <= len(s.Data); i += f {
		x := s.Data[i : i+f]
		for j := range x {
			x[j] = (x[j] - z.Mean[j]) / z.Std[j]
		}
	}
	return nil
}
