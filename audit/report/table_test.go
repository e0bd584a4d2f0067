package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
	"golang.org/x/text/width"

	"github.com/nmaudit/nmaudit/audit"
)

// cols is the display width a terminal gives s: East-Asian wide and full-width characters
// (汉字, ；, （) take two columns, everything else — ASCII, and the East-Asian ambiguous “ ” …
// that modern terminals draw narrow — one. Written independently of tablewriter's measure.
func cols(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// positions lists the display columns at which s has the byte c.
func positions(s string, c rune) map[int]bool {
	out := map[int]bool{}
	col := 0
	for _, r := range s {
		if r == c {
			out[col] = true
		}
		col += cols(string(r))
	}
	return out
}

// misalignments checks every bordered table in out: all its lines have the border's display
// width, every border line has its "+" at the same columns, and every row line has a "|" at
// each of those columns (a cell may hold more "|"). It returns the problems and the number of
// tables seen.
func misalignments(out string) (problems []string, tables int) {
	var block []string
	check := func() {
		if len(block) == 0 {
			return
		}
		tables++
		border := block[0]
		if !strings.HasPrefix(border, "+") {
			problems = append(problems, fmt.Sprintf("table does not start with a border: %q", border))
		}
		w, plus := cols(border), positions(border, '+')
		for _, l := range block {
			if cols(l) != w {
				problems = append(problems, fmt.Sprintf("width %d, border %d: %q", cols(l), w, l))
			}
			mark := '|'
			if strings.HasPrefix(l, "+") {
				mark = '+'
			}
			got := positions(l, mark)
			for p := range plus {
				if !got[p] {
					problems = append(problems, fmt.Sprintf("no %q at column %d: %q", mark, p, l))
				}
			}
		}
		block = nil
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "+") || strings.HasPrefix(l, "|") {
			block = append(block, l)
			continue
		}
		check()
	}
	check()
	return problems, tables
}

func TestTableColumnsLineUp(t *testing.T) {
	for name, out := range map[string]string{
		"check":     string(renderCheck(t, "table", fixtureResult(t), testOptions(t))),
		"reconcile": string(renderReconcile(t, "table", fixtureReconciliation())),
	} {
		problems, tables := misalignments(out)
		for _, p := range problems {
			t.Errorf("%s: %s", name, p)
		}
		if want := map[string]int{"check": 7, "reconcile": 6}[name]; tables != want {
			t.Errorf("%s: %d tables, want %d:\n%s", name, tables, want, out)
		}
	}
}

// TestMisalignmentsDetectsEastAsianOn shows the alignment check can fail: tablewriter left
// in East-Asian mode counts the ambiguous “ ” as two columns, one more than a terminal draws.
func TestMisalignmentsDetectsEastAsianOn(t *testing.T) {
	var b bytes.Buffer
	tbl := tablewriter.NewTable(&b,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleASCII)})),
		tablewriter.WithEastAsian(tw.On), tablewriter.WithHeaderAutoFormat(tw.Off))
	t.Cleanup(func() { twwidth.SetEastAsian(false) })
	tbl.Header("账号名称", "原因")
	if err := tbl.Append([]string{"佛坪发布", "平台返回空列表（“仅半年可见”）"}); err != nil {
		t.Fatal(err)
	}
	if err := tbl.Render(); err != nil {
		t.Fatal(err)
	}
	if problems, _ := misalignments(b.String()); len(problems) == 0 {
		t.Fatalf("expected misaligned rows with East-Asian width on:\n%s", b.String())
	}
}

// TestTableIgnoresGlobalEastAsian forces tablewriter's global width mode into the state a
// zh_CN locale produces at init (East-Asian on, narrow borders) and checks the report does not
// change. Setting LANG here would prove nothing on its own: twwidth reads the environment once,
// in its package init (go-runewidth does too, but tablewriter v1.1.5 measures with
// clipperhouse/displaywidth through twwidth's global options) — hence the subprocess test below.
func TestTableIgnoresGlobalEastAsian(t *testing.T) {
	want := renderCheck(t, "table", fixtureResult(t), testOptions(t))
	twwidth.SetOptions(twwidth.Options{EastAsianWidth: true, ForceNarrowBorders: true})
	t.Cleanup(func() { twwidth.SetEastAsian(false) })
	got := renderCheck(t, "table", fixtureResult(t), testOptions(t))
	if !bytes.Equal(got, want) {
		t.Errorf("table changed with East-Asian width forced on:\n%s\nwant:\n%s", got, want)
	}
}

const helperEnv = "NMAUDIT_REPORT_TABLE_HELPER"

// helperOutput is what TestTableHelperProcess reports to its parent.
type helperOutput struct {
	EastAsianAtInit bool   // what twwidth decided from the child's environment
	Check           string // the check table report
	Reconcile       string // the reconcile table report
}

// TestTableHelperProcess renders the table reports in a child process started by
// TestTableSameInEveryLocale with a chosen environment; run directly, it does nothing.
func TestTableHelperProcess(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("helper for TestTableSameInEveryLocale")
	}
	out := helperOutput{EastAsianAtInit: twwidth.IsEastAsian()}
	out.Check = string(renderCheck(t, "table", fixtureResult(t), testOptions(t)))
	out.Reconcile = string(renderReconcile(t, "table", fixtureReconciliation()))
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// widthEnv are the variables twwidth consults when it decides the East-Asian mode at init.
var widthEnv = []string{"LANG", "LC_ALL", "LC_CTYPE", "RUNEWIDTH_EASTASIAN", "TERM", "TERM_PROGRAM",
	"TERM_PROGRAM_WSL", "VTE_VERSION", "ALACRITTY_LOG", "WT_PROFILE_ID", "ConEmuANSI"}

// TestTableSameInEveryLocale runs the renderer in fresh processes under different locales and
// terminal settings — each makes twwidth's init decide differently — and requires the same
// bytes from all of them: the golden file.
func TestTableSameInEveryLocale(t *testing.T) {
	if os.Getenv(helperEnv) != "" {
		t.Skip("inside the helper process")
	}
	base := []string{}
	for _, kv := range os.Environ() {
		keep := true
		for _, k := range widthEnv {
			if strings.HasPrefix(kv, k+"=") {
				keep = false
			}
		}
		if keep {
			base = append(base, kv)
		}
	}
	wantCheck := string(renderCheck(t, "table", fixtureResult(t), testOptions(t)))
	wantReconcile := string(renderReconcile(t, "table", fixtureReconciliation()))
	cases := []struct {
		name      string
		env       []string
		eastAsian bool // what twwidth decides at init: the cases must cover both
	}{
		{"C", []string{"LANG=C", "LC_ALL=C"}, false},
		{"en_US", []string{"LANG=en_US.UTF-8"}, false},
		{"zh_CN", []string{"LANG=zh_CN.UTF-8", "LC_ALL=zh_CN.UTF-8"}, true},
		{"zh_CN.GB18030 via LC_CTYPE", []string{"LC_CTYPE=zh_CN.GB18030"}, true},
		{"RUNEWIDTH_EASTASIAN=1", []string{"LANG=en_US.UTF-8", "RUNEWIDTH_EASTASIAN=1"}, true},
		{"zh_CN with RUNEWIDTH_EASTASIAN=0", []string{"LANG=zh_CN.UTF-8", "RUNEWIDTH_EASTASIAN=0"}, false},
		{"zh_CN in xterm", []string{"LANG=zh_CN.UTF-8", "TERM=xterm-256color"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out.json")
			cmd := exec.Command(os.Args[0], "-test.run=^TestTableHelperProcess$", "-test.count=1")
			cmd.Env = append(append(append([]string{}, base...), c.env...), helperEnv+"="+path)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("helper: %v\n%s", err, out)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var got helperOutput
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if got.EastAsianAtInit != c.eastAsian {
				t.Errorf("twwidth decided East-Asian=%v at init, want %v: the case does not test what it says", got.EastAsianAtInit, c.eastAsian)
			}
			if got.Check != wantCheck {
				t.Errorf("check table differs under %v:\n%s\nwant:\n%s", c.env, got.Check, wantCheck)
			}
			if got.Reconcile != wantReconcile {
				t.Errorf("reconcile table differs under %v:\n%s\nwant:\n%s", c.env, got.Reconcile, wantReconcile)
			}
		})
	}
}

func TestTableSections(t *testing.T) {
	out := string(renderCheck(t, "table", fixtureResult(t), testOptions(t)))
	if first := strings.SplitN(out, "\n", 2)[0]; first != "检查时间 2022-08-22 00:00    更新窗口 2周 (14d)" {
		t.Errorf("header line %q", first)
	}
	// The unqualified list has exactly the seed report's columns, in its order.
	if !strings.Contains(out, "| 账号名称         | 开设主体             | 账号类型      | 检查结果 | 存在的严重问题                        |") {
		t.Errorf("unqualified header missing or changed:\n%s", out)
	}
	if !strings.Contains(out, "| 汉中公安         | 汉中市公安局         | 新浪微博      | 不合格   | 严重表述错误；监测时间点前2周内无更新 |") {
		t.Errorf("two problems not joined with ；:\n%s", out)
	}
	order := []string{"【检查概况】", "【分层级统计】", "【不合格名单】", "【待核查名单】", "【预警", "【未在信息报送系统中登记】", "【重复登记】"}
	last := -1
	for _, s := range order {
		i := strings.Index(out, s)
		if i <= last {
			t.Errorf("section %s missing or out of order", s)
		}
		last = i
	}
	// Levels: canonical four (aliases folded in, accounts without a usable 层级 value levelled
	// from their owner's name), then 合计. Other wordings and undetermined levels:
	// TestLevelBreakdown.
	levels := []string{"| 市级政府 ", "| 县(区)政府 ", "| 市级部门 ", "| 县(区)部门及镇(街道) ", "| 合计 "}
	last = -1
	for _, l := range levels {
		i := strings.Index(out, l)
		if i <= last {
			t.Errorf("level row %q missing or out of order", l)
		}
		last = i
	}
	if !strings.Contains(out, "| 市级部门             |      4 |    1 |      3 |      0 |      0 |      75.0% |") {
		t.Errorf("市级部门 should count 市直部门 and the development zone (inferred) too:\n%s", out)
	}

	// Empty lists: their sections disappear, except the unqualified list, which says 无.
	r := fixtureResult(t)
	r.Accounts = r.Accounts[:1]
	r.Warnings, r.Unregistered, r.Duplicates = nil, nil, nil
	out = string(renderCheck(t, "table", r, testOptions(t)))
	for _, s := range []string{"【待核查名单】", "【预警", "【未在信息报送系统中登记】", "【重复登记】"} {
		if strings.Contains(out, s) {
			t.Errorf("empty section %s printed", s)
		}
	}
	if !strings.Contains(out, "【不合格名单】\n无。\n") {
		t.Errorf("empty unqualified list should say 无:\n%s", out)
	}
}

func TestCellText(t *testing.T) {
	for in, want := range map[string]string{
		"汉中发布":      "汉中发布",
		"第一行\n第二行":  "第一行 第二行",
		"a\r\nb\tc": "a b c",
		"bell\a":    "bell",
	} {
		if got := cellText(in); got != want {
			t.Errorf("cellText(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestTableFitsWidth80: at 80 columns long 原因 and 存在的严重问题 cells wrap inside their column
// and every table stays aligned (issue 11 item 12); without a width nothing wraps.
func TestTableFitsWidth80(t *testing.T) {
	r := fixtureResult(t)
	for i := range r.Accounts {
		if r.Accounts[i].Status == audit.NeedsReview {
			r.Accounts[i].Detail = "平台返回空列表（“仅半年可见”），需人工核对；该账号设置了仅半年可见，接口无法列出更早的内容，请登录后台查看最近一次群发时间 https://m.weibo.cn/api/container/getIndex?containerid=1076033456789012"
		}
	}
	opt := testOptions(t)
	opt.Width = 80
	out := string(renderCheck(t, "table", r, opt))
	var table []string // the lines of the table being read
	check := func() {
		if len(table) == 0 {
			return
		}
		border := table[0]
		for _, l := range table {
			if textWidth(l) != textWidth(border) {
				t.Errorf("misaligned line (%d columns, border %d): %q", textWidth(l), textWidth(border), l)
			}
			if strings.HasPrefix(l, "|") {
				// Column separators at the border's + positions, in display columns.
				if got, want := separatorColumns(l, '|'), separatorColumns(border, '+'); !slices.Equal(got, want) {
					t.Errorf("columns of %q at %v, border at %v", l, got, want)
				}
			}
		}
		table = nil
	}
	for _, l := range strings.Split(out, "\n") {
		if textWidth(l) > 80 {
			t.Errorf("line wider than 80 columns (%d): %q", textWidth(l), l)
		}
		if strings.HasPrefix(l, "+") || strings.HasPrefix(l, "|") {
			table = append(table, l)
			continue
		}
		check()
	}
	check()
	if !strings.Contains(out, "https://m.weibo.cn/api/") || !strings.Contains(out, "需人工核对") {
		t.Errorf("wrapped text lost:\n%s", out)
	}
	// Names short enough stay on one line.
	if !strings.Contains(out, "| 西乡文旅 ") {
		t.Errorf("a short name was wrapped:\n%s", out)
	}
	// No width: one line per account, as before.
	flat := string(renderCheck(t, "table", r, testOptions(t)))
	if !strings.Contains(flat, "请登录后台查看最近一次群发时间 https://m.weibo.cn/api/container/getIndex?containerid=1076033456789012 |") {
		t.Errorf("without a width the cell must stay on one line:\n%s", flat)
	}
	// A writer that knows its terminal's width is fitted the same way.
	var b bytes.Buffer
	if err := Check(sizedWriter{&b, 80}, "table", r, testOptions(t)); err != nil {
		t.Fatal(err)
	}
	if b.String() != out {
		t.Errorf("TerminalWidth writer not fitted like Options.Width")
	}
}

type sizedWriter struct {
	*bytes.Buffer
	w int
}

func (s sizedWriter) TerminalWidth() int { return s.w }

// separatorColumns lists the display columns at which sep occurs in l.
func separatorColumns(l string, sep rune) []int {
	var cols []int
	col := 0
	for _, r := range l {
		if r == sep {
			cols = append(cols, col)
		}
		col += textWidth(string(r))
	}
	return cols
}

func TestWrapCell(t *testing.T) {
	cases := []struct {
		in    string
		width int
		want  string
	}{
		{"监测时间点前2周内无更新", 12, "监测时间点前\n2周内无更新"},
		{"need manual review now", 10, "need\nmanual\nreview now"},
		{"abcdefghijkl", 5, "abcde\nfghij\nkl"},
		{"短", 4, "短"},
	}
	for _, c := range cases {
		got := wrapCell(c.in, c.width)
		if got != c.want {
			t.Errorf("wrapCell(%q, %d) = %q, want %q", c.in, c.width, got, c.want)
		}
		for _, l := range strings.Split(got, "\n") {
			if textWidth(l) > c.width {
				t.Errorf("wrapCell(%q, %d): line %q too wide", c.in, c.width, l)
			}
		}
	}
}
