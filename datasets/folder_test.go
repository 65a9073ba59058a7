package datasets

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// pngOf returns a PNG of a w×h image whose pixel (x, y) is f(x, y).
func pngOf(w, h int, f func(x, y int) color.Color) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, f(x, y))
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

func grayPNG(w, h int, v uint8) []byte {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = v
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

func TestLoadImageFolder(t *testing.T) {
	// Labelled: two classes, images in PNG (gray and colour), JPEG and GIF.
	dir := t.TempDir()
	writeTemp(t, dir, "cat/b.png", grayPNG(3, 2, 255))
	writeTemp(t, dir, "cat/a.PNG", grayPNG(3, 2, 0))
	writeTemp(t, dir, "dog/x.png", pngOf(3, 2, func(x, y int) color.Color { return color.NRGBA{255, 0, 0, 255} }))
	var jb, gb bytes.Buffer
	gimg := image.NewGray(image.Rect(0, 0, 3, 2))
	jpeg.Encode(&jb, gimg, &jpeg.Options{Quality: 100})
	gif.Encode(&gb, gimg, nil)
	writeTemp(t, dir, "dog/y.jpg", jb.Bytes())
	writeTemp(t, dir, "dog/z.gif", gb.Bytes())
	writeTemp(t, dir, ".DS_Store", []byte("junk"))
	writeTemp(t, dir, "dog/.hidden", []byte("junk"))

	s, err := LoadImageFolder(dir, FolderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if s.Len() != 5 || s.C != 1 || s.H != 2 || s.W != 3 || s.Classes != 2 || !slices.Equal(s.ClassNames, []string{"cat", "dog"}) {
		t.Fatalf("got %d examples %d×%d×%d, classes %v", s.Len(), s.C, s.H, s.W, s.ClassNames)
	}
	if !slices.Equal(s.Labels, []int{0, 0, 1, 1, 1}) {
		t.Errorf("labels %v", s.Labels)
	}
	// a.PNG (black) sorts before b.png (white).
	if s.Example(0)[0] != -1 || s.Example(1)[0] != 1 {
		t.Errorf("cat values %v, %v", s.Example(0)[0], s.Example(1)[0])
	}
	// Red in gray: color.GrayModel gives 0.299*255 ≈ 76.
	if got, want := s.Example(2)[0], PixelValue(76); math.Abs(float64(got-want)) > 0.01 {
		t.Errorf("red as gray = %v, want %v", got, want)
	}

	rgb, err := LoadImageFolder(dir, FolderOptions{Color: RGB})
	if err != nil {
		t.Fatal(err)
	}
	if rgb.C != 3 {
		t.Fatalf("RGB C = %d", rgb.C)
	}
	red := rgb.Example(2) // planes R, G, B of 6 pixels each
	if red[0] != 1 || red[6] != -1 || red[12] != -1 {
		t.Errorf("red pixel as RGB = %v, %v, %v", red[0], red[6], red[12])
	}
	if white := rgb.Example(1); white[0] != 1 || white[6] != 1 || white[17] != 1 {
		t.Errorf("white gray image as RGB = %v", white)
	}

	// Unlabelled flat folder, with a non-image file skipped on request.
	flat := t.TempDir()
	writeTemp(t, flat, "1.png", grayPNG(4, 4, 10))
	writeTemp(t, flat, "2.png", grayPNG(4, 4, 20))
	writeTemp(t, flat, "README.txt", []byte("hi"))
	u, err := LoadImageFolder(flat, FolderOptions{SkipOther: true})
	if err != nil {
		t.Fatal(err)
	}
	if u.Len() != 2 || u.Classes != 0 || u.Labels[0] != Unlabelled || u.Labels[1] != Unlabelled || u.Example(1)[5] != PixelValue(20) {
		t.Errorf("flat folder: %d examples, classes %d, labels %v", u.Len(), u.Classes, u.Labels)
	}
}

func TestLoadImageFolderErrors(t *testing.T) {
	for i, test := range []struct {
		name  string
		files map[string][]byte
		opts  FolderOptions
		bad   string // the file the *FormatError must name, "" if not a FormatError
		msg   string
	}{
		{"odd size", map[string][]byte{"a/1.png": grayPNG(3, 3, 0), "a/2.png": grayPNG(3, 4, 0)}, FolderOptions{}, "a/2.png", "is 3×4 (W×H), want 3×3"},
		{"odd size across classes", map[string][]byte{"a/1.png": grayPNG(3, 3, 0), "b/2.png": grayPNG(2, 3, 0)}, FolderOptions{}, "b/2.png", "want 3×3"},
		{"unreadable", map[string][]byte{"1.png": grayPNG(3, 3, 0), "2.png": []byte("not a png")}, FolderOptions{}, "2.png", "cannot decode image"},
		{"truncated png", map[string][]byte{"1.png": grayPNG(8, 8, 7)[:30]}, FolderOptions{}, "1.png", "cannot decode image"},
		{"non-image", map[string][]byte{"1.png": grayPNG(3, 3, 0), "notes.txt": nil}, FolderOptions{}, "notes.txt", "not an image file"},
		{"mixed", map[string][]byte{"a/1.png": grayPNG(3, 3, 0), "2.png": grayPNG(3, 3, 0)}, FolderOptions{}, "2.png", "beside class folders"},
		{"nested", map[string][]byte{"a/b/1.png": grayPNG(3, 3, 0)}, FolderOptions{}, "a/b", "folder inside class folder"},
		{"empty", map[string][]byte{}, FolderOptions{}, ".", "no images"},
		{"only empty class", map[string][]byte{"a/.keep": nil}, FolderOptions{}, ".", "no images"},
		{"bad color", map[string][]byte{"1.png": grayPNG(3, 3, 0)}, FolderOptions{Color: 5}, "", "Color"},
		{"bad size", map[string][]byte{"1.png": grayPNG(3, 3, 0)}, FolderOptions{Size: image.Point{X: 0, Y: 4}}, "", "Size"},
		{"huge size", map[string][]byte{"1.png": grayPNG(3, 3, 0)}, FolderOptions{Size: image.Point{X: 1 << 13, Y: 1 << 13}}, "", "Size"},
	} {
		dir := t.TempDir()
		for name, b := range test.files {
			writeTemp(t, dir, name, b)
		}
		_, err := LoadImageFolder(dir, test.opts)
		if err == nil {
			t.Errorf("%d %s: no error", i, test.name)
			continue
		}
		if !strings.Contains(err.Error(), test.msg) {
			t.Errorf("%d %s: error %q does not contain %q", i, test.name, err, test.msg)
		}
		if test.bad == "" {
			continue
		}
		fe := asFormatError(t, err)
		if want := filepath.Join(dir, test.bad); fe.File != want {
			t.Errorf("%d %s: error names %q, want %q", i, test.name, fe.File, want)
		}
	}
	if _, err := LoadImageFolder(filepath.Join(t.TempDir(), "none"), FolderOptions{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing folder: err = %v", err)
	}
}

// With Size set, images of any sizes are resized as they are loaded
// (issue 15, row 14: a large image used to be kept whole): a uniform
// image keeps its value, a left-to-right ramp stays a ramp, and colour
// survives.
func TestLoadImageFolderResizes(t *testing.T) {
	dir := t.TempDir()
	writeTemp(t, dir, "a/big.png", grayPNG(300, 200, 200))
	writeTemp(t, dir, "a/small.png", grayPNG(4, 4, 50))
	writeTemp(t, dir, "b/ramp.png", pngOf(64, 48, func(x, y int) color.Color { return color.Gray{Y: uint8(4 * x)} }))
	writeTemp(t, dir, "b/red.png", pngOf(33, 17, func(x, y int) color.Color { return color.NRGBA{255, 0, 0, 255} }))
	for _, c := range []Color{Gray, RGB} {
		s, err := LoadImageFolder(dir, FolderOptions{Color: c, Size: image.Point{X: 8, Y: 6}})
		if err != nil {
			t.Fatal(err)
		}
		if s.W != 8 || s.H != 6 || s.Len() != 4 || len(s.Values()) != 4*s.C*48 {
			t.Fatalf("color %d: set %d×%d×%d of %d examples, want 8×6, 4 examples", c, s.C, s.H, s.W, s.Len())
		}
		for i, want := range []float32{PixelValue(200), PixelValue(50)} {
			for _, v := range s.Example(i) {
				if math.Abs(float64(v-want)) > 0.01 {
					t.Fatalf("color %d, uniform image %d: value %v, want %v", c, i, v, want)
				}
			}
		}
		ramp := s.Example(2)[:8] // first row, first channel
		for x := 1; x < 8; x++ {
			if ramp[x] <= ramp[x-1] {
				t.Fatalf("color %d: resized ramp %v is not increasing", c, ramp)
			}
		}
		if c == RGB {
			red := s.Example(3)
			if r, g := red[0], red[48]; math.Abs(float64(r-1)) > 0.01 || math.Abs(float64(g+1)) > 0.01 {
				t.Errorf("resized red pixel is (%v, %v, ...), want (1, -1, ...)", r, g)
			}
		}
	}
}

// Recursive reads a tree of unlabelled images; Skip leaves out the bad
// files it is asked about, and only those.
func TestLoadImageFolderRecursiveAndSkip(t *testing.T) {
	dir := t.TempDir()
	writeTemp(t, dir, "a.png", grayPNG(4, 4, 10))
	writeTemp(t, dir, "x/b.png", grayPNG(4, 4, 20))
	writeTemp(t, dir, "x/y/c.png", grayPNG(4, 4, 30))
	writeTemp(t, dir, "x/y/bad.png", []byte("not a png"))
	writeTemp(t, dir, "z/odd.png", grayPNG(5, 4, 40))

	if _, err := LoadImageFolder(dir, FolderOptions{Recursive: true}); err == nil || !strings.Contains(err.Error(), "bad.png") {
		t.Errorf("without Skip: error %v, want one naming bad.png", err)
	}
	var skipped []string
	s, err := LoadImageFolder(dir, FolderOptions{Recursive: true, Skip: func(path string, err error) bool {
		skipped = append(skipped, filepath.Base(path))
		return true
	}})
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 3 || s.Classes != 0 || !slices.Equal(skipped, []string{"bad.png", "odd.png"}) {
		t.Errorf("loaded %d images (%d classes), skipped %v; want 3, 0, [bad.png odd.png]", s.Len(), s.Classes, skipped)
	}
	for i, v := range []uint8{10, 20, 30} {
		if got := s.Example(i)[0]; got != PixelValue(v) {
			t.Errorf("image %d: value %v, want %v (load order a, x/b, x/y/c)", i, got, PixelValue(v))
		}
	}
	// Without Recursive the same folder is a mix of images and folders.
	if _, err := LoadImageFolder(dir, FolderOptions{}); err == nil || !strings.Contains(err.Error(), "beside class folders") {
		t.Errorf("not recursive: %v", err)
	}
	fl, err := ListImageFolder(dir, FolderOptions{Recursive: true})
	var names []string
	for _, f := range fl.Files {
		names = append(names, filepath.Base(f))
	}
	if err != nil || !slices.Equal(names, []string{"a.png", "b.png", "bad.png", "c.png", "odd.png"}) || len(fl.ClassNames) != 0 || len(fl.Labels) != 5 {
		t.Errorf("ListImageFolder: %v %+v, %v", names, fl, err)
	}
}

func TestReadImageHeader(t *testing.T) {
	dir := t.TempDir()
	pal := image.NewPaletted(image.Rect(0, 0, 3, 2), color.Palette{color.Gray{0}, color.Gray{255}})
	palColour := image.NewPaletted(image.Rect(0, 0, 3, 2), color.Palette{color.Gray{0}, color.RGBA{255, 0, 0, 255}})
	var gb, cb, jb bytes.Buffer
	gif.Encode(&gb, pal, nil)
	gif.Encode(&cb, palColour, nil)
	jpeg.Encode(&jb, image.NewGray(image.Rect(0, 0, 7, 5)), nil)
	for _, tc := range []struct {
		name string
		data []byte
		want ImageHeader
	}{
		{"gray.png", grayPNG(6, 4, 1), ImageHeader{Size: image.Point{X: 6, Y: 4}, Gray: true}},
		{"rgb.png", pngOf(3, 5, func(x, y int) color.Color { return color.NRGBA{1, 2, 3, 255} }), ImageHeader{Size: image.Point{X: 3, Y: 5}}},
		{"graypal.gif", gb.Bytes(), ImageHeader{Size: image.Point{X: 3, Y: 2}, Gray: true}},
		{"colourpal.gif", cb.Bytes(), ImageHeader{Size: image.Point{X: 3, Y: 2}}},
		{"gray.jpg", jb.Bytes(), ImageHeader{Size: image.Point{X: 7, Y: 5}, Gray: true}},
	} {
		writeTemp(t, dir, tc.name, tc.data)
		h, err := ReadImageHeader(filepath.Join(dir, tc.name))
		if err != nil || h != tc.want {
			t.Errorf("%s: %+v, %v; want %+v", tc.name, h, err, tc.want)
		}
	}
	writeTemp(t, dir, "bad.png", []byte("nope"))
	if _, err := ReadImageHeader(filepath.Join(dir, "bad.png")); err == nil || !strings.Contains(err.Error(), "bad.png") {
		t.Errorf("bad file: %v", err)
	}
}

// paddedReader is an io.ReadSeeker over data followed by pad zero bytes,
// counting the bytes read.
type paddedReader struct {
	data      []byte
	pad, off  int64
	readBytes int64
}

func (r *paddedReader) Read(p []byte) (int, error) {
	size := int64(len(r.data)) + r.pad
	if r.off >= size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), size-r.off))
	for i := range n {
		if o := r.off + int64(i); o < int64(len(r.data)) {
			p[i] = r.data[o]
		} else {
			p[i] = 0
		}
	}
	r.off += int64(n)
	r.readBytes += int64(n)
	return n, nil
}

func (r *paddedReader) Seek(off int64, whence int) (int64, error) {
	if whence != io.SeekStart {
		return 0, errors.New("paddedReader: SeekStart only")
	}
	r.off = off
	return off, nil
}

// An image followed by 1.5 GB of padding is decoded from the image's own
// bytes (issue 24, row 13: the whole file was read into memory).
func TestDecodeImageBoundedRead(t *testing.T) {
	r := &paddedReader{data: grayPNG(16, 16, 7), pad: 1500 << 20}
	img, err := decodeImage(r, "padded.png", image.Point{}, "")
	if err != nil || img.Bounds().Dx() != 16 {
		t.Fatalf("padded PNG: %v", err)
	}
	if limit := 2 * maxImageFileBytes(16, 16); r.readBytes > limit {
		t.Errorf("read %d bytes of a 16×16 PNG, more than %d", r.readBytes, limit)
	}
}

// A GIF whose first frame covers part of its canvas loads at the
// canvas's size, the frame in place (issue 24, row 23: refused as
// "decodes to 4×4, its header says 16×16").
func TestDecodeGIFSubFrame(t *testing.T) {
	pal := color.Palette{color.Black, color.White}
	frame := image.NewPaletted(image.Rect(4, 4, 8, 8), pal)
	for i := range frame.Pix {
		frame.Pix[i] = 1
	}
	var b bytes.Buffer
	g := &gif.GIF{Image: []*image.Paletted{frame}, Delay: []int{0}, Config: image.Config{ColorModel: pal, Width: 16, Height: 16}}
	if err := gif.EncodeAll(&b, g); err != nil {
		t.Fatal(err)
	}
	img, err := decodeImage(bytes.NewReader(b.Bytes()), "sub.gif", image.Point{}, "")
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds() != image.Rect(0, 0, 16, 16) {
		t.Fatalf("bounds %v, want the 16×16 canvas", img.Bounds())
	}
	for _, tc := range []struct {
		x, y  int
		white bool
	}{{5, 5, true}, {0, 0, false}, {12, 12, false}} {
		r, _, _, _ := img.At(tc.x, tc.y).RGBA()
		if (r > 0x8000) != tc.white {
			t.Errorf("pixel (%d, %d) = %v, want white %v", tc.x, tc.y, img.At(tc.x, tc.y), tc.white)
		}
	}
}

func TestDecodeImage(t *testing.T) {
	gray := grayPNG(8, 6, 255)
	colour := pngOf(4, 4, func(x, y int) color.Color { return color.RGBA{R: 255, A: 255} })
	for _, tc := range []struct {
		name      string
		data      []byte
		size      image.Point
		c, max    int
		wantLen   int
		wantFirst float32
		err       string
	}{
		{"gray as is", gray, image.Point{}, 1, 0, 48, 1, ""},
		{"gray resized", gray, image.Pt(4, 4), 1, 0, 16, 1, ""},
		{"colour as RGB", colour, image.Point{}, 3, 0, 48, 1, ""},
		{"colour as gray", colour, image.Point{}, 1, 0, 16, PixelValue(76), ""},
		{"above the caller's limit", gray, image.Point{}, 1, 40, 0, 0, "above the limit of 40 pixels"},
		{"not an image", []byte("hello"), image.Point{}, 1, 0, 0, 0, "cannot decode image"},
		{"two channels", gray, image.Point{}, 2, 0, 0, 0, "2 channels"},
		{"negative size", gray, image.Pt(-1, 4), 1, 0, 0, 0, "size -1×4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := DecodeImage(bytes.NewReader(tc.data), "upload", tc.size, tc.c, tc.max)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(v) != tc.wantLen || math.Abs(float64(v[0]-tc.wantFirst)) > 0.01 {
				t.Errorf("%d values, first %v; want %d, %v", len(v), v[0], tc.wantLen, tc.wantFirst)
			}
		})
	}
}
