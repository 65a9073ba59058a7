package main

import (
	"context"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

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
	if f.channels != 0 && f.size != (image.Point{}) {
		return f, nil // the flags say all the headers would tell
	}
	var gray, colour string
	var ws, hs []int
	for _, fl := range []*datasets.FolderListing{f.lab, f.unl} {
		headers, errs := readHeaders(ctx, fl.Files)
		for i, path := range fl.Files {
			if err := ctx.Err(); err != nil {
				return nil, command.Interrupted(ctx, nil, nil, "", err)
			}
			h, err := headers[i], errs[i]
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

// defaultCache is the default of -cache: semigan/images in the user's
// cache folder ($XDG_CACHE_HOME or ~/.cache on Linux), or none when there
// is no such folder.
func defaultCache() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "semigan", "images")
}

// loadFolders decodes the three folders at the size and channels scan
// chose, through the cache of -cache, with a progress line on stderr
// unless -no-bar.
func loadFolders(ctx context.Context, o options, f *folders, skip func(string, error) bool, stderr io.Writer) (lab, unl, test *datasets.Set, err error) {
	color := datasets.Gray
	if f.channels == 3 {
		color = datasets.RGB
	}
	load := func(what, dir string, recursive bool) (*datasets.Set, error) {
		if dir == "" {
			return nil, nil
		}
		opts := datasets.FolderOptions{Color: color, Size: f.size, Recursive: recursive, Skip: skip, Cache: o.cache}
		if !o.noBar {
			last := time.Time{}
			opts.Progress = func(done, total int) {
				if done < total && time.Since(last) < time.Second {
					return
				}
				last = time.Now()
				fmt.Fprintf(stderr, "\rloading %s images: %d of %d (%.0f %%)", what, done, total, 100*float64(done)/float64(max(total, 1)))
				if done == total {
					fmt.Fprintln(stderr)
				}
			}
		}
		return datasets.LoadImageFolderContext(ctx, dir, opts)
	}
	if lab, err = load("labelled", o.labelled, false); err != nil {
		return nil, nil, nil, err
	}
	if unl, err = load("unlabelled", o.unlabelled, true); err != nil {
		return nil, nil, nil, err
	}
	if test, err = load("test", o.test, false); err != nil {
		return nil, nil, nil, err
	}
	return lab, unl, test, nil
}

// readHeaders reads the header of each file, on every core: a folder of
// 200,000 images would otherwise take a while before anything starts.
func readHeaders(ctx context.Context, files []string) ([]datasets.ImageHeader, []error) {
	headers, errs := make([]datasets.ImageHeader, len(files)), make([]error, len(files))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(files) {
					return
				}
				headers[i], errs[i] = datasets.ReadImageHeader(files[i])
			}
		})
	}
	wg.Wait()
	return headers, errs
}
