package command

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/internal/atomicfile"
)

// WrittenFile lists, inside a folder of images that a program wrote, the
// files it wrote there: what a later run may replace.
const WrittenFile = ".semigan-written"

// CheckWritten reports whether a later run may replace the folder dir:
// it may when dir does not exist, holds no file, or holds only files that
// an earlier run listed in its WrittenFile. Otherwise the error names the
// first other file: such a folder is the user's, and no program deletes
// it (with -force or not).
func CheckWritten(dir string) error {
	_, err := written(dir)
	return err
}

// written returns the files of dir, all of them listed in its
// WrittenFile, or an error naming one that is not.
func written(dir string) ([]string, error) {
	files, err := listFiles(dir)
	if err != nil {
		return nil, err
	}
	listed := map[string]bool{WrittenFile: true}
	if slices.Contains(files, WrittenFile) {
		f, err := os.Open(filepath.Join(dir, WrittenFile))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		sc := bufio.NewScanner(io.LimitReader(f, 64<<20))
		for sc.Scan() {
			listed[sc.Text()] = true
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, WrittenFile), err)
		}
	}
	for _, f := range files {
		if !listed[f] {
			return nil, fmt.Errorf("%s holds %s, which no semigan run wrote there: it is left alone, so this run cannot write its images there; move it, or choose another -out", dir, filepath.Join(dir, filepath.FromSlash(f)))
		}
	}
	return files, nil
}

// RemoveWritten removes the folder dir that an earlier run wrote, as
// CheckWritten allows, and reports whether there was one. A folder
// holding any other file is refused and left as it is.
func RemoveWritten(dir string) (bool, error) {
	files, err := written(dir)
	if err != nil {
		return false, err
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	for _, f := range files {
		if f != WrittenFile {
			if err := os.Remove(filepath.Join(dir, filepath.FromSlash(f))); err != nil {
				return true, err
			}
		}
	}
	if err := os.Remove(filepath.Join(dir, WrittenFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return true, err
	}
	// The folders are empty now; deepest first.
	var dirs []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	for _, d := range slices.Backward(dirs) {
		if err := os.Remove(d); err != nil {
			return true, err
		}
	}
	return true, nil
}

// SaveImageFolder writes s into dir as datasets.SaveImageFolder does,
// first removing what an earlier run wrote there (RemoveWritten, which
// refuses a folder holding anything else), and lists the files it wrote
// in dir's WrittenFile.
func SaveImageFolder(dir string, s *datasets.Set) error {
	if _, err := RemoveWritten(dir); err != nil {
		return err
	}
	if err := datasets.SaveImageFolder(dir, s); err != nil {
		return err
	}
	files, err := listFiles(dir)
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, WrittenFile), func(w io.Writer) error {
		_, err := io.WriteString(w, strings.Join(files, "\n")+"\n")
		return err
	})
}

// listFiles returns the paths, relative to dir and slash-separated, of
// everything in dir's tree that is not a folder (symbolic links included,
// not followed); none when dir does not exist.
func listFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return files, err
}
