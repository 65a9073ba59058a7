package datasets

import (
	"fmt"
	"slices"
)

// LoadSemiSupervisedCSV reads the CSV files of a semi-supervised
// problem: the labelled rows from labelled, read with opts; the
// unlabelled rows from unlabelled, which must have the same feature
// columns in the same order and no label column, read with opts but
// LabelColumn -1 (and no LabelName); and, if test is not "", labelled
// test rows from test, laid out like labelled and read with opts and
// Classes set to the labelled set's, so that a test file lacking the
// last class still agrees with it. Each set keeps its file's Columns.
//
// Columns are matched by position, not by name: a header naming them
// differently is accepted (compare the sets' Columns to warn about it).
// Besides the errors of LoadCSV, a file whose feature count differs from
// the labelled file's gives a *FormatError naming it and the labelled
// file, and saying when the unlabelled file has a column named like the
// label column.
func LoadSemiSupervisedCSV(labelled, unlabelled, test string, opts CSVOptions) (lab, unl, tst *Set, err error) {
	if lab, err = LoadCSV(labelled, opts); err != nil {
		return nil, nil, nil, err
	}
	f := lab.Features()
	uopts := opts
	uopts.LabelColumn, uopts.LabelName = -1, ""
	if unl, err = LoadCSV(unlabelled, uopts); err != nil {
		return nil, nil, nil, err
	}
	if unl.Features() != f {
		e := fileError(unlabelled, nil, "%d columns, but %s has %d feature columns besides its label column: the unlabelled file needs the same feature columns, without the label",
			unl.Features(), labelled, f)
		if name := lab.Columns.LabelName(); lab.Columns.Header && unl.Columns.Header && slices.Contains(unl.Columns.Names, name) {
			e.Msg += fmt.Sprintf(" (it has a column named %q)", name)
		}
		return nil, nil, nil, e
	}
	if test != "" {
		topts := opts
		topts.Classes = lab.Classes
		if tst, err = LoadCSV(test, topts); err != nil {
			return nil, nil, nil, err
		}
		if tst.Features() != f {
			return nil, nil, nil, fileError(test, nil, "%d feature columns, but %s has %d: the test file needs the layout of the labelled one", tst.Features(), labelled, f)
		}
	}
	return lab, unl, tst, nil
}
