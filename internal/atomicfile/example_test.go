package atomicfile_test

import (
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/semigan/semigan/internal/atomicfile"
)

func ExampleWrite() {
	dir, err := os.MkdirTemp("", "atomicfile")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "greeting.txt")

	err = atomicfile.Write(path, func(w io.Writer) error {
		_, err := fmt.Fprintln(w, "hello")
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
	// A failing write function leaves the file as it was.
	err = atomicfile.Write(path, func(w io.Writer) error {
		fmt.Fprintln(w, "half a greet")
		return fmt.Errorf("out of ideas")
	})
	fmt.Println("error:", err)

	b, _ := os.ReadFile(path)
	st, _ := os.Stat(path)
	fmt.Printf("%s: %q, mode %v\n", filepath.Base(path), b, st.Mode().Perm())
	// Output:
	// error: out of ideas
	// greeting.txt: "hello\n", mode -rw-r--r--
}
