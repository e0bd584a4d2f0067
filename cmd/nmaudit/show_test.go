package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/nmaudit/nmaudit/audit/sheet/sheettest"
)

// histFixture is a small district audited offline: every verdict kind, every ledger problem
// category, accounts with and without a known post.
type histFixture struct {
	dir, registry, obs, findings string
}

var histRegistryRows = [][]string{
	{"账号名称", "账号类型", "开设主体", "层级", "账号ID", "运行状态"},
	{"汉中公安", "新浪微博", "汉中市公安局", "市级部门", "1234567890", "正常运行"},
	{"汉中水利", "微信订阅号", "汉中市水利局", "市级部门", "", "正常运行"},
	{"城固卫健", "今日头条", "城固县卫生健康局", "县(区)部门及镇(街道)", "", "正常运行"},
	{"北关街道", "微信订阅号", "汉台区北关街道办事处", "县(区)部门及镇(街道)", "", "正常运行"},
	{"安康发布", "新浪微博", "安康市人民政府办公室", "市级政府", "2345678901", "正常运行"},
	{"汉中发布", "微信公众号", "汉中市人民政府办公室", "市级政府", "", "正常运行"},
	{"汉中文旅", "抖音", "汉中市文化和旅游局", "市级部门", "", "正常运行"},
	{"汉中教育", "微信订阅号", "汉中市教育局", "市级部门", "", "正常运行"},
	{"汉中商务", "新浪微博", "汉中市商务局", "市级部门", "3456789012", "已注销"},
	{"洋县发布", "微信公众号", "洋县人民政府办公室", "县(区)政府", "", "注销中"},
	{"汉台交通", "新浪微博", "汉台区交通运输局", "县(区)部门及镇(街道)", "4567890123", "正常运行"},
}

var histObservations = [][]string{
	{"账号名称", "账号类型", "最近更新时间", "来源/备注"},
	{"汉中公安", "新浪微博", "2022-07-30 18:02", "人工核对"},
	{"汉中水利", "微信订阅号", "2022-08-01", "人工核对"},
	{"城固卫健", "今日头条", "2022-08-05 10:00", "人工核对"},
	{"北关街道", "微信订阅号", "2022-08-20 09:00", "人工核对"},
	{"汉中发布", "微信公众号", "2022-08-20 12:00", "人工核对"},
	{"汉中教育", "微信订阅号", "2022-08-19", "人工核对"},
}

var histFindings = [][]string{
	{"账号名称", "账号类型", "问题", "单项否决"},
	{"汉中水利", "微信订阅号", "严重表述错误", "是"},
	{"北关街道", "微信订阅号", "未提供有效互动功能", "是"},
	{"汉中教育", "微信订阅号", "存在商业广告", "是"},
	{"汉台交通", "新浪微博", "严重错误表述", "是"},
}

func newHistFixture(t *testing.T) histFixture {
	t.Helper()
	histData(t)
	f := histFixture{dir: t.TempDir()}
	f.registry = filepath.Join(f.dir, "registry.csv")
	f.obs = filepath.Join(f.dir, "observations.csv")
	f.findings = filepath.Join(f.dir, "findings.csv")
	for path, rows := range map[string][][]string{f.registry: histRegistryRows, f.obs: histObservations, f.findings: histFindings} {
		if err := sheettest.WriteCSV(path, rows, "utf-8-bom"); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f histFixture) checkArgs(extra ...string) []string {
	return append([]string{"check", "--registry", f.registry, "--observations", f.obs, "--findings", f.findings,
		"--offline", "--at", "2022-08-22"}, extra...)
}

// check runs the offline check and returns the new run's id.
func (f histFixture) check(t *testing.T, extra ...string) string {
	t.Helper()
	code, out, errOut := histRun(t, context.Background(), f.checkArgs(append([]string{"--format", "json"}, extra...)...)...)
	if code != 0 {
		t.Fatalf("check: exit %d %s", code, errOut)
	}
	id, _ := jsonField(t, out, "run_id").(string)
	if id == "" {
		t.Fatalf("check JSON has no run_id")
	}
	return id
}

// show prints a past run exactly as check printed it, in every format, however the config
// has changed since.
func TestShowRendersAsCheckPrinted(t *testing.T) {
	f := newHistFixture(t)
	for _, format := range checkFormats {
		var out string
		var errOut string
		var code int
		path := ""
		if format == "xlsx" {
			path = filepath.Join(f.dir, "check.xlsx")
			code, _, errOut = histRun(t, context.Background(), f.checkArgs("--format", "xlsx", "-o", path)...)
		} else {
			code, out, errOut = histRun(t, context.Background(), f.checkArgs("--format", format)...)
		}
		if code != 0 {
			t.Fatalf("%s: exit %d %s", format, code, errOut)
		}
		id := listRuns(t)[0].ID
		if format == "json" && jsonField(t, out, "run_id") != id {
			t.Errorf("check JSON run_id %v, want %s", jsonField(t, out, "run_id"), id)
		}
		// Whatever today's config says about decimals and zone, the run prints as it did.
		t.Setenv("NMAUDIT_REPORT_RATE_DECIMALS", "3")
		t.Setenv("NMAUDIT_TIMEZONE", "UTC")
		if format == "xlsx" {
			again := filepath.Join(f.dir, "show.xlsx")
			if code, _, errOut := histRun(t, context.Background(), "show", id, "--format", "xlsx", "-o", again); code != 0 {
				t.Fatalf("show xlsx: %d %s", code, errOut)
			}
			a, _ := os.ReadFile(path)
			b, _ := os.ReadFile(again)
			if !bytes.Equal(a, b) && !reflect.DeepEqual(workbookCells(t, path), workbookCells(t, again)) {
				t.Errorf("show xlsx differs from check's")
			}
		} else {
			code, shown, errOut := histRun(t, context.Background(), "show", id, "--format", format)
			if code != 0 || shown != out {
				t.Errorf("%s: show (exit %d %s) differs from check:\n%s\n---\n%s", format, code, errOut, out, shown)
			}
		}
		os.Unsetenv("NMAUDIT_REPORT_RATE_DECIMALS")
		os.Unsetenv("NMAUDIT_TIMEZONE")
	}
	// The unique prefix of an id works; unknown and ambiguous ones are bad input.
	id := listRuns(t)[0].ID
	if code, _, _ := histRun(t, context.Background(), "show", id[:len(id)-1]+"?", "--format", "json"); code != 2 {
		t.Errorf("unknown run: exit %d", code)
	}
	if code, _, errOut := histRun(t, context.Background(), "show", "2022", "--format", "json"); code != 2 || !strings.Contains(errOut, "运行编号不唯一") {
		t.Errorf("ambiguous prefix: exit %d %s", code, errOut)
	}
	if code, _, _ := histRun(t, context.Background(), "show", id, "--format", "pdf"); code != 2 {
		t.Errorf("bad format: exit %d", code)
	}
}

// workbookCells reads every sheet's cells.
func workbookCells(t *testing.T, path string) map[string][][]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][][]string{}
	for _, sh := range f.GetSheetList() {
		rows, _ := f.GetRows(sh)
		out[sh] = rows
	}
	return out
}
