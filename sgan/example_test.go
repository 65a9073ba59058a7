package sgan_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/sgan"
)

// The README's code sample: train on MNIST with 10 labels per class.
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
		m, err := sgan.New(sgan.Config{Seed: 1, Epochs: 5})
		if err != nil {
			return err
		}
		hist, err := m.Fit(ctx, lab, unl, test, &sgan.Printer{W: os.Stderr})
		if err != nil {
			return err
		}
		fmt.Printf("test accuracy %.4f\n", hist.Last().EvalAcc)
		classes, err := m.Predict(test.Data[:784*5]) // any number of images
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

func ExampleConfig_WithDefaults() {
	c := sgan.Config{Seed: 7}.WithDefaults()
	fmt.Println(c.Classes, c.Channels, c.Height, c.Width, c.Arch, c.BatchSize, c.LearnRate, c.GenLoss, c.EMADecay)
	// Output: 10 1 28 28 conv 100 0.001 feature-matching 0.999
}

// Build a model for 32×32 RGB images with 5 classes and classify a batch
// with the untrained classifier: Predict takes any number of images.
func ExampleNew() {
	m, err := sgan.New(sgan.Config{Classes: 5, Channels: 3, Height: 32, Width: 32, Seed: 1})
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
