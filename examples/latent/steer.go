package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strings"

	"github.com/semigan/semigan/sgan"
)

// pair is a morph from class a to class b.
type pair struct{ a, b int }

func parsePairs(s string, k int) ([]pair, error) {
	var ps []pair
	for _, f := range strings.Split(s, ",") {
		var p pair
		if _, err := fmt.Sscanf(strings.TrimSpace(f), "%d-%d", &p.a, &p.b); err != nil {
			return nil, fmt.Errorf("-pairs: %q is not a pair a-b", f)
		}
		if p.a < 0 || p.a >= k || p.b < 0 || p.b >= k || p.a == p.b {
			return nil, fmt.Errorf("-pairs: %d-%d: need two different classes in [0, %d)", p.a, p.b, k)
		}
		ps = append(ps, p)
	}
	return ps, nil
}
func oneHot(k, n int) []float32 {
	v := make([]float32, n)
	v[k] = 1
	return v
}

// steerRates prints how often steering works: for 200 starting points of
// class a per pair, the share whose image the classifier puts in class b
// after a step of α along the direction a→b.
func steerRates(m *sgan.Model, lc *sgan.LatentClasses, pairs []pair, minConf float64, rng *rand.Rand, w io.Writer) error {
	const n = 200
	alphas := []float64{0.5, 1, 1.5, 2}
	fmt.Fprintf(w, "steering success (share of %d class-a starts classified b after a step α·(mean b − mean a)):\n", n)
	for _, p := range pairs {
		dir, err := lc.Direction(p.a, p.b)
		if err != nil {
			return err
		}
		starts, err := m.LatentOfClass(p.a, n, sgan.SampleOptions{MinConfidence: minConf, Chunk: 500}, rng)
		if err != nil {
			return err
		}
		rates, err := m.SteerRates(starts, dir, p.b, alphas)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  %d→%d:", p.a, p.b)
		for i, a := range alphas {
			fmt.Fprintf(w, "  α=%g %.0f %%", a, 100*rates[i])
		}
		fmt.Fprintln(w)
	}
	return nil
}
