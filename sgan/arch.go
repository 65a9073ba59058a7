package sgan

import (
	"fmt"
	"math/rand/v2"

	"github.com/semigan/semigan/layers"
)

// buildArch makes the built-in discriminator and generator for cfg.
func buildArch(cfg ModelConfig, rng *rand.Rand) (*Discriminator, *Generator, error) {
	var d *Discriminator
	var err error
	switch cfg.Arch {
	case ArchConv:
		d, err = convDiscriminator(cfg, rng)
	case ArchMLP:
		d, err = mlpDiscriminator(cfg, rng)
	default:
		return nil, nil, fmt.Errorf("sgan: unknown architecture %q", cfg.Arch)
	}
	if err != nil {
		return nil, nil, err
	}
	if cfg.SupervisedOnly {
		return d, nil, nil
	}
	g, err := dcganGenerator(cfg, rng)
	if err != nil {
		return nil, nil, err
	}
	return d, g, nil
}

// convOut is the output size of a convolution with kernel k, stride s and
// padding p on an input of size n.
func convOut(n, k, s, p int) int { return (n+2*p-k)/s + 1 }

// dcganStages is the number of transposed convolutions (0, 1 or 2) of
// the DCGAN generator for H×W images: one per halving of both sides that
// leaves them whole and at least 3.
func dcganStages(H, W int) int {
	stages := 0
	for stages < 2 && H%(2<<stages) == 0 && W%(2<<stages) == 0 && H/(2<<stages) >= 3 && W/(2<<stages) >= 3 {
		stages++
	}
	return stages
}

// ConvDiscriminator returns the default convolutional discriminator for
// cfg's image shape, initialised from rng:
//
//	Gaussian noise σ InputNoise (0.3; training only)
//	conv 5×5 stride 2, C→W, LeakyReLU 0.2, dropout DiscDropout (0.5)
//	conv 5×5 stride 2, W→2W, LeakyReLU 0.2
//	flatten                         ← the feature layer
//	dropout DiscDropout, dense → K logits
//
// with W = DiscWidth (32).
//
// Images smaller than 5×5 (such as 1×1×F tabular rows) get the MLP
// discriminator instead.
func ConvDiscriminator(cfg ModelConfig, rng *rand.Rand) (*Discriminator, error) {
	cfg = cfg.resolved()
	if err := cfg.validate(false); err != nil {
		return nil, err
	}
	return convDiscriminator(cfg, rng)
}

func convDiscriminator(cfg ModelConfig, rng *rand.Rand) (*Discriminator, error) {
	if cfg.Height < 5 || cfg.Width < 5 {
		return mlpDiscriminator(cfg, rng)
	}
	init := layers.HeNormal(rng, 0.2)
	h1, w1 := convOut(cfg.Height, 5, 2, 2), convOut(cfg.Width, 5, 2, 2)
	h2, w2 := convOut(h1, 5, 2, 2), convOut(w1, 5, 2, 2)
	c1, c2 := cfg.DiscWidth, 2*cfg.DiscWidth
	feat := c2 * h2 * w2
	var net layers.Sequential
	if s := cfg.InputNoise; s > 0 {
		net = append(net, layers.GaussianNoise{Sigma: s, Name: "disc/noise0"})
	}
	dropout := func(name string) {
		if p := cfg.DiscDropout; p > 0 {
			net = append(net, layers.Dropout{P: p, Name: name})
		}
	}
	net = append(net,
		layers.NewConv2D("disc/conv1", cfg.Channels, c1, 5, 2, 2, init),
		layers.LeakyReLU{Alpha: 0.2})
	dropout("disc/drop1")
	net = append(net,
		layers.NewConv2D("disc/conv2", c1, c2, 5, 2, 2, init),
		layers.LeakyReLU{Alpha: 0.2},
		layers.Flatten{})
	feature := len(net) - 1
	dropout("disc/drop2")
	net = append(net, layers.NewDense("disc/out", feat, cfg.Classes, layers.GlorotUniform(rng, 1)))
	return &Discriminator{Net: net, Feature: feature}, nil
}

// MLPDiscriminator returns the discriminator of Salimans et al. (2016) for
// MNIST, initialised from rng: weight-normalised dense layers
// F→1000→500→250→250→250 with ReLU, Gaussian noise σ 0.3 on the input and
// 0.5 after every hidden layer (training only), and a weight-normalised
// dense layer to the K logits. The last hidden layer is the feature layer.
func MLPDiscriminator(cfg ModelConfig, rng *rand.Rand) (*Discriminator, error) {
	cfg = cfg.resolved()
	if err := cfg.validate(false); err != nil {
		return nil, err
	}
	return mlpDiscriminator(cfg, rng)
}

func mlpDiscriminator(cfg ModelConfig, rng *rand.Rand) (*Discriminator, error) {
	in := cfg.Channels * cfg.Height * cfg.Width
	sizes := []int{1000, 500, 250, 250, 250}
	net := layers.Sequential{layers.Flatten{}, layers.GaussianNoise{Sigma: 0.3, Name: "disc/noise0"}}
	prev := in
	feature := 0
	for i, s := range sizes {
		name := fmt.Sprintf("disc/wn%d", i+1)
		net = append(net,
			layers.NewWNDense(name, prev, s, layers.Normal(rng, 0.05), layers.WithFixedScale()),
			layers.ReLU{})
		feature = len(net) - 1
		net = append(net, layers.GaussianNoise{Sigma: 0.5, Name: fmt.Sprintf("disc/noise%d", i+1)})
		prev = s
	}
	net = append(net, layers.NewWNDense("disc/out", prev, cfg.Classes, layers.Normal(rng, 0.05)))
	return &Discriminator{Net: net, Feature: feature}, nil
}

// DCGANGenerator returns a DCGAN-style generator for cfg's image shape,
// initialised from rng. For an H×W image divisible by 4 (28×28, 32×32):
//
//	z → dense → 64 × H/4 × W/4, BatchNorm, ReLU
//	transposed conv 5×5 stride 2 → 32 × H/2 × W/2, BatchNorm, ReLU
//	transposed conv 5×5 stride 2 → C × H × W, tanh
//
// with one transposed convolution when H and W are only even, and dense
// layers (z → 500 → 500 → C·H·W, BatchNorm and ReLU between, tanh) when
// they are odd, as for 1×1×F tabular rows. A Conditional configuration
// widens the input by the K values of the class code.
func DCGANGenerator(cfg ModelConfig, rng *rand.Rand) (*Generator, error) {
	cfg = cfg.resolved()
	if err := cfg.validate(false); err != nil {
		return nil, err
	}
	return dcganGenerator(cfg, rng)
}

func dcganGenerator(cfg ModelConfig, rng *rand.Rand) (*Generator, error) {
	C, H, W, Z := cfg.Channels, cfg.Height, cfg.Width, cfg.genInputDim()
	stages := dcganStages(H, W)
	init := layers.Normal(rng, 0.02)
	if stages == 0 {
		net := layers.Sequential{
			layers.NewDense("gen/fc1", Z, 500, layers.HeNormal(rng, 0), layers.WithoutBias()),
			layers.NewBatchNorm("gen/bn1", 500),
			layers.ReLU{},
			layers.NewDense("gen/fc2", 500, 500, layers.HeNormal(rng, 0), layers.WithoutBias()),
			layers.NewBatchNorm("gen/bn2", 500),
			layers.ReLU{},
			layers.NewDense("gen/out", 500, C*H*W, layers.GlorotUniform(rng, 1)),
			layers.Tanh{},
			layers.Reshape{Shape: []int{C, H, W}},
		}
		return &Generator{Net: net}, nil
	}
	widths := []int{32, 64}[:stages] // widths[i]: channels entering stage stages-i
	c0 := widths[len(widths)-1]
	h0, w0 := H>>stages, W>>stages
	net := layers.Sequential{
		layers.NewDense("gen/fc", Z, c0*h0*w0, init, layers.WithoutBias()),
		layers.Reshape{Shape: []int{c0, h0, w0}},
		layers.NewBatchNorm("gen/bn0", c0),
		layers.ReLU{},
	}
	cin := c0
	for s := 1; s <= stages; s++ {
		cout := C
		last := s == stages
		if !last {
			cout = widths[stages-1-s]
		}
		name := fmt.Sprintf("gen/convt%d", s)
		net = append(net, layers.NewConvTranspose2D(name, cin, cout, 5, 2, 2, 1, init))
		if last {
			net = append(net, layers.Tanh{})
		} else {
			net = append(net, layers.NewBatchNorm(fmt.Sprintf("gen/bn%d", s), cout), layers.ReLU{})
		}
		cin = cout
	}
	return &Generator{Net: net}, nil
}
