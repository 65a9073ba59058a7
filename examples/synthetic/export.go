package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/examples/internal/command"
)

// export writes the synthetic set as CSV, IDX, PNG folders and a preview.
func export(o options, s *datasets.Set, w io.Writer) error {
	csvPath := filepath.Join(o.out, "synthetic.csv")
	if err := datasets.SaveCSV(csvPath, s, datasets.CSVOptions{Header: true, LabelName: "label", LabelColumn: -1}); err != nil {
		return err
	}
	img := filepath.Join(o.out, "synthetic-images-idx3-ubyte.gz")
	lbl := filepath.Join(o.out, "synthetic-labels-idx1-ubyte.gz")
	if err := datasets.SaveIDX(img, lbl, s); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s, %s, %s\n", csvPath, img, lbl)
	if !o.noPNG {
		dir := filepath.Join(o.out, "png")
		// replaces an earlier run's, never a folder holding anything else
		if err := command.SaveImageFolder(dir, s); err != nil {
			return err
		}
		fmt.Fprintf(w, "wrote %s/<class>/*.png\n", dir)
	}
	// preview: the first 10 of every class, a row per class
	per := s.Len() / s.Classes
	cols := min(10, per)
	F := s.Features()
	var prev []float32
	for k := 0; k < s.Classes; k++ {
		prev = append(prev, s.Data[k*per*F:(k*per+cols)*F]...)
	}
	path := filepath.Join(o.out, "preview.png")
	if err := datasets.SavePNGGrid(path, prev, cols*s.Classes, s.C, s.H, s.W, cols); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s\n", path)
	return nil
}
