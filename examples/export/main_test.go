package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/semigan/semigan/sgan"
)

func TestExport(t *testing.T) {
	dir := t.TempDir()
	mc := sgan.DefaultModelConfig()
	mc.Classes, mc.Height, mc.Width, mc.Channels, mc.Conditional = 3, 16, 16, 3, true
	m, err := sgan.New(mc)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := sgan.NewTrainer(m, sgan.DefaultTrainConfig(mc))
	if err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(dir, "model.ckpt")
	if err := tr.Save(ckpt); err != nil { // with the training state
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		args  []string
		files []string
		want  string // error substring; "" for success
	}{
		{"both", []string{"-ckpt", ckpt, "-class-names", "bar,disc,square"}, []string{"classifier.onnx", "generator.onnx"}, ""},
		{"classifier only, elsewhere", []string{"-ckpt", ckpt, "-out", filepath.Join(dir, "deploy"), "-no-generator"}, []string{filepath.Join("deploy", "classifier.onnx")}, ""},
		{"no checkpoint", nil, nil, "-ckpt is required"},
		{"wrong class count", []string{"-ckpt", ckpt, "-class-names", "a,b"}, nil, "2 names, the model has 3 classes"},
		{"missing file", []string{"-ckpt", filepath.Join(dir, "nosuch.ckpt")}, nil, "nosuch.ckpt"},
	} {
		var stdout bytes.Buffer
		err := run(context.Background(), tc.args, &stdout, &bytes.Buffer{})
		if tc.want != "" {
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for _, f := range tc.files {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil || len(b) < 1000 {
				t.Errorf("%s: %s: %v (%d bytes)", tc.name, f, err, len(b))
			}
			if !strings.Contains(stdout.String(), filepath.Base(f)) {
				t.Errorf("%s: output does not name %s:\n%s", tc.name, f, stdout.String())
			}
		}
	}
	onnx := string(mustRead(t, filepath.Join(dir, "classifier.onnx")))
	if !strings.Contains(onnx, `["bar","disc","square"]`) || !strings.Contains(onnx, "training_config") || !strings.Contains(onnx, `"batch_size":`) {
		t.Error("classifier.onnx does not carry the class names and the training configuration")
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
