package sganhttp_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"

	"github.com/semigan/semigan/sgan"
	"github.com/semigan/semigan/sgan/sganhttp"
)

// A model served over HTTP, and one prediction asked of it.
func Example() {
	mc := sgan.DefaultModelConfig() // 28×28 gray digits, 10 classes
	m, err := sgan.New(mc)          // in practice: sgan.Load("out/model.ckpt")
	if err != nil {
		fmt.Println(err)
		return
	}
	srv, err := sganhttp.New(m, sganhttp.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	ts := httptest.NewServer(srv) // in practice: http.ListenAndServe(addr, srv)
	defer ts.Close()

	var img bytes.Buffer
	png.Encode(&img, image.NewGray(image.Rect(0, 0, 28, 28)))
	resp, err := http.Post(ts.URL+"/predict", "image/png", &img)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var ans sganhttp.Answer
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.StatusCode, len(ans.Predictions), ans.Predictions[0].Image, len(ans.Predictions[0].Probabilities))
	// Output: 200 1 body 10
}
