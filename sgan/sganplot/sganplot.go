package sganplot

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/semigan/semigan/internal/atomicfile"
	"github.com/semigan/semigan/sgan"
)

// XAxis chooses what the horizontal axis measures.
type XAxis int

const (
	ByMinutes XAxis = iota // minutes since Fit started (EpochStats.Elapsed); the default
	ByEpoch                // the epoch number
)

// String returns "minutes" or "epoch".
func (x XAxis) String() string {
	switch x {
	case ByMinutes:
		return "minutes"
	case ByEpoch:
		return "epoch"
	}
	return "XAxis(" + strconv.Itoa(int(x)) + ")"
}

// Options control the drawing. The zero value gives an 8 × 6 inch image at
// 96 dots per inch (768 × 576 pixels), plotted against elapsed minutes.
type Options struct {
	Title         string    // drawn above the first panel
	Width, Height vg.Length // of the whole image; default 8 inches × 6 inches
	DPI           int       // dots per inch; default 96
	XAxis         XAxis     // ByMinutes (default) or ByEpoch
	Targets       []float64 // test accuracies in percent (95, 97, 98) drawn as dashed horizontal lines
}

// Run is one named history of a comparison.
type Run struct {
	Name    string
	History *sgan.History
}

const (
	defaultWidth  = 8 * vg.Inch
	defaultHeight = 6 * vg.Inch
	defaultDPI    = 96
	maxPixels     = 1 << 14 // per side: a 16384-pixel image is already 1 GiB of RGBA
)

// canvas checks opts and makes the image canvas.
func (o Options) canvas() (*vgimg.Canvas, error) {
	w, h, dpi := o.Width, o.Height, o.DPI
	if w == 0 {
		w = defaultWidth
	}
	if h == 0 {
		h = defaultHeight
	}
	if dpi == 0 {
		dpi = defaultDPI
	}
	if w < 0 || h < 0 || dpi < 0 || math.IsNaN(float64(w)) || math.IsNaN(float64(h)) {
		return nil, fmt.Errorf("sganplot: bad size %v × %v at %d dpi", w, h, dpi)
	}
	if pw, ph := w.Dots(float64(dpi)), h.Dots(float64(dpi)); pw < 1 || ph < 1 || pw > maxPixels || ph > maxPixels {
		return nil, fmt.Errorf("sganplot: image of %.0f × %.0f pixels; want 1 to %d a side", pw, ph, maxPixels)
	}
	if o.XAxis != ByMinutes && o.XAxis != ByEpoch {
		return nil, fmt.Errorf("sganplot: unknown %v", o.XAxis)
	}
	for _, t := range o.Targets {
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return nil, fmt.Errorf("sganplot: target %v is not a number", t)
		}
	}
	return vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(dpi)), nil
}

func (o Options) x(e sgan.EpochStats) float64 {
	if o.XAxis == ByEpoch {
		return float64(e.Epoch)
	}
	return e.Elapsed.Minutes()
}

func (o Options) xLabel() string {
	if o.XAxis == ByEpoch {
		return "epoch"
	}
	return "elapsed (minutes)"
}

// xRange is the span of the x axis: from 0 (the start of Fit) to the last
// point.
func (o Options) xRange(hs ...*sgan.History) (lo, hi float64) {
	lo, hi = 0, math.Inf(-1)
	for _, h := range hs {
		for _, e := range h.Epochs {
			x := o.x(e)
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
	}
	if hi <= lo {
		hi = lo + 1
	}
	return lo, hi
}

// setX sets p's x range to [lo, hi], with whole-number ticks for epochs.
func (o Options) setX(p *plot.Plot, lo, hi float64) {
	p.X.Min, p.X.Max = lo, hi
	if o.XAxis == ByEpoch {
		p.X.Tick.Marker = epochTicks{}
	}
}

// padTop leaves a little room above the highest accuracy or target line,
// which would otherwise run along the top edge, under the title.
func padTop(p *plot.Plot) {
	p.Y.Max += 0.03 * (p.Y.Max - p.Y.Min)
}

// epochTicks are plot's default ticks without the fractional ones, or one
// per epoch when that leaves fewer than three labels.
type epochTicks struct{}

func (epochTicks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	labels := 0
	for _, t := range (plot.DefaultTicks{}).Ticks(lo, hi) {
		if t.Value != math.Trunc(t.Value) {
			continue
		}
		if t.Label != "" {
			t.Label = strconv.FormatFloat(t.Value, 'f', 0, 64)
			labels++
		}
		ts = append(ts, t)
	}
	if labels >= 3 || hi-lo > 20 {
		return ts
	}
	ts = ts[:0]
	for e := math.Ceil(lo); e <= hi; e++ {
		ts = append(ts, plot.Tick{Value: e, Label: strconv.FormatFloat(e, 'f', 0, 64)})
	}
	return ts
}

// series returns the finite points (x, f(e)) and how many were left out.
func series(h *sgan.History, o Options, f func(sgan.EpochStats) float64) (plotter.XYs, int) {
	xys := make(plotter.XYs, 0, len(h.Epochs))
	skipped := 0
	for _, e := range h.Epochs {
		x, y := o.x(e), f(e)
		if math.IsNaN(y) || math.IsInf(y, 0) || math.IsNaN(x) || math.IsInf(x, 0) {
			skipped++
			continue
		}
		xys = append(xys, plotter.XY{X: x, Y: y})
	}
	return xys, skipped
}

func accuracy(e sgan.EpochStats) float64 { return 100 * e.EvalAcc }

func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Add(plotter.NewGrid())
	return p
}

// addLine adds a solid or dashed line in color i of plotutil's palette.
func addLine(p *plot.Plot, name string, xys plotter.XYs, i int, dashes []vg.Length) error {
	l, err := plotter.NewLine(xys)
	if err != nil {
		return fmt.Errorf("sganplot: %s: %w", name, err)
	}
	l.Color = plotutil.Color(i)
	l.Width = vg.Points(1.5)
	l.Dashes = dashes
	p.Add(l)
	p.Legend.Add(name, l)
	return nil
}

// addTargets draws the reference accuracies across [lo, hi].
func addTargets(p *plot.Plot, targets []float64, lo, hi float64) error {
	for _, t := range targets {
		l, err := plotter.NewLine(plotter.XYs{{X: lo, Y: t}, {X: hi, Y: t}})
		if err != nil {
			return fmt.Errorf("sganplot: target %v: %w", t, err)
		}
		l.Color = color.Gray{Y: 110}
		l.Width = vg.Points(1)
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(l)
		p.Legend.Add(strconv.FormatFloat(t, 'g', -1, 64)+" %", l)
	}
	return nil
}

func checkHistory(h *sgan.History, what string) error {
	if h == nil || len(h.Epochs) == 0 {
		return fmt.Errorf("sganplot: %s: empty history", what)
	}
	return nil
}

// Curves draws h: the test accuracy above the losses. It returns an
// *image.RGBA of Options' size. See the package documentation.
func Curves(h *sgan.History, opts Options) (image.Image, error) {
	if err := checkHistory(h, "curves"); err != nil {
		return nil, err
	}
	c, err := opts.canvas()
	if err != nil {
		return nil, err
	}
	lo, hi := opts.xRange(h)

	var panels []*plot.Plot
	accXY, noAcc := series(h, opts, accuracy)
	if len(accXY) > 0 {
		acc := newPlot(opts.Title, opts.xLabel(), "test accuracy (%)")
		name := "test accuracy"
		if noAcc > 0 {
			name = fmt.Sprintf("test accuracy (%d of %d epochs not evaluated)", noAcc, len(h.Epochs))
		}
		if err := addLine(acc, name, accXY, 0, nil); err != nil {
			return nil, err
		}
		if err := addTargets(acc, opts.Targets, lo, hi); err != nil {
			return nil, err
		}
		acc.Legend.Top = false // accuracy rises: keep the legend low
		panels = append(panels, acc)
	}

	lossTitle := ""
	if len(panels) == 0 {
		lossTitle = opts.Title
		if lossTitle != "" {
			lossTitle += " "
		}
		lossTitle += "(no test accuracy: no evaluation set)"
	}
	loss := newPlot(lossTitle, opts.xLabel(), "loss")
	loss.Legend.Top = true
	losses := []struct {
		name     string
		f        func(sgan.EpochStats) float64
		optional bool // drawn only when not all zero
	}{
		{"D loss", func(e sgan.EpochStats) float64 { return e.DLoss }, false},
		{"G loss", func(e sgan.EpochStats) float64 { return e.GLoss }, false},
		{"supervised loss", func(e sgan.EpochStats) float64 { return e.Losses["sup"] }, false},
		{"unsupervised loss", func(e sgan.EpochStats) float64 { return e.Losses["unsup"] }, true},
	}
	for i, s := range losses {
		xys, skipped := series(h, opts, s.f)
		if s.optional && allZero(xys) {
			continue
		}
		name := s.name
		if skipped > 0 {
			name = fmt.Sprintf("%s (%d not finite)", name, skipped)
		}
		if len(xys) == 0 {
			loss.Legend.Add(name)
			continue
		}
		if err := addLine(loss, name, xys, i+1, nil); err != nil {
			return nil, err
		}
	}
	panels = append(panels, loss)

	for _, p := range panels {
		opts.setX(p, lo, hi)
	}
	if len(panels) == 2 {
		padTop(panels[0])
	}
	draw1(c, panels)
	return c.Image(), nil
}

func allZero(xys plotter.XYs) bool {
	for _, p := range xys {
		if p.Y != 0 {
			return false
		}
	}
	return true
}

// draw1 draws the panels stacked vertically, with their axes aligned.
func draw1(c *vgimg.Canvas, panels []*plot.Plot) {
	dc := draw.New(c)
	if len(panels) == 1 {
		panels[0].Draw(dc)
		return
	}
	grid := make([][]*plot.Plot, len(panels))
	for i, p := range panels {
		grid[i] = []*plot.Plot{p}
	}
	tiles := draw.Tiles{Rows: len(panels), Cols: 1, PadY: vg.Points(12), PadTop: vg.Points(4), PadBottom: vg.Points(4),
		PadLeft: vg.Points(4), PadRight: vg.Points(8)}
	cs := plot.Align(grid, tiles, dc)
	for i, p := range panels {
		p.Draw(cs[i][0])
	}
}

// Comparison draws the test accuracies of runs on one panel, in the order
// given, each in its own color (and dash pattern, after the palette's
// seven colors). A run without any test accuracy is named in the legend
// only; it is an error when no run has one, or when a run is empty.
func Comparison(runs []Run, opts Options) (image.Image, error) {
	if len(runs) == 0 {
		return nil, errors.New("sganplot: comparison: no runs")
	}
	hs := make([]*sgan.History, len(runs))
	for i, r := range runs {
		if err := checkHistory(r.History, fmt.Sprintf("comparison: run %d (%q)", i+1, r.Name)); err != nil {
			return nil, err
		}
		hs[i] = r.History
	}
	c, err := opts.canvas()
	if err != nil {
		return nil, err
	}
	lo, hi := opts.xRange(hs...)
	p := newPlot(opts.Title, opts.xLabel(), "test accuracy (%)")
	p.Legend.Top = false
	drawn := 0
	for i, r := range runs {
		name := r.Name
		if name == "" {
			name = "run " + strconv.Itoa(i+1)
		}
		xys, skipped := series(r.History, opts, accuracy)
		switch {
		case len(xys) == 0:
			p.Legend.Add(name + " (no evaluation set)")
			continue
		case skipped > 0:
			name = fmt.Sprintf("%s (%d of %d epochs not evaluated)", name, skipped, len(r.History.Epochs))
		}
		n := len(plotutil.DefaultColors)
		if err := addLine(p, name, xys, i, plotutil.Dashes(i/n)); err != nil {
			return nil, err
		}
		drawn++
	}
	if drawn == 0 {
		return nil, errors.New("sganplot: comparison: no run has a test accuracy")
	}
	if err := addTargets(p, opts.Targets, lo, hi); err != nil {
		return nil, err
	}
	opts.setX(p, lo, hi)
	padTop(p)
	draw1(c, []*plot.Plot{p})
	return c.Image(), nil
}

// SaveCurves draws h as Curves does and writes it to path as a PNG file,
// atomically.
func SaveCurves(path string, h *sgan.History, opts Options) error {
	img, err := Curves(h, opts)
	if err != nil {
		return err
	}
	return writePNG(path, img)
}

// SaveComparison draws runs as Comparison does and writes them to path as
// a PNG file, atomically.
func SaveComparison(path string, runs []Run, opts Options) error {
	img, err := Comparison(runs, opts)
	if err != nil {
		return err
	}
	return writePNG(path, img)
}

// writePNG encodes img as a PNG file at path, atomically.
func writePNG(path string, img image.Image) error {
	err := atomicfile.Write(path, func(w io.Writer) error {
		if err := png.Encode(w, img); err != nil {
			return fmt.Errorf("sganplot: encoding %s: %w", path, err)
		}
		return nil
	})
	if _, ok := errors.AsType[*atomicfile.Error](err); ok {
		return fmt.Errorf("sganplot: %w", err)
	}
	return err
}
