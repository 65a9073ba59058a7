package datasets

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// idxBytes returns an IDX file of unsigned bytes with the given dims.
func idxBytes(dims []int, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, idxUbyte, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(data)
	return b.Bytes()
}

// gzipBytes compresses b.
func gzipBytes(b []byte) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

// seq returns n bytes 0, 1, 2, … (mod 256).
func seq(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// writeTemp writes b to a file named name in dir and returns its path.
func writeTemp(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// asFormatError returns err as a *FormatError, failing the test if it
// is not one.
func asFormatError(t testing.TB, err error) *FormatError {
	t.Helper()
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *FormatError", err, err)
	}
	return fe
}

// mkSet returns a set of n examples of shape c×h×w whose values encode
// the example index, with label i%classes.
func mkSet(n, c, h, w, classes int) *Set {
	f := c * h * w
	s := &Set{Data: make([]float32, n*f), Labels: make([]int, n), C: c, H: h, W: w, Classes: classes}
	for i := range n {
		for j := range f {
			s.Data[i*f+j] = float32(i) + float32(j)/float32(f+1)
		}
		if classes > 0 {
			s.Labels[i] = i % classes
		} else {
			s.Labels[i] = Unlabelled
		}
	}
	return s
}
