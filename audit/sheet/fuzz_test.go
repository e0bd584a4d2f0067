package sheet_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"github.com/nmaudit/nmaudit/audit/sheet"
)

// FuzzCSV feeds arbitrary bytes through Open and Next as a .csv file. Whatever the input, the
// reader must not panic or hang, every error must be a *sheet.Error, row numbers must rise,
// and every cell handed out must be valid UTF-8 without NUL (undecodable input is an error,
// never U+FFFD-filled or mojibake text). For UTF-8 text the rows must be exactly those
// encoding/csv reads with lazy quotes, numbered as before (csvRows).
func FuzzCSV(f *testing.F) {
	gbk := func(s string) []byte {
		b, _ := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
		return b
	}
	u16 := func(s string) []byte {
		b, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(s))
		return b
	}
	f.Add([]byte("账号名称,账号类型,运行状态\r\n汉中公安,新浪微博,正常运行\r\n"))
	f.Add([]byte("\xEF\xBB\xBF账号名称,账号类型\r\n城固发布,微信订阅号\r\n"))
	f.Add(gbk("账号名称,账号类型\r\n汉中公安,新浪微博\r\n"))
	f.Add(u16("账号名称\t账号类型\r\n汉中公安\t\"新浪\t微博\"\r\n"))
	f.Add([]byte("名称,备注\n汉中公安,\"第一行\n第二行\"\n城固发布,x\n"))
	f.Add([]byte("a,b,c\n1\n1,2,3,4,5\n\n,,\n"))
	f.Add([]byte("a,b\n\x81\x20,\xFF\n"))
	f.Add([]byte("a,\"b\nc"))
	f.Add([]byte("\xFF\xFE\x00\xD8"))
	f.Add([]byte("a\x00b\x00\r\x00\n\x00"))
	f.Add([]byte{0x84, 0x31, 0xA4, 0x37, ',', 0x81})
	f.Add([]byte("PK\x03\x04garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "in.csv")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		file, err := sheet.Open(p, sheet.Options{})
		if err != nil {
			var se *sheet.Error
			if !errors.As(err, &se) {
				t.Fatalf("Open error %T: %v", err, err)
			}
			return
		}
		defer file.Close()
		last := 0
		var got []sheet.Row
		for n := 0; ; n++ {
			if n > len(data)+1 {
				t.Fatalf("more rows (%d) than input bytes", n)
			}
			row, err := file.Next()
			if errors.Is(err, io.EOF) {
				if enc := file.Encoding(); file.Format() == sheet.FormatCSV && (enc == sheet.EncUTF8 || enc == sheet.EncUTF8BOM) {
					text := data
					if enc == sheet.EncUTF8BOM {
						text = data[3:]
					}
					if want := csvRows(text, file); rowsText(got) != rowsText(want) {
						t.Fatalf("rows differ from encoding/csv's:\nours   %s\ntheirs %s", rowsText(got), rowsText(want))
					}
				}
				return
			}
			if err != nil {
				var se *sheet.Error
				if !errors.As(err, &se) {
					t.Fatalf("Next error %T: %v", err, err)
				}
				return
			}
			if row.Num <= last {
				t.Fatalf("row number %d after %d", row.Num, last)
			}
			last = row.Num
			got = append(got, row)
			if file.Format() != sheet.FormatCSV {
				continue // a zip read as a workbook: FuzzXLSX checks those cells
			}
			for _, c := range row.Cells {
				if !utf8.ValidString(c) || strings.ContainsRune(c, 0) {
					t.Fatalf("row %d: cell %q is not clean UTF-8 (encoding %s)", row.Num, c, file.Encoding())
				}
			}
		}
	})
}

// csvRows reads text as the package did with encoding/csv before it had its own parser: lazy
// quotes, ragged rows, blank records skipped, and the row number derived from encoding/csv's
// line numbers (every empty line a row, a multi-line record one row).
func csvRows(text []byte, f *sheet.File) []sheet.Row {
	r := csv.NewReader(bytes.NewReader(text))
	r.Comma = f.Delimiter()
	r.LazyQuotes = true
	r.FieldsPerRecord = -1
	var out []sheet.Row
	row, endLine := 0, 0
	for {
		rec, err := r.Read()
		if err != nil {
			return out
		}
		start, _ := r.FieldPos(0)
		lastLine, _ := r.FieldPos(len(rec) - 1)
		row += start - endLine
		endLine = lastLine + strings.Count(rec[len(rec)-1], "\n")
		if !isBlank(rec) {
			out = append(out, sheet.Row{Num: row, Cells: rec})
		}
	}
}
