package audit

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/nmaudit/nmaudit/audit/sheet"
	"github.com/nmaudit/nmaudit/audit/sheet/sheettest"
	"github.com/nmaudit/nmaudit/platforms"
)

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// xmlRow writes one row of inline-string cells, an "" leaving the cell out; a cell given as
// "=e:#N/A" is an error value, "=n1:44781" a number with cell style 1 (see WriteSheetXML).
func xmlRow(num int, cells ...string) string {
	var b strings.Builder
	b.WriteString(`<row r="` + strconv.Itoa(num) + `">`)
	for i, c := range cells {
		ref := sheet.ColumnName(i+1) + strconv.Itoa(num)
		switch {
		case c == "":
		case strings.HasPrefix(c, "=e:"):
			b.WriteString(`<c r="` + ref + `" t="e"><v>` + c[3:] + `</v></c>`)
		case strings.HasPrefix(c, "=n"):
			style, v, _ := strings.Cut(c[2:], ":")
			b.WriteString(`<c r="` + ref + `" s="` + style + `"><v>` + v + `</v></c>`)
		default:
			b.WriteString(`<c r="` + ref + `" t="inlineStr"><is><t>` + c + `</t></is></c>`)
		}
	}
	b.WriteString(`</row>`)
	return b.String()
}

// An error value (#N/A from a failed lookup) in any column a loader reads is an input error with
// its row and column, in a workbook (marked t="e") and in a CSV saved from one (the text).
func TestErrorValueCells(t *testing.T) {
	header := []string{"账号名称", "账号类型", "开设主体", "账号ID", "运行状态", "层级"}
	good := []string{"汉中公安", "新浪微博", "汉中市公安局", "1234567890", "正常运行", "市级部门"}
	for col := range header {
		bad := append([]string(nil), good...)
		bad[col] = "=e:#N/A"
		dir := t.TempDir()
		x := filepath.Join(dir, "reg.xlsx")
		must(t, sheettest.WriteSheetXML(x, "名录", xmlRow(1, header...)+xmlRow(2, good...)+xmlRow(3, bad...)))
		csvBad := append([]string(nil), good...)
		csvBad[col] = "#N/A"
		c := filepath.Join(dir, "reg.csv")
		must(t, sheettest.WriteCSV(c, [][]string{header, good, csvBad}, "gb18030"))
		for _, p := range []string{x, c} {
			_, err := LoadRegistry(p, LoadOptions{})
			var se *sheet.Error
			if !errors.As(err, &se) || se.Row != 3 || se.Col != col+1 || !strings.Contains(se.Msg, "错误值“#N/A”") {
				t.Errorf("%s, #N/A in %s: %v", filepath.Base(p), header[col], err)
			}
		}
	}
	// Typed text that merely starts with # is not an error value.
	c := filepath.Join(t.TempDir(), "ok.csv")
	must(t, sheettest.WriteCSV(c, [][]string{header, {"#汉中发布#", "新浪微博", "汉中市政府", "", "正常运行", ""}}, "utf-8"))
	if _, err := LoadRegistry(c, LoadOptions{}); err != nil {
		t.Errorf("a name with # read as an error value: %v", err)
	}
	// Observations and findings too.
	o := filepath.Join(t.TempDir(), "obs.xlsx")
	must(t, sheettest.WriteSheetXML(o, "S", xmlRow(1, "账号名称", "账号类型", "最近更新时间")+xmlRow(2, "汉中公安", "微博", "=e:#VALUE!")))
	if _, err := LoadObservations(o, LoadOptions{}, shanghai); err == nil || !strings.Contains(err.Error(), "第2行 C列（最近更新时间）") {
		t.Errorf("observation time #VALUE!: %v", err)
	}
	fd := filepath.Join(t.TempDir(), "fd.xlsx")
	must(t, sheettest.WriteSheetXML(fd, "S", xmlRow(1, "账号名称", "账号类型", "问题", "单项否决")+xmlRow(2, "汉中公安", "微博", "=e:#REF!", "是")))
	if _, err := LoadFindings(fd, LoadOptions{}); err == nil || !strings.Contains(err.Error(), "第2行 C列（问题）") {
		t.Errorf("finding problem #REF!: %v", err)
	}
}

// A workbook whose first sheet is a notes sheet (填报说明) with the data on another: the one sheet
// with the header is read and named in a notice; none or several is an error naming the sheets.
func TestHeaderOnAnotherSheet(t *testing.T) {
	write := func(t *testing.T, sheets map[string][][]string, order ...string) string {
		wb := excelize.NewFile()
		defer wb.Close()
		for i, name := range order {
			if i == 0 {
				must(t, wb.SetSheetName("Sheet1", name))
			} else {
				_, err := wb.NewSheet(name)
				must(t, err)
			}
			for r, row := range sheets[name] {
				cells := make([]any, len(row))
				for j, c := range row {
					cells[j] = c
				}
				cell, _ := excelize.CoordinatesToCellName(1, r+1)
				must(t, wb.SetSheetRow(name, cell, &cells))
			}
		}
		p := filepath.Join(t.TempDir(), "registry.xlsx")
		must(t, wb.SaveAs(p))
		return p
	}
	notes := [][]string{{"填报说明：请按下表填写本地区政务新媒体，运行状态填正常运行、注销中或已注销。"}, {"联系人：张三"}}
	data := sampleRows()

	p := write(t, map[string][][]string{"填报说明": notes, "Sheet1": data}, "填报说明", "Sheet1")
	reg, err := LoadRegistry(p, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if reg.Sheet != "Sheet1" || len(reg.Accounts) != 7 || reg.Accounts[0].Row != 2 {
		t.Errorf("sheet %q, %d accounts", reg.Sheet, len(reg.Accounts))
	}
	if len(reg.Notices) == 0 || !strings.Contains(reg.Notices[0], "“填报说明”中没有登记表的表头") || !strings.Contains(reg.Notices[0], "已改为读取工作表“Sheet1”") {
		t.Errorf("notices %q", reg.Notices)
	}

	// An empty first sheet is passed over the same way.
	p = write(t, map[string][][]string{"空": nil, "名录": data}, "空", "名录")
	if reg, err := LoadRegistry(p, LoadOptions{}); err != nil || reg.Sheet != "名录" {
		t.Errorf("empty first sheet: %v", err)
	}

	// Several sheets with the header: which one is meant cannot be guessed.
	p = write(t, map[string][][]string{"填报说明": notes, "2022年": data, "2021年": data}, "填报说明", "2022年", "2021年")
	_, err = LoadRegistry(p, LoadOptions{})
	if err == nil || !strings.Contains(err.Error(), "“2022年”、“2021年”都有") || !strings.Contains(err.Error(), "--sheet") {
		t.Errorf("two data sheets: %v", err)
	}
	if reg, err := LoadRegistry(p, LoadOptions{Sheet: "2021年"}); err != nil || reg.Sheet != "2021年" || len(reg.Notices) != 1 {
		t.Errorf("--sheet 2021年: %v", err)
	}

	// None: the error names every sheet and what the first lacks.
	p = write(t, map[string][][]string{"填报说明": notes, "附表": {{"序号", "单位"}}}, "填报说明", "附表")
	_, err = LoadRegistry(p, LoadOptions{})
	if err == nil || !strings.Contains(err.Error(), "“填报说明”、“附表”中都没有登记表的表头") || !strings.Contains(err.Error(), "缺少必需的列") {
		t.Errorf("no data sheet: %v", err)
	}

	// --sheet naming the notes sheet is taken at its word.
	p = write(t, map[string][][]string{"填报说明": notes, "Sheet1": data}, "填报说明", "Sheet1")
	if _, err = LoadRegistry(p, LoadOptions{Sheet: "填报说明"}); err == nil || !strings.Contains(err.Error(), "缺少必需的列") {
		t.Errorf("--sheet 填报说明: %v", err)
	}

	// The other loaders tell the caller through Notify, and their errors suggest moving the sheet.
	obs := write(t, map[string][][]string{"填写说明": notes, "核对表": {{"账号名称", "账号类型", "最近更新时间"}, {"汉中公安", "微博", "2022-08-08"}}}, "填写说明", "核对表")
	var notices []string
	got, err := LoadObservations(obs, LoadOptions{Notify: func(n string) { notices = append(notices, n) }}, shanghai)
	if err != nil || len(got) != 1 || len(notices) != 1 || !strings.Contains(notices[0], "已改为读取工作表“核对表”") {
		t.Errorf("observations on a second sheet: %v %v %q", got, err, notices)
	}
}

func TestStatusesFromConfig(t *testing.T) {
	rows := [][]string{{"账号名称", "账号类型", "开设主体", "运行状态"},
		{"汉中公安", "新浪微博", "汉中市公安局", "停更"}, {"汉中商务", "新浪微博", "汉中市商务局", " 停用 "}, {"汉中发布", "微信", "汉中市政府", "正常"}}
	p := filepath.Join(t.TempDir(), "r.csv")
	must(t, sheettest.WriteCSV(p, rows, "utf-8"))
	if _, err := LoadRegistry(p, LoadOptions{}); err == nil || !strings.Contains(err.Error(), "第2行 D列（运行状态）: 未知的运行状态“停更”") || !strings.Contains(err.Error(), "registry.statuses") {
		t.Errorf("unknown status: %v", err)
	}
	reg, err := LoadRegistry(p, LoadOptions{Statuses: map[string]string{"停更": "正常运行", "停用": "已关停"}})
	if err != nil {
		t.Fatal(err)
	}
	if reg.Accounts[0].Lifecycle != Active || reg.Accounts[1].Lifecycle != Closed || reg.Accounts[0].RegistryStatus != "停更" {
		t.Errorf("mapped statuses: %+v", reg.Accounts)
	}
	if _, err := LoadRegistry(p, LoadOptions{Statuses: map[string]string{"停更": "暂停"}}); err == nil || !strings.Contains(err.Error(), "registry.statuses") {
		t.Errorf("a mapping to an unknown status: %v", err)
	}
}

// The 人工核对 worksheet as nmaudit's review command writes it, filled in the ways Excel and WPS
// fill it: a date-time cell, a date cell, a text date, a hyperlink pasted with display text.
func TestObservationsWorksheet(t *testing.T) {
	header := []any{"序号", "账号名称", "账号类型", "开设主体", "账号ID", "检查结果", "待核查原因", "核查入口", "最近更新时间", "文章链接", "核查人", "核查时间", "备注"}
	wb := excelize.NewFile()
	defer wb.Close()
	must(t, wb.SetSheetName("Sheet1", "核对表"))
	entry := "https://weixin.sogou.com/weixin?query=%E6%B1%89%E4%B8%AD%E5%8F%91%E5%B8%83"
	midnight := time.Date(2022, 8, 8, 0, 0, 0, 0, time.UTC)
	rows := [][]any{
		header,
		{1, "汉中发布", "微信公众号", "汉中市政府办", "", "待核查", "需要登录", entry, midnight, "https://mp.weixin.qq.com/s/abc", "李四", "2022-08-23", "人工"},
		{2, "城固发布", "微信公众号", "城固县政府办", "", "待核查", "需要登录", entry, nil, "https://mp.weixin.qq.com/s/def"},
		{3, "洋县发布", "微信公众号", "洋县政府办", "", "待核查", "需要登录", entry},
		{4, "汉中公安", "新浪微博", "汉中市公安局", "1234567890", "待核查", "触发频率限制", "https://weibo.com/u/1234567890", midnight},
		{5, "汉台发布", "微信公众号", "汉台区政府办", "", "待核查", "需要登录", entry, "2022/8/9 15:04", "点击查看"},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		must(t, wb.SetSheetRow("核对表", cell, &r))
	}
	dt := "yyyy-mm-dd hh:mm"
	dtStyle, err := wb.NewStyle(&excelize.Style{CustomNumFmt: &dt})
	must(t, err)
	dateStyle, err := wb.NewStyle(&excelize.Style{NumFmt: 14})
	must(t, err)
	must(t, wb.SetCellStyle("核对表", "I2", "I2", dtStyle))
	must(t, wb.SetCellStyle("核对表", "I5", "I5", dateStyle))
	must(t, wb.SetCellHyperLink("核对表", "J6", "https://mp.weixin.qq.com/s/ghi", "External"))
	p := filepath.Join(t.TempDir(), "核对表.xlsx")
	must(t, wb.SaveAs(p))

	got, err := LoadObservations(p, LoadOptions{}, shanghai)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("%d observations, want 4 (the blank row 4 skipped): %+v", len(got), got)
	}
	want := []struct {
		row     int
		time    time.Time
		dayOnly bool
		link    string
	}{
		{2, time.Date(2022, 8, 8, 0, 0, 0, 0, shanghai), false, "https://mp.weixin.qq.com/s/abc"}, // a date-time cell at midnight is 00:00
		{3, time.Time{}, false, "https://mp.weixin.qq.com/s/def"},
		{5, time.Date(2022, 8, 8, 0, 0, 0, 0, shanghai), true, ""}, // a date cell: the day only
		{6, time.Date(2022, 8, 9, 15, 4, 0, 0, shanghai), false, "https://mp.weixin.qq.com/s/ghi"},
	}
	for i, w := range want {
		o := got[i]
		if o.Row != w.row || !o.Time.Equal(w.time) || o.DayOnly != w.dayOnly || o.Link != w.link || o.HasTime() != !w.time.IsZero() {
			t.Errorf("row %d: %+v, want %+v", w.row, o, w)
		}
	}
	if got[0].Checker != "李四" || got[0].Note != "人工" || got[0].Platform != platforms.WeChat {
		t.Errorf("row 2: %+v", got[0])
	}
	// 核查入口 is neither the account's id nor the post link.
	if got[0].ID != "" || got[2].ID != "1234567890" || got[2].IDKind != platforms.IDWeiboUID {
		t.Errorf("ids: %+v / %+v", got[0], got[2])
	}
}

// In an observations file 链接 is the link to a post, never the account id (it is the id in a
// registry), and a link must be a whole web address.
func TestObservationLinks(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "obs.csv")
	must(t, sheettest.WriteCSV(p, [][]string{
		{"账号名称", "账号类型", "最近更新时间", "链接", "账号链接"},
		{"汉中公安", "新浪微博", "", "https://m.weibo.cn/status/4800000000000000", "https://weibo.com/u/1"},
		{"汉中发布", "微信公众号", "2022-08-08 00:00", " http://mp.weixin.qq.com/s?__biz=MzA5NjYxMjQ0Mg==&mid=1 ", ""},
	}, "utf-8-bom"))
	got, err := LoadObservations(p, LoadOptions{}, shanghai)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Link != "https://m.weibo.cn/status/4800000000000000" || got[0].ID != "" || got[0].HasTime() {
		t.Errorf("row 2: %+v", got)
	}
	if got[1].Link != "http://mp.weixin.qq.com/s?__biz=MzA5NjYxMjQ0Mg==&mid=1" || got[1].DayOnly || got[1].Time.Hour() != 0 {
		t.Errorf("row 3: %+v", got[1])
	}
	for _, bad := range []string{"mp.weixin.qq.com/s/abc", "点击查看", "ftp://x/y", "https://", "javascript:alert(1)"} {
		must(t, sheettest.WriteCSV(p, [][]string{{"账号名称", "账号类型", "文章链接"}, {"汉中发布", "微信", bad}}, "utf-8"))
		if _, err := LoadObservations(p, LoadOptions{}, shanghai); err == nil || !strings.Contains(err.Error(), "第2行 C列（文章链接）") || !strings.Contains(err.Error(), "不是完整的网址") {
			t.Errorf("link %q: %v", bad, err)
		}
	}
	must(t, sheettest.WriteCSV(p, [][]string{{"账号名称", "账号类型", "备注"}, {"汉中发布", "微信", "x"}}, "utf-8"))
	if _, err := LoadObservations(p, LoadOptions{}, shanghai); err == nil || !strings.Contains(err.Error(), "缺少最近更新时间列或文章链接列") {
		t.Errorf("neither column: %v", err)
	}
}

// Issue 10, item 10: the same midnight is a date-time whether it was typed in a CSV or held in
// a date-time cell; only a date format (or a text date) is day-only.
func TestMidnightIsADateTime(t *testing.T) {
	dir := t.TempDir()
	x := filepath.Join(dir, "obs.xlsx")
	// 44781 = 2022-08-08; style 2 = yyyy-mm-dd hh:mm, style 1 = a date format, none = a number.
	must(t, sheettest.WriteSheetXML(x, "S", xmlRow(1, "账号名称", "账号类型", "最近更新时间")+
		xmlRow(2, "a", "微博", "=n2:44781")+xmlRow(3, "b", "微博", "=n1:44781")+xmlRow(4, "c", "微博", "=n0:44781")+xmlRow(5, "d", "微博", "=n0:44781.5")))
	c := filepath.Join(dir, "obs.csv")
	must(t, sheettest.WriteCSV(c, [][]string{{"账号名称", "账号类型", "最近更新时间"}, {"a", "微博", "2022-08-08 00:00"}, {"b", "微博", "2022-08-08"}}, "utf-8"))
	xo, err := LoadObservations(x, LoadOptions{}, shanghai)
	must(t, err)
	co, err := LoadObservations(c, LoadOptions{}, shanghai)
	must(t, err)
	day := time.Date(2022, 8, 8, 0, 0, 0, 0, shanghai)
	if !xo[0].Time.Equal(day) || xo[0].DayOnly || xo[0].DayOnly != co[0].DayOnly || !co[0].Time.Equal(day) {
		t.Errorf("midnight date-time: xlsx %+v, csv %+v", xo[0], co[0])
	}
	if !xo[1].DayOnly || !co[1].DayOnly {
		t.Errorf("a date: xlsx %+v, csv %+v", xo[1], co[1])
	}
	// Without a date format the serial keeps the old rule: whole = a date, a fraction = a time.
	if !xo[2].DayOnly || xo[3].DayOnly || xo[3].Time.Hour() != 12 {
		t.Errorf("numbers without a date format: %+v %+v", xo[2], xo[3])
	}
}

func TestBlankVetoIsNoticed(t *testing.T) {
	p := filepath.Join(t.TempDir(), "findings.csv")
	must(t, sheettest.WriteCSV(p, [][]string{{"账号名称", "账号类型", "问题", "单项否决"},
		{"a", "微博", "严重表述错误", "是"}, {"b", "微博", "未提供有效互动功能", ""}, {"c", "微博", "存在商业广告", "否"}, {"d", "微博", "错别字", " "}}, "utf-8"))
	var notices []string
	fs, err := LoadFindings(p, LoadOptions{Notify: func(n string) { notices = append(notices, n) }})
	must(t, err)
	if len(fs) != 4 || fs[1].Veto || fs[3].Veto || !fs[0].Veto {
		t.Errorf("findings %+v", fs)
	}
	if len(notices) != 1 || !strings.Contains(notices[0], "findings.csv: 第3、5行的单项否决为空，按“否”处理") {
		t.Errorf("notices %q", notices)
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Time
		dayOnly bool
	}{
		{"2022-08-08", time.Date(2022, 8, 8, 0, 0, 0, 0, shanghai), true},
		{"2022/9/30", time.Date(2022, 9, 30, 0, 0, 0, 0, shanghai), true},
		{"2022.8.8", time.Date(2022, 8, 8, 0, 0, 0, 0, shanghai), true},
		{"2022年8月8日", time.Date(2022, 8, 8, 0, 0, 0, 0, shanghai), true},
		{"２０２２－０８－０８", time.Date(2022, 8, 8, 0, 0, 0, 0, shanghai), true},
		{" 2022-08-08  15:04 ", time.Date(2022, 8, 8, 15, 4, 0, 0, shanghai), false},
		{"2022/8/8 15:04:05", time.Date(2022, 8, 8, 15, 4, 5, 0, shanghai), false},
		{"2022-08-08 00:00", time.Date(2022, 8, 8, 0, 0, 0, 0, shanghai), false},
		{"2022-08-08T15:04:05.000", time.Date(2022, 8, 8, 15, 4, 5, 0, shanghai), false},
		{"2022-08-08 15：04", time.Date(2022, 8, 8, 15, 4, 0, 0, shanghai), false},
		{"2022年8月8日 15时04分", time.Date(2022, 8, 8, 15, 4, 0, 0, shanghai), false},
		{"2022年8月8日15时04分05秒", time.Date(2022, 8, 8, 15, 4, 5, 0, shanghai), false},
		{"2022-08-22T00:00:00+08:00", time.Date(2022, 8, 22, 0, 0, 0, 0, shanghai), false},
		{"2022-08-21T16:00:00Z", time.Date(2022, 8, 22, 0, 0, 0, 0, shanghai), false},
	}
	for _, tt := range tests {
		got, dayOnly, ok := ParseTime(tt.in, shanghai)
		if !ok || !got.Equal(tt.want) || dayOnly != tt.dayOnly {
			t.Errorf("ParseTime(%q) = %v, %v, %v; want %v, %v", tt.in, got, dayOnly, ok, tt.want, tt.dayOnly)
		}
	}
	for _, bad := range []string{"", "昨天", "2022-13-01", "2022-02-30", "2022-08-08 25:00", "2022-08-08 15:60", "22/8/8", "2022-08-0815:04x", "2022-08-08 15:0405", "8/8/2022"} {
		if _, _, ok := ParseTime(bad, shanghai); ok {
			t.Errorf("ParseTime(%q) accepted", bad)
		}
	}
}

// A cancelled context stops a load with an error that says so (the CLI reports an interrupt).
func TestLoadCancelled(t *testing.T) {
	p := filepath.Join(t.TempDir(), "r.xlsx")
	must(t, sheettest.WriteRegistryXLSX(p, 50, 1))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := LoadRegistry(p, LoadOptions{Context: ctx}); !errors.Is(err, context.Canceled) {
		t.Errorf("LoadRegistry with a cancelled context: %v", err)
	}
}
