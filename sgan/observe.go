package sgan

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// Printer writes one line per epoch to W and, when Bar is on, a progress
// bar with an ETA inside each epoch, redrawn at most every Interval.
//
// The zero value of Bar means "automatic": the bar is drawn only when W is
// a terminal. Set NoBar to switch it off.
type Printer struct {
	W        io.Writer
	Interval time.Duration // default 500 ms
	NoBar    bool          // never draw the progress bar
	ForceBar bool          // draw the bar even when W is not a terminal

	last    time.Time
	drawn   bool
	checked bool
	isTerm  bool
}

var _ StepObserver = (*Printer)(nil)

func (p *Printer) barOn() bool {
	if p.NoBar {
		return false
	}
	if p.ForceBar {
		return true
	}
	if !p.checked {
		p.checked = true
		if f, ok := p.W.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				p.isTerm = true
			}
		}
	}
	return p.isTerm
}

// ObserveStep redraws the progress bar, throttled to Interval.
func (p *Printer) ObserveStep(pr Progress) {
	if !p.barOn() {
		return
	}
	iv := p.Interval
	if iv == 0 {
		iv = 500 * time.Millisecond
	}
	now := time.Now()
	if now.Sub(p.last) < iv && pr.Step != pr.StepsPerEpoch {
		return
	}
	p.last = now
	const width = 30
	done := width * pr.Step / max(pr.StepsPerEpoch, 1)
	eta := time.Duration(0)
	if pr.Step > 0 {
		eta = time.Duration(float64(pr.EpochElapsed) / float64(pr.Step) * float64(pr.StepsPerEpoch-pr.Step))
	}
	bar := strings.Repeat("=", done) + strings.Repeat(" ", width-done)
	fmt.Fprintf(p.W, "\repoch %d/%d [%s] %d/%d  ETA %v  D %.4f  G %.4f ", pr.Epoch, pr.Epochs, bar,
		pr.Step, pr.StepsPerEpoch, eta.Round(time.Second), pr.DLoss, pr.GLoss)
	p.drawn = true
}

// Observe prints the epoch's line.
func (p *Printer) Observe(e EpochStats) error {
	if p.drawn {
		fmt.Fprint(p.W, "\r\033[K")
		p.drawn = false
	}
	acc := "     n/a"
	if !math.IsNaN(e.EvalAcc) {
		acc = fmt.Sprintf("%.2f %%", 100*e.EvalAcc)
	}
	_, err := fmt.Fprintf(p.W, "epoch %3d  steps %6d  D loss %.4f  G loss %.4f  sup loss %.4f  test acc %s  elapsed %v\n",
		e.Epoch, e.TotalSteps, e.DLoss, e.GLoss, e.SupLoss, acc, e.Elapsed.Round(time.Second))
	return err
}

// CSVWriter records every epoch's statistics as a CSV row on W, with a
// header before the first row, so that curves can be plotted offline.
type CSVWriter struct {
	W io.Writer

	w      *csv.Writer
	header bool
}

var _ Observer = (*CSVWriter)(nil)

// CSVHeader is the header row CSVWriter writes.
var CSVHeader = []string{"epoch", "steps", "elapsed_s", "d_loss", "g_loss", "sup_loss", "unsup_loss", "entropy", "consistency", "train_acc", "test_acc", "test_errors", "learn_rate", "gen_class"}

// Observe writes the epoch's row and flushes it.
func (c *CSVWriter) Observe(e EpochStats) error {
	if c.w == nil {
		c.w = csv.NewWriter(c.W)
	}
	if !c.header {
		c.header = true
		if err := c.w.Write(CSVHeader); err != nil {
			return fmt.Errorf("sgan: metrics csv: %w", err)
		}
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	row := []string{strconv.Itoa(e.Epoch), strconv.Itoa(e.TotalSteps), strconv.FormatFloat(e.Elapsed.Seconds(), 'f', 3, 64), f(e.DLoss), f(e.GLoss),
		f(e.SupLoss), f(e.UnsupLoss), f(e.Entropy), f(e.Consistency), f(e.TrainAcc), f(e.EvalAcc), strconv.Itoa(e.EvalErrors), f(e.LearnRate), f(e.GenClass)}
	if err := c.w.Write(row); err != nil {
		return fmt.Errorf("sgan: metrics csv: %w", err)
	}
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return fmt.Errorf("sgan: metrics csv: %w", err)
	}
	return nil
}

// ObserverFunc adapts a function to the Observer interface.
type ObserverFunc func(EpochStats) error

// Observe calls f(e).
func (f ObserverFunc) Observe(e EpochStats) error { return f(e) }
