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
// them (CSVWriter, ReadHistoryCSV). All of it is driven by one table,
// metricColumns: adding a metric is one field in StepStats and EpochStats
// (or EpochStats alone) and one row of the table. A loss term that a
// training graph registers under a name (graphs.go) fills the StepStats
// field of the row with that term name.

// StepStats are the losses of one training step.
type StepStats struct {
	Step    int     // 1-based index of the step
	DLoss   float64 // the discriminator's whole cost
	GLoss   float64 // the generator's cost (0 when SupervisedOnly)
	SupLoss float64 // supervised cross-entropy on the labelled batch
	// UnsupLoss is the unsupervised GAN loss and Entropy the mean
	// prediction entropy on the unlabelled batch (0 when not computed).
	UnsupLoss, Entropy float64
	// Consistency is the consistency loss (0 when off).
	Consistency float64
	// GenClass is a Conditional model's class loss of the generator:
	// the cross-entropy between the class asked of each generated example
	// and the discriminator's prediction (0 when not computed).
	// FakeClass is the same loss in the discriminator's cost (0 unless
	// FakeClassWeight is set).
	GenClass, FakeClass float64
	// PseudoLabel is the pseudo-label loss and PseudoRate the share of
	// the unlabelled batch whose first view gave a pseudo-label (0 when
	// PseudoLabelWeight is off).
	PseudoLabel, PseudoRate float64
	// Balance is the class-balance loss (0 when BalanceWeight is off).
	Balance float64
	// FeatureMatching and NonSaturating are the generator's GAN loss,
	// the one that GenLoss selects (0 when not computed).
	FeatureMatching, NonSaturating float64
	// LabelledCorrect counts the labelled batch's examples that the
	// discriminator classified right, before its update.
	LabelledCorrect int
}

// EpochStats summarise one epoch of Fit: means of the step losses, the
// accuracy on the labelled batches seen, and the evaluation set's accuracy
// (of the weight average when EMA is on).
type EpochStats struct {
	Epoch           int
	Steps           int // steps taken in this epoch
	TotalSteps      int // steps taken since training began
	DLoss, GLoss    float64
	SupLoss         float64
	UnsupLoss       float64
	Entropy         float64
	Consistency     float64
	GenClass        float64 // a Conditional model's class loss of the generator
	FakeClass       float64 // the discriminator's class loss on conditional fakes
	PseudoLabel     float64 // the pseudo-label loss
	PseudoRate      float64 // the share of unlabelled examples with a pseudo-label
	Balance         float64 // the class-balance loss
	FeatureMatching float64 // the generator's feature-matching loss
	NonSaturating   float64 // the generator's non-saturating loss
	TrainAcc        float64 // on the (augmented) labelled batches, before each update
	EvalAcc         float64 // NaN when no evaluation set was given
	EvalErrors      int
	LearnRate       float64
	Elapsed         time.Duration // since Fit started
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

// metricColumn is one row of the metrics table: a CSV column and the
// EpochStats field it holds. Exactly one of i, f and d is set. Rows with
// step set are losses that Fit averages over the epoch's steps; rows that
// also have term are filled into StepStats from the training graphs'
// read-out of that name.
type metricColumn struct {
	name string
	i    func(*EpochStats) *int
	f    func(*EpochStats) *float64
	d    func(*EpochStats) *time.Duration // written in seconds
	step func(*StepStats) *float64
	term string
}

// metricColumns is the metrics table, in the CSV's column order. New
// columns go at the end, so that older readers keep their column order.
var metricColumns = []metricColumn{
	{name: "epoch", i: func(e *EpochStats) *int { return &e.Epoch }},
	{name: "steps", i: func(e *EpochStats) *int { return &e.TotalSteps }},
	{name: "elapsed_s", d: func(e *EpochStats) *time.Duration { return &e.Elapsed }},
	{name: "d_loss", f: func(e *EpochStats) *float64 { return &e.DLoss }, step: func(s *StepStats) *float64 { return &s.DLoss }},
	{name: "g_loss", f: func(e *EpochStats) *float64 { return &e.GLoss }, step: func(s *StepStats) *float64 { return &s.GLoss }},
	{name: "sup_loss", f: func(e *EpochStats) *float64 { return &e.SupLoss }, step: func(s *StepStats) *float64 { return &s.SupLoss }, term: termSup},
	{name: "unsup_loss", f: func(e *EpochStats) *float64 { return &e.UnsupLoss }, step: func(s *StepStats) *float64 { return &s.UnsupLoss }, term: termUnsup},
	{name: "entropy", f: func(e *EpochStats) *float64 { return &e.Entropy }, step: func(s *StepStats) *float64 { return &s.Entropy }, term: termEntropy},
	{name: "consistency", f: func(e *EpochStats) *float64 { return &e.Consistency }, step: func(s *StepStats) *float64 { return &s.Consistency }, term: termConsistency},
	{name: "train_acc", f: func(e *EpochStats) *float64 { return &e.TrainAcc }},
	{name: "test_acc", f: func(e *EpochStats) *float64 { return &e.EvalAcc }},
	{name: "test_errors", i: func(e *EpochStats) *int { return &e.EvalErrors }},
	{name: "learn_rate", f: func(e *EpochStats) *float64 { return &e.LearnRate }},
	{name: "gen_class", f: func(e *EpochStats) *float64 { return &e.GenClass }, step: func(s *StepStats) *float64 { return &s.GenClass }, term: termGenClass},
	{name: "fake_class", f: func(e *EpochStats) *float64 { return &e.FakeClass }, step: func(s *StepStats) *float64 { return &s.FakeClass }, term: termFakeClass},
	{name: "pseudo_loss", f: func(e *EpochStats) *float64 { return &e.PseudoLabel }, step: func(s *StepStats) *float64 { return &s.PseudoLabel }, term: termPseudo},
	{name: "pseudo_rate", f: func(e *EpochStats) *float64 { return &e.PseudoRate }, step: func(s *StepStats) *float64 { return &s.PseudoRate }, term: termPseudoRate},
	{name: "balance", f: func(e *EpochStats) *float64 { return &e.Balance }, step: func(s *StepStats) *float64 { return &s.Balance }, term: termBalance},
	{name: "feature_matching", f: func(e *EpochStats) *float64 { return &e.FeatureMatching }, step: func(s *StepStats) *float64 { return &s.FeatureMatching }, term: termFeatureMatching},
	{name: "nonsaturating", f: func(e *EpochStats) *float64 { return &e.NonSaturating }, step: func(s *StepStats) *float64 { return &s.NonSaturating }, term: termNonSaturating},
}

// CSVHeader is the header row CSVWriter writes.
var CSVHeader = func() []string {
	h := make([]string, len(metricColumns))
	for i, c := range metricColumns {
		h[i] = c.name
	}
	return h
}()

// format returns the column's value of e as CSV text: integers as they
// are, durations in seconds to the millisecond, other numbers with six
// significant digits.
func (c *metricColumn) format(e *EpochStats) string {
	switch {
	case c.i != nil:
		return strconv.Itoa(*c.i(e))
	case c.d != nil:
		return strconv.FormatFloat(c.d(e).Seconds(), 'f', 3, 64)
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
		*c.f(e) = x
	}
	return nil
}

// readTerms fills the step's loss terms from a training graph's read-outs.
// Terms the graph does not compute are left as they are.
func (s *StepStats) readTerms(out readouts) {
	for _, c := range metricColumns {
		if c.term != "" && out[c.term] != nil {
			*c.step(s) = out.value(c.term)
		}
	}
}

// epochAccumulator makes an epoch's statistics from its steps.
type epochAccumulator struct {
	es            EpochStats
	correct, seen int
}

func newEpochAccumulator(epoch int) *epochAccumulator {
	return &epochAccumulator{es: EpochStats{Epoch: epoch, EvalAcc: math.NaN()}}
}

// add folds one step, whose labelled batch had n examples, into the sums.
func (a *epochAccumulator) add(st StepStats, n int) {
	a.es.Steps++
	for _, c := range metricColumns {
		if c.step != nil {
			*c.f(&a.es) += *c.step(&st)
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
	for _, c := range metricColumns {
		if c.step != nil {
			*c.f(&a.es) /= n
		}
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
	if !c.header && !c.NoHeader {
		if err := c.w.Write(CSVHeader); err != nil {
			return fmt.Errorf("sgan: metrics csv: %w", err)
		}
	}
	c.header = true
	row := make([]string, len(metricColumns))
	for i := range metricColumns {
		row[i] = metricColumns[i].format(&e)
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
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvErr(name, err)
		}
		var e EpochStats
		for _, c := range metricColumns {
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
