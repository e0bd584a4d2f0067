package sheet_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"github.com/nmaudit/nmaudit/audit/sheet"
	"github.com/nmaudit/nmaudit/audit/sheet/sheettest"
)

func gbk(t testing.TB, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gb18030(t testing.TB, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func utf16le(t testing.TB, s string, bom bool) []byte {
	t.Helper()
	p := unicode.IgnoreBOM
	if bom {
		p = unicode.UseBOM
	}
	b, err := unicode.UTF16(unicode.LittleEndian, p).NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A registry-like table exercising what CSV writers quote: commas, quotes, a line break
// inside a cell (a multi-line 备注), a 4-byte GB18030 character (𠮷) and U+FFFD written
// legitimately (GB18030 84 31 A4 37).
var roundTrip = [][]string{
	{"账号名称", "账号类型", "开设主体", "备注"},
	{"汉中公安", "新浪微博", "汉中市公安局", "uid 1234567890"},
	{"城固发布", "微信订阅号", "城固县人民政府", "含逗号,和\"引号\""},
	{"汉台区北关街道", "其他+百度贴吧", "汉台区北关街道办事处", "第一行\n第二行"},
	{"𠮷祥镇", "抖音", "洋县𠮷祥镇人民政府", "替换符\uFFFD保留"},
	{"末行", "今日头条", "略阳县融媒体中心", ""},
}

func TestEncodingRoundTrip(t *testing.T) {
	for _, enc := range []string{sheettest.UTF8, sheettest.UTF8BOM, sheettest.GB18030, sheettest.UTF16LE, sheettest.UTF16BE} {
		t.Run(enc, func(t *testing.T) {
			p := t.TempDir() + "/registry.csv"
			if err := sheettest.WriteCSV(p, roundTrip, enc); err != nil {
				t.Fatal(err)
			}
			f, rows := readAll(t, p, sheet.Options{})
			if f.Format() != sheet.FormatCSV || f.Encoding() != enc {
				t.Errorf("format, encoding = %s, %s; want csv, %s", f.Format(), f.Encoding(), enc)
			}
			// The multi-line cell is one record: row 4 stays row 4 and the next row is 5.
			wantRows(t, rows, []int{1, 2, 3, 4, 5, 6}, roundTrip)
		})
	}
}

func TestRegistryCSVMatchesXLSX(t *testing.T) {
	want := sheettest.RegistryRows(300, 7)
	dir := t.TempDir()
	if err := sheettest.WriteRegistryXLSX(dir+"/r.xlsx", 300, 7); err != nil {
		t.Fatal(err)
	}
	_, x := readAll(t, dir+"/r.xlsx", sheet.Options{})
	if got := cellsOf(x); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("xlsx rows differ from the generator's rows")
	}
	for _, enc := range []string{sheettest.GB18030, sheettest.UTF16LE} {
		p := dir + "/r-" + enc + ".csv"
		if err := sheettest.WriteRegistryCSV(p, 300, 7, enc); err != nil {
			t.Fatal(err)
		}
		_, c := readAll(t, p, sheet.Options{})
		if fmt.Sprint(cellsOf(c)) != fmt.Sprint(want) || c[len(c)-1].Num != 301 {
			t.Errorf("%s: rows differ from the generator's rows", enc)
		}
	}
}

// The GBK trap: UTF-8 Chinese is, byte for byte, plausible GBK ("汉中公安" → "姹変腑鍏畨"), so
// UTF-8 must be tried first; and GBK must be found even when it appears only far down.
func TestGBKTrap(t *testing.T) {
	var late bytes.Buffer
	late.WriteString("name,type\r\n")
	for i := range 3000 {
		fmt.Fprintf(&late, "acct%d,weibo\r\n", i)
	}
	late.Write(gbk(t, "汉中公安,新浪微博\r\n"))

	tests := []struct {
		name    string
		data    []byte
		enc     string
		lastRow []string
		lastNum int
	}{
		{"utf-8 is never read as GBK", []byte("账号名称,账号类型\n汉中公安,新浪微博\n"), sheet.EncUTF8, []string{"汉中公安", "新浪微博"}, 2},
		{"gbk", gbk(t, "账号名称,账号类型\r\n汉中公安,新浪微博\r\n"), sheet.EncGB18030, []string{"汉中公安", "新浪微博"}, 2},
		{"gbk euro sign 0x80 (code page 936)", append(gbk(t, "名称,金额\r\n汉中,"), 0x80, '5', '\r', '\n'), sheet.EncGB18030, []string{"汉中", "€5"}, 2},
		{"gbk only in the last row", late.Bytes(), sheet.EncGB18030, []string{"汉中公安", "新浪微博"}, 3002},
		{"gbk with traditional characters (no false mixed-encoding alarm)", gbk(t, "名稱,備註\r\n臺灣後龍鎮公所,臉書粉絲專頁歡迎關注龜兔賽跑鬱鬱蔥蔥\r\n"), sheet.EncGB18030,
			[]string{"臺灣後龍鎮公所", "臉書粉絲專頁歡迎關注龜兔賽跑鬱鬱蔥蔥"}, 2},
		{"ascii is utf-8", []byte("a,b\n1,2\n"), sheet.EncUTF8, []string{"1", "2"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, rows := readAll(t, writeFile(t, "in.csv", tt.data), sheet.Options{})
			if f.Encoding() != tt.enc {
				t.Errorf("encoding = %s, want %s", f.Encoding(), tt.enc)
			}
			last := rows[len(rows)-1]
			if fmt.Sprint(last.Cells) != fmt.Sprint(tt.lastRow) || last.Num != tt.lastNum {
				t.Errorf("last row = %d %q, want %d %q", last.Num, last.Cells, tt.lastNum, tt.lastRow)
			}
		})
	}
}

func TestCSVShapes(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		data  string
		nums  []int
		cells [][]string
	}{
		{"quoted fields", "a.csv", "a,b,c\r\n\"x,y\",\"say \"\"hi\"\"\",\"\"\r\n",
			[]int{1, 2}, [][]string{{"a", "b", "c"}, {"x,y", `say "hi"`, ""}}},
		{"stray quote kept (LazyQuotes)", "a.csv", "a,b\nab\"c,d\n",
			[]int{1, 2}, [][]string{{"a", "b"}, {`ab"c`, "d"}}},
		{"ragged rows are not padded", "a.csv", "a,b,c,d\n1,2\n1,2,3,4,5,6\n",
			[]int{1, 2, 3}, [][]string{{"a", "b", "c", "d"}, {"1", "2"}, {"1", "2", "3", "4", "5", "6"}}},
		{"cells are not trimmed", "a.csv", "a,b\n 汉中 ,\t公安\n",
			[]int{1, 2}, [][]string{{"a", "b"}, {" 汉中 ", "\t公安"}}},
		{"multi-line quoted field is one row", "a.csv", "名称,备注\n汉中公安,\"第一行\n第二行\n第三行\"\n城固发布,x\n",
			[]int{1, 2, 3}, [][]string{{"名称", "备注"}, {"汉中公安", "第一行\n第二行\n第三行"}, {"城固发布", "x"}}},
		{"multi-line field with CRLF and a blank line inside", "a.csv", "名称,备注\r\n汉中公安,\"一\r\n\r\n三\"\r\n城固发布,x\r\n",
			[]int{1, 2, 3}, [][]string{{"名称", "备注"}, {"汉中公安", "一\n\n三"}, {"城固发布", "x"}}},
		{"blank lines and empty-field rows are skipped but counted", "a.csv", "\r\n名称,类型\r\n\r\n,,\r\n汉中公安,微博\r\n\r\n城固发布,微信\r\n",
			[]int{2, 5, 7}, [][]string{{"名称", "类型"}, {"汉中公安", "微博"}, {"城固发布", "微信"}}},
		{"no final newline", "a.csv", "a,b\n1,2",
			[]int{1, 2}, [][]string{{"a", "b"}, {"1", "2"}}},
		{"tab when the header has tabs and no commas", "a.csv", "名称\t类型\n汉中,公安\t微博\n",
			[]int{1, 2}, [][]string{{"名称", "类型"}, {"汉中,公安", "微博"}}},
		{"comma wins in a .csv with both", "a.csv", "名称,类型\t说明\n1,2\n",
			[]int{1, 2}, [][]string{{"名称", "类型\t说明"}, {"1", "2"}}},
		{"tab wins in a .txt with both", "a.txt", "名称,别名\t类型\n1\t2\n",
			[]int{1, 2}, [][]string{{"名称,别名", "类型"}, {"1", "2"}}},
		{"semicolon only when it is the only candidate", "a.csv", "名称;类型\n汉中;微博\n",
			[]int{1, 2}, [][]string{{"名称", "类型"}, {"汉中", "微博"}}},
		{"quoted comma in a TAB header does not count", "a.tsv", "\"a,b\"\tc\n1\t2\n",
			[]int{1, 2}, [][]string{{"a,b", "c"}, {"1", "2"}}},
		{"single column", "a.csv", "名称\n汉中公安\n",
			[]int{1, 2}, [][]string{{"名称"}, {"汉中公安"}}},
		{"an .xls that is really TAB-separated text (web-system export)", "a.xls", "名称\t类型\r\n汉中\t微博\r\n",
			[]int{1, 2}, [][]string{{"名称", "类型"}, {"汉中", "微博"}}},
		{"unknown extension is sniffed as text", "registry.dat", "a,b\n1,2\n",
			[]int{1, 2}, [][]string{{"a", "b"}, {"1", "2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rows := readAll(t, writeFile(t, tt.file, []byte(tt.data)), sheet.Options{})
			wantRows(t, rows, tt.nums, tt.cells)
		})
	}
}

func TestDelimiter(t *testing.T) {
	for data, want := range map[string]rune{"a,b\n": ',', "a\tb\n": '\t', "a;b\n": ';', "a\n": ','} {
		f, _ := readAll(t, writeFile(t, "d.csv", []byte(data)), sheet.Options{})
		if f.Delimiter() != want {
			t.Errorf("%q: delimiter %q, want %q", data, f.Delimiter(), want)
		}
	}
	f, _ := readAll(t, writeFile(t, "w.xlsx", handWorkbook(t, "S", `<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row>`)), sheet.Options{})
	if f.Delimiter() != 0 {
		t.Errorf("a workbook has delimiter %q", f.Delimiter())
	}
}

func TestUTF16(t *testing.T) {
	text := "账号名称\t账号类型\t备注\r\n汉中公安\t新浪微博\t\"a\tb\"\r\n"
	want := [][]string{{"账号名称", "账号类型", "备注"}, {"汉中公安", "新浪微博", "a\tb"}}
	tests := []struct {
		name string
		data []byte
		enc  string
	}{
		{"LE with BOM (Excel Unicode 文本)", utf16le(t, text, true), sheet.EncUTF16LE},
		{"LE without BOM, found by NUL pattern", utf16le(t, text, false), sheet.EncUTF16LE},
		{"BE without BOM", mustBytes(unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewEncoder().Bytes([]byte(text))), sheet.EncUTF16BE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, rows := readAll(t, writeFile(t, "u.txt", tt.data), sheet.Options{})
			if f.Encoding() != tt.enc {
				t.Errorf("encoding = %s, want %s", f.Encoding(), tt.enc)
			}
			wantRows(t, rows, []int{1, 2}, want)
		})
	}
}

func mustBytes(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// Undecodable text is refused with the row and column where it breaks; never turned into
// U+FFFD or mojibake.
func TestUndecodable(t *testing.T) {
	header := "账号名称,账号类型,运行状态\r\n"
	multi := "汉中公安,\"新浪\r\n微博\",正常运行\r\n" // one record over two lines
	tests := []struct {
		name    string
		data    []byte
		row     int
		col     int
		header  string
		message string
	}{
		{"neither utf-8 nor gb18030", cat(gbk(t, header+multi), gbk(t, "城固发布,"), []byte{0x81, 0x20}, gbk(t, "微信,正常\r\n")),
			3, 2, "账号类型", "字节 0x81 0x20 既不是 UTF-8 也不是 GBK/GB18030"},
		{"0xFF byte", cat(gbk(t, header+"汉中,微博,"), []byte{0xFF}, []byte("\r\n")),
			2, 3, "运行状态", "字节 0xFF 既不是"},
		{"unmapped 4-byte sequence", cat(gbk(t, header+"汉中,微博,"), []byte{0xFE, 0x39, 0xFE, 0x39}, []byte("\r\n")),
			2, 3, "运行状态", "字节 0xFE 0x39 0xFE 0x39 既不是"},
		{"truncated at end of file", cat(gbk(t, header+"汉中,微博,正常\r\n城固,"), []byte{0xB9}),
			3, 2, "账号类型", "字节 0xB9 既不是"},
		{"utf-8 BOM then GBK", cat([]byte{0xEF, 0xBB, 0xBF}, []byte(header+multi), gbk(t, "城固发布,微信,正常\r\n")),
			3, 1, "账号名称", "不是有效的 UTF-8，但文件以 UTF-8 BOM 开头"},
		{"a GBK cell in a UTF-8 file", cat([]byte(header+multi+"城固发布,微信订阅号,正常运行\r\n略阳融媒,"), gbk(t, "抖音"), []byte(",正常运行\r\n")),
			4, 2, "账号类型", "文件的其余部分是 UTF-8：文件混用了编码"},
		{"NUL byte", []byte(header + "汉中,微\x00博,正常\r\n"),
			2, 2, "账号类型", "NUL 字节"},
		{"utf-16 unpaired surrogate", cat(utf16le(t, "名称\t类型\r\n汉中\t", true), []byte{0x00, 0xD8}, utf16le(t, "x\r\n", false)),
			2, 2, "类型", "UTF-16 代理项 0xD800 不成对"},
		{"utf-16 odd length", cat(utf16le(t, "名称\t类型\r\n汉中\t微博", true), []byte{0x41}),
			2, 2, "类型", "字节数是奇数"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := openErr(t, writeFile(t, "registry.csv", tt.data), sheet.Options{})
			if !errors.Is(e, sheet.ErrEncoding) {
				t.Errorf("error %v does not wrap ErrEncoding", e)
			}
			if e.Row != tt.row || e.Col != tt.col || e.Header != tt.header {
				t.Errorf("at row %d col %d (%q), want row %d col %d (%q): %v", e.Row, e.Col, e.Header, tt.row, tt.col, tt.header, e)
			}
			if !strings.Contains(e.Error(), tt.message) || !strings.HasPrefix(e.Error(), "registry.csv: 第") {
				t.Errorf("message %q does not contain %q", e.Error(), tt.message)
			}
		})
	}
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestLegitimateReplacementCharacter(t *testing.T) {
	// U+FFFD encoded in GB18030 is 84 31 A4 37; it must not be mistaken for a decoding error,
	// including when an invalid sequence comes later on the same line.
	data := gb18030(t, "名称,备注\r\n汉中,\uFFFD与𠮷\r\n")
	_, rows := readAll(t, writeFile(t, "ok.csv", data), sheet.Options{})
	if got := rows[1].Cells[1]; got != "\uFFFD与𠮷" {
		t.Errorf("cell = %q", got)
	}
	bad := cat(gb18030(t, "名称,备注\r\n汉中,\uFFFD与"), []byte{0x81, 0x7F}, []byte("\r\n"))
	e := openErr(t, writeFile(t, "bad.csv", bad), sheet.Options{})
	if e.Row != 2 || e.Col != 2 || !strings.Contains(e.Msg, "0x81 0x7F") {
		t.Errorf("got %v (row %d col %d)", e, e.Row, e.Col)
	}
}

func TestEmptyFiles(t *testing.T) {
	tests := []struct {
		name string
		file string
		data []byte
	}{
		{"zero bytes", "a.csv", nil},
		{"zero bytes named xlsx", "a.xlsx", nil},
		{"utf-8 BOM only", "a.csv", []byte{0xEF, 0xBB, 0xBF}},
		{"utf-16 BOM only", "a.txt", []byte{0xFF, 0xFE}},
		{"blank lines only", "a.csv", []byte("\r\n\r\n\n")},
		{"whitespace only", "a.csv", []byte(" \t\r\n  \n")},
		{"empty fields only", "a.csv", []byte(",,,\r\n,,\r\n")},
		{"BOM and blank lines", "a.csv", []byte("\xEF\xBB\xBF\r\n\r\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := openErr(t, writeFile(t, tt.file, tt.data), sheet.Options{})
			if !errors.Is(e, sheet.ErrEmpty) || e.Error() != tt.file+": 文件为空" {
				t.Errorf("got %q (%v), want %q wrapping ErrEmpty", e.Error(), e.Err, tt.file+": 文件为空")
			}
		})
	}
}

func TestNotText(t *testing.T) {
	tests := []struct {
		name string
		file string
		data []byte
		is   error
		msg  string
	}{
		{"html saved as .csv", "a.csv", []byte("<!DOCTYPE html>\n<html><body><table><tr><td>汉中</td></tr></table></body></html>"), sheet.ErrNotWorkbook, "HTML"},
		{"html table saved as .xls", "a.xls", []byte("<table><tr><td>名称</td></tr></table>"), sheet.ErrNotWorkbook, "HTML"},
		{"old xls named .csv", "a.csv", cat([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 600)), sheet.ErrOldXLS, "旧版 Excel 97-2003 .xls 格式"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := openErr(t, writeFile(t, tt.file, tt.data), sheet.Options{})
			if !errors.Is(e, tt.is) || !strings.Contains(e.Error(), tt.msg) {
				t.Errorf("got %v, want %v mentioning %q", e, tt.is, tt.msg)
			}
		})
	}
}

func TestMissingFile(t *testing.T) {
	e := openErr(t, t.TempDir()+"/nope.csv", sheet.Options{})
	if e.Error() != "nope.csv: 无法打开：文件不存在" {
		t.Errorf("got %q", e.Error())
	}
	e = openErr(t, t.TempDir(), sheet.Options{})
	if !strings.Contains(e.Msg, "文件夹") {
		t.Errorf("got %q", e.Error())
	}
}

// Damage far into a file larger than the first pass's chunk (1 MiB) is found at its row and
// column, whatever the encoding: chunk boundaries must not move or lose it.
func TestLateDamageInLargeText(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("reads 7 MB files six times; no goroutines to race")
	}
	var body strings.Builder
	body.WriteString("账号名称,账号类型,备注\r\n")
	n := 0
	for body.Len() < 7<<20 {
		n++
		fmt.Fprintf(&body, "城固%d发布,微信订阅号,说明文字说明文字说明文字%d\r\n", n, n)
	}
	lastRow := n + 1
	tail := "略阳融媒,抖音,"
	tests := []struct {
		name string
		data []byte
		msg  string
	}{
		{"gbk, then an invalid sequence", cat(gbk(t, body.String()+tail), []byte{0x81, 0x20}, []byte("\r\n")), "字节 0x81 0x20"},
		{"gbk, then a NUL", cat(gbk(t, body.String()+tail), []byte{0}, []byte("\r\n")), "NUL 字节"},
		{"utf-8, then a NUL", cat([]byte(body.String()+tail), []byte{0}, []byte("\r\n")), "NUL 字节"},
		{"utf-8, then a GBK cell", cat([]byte(body.String()+tail), gbk(t, "备注"), []byte("\r\n")), "文件混用了编码"},
		{"utf-8 BOM, then a bad byte", cat([]byte("\xEF\xBB\xBF"+body.String()+tail), []byte{0xFF}, []byte("\r\n")), "文件以 UTF-8 BOM 开头"},
		{"utf-16, then an unpaired surrogate", cat(utf16le(t, strings.ReplaceAll(body.String(), ",", "\t")+strings.ReplaceAll(tail, ",", "\t"), true), []byte{0x00, 0xDC}), "代理项 0xDC00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := openErr(t, writeFile(t, "big.csv", tt.data), sheet.Options{})
			if e.Row != lastRow+1 || e.Col != 3 || !strings.Contains(e.Msg, tt.msg) || e.Header != "备注" {
				t.Errorf("got %v (row %d col %d), want row %d col 3", e, e.Row, e.Col, lastRow+1)
			}
		})
	}
	// And the same file without the damage reads whole.
	f, rows := readAll(t, writeFile(t, "big.csv", gbk(t, body.String())), sheet.Options{})
	if f.Encoding() != sheet.EncGB18030 || len(rows) != lastRow || rows[len(rows)-1].Cells[0] != fmt.Sprintf("城固%d发布", n) {
		t.Errorf("%s, %d rows", f.Encoding(), len(rows))
	}
}
