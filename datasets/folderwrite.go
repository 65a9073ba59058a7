package datasets

import (
	"errors"
	"fmt"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// SaveImageFolder writes s as PNG files under dir, one folder per class,
// so that LoadImageFolder(dir, opts), with opts.Color RGB if s.C == 3,
// reads it back.
//
// Class k goes to the folder s.ClassNames[k] or, if s has no ClassNames,
// to the folder named k zero-padded to the width of Classes-1 ("0".."9"
// for 10 classes, "00".."11" for 12), so that the sorted folder names,
// which LoadImageFolder numbers, come in class order. Every class gets a
// folder, empty if it has no example, so that Classes round-trips. A set
// with Classes == 0, whose examples are all Unlabelled, is written as a
// flat folder of images, which LoadImageFolder reads as unlabelled.
//
// Example i goes to the file named i zero-padded to the width of N-1,
// with extension ".png": a gray PNG if s.C == 1, an RGB PNG if s.C == 3.
// Values map to bytes with PixelByte, so they are quantised to the 256
// values of PixelValue and values outside [-1, 1] are clamped to -1 and
// 1. LoadImageFolder reads the examples back grouped by class, in their
// order in s within a class.
//
// dir is created if it does not exist. If it exists it must be empty,
// but for entries whose names begin with "." (which LoadImageFolder
// ignores): SaveImageFolder refuses a folder holding anything else, and
// names what is there, so that loading it never mixes old files in with
// the new ones. Such an error wraps fs.ErrExist.
//
// SaveImageFolder returns an error, and writes nothing, if s is nil or
// has no examples, fails Validate (a NaN or ±Inf value, named by its
// example index), has C other than 1 or 3, has Classes > 0 and an
// Unlabelled example, or has a class name that is empty, begins with ".",
// holds a slash, a backslash or NUL, is not above the previous name in
// sorted order (LoadImageFolder would number the classes otherwise) or
// equals another but for case (a case-insensitive file system would
// merge their folders). The errors wrap ErrInvalidArgument (nil set) or ErrInvalid.
//
// Every file is written atomically, to a hidden temporary file renamed
// to its name once complete. If writing fails part way, the files and
// folders made so far are removed.
func SaveImageFolder(dir string, s *Set) (err error) {
	if s == nil {
		return argError("SaveImageFolder of a nil *Set")
	}
	if s.Len() == 0 {
		return invalidError("SaveImageFolder: set has no examples")
	}
	if err := s.Validate(); err != nil {
		return err
	}
	if s.C != 1 && s.C != 3 {
		return invalidError("SaveImageFolder: %d channels, want 1 (gray PNG) or 3 (RGB PNG)", s.C)
	}
	classes, err := classFolderNames(s)
	if err != nil {
		return err
	}
	if s.Classes > 0 {
		for i, l := range s.Labels {
			if l == Unlabelled {
				return invalidError("example %d is Unlabelled: a class folder cannot hold it (a set with Classes = 0 is written as a flat folder)", i)
			}
		}
	}

	var made []string // files and folders made, to remove on failure
	defer func() {
		if err != nil {
			for _, p := range slices.Backward(made) {
				os.Remove(p)
			}
		}
	}()
	switch _, serr := os.Stat(dir); {
	case errors.Is(serr, fs.ErrNotExist):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return wrapIO(err)
		}
		made = append(made, dir)
	case serr != nil:
		return wrapIO(serr)
	default:
		if err := checkEmptyFolder(dir); err != nil {
			return err
		}
	}
	for _, name := range classes {
		p := filepath.Join(dir, name)
		if err := os.Mkdir(p, 0o755); err != nil {
			return wrapIO(err)
		}
		made = append(made, p)
	}

	width := len(strconv.Itoa(s.Len() - 1))
	for i := range s.Len() {
		p := filepath.Join(dir, fmt.Sprintf("%0*d.png", width, i))
		if l := s.Labels[i]; l != Unlabelled {
			p = filepath.Join(dir, classes[l], filepath.Base(p))
		}
		img := s.Image(i)
		err := writeFileAtomic(p, func(w io.Writer) error {
			if err := png.Encode(w, img); err != nil {
				return wrapIO(err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		made = append(made, p)
	}
	return nil
}

// classFolderNames returns the folder name of each class of s, checking
// that LoadImageFolder numbers them as s does.
func classFolderNames(s *Set) ([]string, error) {
	if len(s.ClassNames) == 0 {
		width := len(strconv.Itoa(max(s.Classes-1, 0)))
		names := make([]string, s.Classes)
		for k := range names {
			names[k] = fmt.Sprintf("%0*d", width, k)
		}
		return names, nil
	}
	folded := make(map[string]int, len(s.ClassNames))
	for k, name := range s.ClassNames {
		switch {
		case name == "":
			return nil, invalidError("class %d has an empty name: it cannot name a folder", k)
		case strings.HasPrefix(name, "."):
			return nil, invalidError("class %d: name %q begins with \".\": LoadImageFolder would ignore its folder", k, name)
		case strings.ContainsAny(name, `/\`+"\x00") || strings.ContainsRune(name, filepath.Separator):
			return nil, invalidError("class %d: name %q holds a slash, backslash or NUL: it cannot name a folder", k, name)
		case k > 0 && name == s.ClassNames[k-1]:
			return nil, invalidError("classes %d and %d are both named %q", k-1, k, name)
		case k > 0 && name < s.ClassNames[k-1]:
			return nil, invalidError("class names not in sorted order: class %d is %q, class %d %q; LoadImageFolder numbers class folders in sorted name order", k-1, s.ClassNames[k-1], k, name)
		}
		low := strings.ToLower(name)
		if j, ok := folded[low]; ok {
			return nil, invalidError("class names %q (class %d) and %q (class %d) differ only in case: a case-insensitive file system would merge their folders", s.ClassNames[j], j, name, k)
		}
		folded[low] = k
	}
	return s.ClassNames, nil
}

// checkEmptyFolder returns an error wrapping fs.ErrExist, naming what is
// there, if dir holds entries other than hidden ones.
func checkEmptyFolder(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return wrapIO(err)
	}
	var names []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			name := strconv.Quote(e.Name())
			if e.IsDir() {
				name += " (folder)"
			}
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	const show = 3
	list := strings.Join(names[:min(len(names), show)], ", ")
	if len(names) > show {
		list += fmt.Sprintf(" and %d more", len(names)-show)
	}
	return fmt.Errorf("datasets: %s is not empty: it holds %s; SaveImageFolder writes only to a new or empty folder, so that old files are never mixed in with the new (%w)", dir, list, fs.ErrExist)
}
