package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/nmaudit/nmaudit/audit/sheet/sheettest"
)

// fixedNow is the clock every CLI test runs with: after every check time the tests use
// (2022-08-22 … 2022-11-22), since a check time later than now is refused.
func fixedNow() time.Time { return time.Date(2022, 11, 25, 9, 0, 0, 0, time.UTC) }

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
		for _, w := range []string{filepath.Base(path), "第38行", "D列", "停更"} {
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

func TestVersionPrintsBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/nmaudit/nmaudit", Version: "(devel)"},
		Settings: []debug.BuildSetting{
			{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "amd64"},
			{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "9278c5e1f2ab3c4d5e6f708192a3b4c5d6e7f809"},
			{Key: "vcs.time", Value: "2026-12-01T10:22:33Z"}, {Key: "vcs.modified", Value: "true"},
		}}
	got := formatVersion("v0.4.0-3-g9278c5e-dirty", bi)
	want := "nmaudit v0.4.0-3-g9278c5e-dirty\n" +
		"源码版本: 9278c5e1f2ab3c4d5e6f708192a3b4c5d6e7f809（提交时间 2026-12-01T10:22:33Z，含未提交的修改）\n" +
		"Go 版本: go1.26.8 linux/amd64\n"
	if got != want {
		t.Errorf("stamped build:\n%s\nwant:\n%s", got, want)
	}
	// go install without the Makefile: the toolchain's module version, no revision recorded.
	bi = &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261201102233-9278c5e1f2ab"}}
	got = formatVersion("dev", bi)
	if !strings.HasPrefix(got, "nmaudit v0.0.0-20261201102233-9278c5e1f2ab\n") || !strings.Contains(got, "源码版本: 未记录") || !strings.Contains(got, "Go 版本: go1.26.8\n") {
		t.Errorf("go install build:\n%s", got)
	}
	if got := formatVersion("dev", nil); got != "nmaudit dev\n源码版本: 未记录（在源码目录中用 make build 构建可记录）\n" {
		t.Errorf("no build info:\n%q", got)
	}
	// The command and the root flag print the same text, on stdout, exit 0.
	code, out, errOut := run(t, "", "version")
	code2, out2, _ := run(t, "", "--version")
	if code != 0 || code2 != 0 || out != out2 || !strings.HasPrefix(out, "nmaudit ") || !strings.Contains(out, "Go 版本: go1.") || errOut != "" {
		t.Errorf("version: %d %q / --version: %d %q", code, out, code2, out2)
	}
}

// TestMainHelpIsChinese: cobra's own headings, the help and completion commands and the -h
// flag are Chinese, and inherited by every command.
func TestMainHelpIsChinese(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"help"}, {"check", "--help"}, {"help", "sample"}, {"config", "init", "-h"},
		{"completion", "--help"}, {"completion", "bash", "--help"}, {"runs", "--help"}} {
		code, out, errOut := run(t, "", args...)
		if code != 0 {
			t.Errorf("%v: exit %d %s", args, code, errOut)
		}
		for _, en := range []string{"Usage:", "Flags:", "Global Flags:", "Available Commands:", "help for ", "(default ", "[flags]",
			"Use \"", "Generate the autocompletion", "Help about any command"} {
			if strings.Contains(out, en) {
				t.Errorf("%v: help still says %q:\n%s", args, en, out)
			}
		}
		if !strings.Contains(out, "用法:") {
			t.Errorf("%v: no 用法: heading:\n%s", args, out)
		}
	}
	_, out, _ := run(t, "", "--help")
	for _, w := range []string{"命令:", "选项:", "显示任一命令的帮助", "生成命令行自动补全脚本", "-v, --version"} {
		if !strings.Contains(out, w) {
			t.Errorf("root help lacks %q:\n%s", w, out)
		}
	}
	_, out, _ = run(t, "", "sample", "--help")
	if !strings.Contains(out, "全局选项:") || !strings.Contains(out, "--seed N") || !strings.Contains(out, "-o, --output FILE") {
		t.Errorf("sample help:\n%s", out)
	}
	_, out, _ = run(t, "", "check", "--help")
	if !strings.Contains(out, "（默认 14d）") || !strings.Contains(out, "xlsx 格式必须指定") {
		t.Errorf("check help lacks the Chinese default or the -o note:\n%s", out)
	}
	// A command that cannot write xlsx does not offer it on -o.
	_, out, _ = run(t, "", "runs", "--help")
	if strings.Contains(out, "xlsx 格式必须指定") {
		t.Errorf("runs -o help mentions xlsx:\n%s", out)
	}
}

// Every command's help is Chinese prose: no run of three English words outside the command
// lines of its examples (the English command and flag names stay as they are).
func TestEveryCommandsHelpIsChinese(t *testing.T) {
	english := regexp.MustCompile(`\b[a-z]{2,} [a-z]{2,} [a-z]{2,}\b`)
	root := newRootCmd(&streams{Out: io.Discard, Err: io.Discard})
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden {
			return
		}
		args := append(strings.Fields(strings.TrimPrefix(c.CommandPath(), "nmaudit")), "--help")
		_, out, _ := run(t, "", args...)
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, "nmaudit ") { // a command line of an example or of 用法
				continue
			}
			if m := english.FindString(line); m != "" {
				t.Errorf("%v: %q is English: %s", args, m, line)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

func TestMainCobraErrorsAreChinese(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"chek"}, `未知命令 "chek"（是否为 check？）`},
		{[]string{"check", "--nosuchflag"}, "未知选项 --nosuchflag"},
		{[]string{"check", "-Z"}, "未知选项 -Z"},
		{[]string{"check", "--concurrency", "many"}, `--concurrency 的值 "many" 无效：应为整数`},
		{[]string{"check", "--registry"}, "选项 --registry 需要一个值"},
		{[]string{"version", "extra"}, `不接受参数（多余的 "extra"）`},
		{[]string{"config", "bogus"}, `nmaudit config 不接受参数（多余的 "bogus"）`},
		{[]string{"help", "nosuch"}, "没有“nosuch”这个命令"},
	}
	for _, c := range cases {
		code, out, errOut := run(t, "", c.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, c.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q, want one line with %q", c.args, code, errOut, c.want)
		}
	}
}

// TestConfigTyposWarn: unknown keys in the config file are named on stderr with the nearest
// known key (issue 11 item 5), and the run goes on.
func TestConfigTyposWarn(t *testing.T) {
	dir := t.TempDir()
	xlsx, _, obs := seedDistrict(t, dir)
	os.WriteFile(filepath.Join(dir, "nmaudit.yaml"), []byte("windw: 10d\nplatforms:\n  weibo:\n    cokie: SUB=x\n"), 0o600)
	code, out, errOut := run(t, dir, "check", "--registry", xlsx, "--observations", obs, "--offline", "--at", "2022-08-22", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, w := range []string{"注意: nmaudit.yaml: 未知设置 windw（是否为 window？）\n",
		"注意: nmaudit.yaml: 未知设置 platforms.weibo.cokie（是否为 platforms.weibo.cookie？）\n"} {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr lacks %q:\n%s", w, errOut)
		}
	}
	if !strings.Contains(out, `"window": "14d"`) {
		t.Errorf("the misspelt window must not apply")
	}
}

// TestConfigBadValueNamesSource: --window 3x is the flag's fault, not nmaudit.yaml's; a bad
// value from the environment names the variable (issue 11 item 6).
func TestConfigBadValueNamesSource(t *testing.T) {
	dir := t.TempDir()
	xlsx, _, _ := seedDistrict(t, dir)
	os.WriteFile(filepath.Join(dir, "nmaudit.yaml"), []byte("window: 10d\nconcurrency: 2\n"), 0o600)
	cases := []struct {
		env  string
		args []string
		want string
	}{
		{"", []string{"--window", "3x"}, `nmaudit: --window: "3x" 不是有效的时长`},
		{"", []string{"--concurrency", "0"}, "nmaudit: --concurrency: 必须至少为 1"},
		{"3x", nil, `nmaudit: 环境变量 NMAUDIT_WINDOW: "3x" 不是有效的时长`},
		{"", []string{"--window", "0d"}, `nmaudit: --window: "0d"：时长不能为零`},
		{"", []string{"--window", "-3d"}, `nmaudit: --window: "-3d"：时长不能为负数`},
		{"", []string{"--window", "400d"}, `nmaudit: --window: "400d"：时长不能超过一年`},
	}
	for _, c := range cases {
		t.Setenv("NMAUDIT_WINDOW", c.env)
		args := append([]string{"check", "--registry", xlsx, "--offline", "--at", "2022-08-22"}, c.args...)
		code, out, errOut := run(t, dir, args...)
		if code != 2 || out != "" || !strings.HasPrefix(errOut, c.want) || strings.Contains(errOut, "nmaudit.yaml") {
			t.Errorf("%v (env %q): exit %d, stderr %q, want it to start %q", c.args, c.env, code, errOut, c.want)
		}
	}
	t.Setenv("NMAUDIT_WINDOW", "")
	os.WriteFile(filepath.Join(dir, "nmaudit.yaml"), []byte("window: 3x\n"), 0o600)
	if code, _, errOut := run(t, dir, "check", "--registry", xlsx, "--offline", "--at", "2022-08-22"); code != 2 ||
		!strings.HasPrefix(errOut, `nmaudit: nmaudit.yaml: window: "3x"`) {
		t.Errorf("file value: exit %d %q", code, errOut)
	}
}

// TestMainRefusesFutureCheckTime: --at later than now made almost every account 不合格
// (issue 10 item 9); a few minutes of clock skew are allowed.
func TestMainRefusesFutureCheckTime(t *testing.T) {
	dir := t.TempDir()
	xlsx, _, obs := seedDistrict(t, dir)
	now := fixedNow().In(time.FixedZone("CST", 8*3600))
	for _, at := range []string{"2030-08-22", now.Add(10 * time.Minute).Format("2006-01-02 15:04")} {
		code, out, errOut := run(t, "", "check", "--registry", xlsx, "--observations", obs, "--offline", "--at", at)
		if code != 2 || out != "" || !strings.Contains(errOut, "晚于当前时间") || !strings.Contains(errOut, "--at "+at) {
			t.Errorf("--at %s: exit %d, stderr %q", at, code, errOut)
		}
	}
	skew := now.Add(3 * time.Minute).Format("2006-01-02 15:04")
	if code, _, errOut := run(t, "", "check", "--registry", xlsx, "--observations", obs, "--offline", "--at", skew, "--format", "json"); code != 0 {
		t.Errorf("--at %s (within the clock-skew allowance): exit %d %s", skew, code, errOut)
	}
}

func TestConfigInitIsPrivateAndAtomic(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "elsewhere.txt")
	os.WriteFile(victim, []byte("keep"), 0o644)
	os.Symlink(victim, filepath.Join(dir, "nmaudit.yaml"))
	if code, _, errOut := run(t, dir, "config", "init"); code != 2 || !strings.Contains(errOut, "已存在") {
		t.Errorf("init over a symlink without --force: exit %d %s", code, errOut)
	}
	if code, _, errOut := run(t, dir, "config", "init", "--force"); code != 0 || !strings.Contains(errOut, "已写出 nmaudit.yaml") {
		t.Fatalf("init --force: exit %d %s", code, errOut)
	}
	if data, _ := os.ReadFile(victim); string(data) != "keep" {
		t.Errorf("config init wrote through the symlink")
	}
	info, _ := os.Lstat(filepath.Join(dir, "nmaudit.yaml"))
	if !info.Mode().IsRegular() || info.Mode().Perm() != 0o600 {
		t.Errorf("nmaudit.yaml is %v, want a regular 0600 file", info.Mode())
	}
}

// TestMainTerminalSafety: escape sequences in registry cells reach neither stderr notices nor
// the table and md reports (issue 10 item 12).
func TestMainTerminalSafety(t *testing.T) {
	dir := t.TempDir()
	reg := filepath.Join(dir, "reg.csv")
	sheettest.WriteCSV(reg, [][]string{{"账号名称", "账号类型", "开设主体", "运行状态"},
		{"汉中\x1b[2J\x1b]0;pwned\x07发布", "快手\x1b[31m极速版", "汉中市人民政府", "正常运行"},
		{"汉中公安", "新浪微博", "汉中市公安局\x1b[5m", "正常运行"}}, "utf-8")
	for _, format := range []string{"table", "md"} {
		code, out, errOut := run(t, "", "check", "--registry", reg, "--offline", "--at", "2022-08-22", "--format", format)
		if code != 0 {
			t.Fatalf("exit %d %s", code, errOut)
		}
		if strings.ContainsAny(out+errOut, "\x1b\x07") || strings.Contains(out+errOut, "pwned") {
			t.Errorf("%s: escape sequences reached the terminal:\nstdout %q\nstderr %q", format, out, errOut)
		}
		if !strings.Contains(out, "汉中发布") || !strings.Contains(out, "快手极速版") || !strings.Contains(errOut, "快手") {
			t.Errorf("%s: readable text lost:\nstdout %q\nstderr %q", format, out, errOut)
		}
	}
}
