package datasets

import (
	"bytes"
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"
)

func TestReadIDX(t *testing.T) {
	raw := idxBytes([]int{2, 3, 4}, seq(24))
	for i, test := range []struct {
		in []byte
	}{
		{raw},
		{gzipBytes(raw)},
		{append(gzipBytes(raw[:10]), gzipBytes(raw[10:])...)}, // multi-member gzip
	} {
		got, err := ReadIDX(bytes.NewReader(test.in), "x.idx")
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if !slices.Equal(got.Dims, []int{2, 3, 4}) || !bytes.Equal(got.Data, seq(24)) {
			t.Errorf("%d: got dims %v data %v", i, got.Dims, got.Data)
		}
	}
}

func TestReadIDXErrors(t *testing.T) {
	good := idxBytes([]int{2, 3}, seq(6))
	corrupt := gzipBytes(idxBytes([]int{100}, seq(100)))
	corrupt[len(corrupt)/2] ^= 0xff
	badSum := gzipBytes(good)
	badSum[len(badSum)-6] ^= 0xff // the CRC-32 in the trailer
	for i, test := range []struct {
		name string
		in   []byte
		off  int64
		msg  string
	}{
		{"empty", nil, 0, "empty file"},
		{"one byte", []byte{0}, 0, "truncated IDX magic"},
		{"bad magic", []byte{1, 2, 8, 1, 0, 0, 0, 1, 0}, 0, "bad magic number 0x01020801"},
		{"text", []byte("hello, world"), 0, "bad magic"},
		{"float type", []byte{0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0}, 2, "unsupported element type 0x0d"},
		{"no dims", []byte{0, 0, 8, 0}, 3, "0 dimensions"},
		{"zero dim", idxBytes([]int{2, 0}, nil), 8, "dimension 1 is 0"},
		// issue 24, row 24: the message quoted the offending dimension as 0
		{"huge", idxBytes([]int{1 << 20, 1 << 20}, nil), 8, "dimensions [1048576 1048576] hold more than"},
		{"truncated dims", good[:9], 4, "truncated IDX dimensions"},
		{"truncated data", good[:len(good)-1], 17, "truncated: dimensions [2 3] need 6 data bytes, got 5"},
		{"trailing data", append(slices.Clone(good), 7), 18, "trailing data"},
		{"truncated gzip", gzipBytes(good)[:20], -2, "truncated"},
		{"truncated gzip header", gzipBytes(good)[:5], -2, "truncated gzip header"},
		{"corrupt gzip", corrupt, -2, "corrupt gzip data"},
		{"bad checksum", badSum, -2, "corrupt gzip data"},
		{"gzip garbage after", append(gzipBytes(good), 1, 2, 3), -2, "bad end of gzip stream"},
		{"gzip long garbage after", append(gzipBytes(good), bytes.Repeat([]byte{9}, 20)...), -2, "bad end of gzip stream"},
		{"truncated gzip trailer", gzipBytes(good)[:len(gzipBytes(good))-3], -2, "gzip"},
		{"empty gzip", gzipBytes(nil), 0, "empty IDX stream"},
	} {
		_, err := ReadIDX(bytes.NewReader(test.in), test.name)
		if err == nil {
			t.Errorf("%d %s: no error", i, test.name)
			continue
		}
		fe := asFormatError(t, err)
		if fe.File != test.name || !strings.HasPrefix(err.Error(), "datasets: "+test.name+": ") {
			t.Errorf("%d %s: error %q does not name the file", i, test.name, err)
		}
		if !strings.Contains(err.Error(), test.msg) {
			t.Errorf("%d %s: error %q does not contain %q", i, test.name, err, test.msg)
		}
		if test.off != -2 && fe.Offset != test.off {
			t.Errorf("%d %s: offset %d, want %d", i, test.name, fe.Offset, test.off)
		}
		if fe.Offset < 0 {
			t.Errorf("%d %s: no offset in %q", i, test.name, err)
		}
	}
}

func TestLoadIDX(t *testing.T) {
	dir := t.TempDir()
	pix := seq(3 * 2 * 4)
	images := idxBytes([]int{3, 2, 4}, pix)
	labels := idxBytes([]int{3}, []byte{4, 0, 2})
	for i, test := range []struct{ images, labels []byte }{
		{images, labels},
		{gzipBytes(images), gzipBytes(labels)},
		{gzipBytes(images), labels},
	} {
		// Names do not matter: compression is detected from the content.
		ip := writeTemp(t, dir, "img.bin", test.images)
		lp := writeTemp(t, dir, "lab.gz", test.labels)
		s, err := LoadIDX(ip, lp)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if s.Len() != 3 || s.C != 1 || s.H != 2 || s.W != 4 || s.Classes != 5 || !slices.Equal(s.Labels, []int{4, 0, 2}) {
			t.Errorf("%d: got %d×%d×%d×%d, classes %d, labels %v", i, s.Len(), s.C, s.H, s.W, s.Classes, s.Labels)
		}
		vals := s.Values()
		for j, p := range pix {
			if vals[j] != PixelValue(p) {
				t.Fatalf("%d: Data[%d] = %v, want %v", i, j, vals[j], PixelValue(p))
			}
		}
	}
}

func TestLoadIDXErrors(t *testing.T) {
	dir := t.TempDir()
	images := writeTemp(t, dir, "images", idxBytes([]int{3, 2, 2}, seq(12)))
	labels := writeTemp(t, dir, "labels", idxBytes([]int{3}, []byte{1, 2, 3}))
	for i, test := range []struct {
		images, labels string
		file           string // the file the error must name
		msg            string
	}{
		{images, writeTemp(t, dir, "short-labels", idxBytes([]int{2}, []byte{1, 2})), "short-labels", "has 2 labels but"},
		{writeTemp(t, dir, "flat-images", idxBytes([]int{12}, seq(12))), labels, "flat-images", "want 3 (N, rows, columns)"},
		{images, writeTemp(t, dir, "2d-labels", idxBytes([]int{3, 1}, seq(3))), "2d-labels", "want 1 (N)"},
		{writeTemp(t, dir, "trunc-images", idxBytes([]int{3, 2, 2}, seq(11))), labels, "trunc-images", "truncated"},
		{writeTemp(t, dir, "trunc-images.gz", gzipBytes(idxBytes([]int{3, 2, 2}, seq(11)))), labels, "trunc-images.gz", "truncated"},
		{writeTemp(t, dir, "empty", nil), labels, "empty", "empty file"},
	} {
		_, err := LoadIDX(test.images, test.labels)
		if err == nil {
			t.Errorf("%d: no error", i)
			continue
		}
		fe := asFormatError(t, err)
		if !strings.HasSuffix(fe.File, test.file) || !strings.Contains(err.Error(), test.msg) {
			t.Errorf("%d: error %q, want one naming %s with %q", i, err, test.file, test.msg)
		}
	}
	_, err := LoadIDX(dir+"/missing", labels)
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "datasets: ") {
		t.Errorf("missing file: error %v", err)
	}
}

// TestLoadIDXLarge covers the concurrent reader used for large payloads.
func TestLoadIDXLarge(t *testing.T) {
	dir := t.TempDir()
	n := pipelineMin/64 + 3
	pix := make([]byte, n*64)
	for i := range pix {
		pix[i] = byte(i * 7)
	}
	ip := writeTemp(t, dir, "images.gz", gzipBytes(idxBytes([]int{n, 8, 8}, pix)))
	lp := writeTemp(t, dir, "labels", idxBytes([]int{n}, make([]byte, n)))
	s, err := LoadIDX(ip, lp)
	if err != nil {
		t.Fatal(err)
	}
	vals := s.Values()
	for j, p := range pix {
		if vals[j] != PixelValue(p) {
			t.Fatalf("Data[%d] = %v, want %v", j, vals[j], PixelValue(p))
		}
	}
	ip = writeTemp(t, dir, "trunc.gz", gzipBytes(idxBytes([]int{n + 1, 8, 8}, pix)))
	_, err = LoadIDX(ip, lp)
	if fe := asFormatError(t, err); !strings.Contains(fe.Msg, "truncated") || fe.Offset != int64(16+len(pix)) {
		t.Errorf("truncated large file: %v", err)
	}
}
