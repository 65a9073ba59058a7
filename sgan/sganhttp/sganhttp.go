package sganhttp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"runtime"
	"strconv"
	"strings"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/sgan"
)

// Options bound what a Server accepts. Zero values take the defaults.
type Options struct {
	// ClassNames name the model's classes in answers; nil: "0", "1", ...
	ClassNames []string
	// MaxBodyBytes bounds a request's body; default 32 MiB.
	MaxBodyBytes int64
	// MaxImages bounds the images of one request; default 256.
	MaxImages int
	// MaxImagePixels bounds each image's width × height before it is
	// decoded; default 2^22 (2048×2048).
	MaxImagePixels int
	// Workers is how many requests predict at once; the others wait for
	// one to finish (or for their client to give up). Default
	// min(GOMAXPROCS, 4).
	Workers int
}

// Server is an http.Handler serving one model.
type Server struct {
	m     *sgan.Model
	opts  Options
	cfg   sgan.ModelConfig
	slots chan struct{}
	mux   *http.ServeMux
}

// New returns a Server for m. It fails when ClassNames does not have one
// name per class or a limit is negative.
func New(m *sgan.Model, opts Options) (*Server, error) {
	if m == nil {
		return nil, errors.New("sganhttp: nil model")
	}
	c := m.Config()
	if opts.ClassNames == nil {
		for k := range c.Classes {
			opts.ClassNames = append(opts.ClassNames, strconv.Itoa(k))
		}
	}
	switch {
	case len(opts.ClassNames) != c.Classes:
		return nil, fmt.Errorf("sganhttp: %d class names for %d classes", len(opts.ClassNames), c.Classes)
	case opts.MaxBodyBytes < 0 || opts.MaxImages < 0 || opts.MaxImagePixels < 0 || opts.Workers < 0:
		return nil, errors.New("sganhttp: negative limit in Options")
	}
	if opts.MaxBodyBytes == 0 {
		opts.MaxBodyBytes = 32 << 20
	}
	if opts.MaxImages == 0 {
		opts.MaxImages = 256
	}
	if opts.MaxImagePixels == 0 {
		opts.MaxImagePixels = 1 << 22
	}
	if opts.Workers == 0 {
		opts.Workers = max(1, min(runtime.GOMAXPROCS(0), 4))
	}
	s := &Server{m: m, opts: opts, cfg: c, slots: make(chan struct{}, opts.Workers), mux: http.NewServeMux()}
	s.mux.HandleFunc("POST /predict", s.predict)
	s.mux.HandleFunc("GET /healthz", s.health)
	return s, nil
}

// ServeHTTP routes a request to /predict or /healthz. A panic while
// serving is answered with a 500; the process goes on.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			writeError(w, http.StatusInternalServerError, fmt.Sprintf("internal error: %v", v))
		}
	}()
	s.mux.ServeHTTP(w, r)
}

// Health is the answer of GET /healthz.
type Health struct {
	Status   string   `json:"status"`
	Channels int      `json:"channels"`
	Height   int      `json:"height"`
	Width    int      `json:"width"`
	Classes  []string `json:"classes"`
}

func (s *Server) health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, Health{Status: "ok", Channels: s.cfg.Channels, Height: s.cfg.Height, Width: s.cfg.Width, Classes: s.opts.ClassNames})
}

// Answer is the answer of POST /predict.
type Answer struct {
	Classes     []string     `json:"classes"`
	Predictions []Prediction `json:"predictions"`
}

// Prediction is one image's part of an Answer.
type Prediction struct {
	Image         string    `json:"image"` // the part's file name, or "body"
	Class         string    `json:"class"`
	Probability   float32   `json:"probability"`
	Probabilities []float32 `json:"probabilities"` // in the order of Answer.Classes
}

// upload is one image of a request.
type upload struct {
	name string
	data []byte
}

func (s *Server) predict(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
	ups, status, err := s.uploads(r)
	if err != nil {
		writeError(w, status, err.Error())
		return
	}
	c := s.cfg
	F := c.Channels * c.Height * c.Width
	x := make([]float32, 0, len(ups)*F)
	for i, u := range ups {
		v, err := datasets.DecodeImage(bytes.NewReader(u.data), u.name, image.Pt(c.Width, c.Height), c.Channels, s.opts.MaxImagePixels)
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("image %d (%s): %s", i+1, u.name, reason(err)))
			return
		}
		x = append(x, v...)
	}
	select {
	case s.slots <- struct{}{}:
	case <-r.Context().Done():
		writeError(w, http.StatusServiceUnavailable, "the request ended while waiting for a free worker")
		return
	}
	proba, err := s.m.PredictProba(x)
	<-s.slots
	if err != nil {
		writeError(w, http.StatusInternalServerError, "prediction: "+err.Error())
		return
	}
	K := c.Classes
	ans := Answer{Classes: s.opts.ClassNames, Predictions: make([]Prediction, len(ups))}
	for i, u := range ups {
		p := proba[i*K : (i+1)*K]
		best := 0
		for k := range p {
			if p[k] > p[best] {
				best = k
			}
		}
		ans.Predictions[i] = Prediction{Image: u.name, Class: s.opts.ClassNames[best], Probability: p[best], Probabilities: p}
	}
	writeJSON(w, http.StatusOK, ans)
}

// uploads reads the images of a request: the files of a multipart body,
// or the whole body as one image.
func (s *Server) uploads(r *http.Request) ([]upload, int, error) {
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		data, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, bodyStatus(err), fmt.Errorf("reading the body: %s", reason(err))
		}
		if len(data) == 0 {
			return nil, http.StatusBadRequest, errors.New("empty body: send an image (PNG, JPEG or GIF) as the body, or images as the files of a multipart/form-data body")
		}
		return []upload{{name: "body", data: data}}, 0, nil
	}
	if params["boundary"] == "" {
		return nil, http.StatusBadRequest, errors.New("multipart/form-data without a boundary")
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	var ups []upload
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, bodyStatus(err), fmt.Errorf("reading the multipart body: %s", reason(err))
		}
		if part.FileName() == "" {
			part.Close()
			continue // a form field, not a file
		}
		if len(ups) == s.opts.MaxImages {
			return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("more than %d images in one request", s.opts.MaxImages)
		}
		data, err := io.ReadAll(part)
		part.Close()
		if err != nil {
			return nil, bodyStatus(err), fmt.Errorf("reading %s: %s", part.FileName(), reason(err))
		}
		ups = append(ups, upload{name: part.FileName(), data: data})
	}
	if len(ups) == 0 {
		return nil, http.StatusBadRequest, errors.New("the multipart body holds no file")
	}
	return ups, 0, nil
}

// bodyStatus is 413 for a body over the limit, else 400.
func bodyStatus(err error) int {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

// reason is an error's text on one line.
func reason(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
