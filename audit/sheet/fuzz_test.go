package sheet_test

import (
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
// never U+FFFD-filled or mojibake text).
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
		for n := 0; ; n++ {
			if n > len(data)+1 {
				t.Fatalf("more rows (%d) than input bytes", n)
			}
			row, err := file.Next()
			if errors.Is(err, io.EOF) {
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
			if file.Format() != sheet.FormatCSV {
				continue // a zip that excelize accepted; its cells are excelize's business
			}
			for _, c := range row.Cells {
				if !utf8.ValidString(c) || strings.ContainsRune(c, 0) {
					t.Fatalf("row %d: cell %q is not clean UTF-8 (encoding %s)", row.Num, c, file.Encoding())
				}
			}
		}
	})
}
