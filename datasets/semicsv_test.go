package datasets

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadSemiSupervisedCSV(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	lab := file("lab.csv", "f1,label,f2\n1,0,2\n3,2,4\n")
	unl := file("unl.csv", "f1,f2\n5,6\n7,8\n9,10\n")
	unlRenamed := file("unl_renamed.csv", "g1,g2\n5,6\n")
	unlNoHeader := file("unl_nohdr.csv", "5,6\n")
	unlWide := file("unl_wide.csv", "f1,label,f2\n1,0,2\n")
	test := file("test.csv", "f1,label,f2\n1,1,2\n")
	testNarrow := file("test_narrow.csv", "f1,label\n1,0\n")
	testBad := file("test_bad.csv", "f1,label,f2\n1,3,2\n")
	opts := CSVOptions{DetectHeader: true, LabelName: "label", Scale: ScaleNone}
	for _, tc := range []struct {
		name            string
		lab, unl, test  string
		nUnl, testClass int      // on success
		want            []string // substrings of the error
	}{
		{name: "with test", lab: lab, unl: unl, test: test, nUnl: 3, testClass: 3},
		{name: "no test", lab: lab, unl: unl, nUnl: 3},
		{name: "names differ", lab: lab, unl: unlRenamed, nUnl: 1},
		{name: "no header", lab: lab, unl: unlNoHeader, nUnl: 1},
		{name: "unlabelled has the label column", lab: lab, unl: unlWide, want: []string{"datasets: " + unlWide, "3 columns", lab, "2 feature columns", `column named "label"`}},
		{name: "test narrower", lab: lab, unl: unl, test: testNarrow, want: []string{testNarrow, lab, "1 feature columns"}},
		{name: "test label out of range", lab: lab, unl: unl, test: testBad, want: []string{testBad, "row 2, column 2", "out of range [0, 3)"}},
		{name: "missing", lab: lab, unl: filepath.Join(dir, "none.csv"), want: []string{"none.csv"}},
	} {
		l, u, ts, err := LoadSemiSupervisedCSV(tc.lab, tc.unl, tc.test, opts)
		if tc.want != nil {
			if err == nil {
				t.Errorf("%s: no error", tc.name)
			}
			for _, w := range tc.want {
				if err != nil && !strings.Contains(err.Error(), w) {
					t.Errorf("%s: error %q lacks %q", tc.name, err, w)
				}
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if l.Len() != 2 || l.Classes != 3 || u.Len() != tc.nUnl || u.Features() != 2 || u.Columns.Label != -1 {
			t.Errorf("%s: labelled %d rows, %d classes; unlabelled %d rows of %d features, columns %+v", tc.name, l.Len(), l.Classes, u.Len(), u.Features(), u.Columns)
		}
		if (ts != nil) != (tc.test != "") || ts != nil && ts.Classes != tc.testClass {
			t.Errorf("%s: test set %+v", tc.name, ts)
		}
	}
	if _, _, _, err := LoadSemiSupervisedCSV(lab, filepath.Join(dir, "none.csv"), "", opts); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: error %v, want fs.ErrNotExist", err)
	}
}
