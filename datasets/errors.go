package datasets

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// FormatError reports malformed content in a data file: an IDX file, a
// CSV file or an image. It names the file and, where it is known, the
// byte offset or the CSV row and column of the problem.
type FormatError struct {
	// File is the name of the file, as given to the reader.
	File string

	// Offset is the byte offset of the problem, or -1 if it does not
	// apply. For gzip-compressed files it counts bytes of the
	// decompressed stream.
	Offset int64

	// Row is the 1-based line of the problem in a CSV file, or 0 if it
	// does not apply.
	Row int

	// Col is the 1-based field (column) of the problem in a CSV row,
	// or 0 if it does not apply.
	Col int

	// Msg describes the problem.
	Msg string

	// Err is the underlying error, if any.
	Err error
}

// Error returns a message of the form
//
//	datasets: FILE: row 12, column 3: not a number: "abc"
//	datasets: FILE: offset 16: truncated: ...
//
// Parts that do not apply are left out.
func (e *FormatError) Error() string {
	var b strings.Builder
	b.WriteString("datasets: ")
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(": ")
	}
	switch {
	case e.Row > 0:
		b.WriteString("row ")
		b.WriteString(strconv.Itoa(e.Row))
		if e.Col > 0 {
			b.WriteString(", column ")
			b.WriteString(strconv.Itoa(e.Col))
		}
		b.WriteString(": ")
	case e.Offset >= 0:
		b.WriteString("offset ")
		b.WriteString(strconv.FormatInt(e.Offset, 10))
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error, which may be nil.
func (e *FormatError) Unwrap() error { return e.Err }

// offsetError returns a *FormatError located at a byte offset.
func offsetError(file string, off int64, err error, format string, args ...any) *FormatError {
	return &FormatError{File: file, Offset: off, Msg: fmt.Sprintf(format, args...), Err: err}
}

// rowError returns a *FormatError located at a CSV row and column.
func rowError(file string, row, col int, format string, args ...any) *FormatError {
	return &FormatError{File: file, Offset: -1, Row: row, Col: col, Msg: fmt.Sprintf(format, args...)}
}

// fileError returns a *FormatError about a whole file.
func fileError(file string, err error, format string, args ...any) *FormatError {
	return &FormatError{File: file, Offset: -1, Msg: fmt.Sprintf(format, args...), Err: err}
}

// ClassSizeError is returned by Set.Split when a class has fewer
// labelled examples than were asked for.
type ClassSizeError struct {
	Class int    // the class index
	Name  string // the class name, "" if the set has no ClassNames
	Have  int    // labelled examples of the class in the set
	Want  int    // examples asked for
}

// Error returns a message naming the class.
func (e *ClassSizeError) Error() string {
	name := ""
	if e.Name != "" {
		name = fmt.Sprintf(" (%q)", e.Name)
	}
	return fmt.Sprintf("datasets: split: class %d%s has %d labelled examples, want %d", e.Class, name, e.Have, e.Want)
}

var (
	// ErrInvalid is wrapped by the errors of Set.Validate and of
	// functions given a Set that fails it.
	ErrInvalid = errors.New("datasets: invalid set")

	// ErrInvalidArgument is wrapped by errors about arguments and
	// options that are wrong whatever the input data, such as a
	// negative label column or a non-positive image size.
	ErrInvalidArgument = errors.New("datasets: invalid argument")

	// ErrNotFound is wrapped by the error of LoadMNIST when no
	// directory holds the four MNIST files.
	ErrNotFound = errors.New("datasets: MNIST files not found")
)

// argError returns an error wrapping ErrInvalidArgument.
func argError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidArgument}, args...)...)
}

// invalidError returns an error wrapping ErrInvalid.
func invalidError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}
