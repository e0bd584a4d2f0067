package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/audit/sheet/sheettest"
)

// seedShapePlan is the seed report's quarterly sample: 2 + 6 + 89 + 69 = 166.
const seedShapePlan = "by: level\nstrata: {市级政府: 2, 县(区)政府: 6, 市级部门: 89, 县(区)部门及镇(街道): 69}\n"

// sampleRegistry writes a generated 900-row registry export and the seed-shape plan.
func sampleRegistry(t *testing.T, dir string) (reg, plan string) {
	t.Helper()
	reg, plan = filepath.Join(dir, "registry.xlsx"), filepath.Join(dir, "plan.yaml")
	if err := sheettest.WriteRegistryXLSX(reg, 900, 7); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(plan, []byte(seedShapePlan), 0o644); err != nil {
		t.Fatal(err)
	}
	return reg, plan
}

func targetNames(t *testing.T, path string) []string {
	t.Helper()
	accts, _, err := audit.LoadTargets(path, audit.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range accts {
		out = append(out, a.Name+"/"+a.Type)
	}
	return out
}

type checkJSONDoc struct {
	Summary      map[string]float64 `json:"summary"`
	Accounts     []map[string]any   `json:"accounts"`
	Unregistered []any              `json:"unregistered"`
}

// The whole quarterly job: draw the seed's sample shape, check it with --accounts exactly as
// sample wrote it (xlsx and CSV), and write the inspection document from the check's JSON.
func TestSampleCheckReportEndToEnd(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data")) // check records its runs there
	reg, plan := sampleRegistry(t, dir)
	sx, sc := filepath.Join(dir, "sample.xlsx"), filepath.Join(dir, "sample.csv")
	for _, out := range []string{sx, sc} {
		code, stdout, errOut := run(t, "", "sample", "--registry", reg, "--plan", plan, "--seed", "20220728", "-o", out)
		if code != 0 || stdout != "" {
			t.Fatalf("sample -o %s: exit %d, stdout %q, stderr %s", filepath.Base(out), code, stdout, errOut)
		}
		if !strings.Contains(errOut, "抽样完成: 共166个") {
			t.Errorf("stderr %q", errOut)
		}
	}
	names := targetNames(t, sx)
	if len(names) != 166 || !slices.Equal(names, targetNames(t, sc)) {
		t.Fatalf("xlsx has %d accounts, csv differs: %v", len(names), !slices.Equal(names, targetNames(t, sc)))
	}
	// Reproducible, and the seed matters.
	again := filepath.Join(dir, "again.xlsx")
	run(t, "", "sample", "--registry", reg, "--plan", plan, "--seed", "20220728", "-o", again)
	if !slices.Equal(names, targetNames(t, again)) {
		t.Errorf("same seed drew a different sample")
	}
	other := filepath.Join(dir, "other.xlsx")
	run(t, "", "sample", "--registry", reg, "--plan", plan, "--seed", "20220729", "-o", other)
	if slices.Equal(names, targetNames(t, other)) {
		t.Errorf("another seed drew the same sample")
	}

	// Observations for the sample: three 市级部门 accounts stale, the rest fresh.
	accts, _, err := audit.LoadTargets(sx, audit.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	obs := [][]string{{"账号名称", "账号类型", "最近更新时间"}}
	stale := 0
	for _, a := range accts {
		latest := "2022-08-20 09:30"
		if a.Level == audit.LevelCityDept && stale < 3 {
			latest, stale = "2022-08-01", stale+1
		}
		obs = append(obs, []string{a.Name, a.Type, latest})
	}
	obsPath := filepath.Join(dir, "obs.csv")
	if err := sheettest.WriteCSV(obsPath, obs, "utf-8-bom"); err != nil {
		t.Fatal(err)
	}

	runJSON := filepath.Join(dir, "run.json")
	var jsons, raw []string
	for _, list := range []string{sx, sc} {
		code, out, errOut := run(t, "", "check", "--registry", reg, "--accounts", list, "--observations", obsPath,
			"--offline", "--at", "2022-08-22", "--format", "json")
		if code != 0 {
			t.Fatalf("check --accounts %s: exit %d: %s", filepath.Base(list), code, errOut)
		}
		var doc checkJSONDoc
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		want := map[string]float64{"registry_rows": 900, "in_scope": 166, "closed_excluded": 0, "pending_closure": 0,
			"qualified": 163, "unqualified": 3, "needs_review": 0}
		for k, v := range want {
			if doc.Summary[k] != v {
				t.Errorf("%s: summary.%s = %v, want %v", filepath.Base(list), k, doc.Summary[k], v)
			}
		}
		if len(doc.Unregistered) != 0 {
			t.Errorf("%s: unregistered %v", filepath.Base(list), doc.Unregistered)
		}
		// The history store names each run; the rest must be identical.
		var m map[string]any
		json.Unmarshal([]byte(out), &m)
		delete(m, "run_id")
		norm, _ := json.Marshal(m)
		jsons, raw = append(jsons, string(norm)), append(raw, out)
	}
	if jsons[0] != jsons[1] {
		t.Errorf("checking the xlsx and the CSV sample gave different JSON")
	}
	os.WriteFile(runJSON, []byte(raw[0]), 0o644)

	code, md, errOut := run(t, "", "report", "--from-json", runJSON)
	if code != 0 {
		t.Fatalf("report: exit %d: %s", code, errOut)
	}
	want := "此次检查抽查全市政务新媒体166个，其中，市级政府2个，县区政府6个，市级部门89个，抽查县区镇（街道办）及县级部门69个。" +
		"检查复核结果：存在突出问题的政务新媒体3个，占比为1.8%。"
	for _, w := range []string{"# 2022年第三季度政务新媒体抽查情况报告", want, "**（一）政务新媒体内容更新不及时。**如：", "两周内未更新内容。",
		"## 附件", "| 账号名称 | 开设主体 | 账号类型 | 检查结果 | 存在的严重问题 |"} {
		if !strings.Contains(md, w) {
			t.Errorf("report md lacks %q", w)
		}
	}
	page := filepath.Join(dir, "report.html")
	if code, out, errOut := run(t, "", "report", "--from-json", runJSON, "--format", "html", "-o", page); code != 0 || out != "" {
		t.Fatalf("report html: exit %d, stdout %q: %s", code, out, errOut)
	}
	html, _ := os.ReadFile(page)
	if !bytes.Contains(html, []byte(want)) || bytes.Count(html, []byte("<svg ")) != 2 || bytes.Contains(html, []byte("<script")) {
		t.Errorf("html report: paragraph %v, charts %d", bytes.Contains(html, []byte(want)), bytes.Count(html, []byte("<svg ")))
	}
	book := filepath.Join(dir, "report.xlsx")
	if code, _, errOut := run(t, "", "report", "--from-json", runJSON, "--format", "xlsx", "-o", book); code != 0 {
		t.Fatalf("report xlsx: exit %d: %s", code, errOut)
	}
	if data, _ := os.ReadFile(book); !bytes.HasPrefix(data, []byte("PK")) {
		t.Errorf("xlsx report is not a workbook")
	}
}

func TestSampleStratumFlagsEqualPlan(t *testing.T) {
	dir := t.TempDir()
	reg, plan := sampleRegistry(t, dir)
	a, b := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")
	if code, _, errOut := run(t, "", "sample", "--registry", reg, "--plan", plan, "--seed", "5", "-o", a); code != 0 {
		t.Fatal(errOut)
	}
	// The same plan as flags, in another order and with aliases.
	code, _, errOut := run(t, "", "sample", "--registry", reg, "--seed", "5", "-o", b,
		"--stratum", "县区镇(街道办)及县级部门=69", "--stratum", "市直部门=89", "--stratum", "县区政府=6", "--stratum", "市级政府＝2")
	if code != 0 {
		t.Fatal(errOut)
	}
	da, _ := os.ReadFile(a)
	db, _ := os.ReadFile(b)
	if !bytes.Equal(da, db) {
		t.Errorf("flags and plan file drew different samples")
	}
	if !bytes.HasPrefix(da, []byte("\ufeff\"# plan: {\"\"seed\"\":5,")) {
		t.Errorf("csv starts %q", da[:min(60, len(da))])
	}
}

func TestSampleUsageErrors(t *testing.T) {
	dir := t.TempDir()
	reg, plan := sampleRegistry(t, dir)
	badPlan := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badPlan, []byte("by: level\nstrata:\n  市级政府: all\n  市级部门: lots\n"), 0o644)
	out := filepath.Join(dir, "s.xlsx")
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"--plan", plan, "--seed", "1"}, []string{"-o FILE.xlsx"}},
		{[]string{"--plan", plan, "--seed", "1"}, []string{"必须用 -o FILE.xlsx 或 -o FILE.csv"}},
		{[]string{"--plan", plan, "-o", out}, []string{"--seed"}},
		{[]string{"--plan", plan, "--seed", "-4", "-o", out}, []string{"--seed"}},
		{[]string{"--plan", plan, "--seed", "1", "-o", filepath.Join(dir, "s.pdf")}, []string{"-o FILE.xlsx"}},
		{[]string{"--seed", "1", "-o", out}, []string{"--plan"}},
		{[]string{"--plan", plan, "--stratum", "市级政府=1", "--seed", "1", "-o", out}, []string{"只能二选一"}},
		{[]string{"--plan", badPlan, "--seed", "1", "-o", out}, []string{"bad.yaml: 第4行", "市级部门"}},
		{[]string{"--stratum", "市级政府=3000", "--seed", "1", "-o", out}, []string{"市级政府", "3000", "可抽"}},
		{[]string{"--stratum", "省级部门=1", "--seed", "1", "-o", out}, []string{`未知分层 "省级部门"`}},
		{[]string{"--stratum", "市级部门", "--seed", "1", "-o", out}, []string{"NAME=QUOTA"}},
		{[]string{"--by", "county", "--stratum", "x=1", "--seed", "1", "-o", out}, []string{"--by"}},
	}
	for _, c := range cases {
		args := append([]string{"sample", "--registry", reg}, c.args...)
		code, stdout, errOut := run(t, "", args...)
		if code != 2 || stdout != "" {
			t.Errorf("%v: exit %d, stdout %q", c.args, code, stdout)
		}
		for _, w := range c.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%v: stderr %q lacks %q", c.args, errOut, w)
			}
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a failed sample left %s behind", out)
	}
	if code, _, errOut := run(t, "", "sample", "--registry", filepath.Join(dir, "none.xlsx"), "--plan", plan, "--seed", "1", "-o", out); code != 2 || !strings.Contains(errOut, "none.xlsx") {
		t.Errorf("missing registry: exit %d %s", code, errOut)
	}
}

// Without a level column the level comes from the owner's name, and config
// levels.overrides corrects it; a bad override is a config error.
func TestSampleInfersLevelsWithOverrides(t *testing.T) {
	dir := t.TempDir()
	reg := filepath.Join(dir, "reg.csv")
	rows := [][]string{{"账号名称", "账号类型", "开设主体", "运行状态"},
		{"汉中发布", "微信公众号", "汉中市人民政府办公室", "正常运行"},
		{"汉台发布", "新浪微博", "汉中市汉台区人民政府", "正常运行"},
		{"汉中经开发布", "新浪微博", "汉中经济技术开发区管理委员会", "正常运行"},
		{"汉中公安", "新浪微博", "汉中市公安局", "正常运行"},
		{"武侯镇", "微信公众号", "勉县武侯镇人民政府", "注销中"},
		{"陕西公安", "新浪微博", "陕西省公安厅", "正常运行"},
	}
	if err := sheettest.WriteCSV(reg, rows, "gb18030"); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "s.csv")
	// The only 县(区)部门及镇(街道) account is pending closure: that stratum has nothing to draw,
	// which is refused, naming it, rather than giving a sample without it.
	code, _, errOut := run(t, "", "sample", "--registry", reg, "--seed", "1", "-o", out,
		"--stratum", "县区政府=all", "--stratum", "市级部门=all", "--stratum", "县(区)部门及镇(街道)=all")
	if code != 2 || !strings.Contains(errOut, "分层 县(区)部门及镇(街道) 没有可抽取的账号") {
		t.Errorf("empty stratum: exit %d %s", code, errOut)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a refused sample was written")
	}
	code, _, errOut = run(t, "", "sample", "--registry", reg, "--seed", "1", "-o", out,
		"--stratum", "县区政府=all", "--stratum", "市级部门=all")
	if code != 0 {
		t.Fatal(errOut)
	}
	if got := targetNames(t, out); !slices.Equal(got, []string{"汉台发布/新浪微博", "汉中经开发布/新浪微博", "汉中公安/新浪微博"}) {
		t.Errorf("drew %v", got)
	}
	for _, w := range []string{"1个账号无法确定层级", "陕西省公安厅", "省级单位", "市级政府 1个"} {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr %q lacks %q", errOut, w)
		}
	}
	cfg := filepath.Join(dir, "nmaudit.yaml")
	os.WriteFile(cfg, []byte("levels:\n  overrides:\n    汉中经济技术开发区管理委员会: 县(区)政府\n"), 0o644)
	code, _, errOut = run(t, "", "sample", "--config", cfg, "--registry", reg, "--seed", "1", "-o", out, "--stratum", "县区政府=all")
	if code != 0 {
		t.Fatal(errOut)
	}
	if got := targetNames(t, out); !slices.Equal(got, []string{"汉台发布/新浪微博", "汉中经开发布/新浪微博"}) {
		t.Errorf("with override drew %v", got)
	}
	os.WriteFile(cfg, []byte("levels:\n  overrides:\n    汉中经济技术开发区管理委员会: 开发区\n"), 0o644)
	code, _, errOut = run(t, "", "sample", "--config", cfg, "--registry", reg, "--seed", "1", "-o", out, "--stratum", "县区政府=all")
	if code != 2 || !strings.Contains(errOut, "levels.overrides") || !strings.Contains(errOut, "开发区") {
		t.Errorf("bad override: exit %d %s", code, errOut)
	}
}

// TestSampleByRegionWithoutColumn: a by-region sample of a registry with no 所属地区 names what
// is missing and the columns there are (issue 11 item 12, "(the registry has )").
func TestSampleByRegionWithoutColumn(t *testing.T) {
	dir := t.TempDir()
	reg := filepath.Join(dir, "reg.csv")
	sheettest.WriteCSV(reg, [][]string{{"序号", "账号名称", "账号类型", "开设主体", "运行状态"},
		{"1", "汉中公安", "新浪微博", "汉中市公安局", "正常运行"}}, "gb18030")
	code, _, errOut := run(t, "", "sample", "--registry", reg, "--by", "region", "--stratum", "汉中市=1", "--seed", "1", "-o", filepath.Join(dir, "s.csv"))
	if code != 2 || !strings.Contains(errOut, "没有任何账号填写了所属地区") || !strings.Contains(errOut, "序号、账号名称、账号类型、开设主体、运行状态") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

// TestSampleCSVIsEscapedAndNoticesAreSafe: a hostile registry cell is defused in the sample CSV
// (issue 10 item 12) and reaches stderr without its escape sequences.
func TestSampleCSVIsEscapedAndNoticesAreSafe(t *testing.T) {
	dir := t.TempDir()
	reg := filepath.Join(dir, "reg.csv")
	sheettest.WriteCSV(reg, [][]string{{"账号名称", "账号类型", "开设主体", "运行状态"},
		{"=cmd|' /C calc'!A0", "新浪微博", "汉中市公安局", "正常运行"},
		{"合作社发布", "新浪微博", "某某\x1b[2J\x1b]0;x\x07合作社", "正常运行"}}, "utf-8")
	out := filepath.Join(dir, "s.csv")
	code, _, errOut := run(t, "", "sample", "--registry", reg, "--stratum", "市级部门=all", "--seed", "1", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d %s", code, errOut)
	}
	data, _ := os.ReadFile(out)
	if !bytes.Contains(data, []byte(`'=cmd|' /C calc'!A0`)) || bytes.Contains(data, []byte("\r\n=cmd")) {
		t.Errorf("formula cell not defused:\n%s", data)
	}
	if strings.ContainsAny(errOut, "\x1b\x07") || !strings.Contains(errOut, "某某合作社") {
		t.Errorf("the notice must name the unit without its escape sequences: %q", errOut)
	}
}
