package sgan

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/semigan/semigan/datasets"
)

// SynthOptions control Synthesize. The zero value keeps generated examples
// that the classifier labels with a probability of at least 0.9.
type SynthOptions struct {
	// MinConfidence is the classifier probability an example needs to be
	// kept: for an unconditional model, of its most probable class, which
	// becomes its label; for a Conditional model, of the class it was
	// generated for, which must also be the most probable. Default 0.9;
	// negative keeps every example (a conditional model's examples are
	// then labelled with the class asked for, unchecked).
	MinConfidence float64
	// MaxDraws caps the number of examples generated. Default
	// 50·perClass·K.
	MaxDraws int
}

// SynthesisError reports that Synthesize drew MaxDraws examples without
// filling every class: the generator rarely makes, or the classifier
// rarely trusts, the classes that are short.
type SynthesisError struct {
	Want   int   // examples wanted per class
	Counts []int // examples kept per class
	Drawn  int
}

func (e *SynthesisError) Error() string {
	var short []string
	for k, n := range e.Counts {
		if n < e.Want {
			short = append(short, fmt.Sprintf("class %d has %d", k, n))
		}
	}
	return fmt.Sprintf("sgan: synthesize: after %d draws, %s of the %d wanted (lower SynthOptions.MinConfidence or raise MaxDraws)",
		e.Drawn, strings.Join(short, ", "), e.Want)
}

// Synthesize returns a labelled dataset of perClass generated examples of
// each of the K classes, drawn by Sample with rng (a fresh stream of the
// model's seed when nil). An unconditional model's examples are labelled by the
// classifier (with its weight average when EMA is on) and kept when it is
// confident enough; a Conditional model generates each class with
// GenerateClass and keeps the examples that the classifier agrees with.
// The set holds the examples class by class, in the order drawn, with
// the model's image shape, values in [-1, 1], and Classes = K.
//
// When MaxDraws examples do not fill every class, Synthesize returns the
// examples kept so far with a *SynthesisError.
func (m *Model) Synthesize(perClass int, opts SynthOptions, rng *rand.Rand) (*datasets.Set, error) {
	c := m.cfg
	if perClass <= 0 {
		return nil, fmt.Errorf("sgan: synthesize: %d examples per class, need a positive number", perClass)
	}
	if m.gen == nil || m.gen.Net == nil {
		return nil, fmt.Errorf("sgan: synthesize: the model has no generator")
	}
	minConf := opts.MinConfidence
	switch {
	case minConf == 0:
		minConf = 0.9
	case minConf >= 1 || math.IsNaN(minConf):
		return nil, fmt.Errorf("sgan: synthesize: MinConfidence %g must be below 1", minConf)
	}
	K := c.Classes
	maxDraws := opts.MaxDraws
	if maxDraws <= 0 {
		maxDraws = 50 * perClass * K
	}
	kept := make([][]float32, K)
	counts := make([]int, K)
	filled := 0 // classes with perClass examples
	so := SampleOptions{MinConfidence: max(minConf, 0), MaxDraws: maxDraws}
	if c.Conditional {
		// generate the classes still short, in equal shares
		so.Classes = func() []int {
			var short []int
			for k, n := range counts {
				if n < perClass {
					short = append(short, k)
				}
			}
			return short
		}
		// with no minimum, the class asked for is the label, unchecked
		so.NoClassify = minConf < 0
	}
	drawn, err := m.Sample(so, rng, func(s Sample) bool {
		k := s.Class
		switch {
		case so.NoClassify:
			k = s.Asked
		case c.Conditional && s.Class != s.Asked:
			return true
		}
		if counts[k] < perClass {
			counts[k]++
			kept[k] = append(kept[k], s.Image...)
			if counts[k] == perClass {
				filled++
			}
		}
		return filled < K
	})
	if err != nil {
		return nil, err
	}
	set := &datasets.Set{C: c.Channels, H: c.Height, W: c.Width, Classes: K}
	for k := range kept {
		set.Data = append(set.Data, kept[k]...)
		for range counts[k] {
			set.Labels = append(set.Labels, k)
		}
	}
	if filled < K {
		return set, &SynthesisError{Want: perClass, Counts: counts, Drawn: drawn}
	}
	return set, nil
}
