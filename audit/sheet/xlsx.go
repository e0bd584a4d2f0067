package sheet

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// openOptions are the excelize options every workbook is opened with.
//
// RawCellValue makes excelize return cell values as stored: a date cell comes back as its
// serial number ("44795.75") rather than formatted by the cell's number format, whose output
// depends on the workbook's locale settings and loses the time of day. It is set on the file
// rather than passed to every Rows.Columns call because excelize copies a per-call Options to
// the heap: one allocation per row for nothing.
//
// UnzipXMLSizeLimit is lowered from excelize's 16 MB. excelize unmarshals an in-memory
// shared-strings table into structs and a lookup map at about nine times its XML size: a
// 200,000-row workbook saved by Excel has a 14 MB table, which costs 125 MB live and 500 MB of
// peak heap. Above the limit excelize unpacks the table to a temporary file and keeps only
// offsets (measured: 85-100 MB peak heap for the same file, for about a third more CPU time in
// per-cell reads), and it streams worksheets over the limit from disk as well.
var openOptions = excelize.Options{RawCellValue: true, UnzipXMLSizeLimit: xmlInMemoryLimit}

const xmlInMemoryLimit = 4 << 20

// xlsxReader streams one worksheet with excelize's row iterator, which reads the sheet XML
// token by token (from a temporary file when the sheet is large) instead of loading it.
type xlsxReader struct {
	path string
	wb   *excelize.File
	rows *excelize.Rows
	// num is the row number of the row the iterator is on. excelize's Rows.Next advances one
	// row number at a time even when the sheet XML skips empty rows (<row r="2"> then
	// <row r="5">): for the missing numbers Columns returns no cells. Counting Next calls
	// therefore gives the spreadsheet row number.
	num int
}

func openXLSX(path string, opts Options) (*File, error) {
	wb, err := excelize.OpenFile(path, openOptions)
	if err != nil {
		if wb != nil {
			wb.Close()
		}
		return nil, &Error{File: path, Err: fmt.Errorf("%w: %w", ErrNotWorkbook, err),
			Msg: "is not a readable .xlsx workbook: " + err.Error()}
	}
	sheets := wb.GetSheetList()
	if len(sheets) == 0 {
		wb.Close()
		return nil, &Error{File: path, Err: ErrNotWorkbook,
			Msg: "is a zip archive but not an .xlsx workbook (it has no worksheets)"}
	}
	name, ok := pickSheet(sheets, opts.Sheet)
	if !ok {
		wb.Close()
		quoted := make([]string, len(sheets))
		for i, s := range sheets {
			quoted[i] = fmt.Sprintf("%q", s)
		}
		return nil, &Error{File: path, Err: ErrNoSheet,
			Msg: fmt.Sprintf("has no sheet named %q; its sheets are %s", opts.Sheet, strings.Join(quoted, ", "))}
	}
	rows, err := wb.Rows(name)
	if err != nil {
		if rows != nil {
			rows.Close()
		}
		wb.Close()
		return nil, &Error{File: path, Err: err, Msg: fmt.Sprintf("cannot read sheet %q: %v", name, err)}
	}
	f := &File{
		path:     path,
		format:   FormatXLSX,
		encoding: EncXLSX,
		sheet:    name,
		r:        &xlsxReader{path: path, wb: wb, rows: rows},
	}
	if props, err := wb.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		f.date1904 = *props.Date1904
	}
	return f, nil
}

// pickSheet chooses the sheet to read. A name typed on the command line may differ from the
// tab in case or surrounding spaces, which Excel itself treats as the same sheet.
func pickSheet(sheets []string, want string) (string, bool) {
	if want == "" {
		return sheets[0], true
	}
	for _, s := range sheets {
		if s == want {
			return s, true
		}
	}
	for _, s := range sheets {
		if strings.EqualFold(strings.TrimSpace(s), strings.TrimSpace(want)) {
			return s, true
		}
	}
	return "", false
}

func (x *xlsxReader) next() (Row, error) {
	for x.rows.Next() {
		x.num++
		cells, err := x.rows.Columns() // raw: see openOptions
		if err != nil {
			return Row{}, &Error{File: x.path, Row: x.num, Err: err, Msg: "cannot read row: " + err.Error()}
		}
		if blank(cells) {
			continue
		}
		return Row{Num: x.num, Cells: cells}, nil
	}
	if err := x.rows.Error(); err != nil {
		return Row{}, &Error{File: x.path, Row: x.num + 1, Err: err, Msg: "cannot read row: " + err.Error()}
	}
	return Row{}, io.EOF
}

// close closes the iterator and the workbook; excelize's File.Close deletes the temporary files
// it unpacked large parts into.
func (x *xlsxReader) close() error {
	return errors.Join(x.rows.Close(), x.wb.Close())
}
