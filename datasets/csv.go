package datasets

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Scale says how the feature values of a CSV file map to the values of a
// Set.
type Scale int

const (
	// Scale255 reads values in [0, 255] (pixels) and stores p as
	// p/127.5 - 1, in [-1, 1]. It is the zero value.
	Scale255 Scale = iota

	// Scale01 reads values in [0, 1] and stores v as 2v - 1.
	Scale01

	// ScaleNone stores values as they are; any finite value is
	// accepted. Use it for data already in [-1, 1], and for tabular
	// data, which may then be standardised with FitStandardizer.
	ScaleNone
)

// String returns the name of the constant.
func (sc Scale) String() string {
	switch sc {
	case Scale255:
		return "Scale255"
	case Scale01:
		return "Scale01"
	case ScaleNone:
		return "ScaleNone"
	}
	return "Scale(" + strconv.Itoa(int(sc)) + ")"
}

// CSVOptions describes the layout of a CSV file for LoadCSV and SaveCSV
// (and ReadCSV and WriteCSV). When writing a set that has Columns,
// Header, DetectHeader, LabelColumn and LabelName are ignored unless
// IgnoreColumns is set.
// The zero value reads a file without a header whose first column is the
// label and whose other columns are pixels in 0..255, each row a square
// gray image if the pixel count is a perfect square (the layout of the
// common mnist_train.csv).
type CSVOptions struct {
	// Header says the first row is a header of column names.
	Header bool

	// DetectHeader, when Header is false, takes the first row as a
	// header if one of its cells is not a number.
	DetectHeader bool

	// LabelColumn is the 0-based index of the label column, or -1 for
	// a file without labels, whose examples are all Unlabelled. It is
	// ignored when LabelName is set.
	LabelColumn int

	// LabelName, if not "", is the header name of the label column;
	// it needs Header or DetectHeader. SaveCSV puts a column so named
	// at LabelColumn, or last if LabelColumn < 0.
	LabelName string

	// Scale says how feature values map to the set's values.
	Scale Scale

	// C, H and W give the shape of an example; C*H*W must equal the
	// number of feature columns F. If all three are zero the shape is
	// inferred: 1×s×s (a square gray image) if F = s*s, else 1×1×F
	// (tabular). Tabular data whose F happens to be a perfect square
	// (4 features, say) should set C = 1, H = 1, W = F.
	C, H, W int

	// Classes is the number of classes; labels must lie in
	// [0, Classes), and Classes may not exceed MaxClasses. If 0, it is
	// the largest label + 1, which may then be at most twice the number
	// of distinct labels plus 10: a label far beyond the others is
	// taken for a typo (naming its row) rather than for thousands of
	// empty classes. Set Classes when the gaps are real.
	Classes int

	// IgnoreColumns makes SaveCSV and WriteCSV lay the file out by
	// Header, DetectHeader, LabelColumn and LabelName even when the set
	// has Columns, as for a set without them. Reading ignores it.
	IgnoreColumns bool
}

// CSVColumns is the column layout of a CSV file: the names of its
// columns, in file order, and the position of the label column. LoadCSV
// and ReadCSV record it in Set.Columns, and SaveCSV and WriteCSV write a
// set that has it back in the same layout, so that names, order and
// label position survive a read, a transformation and a write (of
// generated examples, say, after setting their Columns to those of the
// set they imitate).
type CSVColumns struct {
	// Header says the file has a header row. When it has none, Names
	// are generated: "x0", "x1", … for the feature columns, in order,
	// and "label" for the label column; they are not written back.
	Header bool

	// Names holds the name of every column, in file order, the label
	// column included. Cells of the header are trimmed of spaces.
	Names []string

	// Label is the 0-based index of the label column in Names, or -1
	// if the file has none.
	Label int
}

// newCSVColumns returns the columns of a file whose first row is rec.
// Empty header cells get the names of a file without a header ("label",
// "x0", "x1"...), so that the header written back is never blank (a
// blank line, which CSV readers skip).
func newCSVColumns(rec []string, header bool, label int) *CSVColumns {
	c := &CSVColumns{Header: header, Names: make([]string, len(rec)), Label: label}
	f := 0
	for j, cell := range rec {
		switch {
		case header && strings.TrimSpace(cell) != "":
			c.Names[j] = strings.TrimSpace(cell)
		case j == label:
			c.Names[j] = "label"
		default:
			c.Names[j] = "x" + strconv.Itoa(f)
		}
		if j != label {
			f++
		}
	}
	return c
}

// FeatureNames returns the names of the feature columns, in order: the
// names of the C*H*W features of an example. It returns a new slice.
func (c *CSVColumns) FeatureNames() []string {
	names := make([]string, 0, len(c.Names))
	for j, name := range c.Names {
		if j != c.Label {
			names = append(names, name)
		}
	}
	return names
}

// LabelName returns the name of the label column, or "" if there is
// none.
func (c *CSVColumns) LabelName() string {
	if c.Label < 0 || c.Label >= len(c.Names) {
		return ""
	}
	return c.Names[c.Label]
}

// WithoutLabel returns a copy of c without the label column: the layout
// of unlabelled rows with the same features.
func (c *CSVColumns) WithoutLabel() *CSVColumns {
	return &CSVColumns{Header: c.Header, Names: c.FeatureNames(), Label: -1}
}

// clone returns a deep copy of c; nil stays nil.
func (c *CSVColumns) clone() *CSVColumns {
	if c == nil {
		return nil
	}
	return &CSVColumns{Header: c.Header, Names: slices.Clone(c.Names), Label: c.Label}
}

// check reports whether c describes the columns of examples of f
// features.
func (c *CSVColumns) check(f int) error {
	if c.Label < -1 || c.Label >= len(c.Names) {
		return invalidError("Columns.Label = %d out of range for %d columns", c.Label, len(c.Names))
	}
	if n := len(c.Names) - min(c.Label+1, 1); n != f {
		return invalidError("Columns name %d feature columns, but examples have %d features", n, f)
	}
	return nil
}

// labelled reports whether the options describe a label column.
func (o *CSVOptions) labelled() bool { return o.LabelName != "" || o.LabelColumn >= 0 }

// check reports options that are wrong whatever the file.
func (o *CSVOptions) check() error {
	if o.LabelName != "" && !o.Header && !o.DetectHeader {
		return argError("CSV LabelName %q needs Header or DetectHeader", o.LabelName)
	}
	if o.LabelName == "" && o.LabelColumn < -1 {
		return argError("CSV LabelColumn = %d, want >= -1", o.LabelColumn)
	}
	if o.Scale < Scale255 || o.Scale > ScaleNone {
		return argError("unknown CSV %v", o.Scale)
	}
	if (o.C != 0 || o.H != 0 || o.W != 0) && (o.C <= 0 || o.H <= 0 || o.W <= 0) {
		return argError("CSV shape %d×%d×%d: want all positive or all zero", o.C, o.H, o.W)
	}
	if o.Classes < 0 {
		return argError("CSV Classes = %d is negative", o.Classes)
	}
	return nil
}

// LoadCSV reads a set from the CSV file at path, laid out as opts says:
// one example per row, a label column (unless the file is unlabelled)
// and F feature columns, in the order of the C×H×W layout. Cells may be
// surrounded by spaces; empty lines and a leading UTF-8 byte order mark
// are skipped.
//
// The set's Columns record the layout: whether the file has a header, the
// name of every column (generated when there is no header: see
// CSVColumns) and the position of the label column, so that SaveCSV
// writes the set, or generated examples given the same Columns, back in
// that layout.
//
// Problems with the content give a *FormatError naming the file, row
// and column: an empty file or one with only a header, rows of unequal
// length, a cell that is not a number or is NaN or ±Inf, a value outside
// the range of opts.Scale, a label that is negative, not an integer or
// not below opts.Classes, a missing label column, or a shape that does
// not match F. Labels written as integral floats ("3.0") are accepted.
func LoadCSV(path string, opts CSVOptions) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("datasets: %w", err)
	}
	defer f.Close()
	return ReadCSV(f, path, opts)
}

// ReadCSV is LoadCSV reading from r; name is used in errors only.
func ReadCSV(r io.Reader, name string, opts CSVOptions) (*Set, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	cr := csv.NewReader(bufio.NewReaderSize(r, 1<<16))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true

	rec, err := cr.Read()
	if err == io.EOF {
		return nil, fileError(name, nil, "empty file")
	}
	if err != nil {
		return nil, csvError(name, err)
	}
	rec[0] = strings.TrimPrefix(rec[0], "\ufeff") // a byte order mark, as Excel writes
	ncols := len(rec)
	header := opts.Header || (opts.DetectHeader && !allNumbers(rec))
	if header {
		for j, cell := range rec {
			if strings.ContainsAny(cell, "\r\n") {
				// CSV readers differ on line breaks inside quoted cells
				// (\r\n becomes \n), so such a name would not survive a
				// round trip through SaveCSV.
				return nil, rowError(name, 1, j, "header name %q contains a line break", cell)
			}
		}
	}

	labelCol := opts.LabelColumn
	if opts.LabelName != "" {
		labelCol = -1
		if header {
			for j, cell := range rec {
				if strings.TrimSpace(cell) == opts.LabelName {
					labelCol = j
					break
				}
			}
		}
		if labelCol < 0 {
			return nil, rowError(name, 1, 0, "no column named %q", opts.LabelName)
		}
	} else if labelCol >= ncols {
		return nil, rowError(name, 1, 0, "label column %d (0-based) out of range: the row has %d columns", labelCol, ncols)
	}
	nf := ncols
	if labelCol >= 0 {
		nf--
	}
	if nf == 0 {
		return nil, rowError(name, 1, 0, "no feature columns")
	}
	c, h, w := opts.C, opts.H, opts.W
	if c == 0 {
		c, h, w = 1, 1, nf
		if s := int(math.Sqrt(float64(nf))); s*s == nf {
			h, w = s, s
		} else if (s+1)*(s+1) == nf {
			h, w = s+1, s+1
		}
	} else if c*h*w != nf {
		return nil, rowError(name, 1, 0, "%d feature columns, but shape %d×%d×%d needs %d", nf, c, h, w, c*h*w)
	}

	first := slices.Clone(rec) // ReuseRecord: the next Read overwrites rec
	if header {
		rec, err = cr.Read()
		if err == io.EOF {
			return nil, fileError(name, nil, "no data rows after the header")
		}
		if err != nil {
			return nil, csvError(name, err)
		}
	}
	s := &Set{C: c, H: h, W: w, Classes: opts.Classes, Columns: newCSVColumns(first, header, labelCol)}
	maxLabel, maxRow, maxCol := -1, 0, 0
	seen := map[int]bool{}
	for {
		row, _ := cr.FieldPos(0)
		if len(rec) != ncols {
			return nil, rowError(name, row, 0, "%d fields, want %d as in the first row", len(rec), ncols)
		}
		label := Unlabelled
		for j, cell := range rec {
			if j == labelCol {
				l, err := parseLabel(cell)
				if err != nil {
					return nil, rowError(name, row, j+1, "%v", err)
				}
				if opts.Classes > 0 && l >= opts.Classes {
					return nil, rowError(name, row, j+1, "label %d out of range [0, %d)", l, opts.Classes)
				}
				if l >= MaxClasses {
					return nil, rowError(name, row, j+1, "label %d: labels must be below %d (datasets.MaxClasses)", l, MaxClasses)
				}
				label = l
				seen[l] = true
				if l > maxLabel {
					maxLabel, maxRow, maxCol = l, row, j+1
				}
				continue
			}
			v, err := parseValue(cell, opts.Scale)
			if err != nil {
				return nil, rowError(name, row, j+1, "%v", err)
			}
			s.Data = append(s.Data, v)
		}
		s.Labels = append(s.Labels, label)

		rec, err = cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(name, err)
		}
	}
	if s.Classes == 0 {
		if k := maxLabel + 1; k > 2*len(seen)+10 {
			return nil, rowError(name, maxRow, maxCol, "label %d would make %d classes for %d distinct labels: labels must run 0..K-1 (if the empty classes are real, give the number of classes)", maxLabel, k, len(seen))
		}
		s.Classes = maxLabel + 1
	}
	return s, nil
}

// csvError converts an error of encoding/csv into a *FormatError, or
// wraps an I/O error.
func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &FormatError{File: name, Offset: -1, Row: pe.Line, Msg: "malformed CSV", Err: pe.Err}
	}
	return fmt.Errorf("datasets: %s: %w", name, err)
}

// allNumbers reports whether every cell of rec parses as a number.
func allNumbers(rec []string) bool {
	for _, cell := range rec {
		if _, err := strconv.ParseFloat(strings.TrimSpace(cell), 64); err != nil {
			return false
		}
	}
	return true
}

// parseLabel parses a class label: a non-negative integer, possibly
// written as an integral float.
func parseLabel(cell string) (int, error) {
	cell = strings.TrimSpace(cell)
	l, err := strconv.Atoi(cell)
	if err != nil {
		f, ferr := strconv.ParseFloat(cell, 64)
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<31 {
			return 0, fmt.Errorf("label %q is not an integer", cell)
		}
		l = int(f)
	}
	if l < 0 {
		return 0, fmt.Errorf("label %d is negative", l)
	}
	return l, nil
}

// parseValue parses a feature cell and scales it.
func parseValue(cell string, sc Scale) (float32, error) {
	if sc == Scale255 && len(cell) > 0 && len(cell) <= 3 {
		// Fast path for the usual integer pixels.
		p := 0
		for i := 0; i < len(cell); i++ {
			d := cell[i] - '0'
			if d > 9 {
				p = -1
				break
			}
			p = 10*p + int(d)
		}
		if p >= 0 && p <= 255 {
			return pixelLUT[p], nil
		}
	}
	cell = strings.TrimSpace(cell)
	if cell == "" {
		return 0, errors.New("empty cell")
	}
	v, err := strconv.ParseFloat(cell, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return 0, fmt.Errorf("value %q out of range", cell)
		}
		return 0, fmt.Errorf("not a number: %q", cell)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("value %q is not finite", cell)
	}
	switch sc {
	case Scale255:
		if v < 0 || v > 255 {
			return 0, fmt.Errorf("value %v outside [0, 255] (Scale255)", v)
		}
		return float32(v/127.5 - 1), nil
	case Scale01:
		if v < 0 || v > 1 {
			return 0, fmt.Errorf("value %v outside [0, 1] (Scale01)", v)
		}
		return float32(2*v - 1), nil
	}
	if math.Abs(v) > math.MaxFloat32 {
		return 0, fmt.Errorf("value %q overflows float32", cell)
	}
	return float32(v), nil
}

// SaveCSV writes s to the CSV file at path so that LoadCSV reads it
// back, in the layout of s.Columns if s has them (and opts.IgnoreColumns
// is not set), else in the layout opts describes. Values are mapped back
// to the range of opts.Scale; with Scale255, values within 1e-3 of an
// integer are written as integers.
//
// With Columns, the header is written if Columns.Header is set, with
// Columns.Names in their order, and the label goes in column
// Columns.Label; if that is -1 no label is written, and every example
// must be Unlabelled. So a set read with LoadCSV(path, opts) is written
// back in the file's layout, and LoadCSV with the same opts reads the
// same names, column order and values.
//
// Without Columns, a header "x0,x1,…" with the label column named
// LabelName (or "label") is written if opts.Header or opts.DetectHeader
// is set, and the label column goes at opts.LabelColumn, or last if that
// is -1 and LabelName is set. With LabelColumn = -1 and no LabelName no
// labels are written.
//
// The file is written atomically: to a temporary file in the same
// directory, renamed to path once complete. SaveCSV returns an error,
// and leaves path untouched, if s fails Validate (Columns that do not
// match its features included), a value lies outside [-1, 1] with
// Scale255 or Scale01, labels are to be written and one is Unlabelled,
// or the Columns have no label column and an example has a label.
func SaveCSV(path string, s *Set, opts CSVOptions) error {
	lay, err := csvWriteLayout(s, opts)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, func(w io.Writer) error { return writeCSV(w, s, lay, opts.Scale) })
}

// WriteCSV is SaveCSV writing to w.
func WriteCSV(w io.Writer, s *Set, opts CSVOptions) error {
	lay, err := csvWriteLayout(s, opts)
	if err != nil {
		return err
	}
	return writeCSV(w, s, lay, opts.Scale)
}

// csvLayout is the layout that WriteCSV writes.
type csvLayout struct {
	header []string // nil: no header row
	label  int      // column of the label, -1 for none
}

// csvWriteLayout checks s and opts and returns the layout to write.
func csvWriteLayout(s *Set, opts CSVOptions) (csvLayout, error) {
	if s == nil {
		return csvLayout{}, argError("WriteCSV of a nil *Set")
	}
	if err := opts.check(); err != nil {
		return csvLayout{}, err
	}
	if err := s.Validate(); err != nil {
		return csvLayout{}, err
	}
	nf := s.Features()
	var lay csvLayout
	if c := s.Columns; c != nil && !opts.IgnoreColumns {
		lay.label = c.Label
		if c.Header {
			lay.header = c.Names
		}
		if lay.label < 0 {
			for i, l := range s.Labels {
				if l != Unlabelled {
					return lay, invalidError("example %d has label %d, but the set's Columns have no label column (give them one, or set CSVOptions.IgnoreColumns)", i, l)
				}
			}
			return lay, nil
		}
	} else {
		lay.label = -1
		if opts.labelled() {
			lay.label = opts.LabelColumn
			if lay.label < 0 {
				lay.label = nf
			}
			if lay.label > nf {
				return lay, argError("CSV LabelColumn = %d, but examples have only %d features", opts.LabelColumn, nf)
			}
		}
		if opts.Header || opts.DetectHeader {
			labelName := opts.LabelName
			if labelName == "" {
				labelName = "label"
			}
			lay.header = make([]string, 0, nf+1)
			for j := range nf {
				if j == lay.label {
					lay.header = append(lay.header, labelName)
				}
				lay.header = append(lay.header, "x"+strconv.Itoa(j))
			}
			if lay.label == nf {
				lay.header = append(lay.header, labelName)
			}
		}
		if lay.label < 0 {
			return lay, nil
		}
	}
	for i, l := range s.Labels {
		if l == Unlabelled {
			return lay, invalidError("example %d is Unlabelled: a CSV label column cannot hold it (write it without a label column)", i)
		}
	}
	return lay, nil
}

// writeCSV writes s, which has passed csvWriteLayout, in layout lay.
func writeCSV(w io.Writer, s *Set, lay csvLayout, sc Scale) error {
	nf := s.Features()
	labelCol := lay.label
	bw := bufio.NewWriterSize(w, 1<<16)
	if lay.header != nil {
		cw := csv.NewWriter(bw)
		if err := cw.Write(lay.header); err != nil {
			return fmt.Errorf("datasets: %w", err)
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return fmt.Errorf("datasets: %w", err)
		}
	}
	buf := make([]byte, 0, 32)
	x := make([]float32, s.Features())
	for i := range s.Len() {
		s.ReadExample(x, i)
		for j := 0; j <= nf; j++ {
			if j == labelCol {
				if j > 0 {
					bw.WriteByte(',')
				}
				bw.WriteString(strconv.Itoa(s.Labels[i]))
			}
			if j == nf {
				break
			}
			if j > 0 || labelCol == 0 {
				bw.WriteByte(',')
			}
			var err error
			buf, err = appendValue(buf[:0], x[j], sc)
			if err != nil {
				return invalidError("example %d, feature %d: %v", i, j, err)
			}
			bw.Write(buf)
		}
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("datasets: %w", err)
	}
	return nil
}

// appendValue appends v mapped back to the range of sc.
func appendValue(buf []byte, v float32, sc Scale) ([]byte, error) {
	if sc != ScaleNone && (v < -1 || v > 1) {
		return buf, fmt.Errorf("value %v outside [-1, 1]", v)
	}
	switch sc {
	case Scale255:
		x := (float64(v) + 1) * 127.5
		if r := math.Round(x); math.Abs(x-r) < 1e-3 {
			return strconv.AppendInt(buf, int64(r), 10), nil
		}
		return strconv.AppendFloat(buf, x, 'g', -1, 32), nil
	case Scale01:
		return strconv.AppendFloat(buf, (float64(v)+1)/2, 'g', -1, 32), nil
	}
	return strconv.AppendFloat(buf, float64(v), 'g', -1, 32), nil
}
