package sgan_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/sgan"
)

// The README's code sample: train on MNIST with 10 labels per class, on
// the default recipe for five epochs.
func ExampleTrainer_Fit() {
	err := func() error {
		ctx := context.Background()
		train, test, err := datasets.LoadMNIST("") // finds GoMNIST's files in the module cache
		if err != nil {
			return err
		}
		rng := rand.New(rand.NewPCG(1, sgan.StreamSplit))
		lab, unl, err := train.Split(10, rng, datasets.SplitOptions{KeepLabelled: true}) // 10 labels per class
		if err != nil {
			return err
		}
		mc := sgan.DefaultModelConfig() // the networks: 10 classes of 1×28×28 images
		mc.Seed = 1
		m, err := sgan.New(mc)
		if err != nil {
			return err
		}
		tc := sgan.DefaultTrainConfig(m.Config()) // the recipe: loss weights, budget, augmentation
		tc.Budget.Epochs = 5
		t, err := sgan.NewTrainer(m, tc)
		if err != nil {
			return err
		}
		defer t.Close()
		hist, err := t.Fit(ctx, lab, unl, test, &sgan.Printer{W: os.Stderr})
		if err != nil {
			return err
		}
		fmt.Printf("test accuracy %.4f\n", hist.Last().EvalAcc)
		classes, err := m.PredictSet(test.Head(5)) // any number of images
		if err != nil {
			return err
		}
		fmt.Println(classes)
		return nil
	}()
	if err != nil {
		fmt.Println(err)
	}
	// This example trains for minutes, so it is compiled but not run.
}

// Model.Fit is the shortcut for a single run on the default recipe
// (DefaultTrainConfig): it makes a Trainer, trains and closes it.
func ExampleModel_Fit() {
	err := func() error {
		ctx := context.Background()
		train, test, err := datasets.LoadMNIST("") // finds GoMNIST's files in the module cache
		if err != nil {
			return err
		}
		rng := rand.New(rand.NewPCG(1, sgan.StreamSplit))
		lab, unl, err := train.Split(10, rng, datasets.SplitOptions{KeepLabelled: true}) // 10 labels per class
		if err != nil {
			return err
		}
		mc := sgan.DefaultModelConfig()
		mc.Seed = 1
		m, err := sgan.New(mc)
		if err != nil {
			return err
		}
		hist, err := m.Fit(ctx, lab, unl, test, &sgan.Printer{W: os.Stderr})
		if err != nil {
			return err
		}
		fmt.Printf("test accuracy %.4f\n", hist.Last().EvalAcc)
		classes, err := m.PredictSet(test.Head(5)) // any number of images
		if err != nil {
			return err
		}
		fmt.Println(classes)
		return nil
	}()
	if err != nil {
		fmt.Println(err)
	}
	// This example trains for minutes, so it is compiled but not run.
}

// The default networks and the default recipe for them: the loss terms
// that are on, by name, with their weights (the generator trained by
// feature matching).
func ExampleDefaultTrainConfig() {
	mc := sgan.DefaultModelConfig()
	mc.Seed = 7
	tc := sgan.DefaultTrainConfig(mc)
	fmt.Println(mc.Classes, mc.Channels, mc.Height, mc.Width, mc.Arch, tc.BatchSize, tc.LearnRate, mc.EMADecay)
	fmt.Println(tc.Weights)
	// Output:
	// 10 1 28 28 conv 100 0.001 0.999
	// map[consistency:1 entropy:1 feature_matching:1 propagation:3 sup:1 unsup:1]
}

// Build a model for 32×32 RGB images with 5 classes and classify a batch
// with the untrained classifier: Predict takes any number of images.
func ExampleNew() {
	mc := sgan.DefaultModelConfig()
	mc.Classes, mc.Channels, mc.Height, mc.Width, mc.Seed = 5, 3, 32, 32, 1
	m, err := sgan.New(mc)
	if err != nil {
		fmt.Println(err)
		return
	}
	images := make([]float32, 3*3*32*32) // three black images
	pred, err := m.Predict(images)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(pred), "predictions")
	gen, err := m.Generate(2, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(gen)/(3*32*32), "generated images")
	// Output:
	// 3 predictions
	// 2 generated images
}

// Walk between two latent vectors: the spherical path keeps the norm that
// Gaussian latent vectors have, the linear one shrinks it midway.
func ExampleInterpolate() {
	a := []float32{3, 0}
	b := []float32{0, 3}
	for _, kind := range []sgan.Interp{sgan.Linear, sgan.Spherical} {
		z, err := sgan.Interpolate(a, b, 3, kind)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%-9v midpoint (%.2f, %.2f)\n", kind, z[2], z[3])
	}
	// Output:
	// linear    midpoint (1.50, 1.50)
	// spherical midpoint (2.12, 2.12)
}

// A class-conditional model generates the class it is asked for; trained
// (here it is not), Synthesize turns it into a labelled dataset.
func ExampleModel_GenerateClass() {
	mc := sgan.DefaultModelConfig()
	mc.Conditional, mc.EvalBatch, mc.Seed = true, 10, 1 // generate 10 at a time
	m, err := sgan.New(mc)
	if err != nil {
		fmt.Println(err)
		return
	}
	sevens, err := m.GenerateClass(7, 4, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(sevens)/(28*28), "images of class 7")
	set, err := m.Synthesize(3, sgan.SynthOptions{MinConfidence: -1}, nil) // keep all, unchecked
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(set.Len(), "labelled examples:", set.Labels[:7], "...")
	// Output:
	// 4 images of class 7
	// 30 labelled examples: [0 0 0 1 1 1 2] ...
}

// A loop of one's own over Trainer.Step: Schedule gives it Fit's
// schedule for the Budget (constant learning rate over the first half,
// then a linear decay to zero; the consistency weight ramped up over the
// first fifth). The propagation term needs the whole labelled and
// unlabelled sets (Trainer.PropagateLabels, when Trainer.PropagationDue
// says so, and the unlabelled batches' Indices); this loop has batches
// only, so it switches the term off.
func ExampleTrainer_Step() {
	mc := sgan.DefaultModelConfig()
	mc.Seed, mc.Classes, mc.Height, mc.Width, mc.LatentDim = 1, 3, 8, 8, 8
	m, err := sgan.New(mc)
	if err != nil {
		fmt.Println(err)
		return
	}
	tc := sgan.DefaultTrainConfig(m.Config())
	tc.BatchSize = 4
	tc.Budget = sgan.Budget{Epochs: 1, MinSteps: 20} // one epoch of at least 20 steps
	tc.Weights["propagation"] = 0
	t, err := sgan.NewTrainer(m, tc)
	if err != nil {
		fmt.Println(err)
		return
	}
	steps := t.Schedule(4) // the budget's steps over an unlabelled set of 4 examples: 20
	rng := rand.New(rand.NewPCG(1, 1))
	lab := sgan.Batch{X: make([]float32, 4*64), Labels: []int{0, 1, 2, 0}}
	unl := sgan.Batch{X: make([]float32, 4*64)}
	for i := 0; i < steps; i++ {
		for j := range lab.X { // your own data here
			lab.X[j] = float32(rng.Float64()*2 - 1)
			unl.X[j] = float32(rng.Float64()*2 - 1)
		}
		if _, err := t.Step(lab, unl); err != nil {
			fmt.Println(err)
			return
		}
		if i == 0 || i == steps/2 || i == steps-1 {
			fmt.Printf("step %2d: progress %.2f, learning rate %.5f\n", t.Steps(), t.Progress(), t.LearnRate())
		}
	}
	// Output:
	// step  1: progress 0.00, learning rate 0.00100
	// step 11: progress 0.50, learning rate 0.00100
	// step 20: progress 0.95, learning rate 0.00010
}
