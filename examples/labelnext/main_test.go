package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A short simulation runs both strategies over three rounds, from the
// same starting labels, and writes the curve; the classifier learns.
func TestRunSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("trains six short rounds")
	}
	out := t.TempDir()
	args := []string{"-unlabelled", "2000", "-test", "500", "-max", "30", "-round-epochs", "1", "-min-steps", "60", "-batch", "50", "-out", out}
	var stdout bytes.Buffer
	if err := run(context.Background(), args, &stdout, &bytes.Buffer{}); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	t.Log(stdout.String())
	f, err := os.Open(filepath.Join(out, "labelnext.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 7 || strings.Join(rows[0], ",") != "strategy,seed,labels,test_acc,test_errors" {
		t.Fatalf("labelnext.csv: %q", rows)
	}
	for i, want := range []string{"10", "20", "30", "10", "20", "30"} {
		if rows[1+i][2] != want || rows[1+i][0] != strategies[i/3] {
			t.Errorf("row %d: %q, want %s with %s labels", i+1, rows[1+i], strategies[i/3], want)
		}
		if acc, _ := strconv.ParseFloat(rows[1+i][3], 64); i%3 == 2 && acc < 0.5 {
			t.Errorf("row %d: accuracy %v with 30 labels, want at least 0.5 (chance 0.1)", i+1, acc)
		}
	}
	if st, err := os.Stat(filepath.Join(out, "labelnext.png")); err != nil || st.Size() == 0 {
		t.Errorf("labelnext.png: %v", err)
	}
	if !strings.Contains(stdout.String(), "at 30 labels: suggested") {
		t.Errorf("no summary:\n%s", stdout.String())
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-seeds", "1,x"}, "-seeds"},
		{[]string{"-start", "0"}, "-start"},
		{[]string{"-max", "5"}, "-max 5"},
		{[]string{"-round", "0"}, "-round"},
		{[]string{"-batch", "1"}, "-batch"},
		{[]string{"extra"}, "unexpected"},
	} {
		if _, err := parse(tc.args, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one mentioning %q", tc.args, err, tc.want)
		}
	}
}
