package datasets

import "testing"

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
