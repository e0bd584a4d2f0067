// Package sheettest writes the input files nmaudit reads — .xlsx workbooks and CSV text in the
// encodings Excel and WPS on Chinese Windows produce — for tests and benchmarks. It has two
// halves: WriteXLSX and WriteCSV turn a small [][]string into a file for a table-driven test,
// and WriteRegistryXLSX and WriteRegistryCSV generate a realistic registry export of any size,
// deterministically from a seed, so a benchmark or a golden test sees the same file every run.
//
// It deliberately does not import package sheet, so that sheet's own tests can use it without
// an import cycle and so that a file written here is produced independently of the reader
// under test.
package sheettest

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"os"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// SheetName is the worksheet WriteXLSX and WriteRegistryXLSX write.
const SheetName = "Sheet1"

// Encodings accepted by WriteCSV and WriteRegistryCSV.
const (
	UTF8    = "utf-8"     // no BOM
	UTF8BOM = "utf-8-bom" // Excel's "CSV UTF-8"
	GB18030 = "gb18030"   // Excel's plain "CSV" on Chinese Windows (GBK is a subset)
	UTF16LE = "utf-16le"  // Excel's "Unicode 文本": BOM, TAB-separated
	UTF16BE = "utf-16be"  // BOM, TAB-separated
)

// WriteXLSX writes rows to the first sheet of a new workbook, every cell as a string (shared
// strings, as Excel writes them). A nil or empty row leaves that row blank.
func WriteXLSX(path string, rows [][]string) error {
	f := excelize.NewFile()
	defer f.Close()
	for i, row := range rows {
		for j, v := range row {
			cell, err := excelize.CoordinatesToCellName(j+1, i+1)
			if err != nil {
				return err
			}
			if err := f.SetCellStr(SheetName, cell, v); err != nil {
				return err
			}
		}
	}
	return f.SaveAs(path)
}

// WriteCSV writes rows as CSV in enc with CRLF line ends, as Excel does. The UTF-16 encodings
// are written TAB-separated with a BOM, which is what Excel's "Unicode 文本" export is.
func WriteCSV(path string, rows [][]string, enc string) error {
	return writeCSV(path, enc, func(w *csv.Writer) error {
		for _, r := range rows {
			if err := w.Write(r); err != nil {
				return err
			}
		}
		return nil
	})
}

// writeCSV streams records produced by fill through the encoder for enc into path.
func writeCSV(path, enc string, fill func(*csv.Writer) error) (err error) {
	var e encoding.Encoding
	comma := ','
	prefix := []byte(nil)
	switch enc {
	case UTF8:
	case UTF8BOM:
		prefix = []byte{0xEF, 0xBB, 0xBF}
	case GB18030, "gbk":
		e = simplifiedchinese.GB18030
	case UTF16LE:
		e, comma = unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), '\t'
	case UTF16BE:
		e, comma = unicode.UTF16(unicode.BigEndian, unicode.UseBOM), '\t'
	default:
		return fmt.Errorf("sheettest: unknown encoding %q", enc)
	}
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
	}()
	bw := bufio.NewWriterSize(fh, 1<<16)
	if _, err := bw.Write(prefix); err != nil {
		return err
	}
	var out io.Writer = bw
	var enc2 io.WriteCloser
	if e != nil {
		enc2 = transform.NewWriter(bw, e.NewEncoder())
		out = enc2
	}
	w := csv.NewWriter(out)
	w.Comma = comma
	w.UseCRLF = true
	if err := fill(w); err != nil {
		return err
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	if enc2 != nil {
		if err := enc2.Close(); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// RegistryHeader is the header row of the generated registry.
var RegistryHeader = []string{"序号", "账号名称", "账号类型", "开设主体", "主管单位", "所属地区", "层级", "账号ID", "运行状态"}

// WriteRegistryXLSX writes a registry export of n accounts (plus the header row) with
// excelize's StreamWriter, so generating 200,000 rows takes little memory. 序号 is a number
// cell, everything else a string, as the national system's export has them.
func WriteRegistryXLSX(path string, n int, seed uint64) error {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter(SheetName)
	if err != nil {
		return err
	}
	vals := make([]any, len(RegistryHeader))
	for i, h := range RegistryHeader {
		vals[i] = h
	}
	if err := sw.SetRow("A1", vals); err != nil {
		return err
	}
	g := newGen(seed)
	for i := 1; i <= n; i++ {
		r := g.row(i)
		vals[0] = i
		for j := 1; j < len(r); j++ {
			vals[j] = r[j]
		}
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		if err != nil {
			return err
		}
		if err := sw.SetRow(cell, vals); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.SaveAs(path)
}

// WriteRegistryCSV writes the same registry as WriteRegistryXLSX (same seed, same rows) as
// CSV in enc (see WriteCSV).
func WriteRegistryCSV(path string, n int, seed uint64, enc string) error {
	return writeCSV(path, enc, func(w *csv.Writer) error {
		if err := w.Write(RegistryHeader); err != nil {
			return err
		}
		g := newGen(seed)
		for i := 1; i <= n; i++ {
			if err := w.Write(g.row(i)); err != nil {
				return err
			}
		}
		return nil
	})
}

// RegistryRows returns the header and the n rows the registry writers produce for seed, for
// tests that compare what a reader returns with what was written.
func RegistryRows(n int, seed uint64) [][]string {
	rows := [][]string{RegistryHeader}
	g := newGen(seed)
	for i := 1; i <= n; i++ {
		rows = append(rows, g.row(i))
	}
	return rows
}
