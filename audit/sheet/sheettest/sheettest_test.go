package sheettest

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
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
