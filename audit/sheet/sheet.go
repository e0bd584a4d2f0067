// Package sheet reads the tabular files nmaudit takes as input — the registry export, target
// lists, observations and findings — as rows of strings with the row numbers a spreadsheet
// shows, whatever shape Excel or WPS on Chinese Windows gave them: .xlsx workbooks (Office Open
// XML, ECMA-376, https://ecma-international.org/publications-and-standards/standards/ecma-376/,
// read by this package's own streaming reader over archive/zip), or delimited text in UTF-8,
// UTF-8 with BOM, GBK/GB18030 or UTF-16 (decoded with golang.org/x/text, streaming).
//
// It knows nothing about what the columns mean; it only guarantees that every row comes back
// with the number the user sees in Excel, that nothing is dropped silently (a damaged file is an
// error, never a shorter file), that memory stays bounded whatever the file holds, and that
// every problem is an *Error naming the file, row and column, so that callers can add their own
// content errors in the same form.
package sheet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Format is the kind of file that was read, decided from its content (the name only breaks
// ties), because users rename files freely and Excel saves "CSV" under many extensions.
type Format string

// Formats.
const (
	FormatXLSX Format = "xlsx"
	FormatCSV  Format = "csv" // any delimited text: comma, TAB or semicolon
)

// Encoding names reported by File.Encoding.
const (
	EncUTF8    = "utf-8"
	EncUTF8BOM = "utf-8-bom"
	EncGB18030 = "gb18030"
	EncUTF16LE = "utf-16le"
	EncUTF16BE = "utf-16be"
	EncXLSX    = "xlsx" // text inside a workbook is always UTF-8 XML
)

// Options adjusts how a file is read.
type Options struct {
	// Sheet is the worksheet to read from an .xlsx workbook; "" means the first sheet in tab
	// order. Ignored for text files.
	Sheet string
	// Context, when set, stops Open and Next soon after it is cancelled (they check it before
	// every read of a few hundred KB), returning an *Error that wraps the context's error: a
	// Ctrl-C while a large workbook is read stops the read, not just the program after it.
	Context context.Context
	// Hyperlinks makes Open collect the worksheet's hyperlinks, for File.Hyperlink. They are
	// stored after the cell data, so the sheet is read twice: meant for small files such as
	// an observations worksheet, not for a registry.
	Hyperlinks bool
}

// Row is one non-blank row of the file.
//
// Num is the row number a spreadsheet shows (the first line is row 1), so errors can point the
// user at the cell. Blank rows — a gap in the sheet XML, an empty CSV line, or a line of empty
// fields such as ",,,," — are skipped but still counted, so numbering never drifts. For CSV the
// number counts records, not physical lines: a quoted field that spans lines is still one row,
// exactly as Excel shows it.
//
// Cells are the values as read: not trimmed, not padded to the header width (trailing empty
// cells of an xlsx row are absent), xlsx values raw rather than number-formatted (a date cell
// is its serial number, see ExcelSerialTime; a boolean is "1" or "0"; an error value is its
// text, "#N/A"). The slice belongs to the caller.
//
// Kinds, for a workbook, runs parallel to Cells and says what each cell is: text, number,
// boolean or error value, and whether its number format shows a date, a date and time, or a
// time. It is nil for text files, whose cells are all text; Row.Kind reads it safely.
type Row struct {
	Num   int
	Cells []string
	Kinds []CellKind
}

// rowReader is one format's row source. next returns io.EOF at the end and *Error otherwise.
type rowReader interface {
	next() (Row, error)
	close() error
}

// File is an open input file. It reads rows one at a time, so a registry of 10^5 rows is
// never held as a [][]string. A File is not safe for concurrent use.
type File struct {
	path     string
	format   Format
	encoding string
	sheet    string
	sheets   []string
	comma    byte
	date1904 bool
	links    []hyperlink

	r      rowReader
	first  *Row // prefetched by Open to detect empty files
	header []string
	err    error // sticky: once Next fails it keeps failing the same way
	closed bool
}

// Open opens path and prepares to read its rows.
//
// The format is decided by content: a zip package is read as a workbook whatever its name,
// an OLE2 file (the old .xls format, or a password-protected workbook) is refused with advice,
// a file named .xlsx/.xlsm that is neither is refused, and anything else is delimited text.
//
// Open reads up to the first non-blank row, so an empty input — zero bytes, only a BOM, only
// blank lines or an empty sheet — is reported here as an *Error wrapping ErrEmpty, never as a
// file with no rows. A text file is read through once here to decide its encoding, so an
// undecodable byte anywhere in it is reported by Open with its row and column. Every error
// returned is an *Error.
//
// What a file may hold is bounded, so that memory and time stay bounded whatever it holds (a
// 1 MB workbook can inflate to gigabytes): a worksheet part of at most 512 MiB decompressed, a
// shared-string table of at most 256 MiB and 8,388,608 entries, styles.xml 64 MiB, the other
// parts 16 MiB; a cell or shared string of at most 32,767 characters (Excel's own limit), a row
// of at most 4 MiB of text, 1,048,576 rows and 16,384 columns (Excel's limits, applied to text
// files too). Beyond a bound the read stops with an *Error wrapping ErrTooLarge. Damage — XML
// that is not well-formed, rows or cells out of order, a zip entry that fails its size or CRC
// check — is an *Error wrapping ErrDamaged, never a shorter file.
func Open(path string, opts Options) (*File, error) {
	return openWith(path, opts, defaultLimits())
}

// openWith is Open with explicit bounds, which tests lower to exercise the refusals without
// building gigabyte inputs.
func openWith(path string, opts Options, lim limits) (*File, error) {
	if opts.Context == nil {
		opts.Context = context.Background()
	}
	if err := opts.Context.Err(); err != nil {
		return nil, &Error{File: path, Msg: "读取已取消", Err: err}
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, openError(path, err)
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, openError(path, err)
	}
	if st.IsDir() {
		fh.Close()
		return nil, &Error{File: path, Msg: "是一个文件夹，不是文件"}
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(fh, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		fh.Close()
		return nil, &Error{File: path, Msg: "无法读取：" + err.Error(), Err: err}
	}
	head = head[:n]
	ext := strings.ToLower(filepath.Ext(path))

	var f *File
	switch {
	case n == 0:
		fh.Close()
		return nil, &Error{File: path, Msg: "文件为空", Err: ErrEmpty}
	case isZip(head):
		f, err = openXLSX(path, fh, st.Size(), opts, lim)
	case isOLE(head):
		fh.Close()
		return nil, oleError(path)
	case isWorkbookExt(ext):
		fh.Close()
		return nil, notWorkbookError(path, ext, head)
	default:
		f, err = openText(path, fh, st.Size(), ext, opts, lim)
	}
	if err != nil {
		return nil, err
	}
	if err := f.prefetch(); err != nil {
		f.r.close()
		return nil, err
	}
	return f, nil
}

// prefetch reads the first non-blank row, which is both the empty-file check and the default
// header used to label columns in errors.
func (f *File) prefetch() error {
	row, err := f.r.next()
	if errors.Is(err, io.EOF) {
		msg := "文件为空"
		if f.format == FormatXLSX {
			msg = fmt.Sprintf("工作表“%s”为空", f.sheet)
		}
		return &Error{File: f.path, Msg: msg, Err: ErrEmpty}
	}
	if err != nil {
		return err
	}
	f.first = &row
	f.header = row.Cells
	return nil
}

func openError(path string, err error) *Error {
	var msg string
	var pe *fs.PathError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		msg = "无法打开：文件不存在"
	case errors.Is(err, fs.ErrPermission):
		msg = "无法打开：没有读取权限"
	case errors.As(err, &pe):
		// PathError repeats the full path; Error already names the file.
		msg = "无法打开：" + pe.Err.Error()
	default:
		msg = "无法打开：" + err.Error()
	}
	return &Error{File: path, Msg: msg, Err: err}
}

// Path returns the path given to Open.
func (f *File) Path() string { return f.path }

// Format returns the format detected from the content.
func (f *File) Format() Format { return f.format }

// Encoding returns the text encoding that was detected: "utf-8", "utf-8-bom", "gb18030",
// "utf-16le", "utf-16be", or "xlsx" for a workbook. Callers log it so a user who sees odd
// characters can tell what the file was taken to be.
func (f *File) Encoding() string { return f.encoding }

// Delimiter returns the field separator found in a text file (',', TAB or ';'), 0 for a
// workbook, so a caller can log what the file was taken to be alongside its encoding.
func (f *File) Delimiter() rune { return rune(f.comma) }

// Sheet returns the name of the worksheet being read ("" for text files).
func (f *File) Sheet() string { return f.sheet }

// Sheets returns the names of every sheet of the workbook in tab order (nil for text files), so
// a caller that finds no header on the sheet it read can look at the others.
func (f *File) Sheets() []string { return f.sheets }

// Hyperlink returns the web address of the hyperlink on cell (row, col) — col 1-based — when
// the file was opened with Options.Hyperlinks and the cell has one (a link pasted into Excel
// shows its text, such as "点击查看", while the address lives in the sheet's hyperlink list).
// It returns "" otherwise.
func (f *File) Hyperlink(row, col int) string {
	for _, h := range f.links {
		if row >= h.row1 && row <= h.row2 && col >= h.col1 && col <= h.col2 {
			return h.url
		}
	}
	return ""
}

// Date1904 reports whether the workbook uses the 1904 date system (Excel for Mac), which
// shifts every date serial by 1462 days; see File.SerialTime.
func (f *File) Date1904() bool { return f.date1904 }

// Header returns the cells of the header row: by default the first non-blank row, or whatever
// SetHeader recorded. It labels columns in errors made by Errorf.
func (f *File) Header() []string { return f.header }

// SetHeader records the header row's cells, for callers that find the header below a title
// row (exports often start with a merged 名录 title), so that Errorf names the right header.
func (f *File) SetHeader(cells []string) { f.header = cells }

// Errorf returns an *Error for cell (row, col) of this file, with the column's header text
// filled in from the header row. col 0 means the whole row, row 0 the whole file. Other packages
// use it for content errors so that they read exactly like this package's own.
func (f *File) Errorf(row, col int, format string, args ...any) *Error {
	e := &Error{File: f.path, Row: row, Col: col, Msg: fmt.Sprintf(format, args...)}
	if col >= 1 && col <= len(f.header) {
		e.Header = f.header[col-1]
	}
	return e
}

// Next returns the next non-blank row, or io.EOF after the last one. Any other error is an
// *Error; errors are sticky, so a loop that ignores one cannot silently skip rows.
func (f *File) Next() (Row, error) {
	if f.err != nil {
		return Row{}, f.err
	}
	if f.closed {
		return Row{}, &Error{File: f.path, Msg: "文件已关闭，不能再读取", Err: os.ErrClosed}
	}
	if f.first != nil {
		row := *f.first
		f.first = nil
		return row, nil
	}
	row, err := f.r.next()
	if err != nil {
		f.err = err
		return Row{}, err
	}
	return row, nil
}

// Close releases the file's descriptor. Nothing is ever written to disk while reading, so a
// run killed part way leaves nothing behind.
func (f *File) Close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	if err := f.r.close(); err != nil {
		return &Error{File: f.path, Msg: "关闭失败：" + err.Error(), Err: err}
	}
	return nil
}

// blank reports whether every cell is empty: such rows are layout, not data.
func blank(cells []string) bool {
	for _, c := range cells {
		if c != "" {
			return false
		}
	}
	return true
}
