package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nmaudit/nmaudit/audit/history"
	"github.com/nmaudit/nmaudit/audit/sheet/sheettest"
)

type recheckJSON struct {
	RunID    string `json:"run_id"`
	Parent   string `json:"parent_run_id"`
	Accounts []struct {
		Name     string   `json:"name"`
		Result   string   `json:"result"`
		Problems []string `json:"problems"`
	} `json:"accounts"`
	Fixed             []history.RecheckEntry `json:"fixed"`
	StillFailing      []history.RecheckEntry `json:"still_failing"`
	StillNeedsReview  []history.RecheckEntry `json:"still_needs_review"`
	NowPendingClosure []history.RecheckEntry `json:"now_pending_closure"`
	NotRechecked      []history.RecheckEntry `json:"not_rechecked"`
}

func names(es []history.RecheckEntry) string {
	var out []string
	for _, e := range es {
		out = append(out, e.Name+":"+e.From+"→"+e.To)
	}
	return strings.Join(out, " ")
}

// recheck re-checks only the 不合格 and 待核查 accounts, as a new run linked to the old one, and
// says which were fixed; the old run's veto findings stay in force until --findings replaces
// them.
func TestRecheck(t *testing.T) {
	f := newHistFixture(t)
	parent := f.check(t)
	obs := filepath.Join(f.dir, "复核观察.csv")
	sheettest.WriteCSV(obs, [][]string{
		{"账号名称", "账号类型", "最近更新时间"},
		{"汉中公安", "新浪微博", "2022-09-09 10:00"},
		{"汉中水利", "微信订阅号", "2022-09-08"},
		{"安康发布", "新浪微博", "2022-09-05 08:00"},
		{"汉中发布", "微信公众号", "2022-09-01 08:00"}, // 合格 before: not re-checked
	}, "utf-8-bom")

	code, out, errOut := histRun(t, context.Background(), "recheck", parent, "--offline", "--observations", obs, "--at", "2022-09-10", "--format", "json")
	if code != 0 {
		t.Fatalf("recheck: exit %d %s", code, errOut)
	}
	if !strings.Contains(errOut, "沿用运行 "+parent+" 的 4 条人工检查发现") || !strings.Contains(errOut, "1 行不属于本次复核的账号") {
		t.Errorf("stderr %s", errOut)
	}
	var r recheckJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "{\n  \"run_id\": ") || r.RunID == parent || r.Parent != parent {
		t.Errorf("run_id %s parent %s", r.RunID, r.Parent)
	}
	if len(r.Accounts) != 8 {
		t.Errorf("re-checked %d accounts, want the 6 不合格 and 2 待核查", len(r.Accounts))
	}
	if got, want := names(r.Fixed), "汉中公安:不合格→合格 安康发布:待核查→合格"; got != want {
		t.Errorf("fixed: %s, want %s", got, want)
	}
	if got, want := names(r.StillFailing), "汉中水利:不合格→不合格 北关街道:不合格→不合格 汉中教育:不合格→不合格 汉台交通:不合格→不合格"; got != want {
		t.Errorf("still failing: %s, want %s", got, want)
	}
	if got, want := names(r.StillNeedsReview), "城固卫健:不合格→待核查 汉中文旅:待核查→待核查"; got != want {
		t.Errorf("still needs review: %s, want %s", got, want)
	}
	if r.NowPendingClosure == nil || r.NotRechecked == nil || len(r.NotRechecked) != 0 {
		t.Errorf("lists must be present and empty: %v %v", r.NowPendingClosure, r.NotRechecked)
	}
	// 汉中水利 posted again, but its 严重表述错误 finding still stands.
	if e := r.StillFailing[0]; len(e.Problems) != 1 || e.Problems[0] != "严重表述错误" {
		t.Errorf("汉中水利: %v", e.Problems)
	}

	rs := listRuns(t)
	if len(rs) != 2 || rs[0].ID != r.RunID || rs[0].Kind != "recheck" || rs[0].ParentRunID == nil || *rs[0].ParentRunID != parent {
		t.Errorf("runs: %+v", rs)
	}
	// show prints the recheck as recheck printed it, 复核结果 included.
	if code, shown, _ := histRun(t, context.Background(), "show", r.RunID, "--format", "json"); code != 0 || shown != out {
		t.Errorf("show of the recheck differs:\n%s\n---\n%s", out, shown)
	}
	code, table, _ := histRun(t, context.Background(), "show", r.RunID)
	if code != 0 || !strings.Contains(table, "【复核结果】") || !strings.Contains(table, "已整改（现合格）1 个，仍不合格 4 个，不合格转待核查 1 个；待核查账号核实合格 1 个、核实不合格 0 个，仍待核查 1 个") {
		t.Errorf("table:\n%s", table)
	}
	if code, md, _ := histRun(t, context.Background(), "show", r.RunID, "--format", "md"); code != 0 || !strings.Contains(md, "\n## 复核结果\n") {
		t.Errorf("md:\n%s", md)
	}
	csvOut := filepath.Join(f.dir, "recheck.csv")
	if code, _, _ := histRun(t, context.Background(), "show", r.RunID, "--format", "csv", "-o", csvOut); code != 0 {
		t.Fatal("csv")
	}
	if b, _ := os.ReadFile(csvOut); !strings.Contains(string(b), "\r\n\r\n复核结果,") {
		t.Errorf("csv lacks the 复核结果 block")
	}
	xlsx := filepath.Join(f.dir, "recheck.xlsx")
	if code, _, errOut := histRun(t, context.Background(), "show", r.RunID, "--format", "xlsx", "-o", xlsx); code != 0 {
		t.Fatal(errOut)
	}
	if rows := readSheet(t, xlsx, "复核结果"); len(rows) != 9 || rows[1][0] != "汉中公安" || rows[1][4] != "合格" {
		t.Errorf("复核结果 sheet: %v", rows)
	}

	// --findings replaces the carried findings: 汉中教育's advert was removed.
	findings := filepath.Join(f.dir, "复核发现.csv")
	sheettest.WriteCSV(findings, [][]string{{"账号名称", "账号类型", "问题", "单项否决"}, {"汉中水利", "微信订阅号", "严重表述错误", "是"}}, "utf-8-bom")
	obs2 := filepath.Join(f.dir, "复核观察2.csv")
	sheettest.WriteCSV(obs2, [][]string{{"账号名称", "账号类型", "最近更新时间"}, {"汉中教育", "微信订阅号", "2022-09-09"}}, "utf-8-bom")
	code, out, errOut = histRun(t, context.Background(), "recheck", parent, "--offline", "--observations", obs2, "--findings", findings, "--at", "2022-09-10", "--format", "json")
	if code != 0 {
		t.Fatal(errOut)
	}
	json.Unmarshal([]byte(out), &r)
	if !strings.Contains(names(r.Fixed), "汉中教育:不合格→合格") || strings.Contains(errOut, "沿用") {
		t.Errorf("with --findings: fixed %s; stderr %s", names(r.Fixed), errOut)
	}

	// The registry changed since (a unit closed its account, a row was added): a note, and the
	// recheck goes on, the closed account reported apart.
	rows := append([][]string{}, histRegistryRows...)
	rows[len(rows)-1] = []string{"汉台交通", "新浪微博", "汉台区交通运输局", "县(区)部门及镇(街道)", "4567890123", "已注销"}
	rows = append(rows, []string{"新开账号", "新浪微博", "汉中市体育局", "市级部门", "5678901234", "正常运行"})
	sheettest.WriteCSV(f.registry, rows, "utf-8-bom")
	code, out, errOut = histRun(t, context.Background(), "recheck", parent, "--offline", "--at", "2022-09-10", "--format", "json")
	if code != 0 || !strings.Contains(errOut, "已更改") {
		t.Fatalf("changed registry: exit %d %s", code, errOut)
	}
	json.Unmarshal([]byte(out), &r)
	if got := names(r.NotRechecked); got != "汉台交通:不合格→已注销（不再检查）" {
		t.Errorf("not rechecked: %s", got)
	}

	// Nothing to re-check, an unknown or unfinished run.
	clean := filepath.Join(f.dir, "clean.csv")
	sheettest.WriteCSV(clean, [][]string{{"账号名称", "账号类型", "开设主体", "运行状态"}, {"汉中发布", "微信公众号", "汉中市人民政府办公室", "正常运行"}}, "utf-8-bom")
	code, out, _ = histRun(t, context.Background(), "check", "--registry", clean, "--observations", f.obs, "--offline", "--at", "2022-08-22", "--format", "json")
	allGood, _ := jsonField(t, out, "run_id").(string)
	if code, out, errOut := histRun(t, context.Background(), "recheck", allGood, "--offline"); code != 0 || out != "" || !strings.Contains(errOut, "无需复核") {
		t.Errorf("nothing to recheck: exit %d %q %s", code, out, errOut)
	}
	if code, _, _ := histRun(t, context.Background(), "recheck", "nosuchrun"); code != 2 {
		t.Errorf("unknown run: exit %d", code)
	}
	if code, _, _ := histRun(t, context.Background(), "recheck", parent, "--offline", "--replay", f.dir); code != 2 {
		t.Errorf("--offline with --replay: exit %d", code)
	}
}
