package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/audit/sheet/sheettest"
)

// fixedNow is the clock every CLI test runs with.
func fixedNow() time.Time { return time.Date(2022, 8, 25, 9, 0, 0, 0, time.UTC) }

// run executes nmaudit with args in dir and returns exit status, stdout and stderr.
func run(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	if dir != "" {
		t.Chdir(dir)
	}
	if os.Getenv("NMAUDIT_TEST_KEEP_DATA_HOME") == "" {
		// The history store defaults to $XDG_DATA_HOME: never let a test write to the real one.
		if _, ok := dataHomes[t.Name()]; !ok {
			dataHomes[t.Name()] = t.TempDir()
		}
		t.Setenv("XDG_DATA_HOME", dataHomes[t.Name()])
	}
	var out, errb bytes.Buffer
	s := &streams{In: strings.NewReader(""), Out: &out, Err: &errb, Now: fixedNow, Context: context.Background()}
	code := Main(args, s)
	return code, out.String(), errb.String()
}

// dataHomes keeps one XDG_DATA_HOME per test, so runs within a test share their store.
var dataHomes = map[string]string{}

// withoutRunID drops the "run_id" line: two runs of the same check differ only there.
func withoutRunID(doc string) string {
	var keep []string
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), `"run_id":`) {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

// seedDistrict writes a district registry shaped like the seed report's self-check: 520 rows,
// 31 closed, 15 pending closure, and observations making 464 qualified and 10 unqualified.
func seedDistrict(t *testing.T, dir string) (xlsx, gbk, obs string) {
	t.Helper()
	header := []string{"序号", "账号名称", "账号类型", "开设主体", "所属地区", "层级", "账号ID", "运行状态"}
	reg := [][]string{header}
	observations := [][]string{{"账号名称", "账号类型", "最近更新时间", "来源/备注"}}
	types := []string{"微信订阅号", "新浪微博", "其他+百度贴吧", "微信服务号"}
	towns := []string{"北关街道", "龙江镇", "铺镇", "武乡镇", "老君镇", "七里街道", "宗营镇", "河东店镇"}
	for i := 0; i < 520; i++ {
		town := towns[i%len(towns)]
		name := fmt.Sprintf("%s政务%03d", town, i)
		typ := types[i%len(types)]
		status := "正常运行"
		switch {
		case i < 31:
			status = []string{"已注销", "注销", "已关停", "关停"}[i%4]
		case i < 46:
			status = []string{"注销中", "正在注销中", "正在申请办理注销", "申请注销中"}[i%4]
		}
		reg = append(reg, []string{fmt.Sprint(i + 1), name, typ, "汉台区" + town, "汉台区", "县(区)部门及镇(街道)", "", status})
		if i >= 46 {
			latest := "2022-08-15 10:00"
			if i < 56 {
				latest = "2022-08-01"
			}
			observations = append(observations, []string{name, typ, latest, "人工核对"})
		}
	}
	xlsx, gbk, obs = filepath.Join(dir, "registry.xlsx"), filepath.Join(dir, "registry.csv"), filepath.Join(dir, "obs.csv")
	if err := sheettest.WriteXLSX(xlsx, reg); err != nil {
		t.Fatal(err)
	}
	if err := sheettest.WriteCSV(gbk, reg, "gb18030"); err != nil {
		t.Fatal(err)
	}
	if err := sheettest.WriteCSV(obs, observations, "utf-8-bom"); err != nil {
		t.Fatal(err)
	}
	return xlsx, gbk, obs
}

func TestCheckReproducesSeedSelfCheckFigures(t *testing.T) {
	dir := t.TempDir()
	xlsx, gbk, obs := seedDistrict(t, dir)
	var outputs []string
	for _, reg := range []string{xlsx, gbk} {
		code, out, errOut := run(t, "", "check", "--registry", reg, "--observations", obs, "--offline", "--at", "2022-08-22", "--format", "json")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", reg, code, errOut)
		}
		var doc struct {
			CheckTime string           `json:"check_time"`
			Window    string           `json:"window"`
			Summary   map[string]any   `json:"summary"`
			Accounts  []map[string]any `json:"accounts"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"registry_rows": 520.0, "closed_excluded": 31.0, "in_scope": 489.0, "pending_closure": 15.0,
			"qualified": 464.0, "unqualified": 10.0, "needs_review": 0.0, "unqualified_rate": 0.0204}
		for k, v := range want {
			if doc.Summary[k] != v {
				t.Errorf("%s: summary.%s = %v, want %v", filepath.Ext(reg), k, doc.Summary[k], v)
			}
		}
		if doc.CheckTime != "2022-08-22T00:00:00+08:00" || doc.Window != "14d" || len(doc.Accounts) != 489 {
			t.Errorf("check_time %s window %s accounts %d", doc.CheckTime, doc.Window, len(doc.Accounts))
		}
		outputs = append(outputs, out)
	}
	if withoutRunID(outputs[0]) != withoutRunID(outputs[1]) {
		t.Errorf("xlsx and GBK CSV give different JSON")
	}
	code, table, _ := run(t, "", "check", "--registry", gbk, "--observations", obs, "--offline", "--at", "2022-08-22")
	if code != 0 {
		t.Fatal(code)
	}
	for _, w := range []string{"检查范围", "489", "注销中", "15", "合格", "464", "不合格", "10", "2.0%", "监测时间点前2周内无更新"} {
		if !strings.Contains(table, w) {
			t.Errorf("table lacks %q", w)
		}
	}
}

func TestCheckBadStatusNamesRow(t *testing.T) {
	dir := t.TempDir()
	rows := [][]string{{"账号名称", "账号类型", "开设主体", "运行状态"}}
	for i := 0; i < 40; i++ {
		st := "正常运行"
		if i == 36 {
			st = "停更"
		}
		rows = append(rows, []string{fmt.Sprintf("账号%d", i), "新浪微博", "某局", st})
	}
	for _, enc := range []string{"xlsx", "gb18030", "utf-16le"} {
		path := filepath.Join(dir, "reg-"+enc+".csv")
		var err error
		if enc == "xlsx" {
			path = filepath.Join(dir, "reg.xlsx")
			err = sheettest.WriteXLSX(path, rows)
		} else {
			err = sheettest.WriteCSV(path, rows, enc)
		}
		if err != nil {
			t.Fatal(err)
		}
		code, out, errOut := run(t, "", "check", "--registry", path, "--offline", "--at", "2022-08-22")
		if code != 2 || out != "" {
			t.Errorf("%s: exit %d, stdout %q", enc, code, out)
		}
		for _, w := range []string{filepath.Base(path), "row 38", "column D", "停更"} {
			if !strings.Contains(errOut, w) {
				t.Errorf("%s: stderr %q lacks %q", enc, errOut, w)
			}
		}
		if strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%s: want one clear line, got %q", enc, errOut)
		}
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	dir := t.TempDir()
	xlsx, _, _ := seedDistrict(t, dir)
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("window: fortnight\n"), 0o644)
	cases := [][]string{
		{"check"},
		{"check", "--registry", xlsx, "--format", "pdf"},
		{"check", "--registry", xlsx, "--format", "xlsx"},
		{"check", "--registry", xlsx, "--at", "22/08/2022"},
		{"check", "--registry", xlsx, "--window", "fortnight", "--offline"},
		{"check", "--registry", xlsx, "--config", bad, "--offline"},
		{"check", "--registry", xlsx, "--config", filepath.Join(dir, "none.yaml")},
		{"check", "--registry", filepath.Join(dir, "missing.xlsx"), "--offline"},
		{"check", "--registry", xlsx, "--offline", "--replay", dir},
		{"check", "--nosuchflag"},
		{"nosuchcommand"},
		{"reconcile", "--registry", xlsx},
	}
	for _, args := range cases {
		code, out, errOut := run(t, "", args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, errOut)
		}
		if out != "" || errOut == "" {
			t.Errorf("%v: stdout %q stderr %q", args, out, errOut)
		}
	}
}

func TestConfigInitAndEnv(t *testing.T) {
	dir := t.TempDir()
	code, _, errOut := run(t, dir, "config", "init")
	if code != 0 {
		t.Fatalf("config init: %d %s", code, errOut)
	}
	if code, _, _ := run(t, dir, "config", "init"); code != 2 {
		t.Errorf("second init should refuse to overwrite, exit %d", code)
	}
	data, err := os.ReadFile(filepath.Join(dir, "nmaudit.yaml"))
	if err != nil || !strings.Contains(string(data), "pending_closure: exclude") || !strings.Contains(string(data), "# ") {
		t.Fatalf("template: %v", err)
	}
	xlsx, _, obs := seedDistrict(t, dir)
	// The template itself loads (./nmaudit.yaml is the default config), and env overrides it.
	t.Setenv("NMAUDIT_WINDOW", "10d")
	code, out, errOut := run(t, dir, "check", "--registry", xlsx, "--observations", obs, "--offline", "--at", "2022-08-22", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, `"window": "10d"`) || !strings.Contains(out, "监测时间点前10天内无更新") {
		t.Errorf("env window not applied")
	}
	// A flag beats the env.
	_, out, _ = run(t, dir, "check", "--registry", xlsx, "--observations", obs, "--offline", "--at", "2022-08-22", "--format", "json", "--window", "2w")
	if !strings.Contains(out, `"window": "14d"`) {
		t.Errorf("flag did not override env")
	}
	t.Setenv("NMAUDIT_PENDING_CLOSURE", "check")
	_, out, _ = run(t, dir, "check", "--registry", xlsx, "--observations", obs, "--offline", "--at", "2022-08-22", "--format", "json")
	if !strings.Contains(out, `"pending_closure": 0`) {
		t.Errorf("pending_closure=check should audit pending accounts")
	}
}

func TestCheckFormatsToFile(t *testing.T) {
	dir := t.TempDir()
	xlsx, _, obs := seedDistrict(t, dir)
	for _, f := range checkFormats {
		path := filepath.Join(dir, "out."+f)
		code, out, errOut := run(t, "", "check", "--registry", xlsx, "--observations", obs, "--offline", "--at", "2022-08-22", "--format", f, "-o", path)
		if code != 0 || out != "" {
			t.Fatalf("%s: exit %d stdout %q stderr %s", f, code, out, errOut)
		}
		data, err := os.ReadFile(path)
		if err != nil || len(data) < 100 {
			t.Fatalf("%s: %v (%d bytes)", f, err, len(data))
		}
		switch f {
		case "csv":
			if !bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
				t.Errorf("csv lacks BOM")
			}
		case "xlsx":
			if !bytes.HasPrefix(data, []byte("PK")) {
				t.Errorf("xlsx is not a zip")
			}
		}
	}
	matches, _ := filepath.Glob(filepath.Join(dir, ".nmaudit-*"))
	if len(matches) != 0 {
		t.Errorf("temp files left behind: %v", matches)
	}
}

func TestReconcileCommand(t *testing.T) {
	dir := t.TempDir()
	reg := filepath.Join(dir, "reg.csv")
	list := filepath.Join(dir, "list.xlsx")
	sheettest.WriteCSV(reg, [][]string{
		{"账号名称", "账号类型", "开设主体", "运行状态"},
		{"汉中公安", "新浪微博", "汉中市公安局", "正常运行"},
		{"汉中商务", "新浪微博", "汉中市商务局", "已注销"},
		{"汉中教育", "微信订阅号", "汉中市教育局", "正常运行"},
	}, "gb18030")
	sheettest.WriteXLSX(list, [][]string{
		{"新媒体名称", "平台", "主办单位", "账号状态"},
		{"漢中公安", "微博", "汉中市公安局", "已注销"},
		{"汉中商务", "新浪微博", "汉中市商务局", "正常"},
		{"汉中发布", "微信公众号", "汉中市政府办", "正常"},
	})
	code, out, errOut := run(t, "", "reconcile", "--registry", reg, "--accounts", list, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	s := doc["summary"].(map[string]any)
	want := map[string]float64{"registry_rows": 3, "list_rows": 3, "matched": 2, "unregistered": 1, "missing_from_list": 1, "status_mismatch": 2, "field_mismatch": 0}
	for k, v := range want {
		if s[k] != v {
			t.Errorf("summary.%s = %v, want %v", k, s[k], v)
		}
	}
	for _, f := range []string{"table", "md", "csv"} {
		if code, out, _ := run(t, "", "reconcile", "--registry", reg, "--accounts", list, "--format", f); code != 0 || !strings.Contains(out, "汉中发布") {
			t.Errorf("%s: exit %d", f, code)
		}
	}
}
