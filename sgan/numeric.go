package sgan

import (
	"math"

	G "gorgonia.org/gorgonia"
)

// Small numeric helpers shared by training, prediction and sampling.

// scalar returns the value of a scalar node as a float64, 0 for nil and
// NaN for anything that is not one number.
func scalar(v G.Value) float64 {
	if v == nil {
		return 0
	}
	switch x := v.Data().(type) {
	case float32:
		return float64(x)
	case float64:
		return x
	case []float32:
		if len(x) == 1 {
			return float64(x[0])
		}
	case []float64:
		if len(x) == 1 {
			return x[0]
		}
	}
	return math.NaN()
}

// countCorrect counts the rows of the (n,k) logits whose largest value is
// at the row's label.
func countCorrect(logits G.Value, labels []int, k int) int {
	if logits == nil {
		return 0
	}
	l, ok := logits.Data().([]float32)
	if !ok || len(l) < len(labels)*k {
		return 0
	}
	n := 0
	for i, y := range labels {
		if argmax(l[i*k:(i+1)*k]) == y {
			n++
		}
	}
	return n
}

// argmax returns the index of the largest value of v (the first of
// equals).
func argmax(v []float32) int {
	best := 0
	for j := 1; j < len(v); j++ {
		if v[j] > v[best] {
			best = j
		}
	}
	return best
}

// softmaxInPlace replaces logits by their softmax.
func softmaxInPlace(v []float32) {
	mx := v[argmax(v)]
	var s float64
	for j := range v {
		e := math.Exp(float64(v[j] - mx))
		v[j] = float32(e)
		s += e
	}
	for j := range v {
		v[j] = float32(float64(v[j]) / s)
	}
}

// nonFinite returns the index of the first NaN or infinite value of v, or
// -1 when all are finite.
func nonFinite(v []float32) int { return firstOutside(v, math.MaxFloat32) }

// badInput returns the index of the first value of x that is non-finite
// or beyond ±MaxInput, or −1.
func badInput(x []float32) int { return firstOutside(x, MaxInput) }

// firstOutside returns the index of the first value of v that is NaN or
// beyond ±limit, or -1.
func firstOutside(v []float32, limit float32) int {
	for i, x := range v {
		if !(x >= -limit && x <= limit) { // also NaN
			return i
		}
	}
	return -1
}
