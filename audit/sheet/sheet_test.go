package sheet_test

import (
	"errors"
	"io/fs"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/audit/sheet"
)

func TestColumnName(t *testing.T) {
	tests := []struct {
		col  int
		want string
	}{
		{0, ""}, {-3, ""}, {1, "A"}, {4, "D"}, {26, "Z"}, {27, "AA"}, {52, "AZ"}, {53, "BA"},
		{702, "ZZ"}, {703, "AAA"}, {16384, "XFD"}, // XFD is Excel's last column
	}
	for _, tt := range tests {
		if got := sheet.ColumnName(tt.col); got != tt.want {
			t.Errorf("ColumnName(%d) = %q, want %q", tt.col, got, tt.want)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	cause := errors.New("boom")
	tests := []struct {
		err  sheet.Error
		want string
	}{
		{sheet.Error{File: "/data/in/registry.xlsx", Row: 5, Col: 4, Header: "运行状态", Msg: "未知的运行状态“暂停”"},
			"registry.xlsx: 第5行 D列（运行状态）: 未知的运行状态“暂停”"},
		{sheet.Error{File: "registry.csv", Msg: "文件为空"}, "registry.csv: 文件为空"},
		{sheet.Error{File: "r.csv", Row: 12, Msg: "重复的账号"}, "r.csv: 第12行: 重复的账号"},
		{sheet.Error{File: "r.csv", Row: 3, Col: 28, Msg: "bad"}, "r.csv: 第3行 AB列: bad"},
		{sheet.Error{File: "r.csv", Row: 3, Col: 2, Header: " *账号名称 ", Msg: "为空"}, "r.csv: 第3行 B列（*账号名称）: 为空"},
		{sheet.Error{File: "r.csv", Col: 2, Header: "状态", Msg: "未知的列"}, "r.csv: B列（状态）: 未知的列"},
		{sheet.Error{File: "r.csv", Row: 2, Err: cause}, "r.csv: 第2行: boom"},
		{sheet.Error{File: "r.csv", Row: 2, Msg: "无法读取", Err: cause}, "r.csv: 第2行: 无法读取"},
		{sheet.Error{Msg: "no file"}, "no file"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	e := &sheet.Error{File: "r.csv", Err: fs.ErrNotExist}
	if !errors.Is(e, fs.ErrNotExist) {
		t.Error("Unwrap does not expose the cause")
	}
}

func TestErrorfNamesHeader(t *testing.T) {
	p := writeFile(t, "registry.csv", []byte("\n账号名称,账号类型,运行状态\n汉中公安,新浪微博,暂停\n"))
	f, rows := readAll(t, p, sheet.Options{})
	if got := f.Errorf(rows[1].Num, 3, "未知的运行状态“%s”", rows[1].Cells[2]).Error(); got != "registry.csv: 第3行 C列（运行状态）: 未知的运行状态“暂停”" {
		t.Errorf("Errorf = %q", got)
	}
	if got := f.Errorf(3, 9, "x").Header; got != "" {
		t.Errorf("column past the header has header %q", got)
	}
	// A header found below a title row replaces the default.
	f.SetHeader([]string{"名称", "类型"})
	if got := f.Errorf(4, 2, "x").Header; got != "类型" {
		t.Errorf("after SetHeader, header = %q", got)
	}
}

func TestExcelSerialTime(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	tests := []struct {
		v    string
		want time.Time
		ok   bool
	}{
		{"44795.75", time.Date(2022, 8, 22, 18, 0, 0, 0, cst), true},
		{"44781", time.Date(2022, 8, 8, 0, 0, 0, 0, cst), true},
		{" 44781 ", time.Date(2022, 8, 8, 0, 0, 0, 0, cst), true},
		{"44795.7520833333", time.Date(2022, 8, 22, 18, 3, 0, 0, cst), true}, // 18:03, float noise rounded
		{"4.479575E4", time.Date(2022, 8, 22, 18, 0, 0, 0, cst), true},
		{"1", time.Date(1900, 1, 1, 0, 0, 0, 0, cst), true},
		{"61", time.Date(1900, 3, 1, 0, 0, 0, 0, cst), true}, // past Excel's fictitious 1900-02-29
		{"2958465", time.Date(9999, 12, 31, 0, 0, 0, 0, cst), true},
		{"2958466", time.Time{}, false},
		{"0.75", time.Time{}, false}, // a time of day, not a date
		{"0", time.Time{}, false},
		{"-1", time.Time{}, false},
		{"2022-08-22", time.Time{}, false},
		{"2022/8/22 18:00", time.Time{}, false},
		{"NaN", time.Time{}, false},
		{"Inf", time.Time{}, false},
		{"0x1p16", time.Time{}, false},
		{"1_000", time.Time{}, false},
		{"44795.", time.Time{}, false},
		{".5", time.Time{}, false},
		{"1e", time.Time{}, false},
		{"", time.Time{}, false},
		{"汉中", time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := sheet.ExcelSerialTime(tt.v, cst)
		if ok != tt.ok || !got.Equal(tt.want) || (ok && got.Location() != cst) {
			t.Errorf("ExcelSerialTime(%q) = %v, %v; want %v, %v", tt.v, got, ok, tt.want, tt.ok)
		}
	}
	// nil location: the wall clock in UTC.
	if got, _ := sheet.ExcelSerialTime("44795.75", nil); got != time.Date(2022, 8, 22, 18, 0, 0, 0, time.UTC) {
		t.Errorf("nil loc: %v", got)
	}
}
