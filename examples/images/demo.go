package main

import (
	"fmt"
	"image"
	"image/color"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/sgan"
)

// shapesImage draws class k of a small colour set: a red square, a green
// disc or a blue bar at a random place on a dark, noisy background.
func shapesImage(k, side int, rng *rand.Rand) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, side, side))
	cx, cy := side/4+rng.IntN(side/2), side/4+rng.IntN(side/2)
	r := side/6 + rng.IntN(side/8+1)
	for y := range side {
		for x := range side {
			n := uint8(rng.IntN(40))
			c := color.RGBA{n, n, n, 255}
			dx, dy := x-cx, y-cy
			switch {
			case k == 0 && abs(dx) <= r && abs(dy) <= r:
				c = color.RGBA{200 + n, n, n, 255}
			case k == 1 && dx*dx+dy*dy <= r*r:
				c = color.RGBA{n, 200 + n, n, 255}
			case k == 2 && abs(dx) <= r/3 && abs(dy) <= r:
				c = color.RGBA{n, n, 200 + n, 255}
			}
			img.Set(x, y, c)
		}
	}
	return img
}

func abs(v int) int { return max(v, -v) }

// shapesSet draws n images of side×side of each of the three shapes
// classes (bar, disc, square: sorted names, classes 0, 1, 2), as a Set
// with values in [-1, 1].
func shapesSet(n, side int, rng *rand.Rand) *datasets.Set {
	kind := []int{2, 1, 0} // bar, disc, square
	s := &datasets.Set{C: 3, H: side, W: side, Classes: 3, ClassNames: []string{"bar", "disc", "square"}}
	for i := range 3 * n {
		k := i % 3
		img := shapesImage(kind[k], side, rng)
		for c := range 3 {
			for y := range side {
				for x := range side {
					r, g, b, _ := img.At(x, y).RGBA()
					v := [3]uint32{r, g, b}[c] >> 8
					s.Data = append(s.Data, datasets.PixelValue(uint8(v)))
				}
			}
		}
		s.Labels = append(s.Labels, k)
	}
	return s
}

// writeDemo writes the demo's folders into -out/demo and points the flags
// at them: MNIST as PNG folders (10 labelled images per class,
// -demo-unlabelled unlabelled ones, -demo-test test ones), or the colour
// shapes (5 labelled images per class, 32×32).
func writeDemo(o *options, stdout io.Writer) error {
	var lab, unl, test *datasets.Set
	split := rand.New(rand.NewPCG(o.seed, sgan.StreamSplit))
	switch o.demo {
	case "", "mnist":
		train, tst, err := datasets.LoadMNIST("")
		if err != nil {
			return err
		}
		if lab, unl, err = train.Split(10, split, datasets.SplitOptions{}); err != nil {
			return err
		}
		unl = unl.Head(o.demoUnlabelled)
		test = tst.Head(o.demoTest)
	case "shapes":
		lab = shapesSet(5, 32, split)
		unl = shapesSet((o.demoUnlabelled+2)/3, 32, split)
		test = shapesSet((o.demoTest+2)/3, 32, split)
	}
	unl.Classes, unl.ClassNames = 0, nil
	for i := range unl.Labels {
		unl.Labels[i] = datasets.Unlabelled
	}
	dir := filepath.Join(o.out, "demo")
	o.labelled, o.unlabelled = filepath.Join(dir, "labelled"), filepath.Join(dir, "unlabelled")
	sets := []*datasets.Set{lab, unl}
	dirs := []string{o.labelled, o.unlabelled}
	if o.demoTest > 0 {
		o.test = filepath.Join(dir, "test")
		sets, dirs = append(sets, test), append(dirs, o.test)
	}
	for i, s := range sets {
		if _, err := os.Stat(dirs[i]); err == nil {
			continue // written by an earlier demo run
		}
		if err := datasets.SaveImageFolder(dirs[i], s); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "demo: %d labelled, %d unlabelled, %d test images as PNG folders in %s (labelled/, unlabelled/, test/)\n", lab.Len(), unl.Len(), test.Len(), dir)
	return nil
}
