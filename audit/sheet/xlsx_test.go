package sheet_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/nmaudit/nmaudit/audit/sheet"
	"github.com/nmaudit/nmaudit/audit/sheet/sheettest"
)

// zipParts writes a zip archive of the given parts, in order.
func zipParts(t testing.TB, parts [][2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range parts {
		w, err := zw.Create(p[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(p[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// handWorkbook is a minimal OOXML package written by hand, the way WPS and many server-side
// exporters write one: no sharedStrings.xml, no styles.xml, inline strings.
func handWorkbook(t testing.TB, sheetName, sheetXML string) []byte {
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	return zipParts(t, [][2]string{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook ` + ns + ` xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="` + sheetName + `" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`},
		{"xl/worksheets/sheet1.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet ` + ns + `><sheetData>` + sheetXML + `</sheetData></worksheet>`},
	})
}

func TestWPSInlineStrings(t *testing.T) {
	sheetXML := `` +
		// Header: inline strings with r attributes.
		`<row r="1"><c r="A1" t="inlineStr"><is><t>账号名称</t></is></c><c r="B1" t="inlineStr"><is><t>账号类型</t></is></c>` +
		`<c r="C1" t="inlineStr"><is><t>运行状态</t></is></c><c r="D1" t="inlineStr"><is><t>最近更新时间</t></is></c></row>` +
		// Row 2 is missing from the XML. Row 3: rich-text runs, a formula string (t="str"),
		// preserved spaces, and a raw date serial.
		`<row r="3"><c r="A3" t="inlineStr"><is><r><t>汉中</t></r><r><t>公安</t></r></is></c>` +
		`<c r="B3" t="str"><f>"新浪"&amp;"微博"</f><v>新浪微博</v></c>` +
		`<c r="C3" t="inlineStr"><is><t xml:space="preserve"> 正常运行 </t></is></c><c r="D3"><v>44795.75</v></c></row>` +
		// Row 4: no r attributes on the row or its cells (positions are implied), and a
		// hole: E4 is written, D4 is not.
		`<row><c t="inlineStr"><is><t>城固发布</t></is></c><c t="inlineStr"><is><t>微信订阅号</t></is></c><c t="inlineStr"><is><t>注销中</t></is></c>` +
		`<c r="E4" t="inlineStr"><is><t>备注</t></is></c></row>` +
		// Row 6: only an empty styled cell — blank, skipped. Row 7: a cell far to the right.
		`<row r="6"><c r="A6" s="1"/></row>` +
		`<row r="7"><c r="A7" t="inlineStr"><is><t>略阳融媒</t></is></c><c r="C7" t="inlineStr"><is><t>已注销</t></is></c></row>`
	p := writeFile(t, "wps.xlsx", handWorkbook(t, "政务新媒体名录", sheetXML))
	f, rows := readAll(t, p, sheet.Options{})
	if f.Format() != sheet.FormatXLSX || f.Encoding() != sheet.EncXLSX || f.Sheet() != "政务新媒体名录" {
		t.Errorf("format %s, encoding %s, sheet %q", f.Format(), f.Encoding(), f.Sheet())
	}
	wantRows(t, rows, []int{1, 3, 4, 7}, [][]string{
		{"账号名称", "账号类型", "运行状态", "最近更新时间"},
		{"汉中公安", "新浪微博", " 正常运行 ", "44795.75"},
		{"城固发布", "微信订阅号", "注销中", "", "备注"},
		{"略阳融媒", "", "已注销"},
	})
}

// The registry shape written the common way (excelize, shared strings), with gaps: rows
// excelize's iterator skips must not shift the numbers of the rows after them.
func TestXLSXGapRows(t *testing.T) {
	p := filepath.Join(t.TempDir(), "gaps.xlsx")
	if err := sheettest.WriteXLSX(p, [][]string{
		{"账号名称", "账号类型", "运行状态"},
		nil, // row 2: absent from the sheet XML
		{"汉中公安", "新浪微博", "正常运行"},
		{},
		{},
		{"", "", ""}, // row 6: empty strings — written, but blank
		{"城固发布", "微信订阅号"},
		{"", "", "已注销"}, // leading empty cells are kept as ""
	}); err != nil {
		t.Fatal(err)
	}
	_, rows := readAll(t, p, sheet.Options{})
	wantRows(t, rows, []int{1, 3, 7, 8}, [][]string{
		{"账号名称", "账号类型", "运行状态"},
		{"汉中公安", "新浪微博", "正常运行"},
		{"城固发布", "微信订阅号"},
		{"", "", "已注销"},
	})
}

func TestXLSXRawDate(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	wb := excelize.NewFile()
	defer wb.Close()
	must(t, wb.SetSheetRow("Sheet1", "A1", &[]any{"账号名称", "最近更新时间", "日期"}))
	must(t, wb.SetSheetRow("Sheet1", "A2", &[]any{"汉中公安", time.Date(2022, 8, 22, 18, 0, 0, 0, time.UTC), time.Date(2022, 8, 8, 0, 0, 0, 0, time.UTC)}))
	// A date format that would turn the value into locale-dependent text if applied.
	style, err := wb.NewStyle(&excelize.Style{NumFmt: 22}) // m/d/yy h:mm
	must(t, err)
	must(t, wb.SetCellStyle("Sheet1", "B2", "C2", style))
	p := filepath.Join(t.TempDir(), "dates.xlsx")
	must(t, wb.SaveAs(p))

	f, rows := readAll(t, p, sheet.Options{})
	got := rows[1].Cells
	if got[1] != "44795.75" || got[2] != "44781" {
		t.Fatalf("raw cells = %q, want the serials 44795.75 and 44781", got)
	}
	tm, ok := f.SerialTime(got[1], cst)
	if !ok || !tm.Equal(time.Date(2022, 8, 22, 18, 0, 0, 0, cst)) {
		t.Errorf("SerialTime(%s) = %v, %v; want 2022-08-22 18:00 +08:00", got[1], tm, ok)
	}
	if f.Date1904() {
		t.Error("Date1904 = true for a 1900-system workbook")
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestSheetSelection(t *testing.T) {
	wb := excelize.NewFile()
	defer wb.Close()
	must(t, wb.SetSheetName("Sheet1", "说明"))
	must(t, wb.SetCellStr("说明", "A1", "本表为导出说明"))
	_, err := wb.NewSheet("名录")
	must(t, err)
	must(t, wb.SetSheetRow("名录", "A1", &[]any{"账号名称", "账号类型"}))
	must(t, wb.SetSheetRow("名录", "A2", &[]any{"汉中公安", "新浪微博"}))
	_, err = wb.NewSheet("空表")
	must(t, err)
	p := filepath.Join(t.TempDir(), "multi.xlsx")
	must(t, wb.SaveAs(p))

	tests := []struct {
		sheet string
		first string // first cell read, or the error wanted
		is    error
	}{
		{"", "本表为导出说明", nil},
		{"名录", "账号名称", nil},
		{" 名录 ", "账号名称", nil},
		{"Sheet1", `multi.xlsx: has no sheet named "Sheet1"; its sheets are "说明", "名录", "空表"`, sheet.ErrNoSheet},
		{"空表", `multi.xlsx: sheet "空表" is empty`, sheet.ErrEmpty},
	}
	for _, tt := range tests {
		t.Run(tt.sheet, func(t *testing.T) {
			if tt.is != nil {
				e := openErr(t, p, sheet.Options{Sheet: tt.sheet})
				if !errors.Is(e, tt.is) || e.Error() != tt.first {
					t.Errorf("got %q, want %q", e.Error(), tt.first)
				}
				return
			}
			_, rows := readAll(t, p, sheet.Options{Sheet: tt.sheet})
			if rows[0].Cells[0] != tt.first {
				t.Errorf("first cell %q, want %q", rows[0].Cells[0], tt.first)
			}
		})
	}
}

func TestNotAWorkbook(t *testing.T) {
	valid := filepath.Join(t.TempDir(), "v.xlsx")
	must(t, sheettest.WriteXLSX(valid, [][]string{{"a"}, {"b"}}))
	whole, err := os.ReadFile(valid)
	must(t, err)
	ole := []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	tests := []struct {
		name string
		file string
		data []byte
		is   error
		msg  string
	}{
		{"csv renamed", "registry.xlsx", []byte("账号名称,账号类型\n汉中公安,新浪微博\n"), sheet.ErrNotWorkbook, "is not an .xlsx workbook: it looks like a CSV/text file; if it is one, rename it to .csv"},
		{"gbk csv renamed", "registry.xlsx", gbk(t, "账号名称,账号类型\r\n汉中公安,新浪微博\r\n"), sheet.ErrNotWorkbook, "rename it to .csv"},
		{"html renamed", "registry.xlsm", []byte("<html><head><meta charset=utf-8></head><table><tr><td>a</td></tr></table></html>"), sheet.ErrNotWorkbook, "is not an .xlsm workbook: it is an HTML or XML document"},
		{"garbage", "registry.xlsx", []byte{0x00, 0x01, 0x02, 0x03, 0xFF, 0xFE, 0x10}, sheet.ErrNotWorkbook, "its content is not a spreadsheet"},
		{"old xls renamed", "registry.xlsx", cat(ole, make([]byte, 1024)), sheet.ErrOldXLS, "is in the old Excel 97-2003 .xls format; open it in Excel or WPS and save it as an .xlsx workbook"},
		{"old xls", "registry.xls", cat(ole, make([]byte, 1024)), sheet.ErrOldXLS, ".xls format"},
		{"encrypted workbook", "registry.xlsx", cat(ole, make([]byte, 100), []byte("E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e\x00")), sheet.ErrOldXLS, "password-protected"},
		{"zip without a workbook", "registry.xlsx", zipParts(t, [][2]string{{"readme.txt", "hello"}}), sheet.ErrNotWorkbook, "registry.xlsx: is"},
		{"truncated workbook", "registry.xlsx", whole[:len(whole)/2], sheet.ErrNotWorkbook, "is not a readable .xlsx workbook"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := openErr(t, writeFile(t, tt.file, tt.data), sheet.Options{})
			if !errors.Is(e, tt.is) || !strings.Contains(e.Error(), tt.msg) {
				t.Errorf("got %q (cause %v), want %v containing %q", e.Error(), e.Err, tt.is, tt.msg)
			}
			if e.Row != 0 || !strings.HasPrefix(e.Error(), tt.file+": ") {
				t.Errorf("a whole-file error should name only the file: %q", e.Error())
			}
		})
	}
}

// Content decides: a real workbook saved with a .csv (or no) extension is still read as one.
func TestWorkbookWithWrongExtension(t *testing.T) {
	p := filepath.Join(t.TempDir(), "registry.xlsx")
	must(t, sheettest.WriteXLSX(p, [][]string{{"账号名称"}, {"汉中公安"}}))
	data, err := os.ReadFile(p)
	must(t, err)
	for _, name := range []string{"registry.csv", "registry"} {
		f, rows := readAll(t, writeFile(t, name, data), sheet.Options{})
		if f.Format() != sheet.FormatXLSX || len(rows) != 2 || rows[1].Cells[0] != "汉中公安" {
			t.Errorf("%s: format %s, rows %v", name, f.Format(), rows)
		}
	}
}

// Close must remove the temporary files excelize unpacks large worksheets into (a worksheet
// over 4 MB of XML is streamed from a temp file rather than held in memory).
func TestCloseRemovesTempFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 5 MB worksheet")
	}
	tmp := t.TempDir()
	p := filepath.Join(t.TempDir(), "big.xlsx")
	wb := excelize.NewFile()
	sw, err := wb.NewStreamWriter("Sheet1")
	must(t, err)
	long := strings.Repeat("政务新媒体", 70) // 1 KB of inline string per cell
	for i := 1; i <= 1000; i++ {
		must(t, sw.SetRow("A"+strconv.Itoa(i), []any{i, long, long, long, long, long}))
	}
	must(t, sw.Flush())
	must(t, wb.SaveAs(p))
	must(t, wb.Close())
	t.Setenv("TMPDIR", tmp)
	f, err := sheet.Open(p, sheet.Options{})
	must(t, err)
	if n := countTemp(t, tmp); n == 0 {
		t.Fatal("no excelize temp file while reading: the test workbook is too small to exercise Close")
	}
	n := 0
	for ; ; n++ {
		if _, err := f.Next(); err != nil {
			break
		}
	}
	if n != 1000 {
		t.Errorf("read %d rows, want 1000", n)
	}
	must(t, f.Close())
	if n := countTemp(t, tmp); n != 0 {
		t.Errorf("%d temp files left after Close", n)
	}
	if _, err := f.Next(); err == nil {
		t.Error("Next after Close succeeded")
	}
}

func countTemp(t testing.TB, dir string) int {
	ents, err := os.ReadDir(dir)
	must(t, err)
	return len(ents)
}

// A workbook saved the way Excel saves it (shared strings) with a string table over 4 MB: the
// table is read from a temporary file, and every cell must still come back right.
func TestLargeSharedStrings(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 5 MB string table")
	}
	want := sheettest.RegistryRows(2000, 3)
	for i := 1; i < len(want); i++ { // a long, unique 备注 per row fills the string table
		want[i] = append(want[i], strings.Repeat("备注说明", 200)+strconv.Itoa(i))
	}
	p := filepath.Join(t.TempDir(), "sst.xlsx")
	must(t, sheettest.WriteXLSX(p, want))
	zr, err := zip.OpenReader(p)
	must(t, err)
	var sst uint64
	for _, f := range zr.File {
		if f.Name == "xl/sharedStrings.xml" {
			sst = f.UncompressedSize64
		}
	}
	zr.Close()
	if sst <= 4<<20 {
		t.Fatalf("shared strings %d bytes: too small to leave memory", sst)
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	f, rows := readAll(t, p, sheet.Options{})
	if countTemp(t, tmp) == 0 {
		t.Error("the string table was not unpacked to a temporary file")
	}
	must(t, f.Close())
	if n := countTemp(t, tmp); n != 0 {
		t.Errorf("%d temp files left after Close", n)
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i, r := range rows {
		if r.Num != i+1 || strings.Join(r.Cells, "|") != strings.Join(want[i], "|") {
			t.Fatalf("row %d: %d %q, want %q", i+1, r.Num, r.Cells, want[i])
		}
	}
}

// Excel for Mac's 1904 date system counts from 1904-01-01: the same serial is 1462 days later
// than in the 1900 system, so File.SerialTime must follow the workbook's setting.
func TestDate1904(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	wb := excelize.NewFile()
	defer wb.Close()
	yes := true
	must(t, wb.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}))
	must(t, wb.SetSheetRow("Sheet1", "A1", &[]any{"最近更新时间"}))
	must(t, wb.SetCellFloat("Sheet1", "A2", 43333.75, -1, 64))
	p := filepath.Join(t.TempDir(), "mac.xlsx")
	must(t, wb.SaveAs(p))

	f, rows := readAll(t, p, sheet.Options{})
	if !f.Date1904() {
		t.Fatal("Date1904 = false for a 1904-system workbook")
	}
	got, ok := f.SerialTime(rows[1].Cells[0], cst)
	if want := time.Date(2022, 8, 22, 18, 0, 0, 0, cst); !ok || !got.Equal(want) {
		t.Errorf("SerialTime(%s) = %v, %v; want %v", rows[1].Cells[0], got, ok, want)
	}
}
