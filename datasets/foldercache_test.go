package datasets

import (
	"image"
	"image/color"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// cacheFiles returns the names in the cache folder.
func cacheFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// sameSet reports whether two sets hold the same examples, labels and
// classes.
func sameSet(a, b *Set) bool {
	return a.Len() == b.Len() && a.C == b.C && a.H == b.H && a.W == b.W && a.Classes == b.Classes &&
		slices.Equal(a.ClassNames, b.ClassNames) && slices.Equal(a.Labels, b.Labels) && slices.Equal(a.Values(), b.Values())
}

// colourFolder writes two classes of small colour images into a new
// folder: each image a different colour, so that their order shows.
func colourFolder(t *testing.T) string {
	dir := t.TempDir()
	for i := range 12 {
		class := []string{"red", "blue"}[i%2]
		c := color.NRGBA{uint8(20 * i), uint8(200 - 10*i), uint8(7 * i), 255}
		writeTemp(t, dir, filepath.Join(class, string(rune('a'+i))+".png"), pngOf(6, 5, func(x, y int) color.Color { return c }))
	}
	return dir
}

// A folder loaded with a cache gives the set it gives without one; the
// second load maps the file the first wrote instead of decoding the images
// again, and a change to the folder makes the file again.
func TestLoadImageFolderCache(t *testing.T) {
	for _, opts := range []FolderOptions{{Color: RGB}, {Color: Gray, Size: image.Point{X: 4, Y: 3}}} {
		dir := colourFolder(t)
		want, err := LoadImageFolder(dir, opts)
		if err != nil {
			t.Fatal(err)
		}
		opts.Cache = t.TempDir()
		var progress [][2]int
		opts.Progress = func(done, total int) { progress = append(progress, [2]int{done, total}) }
		first, err := LoadImageFolder(dir, opts)
		if err != nil {
			t.Fatal(err)
		}
		if !sameSet(first, want) || first.pix.file == nil {
			t.Fatalf("%v: cached load differs from the plain one (mapped: %v)", opts.Color, first.pix.file != nil)
		}
		if len(progress) == 0 || progress[len(progress)-1] != [2]int{12, 12} {
			t.Errorf("progress %v, want it to end at 12 of 12", progress)
		}
		files := cacheFiles(t, opts.Cache)
		if len(files) != 1 || !strings.HasSuffix(files[0], ".pixels") {
			t.Fatalf("cache folder holds %v, want one .pixels file", files)
		}

		// Overwrite an image with as many bytes that are no image, and
		// keep its time: the cache is still taken as current, which shows
		// that it is read and the image is not decoded.
		img := filepath.Join(dir, "red", "a.png")
		st, _ := os.Stat(img)
		writeTemp(t, dir, "red/a.png", make([]byte, st.Size()))
		os.Chtimes(img, st.ModTime(), st.ModTime())
		second, err := LoadImageFolder(dir, opts)
		if err != nil || !sameSet(second, want) || second.pix.file == nil {
			t.Fatalf("second load: %v, same set: %v", err, err == nil && sameSet(second, want))
		}

		// Changing its time (as writing it does) makes the file again.
		later := st.ModTime().Add(time.Second)
		os.Chtimes(img, later, later)
		third, err := LoadImageFolder(dir, opts)
		if err == nil || !strings.Contains(err.Error(), "a.png") {
			t.Errorf("after the image changed: %v, want the error of decoding it", err)
		}
		writeTemp(t, dir, "red/a.png", pngOf(6, 5, func(x, y int) color.Color { return color.White }))
		third, err = LoadImageFolder(dir, opts)
		if err != nil || third.Example(6)[0] != 1 { // red/a.png, after the six blue images
			t.Fatalf("after the image changed again: %v", err)
		}
		// So does a new image, and one removed.
		writeTemp(t, dir, "blue/z.png", pngOf(6, 5, func(x, y int) color.Color { return color.Black }))
		if s, err := LoadImageFolder(dir, opts); err != nil || s.Len() != 13 {
			t.Errorf("after adding an image: %v, %d images", err, s.Len())
		}
		os.Remove(filepath.Join(dir, "blue", "b.png"))
		if s, err := LoadImageFolder(dir, opts); err != nil || s.Len() != 12 || s.Labels[1] != 0 {
			t.Errorf("after removing an image: %v", err)
		}
		if files := cacheFiles(t, opts.Cache); len(files) != 1 {
			t.Errorf("cache folder holds %v, want the one file, replaced", files)
		}
		// Sets taken from a mapped set outlive it.
		sub := third.Subset([]int{3, 4})
		third = nil
		for range 3 {
			runtime.GC()
		}
		if sub.Example(1)[0] != want.Example(4)[0] || sub.Example(0)[5] != want.Example(3)[5] {
			t.Errorf("subset of a mapped set lost its pixels")
		}
	}
}

// A damaged cache file is made again; the options that change the
// pixels have files of their own.
func TestLoadImageFolderCacheDamaged(t *testing.T) {
	dir := colourFolder(t)
	cache := t.TempDir()
	want, err := LoadImageFolder(dir, FolderOptions{Color: RGB})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadImageFolder(dir, FolderOptions{Color: RGB, Cache: cache}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(cache, cacheFiles(t, cache)[0])
	raw, _ := os.ReadFile(path)
	for _, damage := range []struct {
		name string
		data []byte
	}{
		{"truncated", raw[:len(raw)-3]},
		{"empty", nil},
		{"trailer", append(slices.Clone(raw[:len(raw)-cacheFooter-5]), raw[len(raw)-cacheFooter:]...)},
		{"pixels cut", raw[100:]},
	} {
		if err := os.WriteFile(path, damage.data, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := LoadImageFolder(dir, FolderOptions{Color: RGB, Cache: cache})
		if err != nil || !sameSet(s, want) {
			t.Errorf("%s: %v", damage.name, err)
		}
	}
	if _, err := LoadImageFolder(dir, FolderOptions{Color: Gray, Cache: cache}); err != nil {
		t.Fatal(err)
	}
	if files := cacheFiles(t, cache); len(files) != 2 {
		t.Errorf("gray and RGB: cache folder holds %v, want two files", files)
	}
}

// The files Skip left out when the cache was made are offered to Skip
// again on every later load, and are an error without it.
func TestLoadImageFolderCacheSkipped(t *testing.T) {
	dir := t.TempDir()
	writeTemp(t, dir, "a.png", grayPNG(4, 4, 10))
	writeTemp(t, dir, "b.png", []byte("not a png"))
	writeTemp(t, dir, "c.png", grayPNG(4, 4, 30))
	writeTemp(t, dir, "d.png", grayPNG(3, 4, 40))
	cache := t.TempDir()
	for range 2 {
		var skipped []string
		s, err := LoadImageFolder(dir, FolderOptions{Cache: cache, Skip: func(path string, err error) bool {
			skipped = append(skipped, filepath.Base(path))
			return true
		}})
		if err != nil || s.Len() != 2 || s.Example(1)[0] != PixelValue(30) || !slices.Equal(skipped, []string{"b.png", "d.png"}) {
			t.Errorf("load with Skip: %v, skipped %v", err, skipped)
		}
	}
	_, err := LoadImageFolder(dir, FolderOptions{Cache: cache})
	if fe := asFormatError(t, err); !strings.HasSuffix(fe.File, "b.png") {
		t.Errorf("without Skip: %v, want an error naming b.png", err)
	}
}

// With several bad files and no Skip, the error names the first in load
// order, however the decoding was spread over the cores.
func TestLoadImageFolderFirstError(t *testing.T) {
	dir := t.TempDir()
	for i := range 40 {
		data := grayPNG(4, 4, uint8(i))
		if i == 17 || i == 30 || i == 31 {
			data = []byte("bad")
		}
		writeTemp(t, dir, filepath.Join("k", string(rune('A'+i/26))+string(rune('a'+i%26))+".png"), data)
	}
	for range 5 {
		_, err := LoadImageFolder(dir, FolderOptions{})
		if fe := asFormatError(t, err); !strings.HasSuffix(fe.File, "/Ar.png") {
			t.Fatalf("error %v, want the first bad file, Ar.png", err)
		}
	}
}
