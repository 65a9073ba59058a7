package sgan_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/semigan/semigan/sgan"
)

// Find the latent directions along which a model's generated images vary
// most, walk along one, and make a labelled set of its two sides. The
// model here is untrained; with a trained one, a person looks at the
// walks and names a direction (examples/attributes draws them).
func ExampleModel_Directions() {
	mc := sgan.DefaultModelConfig()
	mc.Classes, mc.Height, mc.Width, mc.LatentDim = 2, 8, 8, 16
	m, err := sgan.New(mc)
	if err != nil {
		panic(err)
	}
	dirs, err := m.Directions(sgan.DirectionOptions{Samples: 400, Count: 3}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d directions of %d latent values; the first explains more than the last: %v\n",
		len(dirs), len(dirs[0].Z), dirs[0].Explained > dirs[2].Explained)

	// a walk from a latent vector along direction 0
	z := make([]float32, mc.LatentDim)
	walk, err := sgan.Steer(z, dirs[0].Z, []float64{-3, -1.5, 0, 1.5, 3})
	if err != nil {
		panic(err)
	}
	images, err := m.GenerateFrom(walk)
	if err != nil {
		panic(err)
	}
	fmt.Println("walk:", len(images)/(8*8), "images")

	set, err := m.SynthesizeTwoSided(dirs[0].Z, 3, sgan.TwoSidedOptions{Names: [2]string{"not-thick", "thick"}}, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		panic(err)
	}
	fmt.Println("two-sided set:", set.Len(), "images, labels", set.Labels, set.ClassNames)
	// Output:
	// 3 directions of 16 latent values; the first explains more than the last: true
	// walk: 5 images
	// two-sided set: 6 images, labels [0 1 0 1 0 1] [not-thick thick]
}
