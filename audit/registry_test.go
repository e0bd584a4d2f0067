package audit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/audit/sheet"
	"github.com/nmaudit/nmaudit/audit/sheet/sheettest"
	"github.com/nmaudit/nmaudit/platforms"
)

var regHeader = []string{"序号", "账号名称", "账号类型", "开设主体", "主管单位", "所属地区", "层级", "账号ID", "运行状态"}

func sampleRows() [][]string {
	return [][]string{
		regHeader,
		{"1", "汉中公安", "新浪微博", "汉中市公安局", "汉中市人民政府", "汉中市", "市级部门", "https://weibo.com/u/1234567890", "正常运行"},
		{"2", "汉中秦巴生态保护", "微信订阅号", "汉中市林业局", "汉中市人民政府", "汉中市", "市级部门", "MzA5NjYxMjQ0Mg==", "正常"},
		{"3", "汉中网警巡查执法", "其他+百度贴吧", "汉中市公安局网安支队", "汉中市公安局", "汉中市", "市级部门", "https://tieba.baidu.com/home/main?un=%E6%B1%89%E4%B8%AD", "运行中"},
		{"4", "汉中住建", "微信服务号", "汉中市住房和城乡建设局", "", "汉中市", "市级部门", "", "正在申请办理注销"},
		{"5", "汉中商务", "新浪微博", "汉中市商务局", "", "汉中市", "市级部门", "", "已注销"},
		{"6", "汉中文旅", "抖音", "汉中市文化和旅游局", "", "汉中市", "市级部门", "", "正常运行"},
		{"7", "汉中城管", "微信群", "汉中市城市管理局", "", "汉中市", "市级部门", "", "正常运行"},
	}
}

func writeBoth(t *testing.T, rows [][]string) []string {
	t.Helper()
	dir := t.TempDir()
	x, c := filepath.Join(dir, "reg.xlsx"), filepath.Join(dir, "reg.csv")
	if err := sheettest.WriteXLSX(x, rows); err != nil {
		t.Fatal(err)
	}
	if err := sheettest.WriteCSV(c, rows, "gb18030"); err != nil {
		t.Fatal(err)
	}
	return []string{x, c}
}

func TestLoadRegistryXLSXAndGBKAgree(t *testing.T) {
	var got [][]Account
	for _, path := range writeBoth(t, sampleRows()) {
		reg, err := LoadRegistry(path, LoadOptions{})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		got = append(got, reg.Accounts)
		if len(reg.Accounts) != 7 {
			t.Fatalf("%s: %d accounts", path, len(reg.Accounts))
		}
		a := reg.Accounts[0]
		if a.Row != 2 || a.Platform != platforms.Weibo || a.IDKind != platforms.IDWeiboUID || a.ID != "1234567890" || a.Lifecycle != Active || a.Level != "市级部门" {
			t.Errorf("%s row 2 = %+v", path, a)
		}
		if b := reg.Accounts[2]; b.Platform != platforms.Tieba || b.Type != "其他+百度贴吧" || b.ID != "汉中" || b.IDKind != platforms.IDTiebaUser {
			t.Errorf("%s tieba row = %+v", path, b)
		}
		if reg.Accounts[3].Lifecycle != PendingClosure || reg.Accounts[4].Lifecycle != Closed {
			t.Errorf("%s statuses wrong", path)
		}
		if reg.Accounts[6].Platform != platforms.Unknown || len(reg.Notices) != 1 || !strings.Contains(reg.Notices[0], "微信群") || !strings.Contains(reg.Notices[0], "第8行") {
			t.Errorf("%s unknown type notice = %v", path, reg.Notices)
		}
	}
	if !reflect.DeepEqual(got[0], got[1]) {
		t.Errorf("xlsx and GBK CSV differ:\n%+v\n%+v", got[0], got[1])
	}
}

func TestHeaderAliasesAndDecorations(t *testing.T) {
	for field, aliases := range headerAliases {
		for _, alias := range aliases {
			decorated := []string{" " + alias + " ", "*" + alias, "＊" + alias, alias + "(必填)", fullWidth(alias)}
			for _, h := range decorated {
				m, _ := mapHeader("x.csv", sheet.Row{Num: 1, Cells: []string{"其他列", h}}, []Field{field}, nil, nil)
				if i, ok := m.index[field]; !ok || i != 1 {
					t.Errorf("header %q not mapped to %s", h, field)
				}
			}
		}
	}
}

// fullWidth turns ASCII letters in s into their full-width forms (账号ＩＤ).
func fullWidth(s string) string {
	return strings.Map(func(r rune) rune {
		if r > ' ' && r < 0x7f {
			return r + 0xfee0
		}
		return r
	}, s)
}

func TestHeaderConfigAliasWins(t *testing.T) {
	rows := [][]string{{"公众号名称", "类型", "单位", "状态"}, {"汉中发布", "微信公众号", "汉中市政府办", "正常运行"}}
	path := filepath.Join(t.TempDir(), "r.csv")
	if err := sheettest.WriteCSV(path, rows, "utf-8"); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadRegistry(path, LoadOptions{}); err == nil || !strings.Contains(err.Error(), "缺少必需的列") {
		t.Fatalf("want missing column error, got %v", err)
	}
	reg, err := LoadRegistry(path, LoadOptions{Columns: Columns{"name": {"公众号名称"}, "owner": {"单位"}}})
	if err != nil || reg.Accounts[0].Name != "汉中发布" || reg.Accounts[0].Owner != "汉中市政府办" {
		t.Fatalf("config aliases: %v %+v", err, reg)
	}
}

func TestTitleRowAboveHeader(t *testing.T) {
	rows := append([][]string{{"汉中市政务新媒体台账（2022年8月）"}, {}}, sampleRows()...)
	path := filepath.Join(t.TempDir(), "r.xlsx")
	if err := sheettest.WriteXLSX(path, rows); err != nil {
		t.Fatal(err)
	}
	reg, err := LoadRegistry(path, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if reg.Accounts[0].Row != 4 {
		t.Errorf("first account row = %d, want 4 (spreadsheet numbering)", reg.Accounts[0].Row)
	}
}

func TestRegistryInputErrors(t *testing.T) {
	rows := sampleRows()
	badStatus := append([][]string(nil), rows...)
	badStatus[5] = append([]string(nil), rows[5]...)
	badStatus[5][8] = "暂停更新"
	noOwner := append([][]string(nil), rows...)
	noOwner[3] = append([]string(nil), rows[3]...)
	noOwner[3][3] = " "
	badID := append([][]string(nil), rows...)
	badID[1] = append([]string(nil), rows[1]...)
	badID[1][7] = "https://weibo.com/hanzhonggongan"
	missingCol := [][]string{{"账号名称", "账号类型", "运行状态"}, {"a", "微博", "正常"}}
	cases := []struct {
		name string
		rows [][]string
		want []string // substrings of the error for both xlsx and CSV
	}{
		{"bad status", badStatus, []string{"第6行", "I列", "运行状态", "未知的运行状态“暂停更新”"}},
		{"empty owner", noOwner, []string{"第4行", "D列", "开设主体为空"}},
		{"bad id", badID, []string{"第2行", "H列", "账号ID"}},
		{"missing column", missingCol, []string{"第1行", "缺少必需的列", "开设主体"}},
		{"header only", rows[:1], []string{"表头下面没有账号行"}},
	}
	for _, c := range cases {
		for _, path := range writeBoth(t, c.rows) {
			_, err := LoadRegistry(path, LoadOptions{})
			var se *sheet.Error
			if !errors.As(err, &se) {
				t.Errorf("%s %s: err = %v, want *sheet.Error", c.name, filepath.Ext(path), err)
				continue
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%s %s: %q lacks %q", c.name, filepath.Ext(path), err, w)
				}
			}
			if !strings.Contains(err.Error(), filepath.Base(path)) {
				t.Errorf("%s: error does not name the file: %v", c.name, err)
			}
		}
	}
}

func TestRegistryNotASpreadsheet(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "导出.xlsx")
	os.WriteFile(fake, []byte("账号名称,账号类型\n汉中发布,微信\n"), 0o644)
	empty := filepath.Join(dir, "empty.csv")
	os.WriteFile(empty, nil, 0o644)
	for _, p := range []string{fake, empty, filepath.Join(dir, "missing.csv")} {
		_, err := LoadRegistry(p, LoadOptions{})
		var se *sheet.Error
		if !errors.As(err, &se) || !strings.Contains(err.Error(), filepath.Base(p)) {
			t.Errorf("%s: err = %v", p, err)
		}
	}
}

func TestLoadObservationsAndFindings(t *testing.T) {
	dir := t.TempDir()
	obs := filepath.Join(dir, "obs.csv")
	sheettest.WriteCSV(obs, [][]string{
		{"账号名称", "账号类型", "最近更新时间", "账号ID", "来源/备注"},
		{"汉中公安", "新浪微博", "2022-07-30 18:02:11", "1234567890", "人工"},
		{"汉中发布", "微信公众号", "2022-08-08", "", ""},
		{"汉中交通", "微博", "2022/8/9 15:00", "", ""},
		{"汉中教育", "订阅号", "2022年8月10日", "", ""},
	}, "utf-8-bom")
	got, err := LoadObservations(obs, LoadOptions{}, shanghai)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || got[0].ID != "1234567890" || !got[0].Time.Equal(time.Date(2022, 7, 30, 18, 2, 11, 0, shanghai)) || got[0].DayOnly {
		t.Errorf("row 2 = %+v", got[0])
	}
	if !got[1].DayOnly || got[2].DayOnly || got[2].Time.Hour() != 15 || !got[3].DayOnly {
		t.Errorf("day-only flags wrong: %+v", got)
	}

	xl := filepath.Join(dir, "obs.xlsx")
	sheettest.WriteXLSX(xl, [][]string{{"账号名称", "账号类型", "最近更新时间"}, {"汉中公安", "新浪微博", "44772.75"}, {"汉中发布", "微信", "44781"}})
	got, err = LoadObservations(xl, LoadOptions{}, shanghai)
	if err != nil {
		t.Fatal(err)
	}
	if !got[0].Time.Equal(time.Date(2022, 7, 30, 18, 0, 0, 0, shanghai)) || got[0].DayOnly || !got[1].DayOnly {
		t.Errorf("xlsx serials: %+v", got)
	}

	for _, bad := range []string{"2022-13-01", "昨天", "2022-02-30", "2022-08-08 25:00"} {
		p := filepath.Join(dir, "bad.csv")
		sheettest.WriteCSV(p, [][]string{{"账号名称", "账号类型", "最近更新时间"}, {"a", "微博", "2022-08-01"}, {"b", "微博", bad}}, "utf-8")
		_, err := LoadObservations(p, LoadOptions{}, shanghai)
		if err == nil || !strings.Contains(err.Error(), "第3行") || !strings.Contains(err.Error(), "C列") {
			t.Errorf("bad date %q: %v", bad, err)
		}
	}

	fd := filepath.Join(dir, "findings.csv")
	sheettest.WriteCSV(fd, [][]string{{"账号名称", "账号类型", "问题", "单项否决"}, {"a", "微博", "严重表述错误", "是"}, {"b", "微博", "存在商业广告", "否"}}, "utf-8")
	fs, err := LoadFindings(fd, LoadOptions{})
	if err != nil || len(fs) != 2 || !fs[0].Veto || fs[1].Veto {
		t.Errorf("findings = %+v, %v", fs, err)
	}
	sheettest.WriteCSV(fd, [][]string{{"账号名称", "账号类型", "问题", "单项否决"}, {"a", "微博", "严重表述错误", "可能"}}, "utf-8")
	if _, err := LoadFindings(fd, LoadOptions{}); err == nil || !strings.Contains(err.Error(), "第2行") {
		t.Errorf("bad veto value: %v", err)
	}
}

// The rows are read ahead of the parser (readAhead): every row of a registry of several batches
// arrives, in order, from xlsx and CSV; and in a long CSV a bad row is the
// error, named at its row, with the reading goroutine gone when LoadRegistry returns — at the
// start, at the end, and in the middle, where the reader (faster than the parser) waits on a
// full channel and would stay blocked for good were stop not to end it.
func TestReadAheadKeepsOrderAndStopsOnABadRow(t *testing.T) {
	rows := sampleRows()
	long := func(n int) [][]string {
		out := [][]string{rows[0]}
		for i := range n {
			r := append([]string(nil), rows[1]...)
			r[0], r[1] = strconv.Itoa(i+1), fmt.Sprintf("汉中公安%d", i+1)
			out = append(out, r)
		}
		return out
	}
	for _, path := range writeBoth(t, long(600)) {
		reg, err := LoadRegistry(path, LoadOptions{})
		if err != nil || len(reg.Accounts) != 600 {
			t.Fatalf("%s: %d accounts, %v", filepath.Ext(path), len(reg.Accounts), err)
		}
		for i, a := range reg.Accounts {
			if a.Row != i+2 || a.Name != fmt.Sprintf("汉中公安%d", i+1) {
				t.Fatalf("%s: account %d is row %d %q", filepath.Ext(path), i, a.Row, a.Name)
			}
		}
	}
	for _, bad := range []int{3, 2000, 3990} {
		rs := long(4000)
		rs[bad][3] = " " // empty owner
		path := filepath.Join(t.TempDir(), "reg.csv")
		if err := sheettest.WriteCSV(path, rs, "gb18030"); err != nil {
			t.Fatal(err)
		}
		before := runtime.NumGoroutine()
		_, err := LoadRegistry(path, LoadOptions{})
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("第%d行", bad+1)) || !strings.Contains(err.Error(), "开设主体为空") {
			t.Errorf("bad row %d: %v", bad+1, err)
		}
		// stop waits for the reader, so nothing of it outlives the call. A goroutine that has
		// finished its work may take a moment to exit; one left blocked never does.
		after := runtime.NumGoroutine()
		for deadline := time.Now().Add(5 * time.Second); after > before && time.Now().Before(deadline); after = runtime.NumGoroutine() {
			time.Sleep(10 * time.Millisecond)
		}
		if after > before {
			t.Errorf("bad row %d: %d goroutines before, %d after", bad+1, before, after)
		}
	}
}
