package datasets

import (
	"context"
	"errors"
	"image"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// skippable reports whether err is one that opts.Skip may be offered:
// a problem with one file's content, with a Skip to offer it to.
func skippable(err error, opts FolderOptions) bool {
	_, ok := errors.AsType[*FormatError](err)
	return ok && opts.Skip != nil
}

// loadFolder decodes the listed images into a set of pixels: in
// parallel, straight into the bytes that will hold the set (memory
// outside the Go heap, or the cache file when opts.Cache is set, written
// an image at a time, so that nothing the size of the set passes through
// the process's memory), reporting progress.
func loadFolder(ctx context.Context, dir string, fl *FolderListing, opts FolderOptions) (*Set, error) {
	c := 1
	if opts.Color == RGB {
		c = 3
	}
	var cache *folderCache
	if opts.Cache != "" {
		var err error
		if cache, err = openFolderCache(dir, fl, opts); err != nil {
			return nil, err
		}
		if s, err := cache.load(fl, opts); s != nil || err != nil {
			if opts.Progress != nil && err == nil {
				opts.Progress(len(fl.Files), len(fl.Files))
			}
			return s, err
		}
	}
	// The first image that decodes sets the size unless opts.Size does.
	first, size := "", opts.Size
	var firstPix []byte
	start := 0
	var early []error // the files decoded, or not, before the first image
	for size == (image.Point{}) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if start == len(fl.Files) {
			return nil, fileError(dir, nil, "no images")
		}
		img, err := decodeFile(fl.Files[start], image.Point{}, "", opts.Size, c)
		if err == nil {
			first, size = fl.Files[start], img.Bounds().Size()
			firstPix = make([]byte, c*size.X*size.Y)
			imagePixels(firstPix, img, c)
		}
		early = append(early, err)
		start++
		if err != nil && !skippable(err, opts) {
			return nil, err
		}
	}
	f := c * size.X * size.Y
	n := len(fl.Files)
	var buf []byte
	var mem *mapping // owns buf without a cache
	var out *cacheWriter
	// put stores image i's pixels; move copies image src's to dst.
	put := func(i int, pix []byte) error { copy(buf[i*f:(i+1)*f], pix); return nil }
	move := func(dst, src int) error { copy(buf[dst*f:(dst+1)*f], buf[src*f:(src+1)*f]); return nil }
	if cache != nil {
		var err error
		if out, err = cache.create(n * f); err != nil {
			return nil, err
		}
		defer out.discard()
		put = func(i int, pix []byte) error { return out.writeAt(pix, i*f) }
		move = func(dst, src int) error {
			row := make([]byte, f)
			if err := out.readAt(row, src*f); err != nil {
				return err
			}
			return out.writeAt(row, dst*f)
		}
	} else {
		buf, mem = allocPixels(n * f)
		defer func() {
			if mem != nil {
				mem.unmap() // not handed to a set
			}
		}()
	}
	errs := make([]error, n) // each file's *FormatError, or nil
	copy(errs, early)
	if firstPix != nil {
		if err := put(start-1, firstPix); err != nil {
			return nil, err
		}
	}
	want := size
	if opts.Size != (image.Point{}) {
		want = image.Point{} // any size: resized
	}
	var next, done atomic.Int64
	next.Store(int64(start))
	done.Store(int64(start))
	var stop atomic.Bool
	var wg sync.WaitGroup
	var writeErr error
	var writeOnce sync.Once
	workers := min(runtime.GOMAXPROCS(0), n-start)
	for range workers {
		wg.Go(func() {
			pix := make([]byte, f)
			for !stop.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				img, err := decodeFile(fl.Files[i], want, first, opts.Size, c)
				if err == nil {
					imagePixels(pix, img, c)
					if err := put(i, pix); err != nil {
						writeOnce.Do(func() { writeErr = err })
						stop.Store(true)
					}
				} else {
					errs[i] = err
					if !skippable(err, opts) {
						stop.Store(true)
					}
				}
				done.Add(1)
			}
		})
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for waiting := true; waiting; {
		select {
		case <-finished:
			waiting = false
		case <-tick.C:
			if opts.Progress != nil {
				opts.Progress(int(done.Load()), n)
			}
		case <-ctx.Done():
			stop.Store(true)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if writeErr != nil {
		return nil, writeErr
	}
	if opts.Progress != nil {
		opts.Progress(int(done.Load()), n)
	}
	// Errors in file order: every file before the one that stopped the
	// workers has been decoded, so the first error is always the same.
	labels := make([]int, 0, n)
	var skipped []skippedFile
	kept := 0
	for i, err := range errs {
		if err != nil {
			if skippable(err, opts) && opts.Skip(fl.Files[i], err) {
				skipped = append(skipped, skippedFile{File: fl.Files[i], Error: err.Error()})
				continue
			}
			return nil, err
		}
		if kept != i {
			if err := move(kept, i); err != nil {
				return nil, err
			}
		}
		labels = append(labels, fl.Labels[i])
		kept++
	}
	if kept == 0 {
		return nil, fileError(dir, nil, "no images")
	}
	classes := len(fl.ClassNames)
	if out != nil {
		s, err := out.commit(kept*f, cacheTrailer{
			N: kept, C: c, H: size.Y, W: size.X, Classes: classes, ClassNames: fl.ClassNames,
			Labels: labels, Skipped: skipped,
		})
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	s := newStoreSet(buf[:kept*f:kept*f], mem, labels, c, size.Y, size.X, classes)
	s.ClassNames = fl.ClassNames
	mem = nil
	return s, nil
}

// decodeFile decodes the image file at path: of size want when want.X >
// 0 (the size of the file first, named in the error), resized to resize
// when that is not zero.
func decodeFile(path string, want image.Point, first string, resizeTo image.Point, c int) (image.Image, error) {
	fh, err := openImage(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	img, err := decodeImage(fh, path, want, first)
	if err != nil {
		return nil, err
	}
	if resizeTo != (image.Point{}) && img.Bounds().Size() != resizeTo {
		img = resize(img, resizeTo, c)
	}
	return img, nil
}
