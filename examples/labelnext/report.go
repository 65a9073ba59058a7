package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/semigan/semigan/internal/atomicfile"
)

func writeCSV(path string, points []point) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		cw.Write([]string{"strategy", "seed", "labels", "test_acc", "test_errors"})
		for _, p := range points {
			cw.Write([]string{p.strategy, strconv.FormatUint(p.seed, 10), strconv.Itoa(p.labels),
				strconv.FormatFloat(p.acc, 'f', 4, 64), strconv.Itoa(p.errors)})
		}
		cw.Flush()
		return cw.Error()
	})
}

// mean returns, for one strategy, the labels of each round and the mean
// accuracy over the seeds that reached it.
func mean(points []point, strategy string) (labels []int, acc []float64) {
	sum, n := map[int]float64{}, map[int]int{}
	for _, p := range points {
		if p.strategy == strategy {
			if n[p.labels] == 0 {
				labels = append(labels, p.labels)
			}
			sum[p.labels] += p.acc
			n[p.labels]++
		}
	}
	slices.Sort(labels)
	for _, l := range labels {
		acc = append(acc, sum[l]/float64(n[l]))
	}
	return labels, acc
}

func writePlot(path string, points []point, o options) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("active learning: test accuracy against labels (mean of %d seed(s))", len(o.seeds))
	p.X.Label.Text = "labelled images"
	p.Y.Label.Text = "test accuracy (%)"
	p.Legend.Top, p.Legend.Left = false, false
	for i, s := range strategies {
		labels, acc := mean(points, s)
		xys := make(plotter.XYs, len(labels))
		for j := range labels {
			xys[j].X, xys[j].Y = float64(labels[j]), 100*acc[j]
		}
		line, pts, err := plotter.NewLinePoints(xys)
		if err != nil {
			return err
		}
		line.Color, pts.Color = plotutil.Color(i), plotutil.Color(i)
		p.Add(line, pts)
		p.Legend.Add(s, line, pts)
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		wt, err := p.WriterTo(8*vg.Inch, 5*vg.Inch, "png")
		if err != nil {
			return err
		}
		_, err = wt.WriteTo(w)
		return err
	})
}

// summarise prints the measures of the target: the labels the suggestions
// need to reach random's accuracy at -max, and the gap at 30 labels.
func summarise(w io.Writer, points []point, o options) {
	sl, sa := mean(points, "suggested")
	rl, ra := mean(points, "random")
	if len(ra) == 0 || len(sa) == 0 {
		return
	}
	goal := ra[len(ra)-1]
	fmt.Fprintf(w, "random at %d labels: %.2f %% (mean of %d seeds)\n", rl[len(rl)-1], 100*goal, len(o.seeds))
	reached := -1
	for i, a := range sa {
		if a >= goal {
			reached = sl[i]
			break
		}
	}
	if reached > 0 {
		fmt.Fprintf(w, "suggested reach it with %d labels\n", reached)
	} else {
		fmt.Fprintf(w, "suggested do not reach it within %d labels (%.2f %% at %d)\n", sl[len(sl)-1], 100*sa[len(sa)-1], sl[len(sl)-1])
	}
	for i, l := range sl {
		if l == 30 && i < len(ra) && rl[i] == 30 {
			fmt.Fprintf(w, "at 30 labels: suggested %.2f %%, random %.2f %% (%+.2f points)\n", 100*sa[i], 100*ra[i], 100*(sa[i]-ra[i]))
		}
	}
}
