// Command latent explores the latent space of a trained semigan model (a
// checkpoint written by examples/mnist100) and writes PNGs into -out:
//
//   - interp_linear.png, interp_spherical.png: rows of images generated
//     along linear and spherical paths between pairs of random latent
//     vectors;
//   - steer.png: for each row a digit of class a morphing into class b,
//     by walking from its latent vector along the direction between the
//     latent means of a and b (the means of latent vectors the classifier
//     labels a and b);
//   - classes.png and morph.png (conditional models only): each class
//     generated from the same latent vectors, and digits morphing from
//     one class into another with z fixed, by mixing the class codes.
//
// Under each strip it prints what the classifier says of every image.
//
//	go run ./examples/mnist100 -out out
//	go run ./examples/latent -ckpt out/model.ckpt -out out/latent
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/sgan"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "latent:", err)
		os.Exit(1)
	}
}

type options struct {
	ckpt    string
	out     string
	seed    uint64
	steps   int
	rows    int
	samples int
	minConf float64
	pairs   string
}

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("latent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.ckpt, "ckpt", "out/model.ckpt", "checkpoint of a trained model (from examples/mnist100)")
	fs.StringVar(&o.out, "out", "out/latent", "directory for the PNGs")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the latent vectors drawn")
	fs.IntVar(&o.steps, "steps", 10, "images per strip")
	fs.IntVar(&o.rows, "rows", 8, "strips per interpolation PNG")
	fs.IntVar(&o.samples, "samples", 20000, "generated examples classified to find the latent mean of each class")
	fs.Float64Var(&o.minConf, "min-confidence", 0.9, "classifier probability a generated example needs to count towards its class mean")
	fs.StringVar(&o.pairs, "pairs", "1-7,3-8,4-9,0-6,2-5", "class pairs a-b to morph, comma separated")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.steps < 2 || o.rows < 1 || o.samples < 1 {
		return o, fmt.Errorf("-steps %d, -rows %d, -samples %d: need at least 2, 1 and 1", o.steps, o.rows, o.samples)
	}
	return o, nil
}

func run(_ context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	m, err := sgan.Load(o.ckpt)
	if err != nil {
		return err
	}
	c := m.Config()
	if c.SupervisedOnly {
		return fmt.Errorf("%s is a supervised-only model: it has no generator", o.ckpt)
	}
	pairs, err := parsePairs(o.pairs, c.Classes)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(o.seed, 1))
	Z := c.LatentDim
	draw := func() []float32 {
		z := make([]float32, Z)
		for i := range z {
			z[i] = float32(rng.NormFloat64())
		}
		return z
	}
	// writeStrips generates the images of the latent rows z (and class
	// codes y), writes them as a PNG with cols columns and prints the
	// classifier's labels of each row.
	writeStrips := func(name, title string, cols int, z, y []float32) error {
		var x []float32
		var err error
		if y != nil {
			x, err = m.GenerateFromClasses(z, y)
		} else {
			x, err = m.GenerateFrom(z)
		}
		if err != nil {
			return err
		}
		pred, err := m.Predict(x)
		if err != nil {
			return err
		}
		n := len(x) / (c.Channels * c.Height * c.Width)
		path := filepath.Join(o.out, name)
		if err := datasets.SavePNGGrid(path, x, n, c.Channels, c.Height, c.Width, cols); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %s; classifier labels per row:\n", path, title)
		for r := 0; r < n; r += cols {
			fmt.Fprintf(stdout, "  %v\n", pred[r:min(r+cols, n)])
		}
		return nil
	}

	K := c.Classes
	for _, kind := range []sgan.Interp{sgan.Linear, sgan.Spherical} {
		prng := rand.New(rand.NewPCG(o.seed, 2)) // same pairs for both paths
		var zs, ys []float32
		for r := 0; r < o.rows; r++ {
			a, b := make([]float32, Z), make([]float32, Z)
			for i := range a {
				a[i], b[i] = float32(prng.NormFloat64()), float32(prng.NormFloat64())
			}
			row, err := sgan.Interpolate(a, b, o.steps, kind)
			if err != nil {
				return err
			}
			zs = append(zs, row...)
			if c.Conditional { // row r generates class r mod K
				for range o.steps {
					ys = append(ys, oneHot(r%K, K)...)
				}
			}
		}
		title := kind.String() + " interpolation between random latent vectors"
		if c.Conditional {
			title += ", row r of class r mod K"
		}
		if err := writeStrips("interp_"+kind.String()+".png", title, o.steps, zs, ys); err != nil {
			return err
		}
	}

	if c.Conditional {
		// every class from the same latent vectors: row r, column k
		var z, y []float32
		for r := 0; r < o.rows; r++ {
			zr := draw()
			for k := 0; k < K; k++ {
				z = append(z, zr...)
				y = append(y, oneHot(k, K)...)
			}
		}
		if err := writeStrips("classes.png", "each row one latent vector, column k asks for class k", K, z, y); err != nil {
			return err
		}
		z, y = z[:0], y[:0]
		for _, p := range pairs {
			zr := draw()
			for i := 0; i < o.steps; i++ {
				t := float32(i) / float32(o.steps-1)
				code := make([]float32, K)
				code[p.a], code[p.b] = 1-t, t
				z = append(z, zr...)
				y = append(y, code...)
			}
		}
		return writeStrips("morph.png", "class code mixed from a to b with z fixed, pairs "+o.pairs, o.steps, z, y)
	}

	// Steering an unconditional generator: class means in latent space,
	// as the classifier sees the generated images.
	lc, err := m.LatentClasses(o.samples, o.minConf, rand.New(rand.NewPCG(o.seed, 3)))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "latent class means from %d samples (confidence ≥ %g): counts %v\n", lc.Drawn, o.minConf, lc.Counts)
	alphas := make([]float64, o.steps)
	for i := range alphas {
		alphas[i] = 2 * float64(i) / float64(o.steps-1) // 0 … 2
	}
	var zs []float32
	for _, p := range pairs {
		dir, err := lc.Direction(p.a, p.b)
		if err != nil {
			return err
		}
		starts, err := m.LatentOfClass(p.a, 1, sgan.SampleOptions{MinConfidence: o.minConf, Chunk: 500}, rng)
		if err != nil {
			return err
		}
		row, err := sgan.Steer(starts, dir, alphas)
		if err != nil {
			return err
		}
		zs = append(zs, row...)
	}
	if err := writeStrips("steer.png", "from class a towards b along mean(b)−mean(a), α = 0 … 2, pairs "+o.pairs, o.steps, zs, nil); err != nil {
		return err
	}
	return steerRates(m, lc, pairs, o.minConf, rng, stdout)
}
