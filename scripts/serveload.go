//go:build ignore

// serveload sends prediction requests to a running examples/serve from
// many clients at once and reports the rate and the latencies:
//
//	go run scripts/serveload.go -url http://localhost:8080/predict -image digit.png -clients 32 -duration 30s
//
// scripts/serve-load.sh runs the server, this and the memory measurement
// together.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"
)

func main() {
	url := flag.String("url", "http://localhost:8080/predict", "the server's /predict")
	imagePath := flag.String("image", "", "image file sent as each request's body")
	clients := flag.Int("clients", 32, "clients sending requests at once, each waiting for its answer")
	duration := flag.Duration("duration", 30*time.Second, "how long to send")
	flag.Parse()
	img, err := os.ReadFile(*imagePath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "serveload:", err)
		os.Exit(1)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *clients}, Timeout: time.Minute}
	var mu sync.Mutex
	var lat []time.Duration
	failed := 0
	end := time.Now().Add(*duration)
	var wg sync.WaitGroup
	for range *clients {
		wg.Go(func() {
			for time.Now().Before(end) {
				t0 := time.Now()
				resp, err := client.Post(*url, "image/png", bytes.NewReader(img))
				ok := err == nil && resp.StatusCode == 200
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				d := time.Since(t0)
				mu.Lock()
				if ok {
					lat = append(lat, d)
				} else {
					failed++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.Sort(lat)
	q := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	fmt.Printf("%d clients, %v: %d requests answered (%.0f/s), %d failed; latency p50 %v, p99 %v, max %v\n",
		*clients, *duration, len(lat), float64(len(lat))/duration.Seconds(), failed,
		q(0.50).Round(100*time.Microsecond), q(0.99).Round(100*time.Microsecond), q(1).Round(100*time.Microsecond))
}
