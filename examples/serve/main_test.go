package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/semigan/semigan/sgan"
	"github.com/semigan/semigan/sgan/sganhttp"
)

// The program serves a checkpoint, answers a prediction, and shuts down
// cleanly when its context ends (SIGINT or SIGTERM in main).
func TestServe(t *testing.T) {
	m, err := sgan.New(sgan.DefaultModelConfig())
	if err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(t.TempDir(), "model.ckpt")
	if err := m.Save(ckpt); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var stdout bytes.Buffer
	go func() {
		done <- run(ctx, []string{"-ckpt", ckpt, "-addr", "127.0.0.1:0"}, &stdout, &bytes.Buffer{}, ready)
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatal(err)
	}
	var img bytes.Buffer
	png.Encode(&img, image.NewGray(image.Rect(0, 0, 20, 20)))
	resp, err := http.Post("http://"+addr+"/predict", "image/png", &img)
	if err != nil {
		t.Fatal(err)
	}
	var ans sganhttp.Answer
	err = json.NewDecoder(resp.Body).Decode(&ans)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || len(ans.Predictions) != 1 || len(ans.Classes) != 10 {
		t.Fatalf("%d %+v (%v)", resp.StatusCode, ans, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no shutdown")
	}
	if !strings.Contains(stdout.String(), "serving") || !strings.Contains(stdout.String(), "shutting down") {
		t.Errorf("output:\n%s", stdout.String())
	}
}

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "-ckpt is required"},
		{[]string{"-ckpt", "x", "-workers", "-1"}, "-workers"},
		{[]string{"-ckpt", filepath.Join(t.TempDir(), "nosuch.ckpt")}, "nosuch.ckpt"},
		{[]string{"-ckpt", "x", "extra"}, "unexpected"},
	} {
		err := run(context.Background(), tc.args, &bytes.Buffer{}, &bytes.Buffer{}, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.args, err, tc.want)
		}
	}
}
