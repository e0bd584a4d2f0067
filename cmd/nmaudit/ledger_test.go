package main

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// readSheet returns a sheet's rows.
func readSheet(t *testing.T, path, sheet string) [][]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestLedger(t *testing.T) {
	f := newHistFixture(t)
	id := f.check(t)
	out := filepath.Join(f.dir, "台账", "整改台账.xlsx")
	os.MkdirAll(filepath.Dir(out), 0o755)
	code, stdout, errOut := histRun(t, context.Background(), "ledger", id, "-o", out, "--deadline", "2022-09-30")
	if code != 0 || stdout != "" {
		t.Fatalf("ledger: exit %d %q %s", code, stdout, errOut)
	}
	rows := readSheet(t, out, sheetLedger)
	if !reflect.DeepEqual(rows[0], ledgerHeader) {
		t.Errorf("header %v", rows[0])
	}
	// Sorted by 开设主体 in pinyin order (城固 < 汉台 < 汉中), then account; one row per problem;
	// the columns units fill are left empty (excelize drops trailing empty cells).
	want := [][]string{
		{"1", "城固卫健", "城固县卫生健康局", "今日头条", "内容不更新", "监测时间点（2022-08-22）前2周内无更新，最近一次更新为2022-08-05", "2022-08-05", "", "", "2022-09-30"},
		{"2", "北关街道", "汉台区北关街道办事处", "微信订阅号", "互动回应差", "人工检查发现：未提供有效互动功能（单项否决）", "2022-08-20", "", "", "2022-09-30"},
		{"3", "汉台交通", "汉台区交通运输局", "新浪微博", "安全、泄密事故等严重问题", "人工检查发现：严重错误表述（单项否决）", "无", "", "", "2022-09-30"},
		{"4", "汉中公安", "汉中市公安局", "新浪微博", "内容不更新", "监测时间点（2022-08-22）前2周内无更新，最近一次更新为2022-07-30", "2022-07-30", "", "", "2022-09-30"},
		{"5", "汉中教育", "汉中市教育局", "微信订阅号", "其他", "人工检查发现：存在商业广告（单项否决）", "2022-08-19", "", "", "2022-09-30"},
		{"6", "汉中水利", "汉中市水利局", "微信订阅号", "安全、泄密事故等严重问题", "人工检查发现：严重表述错误（单项否决）", "2022-08-01", "", "", "2022-09-30"},
		{"7", "汉中水利", "汉中市水利局", "微信订阅号", "内容不更新", "监测时间点（2022-08-22）前2周内无更新，最近一次更新为2022-08-01", "2022-08-01", "", "", "2022-09-30"},
	}
	if !reflect.DeepEqual(rows[1:], want) {
		t.Errorf("ledger rows:\n%v\nwant\n%v", rows[1:], want)
	}
	review := readSheet(t, out, sheetReview)
	if len(review) != 3 || review[1][1] != "安康发布" || review[2][1] != "汉中文旅" || !strings.Contains(review[1][5], "离线") || review[2][5] != "平台暂不支持自动检查" {
		t.Errorf("待核查清单: %v", review)
	}

	wb, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	if sheets := wb.GetSheetList(); !reflect.DeepEqual(sheets, []string{sheetLedger, sheetReview}) {
		t.Errorf("sheets %v", sheets)
	}
	for _, sh := range []string{sheetLedger, sheetReview} {
		panes, _ := wb.GetPanes(sh)
		if !panes.Freeze || panes.YSplit != 1 {
			t.Errorf("%s: header not frozen: %+v", sh, panes)
		}
		sid, _ := wb.GetCellStyle(sh, "B1")
		style, _ := wb.GetStyle(sid)
		if style == nil || style.Font == nil || !style.Font.Bold || len(style.Fill.Color) == 0 {
			t.Errorf("%s: header not styled", sh)
		}
	}
	if w, _ := wb.GetColWidth(sheetLedger, "F"); w < 40 {
		t.Errorf("问题描述 column width %v", w)
	}
	if v, _ := wb.GetCellType(sheetLedger, "A2"); v == excelize.CellTypeSharedString || v == excelize.CellTypeInlineString {
		t.Errorf("序号 is text, not a number")
	}

	for _, bad := range [][]string{
		{"ledger", id, "-o", out, "--deadline", "2022-9-31"},
		{"ledger", id, "-o", out, "--deadline", "9月30日"},
		{"ledger", id},
		{"ledger", id, "-o", filepath.Join(f.dir, "ledger.csv")},
		{"ledger", "nosuchrun", "-o", out},
	} {
		if code, stdout, errOut := histRun(t, context.Background(), bad...); code != 2 || stdout != "" || errOut == "" {
			t.Errorf("%v: exit %d %s", bad, code, errOut)
		}
	}
	// A deadline written as observations write dates is read as they are; the success line is
	// not an error (no "nmaudit:" prefix).
	code, stdout, errOut = histRun(t, context.Background(), "ledger", id, "-o", out, "--deadline", "2022/9/30")
	if code != 0 || stdout != "" || strings.HasPrefix(errOut, "nmaudit:") || !strings.Contains(errOut, "整改台账已写入 "+out+"：7 条（6 个不合格账号），待核查 2 个") {
		t.Errorf("--deadline 2022/9/30: exit %d stderr %q", code, errOut)
	}
	if rows := readSheet(t, out, sheetLedger); rows[1][9] != "2022-09-30" {
		t.Errorf("整改时限 %q", rows[1][9])
	}
	// Without --deadline the 整改时限 column is left for the office to fill.
	if code, _, errOut := histRun(t, context.Background(), "ledger", id, "-o", out); code != 0 {
		t.Fatal(errOut)
	}
	if rows := readSheet(t, out, sheetLedger); len(rows[1]) != 7 {
		t.Errorf("no deadline: row %v", rows[1])
	}
}
