package sheet

import (
	"errors"
	"path/filepath"
	"strconv"
	"strings"
)

// Sentinel causes carried in Error.Err, so callers can branch with errors.Is without parsing
// messages (the messages are for people and may be reworded).
var (
	// ErrEmpty: the file (or the chosen sheet) holds no non-blank row. Open reports it, so a
	// caller never mistakes an empty export for "zero accounts".
	ErrEmpty = errors.New("sheet: no data")
	// ErrNotWorkbook: a file named like a workbook that is not an .xlsx package.
	ErrNotWorkbook = errors.New("sheet: not an xlsx workbook")
	// ErrOldXLS: an OLE2 compound file — an Excel 97-2003 .xls, or a password-protected workbook.
	ErrOldXLS = errors.New("sheet: old .xls or encrypted workbook")
	// ErrNoSheet: Options.Sheet names a sheet the workbook does not have.
	ErrNoSheet = errors.New("sheet: no such sheet")
	// ErrEncoding: the bytes are not valid in any encoding Excel or WPS writes.
	ErrEncoding = errors.New("sheet: undecodable text")
	// ErrDamaged: a workbook part is not well-formed (bad XML, a row or cell out of order, a
	// zip entry that fails its checks). The rows read before it must not be used as if they
	// were the whole file.
	ErrDamaged = errors.New("sheet: damaged workbook")
	// ErrTooLarge: a part, a cell or a table is beyond the bounds the reader accepts (a
	// decompression bomb, or a file far larger than any real registry).
	ErrTooLarge = errors.New("sheet: input too large")
)

// Error is every input error this package returns, and the type other packages use for errors
// in the content of a row (an unknown status, a missing name), so that all bad-input messages
// name the file, row and column the same way and the CLI can map them to exit status 2.
//
// Row is the row number a spreadsheet shows (header = 1); 0 means the whole file. Col is 1-based;
// 0 means the whole row (or file). Header is the column's header text when known. Msg is the
// complete message shown to the user; Err is the cause for errors.Is/As and is printed only when
// Msg is empty, so a Msg never has an internal error string appended to it twice.
type Error struct {
	File   string
	Row    int
	Col    int
	Header string
	Msg    string
	Err    error
}

// Error formats the error the way a user finds the cell, in the wording of the users (who read
// Chinese), e.g.
//
//	registry.xlsx: 第5行 D列（运行状态）: 未知的运行状态“暂停”
//	registry.csv: 文件为空
//
// Only the base name of the file is printed: users know which file they passed, and full
// temp or network paths make the message hard to read in a terminal.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(filepath.Base(e.File))
	}
	loc := ""
	switch {
	case e.Row > 0 && e.Col > 0:
		loc = "第" + strconv.Itoa(e.Row) + "行 " + ColumnName(e.Col) + "列"
	case e.Row > 0:
		loc = "第" + strconv.Itoa(e.Row) + "行"
	case e.Col > 0:
		loc = ColumnName(e.Col) + "列"
	}
	if e.Col > 0 {
		if h := strings.TrimSpace(e.Header); h != "" {
			loc += "（" + h + "）"
		}
	}
	if loc != "" {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(loc)
	}
	msg := e.Msg
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	if msg != "" {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(msg)
	}
	return b.String()
}

// Unwrap returns the cause, so errors.Is(err, sheet.ErrEmpty) and errors.As work through it.
func (e *Error) Unwrap() error { return e.Err }

// ColumnName returns the spreadsheet letters of a 1-based column number (1 → "A", 27 → "AA"),
// because users look cells up by letter, not by index. It returns "" for col < 1.
func ColumnName(col int) string {
	if col < 1 {
		return ""
	}
	var buf [16]byte
	i := len(buf)
	for col > 0 {
		col--
		i--
		buf[i] = byte('A' + col%26)
		col /= 26
	}
	return string(buf[i:])
}
