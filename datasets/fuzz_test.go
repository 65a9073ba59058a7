package datasets

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// FuzzReadIDX checks that no input makes the IDX readers panic, that
// every error is a *FormatError, and that what they accept is consistent.
func FuzzReadIDX(f *testing.F) {
	images := idxBytes([]int{2, 3, 3}, seq(18))
	labels := idxBytes([]int{4}, []byte{0, 3, 9, 255})
	for _, seed := range [][]byte{
		nil,
		{0},
		{0x1f, 0x8b},
		images,
		labels,
		idxBytes([]int{2, 3, 1, 2}, seq(12)), // (N, C, H, W)
		gzipBytes(images),
		gzipBytes(labels),
		images[:10],
		gzipBytes(images)[:15],
		append(slices.Clone(images), 1),
		append(gzipBytes(labels), gzipBytes(labels)...),
		idxBytes([]int{1 << 30, 1 << 30, 1 << 30}, nil),
		idxBytes([]int{255, 0}, nil),
		{0, 0, 9, 1, 0, 0, 0, 1, 5},
		[]byte("0,1,2\n"),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		check := func(what string, err error) {
			var fe *FormatError
			if err != nil && !errors.As(err, &fe) {
				t.Fatalf("%s: error %v (%T) is not a *FormatError", what, err, err)
			}
			if err != nil && (fe.File != "fuzz" || !strings.HasPrefix(err.Error(), "datasets: fuzz: ")) {
				t.Fatalf("%s: error %q does not name the file", what, err)
			}
		}
		idx, err := ReadIDX(bytes.NewReader(data), "fuzz")
		check("ReadIDX", err)
		if err == nil {
			n := 1
			for _, d := range idx.Dims {
				n *= d
			}
			if n != len(idx.Data) || len(idx.Dims) == 0 {
				t.Fatalf("ReadIDX: dims %v, %d bytes", idx.Dims, len(idx.Data))
			}
		}

		s, err := decodeIDXImages(bytes.NewReader(data), "fuzz", int64(len(data)))
		check("images", err)
		if err == nil {
			if err := s.Validate(); err != nil {
				t.Fatalf("images: %v", err)
			}
			if idx == nil || len(s.Values()) != len(idx.Data) {
				t.Fatal("images and ReadIDX disagree")
			}
		}

		l, classes, err := decodeIDXLabels(bytes.NewReader(data), "fuzz", int64(len(data)))
		check("labels", err)
		if err == nil && (idx == nil || len(l) != len(idx.Data) || classes != int(slices.Max(idx.Data))+1) {
			t.Fatalf("labels: %d labels, %d classes", len(l), classes)
		}
	})
}

// FuzzReadCSV checks that no input makes ReadCSV panic, that every
// error is a *FormatError (or ErrInvalidArgument for bad options), that
// accepted sets are valid, and that WriteCSV writes what ReadCSV
// reads back exactly (ScaleNone).
func FuzzReadCSV(f *testing.F) {
	for _, seed := range []struct {
		data   string
		header bool
		label  int8
		scale  uint8
		shape  uint8
	}{
		{"1,0,255,3,4\n0,1,2,3,4\n", false, 0, 0, 0},
		{"label,a,b\n1,0.5,0.25\n", true, 0, 1, 0},
		{"a,b,y\n1.5,-2,3\n", true, 2, 2, 0},
		{"1,2\n1\n", false, 0, 0, 0},
		{"1,NaN\n", false, -1, 2, 0},
		{"\"1\",\"2\n", false, 0, 0, 0},
		{"", false, 0, 0, 0},
		{"x\n", true, -1, 0, 0},
		{"1,2,3,4,5,6,7\n", false, 6, 2, 1},
		{"-1,2\n", false, 0, 0, 0},
		{"2.5,1e400,inf\n", false, 0, 2, 0},
		{"0,1,2,3\r\n\r\n4,5,6,7", false, 3, 0, 0},
		{"100000,1\n0,2\n", false, 0, 0, 0}, // issue 15, row 13
		{"1000,1\n0,2\n1,3\n", false, 0, 0, 0},
		{"2147483647,1\n", false, 0, 0, 0},
	} {
		f.Add([]byte(seed.data), seed.header, seed.label, seed.scale, seed.shape)
	}
	f.Fuzz(func(t *testing.T, data []byte, header bool, label int8, scale, shape uint8) {
		opts := CSVOptions{
			Header:       header,
			DetectHeader: shape&4 != 0,
			LabelColumn:  int(label),
			Scale:        Scale(scale % 4),
			Classes:      int(shape >> 4),
		}
		if label == -100 {
			opts.LabelName = "label"
		}
		if shape&3 == 1 {
			opts.C, opts.H, opts.W = 1, 2, 3
		}
		s, err := ReadCSV(bytes.NewReader(data), "fuzz.csv", opts)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) && !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("error %v (%T) is neither a *FormatError nor ErrInvalidArgument", err, err)
			}
			if fe != nil && fe.File != "fuzz.csv" {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("accepted an invalid set: %v", err)
		}
		if s.Len() == 0 {
			t.Fatal("accepted a set with no examples")
		}
		if opts.Classes == 0 && opts.labelled() {
			distinct := map[int]bool{}
			for _, l := range s.Labels {
				distinct[l] = true
			}
			if s.Classes > 2*len(distinct)+10 {
				t.Fatalf("inferred %d classes from %d distinct labels", s.Classes, len(distinct))
			}
		}
		if opts.Scale != ScaleNone {
			for _, v := range s.Values() {
				if v < -1 || v > 1 {
					t.Fatalf("%v: value %v outside [-1, 1]", opts.Scale, v)
				}
			}
			return
		}
		// Round trip in the file's own layout, s.Columns.
		var b bytes.Buffer
		if err := WriteCSV(&b, s, CSVOptions{Scale: ScaleNone}); err != nil {
			t.Fatalf("WriteCSV in the layout %+v: %v", s.Columns, err)
		}
		again := opts
		again.Header = s.Columns.Header // a header of numbers is not detected
		got, err := ReadCSV(&b, "again.csv", again)
		if err != nil {
			t.Fatalf("reading back in the layout %+v: %v", s.Columns, err)
		}
		if !slices.Equal(got.Labels, s.Labels) || got.Classes != s.Classes || !slices.Equal(got.Values(), s.Values()) ||
			!reflect.DeepEqual(got.Columns, s.Columns) {
			t.Fatalf("round trip changed the set: %+v (%+v) -> %+v (%+v)", s, s.Columns, got, got.Columns)
		}

		// Round trip without a header, which WriteCSV names its own way.
		opts.IgnoreColumns = true
		if opts.labelled() {
			opts.LabelColumn = min(max(opts.LabelColumn, 0), s.Features())
		}
		opts.Header, opts.DetectHeader, opts.LabelName = false, false, ""
		opts.C, opts.H, opts.W = s.C, s.H, s.W
		b.Reset()
		if err := WriteCSV(&b, s, opts); err != nil {
			t.Fatalf("WriteCSV: %v", err)
		}
		got, err = ReadCSV(&b, "again.csv", opts)
		if err != nil {
			t.Fatalf("reading back: %v", err)
		}
		if !slices.Equal(got.Labels, s.Labels) || got.Classes != s.Classes ||
			!slices.EqualFunc(got.Values(), s.Values(), func(a, b float32) bool { return a == b || math.IsNaN(float64(a)) }) {
			t.Fatalf("round trip changed the set: %+v -> %+v", s, got)
		}
	})
}

// FuzzDecodeImage feeds the image-folder decoder arbitrary bytes, seeded
// with small PNG, GIF and JPEG files. It must never panic, and an image it
// accepts has the size its header states, within MaxImagePixels.
func FuzzDecodeImage(f *testing.F) {
	img := image.NewGray(image.Rect(0, 0, 3, 2))
	for i := range img.Pix {
		img.Pix[i] = uint8(40 * i)
	}
	for _, enc := range []func(io.Writer, image.Image) error{
		png.Encode,
		func(w io.Writer, m image.Image) error { return gif.Encode(w, m, nil) },
		func(w io.Writer, m image.Image) error { return jpeg.Encode(w, m, nil) },
	} {
		var b bytes.Buffer
		if err := enc(&b, img); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
	f.Add(hugePNGHeader(100000, 100000))
	// the bounded streaming reads: bytes after an image, a GIF whose frame
	// covers part of its canvas
	f.Add(append(grayPNG(3, 2, 9), make([]byte, 4096)...))
	var sub bytes.Buffer
	pal := color.Palette{color.Black, color.White}
	if err := gif.EncodeAll(&sub, &gif.GIF{Image: []*image.Paletted{image.NewPaletted(image.Rect(1, 1, 3, 3), pal)}, Delay: []int{0},
		Config: image.Config{ColorModel: pal, Width: 4, Height: 4}}); err != nil {
		f.Fatal(err)
	}
	f.Add(sub.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeImage(bytes.NewReader(data), "fuzz", image.Point{}, "")
		if err != nil {
			return
		}
		b := m.Bounds()
		if b.Dx() <= 0 || b.Dy() <= 0 || b.Dx()*b.Dy() > MaxImagePixels {
			t.Fatalf("accepted a %d×%d image", b.Dx(), b.Dy())
		}
	})
}

// hugePNGHeader is a PNG whose header claims a w×h grey image, with valid
// chunk checksums but pixel data for 1×1 only.
func hugePNGHeader(w, h uint32) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		panic(err)
	}
	p := b.Bytes()
	// signature (8), IHDR length (4), "IHDR" (4), width, height, ..., CRC
	binary.BigEndian.PutUint32(p[16:], w)
	binary.BigEndian.PutUint32(p[20:], h)
	binary.BigEndian.PutUint32(p[29:], crc32.ChecksumIEEE(p[12:29]))
	return p
}

// A small file claiming a 100000×100000 image is refused from its header,
// before any pixel is allocated (issue 12, fuzzing of the folder reader).
func TestDecodeImageRefusesHugeHeader(t *testing.T) {
	_, err := decodeImage(bytes.NewReader(hugePNGHeader(100000, 100000)), "huge.png", image.Point{}, "")
	var fe *FormatError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "above the limit") || !strings.Contains(err.Error(), "huge.png") {
		t.Errorf("error %v, want a *FormatError naming huge.png and the limit", err)
	}
	if _, err := decodeImage(bytes.NewReader(hugePNGHeader(3, 3)), "short.png", image.Point{}, ""); err == nil {
		t.Error("a 3×3 header over 1×1 pixel data decoded without error")
	}
}

// FuzzCacheTrailer checks that no content of a folder cache file makes
// its reader panic, and that what it accepts describes exactly the bytes
// before the trailer, with labels in range.
func FuzzCacheTrailer(f *testing.F) {
	valid := func(tr cacheTrailer, pix []byte) []byte {
		raw, _ := json.Marshal(&tr)
		raw = binary.LittleEndian.AppendUint64(raw, uint64(len(raw)))
		return append(append(slices.Clone(pix), raw...), cacheMagic...)
	}
	good := valid(cacheTrailer{Version: cacheVersion, N: 2, C: 1, H: 2, W: 2, Classes: 2, ClassNames: []string{"a", "b"}, Labels: []int{0, 1}}, seq(8))
	for _, seed := range [][]byte{
		nil,
		[]byte(cacheMagic),
		good,
		good[:len(good)-1],
		good[3:],
		valid(cacheTrailer{Version: cacheVersion, N: 1, C: 1, H: 2, W: 2, Labels: []int{5}}, seq(4)),
		valid(cacheTrailer{Version: cacheVersion, N: 1, C: 1, H: 2, W: 2, Labels: []int{-1}}, seq(5)),
		valid(cacheTrailer{Version: 99, N: 1, C: 1, H: 2, W: 2, Labels: []int{-1}}, seq(4)),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "c.pixels")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		fh, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		tr, pixBytes, ok := readTrailer(fh)
		if !ok {
			return
		}
		if int64(tr.N*tr.C*tr.H*tr.W) != pixBytes || len(tr.Labels) != tr.N || len(tr.ClassNames) != tr.Classes {
			t.Fatalf("accepted an inconsistent trailer %+v for %d pixel bytes", tr, pixBytes)
		}
		s := tr.set(fh)
		if err := s.Validate(); err != nil {
			t.Fatalf("accepted a trailer whose set fails Validate: %v", err)
		}
		for i := range s.Len() {
			s.Example(i)
		}
	})
}
