package sganhttp

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/sgan"
)

func testModel(t testing.TB) *sgan.Model {
	t.Helper()
	mc := sgan.DefaultModelConfig()
	mc.Seed, mc.Classes, mc.Height, mc.Width = 1, 3, 12, 12
	m, err := sgan.New(mc)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func pngBytes(t testing.TB, w, h int, v uint8) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = v + uint8(i%7)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func multipartBody(t testing.TB, files map[string][]byte, order []string) (io.Reader, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("note", "a form field, ignored")
	for _, name := range order {
		fw, err := mw.CreateFormFile("image", name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(files[name])
	}
	mw.Close()
	return &b, mw.FormDataContentType()
}

// hugeHeaderPNG is a valid PNG header claiming w×h pixels.
func hugeHeaderPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	b := pngBytes(t, 1, 1, 0)
	// width and height sit at bytes 16..24, covered by the IHDR CRC at 29
	binary.BigEndian.PutUint32(b[16:], uint32(w))
	binary.BigEndian.PutUint32(b[20:], uint32(h))
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

// Each request gets its answer: predictions that agree with the model's
// own, and one-line 4xx errors for every kind of bad request.
func TestPredict(t *testing.T) {
	m := testModel(t)
	srv, err := New(m, Options{ClassNames: []string{"a", "b", "c"}, MaxBodyBytes: 1 << 20, MaxImages: 3})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	one, two := pngBytes(t, 12, 12, 10), pngBytes(t, 40, 30, 100)
	want := func(imgs ...[]byte) []float32 {
		var x []float32
		for _, b := range imgs {
			v, err := datasets.DecodeImage(bytes.NewReader(b), "x", image.Pt(12, 12), 1, 0)
			if err != nil {
				t.Fatal(err)
			}
			x = append(x, v...)
		}
		p, err := m.PredictProba(x)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	mp, mpType := multipartBody(t, map[string][]byte{"one.png": one, "two.png": two}, []string{"one.png", "two.png"})
	tooMany, tooManyType := multipartBody(t, map[string][]byte{"1.png": one, "2.png": one, "3.png": one, "4.png": one}, []string{"1.png", "2.png", "3.png", "4.png"})
	noFiles, noFilesType := multipartBody(t, nil, nil)
	for _, tc := range []struct {
		name, method, path, ctype string
		body                      io.Reader
		status                    int
		images                    []string
		proba                     []float32
		err                       string
	}{
		{"raw body", "POST", "/predict", "image/png", bytes.NewReader(one), 200, []string{"body"}, want(one), ""},
		{"multipart, two images", "POST", "/predict", mpType, mp, 200, []string{"one.png", "two.png"}, want(one, two), ""},
		{"empty body", "POST", "/predict", "image/png", nil, 400, nil, nil, "empty body"},
		{"not an image", "POST", "/predict", "image/png", strings.NewReader("hello, world"), 400, nil, nil, "image 1 (body): "},
		{"truncated PNG", "POST", "/predict", "image/png", bytes.NewReader(one[:len(one)/2]), 400, nil, nil, "image 1 (body)"},
		{"huge header", "POST", "/predict", "image/png", bytes.NewReader(hugeHeaderPNG(t, 100000, 100000)), 400, nil, nil, "above the limit"},
		{"body too large", "POST", "/predict", "image/png", bytes.NewReader(make([]byte, 2<<20)), 413, nil, nil, "request body too large"},
		{"too many images", "POST", "/predict", tooManyType, tooMany, 413, nil, nil, "more than 3 images"},
		{"multipart without files", "POST", "/predict", noFilesType, noFiles, 400, nil, nil, "holds no file"},
		{"multipart without boundary", "POST", "/predict", "multipart/form-data", strings.NewReader("x"), 400, nil, nil, "boundary"},
		{"broken multipart", "POST", "/predict", "multipart/form-data; boundary=zz", strings.NewReader("--zz\r\nno end"), 400, nil, nil, "multipart"},
		{"wrong method", "GET", "/predict", "", nil, 405, nil, nil, ""},
		{"unknown path", "POST", "/nosuch", "", nil, 404, nil, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, ts.URL+tc.path, tc.body)
			if err != nil {
				t.Fatal(err)
			}
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if tc.status != 200 {
				if tc.err == "" {
					return
				}
				var e map[string]string
				if err := json.Unmarshal(body, &e); err != nil || !strings.Contains(e["error"], tc.err) || strings.Contains(e["error"], "\n") {
					t.Errorf("error body %s, want one line containing %q", body, tc.err)
				}
				return
			}
			var ans Answer
			if err := json.Unmarshal(body, &ans); err != nil {
				t.Fatal(err)
			}
			if strings.Join(ans.Classes, ",") != "a,b,c" || len(ans.Predictions) != len(tc.images) {
				t.Fatalf("answer %s", body)
			}
			for i, p := range ans.Predictions {
				got := p.Probabilities
				for k := range got {
					if d := got[k] - tc.proba[i*3+k]; d > 1e-6 || d < -1e-6 {
						t.Errorf("image %d class %d: %v, model says %v", i, k, got[k], tc.proba[i*3+k])
					}
				}
				best := 0
				for k := range got {
					if got[k] > got[best] {
						best = k
					}
				}
				if p.Image != tc.images[i] || p.Class != ans.Classes[best] || p.Probability != got[best] {
					t.Errorf("prediction %d: %+v", i, p)
				}
			}
		})
	}
}

func TestHealthAndOptions(t *testing.T) {
	m := testModel(t)
	srv, err := New(m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	var h Health
	if err := json.Unmarshal(rec.Body.Bytes(), &h); err != nil || rec.Code != 200 || h.Status != "ok" || h.Height != 12 || strings.Join(h.Classes, ",") != "0,1,2" {
		t.Errorf("healthz: %d %s (%v)", rec.Code, rec.Body, err)
	}
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{ClassNames: []string{"x"}}, "1 class names for 3 classes"},
		{Options{Workers: -1}, "negative"},
	} {
		if _, err := New(m, tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.opts, err, tc.want)
		}
	}
	if _, err := New(nil, Options{}); err == nil {
		t.Error("nil model accepted")
	}
}

// Many clients at once, through a pool of one worker: every answer is
// right, and nothing races (go test -race).
func TestConcurrentClients(t *testing.T) {
	m := testModel(t)
	srv, err := New(m, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	var wg sync.WaitGroup
	answers := make([]string, 16)
	for i := range answers {
		wg.Go(func() {
			resp, err := http.Post(ts.URL+"/predict", "image/png", bytes.NewReader(pngBytes(t, 12, 12, 50)))
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			answers[i] = fmt.Sprintf("%d %s", resp.StatusCode, b)
		})
	}
	wg.Wait()
	for i, a := range answers {
		if a != answers[0] || !strings.HasPrefix(a, "200 ") {
			t.Errorf("client %d: %s; client 0: %s", i, a, answers[0])
		}
	}
}

// A panic inside the handler is a 500 answer, not the end of the server.
func TestPanicIsAnswered(t *testing.T) {
	srv, err := New(testModel(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv.mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic("boom") })
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/boom", nil))
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), "boom") {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
}
