package datasets

import (
	"errors"
	"io"
	"testing"
)

func TestFormatErrorMessage(t *testing.T) {
	for i, test := range []struct {
		err  *FormatError
		want string
	}{
		{&FormatError{File: "a.csv", Offset: -1, Row: 12, Col: 3, Msg: `not a number: "abc"`}, `datasets: a.csv: row 12, column 3: not a number: "abc"`},
		{&FormatError{File: "a.csv", Offset: -1, Row: 2, Msg: "3 fields, want 4"}, "datasets: a.csv: row 2: 3 fields, want 4"},
		{&FormatError{File: "x.gz", Offset: 16, Msg: "truncated", Err: io.ErrUnexpectedEOF}, "datasets: x.gz: offset 16: truncated: unexpected EOF"},
		{&FormatError{File: "x", Offset: -1, Msg: "empty file"}, "datasets: x: empty file"},
		{&FormatError{Offset: -1, Msg: "m"}, "datasets: m"},
	} {
		if got := test.err.Error(); got != test.want {
			t.Errorf("%d: Error() = %q, want %q", i, got, test.want)
		}
	}
	e := &FormatError{Offset: 0, Err: io.ErrUnexpectedEOF}
	if !errors.Is(e, io.ErrUnexpectedEOF) {
		t.Error("Unwrap does not expose Err")
	}
}
