package sganplot_test

import (
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/semigan/semigan/sgan"
	"github.com/semigan/semigan/sgan/sganplot"
)

func ExampleSaveCurves() {
	// A history as Fit returns it, or as sgan.LoadHistoryCSV reads it back
	// from the metrics file of sgan.CSVWriter.
	h := &sgan.History{}
	for i := 1; i <= 10; i++ {
		h.Epochs = append(h.Epochs, sgan.EpochStats{
			Epoch:   i,
			DLoss:   0.5 + 0.5/float64(i),
			GLoss:   0.1,
			Losses:  map[string]float64{"sup": 2 / float64(i)},
			EvalAcc: 0.99 - 0.4*math.Exp(-float64(i)/2),
			Elapsed: time.Duration(i) * 2 * time.Minute,
		})
	}

	dir, err := os.MkdirTemp("", "sganplot")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "curves.png")
	err = sganplot.SaveCurves(path, h, sganplot.Options{
		Title:   "synthetic run",
		Targets: []float64{95, 97, 98},
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	f, err := os.Open(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s: %d × %d pixels\n", filepath.Base(path), cfg.Width, cfg.Height)
	// Output:
	// curves.png: 768 × 576 pixels
}
