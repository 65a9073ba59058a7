package datasets

import (
	"image"
	"image/png"
	"io"
	"math"
)

// WritePNGGrid writes n images of c×h×w values in [-1, 1], stored one
// after the other in data (N×C×H×W, as in Set.Data), as one PNG: a grid
// of cols columns and as many rows as needed, each image framed by a
// 1-pixel white border. Values map to bytes with PixelByte. c must be 1
// (gray) or 3 (RGB). If cols <= 0 it is ceil(sqrt(n)); unused cells of
// the last row are white.
//
// WritePNGGrid returns an error wrapping ErrInvalidArgument if n, h or w
// is not positive, c is not 1 or 3, or len(data) < n*c*h*w.
func WritePNGGrid(wr io.Writer, data []float32, n, c, h, w, cols int) error {
	img, err := gridImage(data, n, c, h, w, cols)
	if err != nil {
		return err
	}
	if err := png.Encode(wr, img); err != nil {
		return wrapIO(err)
	}
	return nil
}

// SavePNGGrid writes the grid of WritePNGGrid to the file at path,
// atomically: to a temporary file in the same directory, renamed to path
// once complete.
func SavePNGGrid(path string, data []float32, n, c, h, w, cols int) error {
	img, err := gridImage(data, n, c, h, w, cols)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, func(wr io.Writer) error {
		if err := png.Encode(wr, img); err != nil {
			return wrapIO(err)
		}
		return nil
	})
}

// gridImage draws the grid of WritePNGGrid.
func gridImage(data []float32, n, c, h, w, cols int) (image.Image, error) {
	switch {
	case n <= 0 || h <= 0 || w <= 0:
		return nil, argError("PNG grid of %d images of %d×%d", n, h, w)
	case c != 1 && c != 3:
		return nil, argError("PNG grid with %d channels, want 1 or 3", c)
	case len(data) < n*c*h*w:
		return nil, argError("PNG grid: len(data) = %d < %d×%d×%d×%d", len(data), n, c, h, w)
	}
	if cols <= 0 {
		cols = int(math.Ceil(math.Sqrt(float64(n))))
	}
	cols = min(cols, n)
	rows := (n + cols - 1) / cols
	r := image.Rect(0, 0, cols*(w+1)+1, rows*(h+1)+1)
	hw := h * w
	if c == 1 {
		img := image.NewGray(r)
		for i := range img.Pix {
			img.Pix[i] = 0xff
		}
		for k := range n {
			x0, y0 := 1+(k%cols)*(w+1), 1+(k/cols)*(h+1)
			src := data[k*hw : (k+1)*hw]
			for y := range h {
				row := img.Pix[(y0+y)*img.Stride+x0:]
				for x := range w {
					row[x] = PixelByte(src[y*w+x])
				}
			}
		}
		return img, nil
	}
	img := image.NewRGBA(r)
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for k := range n {
		x0, y0 := 1+(k%cols)*(w+1), 1+(k/cols)*(h+1)
		src := data[k*3*hw : (k+1)*3*hw]
		for y := range h {
			row := img.Pix[(y0+y)*img.Stride+4*x0:]
			for x := range w {
				p := y*w + x
				row[4*x+0] = PixelByte(src[p])
				row[4*x+1] = PixelByte(src[hw+p])
				row[4*x+2] = PixelByte(src[2*hw+p])
			}
		}
	}
	return img, nil
}
