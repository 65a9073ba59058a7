package sgan

import (
	"fmt"
	"io"
	"math"
	"os"
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
	of := ""
	if pr.Epochs > 0 {
		of = fmt.Sprintf("/%d", pr.Epochs)
	}
	fmt.Fprintf(p.W, "\repoch %d%s [%s] %d/%d  ETA %v  D %.4f  G %.4f ", pr.Epoch, of, bar,
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
	prop, warn := "", ""
	if cv, ok := e.Losses["propagation_cv"]; ok {
		px := e.Losses["propagation_pixels_cv"]
		prop = fmt.Sprintf("  propagation cv %.2f (pixels %.2f)", cv, px)
		if e.Losses["propagation_from_pixels"] == 1 {
			warn = fmt.Sprintf("warning: the discriminator's features propagate the labels worse than the raw pixels do (cross-validated %.2f against %.2f): the unlabelled terms may be learning something other than the classes (such as colour); the propagation term learns from the pixels' labels for now; compare with a labels-only run (mnist100 -baseline)\n", cv, px)
		}
	}
	_, err := fmt.Fprintf(p.W, "epoch %3d  steps %6d  D loss %.4f  G loss %.4f  sup loss %.4f%s  test acc %s  elapsed %v\n",
		e.Epoch, e.TotalSteps, e.DLoss, e.GLoss, e.Losses[termSup], prop, acc, e.Elapsed.Round(time.Second))
	if err == nil && warn != "" {
		_, err = fmt.Fprint(p.W, warn)
	}
	return err
}

// Observer receives each epoch's statistics from Fit. Returning ErrStop
// ends training; any other error ends it and is returned by Fit.
type Observer interface {
	Observe(EpochStats) error
}

// Progress is the position of Fit inside an epoch, for progress displays.
type Progress struct {
	Epoch, Epochs       int // Epochs is 0 when the budget has no epoch limit
	Step, StepsPerEpoch int
	Elapsed             time.Duration // since Fit started
	EpochElapsed        time.Duration
	DLoss, GLoss        float64 // running means over the epoch
}

// StepObserver is an Observer that also wants to hear of every step.
type StepObserver interface {
	Observer
	ObserveStep(Progress)
}

// ObserverFunc adapts a function to the Observer interface.
type ObserverFunc func(EpochStats) error

// Observe calls f(e).
func (f ObserverFunc) Observe(e EpochStats) error { return f(e) }
