package datasets

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// scalerHeader is the first row of a RangeScaler file.
var scalerHeader = []string{"column", "min", "max"}

// SaveRangeScaler writes r to the file at path, atomically, as CSV: a
// header "column,min,max", then one row per feature with its name and
// the minimum and maximum it was fitted with, in shortest round-trip
// float32 form:
//
//	column,min,max
//	sepal_length,4.3,7.9
//	petal_width,0.1,2.5
//
// Features without Names are named "x0", "x1", …. LoadRangeScaler reads
// the file back to an equal scaler. SaveRangeScaler returns an error
// wrapping ErrInvalidArgument, and leaves path untouched, if r is nil,
// has unequal numbers of minima, maxima and names, or a range that is
// not a finite interval.
func SaveRangeScaler(path string, r *RangeScaler) error {
	if err := r.valid(); err != nil {
		return err
	}
	return writeFileAtomic(path, func(w io.Writer) error { return writeRangeScaler(w, r) })
}

// WriteRangeScaler is SaveRangeScaler writing to w.
func WriteRangeScaler(w io.Writer, r *RangeScaler) error {
	if err := r.valid(); err != nil {
		return err
	}
	return writeRangeScaler(w, r)
}

// writeRangeScaler writes r, which is valid.
func writeRangeScaler(w io.Writer, r *RangeScaler) error {
	cw := csv.NewWriter(w)
	cw.Write(scalerHeader)
	row := make([]string, 3)
	for j := range r.Min {
		row[0] = "x" + strconv.Itoa(j)
		if len(r.Names) > 0 {
			row[0] = r.Names[j]
		}
		row[1] = strconv.FormatFloat(float64(r.Min[j]), 'g', -1, 32)
		row[2] = strconv.FormatFloat(float64(r.Max[j]), 'g', -1, 32)
		cw.Write(row)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("datasets: %w", err)
	}
	return nil
}

// LoadRangeScaler reads a RangeScaler from the file at path, written by
// SaveRangeScaler (see there for the format). If features > 0 the file
// must hold exactly that many features; 0 accepts any number. Names are
// read into Names, trimmed of spaces; spaces around numbers and empty
// lines are ignored.
//
// Problems with the content give a *FormatError naming the file and the
// line (Row) and, for a value, the column: an empty file, a first row
// other than "column,min,max", a row without exactly three fields, a min
// or max that is not a number, is NaN or ±Inf or overflows float32, a
// min above its max, no feature rows, or a number of features other
// than features. A negative features gives an error wrapping
// ErrInvalidArgument.
func LoadRangeScaler(path string, features int) (*RangeScaler, error) {
	if features < 0 {
		return nil, argError("LoadRangeScaler: features = %d is negative", features)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, wrapIO(err)
	}
	defer f.Close()
	return ReadRangeScaler(f, path, features)
}

// ReadRangeScaler is LoadRangeScaler reading from r; name is used in
// errors only.
func ReadRangeScaler(r io.Reader, name string, features int) (*RangeScaler, error) {
	if features < 0 {
		return nil, argError("ReadRangeScaler: features = %d is negative", features)
	}
	cr := csv.NewReader(bufio.NewReader(r))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	rec, err := cr.Read()
	if err == io.EOF {
		return nil, fileError(name, nil, "empty file")
	}
	if err != nil {
		return nil, csvError(name, err)
	}
	rec[0] = strings.TrimPrefix(rec[0], "\ufeff")
	if len(rec) != len(scalerHeader) || !equalTrimmed(rec, scalerHeader) {
		return nil, rowError(name, 1, 0, "header %q, want %q", strings.Join(rec, ","), strings.Join(scalerHeader, ","))
	}
	sc := &RangeScaler{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(name, err)
		}
		row, _ := cr.FieldPos(0)
		if features > 0 && len(sc.Min) == features {
			return nil, rowError(name, row, 0, "more than the %d features wanted", features)
		}
		if len(rec) != 3 {
			return nil, rowError(name, row, 0, "%d fields, want 3 (column,min,max)", len(rec))
		}
		var v [2]float32
		for k, what := range []string{"min", "max"} {
			x, err := parseBound(rec[1+k])
			if err != nil {
				return nil, rowError(name, row, 2+k, "%s: %v", what, err)
			}
			v[k] = x
		}
		if v[0] > v[1] {
			return nil, rowError(name, row, 0, "min %v is above max %v", v[0], v[1])
		}
		if strings.ContainsAny(rec[0], "\r\n") {
			// line breaks in a quoted name do not survive a round trip
			return nil, rowError(name, row, 0, "column name %q contains a line break", rec[0])
		}
		sc.Names = append(sc.Names, strings.TrimSpace(rec[0]))
		sc.Min = append(sc.Min, v[0])
		sc.Max = append(sc.Max, v[1])
	}
	switch {
	case len(sc.Min) == 0:
		return nil, fileError(name, nil, "no features after the header")
	case features > 0 && len(sc.Min) != features:
		return nil, fileError(name, nil, "%d features, want %d", len(sc.Min), features)
	}
	return sc, nil
}

// equalTrimmed reports whether a, trimmed of spaces, equals b.
func equalTrimmed(a, b []string) bool {
	for i := range a {
		if strings.TrimSpace(a[i]) != b[i] {
			return false
		}
	}
	return true
}

// parseBound parses a finite float32.
func parseBound(cell string) (float32, error) {
	cell = strings.TrimSpace(cell)
	v, err := strconv.ParseFloat(cell, 32)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("%q overflows float32", cell)
	case err != nil:
		return 0, fmt.Errorf("not a number: %q", cell)
	case math.IsNaN(v) || math.IsInf(v, 0):
		return 0, fmt.Errorf("%q is not finite", cell)
	}
	return float32(v), nil
}
