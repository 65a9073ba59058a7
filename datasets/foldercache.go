package datasets

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

// A folder cache file holds the decoded pixels of one image folder,
// loaded with one set of options, followed by a JSON trailer and a fixed
// footer:
//
//	pixels   N×C×H×W bytes, from offset 0 (row r at r·C·H·W)
//	trailer  JSON (cacheTrailer)
//	footer   the trailer's length (8 bytes, little-endian), then cacheMagic
//
// The file's name is a hash of the folder's absolute path and the options
// that change the pixels; the trailer's Stamp is a hash of every listed
// file's path, label, size and modification time, so a change to the
// folder makes the file stale, and it is made again.
const (
	cacheMagic   = "SGPIXv1\n"
	cacheFooter  = 8 + len(cacheMagic)
	cacheVersion = 1
)

// cacheTrailer describes the pixels of a folder cache file.
type cacheTrailer struct {
	Version    int           `json:"version"`
	Dir        string        `json:"dir"`
	Stamp      string        `json:"stamp"`
	N          int           `json:"n"`
	C          int           `json:"c"`
	H          int           `json:"h"`
	W          int           `json:"w"`
	Classes    int           `json:"classes"`
	ClassNames []string      `json:"classNames,omitempty"`
	Labels     []int         `json:"labels"`
	Skipped    []skippedFile `json:"skipped,omitempty"`
}

// skippedFile is a file that FolderOptions.Skip left out, with the error
// that it gave.
type skippedFile struct {
	File  string `json:"file"`
	Error string `json:"error"`
}

// folderCache is the cache file of one folder and set of options.
type folderCache struct {
	path  string // the cache file
	dir   string // the image folder, absolute
	stamp string // what the folder holds now
}

// openFolderCache names the cache file of dir loaded with opts and
// stamps the folder's current content: the listed files' paths, labels,
// sizes and modification times (read in parallel: a folder of 200,000
// images takes a fraction of a second).
func openFolderCache(dir string, fl *FolderListing, opts FolderOptions) (*folderCache, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fileError(dir, err, "cannot resolve folder")
	}
	if err := os.MkdirAll(opts.Cache, 0o755); err != nil {
		return nil, fileError(opts.Cache, err, "cannot make cache folder")
	}
	name := sha256.New()
	fmt.Fprintf(name, "semigan pixels %d\n%s\n%d %v %v %v\n", cacheVersion, abs, opts.Color, opts.Size, opts.Recursive, opts.SkipOther)
	stats := make([][]byte, len(fl.Files))
	var wg sync.WaitGroup
	workers := max(runtime.GOMAXPROCS(0), 4) // stat waits on the disk more than on a core
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(fl.Files); i += workers {
				st, err := os.Stat(fl.Files[i])
				if err != nil {
					// left to the decoding, which reports or skips it
					stats[i] = []byte("missing\n")
					continue
				}
				stats[i] = fmt.Appendf(nil, "%d %d %d\n", fl.Labels[i], st.Size(), st.ModTime().UnixNano())
			}
		})
	}
	wg.Wait()
	stamp := sha256.New()
	fmt.Fprintf(stamp, "%q\n", fl.ClassNames)
	for i, f := range fl.Files {
		rel, err := filepath.Rel(dir, f)
		if err != nil {
			rel = f
		}
		fmt.Fprintf(stamp, "%s\n", rel)
		stamp.Write(stats[i])
	}
	return &folderCache{
		path:  filepath.Join(opts.Cache, hex.EncodeToString(name.Sum(nil)[:12])+".pixels"),
		dir:   abs,
		stamp: hex.EncodeToString(stamp.Sum(nil)),
	}, nil
}

// load returns the cached set if the cache file exists and is current,
// nil and no error if it is missing or stale (it is then made again), and
// an error if it cannot be read or a file it skipped is not skipped now.
// A cache file that is damaged counts as stale.
func (fc *folderCache) load(fl *FolderListing, opts FolderOptions) (*Set, error) {
	f, err := os.Open(fc.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fileError(fc.path, err, "cannot read cache file")
	}
	tr, _, ok := readTrailer(f)
	if !ok || tr.Stamp != fc.stamp || tr.Dir != fc.dir {
		f.Close()
		return nil, nil
	}
	for _, sk := range tr.Skipped {
		err := &FormatError{File: sk.File, Offset: -1, Msg: "(as when the cache was made) " + sk.Error}
		if opts.Skip == nil || !opts.Skip(sk.File, err) {
			f.Close()
			return nil, err
		}
	}
	return tr.set(f), nil
}

// readTrailer reads and checks the trailer of a cache file; ok is false
// when the file is not a whole cache file.
func readTrailer(f *os.File) (tr cacheTrailer, pixBytes int64, ok bool) {
	st, err := f.Stat()
	if err != nil || st.Size() < int64(cacheFooter) {
		return tr, 0, false
	}
	var foot [cacheFooter]byte
	if _, err := f.ReadAt(foot[:], st.Size()-int64(cacheFooter)); err != nil || string(foot[8:]) != cacheMagic {
		return tr, 0, false
	}
	tl := int64(binary.LittleEndian.Uint64(foot[:8]))
	pixBytes = st.Size() - int64(cacheFooter) - tl
	if tl <= 0 || tl > 1<<31 || pixBytes <= 0 {
		return tr, 0, false
	}
	raw := make([]byte, tl)
	if _, err := f.ReadAt(raw, pixBytes); err != nil {
		return tr, 0, false
	}
	if json.Unmarshal(raw, &tr) != nil || tr.Version != cacheVersion || (tr.C != 1 && tr.C != 3) ||
		tr.H <= 0 || tr.W <= 0 || tr.H > MaxImagePixels || tr.W > MaxImagePixels || tr.H*tr.W > MaxImagePixels ||
		tr.N <= 0 || int64(tr.N) > pixBytes || len(tr.Labels) != tr.N || int64(tr.N)*int64(tr.C*tr.H*tr.W) != pixBytes ||
		tr.Classes < 0 || tr.Classes > MaxClasses || len(tr.ClassNames) != tr.Classes {
		return tr, 0, false
	}
	for _, l := range tr.Labels {
		if l != Unlabelled && (l < 0 || l >= tr.Classes) {
			return tr, 0, false
		}
	}
	return tr, pixBytes, true
}

// set returns the set of pixels the trailer describes, read from f.
func (tr *cacheTrailer) set(f *os.File) *Set {
	s := newFileSet(f, tr.Labels, tr.C, tr.H, tr.W, tr.Classes)
	s.ClassNames = tr.ClassNames
	return s
}

// cacheWriter is a cache file being made: a temporary file beside it,
// written an image at a time.
type cacheWriter struct {
	fc  *folderCache
	tmp *os.File
}

// create makes the temporary file of size bytes.
func (fc *folderCache) create(size int) (*cacheWriter, error) {
	tmp, err := os.CreateTemp(filepath.Dir(fc.path), "."+filepath.Base(fc.path)+".tmp*")
	if err != nil {
		return nil, fileError(fc.path, err, "cannot make cache file")
	}
	w := &cacheWriter{fc: fc, tmp: tmp}
	if err := tmp.Truncate(int64(size)); err != nil {
		w.discard()
		return nil, fileError(fc.path, err, "cannot make cache file")
	}
	return w, nil
}

// writeAt writes b at offset off of the temporary file; safe for
// concurrent use at distinct offsets.
func (w *cacheWriter) writeAt(b []byte, off int) error {
	if _, err := w.tmp.WriteAt(b, int64(off)); err != nil {
		return fileError(w.fc.path, err, "cannot write cache file")
	}
	return nil
}

// readAt reads b from offset off of the temporary file.
func (w *cacheWriter) readAt(b []byte, off int) error {
	if _, err := w.tmp.ReadAt(b, int64(off)); err != nil {
		return fileError(w.fc.path, err, "cannot read cache file")
	}
	return nil
}

// discard removes the temporary file unless commit renamed it.
func (w *cacheWriter) discard() {
	if w.tmp == nil {
		return
	}
	w.tmp.Close()
	os.Remove(w.tmp.Name())
	w.tmp = nil
}

// commit keeps the first size bytes of pixels, appends the trailer,
// syncs the file and renames it into place; the set it returns reads its
// rows from the file.
func (w *cacheWriter) commit(size int, tr cacheTrailer) (*Set, error) {
	fc := w.fc
	tr.Version, tr.Dir, tr.Stamp = cacheVersion, fc.dir, fc.stamp
	fail := func(err error) (*Set, error) { return nil, fileError(fc.path, err, "cannot write cache file") }
	raw, err := json.Marshal(&tr)
	if err != nil {
		return fail(err)
	}
	raw = binary.LittleEndian.AppendUint64(raw, uint64(len(raw)))
	raw = append(raw, cacheMagic...)
	if err := w.tmp.Truncate(int64(size)); err != nil {
		return fail(err)
	}
	if _, err := w.tmp.WriteAt(raw, int64(size)); err != nil {
		return fail(err)
	}
	if err := w.tmp.Chmod(0o644); err != nil {
		return fail(err)
	}
	if err := w.tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := os.Rename(w.tmp.Name(), fc.path); err != nil {
		return fail(err)
	}
	f := w.tmp // now the cache file itself
	w.tmp = nil
	return tr.set(f), nil
}
