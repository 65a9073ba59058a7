package sgan_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/semigan/semigan/sgan"
)

// Sample is the loop under Synthesize and LatentClasses: draw latent
// vectors, generate, classify, keep what the classifier is sure of. Here
// a conditional model generates class 7 only and the first three examples
// are kept with their latent vectors; untrained, its classifier is sure
// of nothing, so MinConfidence stays 0. Stopping in the middle of a chunk
// of 20 still counts the 20 drawn.
func ExampleModel_Sample() {
	mc := sgan.DefaultModelConfig()
	mc.Conditional, mc.EvalBatch, mc.Seed = true, 10, 1
	m, err := sgan.New(mc)
	if err != nil {
		fmt.Println(err)
		return
	}
	var kept []sgan.Sample
	opts := sgan.SampleOptions{
		MaxDraws: 100,
		Chunk:    20,
		Classes:  func() []int { return []int{7} },
	}
	drawn, err := m.Sample(opts, rand.New(rand.NewPCG(1, 2)), func(s sgan.Sample) bool {
		kept = append(kept, s)
		return len(kept) < 3
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range kept {
		fmt.Printf("class %d asked, %d latent values, %d pixels\n", s.Asked, len(s.Z), len(s.Image))
	}
	fmt.Println(drawn, "drawn")
	// Output:
	// class 7 asked, 100 latent values, 784 pixels
	// class 7 asked, 100 latent values, 784 pixels
	// class 7 asked, 100 latent values, 784 pixels
	// 20 drawn
}

// How often does walking along mean(b) − mean(a) turn a generated digit of
// class a into b? The model is a trained unconditional one (from
// examples/mnist100); examples/latent prints these rates for its pairs.
func ExampleModel_SteerRates() {
	m, err := sgan.Load("out/model.ckpt")
	if err != nil {
		fmt.Println(err)
		return
	}
	rng := rand.New(rand.NewPCG(1, 3))
	lc, err := m.LatentClasses(20000, 0.9, rng) // class means in latent space
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, err := lc.Direction(3, 8)
	if err != nil {
		fmt.Println(err)
		return
	}
	starts, err := m.LatentOfClass(3, 200, sgan.SampleOptions{MinConfidence: 0.9}, rng) // 200 threes
	if err != nil {
		fmt.Println(err)
		return
	}
	alphas := []float64{0.5, 1, 2}
	rates, err := m.SteerRates(starts, dir, 8, alphas)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, a := range alphas {
		fmt.Printf("α=%g: %.0f %% are eights\n", a, 100*rates[i])
	}
	// It needs a checkpoint, so it is compiled but not run.
}
