package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/semigan/semigan/datasets"
)

// shape is a C×H×W example shape; the zero value means "1×1×F".
type shape struct{ C, H, W int }

func (s shape) set() bool      { return s.C > 0 }
func (s shape) image() bool    { return s.H > 1 || s.W > 1 }
func (s shape) size() int      { return s.C * s.H * s.W }
func (s shape) String() string { return fmt.Sprintf("%dx%dx%d", s.C, s.H, s.W) }

// load reads the three files, checks that they agree and gives them the
// example shape.
func load(o options, stderr io.Writer) (lab, unl, test *datasets.Set, err error) {
	opts := datasets.CSVOptions{DetectHeader: true, Scale: o.scale, LabelName: o.labelColumn, Classes: o.classes}
	if o.shape.set() {
		// The files' column count is checked against -shape on their
		// first row, before any value is parsed.
		opts.C, opts.H, opts.W = o.shape.C, o.shape.H, o.shape.W
	}
	if i, err := strconv.Atoi(o.labelColumn); err == nil {
		opts.LabelColumn, opts.LabelName = i, ""
	}
	if lab, unl, test, err = datasets.LoadSemiSupervisedCSV(o.labelled, o.unlabelled, o.test, opts); err != nil {
		if fe, ok := errors.AsType[*datasets.FormatError](err); ok && o.shape.set() && strings.Contains(fe.Msg, "but shape") {
			return nil, nil, nil, fmt.Errorf("-shape %v: %w", o.shape, err)
		}
		return nil, nil, nil, err
	}
	if lab.Classes < 2 {
		return nil, nil, nil, fmt.Errorf("%s: the labels span %d class(es); need at least 2", o.labelled, lab.Classes)
	}
	var empty []int
	for k, n := range lab.ClassCounts() {
		if n == 0 {
			empty = append(empty, k)
		}
	}
	for i, k := range empty {
		if i == maxWarnings {
			fmt.Fprintf(stderr, "warning: ... and %d more classes without rows in %s\n", len(empty)-i, o.labelled)
			break
		}
		fmt.Fprintf(stderr, "warning: %s has no row of class %d (labels run 0..%d)\n", o.labelled, k, lab.Classes-1)
	}
	F, names := lab.Features(), lab.Columns.FeatureNames()
	for j := range names {
		if lab.Columns.Header && unl.Columns.Header && names[j] != unl.Columns.Names[j] {
			fmt.Fprintf(stderr, "warning: column %d is %q in %s but %q in %s; columns are matched by position\n", j+1, unl.Columns.Names[j], o.unlabelled, names[j], o.labelled)
			break
		}
	}
	sh := shape{1, 1, F}
	if o.shape.set() {
		sh = o.shape // the reader checked the column count against it
	}
	for _, s := range []*datasets.Set{lab, unl, test} {
		if s != nil {
			s.C, s.H, s.W = sh.C, sh.H, sh.W
		}
	}
	return lab, unl, test, nil
}

// maxWarnings is how many warnings of one kind are printed before the
// rest are counted.
const maxWarnings = 10

// warnOutliers warns about features whose min-max scaling one extreme
// value would flatten, naming the column, the value and its row.
func warnOutliers(w io.Writer, o options, lab, unl *datasets.Set) {
	out := datasets.FindOutliers(lab, unl)
	files := []string{o.labelled, o.unlabelled}
	for i, x := range out {
		if i == maxWarnings {
			fmt.Fprintf(w, "warning: ... and %d more columns with outliers\n", len(out)-i)
			break
		}
		name := x.Name
		if name == "" {
			name = fmt.Sprintf("%d", x.Feature+1)
		}
		fmt.Fprintf(w, "warning: column %q: the value %g (data row %d of %s) stretches the column's range to %.0f× its interquartile range; scaled to [-1, 1], the other values squeeze into a sliver (fix or clip the value, or transform the column)\n",
			name, x.Value, x.Example+1, files[x.Set], x.Spread)
	}
}

// writeSynthetic writes the generated set syn (values in [-1, 1]) in the
// layout cols and the units of the labelled file: min-max scaled features
// mapped back through the scaler, pixels rounded to whole values.
func writeSynthetic(path string, syn *datasets.Set, cols *datasets.CSVColumns, scaler *datasets.RangeScaler, sc datasets.Scale) error {
	syn = syn.Clone()
	syn.Columns = cols
	if scaler != nil {
		if err := scaler.Invert(syn); err != nil {
			return err
		}
	} else if sc == datasets.Scale255 {
		syn.QuantizePixels()
	}
	return datasets.SaveCSV(path, syn, datasets.CSVOptions{Scale: sc})
}

// Bounds on the synthesis: the rows it may write, and the rows it draws
// by default while looking for them.
const (
	maxSyntheticRows = 1_000_000
	maxDefaultDraws  = 5_000_000
)

// sizeSynthesis refuses, before training, a synthesis of more than
// maxSyntheticRows rows (issue 24, row 18: -classes 65536 trained, then
// sat in synthesis), and sets the default -max-draws.
func sizeSynthesis(o *options, classes int) error {
	if rows := o.perClass * classes; !o.baseline && rows > maxSyntheticRows {
		return fmt.Errorf("-per-class %d × %d classes = %d synthetic rows, above the limit of %d: lower -per-class", o.perClass, classes, rows, maxSyntheticRows)
	}
	if o.maxDraws == 0 {
		o.maxDraws = min(50*o.perClass*classes, maxDefaultDraws)
	}
	return nil
}
