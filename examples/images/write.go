package main

import (
	"encoding/csv"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/examples/internal/command"
	"github.com/semigan/semigan/internal/atomicfile"
	"github.com/semigan/semigan/sgan"
)

// predictionChunk is the number of images classified at a time for
// predictions.csv: the probabilities of every image at once would take
// 4·K bytes an image (400 MB for 10 million images of 10 classes).
var predictionChunk = 10000

// setPredictor returns the class probabilities of images lo, …, hi−1 of
// s, read through a view of s.
func setPredictor(m *sgan.Model, s *datasets.Set) func(lo, hi int) ([]float32, error) {
	return func(lo, hi int) ([]float32, error) {
		idx := make([]int, hi-lo)
		for i := range idx {
			idx[i] = lo + i
		}
		return m.PredictProbaSet(s.Subset(idx))
	}
}

// writePredictions writes, for each unlabelled file, the predicted class
// name, its probability and the probability of every class, classifying
// predictionChunk files at a time with predict.
func writePredictions(path string, files, classes []string, predict func(lo, hi int) ([]float32, error)) error {
	K := len(classes)
	return atomicfile.Write(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		cw.Write(safeRow(append([]string{"file", "predicted", "probability"}, classes...)))
		row := make([]string, 3+K)
		var proba []float32
		for i, file := range files {
			if i%predictionChunk == 0 {
				var err error
				if proba, err = predict(i, min(i+predictionChunk, len(files))); err != nil {
					return err
				}
			}
			j := i % predictionChunk
			p := proba[j*K : (j+1)*K]
			best := 0
			for k := range p {
				if p[k] > p[best] {
					best = k
				}
			}
			row[0], row[1], row[2] = spreadsheetSafe(file), spreadsheetSafe(classes[best]), strconv.FormatFloat(float64(p[best]), 'f', 6, 32)
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
			cw.Write([]string{strconv.Itoa(r + 1), spreadsheetSafe(files[s.Index]), strconv.FormatFloat(s.Score, 'f', 6, 64),
				strconv.FormatFloat(s.Margin, 'f', 6, 64), spreadsheetSafe(classes[s.Predicted])})
		}
		cw.Flush()
		return cw.Error()
	})
}

// writeSynthetic writes -synthetic generated images per class, labelled
// by the classifier, as class folders of PNGs, and returns how many. What
// an earlier run wrote there goes first, even when this run writes
// nothing (-synthetic 0, -baseline); a folder holding anything else is
// refused, untouched (command.SaveImageFolder).
func writeSynthetic(dir string, m *sgan.Model, o options, classes []string, stderr io.Writer) (int, error) {
	if o.synthetic == 0 || m.Config().SupervisedOnly {
		_, err := command.RemoveWritten(dir)
		return 0, err
	}
	syn, err := command.Synthesize(m, o.synthetic, sgan.SynthOptions{}, rand.New(rand.NewPCG(o.seed, 98)), stderr, classes, "")
	if err != nil {
		return 0, err
	}
	if syn == nil || syn.Len() == 0 {
		_, err := command.RemoveWritten(dir)
		return 0, err
	}
	syn.ClassNames = classes
	if err := command.SaveImageFolder(dir, syn); err != nil {
		return 0, err
	}
	return syn.Len(), nil
}

// removeStale removes a file of an earlier run that this run does not
// write, so that it is not taken for this run's.
func removeStale(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// spreadsheetSafe makes a CSV cell that a spreadsheet would run as a
// formula (one starting with =, +, -, @, a tab or a carriage return, as
// a class folder named "=HYPERLINK(…)" would) plain text, by a leading
// apostrophe, which spreadsheets hide (OWASP's advice on CSV injection).
func spreadsheetSafe(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}

// safeRow applies spreadsheetSafe to every cell of row.
func safeRow(row []string) []string {
	for i, c := range row {
		row[i] = spreadsheetSafe(c)
	}
	return row
}
