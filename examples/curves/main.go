// Command curves plots metrics CSV files written by semigan's training
// (sgan.CSVWriter, as in examples/mnist100's metrics.csv): one file gives
// its accuracy and loss curves, several give their accuracy curves on
// one plot for comparison.
//
//	go run ./examples/curves -o curves.png out/metrics.csv
//	go run ./examples/curves -o compare.png -title "seed 1" unconditional=out/metrics.csv conditional=out-cond/metrics.csv
//
// Each argument is a file, or name=file to set its legend entry.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/semigan/semigan/sgan"
	"github.com/semigan/semigan/sgan/sganplot"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "curves:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("curves", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "curves.png", "PNG file to write")
	title := fs.String("title", "", "plot title")
	byEpoch := fs.Bool("epochs", false, "x axis in epochs rather than minutes")
	targets := fs.String("targets", "95,97,98", "accuracy reference lines in percent, comma separated (empty: none)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("no metrics file given (usage: curves [-o out.png] [name=]metrics.csv ...)")
	}
	opts := sganplot.Options{Title: *title}
	if *byEpoch {
		opts.XAxis = sganplot.ByEpoch
	}
	for _, f := range strings.Split(*targets, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return fmt.Errorf("-targets: %q is not a number", f)
		}
		opts.Targets = append(opts.Targets, v)
	}
	var runs []sganplot.Run
	for _, a := range fs.Args() {
		name, path, ok := strings.Cut(a, "=")
		if !ok {
			name, path = strings.TrimSuffix(filepath.Base(a), filepath.Ext(a)), a
		}
		h, err := sgan.LoadHistoryCSV(path)
		if err != nil {
			return err
		}
		runs = append(runs, sganplot.Run{Name: name, History: h})
	}
	var err error
	if len(runs) == 1 {
		err = sganplot.SaveCurves(*out, runs[0].History, opts)
	} else {
		err = sganplot.SaveComparison(*out, runs, opts)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s\n", *out)
	return nil
}
