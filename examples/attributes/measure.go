package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// A measure computes an attribute of one image (C×H×W values in
// [-1, 1]) from its pixels. The measures stand in for a person's eye in
// the evaluation: they say which way a direction changes the images, and
// they label the real test images that the zero-label classifier is
// scored on.
type measure struct {
	name string
	doc  string
	f    func(img []float32, c, h, w int) float64
}

var measures = []measure{
	{"slant", "shear of the image moments, −μ11/μ02 (positive: the top leans right)", slant},
	{"thickness", "stroke width: ink area over half the ink's boundary length (pixels above mid-gray)", thickness},
	{"area", "share of the image covered by the item (pixels above 10 % of full intensity)", area},
}

func parseMeasures(s string) ([]measure, error) {
	var out []measure
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		i := slices.IndexFunc(measures, func(m measure) bool { return m.name == name })
		if i < 0 {
			var known []string
			for _, m := range measures {
				known = append(known, m.name)
			}
			return nil, fmt.Errorf("-evaluate: unknown attribute %q (known: %s)", name, strings.Join(known, ", "))
		}
		out = append(out, measures[i])
	}
	return out, nil
}

// intensity returns pixel (y, x) as ink in [0, 1], the mean over the
// channels.
func intensity(img []float32, c, h, w, y, x int) float64 {
	var s float64
	for ch := range c {
		s += float64(img[(ch*h+y)*w+x])
	}
	return (s/float64(c) + 1) / 2
}

// slant is the shear of the image's second moments: with the centroid
// (x̄, ȳ) and y pointing down, −μ11/μ02 is the horizontal shift per row
// upwards, the slope of a line through a leaning stroke.
func slant(img []float32, c, h, w int) float64 {
	var s, sx, sy float64
	for y := range h {
		for x := range w {
			v := intensity(img, c, h, w, y, x)
			s, sx, sy = s+v, sx+v*float64(x), sy+v*float64(y)
		}
	}
	if s == 0 {
		return 0
	}
	cx, cy := sx/s, sy/s
	var m11, m02 float64
	for y := range h {
		for x := range w {
			v := intensity(img, c, h, w, y, x)
			dx, dy := float64(x)-cx, float64(y)-cy
			m11 += v * dx * dy
			m02 += v * dy * dy
		}
	}
	if m02 == 0 {
		return 0
	}
	return -m11 / m02
}

// thickness is the mean stroke width of the ink (pixels above mid-gray):
// a stroke of width t and length L ≫ t covers about t·L pixels and has
// about 2·L pixel edges on its boundary, so 2·area/edges ≈ t, whatever
// the digit's size or shape. It is simpler than area over skeleton length
// and needs no thinning.
func thickness(img []float32, c, h, w int) float64 {
	ink := func(y, x int) bool {
		return y >= 0 && x >= 0 && y < h && x < w && intensity(img, c, h, w, y, x) > 0.5
	}
	area, edges := 0, 0
	for y := range h {
		for x := range w {
			if !ink(y, x) {
				continue
			}
			area++
			for _, d := range [4][2]int{{0, 1}, {0, -1}, {1, 0}, {-1, 0}} {
				if !ink(y+d[0], x+d[1]) {
					edges++
				}
			}
		}
	}
	if edges == 0 {
		return 0
	}
	return 2 * float64(area) / float64(edges)
}

// area is the share of pixels above 10 % of full intensity.
func area(img []float32, c, h, w int) float64 {
	n := 0
	for y := range h {
		for x := range w {
			if intensity(img, c, h, w, y, x) > 0.1 {
				n++
			}
		}
	}
	return float64(n) / float64(h*w)
}

// auc is the area under the ROC curve of score for telling the examples
// whose measure is above the median from the others: the probability that
// a random example above the median scores higher than a random one at or
// below it (ties count half).
func auc(score, measure []float64) (float64, error) {
	if len(score) != len(measure) || len(score) < 2 {
		return 0, fmt.Errorf("AUC of %d scores and %d measures", len(score), len(measure))
	}
	med := slices.Clone(measure)
	slices.Sort(med)
	th := med[len(med)/2]
	idx := make([]int, len(score))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmpFloat(score[a], score[b]) })
	// ranks, ties averaged
	rank := make([]float64, len(score))
	for lo := 0; lo < len(idx); {
		hi := lo
		for hi < len(idx) && score[idx[hi]] == score[idx[lo]] {
			hi++
		}
		for _, i := range idx[lo:hi] {
			rank[i] = float64(lo+hi+1) / 2
		}
		lo = hi
	}
	var pos, sum float64
	for i, m := range measure {
		if m > th {
			pos++
			sum += rank[i]
		}
	}
	neg := float64(len(score)) - pos
	if pos == 0 || neg == 0 {
		return 0, fmt.Errorf("AUC: the measure is the same for every example")
	}
	return (sum - pos*(pos+1)/2) / (pos * neg), nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// meanSD returns the mean and standard deviation of v.
func meanSD(v []float64) (mean, sd float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		sd += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(sd / float64(len(v)))
}
