// Command serve answers predictions of a trained semigan model over HTTP
// (sgan/sganhttp):
//
//	go run ./examples/serve -ckpt out/model.ckpt
//	curl --data-binary @digit.png http://localhost:8080/predict
//	curl -F image=@a.png -F image=@b.png http://localhost:8080/predict
//	curl http://localhost:8080/healthz
//
// POST /predict takes one image as the body, or many as the files of a
// multipart form, and answers with JSON: the class names and, per image,
// the predicted class, its probability and every class's probability.
// Bad uploads get a 4xx status and a one-line {"error": ...}. The server
// has read, write and idle timeouts, bounds each request's body, images
// and image size, predicts through a pool of -workers, and on SIGINT or
// SIGTERM stops accepting requests and finishes those in flight (up to
// 10 s) before it exits.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/semigan/semigan/sgan"
	"github.com/semigan/semigan/sgan/sganhttp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
}

// run serves until ctx is cancelled. ready, when not nil, receives the
// address once the server listens.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, ready chan<- string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ckpt := fs.String("ckpt", "", "checkpoint to serve (model.ckpt of any semigan program)")
	addr := fs.String("addr", "localhost:8080", "address to listen on (host:port; :8080 for every interface)")
	names := fs.String("class-names", "", "comma-separated class names, in class order (default: 0..K-1)")
	workers := fs.Int("workers", 0, "predictions at once (0: min(cores, 4)); other requests wait")
	maxBody := fs.Int64("max-body", 32<<20, "largest request body in bytes")
	maxImages := fs.Int("max-images", 256, "most images in one request")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	case *ckpt == "":
		return errors.New("-ckpt is required: the checkpoint to serve, such as out/model.ckpt")
	case *workers < 0 || *maxBody <= 0 || *maxImages <= 0:
		return errors.New("-workers must not be negative; -max-body and -max-images must be positive")
	}
	m, err := sgan.Load(*ckpt)
	if err != nil {
		return err
	}
	opts := sganhttp.Options{Workers: *workers, MaxBodyBytes: *maxBody, MaxImages: *maxImages}
	if *names != "" {
		opts.ClassNames = strings.Split(*names, ",")
	}
	handler, err := sganhttp.New(m, opts)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	c := m.Config()
	fmt.Fprintf(stdout, "serving %s (%d classes, %dx%dx%d images) on http://%s\n", *ckpt, c.Classes, c.Channels, c.Height, c.Width, ln.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	if ready != nil {
		ready <- ln.Addr().String()
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(stdout, "shutting down: finishing the requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
