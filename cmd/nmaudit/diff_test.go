package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nmaudit/nmaudit/audit/sheet/sheettest"
)

// diff compares two quarters account by account: an account renamed in the registry is matched
// by its id, one new to the registry counts as newly failing, and the counts by level and
// platform give the figures for "与上季度相比".
func TestDiff(t *testing.T) {
	f := newHistFixture(t)
	a := f.check(t)

	// Next quarter: 汉中公安 renamed (same uid) and updating again, 汉中发布 stale, 安康发布
	// observed, a new account that never posted.
	rows := append([][]string{}, histRegistryRows...)
	rows[1] = []string{"汉中市公安局官方微博", "新浪微博", "汉中市公安局", "市级部门", "1234567890", "正常运行"}
	rows = append(rows, []string{"汉中体育", "新浪微博", "汉中市体育局", "市级部门", "5678901234", "正常运行"})
	reg2 := filepath.Join(f.dir, "registry-q4.csv")
	sheettest.WriteCSV(reg2, rows, "utf-8-bom")
	obs := append([][]string{}, histObservations...)
	obs[1] = []string{"汉中市公安局官方微博", "新浪微博", "2022-11-20 10:00", ""}
	obs[5] = []string{"汉中发布", "微信公众号", "2022-10-01 12:00", ""}
	obs = append(obs, []string{"安康发布", "新浪微博", "2022-11-18", ""}, []string{"汉中体育", "新浪微博", "2022-05-01", ""},
		[]string{"北关街道", "微信订阅号", "2022-11-20", ""}, []string{"汉中教育", "微信订阅号", "2022-11-20", ""})
	obs2 := filepath.Join(f.dir, "obs-q4.csv")
	sheettest.WriteCSV(obs2, obs, "utf-8-bom")
	code, out, errOut := histRun(t, context.Background(), "check", "--registry", reg2, "--observations", obs2, "--findings", f.findings,
		"--offline", "--at", "2022-11-22", "--format", "json")
	if code != 0 {
		t.Fatalf("check: %d %s", code, errOut)
	}
	b, _ := jsonField(t, out, "run_id").(string)

	code, out, errOut = histRun(t, context.Background(), "diff", a, b, "--format", "json")
	if code != 0 {
		t.Fatalf("diff: %d %s", code, errOut)
	}
	var d struct {
		From         map[string]string                    `json:"from"`
		To           map[string]string                    `json:"to"`
		Fixed        []map[string]any                     `json:"fixed"`
		NewlyFailing []map[string]any                     `json:"newly_failing"`
		StillFailing []map[string]any                     `json:"still_failing"`
		Resolved     []map[string]any                     `json:"resolved"`
		Changed      []map[string]any                     `json:"changed"`
		ByLevel      map[string]map[string]map[string]any `json:"by_level"`
		ByPlatform   map[string]map[string]map[string]any `json:"by_platform"`
		Accounts     map[string]int                       `json:"accounts"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	list := func(es []map[string]any) string {
		var s []string
		for _, e := range es {
			s = append(s, e["name"].(string)+":"+e["from"].(string)+"→"+e["to"].(string))
		}
		return strings.Join(s, " ")
	}
	for _, c := range []struct{ name, got, want string }{
		{"fixed", list(d.Fixed), "汉中市公安局官方微博:不合格→合格"},
		{"newly_failing", list(d.NewlyFailing), "汉中发布:合格→不合格 汉中体育:未检查→不合格"},
		{"still_failing", list(d.StillFailing), "汉中水利:不合格→不合格 城固卫健:不合格→不合格 北关街道:不合格→不合格 汉中教育:不合格→不合格 汉台交通:不合格→不合格"},
		{"resolved", list(d.Resolved), "安康发布:待核查→合格"},
		{"changed", list(d.Changed), "汉中市公安局官方微博:不合格→合格 安康发布:待核查→合格 汉中发布:合格→不合格 汉中体育:未检查→不合格"},
	} {
		if c.got != c.want {
			t.Errorf("%s: %s\n want %s", c.name, c.got, c.want)
		}
	}
	if d.From["id"] != a || d.To["id"] != b || d.To["check_time"] != "2022-11-22T00:00:00+08:00" {
		t.Errorf("from %v to %v", d.From, d.To)
	}
	if d.Accounts["matched"] != 10 || d.Accounts["only_in_from"] != 0 || d.Accounts["only_in_to"] != 1 {
		t.Errorf("accounts %v", d.Accounts)
	}
	// 市级部门: 汉中公安, 汉中水利, 汉中文旅, 汉中教育 (+ 汉中体育 this quarter).
	lvl := d.ByLevel["市级部门"]
	if lvl["from"]["in_scope"] != 4.0 || lvl["from"]["unqualified"] != 3.0 || lvl["to"]["in_scope"] != 5.0 || lvl["to"]["unqualified"] != 3.0 ||
		lvl["to"]["unqualified_rate"] != 0.6 {
		t.Errorf("by_level 市级部门 %v", lvl)
	}
	if w := d.ByPlatform["weibo"]; w["from"]["in_scope"] != 3.0 || w["to"]["in_scope"] != 4.0 || w["to"]["unqualified"] != 2.0 {
		t.Errorf("by_platform weibo %v", w)
	}

	code, table, _ := histRun(t, context.Background(), "diff", a, b)
	for _, want := range []string{"【总体对比】", "【分层级对比】", "【分平台对比】", "【已整改（不合格→合格）（1）】", "【新增不合格（2）】", "汉中体育", "| 不合格     |     6 |     7 |   +1 |"} {
		if code != 0 || !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	if code, md, _ := histRun(t, context.Background(), "diff", a, b, "--format", "md"); code != 0 || !strings.Contains(md, "## 仍不合格（5）") {
		t.Errorf("md:\n%s", md)
	}
	// People read the table: platforms by name (新浪微博, 抖音), never the JSON's codes.
	for _, format := range []string{"table", "md"} {
		_, doc, _ := histRun(t, context.Background(), "diff", a, b, "--format", format)
		platforms := doc[strings.Index(doc, "分平台对比"):strings.Index(doc, "已整改（不合格→合格）")]
		for _, want := range []string{"新浪微博", "微信公众号", "抖音", "今日头条"} {
			if !strings.Contains(platforms, want) {
				t.Errorf("%s 分平台对比 lacks %s:\n%s", format, want, platforms)
			}
		}
		for _, code := range []string{"weibo", "wechat", "douyin", "toutiao"} {
			if strings.Contains(platforms, code) {
				t.Errorf("%s 分平台对比 shows the code %s:\n%s", format, code, platforms)
			}
		}
	}
	code, csv, _ := histRun(t, context.Background(), "diff", a, b, "--format", "csv")
	if code != 0 || !strings.HasPrefix(csv, "\uFEFF类别,账号名称") || !strings.Contains(csv, "新增不合格,汉中体育,新浪微博,汉中市体育局,未检查,不合格") {
		t.Errorf("csv:\n%s", csv)
	}
	// The help offers what the command does: no xlsx, so no "-o required for xlsx".
	for _, c := range []string{"diff", "runs"} {
		if code, help, _ := histRun(t, context.Background(), c, "--help"); code != 0 || strings.Contains(help, "xlsx") {
			t.Errorf("%s --help mentions xlsx:\n%s", c, help)
		}
	}
	for _, bad := range [][]string{{"diff", a}, {"diff", a, "nosuchrun"}, {"diff", a, b, "--format", "xlsx"}} {
		if code, _, _ := histRun(t, context.Background(), bad...); code != 2 {
			t.Errorf("%v: exit %d", bad, code)
		}
	}
}
