package sheet_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"hash/crc32"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/nmaudit/nmaudit/audit/sheet"
)

// rowsXML is a registry-shaped sheet body of n data rows after a header, inline strings.
func rowsXML(n int) string {
	var b strings.Builder
	b.WriteString(`<row r="1"><c r="A1" t="inlineStr"><is><t>账号名称</t></is></c><c r="B1" t="inlineStr"><is><t>运行状态</t></is></c></row>`)
	for i := 2; i <= n+1; i++ {
		b.WriteString(`<row r="` + itoa(i) + `"><c r="A` + itoa(i) + `" t="inlineStr"><is><t>账号` + itoa(i) + `</t></is></c><c r="B` + itoa(i) + `" t="inlineStr"><is><t>正常运行</t></is></c></row>`)
	}
	return b.String()
}

func itoa(i int) string { return strconv.Itoa(i) }

// readUntilError opens and reads path to its end, returning the rows read and the error.
func readUntilError(t *testing.T, path string) ([]sheet.Row, *sheet.Error) {
	t.Helper()
	f, err := sheet.Open(path, sheet.Options{})
	var rows []sheet.Row
	if err == nil {
		defer f.Close()
		for {
			var r sheet.Row
			r, err = f.Next()
			if errors.Is(err, io.EOF) {
				return rows, nil
			}
			if err != nil {
				break
			}
			rows = append(rows, r)
		}
	}
	var se *sheet.Error
	if !errors.As(err, &se) {
		t.Fatalf("error %T %v is not a *sheet.Error", err, err)
	}
	return rows, se
}

// excelize read every one of these as a shorter sheet, without an error (issue 10, item 1). Each
// must now fail, naming the file, the sheet and the damaged row (or the last row read).
func TestDamagedSheetIsAnError(t *testing.T) {
	good := rowsXML(5) // rows 1..6
	tests := []struct {
		name string
		xml  string
		row  int    // the row the error names
		col  int    // and the column, when it is in a cell
		msg  string // part of the message
		is   error
	}{
		{"raw ESC in a cell", strings.Replace(good, "账号4", "账号\x1b4", 1), 4, 1, "XML 不允许的字符 U+001B", sheet.ErrDamaged},
		{"invalid UTF-8", strings.Replace(good, "账号4", "账号\xff4", 1), 4, 1, "无效的 UTF-8", sheet.ErrDamaged},
		{"undefined entity", strings.Replace(good, "账号4", "账号&nbsp;4", 1), 4, 1, "未定义的实体 &nbsp;", sheet.ErrDamaged},
		{"entity without semicolon", strings.Replace(good, "账号4", "账号&amp4", 1), 4, 1, "缺少分号", sheet.ErrDamaged},
		{"character reference to a control character", strings.Replace(good, "账号4", "账号&#27;4", 1), 4, 1, "U+001B", sheet.ErrDamaged},
		{"negative row number", strings.Replace(good, `<row r="4">`, `<row r="-4">`, 1), 4, 0, "行号“-4”不是正整数", sheet.ErrDamaged},
		{"zero row number", strings.Replace(good, `<row r="4">`, `<row r="0">`, 1), 4, 0, "不是正整数", sheet.ErrDamaged},
		{"row number going back", strings.Replace(good, `<row r="4">`, `<row r="2">`, 1), 3, 0, "行号 2 出现在第 3 行之后", sheet.ErrDamaged},
		{"row number repeated", strings.Replace(good, `<row r="4">`, `<row r="3">`, 1), 3, 0, "行号必须递增", sheet.ErrDamaged},
		{"cell ref outside its row", strings.Replace(good, `<c r="B4"`, `<c r="B9"`, 1), 4, 2, "单元格 B9 不在第 4 行", sheet.ErrDamaged},
		{"cell ref going back", strings.Replace(good, `<c r="B4"`, `<c r="A4"`, 1), 4, 1, "右边", sheet.ErrDamaged},
		{"bad cell ref", strings.Replace(good, `<c r="B4"`, `<c r="4B"`, 1), 4, 2, "单元格引用“4B”无效", sheet.ErrDamaged},
		{"mismatched end tag", strings.Replace(good, `</t></is></c><c r="B4"`, `</is></t></c><c r="B4"`, 1), 4, 1, "被 </is> 结束", sheet.ErrDamaged},
		{"unquoted attribute", strings.Replace(good, `<row r="4">`, `<row r=4>`, 1), 3, 0, "没有加引号", sheet.ErrDamaged},
		{"unknown cell type", strings.Replace(good, `<c r="B4" t="inlineStr">`, `<c r="B4" t="x">`, 1), 4, 2, "未知的单元格类型“x”", sheet.ErrDamaged},
		{"a cell inside a cell", strings.Replace(good, `<is><t>账号4</t></is>`, `<x><v>1</v></x>`, 1), 4, 1, "<c> 中出现了 <x>", sheet.ErrDamaged},
		// excelize decodes these into typed fields and dropped the cell's value when they did not
		// parse; a value it would not have read is not read here either.
		{"malformed run property", strings.Replace(good, `<is><t>账号4</t></is>`, `<is><r><rPr><sz val="十一"/></rPr><t>账号4</t></r></is>`, 1), 4, 1, `<sz> 的属性 val="十一" 无效`, sheet.ErrDamaged},
		{"malformed formula flag", strings.Replace(good, `<is><t>账号4</t></is>`, `<f ca="maybe">A1</f><is><t>账号4</t></is>`, 1), 4, 1, `<f> 的属性 ca="maybe" 无效`, sheet.ErrDamaged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "registry.xlsx", handWorkbook(t, "名录", tt.xml))
			rows, e := readUntilError(t, p)
			if e == nil {
				t.Fatalf("read %d rows without an error", len(rows))
			}
			if !errors.Is(e, tt.is) || e.Row != tt.row || e.Col != tt.col || !strings.Contains(e.Msg, tt.msg) ||
				!strings.Contains(e.Error(), "registry.xlsx: ") || !strings.Contains(e.Msg, "工作表“名录”") {
				t.Errorf("got %q (row %d col %d, cause %v), want row %d col %d, %q", e, e.Row, e.Col, e.Err, tt.row, tt.col, tt.msg)
			}
			if len(rows) > 0 && rows[len(rows)-1].Num >= tt.row && tt.row > 0 && tt.col > 0 {
				t.Errorf("the damaged row %d was handed out", tt.row)
			}
		})
	}
}

func TestTruncatedAndMisplaced(t *testing.T) {
	good := rowsXML(5)
	full := `<?xml version="1.0" encoding="UTF-8"?><worksheet ` + nsMain + `><sheetData>` + good + `</sheetData></worksheet>`
	tests := []struct {
		name, xml, msg string
		row            int
	}{
		{"cut in a row", full[:strings.Index(full, `<row r="5">`)+30], "XML 文档不完整", 5},
		{"cut between rows", full[:strings.Index(full, `<row r="5">`)], "XML 文档不完整", 4},
		{"cut after the sheet data", full[:len(full)-len("</worksheet>")], "XML 文档不完整", 6},
		{"row before the sheet data", strings.Replace(full, "<sheetData>", `<sheetPr><row r="1"/></sheetPr><sheetData>`, 1), "<row> 出现在不该出现的位置", 0},
		{"text after the root", full + "garbage", "根元素之外有文字", 6},
		{"a second sheetData", strings.Replace(full, "</worksheet>", "<sheetData/></worksheet>", 1), "多个 <sheetData>", 6},
		{"doctype", strings.Replace(full, "<worksheet", `<!DOCTYPE worksheet [<!ENTITY a "b">]><worksheet`, 1), "DOCTYPE", 0},
		{"not utf-8", strings.Replace(full, `encoding="UTF-8"`, `encoding="GBK"`, 1), "不支持的 XML 编码", 0},
		{"a chart sheet", `<chartsheet ` + nsMain + `><drawing/></chartsheet>`, "不是 <worksheet>", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "registry.xlsx", rawSheetWorkbook(t, tt.xml))
			rows, e := readUntilError(t, p)
			if e == nil {
				t.Fatalf("read %d rows without an error", len(rows))
			}
			if !errors.Is(e, sheet.ErrDamaged) || e.Row != tt.row || !strings.Contains(e.Msg, tt.msg) {
				t.Errorf("got %q (row %d), want row %d and %q", e, e.Row, tt.row, tt.msg)
			}
		})
	}
}

// rawSheetWorkbook is handWorkbook with the whole worksheet document given.
func rawSheetWorkbook(t testing.TB, doc string) []byte {
	return fuzzWorkbook(t, []byte(doc), []byte(fuzzSeedSST))
}

func TestSharedStringIndex(t *testing.T) {
	for _, tt := range []struct{ v, msg string }{
		{"5", "共享字符串索引 5 超出范围（共享字符串表只有 5 条）"},
		{"x", "共享字符串索引“x”无效"},
		{"-1", "共享字符串索引“-1”无效"},
	} {
		doc := `<worksheet ` + nsMain + `><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2" t="s"><v>` + tt.v + `</v></c></row></sheetData></worksheet>`
		p := writeFile(t, "r.xlsx", rawSheetWorkbook(t, doc))
		rows, e := readUntilError(t, p)
		if e == nil || e.Row != 2 || e.Col != 2 || !strings.Contains(e.Msg, tt.msg) || len(rows) != 1 {
			t.Errorf("index %s: rows %v, error %v", tt.v, rowsText(rows), e)
		}
	}
}

// zipWith writes the hand workbook but replaces the worksheet entry by one written raw, with
// the declared size and CRC given, so that archive/zip's own checks can be exercised.
func zipWith(t testing.TB, sheetXML string, mangle func(h *zip.FileHeader, data []byte) []byte) []byte {
	t.Helper()
	base := handWorkbook(t, "名录", sheetXML)
	zr, err := zip.NewReader(bytes.NewReader(base), int64(len(base)))
	must(t, err)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, err := f.Open()
		must(t, err)
		data, err := io.ReadAll(rc)
		must(t, err)
		if f.Name != "xl/worksheets/sheet1.xml" {
			w, err := zw.Create(f.Name)
			must(t, err)
			w.Write(data)
			continue
		}
		var comp bytes.Buffer
		fw, _ := flate.NewWriter(&comp, flate.DefaultCompression)
		fw.Write(data)
		fw.Close()
		h := &zip.FileHeader{Name: f.Name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(data),
			UncompressedSize64: uint64(len(data)), CompressedSize64: uint64(comp.Len())}
		raw := mangle(h, comp.Bytes())
		h.CompressedSize64 = uint64(len(raw))
		w, err := zw.CreateRaw(h)
		must(t, err)
		w.Write(raw)
	}
	must(t, zw.Close())
	return buf.Bytes()
}

func TestZipEntryChecks(t *testing.T) {
	xml := rowsXML(200)
	tests := []struct {
		name   string
		mangle func(h *zip.FileHeader, data []byte) []byte
		msg    string
	}{
		{"declared longer than it is", func(h *zip.FileHeader, d []byte) []byte { h.UncompressedSize64 += 100; return d }, "比压缩包中声明的长度短"},
		{"declared shorter than it is", func(h *zip.FileHeader, d []byte) []byte { h.UncompressedSize64 -= 100; return d }, "比压缩包中声明的长度长"},
		{"bad CRC", func(h *zip.FileHeader, d []byte) []byte { h.CRC32 ^= 1; return d }, "CRC 不符"},
		{"deflate stream cut", func(h *zip.FileHeader, d []byte) []byte { return d[:len(d)/2] }, "已损坏"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "registry.xlsx", zipWith(t, xml, tt.mangle))
			rows, e := readUntilError(t, p)
			if e == nil {
				t.Fatalf("read %d rows without an error", len(rows))
			}
			if !errors.Is(e, sheet.ErrDamaged) || !strings.Contains(e.Msg, tt.msg) {
				t.Errorf("got %q (cause %v)", e, e.Err)
			}
			// The error names the last row read when the damage is found between rows.
			if last := len(rows); last > 0 && e.Row < rows[last-1].Num {
				t.Errorf("error at row %d, but row %d was read", e.Row, rows[last-1].Num)
			}
		})
	}
}
