package sheet_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/nmaudit/nmaudit/audit/sheet"
)

// bombWorkbook is a workbook whose sharedStrings.xml and sheet1.xml are written by the given
// functions straight into the zip (deflated), so a part of hundreds of MB costs a test no memory.
func bombWorkbook(t testing.TB, sst, sheetXML func(w io.Writer)) []byte {
	t.Helper()
	base := fuzzWorkbook(t, []byte(`<worksheet/>`), []byte(`<sst/>`))
	zr, err := zip.NewReader(bytes.NewReader(base), int64(len(base)))
	must(t, err)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	// Fast compression: the parts are hundreds of MB of repetition, and the test is about reading.
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestSpeed) })
	for _, f := range zr.File {
		w, err := zw.Create(f.Name)
		must(t, err)
		switch f.Name {
		case "xl/sharedStrings.xml":
			sst(w)
		case "xl/worksheets/sheet1.xml":
			sheetXML(w)
		default:
			rc, _ := f.Open()
			io.Copy(w, rc)
			rc.Close()
		}
	}
	must(t, zw.Close())
	return buf.Bytes()
}

func repeatTo(w io.Writer, s string, n int) {
	chunk := strings.Repeat(s, 64<<10/len(s))
	for n > 0 {
		k := min(n, len(chunk))
		io.WriteString(w, chunk[:k])
		n -= k
	}
}

// allocated runs fn and returns the bytes it allocated: an upper bound of the memory it held.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

const sstHead = `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`

// The probes of issue 10, item 2: a small file whose parts inflate to far more than any
// registry. Each is refused (or, for white space, read) within a few MB of memory.
func TestDecompressionBombs(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("inflates about 100 MB; no goroutines to race")
	}
	plainSST := func(w io.Writer) { io.WriteString(w, sstHead+`<si><t>账号名称</t></si></sst>`) }
	header := `<worksheet ` + nsMain + `><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row>`
	tests := []struct {
		name      string
		sst, xml  func(io.Writer)
		wantRows  int
		is        error
		msg       string
		maxAllocs uint64
	}{
		{"one 50 MB shared string",
			func(w io.Writer) {
				io.WriteString(w, sstHead+`<si><t>`)
				repeatTo(w, "a", 50<<20)
				io.WriteString(w, `</t></si></sst>`)
			},
			func(w io.Writer) { io.WriteString(w, header+`</sheetData></worksheet>`) },
			0, sheet.ErrTooLarge, "共享字符串表第 1 条超过 32767 个字符", 8 << 20},
		{"one 50 MB cell", plainSST,
			func(w io.Writer) {
				io.WriteString(w, header+`<row r="2"><c r="A2" t="inlineStr"><is><t>`)
				repeatTo(w, "名", 50<<20/3)
				io.WriteString(w, `</t></is></c></row></sheetData></worksheet>`)
			},
			1, sheet.ErrTooLarge, "单元格超过 32767 个字符", 8 << 20},
		{"64 MB of white space between rows", plainSST,
			func(w io.Writer) {
				io.WriteString(w, header)
				repeatTo(w, " \r\n\t", 64<<20)
				io.WriteString(w, `<row r="2"><c r="A2" t="s"><v>0</v></c></row></sheetData></worksheet>`)
			},
			2, nil, "", 8 << 20},
		{"a million shared strings in a comment", func(w io.Writer) {
			io.WriteString(w, sstHead+`<si><t>账号名称</t></si><!--`)
			repeatTo(w, "<si><t>x</t></si>", 32<<20)
			io.WriteString(w, `--></sst>`)
		}, func(w io.Writer) { io.WriteString(w, header+`</sheetData></worksheet>`) }, 1, nil, "", 8 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := bombWorkbook(t, tt.sst, tt.xml)
			if len(data) > 1<<20 {
				t.Fatalf("the bomb is %d bytes on disk", len(data))
			}
			p := writeFile(t, "bomb.xlsx", data)
			var rows []sheet.Row
			var e *sheet.Error
			n := allocated(func() { rows, e = readUntilError(t, p) })
			if n > tt.maxAllocs {
				t.Errorf("allocated %d MB", n>>20)
			}
			if len(rows) != tt.wantRows {
				t.Errorf("%d rows, want %d", len(rows), tt.wantRows)
			}
			switch {
			case tt.is == nil && e != nil:
				t.Errorf("error %v", e)
			case tt.is != nil && (e == nil || !errors.Is(e, tt.is) || !strings.Contains(e.Msg, tt.msg)):
				t.Errorf("got %v, want %v containing %q", e, tt.is, tt.msg)
			}
		})
	}
}
