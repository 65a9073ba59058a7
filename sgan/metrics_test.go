package sgan_test

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/semigan/semigan/sgan"
)

// close6 reports whether got equals want to six significant digits, the
// precision CSVWriter keeps.
func close6(got, want float64) bool {
	if math.IsNaN(want) || math.IsNaN(got) {
		return math.IsNaN(want) && math.IsNaN(got)
	}
	if math.IsInf(want, 0) {
		return got == want
	}
	return math.Abs(got-want) <= 5e-6*math.Abs(want)
}

func historyFixture() []sgan.EpochStats {
	return []sgan.EpochStats{
		{Epoch: 1, Steps: 469, TotalSteps: 469, DLoss: 1.23456789, GLoss: 0.0123456789,
			Losses:   map[string]float64{"sup": 2.302585, "unsup": 0.693147, "entropy": 1.5e-3, "consistency": 0},
			TrainAcc: 0.1, EvalAcc: 0.823456, EvalErrors: 1765,
			LearnRate: 3e-4, Elapsed: 61234567 * time.Microsecond},
		{Epoch: 2, Steps: 469, TotalSteps: 938, DLoss: 0.98765, GLoss: 12345.678,
			Losses:   map[string]float64{"sup": 1e-7, "unsup": -0.25, "entropy": 0.5, "consistency": 0.0042, "gen_class": 0.37},
			TrainAcc: 0.75, EvalAcc: math.NaN(), EvalErrors: 0,
			LearnRate: 2.999999e-4, Elapsed: 999*time.Second + 999*time.Millisecond},
		{Epoch: 3, Steps: 100, TotalSteps: 1038, DLoss: math.Inf(1), GLoss: math.NaN(),
			Losses:   map[string]float64{"sup": 0.01},
			TrainAcc: 1, EvalAcc: 0.9912, EvalErrors: 88, LearnRate: 0, Elapsed: 12345*time.Second + 678*time.Millisecond},
	}
}

func TestHistoryCSVRoundTrip(t *testing.T) {
	want := historyFixture()
	var buf bytes.Buffer
	w := &sgan.CSVWriter{W: &buf}
	for _, e := range want {
		if err := w.Observe(e); err != nil {
			t.Fatal(err)
		}
	}
	h, err := sgan.ReadHistoryCSV(&buf, "run.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Epochs) != len(want) {
		t.Fatalf("got %d epochs, want %d", len(h.Epochs), len(want))
	}
	for i, g := range h.Epochs {
		e := want[i]
		if g.Epoch != e.Epoch || g.TotalSteps != e.TotalSteps || g.EvalErrors != e.EvalErrors {
			t.Errorf("epoch %d: ints = %d %d %d, want %d %d %d", i+1,
				g.Epoch, g.TotalSteps, g.EvalErrors, e.Epoch, e.TotalSteps, e.EvalErrors)
		}
		if g.Steps != 0 {
			t.Errorf("epoch %d: Steps = %d, want 0 (not recorded)", i+1, g.Steps)
		}
		for _, f := range []struct {
			name      string
			got, want float64
		}{
			{"DLoss", g.DLoss, e.DLoss}, {"GLoss", g.GLoss, e.GLoss}, {"sup", g.Losses["sup"], e.Losses["sup"]},
			{"unsup", g.Losses["unsup"], e.Losses["unsup"]}, {"entropy", g.Losses["entropy"], e.Losses["entropy"]},
			{"consistency", g.Losses["consistency"], e.Losses["consistency"]}, {"TrainAcc", g.TrainAcc, e.TrainAcc},
			{"EvalAcc", g.EvalAcc, e.EvalAcc}, {"LearnRate", g.LearnRate, e.LearnRate}, {"gen_class", g.Losses["gen_class"], e.Losses["gen_class"]},
		} {
			if !close6(f.got, f.want) {
				t.Errorf("epoch %d: %s = %v, want %v", i+1, f.name, f.got, f.want)
			}
		}
		// elapsed_s is written to the millisecond
		if d := g.Elapsed - e.Elapsed; d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("epoch %d: Elapsed = %v, want %v ± 1ms", i+1, g.Elapsed, e.Elapsed)
		}
	}
}

func TestLoadHistoryCSV(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "metrics.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := &sgan.CSVWriter{W: f}
	for _, e := range historyFixture() {
		if err := w.Observe(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	h, err := sgan.LoadHistoryCSV(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Epochs) != 3 || h.Last().Epoch != 3 || !close6(h.Last().EvalAcc, 0.9912) {
		t.Errorf("loaded %+v", h.Epochs)
	}
	_, err = sgan.LoadHistoryCSV(filepath.Join(dir, "missing.csv"))
	if err == nil || !strings.HasPrefix(err.Error(), "sgan: ") || !strings.Contains(err.Error(), "missing.csv") {
		t.Errorf("missing file: err = %v", err)
	}
}

func TestReadHistoryCSVColumnsByName(t *testing.T) {
	// An older file: no "consistency" or "learn_rate", columns reordered, an
	// unknown extra column, a byte-order mark, and CRLF line ends.
	in := "\ufefftest_acc,epoch,extra,elapsed_s,d_loss\r\n" +
		"NaN,1,whatever,90,0.5\r\n" +
		"0.97,2,,180.5,0.25\r\n"
	h, err := sgan.ReadHistoryCSV(strings.NewReader(in), "old.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Epochs) != 2 {
		t.Fatalf("got %d epochs", len(h.Epochs))
	}
	e0, e1 := h.Epochs[0], h.Epochs[1]
	if e0.Epoch != 1 || !math.IsNaN(e0.EvalAcc) || e0.Elapsed != 90*time.Second || e0.DLoss != 0.5 {
		t.Errorf("row 1 = %+v", e0)
	}
	if e1.Epoch != 2 || e1.EvalAcc != 0.97 || e1.Elapsed != 180500*time.Millisecond || e1.DLoss != 0.25 {
		t.Errorf("row 2 = %+v", e1)
	}
	if len(e1.Losses) != 0 || e1.LearnRate != 0 || e1.TotalSteps != 0 || e1.GLoss != 0 {
		t.Errorf("missing columns not zero: %+v", e1)
	}

	// Files written before the loss-term table named three of the loss
	// columns sup_loss, unsup_loss and pseudo_loss.
	h, err = sgan.ReadHistoryCSV(strings.NewReader("epoch,test_acc,sup_loss,unsup_loss,pseudo_loss,entropy\n1,0.5,2.5,0.75,0.125,1.5\n"), "older.csv")
	if err != nil {
		t.Fatal(err)
	}
	if l := h.Last().Losses; len(h.Epochs) != 1 || l["sup"] != 2.5 || l["unsup"] != 0.75 || l["pseudo"] != 0.125 || l["entropy"] != 1.5 {
		t.Errorf("older column names: %+v", h.Epochs)
	}

	// A header alone is a history without epochs.
	h, err = sgan.ReadHistoryCSV(strings.NewReader(strings.Join(sgan.CSVHeader, ",")+"\n"), "new.csv")
	if err != nil || h == nil || len(h.Epochs) != 0 {
		t.Errorf("header only: %v, %v", h, err)
	}
}

func TestReadHistoryCSVErrors(t *testing.T) {
	header := strings.Join(sgan.CSVHeader, ",") + "\n"
	// One valid row, built from the header so that a new column does not
	// change what each case tests; the values the cases replace are unique.
	known := map[string]string{
		"epoch": "1", "steps": "469", "elapsed_s": "61.2346", "d_loss": "1.23457",
		"test_acc": "0.823456", "test_errors": "1765",
	}
	fields := make([]string, len(sgan.CSVHeader))
	for i, name := range sgan.CSVHeader {
		if v, ok := known[name]; ok {
			fields[i] = v
		} else {
			fields[i] = "0"
		}
	}
	if fields[0] != "1" || fields[1] != "469" {
		t.Fatalf("the cases below expect epoch, steps first; header %v", sgan.CSVHeader)
	}
	row := strings.Join(fields, ",") + "\n"
	for _, tc := range []struct {
		name, in string
		want     []string // substrings of the error
	}{
		{"empty", "", []string{"sgan: f.csv: ", "empty"}},
		{"no epoch", "test_acc,d_loss\n0.5,1\n", []string{"sgan: f.csv: line 1: ", `missing column "epoch"`}},
		{"no test_acc", "epoch,d_loss\n1,1\n", []string{"sgan: f.csv: line 1: ", `missing column "test_acc"`}},
		{"duplicate", "epoch,test_acc,epoch\n1,0.5,1\n", []string{"line 1", `"epoch"`, "twice"}},
		{"bad float", header + row + strings.Replace(row, "1.23457", "1.2.3", 1),
			[]string{"sgan: f.csv: line 3, ", `column "d_loss"`, `"1.2.3"`}},
		{"bad int", header + strings.Replace(row, "1,469,", "1,x9,", 1),
			[]string{"sgan: f.csv: line 2, ", `column "steps"`, `"x9"`}},
		{"bad epoch", header + row + strings.Replace(row, "1,", "1.5,", 1),
			[]string{"line 3", `column "epoch"`, `"1.5"`}},
		{"empty test_acc", header + strings.Replace(row, "0.823456", "", 1),
			[]string{"line 2", `column "test_acc"`}},
		{"negative elapsed", header + strings.Replace(row, "61.2346", "-1", 1),
			[]string{"line 2", `column "elapsed_s"`}},
		{"short row", header + row + "1,2,3\n", []string{"sgan: f.csv: line 3: ", "wrong number of fields"}},
		{"bad quote", header + `1,"2` + "\n", []string{"sgan: f.csv: line 2: "}},
		{"multi-line record", header + row + "\"2\n0\",938," + row[6:], []string{"line 3", `column "epoch"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := sgan.ReadHistoryCSV(strings.NewReader(tc.in), "f.csv")
			if err == nil {
				t.Fatalf("no error; history %+v", h)
			}
			for _, s := range tc.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
			if !strings.HasPrefix(err.Error(), "sgan: ") {
				t.Errorf("error %q lacks the sgan: prefix", err)
			}
		})
	}
}

// FuzzReadHistoryCSV feeds the metrics reader arbitrary text, seeded with
// a file CSVWriter wrote. It must never panic; an error names the file,
// and what it accepts writes back and reads again to the same epochs.
func FuzzReadHistoryCSV(f *testing.F) {
	var buf bytes.Buffer
	w := &sgan.CSVWriter{W: &buf}
	for _, e := range historyFixture() {
		if err := w.Observe(e); err != nil {
			f.Fatal(err)
		}
	}
	f.Add(buf.Bytes())
	f.Add([]byte(strings.Join(sgan.CSVHeader, ",") + "\n"))
	f.Add([]byte("epoch,steps\n1,2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := sgan.ReadHistoryCSV(bytes.NewReader(data), "fuzz.csv")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.csv") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		var out bytes.Buffer
		w := &sgan.CSVWriter{W: &out}
		for _, e := range h.Epochs {
			if err := w.Observe(e); err != nil {
				t.Fatalf("writing back an accepted epoch: %v", err)
			}
		}
		h2, err := sgan.ReadHistoryCSV(&out, "again.csv")
		if len(h.Epochs) > 0 && (err != nil || len(h2.Epochs) != len(h.Epochs)) {
			t.Fatalf("read back %v epochs (error %v), want %d", h2, err, len(h.Epochs))
		}
	})
}
