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

// The metrics of training: what one step reports (StepStats), what Fit
// makes of an epoch's steps (EpochStats), and the CSV file that records
// them (CSVWriter, ReadHistoryCSV). The columns are the fixed ones of
// fixedColumns followed by one per loss term and per metric a term
// reports (the loss-term table, terms.go): a new term brings its column
// with it.

// StepStats are the losses of one training step.
type StepStats struct {
	Step  int     // 1-based index of the step
	DLoss float64 // the discriminator's whole cost
	GLoss float64 // the generator's cost (0 without the GAN)
	// Losses holds the value of each loss term the step computed, and of
	// each metric those terms report, by name (LossTerms): "sup" is the
	// labelled batch's cross-entropy, "pseudo_rate" the share of
	// pseudo-labelled examples. Terms that are off are absent.
	Losses map[string]float64
	// LabelledCorrect counts the labelled batch's examples that the
	// discriminator classified right, before its update.
	LabelledCorrect int
}

// EpochStats summarise one epoch of Fit: means of the step losses, the
// accuracy on the labelled batches seen, and the evaluation set's accuracy
// (of the weight average when the model has one).
type EpochStats struct {
	Epoch        int
	Steps        int // steps taken in this epoch
	TotalSteps   int // steps taken since training began
	DLoss, GLoss float64
	// Losses holds the mean of each loss term and term metric over the
	// epoch's steps, by name, as in StepStats.
	Losses     map[string]float64
	TrainAcc   float64 // on the (augmented) labelled batches, before each update
	EvalAcc    float64 // NaN when no evaluation set was given
	EvalErrors int
	LearnRate  float64
	Elapsed    time.Duration // since Fit started
}

// History is what Fit returns: one entry per epoch (the last one may be a
// partial epoch when Fit was stopped or its Duration ran out).
type History struct {
	Epochs []EpochStats
}

// Last returns the last epoch's statistics, or the zero value.
func (h *History) Last() EpochStats {
	if h == nil || len(h.Epochs) == 0 {
		return EpochStats{EvalAcc: math.NaN()}
	}
	return h.Epochs[len(h.Epochs)-1]
}

// metricColumn is one column of the metrics CSV and the EpochStats value
// it holds: exactly one of i, f and d is set, or loss, the key of a
// term's value in EpochStats.Losses.
type metricColumn struct {
	name string
	i    func(*EpochStats) *int
	f    func(*EpochStats) *float64
	d    func(*EpochStats) *time.Duration // written in seconds
	loss bool
}

// fixedColumns are the columns that are not loss terms.
var fixedColumns = []metricColumn{
	{name: "epoch", i: func(e *EpochStats) *int { return &e.Epoch }},
	{name: "steps", i: func(e *EpochStats) *int { return &e.TotalSteps }},
	{name: "elapsed_s", d: func(e *EpochStats) *time.Duration { return &e.Elapsed }},
	{name: "d_loss", f: func(e *EpochStats) *float64 { return &e.DLoss }},
	{name: "g_loss", f: func(e *EpochStats) *float64 { return &e.GLoss }},
	{name: "train_acc", f: func(e *EpochStats) *float64 { return &e.TrainAcc }},
	{name: "test_acc", f: func(e *EpochStats) *float64 { return &e.EvalAcc }},
	{name: "test_errors", i: func(e *EpochStats) *int { return &e.EvalErrors }},
	{name: "learn_rate", f: func(e *EpochStats) *float64 { return &e.LearnRate }},
}

// columns returns the CSV's columns: the fixed ones, then each loss
// term's value and metrics in the loss-term table's order.
func columns() []metricColumn {
	cols := append([]metricColumn(nil), fixedColumns...)
	for _, name := range termMetrics() {
		cols = append(cols, metricColumn{name: name, loss: true})
	}
	return cols
}

// metricColumns are the CSV's columns.
var metricColumns = columns()

// termMetrics lists the names of the loss terms' values and reported
// metrics, in table order.
func termMetrics() []string {
	var names []string
	for _, t := range lossTerms {
		names = append(names, t.Name)
		names = append(names, t.Metrics...)
	}
	return names
}

// legacyColumns maps the names that metrics files written before the
// loss-term table gave some columns to today's.
var legacyColumns = map[string]string{"sup_loss": termSup, "unsup_loss": termUnsup, "pseudo_loss": termPseudo}

// CSVHeader is the header row CSVWriter writes.
var CSVHeader = header(metricColumns)

func header(cols []metricColumn) []string {
	h := make([]string, len(cols))
	for i, c := range cols {
		h[i] = c.name
	}
	return h
}

// format returns the column's value of e as CSV text: integers as they
// are, durations in seconds to the millisecond, other numbers with six
// significant digits.
func (c *metricColumn) format(e *EpochStats) string {
	switch {
	case c.i != nil:
		return strconv.Itoa(*c.i(e))
	case c.d != nil:
		return strconv.FormatFloat(c.d(e).Seconds(), 'f', 3, 64)
	case c.loss:
		return strconv.FormatFloat(e.Losses[c.name], 'g', 6, 64)
	default:
		return strconv.FormatFloat(*c.f(e), 'g', 6, 64)
	}
}

// parse sets the column's field of e from CSV text.
func (c *metricColumn) parse(e *EpochStats, v string) error {
	switch {
	case c.i != nil:
		n, err := strconv.Atoi(v)
		if err != nil {
			return err
		}
		*c.i(e) = n
	case c.d != nil:
		s, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(s) || s < 0 || s > math.MaxInt64/1e9 {
			return fmt.Errorf("bad duration %q", v)
		}
		*c.d(e) = time.Duration(math.Round(s * 1e9))
	default:
		x, err := strconv.ParseFloat(v, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return err
		}
		if c.loss {
			if e.Losses == nil {
				e.Losses = map[string]float64{}
			}
			e.Losses[c.name] = x
		} else {
			*c.f(e) = x
		}
	}
	return nil
}

// readTerms fills the step's loss terms from a training graph's read-outs.
// Terms the graph does not compute are left out.
func (s *StepStats) readTerms(out readouts) {
	for _, name := range termMetrics() {
		if out[name] != nil {
			if s.Losses == nil {
				s.Losses = map[string]float64{}
			}
			s.Losses[name] = out.value(name)
		}
	}
}

// epochAccumulator makes an epoch's statistics from its steps.
type epochAccumulator struct {
	es            EpochStats
	correct, seen int
}

func newEpochAccumulator(epoch int) *epochAccumulator {
	return &epochAccumulator{es: EpochStats{Epoch: epoch, EvalAcc: math.NaN(), Losses: map[string]float64{}}}
}

// add folds one step, whose labelled batch had n examples, into the sums.
// The sums run in the loss-term table's order, so that they do not depend
// on the order of a map.
func (a *epochAccumulator) add(st StepStats, n int) {
	a.es.Steps++
	a.es.DLoss += st.DLoss
	a.es.GLoss += st.GLoss
	for _, name := range termMetrics() {
		if v, ok := st.Losses[name]; ok {
			a.es.Losses[name] += v
		}
	}
	a.correct += st.LabelledCorrect
	a.seen += n
}

func (a *epochAccumulator) steps() int { return a.es.Steps }

// runningLosses returns the means of the discriminator's and generator's
// costs over the steps so far.
func (a *epochAccumulator) runningLosses() (d, g float64) {
	n := float64(a.es.Steps)
	return a.es.DLoss / n, a.es.GLoss / n
}

// finish turns the sums into means and returns the epoch's statistics
// (TotalSteps, LearnRate, the evaluation and Elapsed are for Fit to set).
func (a *epochAccumulator) finish() EpochStats {
	n := float64(max(a.es.Steps, 1))
	a.es.DLoss /= n
	a.es.GLoss /= n
	for name := range a.es.Losses {
		a.es.Losses[name] /= n
	}
	a.es.TrainAcc = float64(a.correct) / float64(max(a.seen, 1))
	return a.es
}

// CSVWriter records every epoch's statistics as a CSV row on W, with a
// header before the first row (unless NoHeader is set, for appending to a
// file that has one), so that curves can be plotted offline.
type CSVWriter struct {
	W        io.Writer
	NoHeader bool

	w      *csv.Writer
	header bool
}

var _ Observer = (*CSVWriter)(nil)

// Observe writes the epoch's row and flushes it.
func (c *CSVWriter) Observe(e EpochStats) error {
	if c.w == nil {
		c.w = csv.NewWriter(c.W)
	}
	cols := columns()
	if !c.header && !c.NoHeader {
		if err := c.w.Write(header(cols)); err != nil {
			return fmt.Errorf("sgan: metrics csv: %w", err)
		}
	}
	c.header = true
	row := make([]string, len(cols))
	for i := range cols {
		row[i] = cols[i].format(&e)
	}
	if err := c.w.Write(row); err != nil {
		return fmt.Errorf("sgan: metrics csv: %w", err)
	}
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return fmt.Errorf("sgan: metrics csv: %w", err)
	}
	return nil
}

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
		if now, ok := legacyColumns[h]; ok {
			h = now
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

	h := &History{}
	cols := columns()
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvErr(name, err)
		}
		var e EpochStats
		for _, c := range cols {
			i, ok := col[c.name]
			if !ok {
				continue
			}
			if err := c.parse(&e, strings.TrimSpace(rec[i])); err != nil {
				line, _ := cr.FieldPos(i)
				return nil, fmt.Errorf("sgan: %s: line %d, column %q: bad number %q", name, line, c.name, rec[i])
			}
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
