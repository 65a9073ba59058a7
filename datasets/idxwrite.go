package datasets

import (
	"compress/gzip"
	"encoding/binary"
	"io"
	"math"
	"path/filepath"
	"runtime"
	"strings"
)

// WriteIDX writes idx to w as an IDX file of unsigned bytes (element
// type 0x08), gzip-compressed if gz is set, so that ReadIDX reads it back.
//
// WriteIDX returns an error wrapping ErrInvalidArgument, and writes
// nothing, if idx is nil, has no dimensions or more than 255, a dimension
// that is not positive or does not fit in 32 bits, more values than
// ReadIDX accepts, or len(idx.Data) differs from the product of the
// dimensions.
func WriteIDX(w io.Writer, idx *IDX, gz bool) error {
	if idx == nil {
		return argError("WriteIDX of a nil *IDX")
	}
	if err := checkIDXDims(idx.Dims); err != nil {
		return err
	}
	n := 1
	for _, d := range idx.Dims {
		n *= d
	}
	if len(idx.Data) != n {
		return argError("IDX dimensions %v hold %d values, len(Data) = %d", idx.Dims, n, len(idx.Data))
	}
	return encodeIDX(w, idx.Dims, gz, func(w io.Writer) error {
		if _, err := w.Write(idx.Data); err != nil {
			return wrapIO(err)
		}
		return nil
	})
}

// checkIDXDims reports dimensions that an IDX header cannot hold or that
// ReadIDX would refuse.
func checkIDXDims(dims []int) error {
	if len(dims) == 0 || len(dims) > 255 {
		return argError("IDX file with %d dimensions, want 1 to 255", len(dims))
	}
	total := 1
	for i, d := range dims {
		if d <= 0 || uint64(d) > math.MaxUint32 {
			return argError("IDX dimension %d is %d, want 1 to %d", i, d, uint32(math.MaxUint32))
		}
		if total > maxIDXValues/d {
			return argError("IDX dimensions %v hold more than %d values", dims, maxIDXValues)
		}
		total *= d
	}
	return nil
}

// encodeIDX writes the IDX header of dims, then calls payload to write
// the values, through a gzip writer if gz is set. dims have passed
// checkIDXDims.
func encodeIDX(w io.Writer, dims []int, gz bool, payload func(w io.Writer) error) error {
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(w)
		w = zw
	}
	hdr := make([]byte, 4+4*len(dims))
	hdr[2] = idxUbyte
	hdr[3] = byte(len(dims))
	for i, d := range dims {
		binary.BigEndian.PutUint32(hdr[4+4*i:], uint32(d))
	}
	if _, err := w.Write(hdr); err != nil {
		return wrapIO(err)
	}
	if err := payload(w); err != nil {
		return err
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return wrapIO(err)
		}
	}
	return nil
}

// SaveIDX writes the labelled set s as an IDX image file at imagesPath
// and an IDX label file at labelsPath, so that LoadIDX(imagesPath,
// labelsPath) reads it back. A file whose name ends in ".gz" (in any
// case) is gzip-compressed, any other is raw.
//
// The image file holds one unsigned byte per value, PixelByte(v): idx3
// with dimensions (N, H, W) when s.C == 1, the layout of the MNIST files,
// and idx4 with dimensions (N, C, H, W), the layout of Set.Data, when
// s.C > 1. Values are thus quantised to the 256 values of PixelValue;
// values outside [-1, 1] are clamped to -1 and 1 (bytes 0 and 255). The
// label file is idx1 with dimension (N), one byte per label.
//
// The format keeps neither Classes nor ClassNames: LoadIDX sets Classes
// to the largest label + 1, which is s.Classes only if the last class has
// an example.
//
// SaveIDX returns an error, and writes nothing, if s is nil or has no
// examples, if s fails Validate (a NaN or ±Inf value, named by its
// example index, or a label not below s.Classes), if an example is
// Unlabelled or has a label above 255 (the most a byte holds), or if both
// paths name the same file. The errors wrap ErrInvalidArgument (nil set,
// same path) or ErrInvalid.
//
// Each file is written atomically, to a temporary file in its directory
// renamed to its path once complete; both are complete before either is
// renamed, so that a failed write never pairs new images with old labels
// (short of a failing rename).
func SaveIDX(imagesPath, labelsPath string, s *Set) error {
	if s == nil {
		return argError("SaveIDX of a nil *Set")
	}
	if filepath.Clean(imagesPath) == filepath.Clean(labelsPath) {
		return argError("SaveIDX: images and labels both go to %s", imagesPath)
	}
	if s.Len() == 0 {
		return invalidError("SaveIDX: set has no examples (an IDX dimension cannot be 0)")
	}
	if err := s.Validate(); err != nil {
		return err
	}
	for i, l := range s.Labels {
		switch {
		case l == Unlabelled:
			return invalidError("example %d is Unlabelled: an IDX label file cannot hold it", i)
		case l > 255:
			return invalidError("example %d: label %d does not fit in the byte of an IDX label file (0..255)", i, l)
		}
	}
	dims := []int{s.Len(), s.C, s.H, s.W}
	if s.C == 1 {
		dims = []int{s.Len(), s.H, s.W}
	}
	if err := checkIDXDims(dims); err != nil {
		return err
	}

	f := s.Features()
	images, err := stageFile(imagesPath, func(w io.Writer) error {
		return encodeIDX(w, dims, isGzipName(imagesPath), func(w io.Writer) error {
			scratch := make([]byte, f)
			for i := range s.Len() {
				if _, err := w.Write(s.pixelBytes(scratch, i)); err != nil {
					return wrapIO(err)
				}
			}
			runtime.KeepAlive(s)
			return nil
		})
	})
	if err != nil {
		return err
	}
	labels, err := stageFile(labelsPath, func(w io.Writer) error {
		return encodeIDX(w, []int{s.Len()}, isGzipName(labelsPath), func(w io.Writer) error {
			buf := make([]byte, s.Len())
			for i, l := range s.Labels {
				buf[i] = byte(l)
			}
			if _, err := w.Write(buf); err != nil {
				return wrapIO(err)
			}
			return nil
		})
	})
	if err != nil {
		images.Discard()
		return err
	}
	if err := images.Commit(); err != nil {
		labels.Discard()
		return wrapFileOp(err)
	}
	return wrapFileOp(labels.Commit())
}

// isGzipName reports whether path ends in ".gz", in any case.
func isGzipName(path string) bool {
	return strings.EqualFold(filepath.Ext(path), ".gz")
}
