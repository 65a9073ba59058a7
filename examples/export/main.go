// Command export writes a trained semigan model as ONNX models, for
// runtimes outside Go (onnxruntime in Python, Node, C++ or the browser):
// the classifier (image → class logits, probabilities, and the
// probability that the image is real) and, when the model has one, the
// generator (latent vector, and class code for a conditional model →
// image).
//
//	go run ./examples/export -ckpt out/model.ckpt
//	go run ./examples/export -ckpt out-images/model.ckpt -class-names bar,disc,square -out deploy/shapes
//
// It writes OUT/classifier.onnx and OUT/generator.onnx (OUT: the
// checkpoint's folder by default). The models' metadata records the input
// layout and scaling (pixel/127.5 − 1, NCHW), the class names, the
// model's configuration and, for a checkpoint of a training run, the
// training configuration and step count; sgan.Model.WriteClassifierONNX documents the
// inputs and outputs. A checkpoint written by examples/images holds no
// class names: give them with -class-names, in the sorted order of the
// class folders (its predictions.csv header lists them).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/semigan/semigan/examples/internal/command"
	"github.com/semigan/semigan/sgan"
)

func main() { command.Main("export", run) }

func run(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ckpt := fs.String("ckpt", "", "checkpoint to export (model.ckpt of any semigan program)")
	out := fs.String("out", "", "folder for classifier.onnx and generator.onnx (default: the checkpoint's folder)")
	names := fs.String("class-names", "", "comma-separated class names, in class order, for the metadata (default: the digits 0..K-1)")
	noGen := fs.Bool("no-generator", false, "export the classifier only")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	case *ckpt == "":
		return fmt.Errorf("-ckpt is required: the checkpoint to export, such as out/model.ckpt")
	}
	m, err := sgan.Load(*ckpt)
	if err != nil {
		return err
	}
	opts := sgan.ONNXOptions{Metadata: map[string]string{"source_checkpoint": filepath.Base(*ckpt)}}
	// A checkpoint with training state also gives the recipe it was
	// trained with.
	if tr, err := sgan.LoadTrainer(*ckpt); err == nil {
		b, err := json.Marshal(tr.Config())
		if err != nil {
			return err
		}
		opts.Metadata["training_config"] = string(b)
		opts.Metadata["training_steps"] = strconv.Itoa(tr.Steps())
		tr.Close()
	}
	if *names != "" {
		opts.ClassNames = strings.Split(*names, ",")
		if k := m.Config().Classes; len(opts.ClassNames) != k {
			return fmt.Errorf("-class-names lists %d names, the model has %d classes", len(opts.ClassNames), k)
		}
	}
	dir := *out
	if dir == "" {
		dir = filepath.Dir(*ckpt)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	c := m.Config()
	path := filepath.Join(dir, "classifier.onnx")
	if err := m.SaveClassifierONNX(path, opts); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: image float32 (N, %d, %d, %d), pixel/127.5 - 1 → logits, probabilities (N, %d), real (N)\n",
		path, c.Channels, c.Height, c.Width, c.Classes)
	if c.SupervisedOnly || *noGen {
		return nil
	}
	path = filepath.Join(dir, "generator.onnx")
	if err := m.SaveGeneratorONNX(path, opts); err != nil {
		return err
	}
	in := fmt.Sprintf("z float32 (N, %d)", c.LatentDim)
	if c.Conditional {
		in += fmt.Sprintf(", class_code float32 (N, %d)", c.Classes)
	}
	fmt.Fprintf(stdout, "wrote %s: %s → image float32 (N, %d, %d, %d) in [-1, 1]\n", path, in, c.Channels, c.Height, c.Width)
	return nil
}
