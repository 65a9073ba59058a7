package datasets_test

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io/fs"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/semigan/semigan/datasets"
)

func ExampleLoadMNIST() {
	// "" looks in $SEMIGAN_MNIST_DIR, then in the GoMNIST module.
	train, test, err := datasets.LoadMNIST("")
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range []struct {
		name string
		set  *datasets.Set
	}{{"train", train}, {"test", test}} {
		c, h, w := s.set.Shape()
		fmt.Printf("%s: %d examples of %d×%d×%d, %d classes, %d values\n",
			s.name, s.set.Len(), c, h, w, s.set.Classes, len(s.set.Values()))
	}
	fmt.Println("first training label:", train.Labels[0])
	fmt.Println("value range:", slices.Min(train.Values()), slices.Max(train.Values()))
	fmt.Println("examples per class:", test.ClassCounts())
	// Output:
	// train: 60000 examples of 1×28×28, 10 classes, 47040000 values
	// test: 10000 examples of 1×28×28, 10 classes, 7840000 values
	// first training label: 5
	// value range: -1 1
	// examples per class: [980 1135 1032 1010 982 892 958 1028 974 1009]
}

func ExampleLoadCSV() {
	// Each row: a label, then the 4 pixels (0..255) of a 2×2 image.
	opts := datasets.CSVOptions{Header: true, LabelName: "label"}
	train, err := datasets.LoadCSV("testdata/train.csv", opts)
	if err != nil {
		log.Fatal(err)
	}
	// The test file may hold fewer classes: fix their number.
	opts.Classes = train.Classes
	test, err := datasets.LoadCSV("testdata/test.csv", opts)
	if err != nil {
		log.Fatal(err)
	}
	c, h, w := train.Shape()
	fmt.Printf("train: %d examples of %d×%d×%d, %d classes\n", train.Len(), c, h, w, train.Classes)
	fmt.Printf("test: %d examples, labels %v\n", test.Len(), test.Labels)
	fmt.Println("first test image:", test.Example(0))
	// Output:
	// train: 9 examples of 1×2×2, 3 classes
	// test: 3 examples, labels [0 1 2]
	// first test image: [0.9607843 1 -1 -0.9607843]
}

func ExampleSet_Split() {
	train, _, err := datasets.LoadMNIST("")
	if err != nil {
		log.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	labelled, unlabelled, err := train.Split(10, rng, datasets.SplitOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("labelled:", labelled.Len(), labelled.ClassCounts())
	fmt.Println("unlabelled:", unlabelled.Len(), unlabelled.ClassCounts())

	// Asking for more examples than a class has fails, naming the class.
	_, _, err = labelled.Split(11, rng, datasets.SplitOptions{})
	fmt.Println(err)
	// Output:
	// labelled: 100 [10 10 10 10 10 10 10 10 10 10]
	// unlabelled: 59900 [0 0 0 0 0 0 0 0 0 0]
	// datasets: split: class 0 has 10 labelled examples, want 11
}

func ExampleSet_Batches() {
	s := &datasets.Set{
		Data:   []float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
		Labels: []int{0, 1, 0, 1, 0},
		C:      1, H: 1, W: 2, Classes: 2,
	}
	const size = 2
	x := make([]float32, size*s.Features()) // owned by the caller, reused
	labels := make([]int, size)
	b := s.Batches(size, rand.New(rand.NewPCG(1, 1)))
	for n := b.Next(x, labels); n > 0; n = b.Next(x, labels) {
		fmt.Println(n, x[:n*s.Features()], labels[:n])
	}
	// Output:
	// 2 [2 3 0 1] [1 0]
	// 2 [4 5 6 7] [0 1]
	// 1 [8 9] [0]
}

func ExampleSaveImageFolder() {
	// Seven labelled 2×2 gray images of three classes, such as a
	// generator makes; values above 1 are written as 1.
	s := &datasets.Set{C: 1, H: 2, W: 2, Classes: 3, ClassNames: []string{"circle", "square", "triangle"}}
	for i := range 7 {
		for j := range 4 {
			s.Data = append(s.Data, float32(i+j)/4-1)
		}
		s.Labels = append(s.Labels, i%3)
	}

	tmp, err := os.MkdirTemp("", "semigan-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "synthetic")
	if err := datasets.SaveImageFolder(dir, s); err != nil {
		log.Fatal(err)
	}
	back, err := datasets.LoadImageFolder(dir, datasets.FolderOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("examples:", back.Len(), "classes:", back.Classes, back.ClassNames)
	fmt.Println("per class:", back.ClassCounts())
	fmt.Println("labels:", back.Labels) // grouped by class
	// Values go through bytes (PixelByte, then PixelValue).
	fmt.Println("first image written:", s.Example(0))
	fmt.Println("first image read:   ", back.Example(0))

	// Writing again to the same folder fails rather than mixing old and
	// new files.
	err = datasets.SaveImageFolder(dir, s)
	fmt.Println("second write refused:", errors.Is(err, fs.ErrExist))
	// Output:
	// examples: 7 classes: 3 [circle square triangle]
	// per class: [3 2 2]
	// labels: [0 0 0 1 1 2 2]
	// first image written: [-1 -0.75 -0.5 -0.25]
	// first image read:    [-1 -0.7490196 -0.49803922 -0.24705882]
	// second write refused: true
}

// A model's tabular data is scaled to [-1, 1] with a RangeScaler saved
// next to it; a second program loads the scaler and writes generated
// rows in the layout and units of the original file.
func ExampleLoadRangeScaler() {
	dir, err := os.MkdirTemp("", "semigan-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	scalerPath := filepath.Join(dir, "scaler.csv")

	// Training: read, fit, scale, save the scaler.
	const data = "height,species,weight\n1.5,0,60\n1.9,1,95\n1.7,1,70\n"
	opts := datasets.CSVOptions{Header: true, LabelName: "species", Scale: datasets.ScaleNone}
	lab, err := datasets.ReadCSV(strings.NewReader(data), "real.csv", opts)
	if err != nil {
		log.Fatal(err)
	}
	sc, err := datasets.FitRangeScaler(lab)
	if err != nil {
		log.Fatal(err)
	}
	if err := sc.Apply(lab); err != nil {
		log.Fatal(err)
	}
	if err := datasets.SaveRangeScaler(scalerPath, sc); err != nil {
		log.Fatal(err)
	}

	// Later: two generated rows, in [-1, 1], mapped back and written
	// with the columns of the real file.
	sc, err = datasets.LoadRangeScaler(scalerPath, lab.Features())
	if err != nil {
		log.Fatal(err)
	}
	syn := &datasets.Set{C: 1, H: 1, W: 2, Classes: 2, Data: []float32{-1, 0, 1, 1}, Labels: []int{0, 1}}
	syn.Columns = lab.Columns
	if err := sc.Invert(syn); err != nil {
		log.Fatal(err)
	}
	if err := datasets.WriteCSV(os.Stdout, syn, datasets.CSVOptions{Scale: datasets.ScaleNone}); err != nil {
		log.Fatal(err)
	}
	// Output:
	// height,species,weight
	// 1.5,0,77.5
	// 1.9,1,95
}

// An uploaded image, decoded to a model's input: 28×28 gray values in
// [−1, 1].
func ExampleDecodeImage() {
	img := image.NewGray(image.Rect(0, 0, 56, 56)) // black, twice the size
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		fmt.Println(err)
		return
	}
	x, err := datasets.DecodeImage(bytes.NewReader(b.Bytes()), "upload.png", image.Pt(28, 28), 1, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(x), x[0])
	// Output: 784 -1
}

// A folder loaded with a cache is decoded once; later loads read the
// cache file, and the set reads its examples from it as they are used.
func ExampleFolderOptions_cache() {
	tmp, err := os.MkdirTemp("", "semigan-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	images := &datasets.Set{C: 1, H: 2, W: 2, Classes: 2, ClassNames: []string{"dark", "light"},
		Data: []float32{-1, -1, -1, -0.5, 1, 1, 0.5, 1}, Labels: []int{0, 1}}
	dir := filepath.Join(tmp, "images")
	if err := datasets.SaveImageFolder(dir, images); err != nil {
		log.Fatal(err)
	}
	opts := datasets.FolderOptions{
		Cache:    filepath.Join(tmp, "cache"),
		Progress: func(done, total int) { fmt.Printf("decoded %d of %d\n", done, total) },
	}
	for range 2 {
		s, err := datasets.LoadImageFolder(dir, opts)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(s.Len(), "images of", s.ClassNames, "as pixels:", s.IsPixels(), "light:", s.Example(1))
	}
	cached, _ := filepath.Glob(filepath.Join(tmp, "cache", "*.pixels"))
	fmt.Println("cache files:", len(cached))
	// Output:
	// decoded 2 of 2
	// 2 images of [dark light] as pixels: true light: [1 1 0.49803922 1]
	// decoded 2 of 2
	// 2 images of [dark light] as pixels: true light: [1 1 0.49803922 1]
	// cache files: 1
}
