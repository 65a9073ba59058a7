package datasets

import (
	"io"
	"math"
	"strconv"
)

// SavePredictions writes the class probabilities of a classifier to the
// file at path, atomically, as CSV: a header "row,predicted,probability,
// p0,p1,…", then one row per example: its 0-based index, the most
// probable class (the first one on ties), that class's probability and
// the probabilities of the classes 0..classes-1, with 6 decimals:
//
//	row,predicted,probability,p0,p1,p2
//	0,2,0.912000,0.010000,0.078000,0.912000
//
// proba holds the probabilities example by example, classes values each,
// as sgan.Model.PredictProba returns them. SavePredictions returns an
// error wrapping ErrInvalidArgument, and leaves path untouched, if
// classes is not positive, len(proba) is not a multiple of it, or a
// probability is NaN or ±Inf.
func SavePredictions(path string, proba []float32, classes int) error {
	if err := checkPredictions(proba, classes); err != nil {
		return err
	}
	return writeFileAtomic(path, func(w io.Writer) error { return writePredictions(w, proba, classes) })
}

// WritePredictions is SavePredictions writing to w.
func WritePredictions(w io.Writer, proba []float32, classes int) error {
	if err := checkPredictions(proba, classes); err != nil {
		return err
	}
	return writePredictions(w, proba, classes)
}

func checkPredictions(proba []float32, classes int) error {
	if classes <= 0 {
		return argError("predictions of %d classes", classes)
	}
	if len(proba)%classes != 0 {
		return argError("%d probabilities are not a whole number of examples of %d classes", len(proba), classes)
	}
	for i, p := range proba {
		if math.IsNaN(float64(p)) || math.IsInf(float64(p), 0) {
			return argError("example %d, class %d: probability %v is not finite", i/classes, i%classes, p)
		}
	}
	return nil
}

func writePredictions(w io.Writer, proba []float32, classes int) error {
	var b []byte
	b = append(b, "row,predicted,probability"...)
	for k := range classes {
		b = append(b, ",p"...)
		b = strconv.AppendInt(b, int64(k), 10)
	}
	b = append(b, '\n')
	for i := 0; i < len(proba); i += classes {
		p := proba[i : i+classes]
		best := 0
		for k := range p {
			if p[k] > p[best] {
				best = k
			}
		}
		b = strconv.AppendInt(b, int64(i/classes), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(best), 10)
		b = appendProba(b, p[best])
		for _, v := range p {
			b = appendProba(b, v)
		}
		b = append(b, '\n')
		if len(b) >= 1<<15 {
			if _, err := w.Write(b); err != nil {
				return wrapIO(err)
			}
			b = b[:0]
		}
	}
	if _, err := w.Write(b); err != nil {
		return wrapIO(err)
	}
	return nil
}

func appendProba(b []byte, v float32) []byte {
	return strconv.AppendFloat(append(b, ','), float64(v), 'f', 6, 32)
}
