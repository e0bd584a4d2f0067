package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/platforms"
)

func worksheetResult() *audit.Result {
	T := time.Date(2022, 8, 22, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	mk := func(name, typ string, p platforms.Platform, kind platforms.IDKind, id string, st audit.Status, detail string) audit.Verdict {
		return audit.Verdict{Account: audit.Account{Name: name, Type: typ, Platform: p, IDKind: kind, ID: id, RawID: id,
			Owner: "汉中市某单位", Lifecycle: audit.Active}, Status: st, Detail: detail}
	}
	return &audit.Result{CheckTime: T, Window: audit.Window{D: 14 * 24 * time.Hour}, Accounts: []audit.Verdict{
		mk("汉中发布", "微信订阅号", platforms.WeChat, platforms.IDWeChatBiz, "MzA5NjYxMjQ0Mg==", audit.NeedsReview, "公众平台已停止提供他人账号文章列表"),
		mk("汉中公安", "新浪微博", platforms.Weibo, platforms.IDWeiboUID, "1234567890", audit.Unqualified, "最近一条: 2022-07-30 18:02"),
		mk("汉中交警", "新浪微博", platforms.Weibo, platforms.IDWeiboUID, "1234567891", audit.Qualified, "最近一条: 2022-08-20 18:02"),
		mk("汉中网警巡查执法", "其他+百度贴吧", platforms.Tieba, platforms.IDTiebaUser, "汉中网警巡查执法", audit.NeedsReview, "需要登录"),
		mk("=cmd|' /C calc'!A0", "抖音", platforms.Douyin, platforms.IDOther, "", audit.NeedsReview, "平台暂不支持自动检查"),
	}}
}

func TestWorksheetXLSX(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteWorksheet(&buf, worksheetResult(), WorksheetOptions{Format: "xlsx", RunID: "20220825-170000-3f9a", Location: time.FixedZone("CST", 8*3600)}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); len(got) != 2 || got[0] != "人工核对" || got[1] != "填写说明" {
		t.Fatalf("sheets = %v", got)
	}
	rows, _ := f.GetRows("人工核对")
	if strings.Join(rows[0], "|") != strings.Join(worksheetHeader, "|") {
		t.Errorf("header = %v", rows[0])
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows, want the header and the three 待核查 accounts", len(rows))
	}
	if rows[1][1] != "汉中发布" || rows[1][4] != "MzA5NjYxMjQ0Mg==" || rows[1][5] != "待核查" {
		t.Errorf("row 2 = %v", rows[1])
	}
	ok, target, err := f.GetCellHyperLink("人工核对", "H2")
	if err != nil || !ok || !strings.HasPrefix(target, "https://weixin.sogou.com/weixin?type=1") {
		t.Errorf("核查入口 of a WeChat account = %v %q %v", ok, target, err)
	}
	if ok, target, _ := f.GetCellHyperLink("人工核对", "H3"); !ok || !strings.Contains(target, "tieba.baidu.com/home/main?un=") {
		t.Errorf("核查入口 of a Tieba user = %q", target)
	}
	panes, err := f.GetPanes("人工核对")
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("header row not frozen: %+v %v", panes, err)
	}
	dvs, err := f.GetDataValidations("人工核对")
	if err != nil || len(dvs) != 1 || dvs[0].Type != "date" || !strings.HasPrefix(dvs[0].Sqref, "I2") {
		t.Errorf("data validation = %+v %v", dvs, err)
	}
	style, _ := f.GetCellStyle("人工核对", "I2")
	st, _ := f.GetStyle(style)
	if st == nil || st.CustomNumFmt == nil || *st.CustomNumFmt != "yyyy-mm-dd hh:mm" {
		t.Errorf("最近更新时间 cells are not date-time cells: %+v", st)
	}
	if w, _ := f.GetColWidth("人工核对", "B"); w < 16 {
		t.Errorf("账号名称 column width %v, too narrow for 汉中网警巡查执法", w)
	}
	help, _ := f.GetRows("填写说明")
	text := ""
	for _, r := range help {
		text += strings.Join(r, " ")
	}
	for _, want := range []string{"20220825-170000-3f9a", "2022-08-08 00:00 至 2022-08-22 00:00", "文章链接", "nmaudit recheck"} {
		if !strings.Contains(text, want) {
			t.Errorf("填写说明 does not say %q", want)
		}
	}

	buf.Reset()
	WriteWorksheet(&buf, worksheetResult(), WorksheetOptions{Format: "xlsx", Unqualified: true})
	g, _ := excelize.OpenReader(&buf)
	defer g.Close()
	if rows, _ := g.GetRows("人工核对"); len(rows) != 5 || !strings.HasPrefix(rows[2][6], "（复核）") {
		t.Errorf("--include-unqualified: %d rows", len(rows))
	}
}

func TestWorksheetCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteWorksheet(&buf, worksheetResult(), WorksheetOptions{Format: "csv"}); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	if !strings.HasPrefix(s, "\ufeff序号,账号名称,账号类型,开设主体,账号ID,检查结果,待核查原因,核查入口,最近更新时间,文章链接,核查人,核查时间,备注\r\n") {
		t.Errorf("CSV head = %q", s[:min(len(s), 200)])
	}
	if !strings.Contains(s, "\r\n3,'=cmd|' /C calc'!A0,") {
		t.Errorf("formula-like name not defused: %s", s)
	}
	if strings.Count(s, "\r\n") != 4 {
		t.Errorf("%d lines", strings.Count(s, "\r\n"))
	}
}
