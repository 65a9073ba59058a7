package datasets

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkLoadMNIST loads the 70,000 MNIST images and labels (train and
// test, gzip) from the GoMNIST module.
func BenchmarkLoadMNIST(b *testing.B) {
	for b.Loop() {
		train, test, err := LoadMNIST("")
		if err != nil {
			b.Fatal(err)
		}
		if train.Len()+test.Len() != 70000 {
			b.Fatalf("got %d examples", train.Len()+test.Len())
		}
	}
}

// BenchmarkBatcherNext copies one batch of 100 MNIST-sized examples out
// of a set of pixels (converting each byte to float32) and out of the
// same set as float32 Data: the data side of a training step, which
// reads three or four such batches.
func BenchmarkBatcherNext(b *testing.B) {
	pix, flt := pixelPair(60000, 1, 28, 28, 10)
	for _, s := range []struct {
		name string
		set  *Set
	}{{"pixels", pix}, {"float32", flt}} {
		b.Run(s.name, func(b *testing.B) {
			bt := s.set.Cycle(100, rand.New(rand.NewPCG(1, 2)))
			x, y := make([]float32, 100*784), make([]int, 100)
			b.SetBytes(100 * 784)
			for b.Loop() {
				bt.Next(x, y)
			}
		})
	}
}
