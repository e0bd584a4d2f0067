package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/audit"
)

func TestFormatRate(t *testing.T) {
	for _, c := range []struct {
		rate     float64
		decimals int
		want     string
	}{
		{3.0 / 166, 1, "1.8%"}, // the seed: 抽查166个, 不合格3个, 占比1.8%
		{3.0 / 166, 0, "2%"},
		{3.0 / 166, 2, "1.81%"},
		{10.0 / 489, 1, "2.0%"},
		{10.0 / 489, 2, "2.04%"},
		{0, 1, "0.0%"},
		{0, 0, "0%"},
		{0, 2, "0.00%"},
		{1, 1, "100.0%"},
		{1.0 / 80, 1, "1.3%"}, // 1.25: halves round up, as offices round by hand
		{1.0 / 8, 0, "13%"},   // 12.5
		{0.0005, 1, "0.1%"},   // 0.05
		{3.0 / 166, -3, "2%"}, // nonsense decimals clamp to 0
		{3.0 / 166, 9, "1.8072%"},
	} {
		if got := FormatRate(c.rate, c.decimals); got != c.want {
			t.Errorf("FormatRate(%v, %d) = %q, want %q", c.rate, c.decimals, got, c.want)
		}
	}
}

func TestUnknownFormat(t *testing.T) {
	var b bytes.Buffer
	err := Check(&b, "html", fixtureResult(t), testOptions(t))
	if err == nil {
		t.Fatal("no error for an unknown format")
	}
	for _, f := range Formats {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not name format %s", err, f)
		}
	}
	if b.Len() != 0 {
		t.Errorf("wrote %d bytes for an unknown format", b.Len())
	}
	if err := Reconcile(&b, "yaml", fixtureReconciliation(), Options{}); err == nil || !strings.Contains(err.Error(), "xlsx") {
		t.Errorf("Reconcile unknown format: %v", err)
	}
	if err := Check(&b, "table", nil, Options{}); err == nil {
		t.Error("nil result accepted")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrorsAreReported(t *testing.T) {
	for _, f := range Formats {
		if err := Check(failingWriter{}, f, fixtureResult(t), testOptions(t)); err == nil {
			t.Errorf("%s: write error not reported", f)
		}
		if err := Reconcile(failingWriter{}, f, fixtureReconciliation(), Options{}); err == nil {
			t.Errorf("reconcile %s: write error not reported", f)
		}
	}
}

func TestZeroOptionsPrintInShanghai(t *testing.T) {
	r := fixtureResult(t)
	r.CheckTime = r.CheckTime.UTC() // 2022-08-21 16:00 UTC
	out := string(renderCheck(t, "table", r, Options{}))
	if !strings.HasPrefix(out, "检查时间 2022-08-22 00:00") {
		t.Errorf("zero Options should print Asia/Shanghai times: %q", strings.SplitN(out, "\n", 2)[0])
	}
	if !strings.Contains(out, "| 不合格占比       |  30% |") {
		t.Errorf("zero Options: RateDecimals 0 prints whole percents:\n%s", out)
	}
	if d := DefaultOptions(); d.RateDecimals != 1 || d.Location.String() != "Asia/Shanghai" {
		t.Errorf("DefaultOptions = %+v", d)
	}
}

// keys returns an object's keys, sorted.
func keys(t *testing.T, v any) []string {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("not an object: %v", v)
	}
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sorted(s ...string) []string { sort.Strings(s); return s }

func TestCheckJSONContract(t *testing.T) {
	raw := renderCheck(t, "json", fixtureResult(t), testOptions(t))
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	eq := func(what string, got, want []string) {
		t.Helper()
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s keys = %v, want %v", what, got, want)
		}
	}
	eq("top", keys(t, doc), sorted("check_time", "window", "summary", "accounts", "unregistered", "duplicates", "warnings", "review_reasons"))
	eq("summary", keys(t, doc["summary"]), sorted("registry_rows", "closed_excluded", "in_scope", "pending_closure",
		"qualified", "unqualified", "needs_review", "unqualified_rate"))
	accounts := doc["accounts"].([]any)
	if len(accounts) != 10 {
		t.Fatalf("%d accounts", len(accounts))
	}
	for _, a := range accounts {
		eq("account", keys(t, a), sorted("name", "type", "platform", "account_id", "owner", "level", "region",
			"registry_status", "status", "result", "problems", "latest_post_at", "source", "detail", "evidence"))
	}
	eq("unregistered", keys(t, doc["unregistered"].([]any)[0]), sorted("name", "type", "owner", "row"))
	eq("duplicates", keys(t, doc["duplicates"].([]any)[0]), sorted("name", "type", "rows"))
	eq("warnings", keys(t, doc["warnings"].([]any)[0]), sorted("name", "type", "owner", "latest_post_at", "days_since_post"))

	s := string(raw)
	for _, want := range []string{
		`"check_time": "2022-08-22T00:00:00+08:00"`,
		`"window": "14d"`,
		`"problems": []`,
		`"latest_post_at": null`,
		`"status": "pending_closure",` + "\n" + `      "result": "注销中"`,
		`"fetched_at": "2022-08-23T09:15:02+08:00"`, // given in UTC, printed in Shanghai
		`"title": "【警情通报】关于网传“汉台区发生抢劫”的情况说明"`,       // UTF-8, not \u escapes
		`"detail": "平台返回空列表（“仅半年可见”）| 需人工核对"`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON lacks %s", want)
		}
	}
	if !strings.HasPrefix(s, "{\n  \"check_time\"") || !strings.HasSuffix(s, "}\n") {
		t.Errorf("JSON not 2-space pretty-printed with a trailing newline")
	}
	if strings.Contains(s, "run_id") {
		t.Error("run_id printed without a RunID")
	}
}

func TestCheckJSONEmptyListsAndRate(t *testing.T) {
	r := &audit.Result{
		CheckTime: *at(t, "2022-08-22 00:00:00"),
		Window:    audit.Window{D: 10 * 24 * time.Hour},
		Summary:   audit.Summary{RegistryRows: 520, ClosedExcluded: 31, InScope: 489, PendingClosure: 15, Qualified: 464, Unqualified: 10, UnqualifiedRate: 10.0 / 489},
		Accounts:  []audit.Verdict{{Account: audit.Account{Name: "x"}, Status: audit.Qualified}}, // nil Problems, nil Evidence
	}
	opt := testOptions(t)
	opt.RunID = "20220822-0001"
	s := string(renderCheck(t, "json", r, opt))
	for _, want := range []string{
		`"unregistered": []`, `"duplicates": []`, `"warnings": []`, `"problems": []`, `"evidence": []`,
		`"unqualified_rate": 0.0204`, `"window": "10d"`, `"source": ""`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON lacks %s:\n%s", want, s)
		}
	}
	if !strings.HasPrefix(s, "{\n  \"run_id\": \"20220822-0001\",\n  \"check_time\"") {
		t.Errorf("run_id not first:\n%s", s)
	}
	r.Accounts = nil
	if s := string(renderCheck(t, "json", r, opt)); !strings.Contains(s, `"accounts": []`) {
		t.Errorf("no accounts should print []:\n%s", s)
	}
}

func TestReconcileJSONContract(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(renderReconcile(t, "json", fixtureReconciliation()), &doc); err != nil {
		t.Fatal(err)
	}
	if got, want := keys(t, doc), sorted("summary", "matched", "unregistered", "missing_from_list", "status_mismatch", "field_mismatch"); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("top keys %v", got)
	}
	if got, want := keys(t, doc["summary"]), sorted("registry_rows", "list_rows", "matched", "unregistered", "missing_from_list", "status_mismatch", "field_mismatch"); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("summary keys %v", got)
	}
	entry := doc["status_mismatch"].([]any)[0]
	if got, want := keys(t, entry), sorted("name", "type", "owner", "platform", "registry_row", "list_row", "registry_status", "list_status", "differences"); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("entry keys %v", got)
	}

	// Every list is an array, and so are the differences, when empty or nil in the model.
	empty := string(renderReconcile(t, "json", &audit.Reconciliation{
		MissingFromList: []audit.ReconcileEntry{{Name: "勉县教育", RegistryRow: 9}},
	}))
	for _, want := range []string{`"matched": []`, `"unregistered": []`, `"status_mismatch": []`, `"field_mismatch": []`,
		`"differences": []`, `"list_row": 0`} {
		if !strings.Contains(empty, want) {
			t.Errorf("reconcile JSON lacks %s:\n%s", want, empty)
		}
	}
}

func TestCSV(t *testing.T) {
	raw := renderCheck(t, "csv", fixtureResult(t), testOptions(t))
	if !bytes.HasPrefix(raw, []byte{0xEF, 0xBB, 0xBF}) {
		t.Fatalf("no UTF-8 BOM: % x", raw[:3])
	}
	body := raw[3:]
	if n, crlf := bytes.Count(body, []byte("\n")), bytes.Count(body, []byte("\r\n")); n != crlf || n != 11 {
		t.Errorf("%d line feeds, %d CRLF, want 11 CRLF (header + 10 accounts)", n, crlf)
	}
	recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := "账号名称,账号类型,平台,账号ID,开设主体,层级,所属地区,运行状态,检查结果,存在的严重问题,最近更新时间,来源,说明"
	if got := strings.Join(recs[0], ","); got != want {
		t.Errorf("header %s", got)
	}
	gongan := recs[3]
	if gongan[0] != "汉中公安" || gongan[8] != "不合格" || gongan[9] != "严重表述错误；监测时间点前2周内无更新" ||
		gongan[10] != "2022-07-30 18:02:11" || gongan[11] != "微博接口" || gongan[2] != "新浪微博" {
		t.Errorf("汉中公安 row %q", gongan)
	}
	if pending := recs[6]; pending[8] != "注销中" || pending[10] != "" {
		t.Errorf("pending row %q", pending)
	}

	rec := renderReconcile(t, "csv", fixtureReconciliation())
	if !bytes.HasPrefix(rec, []byte("\uFEFF类别,账号名称")) || !bytes.HasSuffix(rec, []byte("\r\n")) {
		t.Errorf("reconcile CSV: no BOM or wrong header or line end")
	}
	recs, err = csv.NewReader(bytes.NewReader(rec[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1+3+1+1+1+1 {
		t.Errorf("%d reconcile rows", len(recs))
	}
	if recs[6][0] != "状态不一致" || recs[6][9] != "状态（清单: 已注销 / 系统: 正常运行）" {
		t.Errorf("status mismatch row %q", recs[6])
	}
}

func TestCSVFormulaInjection(t *testing.T) {
	for in, want := range map[string]string{
		"=HYPERLINK(\"http://x\",\"点击\")": "'=HYPERLINK(\"http://x\",\"点击\")",
		"+86 0916 2626000":                "'+86 0916 2626000",
		"@SUM(A1)":                        "'@SUM(A1)",
		"-2+3+cmd|' /C calc'!A0":          "'-2+3+cmd|' /C calc'!A0",
		"-cmd":                            "'-cmd",
		"\t=1+1":                          "'\t=1+1",
		"-5":                              "-5",
		"-0.25":                           "-0.25",
		"-":                               "-",
		"汉中发布":                            "汉中发布",
		"":                                "",
		"1+1":                             "1+1",
	} {
		if got := csvSafe([]string{in})[0]; got != want {
			t.Errorf("csvSafe(%q) = %q, want %q", in, got, want)
		}
	}
	r := fixtureResult(t)
	r.Accounts[7].Detail = "=cmd|' /C calc'!A0"
	recs, err := csv.NewReader(bytes.NewReader(renderCheck(t, "csv", r, testOptions(t))[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := recs[8][12]; got != "'=cmd|' /C calc'!A0" {
		t.Errorf("detail cell %q not defused", got)
	}
}

func TestMarkdown(t *testing.T) {
	out := string(renderCheck(t, "md", fixtureResult(t), testOptions(t)))
	for _, h := range []string{"## 检查概况", "## 分层级统计", "## 不合格名单", "## 待核查名单", "## 预警", "## 未在信息报送系统中登记", "## 重复登记"} {
		if !strings.Contains(out, "\n"+h) {
			t.Errorf("md lacks heading %s", h)
		}
	}
	if !strings.Contains(out, "| 佛坪发布 | 佛坪县人民政府 | 新浪微博 | 平台返回空列表（“仅半年可见”）\\| 需人工核对 |") {
		t.Errorf("| in a cell not escaped:\n%s", out)
	}
	// Every table line has one unescaped pipe more than its table has columns.
	var width int
	for _, l := range strings.Split(out, "\n") {
		if !strings.HasPrefix(l, "|") {
			width = 0
			continue
		}
		n := strings.Count(l, "|") - strings.Count(l, `\|`)
		if width == 0 {
			width = n
		} else if n != width {
			t.Errorf("row has %d cell borders, header %d: %s", n, width, l)
		}
	}
	for in, want := range map[string]string{
		"a|b":      `a\|b`,
		`C:\temp`:  `C:\\temp`,
		"第一行\n第二行": "第一行<br>第二行",
		"  汉中发布  ": "汉中发布",
	} {
		if got := mdCell(in); got != want {
			t.Errorf("mdCell(%q) = %q, want %q", in, got, want)
		}
	}
	rec := string(renderReconcile(t, "md", fixtureReconciliation()))
	if !strings.Contains(rec, "## 未在信息报送系统中登记（未报送）") || !strings.Contains(rec, `勉县市场监管局\|综合执法`) {
		t.Errorf("reconcile md:\n%s", rec)
	}
}

func TestLevelBreakdown(t *testing.T) {
	v := func(level, owner string, s audit.Status) audit.Verdict {
		return audit.Verdict{Account: audit.Account{Level: level, Owner: owner}, Status: s}
	}
	accounts := []audit.Verdict{
		v("乡镇", "", audit.Unqualified), v("", "", audit.Qualified), v("高新区", "", audit.Qualified),
		v("开发区", "", audit.NeedsReview), v("市直部门", "", audit.PendingReview), v(" ", "", audit.Qualified),
		// No 层级 value: levelled from the owner's name, as the inspection document does.
		v("", "汉中市公安局", audit.Qualified), v("", "洋县人民政府", audit.Unqualified),
	}
	got := levelBreakdown(accounts, nil)
	var names []string
	for _, c := range got {
		names = append(names, fmt.Sprintf("%s:%d", c.level, c.checked))
	}
	want := "市级政府:0,县(区)政府:1,市级部门:2,县(区)部门及镇(街道):1,开发区:1,高新区:1,未能确定层级:2,合计:8"
	if strings.Join(names, ",") != want {
		t.Errorf("levels %v, want %s", names, want)
	}
	total := got[len(got)-1]
	if total.checked != 8 || total.qualified != 4 || total.unqualified != 2 || total.pending != 1 || total.needReview != 1 {
		t.Errorf("total %+v", total)
	}
	if got[3].unqualified != 1 || got[3].rate() != 1 {
		t.Errorf("rows %+v", got)
	}
	// An override is honoured in the breakdown as in the inspection document.
	lr, err := audit.NewLevelResolver(map[string]string{"汉中市公安局": audit.LevelCountyDept})
	if err != nil {
		t.Fatal(err)
	}
	if got := levelBreakdown(accounts, lr); got[2].checked != 1 || got[3].checked != 2 {
		t.Errorf("override ignored: %+v", got)
	}
}

// TestOneLevelFunction holds issue 11's "check and report disagree on levels": on a registry
// without a 层级 column, the check table, the csv 层级 column and the inspection document must
// file every account under the same level.
func TestOneLevelFunction(t *testing.T) {
	r := fixtureResult(t)
	for i := range r.Accounts {
		r.Accounts[i].Level = ""
	}
	opt := testOptions(t)
	table := string(renderCheck(t, "table", r, opt))
	if strings.Contains(table, "(未填写)") {
		t.Errorf("table files accounts without a 层级 value under (未填写):\n%s", table)
	}
	doc := buildInspection(r, InspectionOptions{Options: opt})
	counts := map[string]int{}
	for _, c := range levelBreakdown(r.Accounts, opt.Levels) {
		counts[c.level] = c.checked
	}
	for _, tl := range doc.byLevel {
		if tl.level != "" && counts[tl.level] != tl.checked {
			t.Errorf("level %s: table counts %d, inspection %d", tl.level, counts[tl.level], tl.checked)
		}
	}
	csvOut := string(renderCheck(t, "csv", r, opt))
	for _, v := range r.Accounts {
		want, _ := opt.Levels.Group(v.Account)
		if !strings.Contains(csvOut, v.Name+",") || !strings.Contains(csvOut, ","+want+",") {
			t.Errorf("csv lacks %s's level %s", v.Name, want)
		}
	}
}
