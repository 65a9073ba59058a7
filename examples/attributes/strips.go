package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/internal/atomicfile"
	"github.com/semigan/semigan/sgan"
)

// walk returns, for each latent vector of bases (row-major), cols latent
// vectors along the unit direction d: the vector's own component along d
// replaced by α from −extent to +extent, as SynthesizeTwoSided places
// the two sides.
func walk(bases, d []float32, cols int, extent float64) []float32 {
	Z := len(d)
	var out []float32
	for lo := 0; lo < len(bases); lo += Z {
		z := bases[lo : lo+Z]
		var dot float32
		for i := range z {
			dot += z[i] * d[i]
		}
		for j := range cols {
			a := float32(-extent + 2*extent*float64(j)/float64(cols-1))
			for i := range z {
				out = append(out, z[i]+(a-dot)*d[i])
			}
		}
	}
	return out
}

// writeStrips writes strips.png (each direction walked from −3 to +3
// standard deviations on o.rows latent vectors, its number at the left;
// on a conditional model, row r of each direction is class r mod K)
// and directions.csv (each direction's share of the images' variance).
func writeStrips(m *sgan.Model, dirs []sgan.Direction, o options, stdout io.Writer) error {
	c := m.Config()
	Z := c.LatentDim
	rng := rand.New(rand.NewPCG(o.seed, 3))
	bases := make([]float32, o.rows*Z) // the same for every direction
	for i := range bases {
		bases[i] = float32(rng.NormFloat64())
	}
	const label, gap = 28, 6 // pixels: the numbers' column, space between directions
	cell := c.Height + 1
	img := image.NewRGBA(image.Rect(0, 0, label+o.cols*(c.Width+1), len(dirs)*(o.rows*cell+gap)))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	F := c.Channels * c.Height * c.Width
	var csv strings.Builder
	csv.WriteString("direction,explained_variance\n")
	for k, d := range dirs {
		zs := walk(bases, d.Z, o.cols, 3)
		var x []float32
		var err error
		if c.Conditional { // row r is class r mod K throughout its walk
			K := c.Classes
			y := make([]float32, o.rows*o.cols*K)
			for i := range o.rows * o.cols {
				y[i*K+(i/o.cols)%K] = 1
			}
			x, err = m.GenerateFromClasses(zs, y)
		} else {
			x, err = m.GenerateFrom(zs)
		}
		if err != nil {
			return err
		}
		top := k * (o.rows*cell + gap)
		for i := range o.rows * o.cols {
			r, col := i/o.cols, i%o.cols
			drawImage(img, x[i*F:(i+1)*F], c.Channels, c.Height, c.Width, label+col*(c.Width+1), top+r*cell)
		}
		(&font.Drawer{Dst: img, Src: image.Black, Face: basicfont.Face7x13,
			Dot: fixed.P(4, top+(o.rows*cell)/2+5)}).DrawString(strconv.Itoa(k))
		fmt.Fprintf(&csv, "%d,%.6f\n", k, d.Explained)
	}
	p := filepath.Join(o.out, "strips.png")
	if err := atomicfile.Write(p, func(w io.Writer) error { return png.Encode(w, img) }); err != nil {
		return err
	}
	q := filepath.Join(o.out, "directions.csv")
	if err := atomicfile.Write(q, func(w io.Writer) error { _, err := io.WriteString(w, csv.String()); return err }); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (direction k: %d latent vectors walked from −3σ to +3σ along it) and %s\n", p, o.rows, q)
	return nil
}

// drawImage draws one C×H×W image in [-1, 1] with its top left at (x0, y0).
func drawImage(dst *image.RGBA, v []float32, c, h, w, x0, y0 int) {
	for y := range h {
		for x := range w {
			var col color.RGBA
			if c == 3 {
				col = color.RGBA{datasets.PixelByte(v[y*w+x]), datasets.PixelByte(v[(h+y)*w+x]), datasets.PixelByte(v[(2*h+y)*w+x]), 255}
			} else {
				g := datasets.PixelByte(v[y*w+x])
				col = color.RGBA{g, g, g, 255}
			}
			dst.SetRGBA(x0+x, y0+y, col)
		}
	}
}
