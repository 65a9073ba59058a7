package datasets

import (
	"bufio"
	"context"
	"image"
	"image/color"
	_ "image/gif" // register GIF for image.Decode
	_ "image/jpeg"
	_ "image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/image/draw"
)

// Color selects the channels LoadImageFolder makes of an image.
type Color int

const (
	// Gray converts images to one channel (C = 1) of luminance, with
	// the weights of color.GrayModel. It is the zero value.
	Gray Color = iota

	// RGB keeps three channels (C = 3), red, green and blue.
	RGB
)

// FolderOptions controls LoadImageFolder. The zero value loads gray
// images and treats any file that is not an image as an error.
type FolderOptions struct {
	// Color selects Gray (C = 1) or RGB (C = 3) examples.
	Color Color

	// SkipOther ignores files whose extension is not that of an
	// image (.png, .jpg, .jpeg, .gif, in any case). When false, such
	// files are an error. Files and folders whose names begin with
	// "." are always ignored.
	SkipOther bool

	// Size, when not zero, is the width (X) and height (Y) every image
	// is resized to as it is loaded, with a Catmull-Rom filter
	// (golang.org/x/image/draw), so that images of any sizes make one
	// set and a large photo costs the set only Size's pixels. When zero,
	// images are kept as they are and must all have the first one's
	// size. Either way, no image above MaxImagePixels is decoded.
	Size image.Point

	// Recursive reads a folder of unlabelled images together with the
	// images in its subfolders, at any depth: all Unlabelled, the
	// folder names are not classes. Without it, folders are classes.
	Recursive bool

	// Skip, if not nil, is called with each image file that cannot be
	// read or decoded, or is not of the set's size, and the error that
	// would otherwise stop the load; when it returns true the file is
	// left out and loading goes on. A caller that skips should say which
	// files it skipped: nothing is dropped silently by the loader itself.
	Skip func(path string, err error) bool

	// Cache, when not empty, is a folder in which LoadImageFolder keeps
	// the decoded (and resized) pixels of the image folder in one file,
	// made the first time the folder is loaded with these options and
	// read by later loads instead of decoding every image again. The
	// set then reads its examples from that file as they are used (a
	// batch at a time), through the operating system's page cache: its
	// pixels take no memory of the process, so that a set larger than
	// memory can be trained on. The file's name comes from the folder's absolute path
	// and the options; it is made again when an image file is added,
	// removed or renamed, or changes size or modification time. The file
	// is written atomically (a temporary file renamed into place). Empty
	// (the default): no file is written and the pixels are in memory.
	Cache string

	// Progress, if not nil, is called as images are decoded, a few
	// times a second and once at the end, with the number of files done
	// and the total: for a progress bar (a load from the cache calls it
	// once, with all done). It is called on the goroutine that called
	// LoadImageFolder.
	Progress func(done, total int)
}

// FolderListing is the layout of an image folder: its image files in
// load order, the class of each (Unlabelled for a folder of images) and
// the class names (the class folders' names, sorted).
type FolderListing struct {
	Files      []string
	Labels     []int
	ClassNames []string
}

// ListImageFolder returns the layout LoadImageFolder(dir, opts) would
// load, without reading any image: with the errors of LoadImageFolder
// about the folder's structure.
func ListImageFolder(dir string, opts FolderOptions) (*FolderListing, error) {
	files, dirs, err := listFolder(dir, opts)
	if err != nil {
		return nil, err
	}
	fl := &FolderListing{}
	switch {
	case opts.Recursive:
		var walk func(files, dirs []string) error
		walk = func(files, dirs []string) error {
			fl.Files = append(fl.Files, files...)
			for _, d := range dirs {
				f, sub, err := listFolder(d, opts)
				if err != nil {
					if opts.Skip != nil && opts.Skip(d, err) {
						continue // an unreadable subfolder of unlabelled images
					}
					return err
				}
				if err := walk(f, sub); err != nil {
					return err
				}
			}
			return nil
		}
		if err := walk(files, dirs); err != nil {
			return nil, err
		}
		for range fl.Files {
			fl.Labels = append(fl.Labels, Unlabelled)
		}
	case len(dirs) > 0 && len(files) > 0:
		return nil, fileError(files[0], nil, "image beside class folders (such as %s): a folder holds either class folders or images", dirs[0])
	case len(dirs) > 0:
		if len(dirs) > MaxClasses {
			return nil, fileError(dir, nil, "%d class folders, above the limit of %d (datasets.MaxClasses)", len(dirs), MaxClasses)
		}
		for k, d := range dirs {
			fl.ClassNames = append(fl.ClassNames, filepath.Base(d))
			files, sub, err := listFolder(d, opts)
			if err != nil {
				return nil, err
			}
			if len(sub) > 0 {
				return nil, fileError(sub[0], nil, "folder inside class folder %s", d)
			}
			for _, f := range files {
				fl.Files = append(fl.Files, f)
				fl.Labels = append(fl.Labels, k)
			}
		}
	default:
		fl.Files = files
		for range files {
			fl.Labels = append(fl.Labels, Unlabelled)
		}
	}
	return fl, nil
}

// ImageHeader is what an image file's header says.
type ImageHeader struct {
	Size image.Point // width (X) and height (Y)
	Gray bool        // the colour model is gray (one channel)
}

// ReadImageHeader reads the size and colour model of the PNG, JPEG or
// GIF image at path without decoding its pixels. A paletted image counts
// as gray when every colour of its palette is a gray.
func ReadImageHeader(path string) (ImageHeader, error) {
	f, err := openImage(path)
	if err != nil {
		return ImageHeader{}, err
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(bufio.NewReader(io.LimitReader(f, maxHeaderBytes)))
	if err != nil {
		return ImageHeader{}, fileError(path, err, "cannot decode image header")
	}
	h := ImageHeader{Size: image.Point{X: cfg.Width, Y: cfg.Height}}
	switch m := cfg.ColorModel.(type) {
	case color.Palette:
		h.Gray = true
		for _, c := range m {
			r, g, b, _ := c.RGBA()
			if r != g || g != b {
				h.Gray = false
				break
			}
		}
	default:
		h.Gray = m == color.GrayModel || m == color.Gray16Model
	}
	return h, nil
}

// openImage opens the image file at path, refusing (with a *FormatError)
// anything but a regular file: opening a named pipe would block until
// another process wrote to it, and a device may never end.
func openImage(path string) (*os.File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fileError(path, err, "cannot read image file")
	}
	if !st.Mode().IsRegular() {
		return nil, fileError(path, nil, "not a regular file (%v): an image must be a plain file", st.Mode().Type())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fileError(path, err, "cannot read image file")
	}
	return f, nil
}

// imageExt reports whether name has the extension of an image format.
func imageExt(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".png", ".jpg", ".jpeg", ".gif":
		return true
	}
	return false
}

// LoadImageFolder loads PNG, JPEG and GIF images from dir (the format is
// detected from the content) into a set of pixels (Set.IsPixels),
// decoding on every core (runtime.GOMAXPROCS). If dir holds folders, each is a class: the
// folder names, sorted, become ClassNames and the images inside them are
// labelled with the index of their folder. If dir holds only images, they
// make an unlabelled set (Classes = 0). Images are read in sorted name
// order; pixel p is stored as p/127.5 - 1. Alpha is ignored, as by
// color.GrayModel and image.Image.RGBA (colours are premultiplied).
//
// A class folder may be empty; its class then has no examples. All
// images must have the same size, unless opts.Size resizes them. A folder mixing class folders and
// images at the top level, a folder inside a class folder, a file that
// cannot be decoded, an image of another size, or an empty dir is an
// error; file problems give a *FormatError naming the file.
func LoadImageFolder(dir string, opts FolderOptions) (*Set, error) {
	return LoadImageFolderContext(context.Background(), dir, opts)
}

// LoadImageFolderContext is LoadImageFolder that stops, returning
// ctx.Err(), when ctx is cancelled: a program loading many images answers
// Ctrl-C at once.
func LoadImageFolderContext(ctx context.Context, dir string, opts FolderOptions) (*Set, error) {
	if opts.Color != Gray && opts.Color != RGB {
		return nil, argError("unknown FolderOptions.Color %d", opts.Color)
	}
	if s := opts.Size; s != (image.Point{}) && (s.X <= 0 || s.Y <= 0 || int64(s.X)*int64(s.Y) > MaxImagePixels) {
		return nil, argError("FolderOptions.Size %d×%d: want positive sides of at most %d pixels in all", s.X, s.Y, MaxImagePixels)
	}
	fl, err := ListImageFolder(dir, opts)
	if err != nil {
		return nil, err
	}
	if len(fl.Files) == 0 {
		return nil, fileError(dir, nil, "no images")
	}
	return loadFolder(ctx, dir, fl, opts)
}

// listFolder returns the sorted paths of the image files and of the
// folders in dir.
func listFolder(dir string, opts FolderOptions) (files, dirs []string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fileError(dir, err, "cannot read folder")
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		mode := e.Type()
		if mode&fs.ModeSymlink != 0 {
			st, err := os.Stat(p)
			if err != nil {
				ferr := fileError(p, err, "cannot follow symbolic link")
				if opts.Skip != nil && opts.Skip(p, ferr) {
					continue
				}
				return nil, nil, ferr
			}
			mode = st.Mode()
		}
		switch {
		case mode.IsDir():
			dirs = append(dirs, p)
		case imageExt(e.Name()) && !mode.IsRegular():
			ferr := fileError(p, nil, "not a regular file (%v): an image must be a plain file", mode.Type())
			if opts.Skip != nil && opts.Skip(p, ferr) {
				continue
			}
			return nil, nil, ferr
		case imageExt(e.Name()):
			files = append(files, p)
		case !opts.SkipOther:
			return nil, nil, fileError(p, nil, "not an image file (want .png, .jpg, .jpeg or .gif; set FolderOptions.SkipOther to ignore)")
		}
	}
	slices.Sort(files)
	slices.Sort(dirs)
	return files, dirs, nil
}

// MaxImagePixels is the largest image (width × height) LoadImageFolder
// decodes: 2^24 pixels, 4096×4096. The size is read from the file's
// header before the pixels, so a small file claiming a huge image costs
// nothing.
const MaxImagePixels = 1 << 24

// decodeImage decodes the image that r holds. It reads the size from the
// header first and refuses, before decoding, an empty image, one above
// MaxImagePixels, or one whose size differs from want (when want.X > 0).
// Reads are bounded (maxHeaderBytes for the header, maxImageFileBytes
// for the image), so bytes appended to an image are never read in full.
// A GIF whose first frame covers part of its canvas is drawn onto the
// canvas, transparent (black) elsewhere.
func decodeImage(r io.ReadSeeker, path string, want image.Point, wantFrom string) (image.Image, error) {
	return decodeImageMax(r, path, want, wantFrom, MaxImagePixels)
}

// decodeImageMax is decodeImage with a pixel limit of maxPixels.
func decodeImageMax(r io.ReadSeeker, path string, want image.Point, wantFrom string, maxPixels int) (image.Image, error) {
	cfg, format, err := image.DecodeConfig(bufio.NewReader(io.LimitReader(r, maxHeaderBytes)))
	if err != nil {
		return nil, fileError(path, err, "cannot decode image")
	}
	switch {
	case cfg.Width <= 0 || cfg.Height <= 0:
		return nil, fileError(path, nil, "image is empty")
	case int64(cfg.Width)*int64(cfg.Height) > int64(maxPixels):
		return nil, fileError(path, nil, "image is %d×%d (W×H), above the limit of %d pixels", cfg.Width, cfg.Height, maxPixels)
	case want.X > 0 && (cfg.Width != want.X || cfg.Height != want.Y):
		return nil, fileError(path, nil, "image is %d×%d (W×H), want %d×%d as %s", cfg.Width, cfg.Height, want.X, want.Y, wantFrom)
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, fileError(path, err, "cannot read image file")
	}
	img, _, err := image.Decode(bufio.NewReader(io.LimitReader(r, maxImageFileBytes(cfg.Width, cfg.Height))))
	if err != nil {
		return nil, fileError(path, err, "cannot decode image")
	}
	canvas := image.Rect(0, 0, cfg.Width, cfg.Height)
	if b := img.Bounds(); b != canvas {
		if format != "gif" || !b.In(canvas) || b.Empty() {
			return nil, fileError(path, nil, "image decodes to %d×%d, its header says %d×%d", b.Dx(), b.Dy(), cfg.Width, cfg.Height)
		}
		full := image.NewRGBA(canvas)
		draw.Draw(full, b, img, b.Min, draw.Src)
		img = full
	}
	return img, nil
}

// maxHeaderBytes bounds the bytes read to find an image's size: JPEG's
// metadata segments (EXIF, ICC profiles) come before it.
const maxHeaderBytes = 16 << 20

// maxImageFileBytes bounds the bytes read to decode a w×h image: far
// above what any of the formats needs (16-bit RGBA stored uncompressed is
// 8 bytes a pixel), and far below what a file with data appended to it
// may hold.
func maxImageFileBytes(w, h int) int64 { return maxHeaderBytes + 32*int64(w)*int64(h) }

// resize scales img to size with a Catmull-Rom filter, into a gray image
// for c = 1 channel and an RGBA one otherwise.
func resize(img image.Image, size image.Point, c int) image.Image {
	r := image.Rectangle{Max: size}
	var dst draw.Image = image.NewRGBA(r)
	if c == 1 {
		dst = image.NewGray(r)
	}
	draw.CatmullRom.Scale(dst, r, img, img.Bounds(), draw.Src, nil)
	return dst
}

// imagePixels stores img's pixels into dst (c×h×w bytes, c = 1 gray or
// 3 RGB).
func imagePixels(dst []byte, img image.Image, c int) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	hw := h * w
	if g, ok := img.(*image.Gray); ok && c == 1 {
		for y := range h {
			copy(dst[y*w:(y+1)*w], g.Pix[y*g.Stride:y*g.Stride+w])
		}
		return
	}
	for y := range h {
		for x := range w {
			col := img.At(b.Min.X+x, b.Min.Y+y)
			if c == 1 {
				dst[y*w+x] = color.GrayModel.Convert(col).(color.Gray).Y
				continue
			}
			r, g, bl, _ := col.RGBA()
			dst[y*w+x] = byte(r >> 8)
			dst[hw+y*w+x] = byte(g >> 8)
			dst[2*hw+y*w+x] = byte(bl >> 8)
		}
	}
}

// DecodeImage decodes one PNG, JPEG or GIF image read from r, as
// LoadImageFolder decodes each file: its size is read from the header
// first (an empty image or one above maxPixels pixels, at most
// MaxImagePixels, is refused before decoding), reads are bounded, and the
// image is resized to size (Catmull-Rom; any size when size is zero)
// and stored as c×H×W values (c = 1: gray, 3: RGB) in [−1, 1]. name
// names the image in errors, which are *FormatErrors. A prediction
// server decodes uploads with it.
func DecodeImage(r io.ReadSeeker, name string, size image.Point, c, maxPixels int) ([]float32, error) {
	if c != 1 && c != 3 {
		return nil, argError("DecodeImage: %d channels, want 1 or 3", c)
	}
	if size.X < 0 || size.Y < 0 || (size != (image.Point{}) && (size.X == 0 || size.Y == 0)) || int64(size.X)*int64(size.Y) > MaxImagePixels {
		return nil, argError("DecodeImage: size %d×%d", size.X, size.Y)
	}
	if maxPixels <= 0 || maxPixels > MaxImagePixels {
		maxPixels = MaxImagePixels
	}
	img, err := decodeImageMax(r, name, image.Point{}, "", maxPixels)
	if err != nil {
		return nil, err
	}
	if size != (image.Point{}) && img.Bounds().Size() != size {
		img = resize(img, size, c)
	}
	b := img.Bounds()
	pix := make([]byte, c*b.Dx()*b.Dy())
	imagePixels(pix, img, c)
	dst := make([]float32, len(pix))
	pixelValues(dst, pix)
	return dst, nil
}
