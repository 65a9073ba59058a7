package main

import (
	"encoding/csv"
	"io"
	"math/rand/v2"
	"os"
	"strconv"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/examples/internal/command"
	"github.com/semigan/semigan/internal/atomicfile"
	"github.com/semigan/semigan/sgan"
)

// writePredictions writes, for each unlabelled file, the predicted class
// name, its probability and the probability of every class.
func writePredictions(path string, files, classes []string, proba []float32) error {
	K := len(classes)
	return atomicfile.Write(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		cw.Write(append([]string{"file", "predicted", "probability"}, classes...))
		row := make([]string, 3+K)
		for i, file := range files {
			p := proba[i*K : (i+1)*K]
			best := 0
			for k := range p {
				if p[k] > p[best] {
					best = k
				}
			}
			row[0], row[1], row[2] = file, classes[best], strconv.FormatFloat(float64(p[best]), 'f', 6, 32)
			for k, v := range p {
				row[3+k] = strconv.FormatFloat(float64(v), 'f', 6, 32)
			}
			cw.Write(row)
		}
		cw.Flush()
		return cw.Error()
	})
}

// writeLabelNext writes the suggestions, best first.
func writeLabelNext(path string, sug []sgan.Suggestion, files, classes []string) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		cw.Write([]string{"rank", "file", "score", "margin", "predicted"})
		for r, s := range sug {
			cw.Write([]string{strconv.Itoa(r + 1), files[s.Index], strconv.FormatFloat(s.Score, 'f', 6, 64),
				strconv.FormatFloat(s.Margin, 'f', 6, 64), classes[s.Predicted]})
		}
		cw.Flush()
		return cw.Error()
	})
}

// writeSynthetic writes -synthetic generated images per class, labelled
// by the classifier, as class folders of PNGs, and returns how many.
func writeSynthetic(dir string, m *sgan.Model, o options, classes []string, stderr io.Writer) (int, error) {
	syn, err := command.Synthesize(m, o.synthetic, sgan.SynthOptions{}, rand.New(rand.NewPCG(o.seed, 98)), stderr)
	if err != nil {
		return 0, err
	}
	if syn == nil || syn.Len() == 0 {
		return 0, nil
	}
	syn.ClassNames = classes
	if o.force {
		// our own output of an earlier run, which -force replaces
		if err := os.RemoveAll(dir); err != nil {
			return 0, err
		}
	}
	if err := datasets.SaveImageFolder(dir, syn); err != nil {
		return 0, err
	}
	return syn.Len(), nil
}
