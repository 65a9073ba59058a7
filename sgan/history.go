package sgan

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// LoadHistoryCSV reads the metrics file at path, as written by CSVWriter,
// back into a History. See ReadHistoryCSV.
func LoadHistoryCSV(path string) (*History, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sgan: %w", err)
	}
	defer f.Close()
	return ReadHistoryCSV(f, path)
}

// ReadHistoryCSV reads metrics in CSVWriter's format from r back into a
// History; name (usually the file's path) is used in error messages.
//
// Columns are found by their header names (CSVHeader), so their order does
// not matter, unknown columns are ignored, and files written before a column
// was added load with that field left zero. Only "epoch" and "test_acc" are
// required. Values are parsed with strconv, so "NaN" and "Inf" are accepted
// (test_acc is NaN when no evaluation set was given).
//
// The file does not record EpochStats.Steps (steps per epoch), which is left
// zero; "steps" is TotalSteps. CSVWriter keeps six significant digits, so
// the values read back, Elapsed included, are rounded to that precision.
//
// A file holding only the header gives a History without epochs; an empty
// one is an error. Errors name the file, the 1-based line and the column.
func ReadHistoryCSV(r io.Reader, name string) (*History, error) {
	if name == "" {
		name = "metrics csv"
	}
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("sgan: %s: empty file, no header", name)
	}
	if err != nil {
		return nil, csvErr(name, err)
	}
	col := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(h)
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff") // byte-order mark
		}
		if _, dup := col[h]; dup && h != "" {
			return nil, fmt.Errorf("sgan: %s: line 1: column %q appears twice", name, h)
		}
		col[h] = i
	}
	for _, req := range []string{"epoch", "test_acc"} {
		if _, ok := col[req]; !ok {
			return nil, fmt.Errorf("sgan: %s: line 1: missing column %q", name, req)
		}
	}

	type intField struct {
		name string
		dst  func(*EpochStats) *int
	}
	type floatField struct {
		name string
		dst  func(*EpochStats) *float64
	}
	ints := []intField{
		{"epoch", func(e *EpochStats) *int { return &e.Epoch }},
		{"steps", func(e *EpochStats) *int { return &e.TotalSteps }},
		{"test_errors", func(e *EpochStats) *int { return &e.EvalErrors }},
	}
	floats := []floatField{
		{"d_loss", func(e *EpochStats) *float64 { return &e.DLoss }},
		{"g_loss", func(e *EpochStats) *float64 { return &e.GLoss }},
		{"sup_loss", func(e *EpochStats) *float64 { return &e.SupLoss }},
		{"unsup_loss", func(e *EpochStats) *float64 { return &e.UnsupLoss }},
		{"entropy", func(e *EpochStats) *float64 { return &e.Entropy }},
		{"consistency", func(e *EpochStats) *float64 { return &e.Consistency }},
		{"train_acc", func(e *EpochStats) *float64 { return &e.TrainAcc }},
		{"test_acc", func(e *EpochStats) *float64 { return &e.EvalAcc }},
		{"learn_rate", func(e *EpochStats) *float64 { return &e.LearnRate }},
		{"gen_class", func(e *EpochStats) *float64 { return &e.GenClass }},
	}

	h := &History{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvErr(name, err)
		}
		var e EpochStats
		bad := func(i int, c string, v string) error {
			line, _ := cr.FieldPos(i)
			return fmt.Errorf("sgan: %s: line %d, column %q: bad number %q", name, line, c, v)
		}
		for _, f := range ints {
			i, ok := col[f.name]
			if !ok {
				continue
			}
			v, err := strconv.Atoi(strings.TrimSpace(rec[i]))
			if err != nil {
				return nil, bad(i, f.name, rec[i])
			}
			*f.dst(&e) = v
		}
		for _, f := range floats {
			i, ok := col[f.name]
			if !ok {
				continue
			}
			v, err := strconv.ParseFloat(strings.TrimSpace(rec[i]), 64)
			if err != nil && !errors.Is(err, strconv.ErrRange) {
				return nil, bad(i, f.name, rec[i])
			}
			*f.dst(&e) = v
		}
		if i, ok := col["elapsed_s"]; ok {
			s, err := strconv.ParseFloat(strings.TrimSpace(rec[i]), 64)
			if err != nil || math.IsNaN(s) || s < 0 || s > math.MaxInt64/1e9 {
				return nil, bad(i, "elapsed_s", rec[i])
			}
			e.Elapsed = time.Duration(math.Round(s * 1e9))
		}
		h.Epochs = append(h.Epochs, e)
	}
	return h, nil
}

// csvErr formats an error of encoding/csv, whose own message already holds
// the line and column ("record on line 3: wrong number of fields").
func csvErr(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("sgan: %s: line %d: %w", name, pe.Line, pe.Err)
	}
	return fmt.Errorf("sgan: %s: %w", name, err)
}
