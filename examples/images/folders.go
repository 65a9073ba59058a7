package main

import (
	"context"
	"fmt"
	"image"
	"slices"
	"strconv"
	"strings"

	"github.com/semigan/semigan/datasets"
	"github.com/semigan/semigan/examples/internal/command"
)

// maxSide is the largest side the default -size picks.
const maxSide = 64

// parseSize reads the -size flag, WxH.
func parseSize(s string) (image.Point, error) {
	var p image.Point
	w, h, ok := strings.Cut(strings.ToLower(s), "x")
	var err1, err2 error
	p.X, err1 = strconv.Atoi(w)
	p.Y, err2 = strconv.Atoi(h)
	// p.X > Max/p.Y rather than p.X*p.Y > Max, which overflows (issue 24,
	// row 10: 4294967296x4294967296 passed and panicked in image.NewRGBA)
	if !ok || err1 != nil || err2 != nil || p.X < 1 || p.Y < 1 || p.X > datasets.MaxImagePixels/p.Y {
		return p, fmt.Errorf("-size %q: want WxH with positive sides and at most %d pixels, such as 32x32", s, datasets.MaxImagePixels)
	}
	return p, nil
}

// folders are the three image folders and how they are read.
type folders struct {
	lab, unl, test *datasets.FolderListing
	channels       int
	size           image.Point
}

// scan lists the folders and reads every image's header, to choose the
// channels and the size unless the flags give them.
func scan(ctx context.Context, o options, skip func(string, error) bool) (*folders, error) {
	f := &folders{channels: o.channels, size: o.size}
	var err error
	if f.lab, err = datasets.ListImageFolder(o.labelled, datasets.FolderOptions{}); err != nil {
		return nil, err
	}
	if len(f.lab.ClassNames) == 0 {
		return nil, fmt.Errorf("%s: no class folders: the labelled folder needs one subfolder of images per class", o.labelled)
	}
	if f.unl, err = datasets.ListImageFolder(o.unlabelled, datasets.FolderOptions{Recursive: true}); err != nil {
		return nil, err
	}
	if o.test != "" {
		if f.test, err = datasets.ListImageFolder(o.test, datasets.FolderOptions{}); err != nil {
			return nil, err
		}
		if !slices.Equal(f.test.ClassNames, f.lab.ClassNames) {
			return nil, fmt.Errorf("%s has the classes %q, but %s has %q: the test folder needs the labelled folder's class folders", o.test, f.test.ClassNames, o.labelled, f.lab.ClassNames)
		}
	}
	var gray, colour string
	var ws, hs []int
	for _, fl := range []*datasets.FolderListing{f.lab, f.unl} {
		for _, path := range fl.Files {
			if err := ctx.Err(); err != nil {
				return nil, command.Interrupted(ctx, nil, nil, "", err)
			}
			h, err := datasets.ReadImageHeader(path)
			if err != nil {
				if skip(path, err) {
					continue
				}
				return nil, err
			}
			if h.Gray && gray == "" {
				gray = path
			}
			if !h.Gray && colour == "" {
				colour = path
			}
			ws, hs = append(ws, h.Size.X), append(hs, h.Size.Y)
		}
	}
	if f.channels == 0 {
		switch {
		case gray != "" && colour != "":
			return nil, fmt.Errorf("the images mix gray (such as %s) and colour (such as %s): give -channels 1 or -channels 3", gray, colour)
		case colour != "":
			f.channels = 3
		default:
			f.channels = 1
		}
	}
	if f.size == (image.Point{}) {
		if len(ws) == 0 {
			return nil, fmt.Errorf("%s and %s hold no readable image", o.labelled, o.unlabelled)
		}
		f.size = defaultSize(median(ws), median(hs))
	}
	return f, nil
}

// images returns how many images the folders list.
func (f *folders) images() int {
	n := len(f.lab.Files) + len(f.unl.Files)
	if f.test != nil {
		n += len(f.test.Files)
	}
	return n
}

// classCounts returns the number of labelled images of each class.
func (f *folders) classCounts() []int {
	counts := make([]int, len(f.lab.ClassNames))
	for _, k := range f.lab.Labels {
		counts[k]++
	}
	return counts
}

// checkClasses refuses a labelled folder with an empty class, or with
// one class only.
func checkClasses(dir string, names []string, counts []int) error {
	for k, n := range counts {
		if n == 0 {
			return fmt.Errorf("%s: class folder %q has no images", dir, names[k])
		}
	}
	if len(counts) < 2 {
		return fmt.Errorf("%s: one class (%q): a classifier needs at least two class folders", dir, names[0])
	}
	return nil
}

// defaultSize scales a median image size down to at most maxSide on the
// longer side, keeping the aspect, and rounds each side down to a
// multiple of 4 (the generator halves the sides twice) of at least 8.
func defaultSize(w, h int) image.Point {
	if m := max(w, h); m > maxSide {
		w, h = w*maxSide/m, h*maxSide/m
	}
	round := func(v int) int { return max(8, v/4*4) }
	return image.Point{X: round(w), Y: round(h)}
}

func median(v []int) int {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// skipList records the files skipped under -skip-bad.
type skipList struct {
	on    bool
	files []string
	errs  []error
}

func (s *skipList) skip(path string, err error) bool {
	if !s.on {
		return false
	}
	if !slices.Contains(s.files, path) {
		s.files, s.errs = append(s.files, path), append(s.errs, err)
	}
	return true
}
