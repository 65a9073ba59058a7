// Package atomicfile writes files atomically: readers of a path see
// either its old content or the whole new one, never a partial file.
//
// # Use
//
// Write calls a function with a buffered writer to a temporary file in
// the destination's directory (named ".<base>.tmp<random>", hidden, so
// that a folder loader skips it), then flushes it, gives it mode 0644,
// syncs it, closes it and renames it over the destination:
//
//	err := atomicfile.Write(path, func(w io.Writer) error {
//		return png.Encode(w, img)
//	})
//
// Stage does all of this but the rename, for callers that must complete
// several files before any of them replaces its destination (an image
// file and its label file, say): each Staged file is then Committed, or
// Discarded if another one failed.
//
// # Errors
//
// On any error the temporary file is removed and the destination is left
// as it was. An error returned by the caller's write function is returned
// as it is, so that a caller's own error types and messages pass through;
// failures of the file operations themselves (creating, flushing,
// syncing, closing or renaming the temporary file) are returned as an
// *Error naming the destination and wrapping the cause, so that
// errors.Is(err, fs.ErrPermission) and the like work and a caller can
// tell the two kinds apart with errors.As.
//
// The mode is 0644 whatever the umask, since the files written through
// this package (data sets, images, tables) are meant to be read by others;
// checkpoints that should stay private are not its business.
package atomicfile
