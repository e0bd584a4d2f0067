package sheet

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode"
	"unicode/utf8"
)

// openText prepares a delimited-text file: the first pass decides the encoding (decode.go), a
// look at the start of the text refuses empty files and web pages and picks the delimiter, and
// a file with an undecodable byte is parsed up to that byte so the error names its row and
// column. Rows are then parsed from a streaming decoder: memory is one buffer and one row.
func openText(path string, fh *os.File, size int64, ext string, opts Options, lim limits) (f *File, err error) {
	defer func() {
		if err != nil {
			fh.Close()
		}
	}()
	ctx := opts.Context
	ts, err := scanText(ctx, fh, size)
	if err != nil {
		return nil, readError(path, 0, err)
	}
	head, empty, err := readHead(ts.reader(ctx, fh, size))
	if err != nil {
		return nil, readError(path, 0, err)
	}
	if empty {
		return nil, &Error{File: path, Msg: "文件为空", Err: ErrEmpty}
	}
	if looksHTML(head[:min(len(head), 512)]) {
		return nil, &Error{File: path, Err: ErrNotWorkbook,
			Msg: "是 HTML 或 XML 文档，不是 CSV 文本（网页“导出为 Excel”的结果）；请在 Excel 或 WPS 中打开，另存为 .xlsx 工作簿"}
	}
	comma := sniffDelimiter(head, ts.enc, ext)
	if ts.bad >= 0 {
		return nil, locate(path, ts.reader(ctx, fh, size), comma, lim)
	}
	return &File{
		path:     path,
		format:   FormatCSV,
		encoding: ts.enc,
		comma:    comma,
		r:        newCSVReader(path, ts.reader(ctx, fh, size), comma, lim, fh),
	}, nil
}

// readError words a failure to read (a cancelled context, an I/O error) as an *Error.
func readError(path string, row int, err error) *Error {
	if isCancel(err) {
		return &Error{File: path, Row: row, Msg: "读取已取消", Err: err}
	}
	return &Error{File: path, Row: row, Msg: "无法读取：" + err.Error(), Err: err}
}

// headSize is how much of the text the delimiter sniffer and the web-page check look at.
const headSize = 1 << 16

// readHead returns the first headSize bytes of text and whether the whole text is white space
// (an "empty" file, however long). It reads past the head only while it sees nothing but
// white space, without keeping it. Reaching an undecodable byte ends the text: it is not empty.
func readHead(r io.Reader) (head []byte, empty bool, err error) {
	head = make([]byte, headSize)
	n, err := io.ReadFull(r, head)
	head = head[:n]
	var de *decodeError
	switch {
	case errors.As(err, &de):
		return head, false, nil
	case err != nil && err != io.EOF && err != io.ErrUnexpectedEOF:
		return nil, false, err
	}
	done := err != nil
	space, rest := isAllSpace(head)
	if !space || done && rest == 0 {
		return head, space && rest == 0, nil
	}
	carry := append([]byte(nil), head[len(head)-rest:]...)
	buf := make([]byte, headSize)
	for {
		n, err := r.Read(buf)
		chunk := append(carry, buf[:n]...)
		if errors.As(err, &de) {
			return head, false, nil
		}
		if err != nil && err != io.EOF {
			return nil, false, err
		}
		space, rest := isAllSpace(chunk)
		if !space {
			return head, false, nil
		}
		if err == io.EOF {
			return head, rest == 0, nil
		}
		carry = append(carry[:0], chunk[len(chunk)-rest:]...)
	}
}

// isAllSpace reports whether b is only Unicode white space (what bytes.TrimSpace removes),
// leaving aside a UTF-8 sequence cut at its end, whose length it returns.
func isAllSpace(b []byte) (bool, int) {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if !isSpace(c) && c != '\v' && c != '\f' {
				return false, 0
			}
			i++
			continue
		}
		if !utf8.FullRune(b[i:]) {
			return true, len(b) - i
		}
		r, size := utf8.DecodeRune(b[i:])
		if !unicode.IsSpace(r) {
			return false, 0
		}
		i += size
	}
	return true, 0
}

// sniffDelimiter picks the field separator from the first non-blank line: comma unless the
// line suggests otherwise. UTF-16 text and .txt/.tsv files are what Excel's "Unicode 文本" and
// "文本文件(制表符分隔)" exports produce, which are TAB-separated even when a header happens
// to contain a comma; elsewhere TAB needs the line to have tabs and no commas, and semicolon
// (European-locale Excel) is used only when it is the only candidate.
func sniffDelimiter(text []byte, enc, ext string) byte {
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

// locate parses the text up to the undecodable byte at its end and returns the error there,
// with the row, the column and the column's header.
func locate(path string, r io.Reader, comma byte, lim limits) *Error {
	c := newCSVReader(path, r, comma, lim, nil)
	for {
		_, err := c.next()
		var e *Error
		if errors.As(err, &e) {
			return e
		}
		if err != nil {
			return &Error{File: path, Msg: "无法读取：" + err.Error(), Err: err}
		}
	}
}

// csvReader parses delimited text the way encoding/csv does with LazyQuotes (Excel and WPS
// write stray quotes; refusing them helps no one) and ragged rows, and numbers records the way
// a spreadsheet numbers rows: every record is one row however many lines its quoted fields
// span, and every empty line is a (blank) row. It is its own parser rather than encoding/csv
// because encoding/csv gathers a quoted field of any length: here a cell, a row and the number
// of rows and columns are bounded, and a giant quoted field is refused at its bound, not after
// it has been read into memory.
type csvReader struct {
	path   string
	lr     lineReader
	comma  byte
	lim    limits
	row    int      // row number of the last record or blank line read
	header []string // first non-blank record, to name columns in errors
	rec    []byte   // the current record's field text
	ends   []int    // end offsets of its fields in rec
	fstart int      // start in rec of the field being read
	closer io.Closer
}

func newCSVReader(path string, r io.Reader, comma byte, lim limits, closer io.Closer) *csvReader {
	return &csvReader{path: path, lr: lineReader{r: r, buf: make([]byte, 256<<10), max: lim.rowBytes},
		comma: comma, lim: lim, closer: closer}
}

func (c *csvReader) next() (Row, error) {
	for {
		cells, err := c.readRecord()
		if err != nil {
			return Row{}, err
		}
		if !blank(cells) {
			if c.header == nil {
				c.header = cells
			}
			return Row{Num: c.row, Cells: cells}, nil
		}
	}
}

func (c *csvReader) close() error {
	if c.closer != nil {
		return c.closer.Close()
	}
	return nil
}

// errAt builds an *Error at row, col of this file, naming the column's header when known.
func (c *csvReader) errAt(row, col int, cause error, format string, args ...any) *Error {
	e := &Error{File: c.path, Row: row, Col: col, Err: cause, Msg: fmt.Sprintf(format, args...)}
	if col >= 1 && col <= len(c.header) {
		e.Header = c.header[col-1]
	}
	return e
}

// lineError turns what ended a line early — an undecodable byte, a cancelled read, a line
// over the bound — into the error for the field being read.
func (c *csvReader) lineError(err error, col int) error {
	var de *decodeError
	switch {
	case errors.As(err, &de):
		return c.errAt(c.row, col, ErrEncoding, "%s", de.why)
	case errors.Is(err, errLineTooLong):
		return c.errAt(c.row, 0, ErrTooLarge, "这一行超过 %d MiB，超出读取上限", c.lim.rowBytes>>20)
	case isCancel(err):
		return &Error{File: c.path, Row: c.row, Msg: "读取已取消", Err: err}
	}
	return &Error{File: c.path, Row: c.row, Msg: "无法读取：" + err.Error(), Err: err}
}

func lengthNL(b []byte) int {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		return 1
	}
	return 0
}

// add appends field text to the field being read, within the cell and row bounds.
func (c *csvReader) add(b []byte) error {
	if len(c.rec)-c.fstart+len(b) > c.lim.cellBytes() {
		return c.errAt(c.row, len(c.ends)+1, ErrTooLarge, "单元格超过 %d 个字符（Excel 单元格的上限）", c.lim.cellChars)
	}
	if len(c.rec)+len(b) > c.lim.rowBytes {
		return c.errAt(c.row, 0, ErrTooLarge, "这一行超过 %d MiB，超出读取上限", c.lim.rowBytes>>20)
	}
	c.rec = append(c.rec, b...)
	return nil
}

// end closes the field being read.
func (c *csvReader) end() error {
	if tooManyChars(c.rec[c.fstart:], c.lim.cellChars) {
		return c.errAt(c.row, len(c.ends)+1, ErrTooLarge, "单元格超过 %d 个字符（Excel 单元格的上限）", c.lim.cellChars)
	}
	if len(c.ends) >= c.lim.cols {
		return c.errAt(c.row, 0, ErrTooLarge, "这一行超过 Excel 的最大列数 %d", c.lim.cols)
	}
	c.ends = append(c.ends, len(c.rec))
	c.fstart = len(c.rec)
	return nil
}

// readRecord reads the next record, blank or not, mirroring encoding/csv's readRecord with
// LazyQuotes: empty lines are skipped (and counted), a quoted field may span lines, `""` is a
// quote, and a quote that neither closes the field nor doubles is kept as text.
func (c *csvReader) readRecord() ([]string, error) {
	var line []byte
	var lerr error // what ended the current line other than a newline or the end of the text
	for {
		l, err := c.lr.readLine()
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		if err == nil && len(l) == lengthNL(l) {
			c.row++
			continue
		}
		line, lerr = l, err
		break
	}
	c.row++
	if c.row > c.lim.rows {
		return nil, c.errAt(c.row, 0, ErrTooLarge, "超过 Excel 的最大行数 %d", c.lim.rows)
	}
	c.rec, c.ends, c.fstart = c.rec[:0], c.ends[:0], 0
	quoted := false // the line ended inside a quoted field
parseField:
	for {
		if len(line) == 0 || line[0] != '"' {
			i := bytes.IndexByte(line, c.comma)
			field := line
			if i >= 0 {
				field = field[:i]
			} else {
				field = field[:len(field)-lengthNL(field)]
			}
			if err := c.add(field); err != nil {
				return nil, err
			}
			if err := c.end(); err != nil {
				return nil, err
			}
			if i >= 0 {
				line = line[i+1:]
				continue parseField
			}
			break parseField
		}
		line = line[1:]
		for {
			i := bytes.IndexByte(line, '"')
			switch {
			case i >= 0:
				if err := c.add(line[:i]); err != nil {
					return nil, err
				}
				line = line[i+1:]
				switch {
				case len(line) > 0 && line[0] == '"':
					if err := c.add(quote); err != nil {
						return nil, err
					}
					line = line[1:]
				case len(line) > 0 && line[0] == c.comma:
					if err := c.end(); err != nil {
						return nil, err
					}
					line = line[1:]
					continue parseField
				case lengthNL(line) == len(line):
					if err := c.end(); err != nil {
						return nil, err
					}
					break parseField
				default:
					if err := c.add(quote); err != nil {
						return nil, err
					}
				}
			case len(line) > 0:
				if err := c.add(line); err != nil {
					return nil, err
				}
				if lerr != nil {
					quoted = true
					break parseField
				}
				var err error
				line, err = c.lr.readLine()
				if errors.Is(err, io.EOF) {
					line, err = nil, nil
				}
				lerr = err
			default:
				// The text ended inside a quoted field: with lazy quotes, the field ends there.
				if lerr != nil {
					quoted = true
					break parseField
				}
				if err := c.end(); err != nil {
					return nil, err
				}
				break parseField
			}
		}
	}
	if lerr != nil {
		col := len(c.ends)
		if quoted || col == 0 {
			col++
		}
		return nil, c.lineError(lerr, col)
	}
	text := string(c.rec)
	cells := make([]string, len(c.ends))
	prev := 0
	for i, e := range c.ends {
		cells[i] = text[prev:e]
		prev = e
	}
	return cells, nil
}

var quote = []byte{'"'}

// errLineTooLong: a line passed the row bound before its end.
var errLineTooLong = errors.New("sheet: line too long")

// lineReader hands out lines of text as encoding/csv's readLine does: each with its "\n"
// ("\r\n" turned into "\n"), the last one without ("\r" before the end dropped). A line is
// valid until the next call. A line longer than max is returned cut, with errLineTooLong; the
// error that ended the text early comes with the partial last line.
type lineReader struct {
	r          io.Reader
	buf        []byte
	start, end int
	err        error
	max        int
}

func (l *lineReader) readLine() ([]byte, error) {
	scan := l.start
	for {
		if i := bytes.IndexByte(l.buf[scan:l.end], '\n'); i >= 0 {
			stop := scan + i + 1
			line := l.buf[l.start:stop]
			l.start = stop
			if n := len(line); n >= 2 && line[n-2] == '\r' {
				line[n-2] = '\n'
				line = line[:n-1]
			}
			return line, nil
		}
		scan = l.end
		if l.end-l.start >= l.max {
			line := l.buf[l.start : l.start+l.max]
			l.start += l.max
			return line, errLineTooLong
		}
		if l.err != nil {
			line := l.buf[l.start:l.end]
			l.start = l.end
			if l.err != io.EOF {
				return line, l.err
			}
			if len(line) == 0 {
				return nil, io.EOF
			}
			if line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
			return line, nil
		}
		if l.start > 0 {
			n := copy(l.buf, l.buf[l.start:l.end])
			scan -= l.start
			l.start, l.end = 0, n
		}
		if l.end == len(l.buf) {
			grown := make([]byte, min(2*len(l.buf), l.max+1))
			copy(grown, l.buf[:l.end])
			l.buf = grown
		}
		n, err := l.r.Read(l.buf[l.end:])
		l.end += n
		if err != nil {
			l.err = err
		}
	}
}
