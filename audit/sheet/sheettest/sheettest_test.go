package sheettest

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestRegistryDeterministic(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, seed uint64) []byte {
		p := filepath.Join(dir, name)
		if err := WriteRegistryCSV(p, 500, seed, UTF8); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b, c := write("a.csv", 42), write("b.csv", 42), write("c.csv", 43)
	if !bytes.Equal(a, b) {
		t.Error("same seed, different files")
	}
	if bytes.Equal(a, c) {
		t.Error("different seeds, same file")
	}
}

// The generated registry must look like the real one to be worth benchmarking and testing
// against: every type, status and level appears, ids have each platform's shapes, statuses
// are mostly 正常运行, and no (platform, name) pair repeats.
func TestRegistryShape(t *testing.T) {
	rows := RegistryRows(5000, 1)
	if strings.Join(rows[0], ",") != "序号,账号名称,账号类型,开设主体,主管单位,所属地区,层级,账号ID,运行状态" {
		t.Fatalf("header %q", rows[0])
	}
	count := map[string]int{}
	seen := map[string]bool{}
	digits := regexp.MustCompile(`^\d+$`)
	for i, r := range rows[1:] {
		if len(r) != 9 || r[0] != strconv.Itoa(i+1) {
			t.Fatalf("row %d: %q", i+1, r)
		}
		count[r[2]]++
		count[r[6]]++
		count[r[8]]++
		platform := r[2]
		if strings.HasPrefix(platform, "微信") {
			platform = "wechat"
		}
		if seen[platform+r[1]] {
			t.Errorf("duplicate %s %s", platform, r[1])
		}
		seen[platform+r[1]] = true
		id := r[7]
		switch r[2] {
		case "新浪微博":
			if !digits.MatchString(strings.TrimPrefix(id, "https://weibo.com/u/")) {
				t.Errorf("weibo id %q", id)
			}
		case "微信订阅号", "微信服务号":
			if id == "" || strings.HasPrefix(id, "gh_") {
				count["wechat-other-id"]++
				break
			}
			raw, err := base64.StdEncoding.DecodeString(id)
			if err != nil || !digits.Match(raw) {
				t.Errorf("__biz %q", id)
			}
			count["biz"]++
		}
	}
	for _, want := range []string{"微信订阅号", "微信服务号", "新浪微博", "其他+百度贴吧", "抖音", "今日头条",
		"正常运行", "注销中", "已注销", "市级政府", "县(区)政府", "市级部门", "县(区)部门及镇(街道)", "biz", "wechat-other-id"} {
		if count[want] == 0 {
			t.Errorf("no %s in 5000 rows", want)
		}
	}
	if active := count["正常运行"]; active < 4000 || active > 4700 {
		t.Errorf("正常运行 %d of 5000, want mostly", active)
	}
}

func TestWriteCSVEncodings(t *testing.T) {
	rows := [][]string{{"账号名称", "备注"}, {"汉中公安", "a,b"}}
	tests := []struct {
		enc    string
		prefix []byte
		has    []byte
	}{
		{UTF8, []byte("账号名称,备注\r\n"), []byte("\"a,b\"")},
		{UTF8BOM, []byte("\xEF\xBB\xBF账号名称,"), nil},
		{GB18030, []byte{0xD5, 0xCB, 0xBA, 0xC5}, []byte("\"a,b\"")}, // 账号 in GBK
		{UTF16LE, []byte{0xFF, 0xFE, 0x26, 0x8D}, []byte{'\t', 0}},   // BOM, 账, TAB-separated
		{UTF16BE, []byte{0xFE, 0xFF, 0x8D, 0x26}, []byte{0, '\t'}},
	}
	for _, tt := range tests {
		p := filepath.Join(t.TempDir(), "x.csv")
		if err := WriteCSV(p, rows, tt.enc); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		if !bytes.HasPrefix(b, tt.prefix) || !bytes.Contains(b, tt.has) {
			t.Errorf("%s: % X", tt.enc, b[:min(len(b), 16)])
		}
	}
	if err := WriteCSV(filepath.Join(t.TempDir(), "x.csv"), rows, "latin1"); err == nil {
		t.Error("unknown encoding accepted")
	}
}

// The Excel-shaped writer produces the same rows as the generator, as shared strings.
func TestWriteRegistryXLSXShared(t *testing.T) {
	p := filepath.Join(t.TempDir(), "shared.xlsx")
	if err := WriteRegistryXLSXShared(p, 300, 7); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := f.GetRows(SheetName)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(p)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, zf := range zr.File {
		if zf.Name == "xl/worksheets/sheet1.xml" {
			rc, _ := zf.Open()
			body, _ := io.ReadAll(rc)
			rc.Close()
			if bytes.Contains(body, []byte("inlineStr")) || bytes.Count(body, []byte(`t="s"`)) < 300*7 {
				t.Errorf("the sheet is not written with shared strings")
			}
		}
	}
	want := RegistryRows(300, 7)
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	for i := range want {
		for len(got[i]) < len(want[i]) {
			got[i] = append(got[i], "") // excelize drops trailing empty cells
		}
		if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
			t.Fatalf("row %d: %q, want %q", i+1, got[i], want[i])
		}
	}
}

func TestWriteSheetXML(t *testing.T) {
	p := filepath.Join(t.TempDir(), "raw.xlsx")
	if err := WriteSheetXML(p, "名录", `<row r="1"><c r="A1" t="inlineStr"><is><t>账号名称</t></is></c><c r="B1" t="e"><v>#N/A</v></c></row>`); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("名录")
	if err != nil || len(rows) != 1 || strings.Join(rows[0], "|") != "账号名称|#N/A" {
		t.Errorf("rows %q, %v", rows, err)
	}
}
