package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/internal/atomicfile"
	"github.com/semigan/semigan/sgan"
)

// probeStep is the distance from the middle, in standard deviations, of
// the -probe pairs over which the evaluation measures how much each
// direction changes an attribute.
const probeStep = 2.0

// evaluation is one attribute's result.
type evaluation struct {
	attr      string
	direction int
	sign      int     // +1: the attribute grows along the direction
	change    float64 // mean change of the measure from −2σ to +2σ, in the real images' standard deviations
	agree     float64 // share of the probe pairs that change the same way
	auc       float64
	pairs     int
}

// evaluate measures the method for each attribute of evals, standing in
// for a person: it picks the direction whose probe pairs change the
// attribute's measure most (in units of the measure's spread over the
// real test images), orients it so that the measure grows, makes the
// two-sided set (o.n images), trains a fresh classifier on it and scores
// the classifier's probability of the positive side on the real test
// images against the measure split at its median.
func evaluate(ctx context.Context, m *sgan.Model, dirs []sgan.Direction, evals []measure, test *datasets.Set, o options, stdout, stderr io.Writer) error {
	c := m.Config()
	F := c.Channels * c.Height * c.Width
	measureAll := func(f func([]float32, int, int, int) float64, x []float32) []float64 {
		out := make([]float64, len(x)/F)
		for i := range out {
			out[i] = f(x[i*F:(i+1)*F], c.Channels, c.Height, c.Width)
		}
		return out
	}
	// The probe pairs of every direction, generated once.
	probes := make([][]float32, len(dirs))
	for k, d := range dirs {
		set, err := m.SynthesizeTwoSided(d.Z, o.probe, sgan.TwoSidedOptions{Margin: probeStep, Extent: probeStep}, rand.New(rand.NewPCG(o.seed, 4)))
		if err != nil {
			return err
		}
		probes[k] = set.Values()
	}
	var results []evaluation
	for _, e := range evals {
		real := measureAll(e.f, test.Values())
		_, sd := meanSD(real)
		if sd == 0 {
			return fmt.Errorf("-evaluate %s: the measure is the same on every test image", e.name)
		}
		best := evaluation{attr: e.name, direction: -1}
		fmt.Fprintf(stdout, "%s (%s): change from −%gσ to +%gσ along each direction, in test-set standard deviations:\n ", e.name, e.doc, probeStep, probeStep)
		for k := range dirs {
			v := measureAll(e.f, probes[k])
			var sum float64
			up := 0
			for i := 0; i < len(v); i += 2 {
				diff := v[i+1] - v[i]
				sum += diff
				if diff > 0 {
					up++
				}
			}
			change := sum / float64(len(v)/2) / sd
			fmt.Fprintf(stdout, " %d:%+.2f", k, change)
			if math.Abs(change) > math.Abs(best.change) {
				best.direction, best.change = k, change
				best.agree = float64(up) / float64(len(v)/2)
			}
		}
		fmt.Fprintln(stdout)
		best.sign = 1
		if best.change < 0 {
			best.sign, best.change, best.agree = -1, -best.change, 1-best.agree
		}
		dir := dirs[best.direction].Z
		if best.sign < 0 {
			dir = negated(dir)
		}
		names := [2]string{"low-" + e.name, "high-" + e.name}
		set, err := m.SynthesizeTwoSided(dir, o.n/2, sgan.TwoSidedOptions{Margin: o.margin, Extent: o.extent, MinConfidence: o.minConf, Names: names},
			rand.New(rand.NewPCG(o.seed, 5)))
		if err != nil {
			return err
		}
		best.pairs = set.Len() / 2
		cl, err := trainClassifier(ctx, set, nil, filepath.Join(o.out, "eval-"+e.name), o, stderr)
		if err != nil {
			return err
		}
		p, err := cl.PredictProbaSet(test)
		if err != nil {
			return err
		}
		score := make([]float64, test.Len())
		for i := range score {
			score[i] = float64(p[2*i+1])
		}
		if best.auc, err = auc(score, real); err != nil {
			return fmt.Errorf("-evaluate %s: %w", e.name, err)
		}
		fmt.Fprintf(stdout, "%s: direction %d (sign %+d: %+.2f σ, %.0f %% of probe pairs agree); classifier trained on %d generated pairs only: AUC %.4f on %d real test images (measure above its median)\n",
			e.name, best.direction, best.sign, best.change, 100*best.agree, best.pairs, best.auc, test.Len())
		results = append(results, best)
	}
	var b strings.Builder
	b.WriteString("attribute,direction,sign,change_sd,agree,pairs,steps,auc\n")
	for _, r := range results {
		fmt.Fprintf(&b, "%s,%d,%d,%.4f,%.4f,%d,%d,%.4f\n", r.attr, r.direction, r.sign, r.change, r.agree, r.pairs, o.steps, r.auc)
	}
	p := filepath.Join(o.out, "evaluation.csv")
	if err := atomicfile.Write(p, func(w io.Writer) error { _, err := io.WriteString(w, b.String()); return err }); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s\n", p)
	return nil
}
