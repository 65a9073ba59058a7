package datasets

import (
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// benchFolder writes n 32×32 colour PNGs of random blocks into a new
// folder (once per benchmark process and n).
func benchFolder(b *testing.B, n int) string {
	b.Helper()
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("semigan-bench-folder-%d", n))
	if _, err := os.Stat(dir + ".done"); err == nil {
		return filepath.Join(dir, "img")
	}
	os.RemoveAll(dir)
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	for i := range n {
		c := color.NRGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 255}
		writeTemp(b, dir, fmt.Sprintf("img/%06d.png", i), pngOf(32, 32, func(x, y int) color.Color {
			if (x/8+y/8)%2 == 0 {
				return c
			}
			return color.NRGBA{uint8(x * 8), uint8(y * 8), uint8(i), 255}
		}))
	}
	if err := os.WriteFile(dir+".done", nil, 0o644); err != nil {
		b.Fatal(err)
	}
	return filepath.Join(dir, "img")
}

// BenchmarkLoadImageFolder loads 5,000 32×32 colour PNGs: decoding them
// (with and without writing the cache file), and from the cache file a
// first load made; and decoding with a resize to 16×16.
func BenchmarkLoadImageFolder(b *testing.B) {
	const n = 5000
	dir := benchFolder(b, n)
	load := func(b *testing.B, opts FolderOptions) {
		s, err := LoadImageFolder(dir, opts)
		if err != nil {
			b.Fatal(err)
		}
		if s.Len() != n {
			b.Fatalf("loaded %d images", s.Len())
		}
	}
	b.Run("decode", func(b *testing.B) {
		for b.Loop() {
			load(b, FolderOptions{Color: RGB})
		}
	})
	b.Run("decode+cache", func(b *testing.B) {
		for b.Loop() {
			load(b, FolderOptions{Color: RGB, Cache: b.TempDir()})
		}
	})
	b.Run("cached", func(b *testing.B) {
		cache := b.TempDir()
		load(b, FolderOptions{Color: RGB, Cache: cache})
		for b.Loop() {
			load(b, FolderOptions{Color: RGB, Cache: cache})
		}
	})
	b.Run("decode+resize-16", func(b *testing.B) {
		for b.Loop() {
			load(b, FolderOptions{Color: RGB, Size: image.Point{X: 16, Y: 16}})
		}
	})
}
