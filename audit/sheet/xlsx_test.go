package sheet_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
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
		{"Sheet1", "multi.xlsx: 没有名为“Sheet1”的工作表；工作簿中的工作表有：“说明”、“名录”、“空表”", sheet.ErrNoSheet},
		{"空表", "multi.xlsx: 工作表“空表”为空", sheet.ErrEmpty},
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
		{"csv renamed", "registry.xlsx", []byte("账号名称,账号类型\n汉中公安,新浪微博\n"), sheet.ErrNotWorkbook, "不是 .xlsx 工作簿：它看起来是 CSV 文本文件；如果是，请把扩展名改为 .csv"},
		{"gbk csv renamed", "registry.xlsx", gbk(t, "账号名称,账号类型\r\n汉中公安,新浪微博\r\n"), sheet.ErrNotWorkbook, "请把扩展名改为 .csv"},
		{"html renamed", "registry.xlsm", []byte("<html><head><meta charset=utf-8></head><table><tr><td>a</td></tr></table></html>"), sheet.ErrNotWorkbook, "不是 .xlsm 工作簿：它是 HTML 或 XML 文档"},
		{"garbage", "registry.xlsx", []byte{0x00, 0x01, 0x02, 0x03, 0xFF, 0xFE, 0x10}, sheet.ErrNotWorkbook, "它的内容不是电子表格"},
		{"old xls renamed", "registry.xlsx", cat(ole, make([]byte, 1024)), sheet.ErrOldXLS, "是旧版 Excel 97-2003 .xls 格式；请在 Excel 或 WPS 中打开，另存为 .xlsx 工作簿"},
		{"old xls", "registry.xls", cat(ole, make([]byte, 1024)), sheet.ErrOldXLS, ".xls 格式"},
		{"encrypted workbook", "registry.xlsx", cat(ole, make([]byte, 100), []byte("E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e\x00")), sheet.ErrOldXLS, "设置了密码"},
		{"zip without a workbook", "registry.xlsx", zipParts(t, [][2]string{{"readme.txt", "hello"}}), sheet.ErrNotWorkbook, "registry.xlsx: 是 zip 压缩包，但不是 .xlsx 工作簿"},
		{"truncated workbook", "registry.xlsx", whole[:len(whole)/2], sheet.ErrNotWorkbook, "不是可读取的 .xlsx 工作簿"},
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

// Nothing is written to disk while reading, however large the parts (excelize unpacked parts
// over a size limit into temporary files, which a killed run left behind), and Next after Close
// fails rather than reading a closed file.
func TestNoTempFiles(t *testing.T) {
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
	n := 0
	for ; ; n++ {
		if _, err := f.Next(); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
		if n == 500 && countTemp(t, tmp) != 0 {
			t.Fatal("a temporary file was created while reading")
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

// A workbook saved the way Excel saves it (shared strings) with a string table over 4 MB (the
// size above which excelize moved it to a temporary file): every cell must come back right, and
// nothing is written to disk.
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

// Row.Kinds says what each cell is, read from a workbook written by excelize the way Excel writes
// one (styles.xml with built-in and custom number formats).
func TestCellKinds(t *testing.T) {
	wb := excelize.NewFile()
	defer wb.Close()
	d := time.Date(2022, 8, 8, 0, 0, 0, 0, time.UTC)
	must(t, wb.SetSheetRow("Sheet1", "A1", &[]any{"日期", "日期时间", "时间", "无格式", "文本", "布尔", "时长"}))
	must(t, wb.SetSheetRow("Sheet1", "A2", &[]any{d, d, d, 44781, "2022-08-08", true, 1.5}))
	style := func(s *excelize.Style) int {
		id, err := wb.NewStyle(s)
		must(t, err)
		return id
	}
	dt := "yyyy-mm-dd hh:mm"
	elapsed := "[h]:mm"
	must(t, wb.SetCellStyle("Sheet1", "A2", "A2", style(&excelize.Style{NumFmt: 14})))
	must(t, wb.SetCellStyle("Sheet1", "B2", "B2", style(&excelize.Style{CustomNumFmt: &dt})))
	must(t, wb.SetCellStyle("Sheet1", "C2", "C2", style(&excelize.Style{NumFmt: 20})))
	must(t, wb.SetCellStyle("Sheet1", "G2", "G2", style(&excelize.Style{CustomNumFmt: &elapsed})))
	p := filepath.Join(t.TempDir(), "kinds.xlsx")
	must(t, wb.SaveAs(p))

	_, rows := readAll(t, p, sheet.Options{})
	r := rows[1]
	want := []sheet.CellKind{
		{Type: sheet.CellNumber, Format: sheet.DateOnly},
		{Type: sheet.CellNumber, Format: sheet.DateTime},
		{Type: sheet.CellNumber, Format: sheet.TimeOnly},
		{Type: sheet.CellNumber, Format: sheet.NoDate},
		{Type: sheet.CellString},
		{Type: sheet.CellBool},
		{Type: sheet.CellNumber, Format: sheet.NoDate},
	}
	if len(r.Kinds) != len(r.Cells) {
		t.Fatalf("%d kinds for %d cells", len(r.Kinds), len(r.Cells))
	}
	for i, w := range want {
		if r.Kind(i) != w {
			t.Errorf("cell %s2 (%q): kind %+v, want %+v", sheet.ColumnName(i+1), r.Cells[i], r.Kind(i), w)
		}
	}
	if r.Cells[0] != "44781" || r.Cells[5] != "1" {
		t.Errorf("cells %q", r.Cells)
	}
	if (sheet.Row{Cells: []string{"a"}}).Kind(0) != (sheet.CellKind{}) || r.Kind(99) != (sheet.CellKind{}) {
		t.Error("Kind outside the row is not the zero kind")
	}
	// Error values are marked; a text file has no kinds.
	p = writeFile(t, "e.xlsx", handWorkbook(t, "S", `<row r="1"><c r="A1" t="e"><v>#N/A</v></c><c r="B1" t="inlineStr"><is><t>#N/A</t></is></c></row>`))
	_, rows = readAll(t, p, sheet.Options{})
	if rows[0].Kind(0).Type != sheet.CellError || rows[0].Kind(1).Type != sheet.CellString || rows[0].Cells[0] != "#N/A" {
		t.Errorf("error cell: %q %+v", rows[0].Cells, rows[0].Kinds)
	}
	_, rows = readAll(t, writeFile(t, "a.csv", []byte("#N/A,1\n")), sheet.Options{})
	if rows[0].Kinds != nil {
		t.Errorf("a CSV row has kinds %+v", rows[0].Kinds)
	}
}

func TestHyperlinksAndSheets(t *testing.T) {
	wb := excelize.NewFile()
	defer wb.Close()
	must(t, wb.SetSheetName("Sheet1", "填报说明"))
	must(t, wb.SetCellStr("填报说明", "A1", "说明"))
	_, err := wb.NewSheet("核对表")
	must(t, err)
	must(t, wb.SetSheetRow("核对表", "A1", &[]any{"账号名称", "文章链接"}))
	must(t, wb.SetSheetRow("核对表", "A2", &[]any{"汉中发布", "点击查看"}))
	must(t, wb.SetSheetRow("核对表", "A3", &[]any{"城固发布", "https://mp.weixin.qq.com/s/typed"}))
	must(t, wb.SetCellHyperLink("核对表", "B2", "https://mp.weixin.qq.com/s/abcDEF", "External"))
	must(t, wb.SetCellHyperLink("核对表", "A3", "填报说明!A1", "Location"))
	p := filepath.Join(t.TempDir(), "links.xlsx")
	must(t, wb.SaveAs(p))

	f, rows := readAll(t, p, sheet.Options{Sheet: "核对表", Hyperlinks: true})
	if got := f.Hyperlink(2, 2); got != "https://mp.weixin.qq.com/s/abcDEF" || rows[1].Cells[1] != "点击查看" {
		t.Errorf("hyperlink of B2 = %q (cell %q)", got, rows[1].Cells[1])
	}
	if f.Hyperlink(3, 1) != "" || f.Hyperlink(3, 2) != "" || f.Hyperlink(2, 1) != "" {
		t.Error("a link into the workbook, or a cell without a link, has an address")
	}
	if got := f.Sheets(); !reflect.DeepEqual(got, []string{"填报说明", "核对表"}) {
		t.Errorf("Sheets() = %q", got)
	}
	f2, _ := readAll(t, p, sheet.Options{Sheet: "核对表"})
	if f2.Hyperlink(2, 2) != "" {
		t.Error("hyperlinks read without Options.Hyperlinks")
	}
	names, err := sheet.SheetNames(p)
	if err != nil || !reflect.DeepEqual(names, []string{"填报说明", "核对表"}) {
		t.Errorf("SheetNames = %q, %v", names, err)
	}
	if names, err := sheet.SheetNames(writeFile(t, "a.csv", []byte("a\n"))); names != nil || err != nil {
		t.Errorf("SheetNames of a CSV = %q, %v", names, err)
	}
}
