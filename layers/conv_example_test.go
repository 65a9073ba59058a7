package layers_test

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/semigan/semigan/layers"
)

// A discriminator-style Conv2D stack halves 28×28 twice; a generator-style
// ConvTranspose2D stack doubles 7×7 twice.
func ExampleConv2D() {
	rng := rand.New(rand.NewPCG(1, 2))
	d := layers.Sequential{
		layers.NewConv2D("disc/conv1", 1, 32, 5, 2, 2, layers.HeNormal(rng, 0.2)),
		layers.NewConv2D("disc/conv2", 32, 64, 5, 2, 2, layers.HeNormal(rng, 0.2)),
	}
	g := G.NewGraph()
	b := layers.NewBuilder(g, layers.Train)
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(8, 1, 28, 28), G.WithName("x"))
	y, err := d.Forward(b, x)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(x.Shape(), "->", y.Shape())
	for _, p := range d.Params() {
		fmt.Println(p.Name, p.Value.Shape())
	}
	// Output:
	// (8, 1, 28, 28) -> (8, 64, 7, 7)
	// disc/conv1/W (32, 1, 5, 5)
	// disc/conv1/b (32)
	// disc/conv2/W (64, 32, 5, 5)
	// disc/conv2/b (64)
}

func ExampleConvTranspose2D() {
	rng := rand.New(rand.NewPCG(1, 2))
	gen := layers.Sequential{
		layers.NewConvTranspose2D("gen/up1", 64, 32, 5, 2, 2, 1, layers.Normal(rng, 0.02)), // 7→14
		layers.NewConvTranspose2D("gen/up2", 32, 1, 4, 2, 1, 0, layers.Normal(rng, 0.02)),  // 14→28
	}
	g := G.NewGraph()
	b := layers.NewBuilder(g, layers.Infer)
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(8, 64, 7, 7), G.WithName("z"),
		G.WithInit(G.Ones()))
	y, err := gen.Forward(b, x)
	if err != nil {
		fmt.Println(err)
		return
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(x.Shape(), "->", y.Value().Shape())
	fmt.Println(gen[0].(*layers.ConvTranspose2D).W.Value.Shape())
	// Output:
	// (8, 64, 7, 7) -> (8, 1, 28, 28)
	// (64, 32, 5, 5)
}
