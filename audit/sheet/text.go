package sheet

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// openText reads a delimited-text file. The whole file is read into memory once (a
// 200,000-row registry is about 30 MB) because encoding detection must see all of it: a GBK
// file can be valid UTF-8 for its first thousand rows.
func openText(path string, fh *os.File, size int64, ext string) (*File, error) {
	if _, err := fh.Seek(0, io.SeekStart); err != nil {
		return nil, &Error{File: path, Msg: "cannot read: " + err.Error(), Err: err}
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
	if _, err := buf.ReadFrom(fh); err != nil {
		return nil, &Error{File: path, Msg: "cannot read: " + err.Error(), Err: err}
	}
	d := decodeText(buf.Bytes())
	buf = nil // let the raw bytes go once decoded (UTF-8 input is its own text)

	if len(bytes.TrimSpace(d.text)) == 0 {
		return nil, &Error{File: path, Msg: "file is empty", Err: ErrEmpty}
	}
	if looksHTML(d.text[:min(len(d.text), 512)]) {
		return nil, &Error{File: path, Err: ErrNotWorkbook,
			Msg: "is an HTML or XML document, not CSV text (a web page exported \"as Excel\"); open it in Excel or WPS and save it as an .xlsx workbook"}
	}
	comma := sniffDelimiter(d.text, d.enc, ext)
	if d.bad < 0 {
		// Excel never writes NUL into text; one means a binary file with a text extension.
		if i := bytes.IndexByte(d.text, 0); i >= 0 {
			d.bad, d.why = i, "NUL byte: the file holds binary data, not text"
		}
	}
	if d.bad >= 0 {
		e := &Error{File: path, Msg: d.why, Err: ErrEncoding}
		var header []string
		e.Row, e.Col, header = locate(d.text, comma, d.bad)
		if e.Col >= 1 && e.Col <= len(header) {
			e.Header = header[e.Col-1]
		}
		return nil, e
	}
	return &File{
		path:     path,
		format:   FormatCSV,
		encoding: d.enc,
		r:        newCSVReader(path, d.text, comma),
	}, nil
}

// sniffDelimiter picks the field separator from the first non-blank line: comma unless the
// line suggests otherwise. UTF-16 text and .txt/.tsv files are what Excel's "Unicode 文本" and
// "文本文件(制表符分隔)" exports produce, which are TAB-separated even when a header happens
// to contain a comma; elsewhere TAB needs the line to have tabs and no commas, and semicolon
// (European-locale Excel) is used only when it is the only candidate.
func sniffDelimiter(text []byte, enc, ext string) rune {
	var line []byte
	for rest := text[:min(len(text), 1<<16)]; len(rest) > 0; {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			line, rest = rest, nil
		} else {
			line, rest = rest[:i], rest[i+1:]
		}
		if len(bytes.TrimSpace(line)) > 0 {
			break
		}
	}
	var commas, tabs, semis int
	quoted := false
	for _, c := range line {
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == ',':
			commas++
		case c == '\t':
			tabs++
		case c == ';':
			semis++
		}
	}
	tabFirst := enc == EncUTF16LE || enc == EncUTF16BE || ext == ".tsv" || ext == ".txt" || ext == ".tab"
	switch {
	case tabs > 0 && (tabFirst || commas == 0):
		return '\t'
	case commas > 0:
		return ','
	case semis > 0:
		return ';'
	}
	return ','
}

// csvReader numbers records the way a spreadsheet numbers rows. encoding/csv skips empty
// lines and its line numbers count physical lines, so the row number is derived from both:
// a record's row is the previous row plus the lines between the previous record's last line
// and this record's first line — each skipped empty line being a blank row in Excel, and a
// multi-line quoted field adding nothing.
type csvReader struct {
	path    string
	text    []byte // kept to locate parse errors
	comma   rune
	r       *csv.Reader
	row     int // row number of the last record read
	endLine int // physical line on which the last record ended
}

func newCSVReader(path string, text []byte, comma rune) *csvReader {
	r := csv.NewReader(bytes.NewReader(text))
	r.Comma = comma
	r.LazyQuotes = true    // Excel and WPS write stray quotes; refusing them helps no one
	r.FieldsPerRecord = -1 // rows are ragged: trailing empty cells are often omitted
	r.ReuseRecord = false  // rows are handed to the caller
	r.TrimLeadingSpace = false
	return &csvReader{path: path, text: text, comma: comma, r: r}
}

// read returns the next record, blank or not, numbered.
func (c *csvReader) read() ([]string, error) {
	rec, err := c.r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, c.parseError(err)
	}
	start, _ := c.r.FieldPos(0)
	last, _ := c.r.FieldPos(len(rec) - 1)
	c.row += start - c.endLine
	c.endLine = last + strings.Count(rec[len(rec)-1], "\n")
	return rec, nil
}

func (c *csvReader) next() (Row, error) {
	for {
		rec, err := c.read()
		if err != nil {
			return Row{}, err
		}
		if !blank(rec) {
			return Row{Num: c.row, Cells: rec}, nil
		}
	}
}

func (c *csvReader) close() error {
	c.text = nil
	return nil
}

// parseError converts a csv error to an *Error with the row and, when the error is on the
// record's first line, the column. With LazyQuotes and FieldsPerRecord = -1 encoding/csv has
// no syntax errors left to report, so this is a safety net rather than a common path.
func (c *csvReader) parseError(err error) *Error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return &Error{File: c.path, Row: c.row + 1, Msg: "cannot read: " + err.Error(), Err: err}
	}
	e := &Error{File: c.path, Row: c.row + pe.StartLine - c.endLine, Err: err,
		Msg: fmt.Sprintf("malformed CSV: %v", pe.Err)}
	if pe.Line == pe.StartLine {
		starts := lineStarts(c.text)
		if pe.Line-1 < len(starts) {
			e.Col = fieldAt(c.text[starts[pe.Line-1]:], pe.Column-1, c.comma)
		}
	}
	return e
}

// lineStarts returns the offset of the start of every physical line.
func lineStarts(text []byte) []int {
	starts := []int{0}
	for i, c := range text {
		if c == '\n' && i+1 < len(text) {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// fieldAt returns the 1-based index of the field containing byte offset off of line.
func fieldAt(line []byte, off int, comma rune) int {
	field, quoted := 1, false
	for i, c := range string(line) {
		if i >= off || c == '\n' {
			break
		}
		switch {
		case c == '"':
			quoted = !quoted
		case c == comma && !quoted:
			field++
		}
	}
	return field
}

// locate finds the row and column of byte offset off in text, reading it exactly as Next
// would, and also returns the first non-blank row so the column can be named.
func locate(text []byte, comma rune, off int) (row, col int, header []string) {
	c := newCSVReader("", text, comma)
	var starts []int
	for {
		rec, err := c.read()
		if err != nil {
			return c.row + 1, 0, header
		}
		if header == nil && !blank(rec) {
			header = rec
		}
		// The last record also owns an offset at the very end (a truncated final character).
		if end := c.r.InputOffset(); end <= int64(off) && end < int64(len(text)) {
			continue
		}
		if starts == nil {
			starts = lineStarts(text)
		}
		for i := range rec {
			l, cc := c.r.FieldPos(i)
			if l-1 < len(starts) && starts[l-1]+cc-1 <= off {
				col = i + 1
			}
		}
		return c.row, col, header
	}
}
