package datasets

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// IDX is the content of an IDX file of unsigned bytes, the format of the
// MNIST, Fashion-MNIST, KMNIST and EMNIST files (http://yann.lecun.com/exdb/mnist/).
type IDX struct {
	// Dims holds the size of each dimension, outermost first; an
	// idx3 image file has (N, rows, columns), an idx1 label file (N).
	Dims []int

	// Data holds the product of Dims bytes, in row-major order.
	Data []byte
}

const (
	idxUbyte     = 0x08     // the only element type supported
	maxIDXValues = 1 << 36  // refuse files claiming more values
	idxChunk     = 1 << 16  // read size for the payload
	unknownCap   = 1 << 20  // initial capacity when the size cannot be bounded
	deflateRatio = 1032 + 1 // deflate cannot expand input more than this
	pipelineMin  = 1 << 22  // payloads from this size are read concurrently
)

// ReadIDX reads an IDX file of unsigned bytes (element type 0x08) from r,
// gzip-compressed or raw: compression is detected from the first bytes,
// not from the name. name is used in errors only. Every dimension must be
// positive and the data must end exactly after the last value; for gzip
// the checksum is verified.
//
// Malformed content gives a *FormatError whose Offset counts bytes of the
// decompressed stream.
func ReadIDX(r io.Reader, name string) (*IDX, error) {
	d, err := openIDX(r, name, -1)
	if err != nil {
		return nil, err
	}
	data := make([]byte, 0, d.initialCap())
	err = d.payload(func(chunk []byte) { data = append(data, chunk...) })
	if err != nil {
		return nil, err
	}
	return &IDX{Dims: d.dims, Data: data}, nil
}

// LoadIDX loads a set of gray images from an idx3 image file, holding
// (N, H, W) bytes, and an idx1 label file holding N labels, such as the
// MNIST, Fashion-MNIST, KMNIST and EMNIST files. Each may be
// gzip-compressed or raw (detected from its first bytes). The set has
// C = 1, pixel p stored as p/127.5 - 1 and Classes = the largest label + 1
// (EMNIST letters, labelled 1..26, thus get 27 classes, class 0 empty).
// EMNIST images are stored transposed: see Set.Transpose.
//
// An idx4 image file is read as (N, C, H, W) bytes, the layout of
// Set.Data, giving a set of C channels; SaveIDX writes colour sets so.
//
// Malformed content, such as a wrong magic number, wrong dimensions,
// truncated or corrupt data, or a label count that differs from the image
// count, gives a *FormatError naming the file.
func LoadIDX(imagesPath, labelsPath string) (*Set, error) {
	s, err := loadIDXImages(imagesPath)
	if err != nil {
		return nil, err
	}
	labels, classes, err := loadIDXLabels(labelsPath)
	if err != nil {
		return nil, err
	}
	if len(labels) != s.Len() {
		return nil, fileError(labelsPath, nil, "has %d labels but %s has %d images", len(labels), imagesPath, s.Len())
	}
	s.Labels = labels
	s.Classes = classes
	return s, nil
}

// loadIDXImages reads an idx3 or idx4 image file into a Set with no
// labels yet; s.Labels is sized N and filled with Unlabelled.
func loadIDXImages(path string) (*Set, error) {
	f, size, err := openFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decodeIDXImages(f, path, size)
}

// decodeIDXImages decodes an idx3 (N, H, W) or idx4 (N, C, H, W) image
// stream; size is the stream's length in bytes, or -1 if unknown.
func decodeIDXImages(r io.Reader, name string, size int64) (*Set, error) {
	d, err := openIDX(r, name, size)
	if err != nil {
		return nil, err
	}
	if len(d.dims) != 3 && len(d.dims) != 4 {
		return nil, offsetError(name, 3, nil, "image file has %d dimensions %v, want 3 (N, rows, columns) or 4 (N, channels, rows, columns)", len(d.dims), d.dims)
	}
	// The payload is copied straight into the set's pixels; a stream of
	// unknown length gets memory as data arrives.
	var data []byte
	var mem *mapping
	if d.initialCap() == d.total {
		data, mem = allocPixels(d.total)
		data = data[:0]
	} else {
		data = make([]byte, 0, d.initialCap())
	}
	payload := d.payload
	if d.total >= pipelineMin {
		payload = d.payloadPipelined
	}
	err = payload(func(chunk []byte) {
		if mem != nil && len(data)+len(chunk) > cap(data) {
			panic("datasets: IDX payload beyond its dimensions") // read stops at d.total
		}
		data = append(data, chunk...)
	})
	if err != nil {
		if mem != nil {
			mem.unmap()
		}
		return nil, err
	}
	n := d.dims[0]
	labels := make([]int, n)
	for i := range labels {
		labels[i] = Unlabelled
	}
	c := 1
	if len(d.dims) == 4 {
		c = d.dims[1]
	}
	return newStoreSet(data, mem, labels, c, d.dims[len(d.dims)-2], d.dims[len(d.dims)-1], 0), nil
}

// loadIDXLabels reads an idx1 label file and returns the labels and the
// largest label + 1.
func loadIDXLabels(path string) (labels []int, classes int, err error) {
	f, size, err := openFile(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	return decodeIDXLabels(f, path, size)
}

// decodeIDXLabels decodes an idx1 label stream; size is the stream's
// length in bytes, or -1 if unknown.
func decodeIDXLabels(r io.Reader, name string, size int64) (labels []int, classes int, err error) {
	d, err := openIDX(r, name, size)
	if err != nil {
		return nil, 0, err
	}
	if len(d.dims) != 1 {
		return nil, 0, offsetError(name, 3, nil, "label file has %d dimensions %v, want 1 (N)", len(d.dims), d.dims)
	}
	labels = make([]int, 0, d.initialCap())
	err = d.payload(func(chunk []byte) {
		for _, l := range chunk {
			labels = append(labels, int(l))
			classes = max(classes, int(l)+1)
		}
	})
	if err != nil {
		return nil, 0, err
	}
	return labels, classes, nil
}

// openFile opens path for reading and returns its size.
func openFile(path string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("datasets: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("datasets: %w", err)
	}
	return f, st.Size(), nil
}

// idxDecoder reads the payload of an IDX stream whose header it has read.
type idxDecoder struct {
	name   string
	r      io.Reader
	off    int64 // bytes of the (decompressed) stream consumed
	dims   []int
	total  int   // number of payload bytes
	bound  int64 // most payload bytes the input can hold, -1 if unknown
	header int64 // header length
}

// openIDX detects compression and reads the IDX header from r. size is
// the length of r in bytes, or -1 if unknown; it bounds the initial
// allocation and lets a truncated raw file be reported before reading.
func openIDX(r io.Reader, name string, size int64) (*idxDecoder, error) {
	br := bufio.NewReaderSize(r, idxChunk)
	d := &idxDecoder{name: name, r: br, bound: -1}
	magic, err := br.Peek(2)
	switch {
	case len(magic) == 0 && err == io.EOF:
		return nil, offsetError(name, 0, nil, "empty file")
	case len(magic) < 2 && err != nil && err != io.EOF:
		return nil, fmt.Errorf("datasets: %s: %w", name, err)
	}
	gz := len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b
	if gz {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, d.readError(err, "gzip header")
		}
		d.r = zr
		if size >= 0 {
			d.bound = size * deflateRatio
		}
	} else if size >= 0 {
		d.bound = size
	}

	var hdr [4]byte
	if n, err := io.ReadFull(d.r, hdr[:]); err != nil {
		if n == 0 && err == io.EOF {
			return nil, offsetError(name, 0, nil, "empty IDX stream")
		}
		return nil, d.readError(err, "IDX magic number")
	}
	if hdr[0] != 0 || hdr[1] != 0 {
		return nil, offsetError(name, 0, nil, "bad magic number 0x%02x%02x%02x%02x: not an IDX file (want 0x0000TTNN)", hdr[0], hdr[1], hdr[2], hdr[3])
	}
	if hdr[2] != idxUbyte {
		return nil, offsetError(name, 2, nil, "unsupported element type 0x%02x, want 0x%02x (unsigned byte)", hdr[2], idxUbyte)
	}
	nd := int(hdr[3])
	if nd == 0 {
		return nil, offsetError(name, 3, nil, "IDX file has 0 dimensions")
	}
	d.off = 4
	raw := make([]byte, 4*nd)
	if _, err := io.ReadFull(d.r, raw); err != nil {
		return nil, d.readError(err, "IDX dimensions")
	}
	d.dims = make([]int, nd)
	total := 1
	for i := range d.dims {
		v := int(binary.BigEndian.Uint32(raw[4*i:]))
		if v == 0 {
			return nil, offsetError(name, 4+4*int64(i), nil, "dimension %d is 0", i)
		}
		d.dims[i] = v // before the message below quotes it
		if total > maxIDXValues/v {
			return nil, offsetError(name, 4+4*int64(i), nil, "dimensions %v hold more than %d values", d.dims[:i+1], maxIDXValues)
		}
		total *= v
	}
	d.total = total
	d.off += int64(len(raw))
	d.header = d.off
	if !gz && d.bound >= 0 && d.header+int64(total) > d.bound {
		return nil, offsetError(name, d.bound, nil, "truncated: dimensions %v need %d data bytes, file has %d", d.dims, total, d.bound-d.header)
	}
	return d, nil
}

// initialCap returns a safe initial capacity for the payload: its size
// if the input can hold it, else a small one that grows as data arrives.
func (d *idxDecoder) initialCap() int {
	if d.bound >= 0 && int64(d.total) <= d.bound {
		return d.total
	}
	return min(d.total, unknownCap)
}

// payload passes the payload to sink in chunks, then checks that the
// stream ends there (which also verifies a gzip checksum).
func (d *idxDecoder) payload(sink func(chunk []byte)) error {
	buf := make([]byte, idxChunk)
	return d.read(func() []byte { return buf }, sink)
}

// payloadPipelined is payload with reading (and decompression) in a
// goroutine of its own, overlapping the work of sink. It pays off for
// large payloads only.
func (d *idxDecoder) payloadPipelined(sink func(chunk []byte)) error {
	const nbuf = 4
	free := make(chan []byte, nbuf)
	full := make(chan []byte, nbuf)
	for range nbuf {
		free <- make([]byte, 4*idxChunk)
	}
	errc := make(chan error, 1)
	go func() {
		defer close(full)
		errc <- d.read(func() []byte { return <-free }, func(chunk []byte) { full <- chunk })
	}()
	for chunk := range full {
		sink(chunk)
		free <- chunk[:cap(chunk)]
	}
	return <-errc
}

// read reads the payload into buffers from next, passing each filled
// one to emit, then checks that the stream ends there.
func (d *idxDecoder) read(next func() []byte, emit func(chunk []byte)) error {
	remaining := d.total
	for remaining > 0 {
		buf := next()
		n, err := io.ReadFull(d.r, buf[:min(len(buf), remaining)])
		if n > 0 {
			d.off += int64(n)
			remaining -= n
			emit(buf[:n])
		}
		if err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return offsetError(d.name, d.off, nil, "truncated: dimensions %v need %d data bytes, got %d", d.dims, d.total, d.off-d.header)
			}
			return d.readError(err, "IDX data")
		}
	}
	var one [1]byte
	n, err := io.ReadFull(d.r, one[:])
	if n > 0 {
		return offsetError(d.name, d.off, nil, "trailing data after %d values of dimensions %v", d.total, d.dims)
	}
	switch {
	case err == io.EOF:
		return nil
	case err == io.ErrUnexpectedEOF || errors.Is(err, gzip.ErrHeader):
		return offsetError(d.name, d.off, err, "bad end of gzip stream after the data (truncated trailer or trailing garbage)")
	}
	return d.readError(err, "end of data")
}

// readError turns an error met while reading part of the stream into a
// *FormatError, or wraps an I/O error.
func (d *idxDecoder) readError(err error, what string) error {
	var corrupt flate.CorruptInputError
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return offsetError(d.name, d.off, nil, "truncated %s", what)
	case errors.Is(err, gzip.ErrHeader):
		return offsetError(d.name, d.off, err, "corrupt gzip stream reading %s", what)
	case errors.Is(err, gzip.ErrChecksum):
		return offsetError(d.name, d.off, err, "corrupt gzip data")
	case errors.As(err, &corrupt):
		return offsetError(d.name, d.off, err, "corrupt gzip data reading %s", what)
	}
	return fmt.Errorf("datasets: %s: reading %s: %w", d.name, what, err)
}
