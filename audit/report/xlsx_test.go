package report

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/nmaudit/nmaudit/audit"
)

func openBook(t *testing.T, raw []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("reopen workbook: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func cell(t *testing.T, f *excelize.File, sheet, ref string, opts ...excelize.Options) string {
	t.Helper()
	v, err := f.GetCellValue(sheet, ref, opts...)
	if err != nil {
		t.Fatalf("%s!%s: %v", sheet, ref, err)
	}
	return v
}

func numFmt(t *testing.T, f *excelize.File, sheet, ref string) string {
	t.Helper()
	id, err := f.GetCellStyle(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	if st.CustomNumFmt == nil {
		return ""
	}
	return *st.CustomNumFmt
}

func bold(t *testing.T, f *excelize.File, sheet, ref string) bool {
	t.Helper()
	id, err := f.GetCellStyle(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	return st.Font != nil && st.Font.Bold
}

// dateCell checks that ref holds a real Excel date (a number, not text) for the wall-clock
// time want, shown with the date-time format.
func dateCell(t *testing.T, f *excelize.File, sheet, ref, want string) {
	t.Helper()
	if typ, err := f.GetCellType(sheet, ref); err != nil || typ == excelize.CellTypeInlineString || typ == excelize.CellTypeSharedString {
		t.Errorf("%s!%s is text (type %v, %v), want a date number", sheet, ref, typ, err)
	}
	raw := cell(t, f, sheet, ref, excelize.Options{RawCellValue: true})
	serial, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		t.Fatalf("%s!%s raw value %q is not a number", sheet, ref, raw)
	}
	got, err := excelize.ExcelDateToTime(serial, false)
	if err != nil {
		t.Fatal(err)
	}
	if s := got.Round(time.Second).Format("2006-01-02 15:04:05"); s != want {
		t.Errorf("%s!%s = %s, want %s", sheet, ref, s, want)
	}
	if fm := numFmt(t, f, sheet, ref); fm != numFmtDateTime {
		t.Errorf("%s!%s number format %q", sheet, ref, fm)
	}
	if shown := cell(t, f, sheet, ref); shown != want {
		t.Errorf("%s!%s shows %q, want %q", sheet, ref, shown, want)
	}
}

func row(t *testing.T, f *excelize.File, sheet string, n int) []string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if n > len(rows) {
		t.Fatalf("%s has %d rows, want row %d", sheet, len(rows), n)
	}
	return rows[n-1]
}

func TestCheckXLSX(t *testing.T) {
	f := openBook(t, renderCheck(t, "xlsx", fixtureResult(t), testOptions(t)))

	want := "汇总,不合格名单,全部账号,待核查,预警,未登记,重复登记"
	if got := strings.Join(f.GetSheetList(), ","); got != want {
		t.Fatalf("sheets %s, want %s", got, want)
	}
	if i := f.GetActiveSheetIndex(); i != 0 {
		t.Errorf("workbook opens on sheet %d, want 0 (汇总)", i)
	}

	// 汇总: numbers are numbers, the rate a ratio shown as a percentage.
	if got := cell(t, f, sheetSummary, "B5"); got != "12" {
		t.Errorf("汇总 registry rows %q", got)
	}
	if got := cell(t, f, sheetSummary, "A12"); got != sumRate {
		t.Errorf("汇总 A12 %q", got)
	}
	if raw := cell(t, f, sheetSummary, "B12", excelize.Options{RawCellValue: true}); raw != "0.3" {
		t.Errorf("汇总 rate raw %q", raw)
	}
	if fm := numFmt(t, f, sheetSummary, "B12"); fm != "0.0%" {
		t.Errorf("汇总 rate format %q", fm)
	}
	if got := cell(t, f, sheetSummary, "B1"); got != "2022-08-22 00:00" {
		t.Errorf("汇总 check time %q", got)
	}
	if got := strings.Join(row(t, f, sheetSummary, 15), ","); got != strings.Join(levelHeader, ",") {
		t.Errorf("汇总 level header %s", got)
	}
	if got := row(t, f, sheetSummary, 18); got[0] != "市级部门" || got[3] != "3" {
		t.Errorf("汇总 市级部门 row %q", got)
	}
	if got := row(t, f, sheetSummary, 20); got[0] != levelTotal || got[1] != "10" {
		t.Errorf("汇总 total row %q", got)
	}
	if !bold(t, f, sheetSummary, "A15") {
		t.Error("汇总 level header not bold")
	}

	// 不合格名单: the seed's five columns.
	if got := strings.Join(row(t, f, sheetUnqualified, 1), ","); got != "账号名称,开设主体,账号类型,检查结果,存在的严重问题" {
		t.Errorf("不合格名单 header %s", got)
	}
	if got := strings.Join(row(t, f, sheetUnqualified, 3), ","); got != "汉中公安,汉中市公安局,新浪微博,不合格,严重表述错误；监测时间点前2周内无更新" {
		t.Errorf("不合格名单 row 3 %s", got)
	}
	if !bold(t, f, sheetUnqualified, "E1") {
		t.Error("不合格名单 header not bold")
	}

	// 全部账号: every account, real date cells, frozen header, autofilter, CJK-wide columns.
	if got := strings.Join(row(t, f, sheetAll, 1), ","); got != strings.Join(allAccountsHeader, ",") {
		t.Errorf("全部账号 header %s", got)
	}
	rows, err := f.GetRows(sheetAll)
	if err != nil || len(rows) != 11 {
		t.Fatalf("全部账号: %d rows, %v", len(rows), err)
	}
	dateCell(t, f, sheetAll, "K4", "2022-07-30 18:02:11")
	dateCell(t, f, sheetAll, "K2", "2022-08-21 17:30:00")
	if got := cell(t, f, sheetAll, "K7"); got != "" {
		t.Errorf("pending closure has no latest post, got %q", got)
	}
	if got := cell(t, f, sheetAll, "D9"); got != "https://v.douyin.com/xxxx" {
		t.Errorf("account id falls back to the raw id, got %q", got)
	}
	if got := cell(t, f, sheetAll, "M10"); got != "平台返回空列表（“仅半年可见”）| 需人工核对" {
		t.Errorf("detail %q", got)
	}
	panes, err := f.GetPanes(sheetAll)
	if err != nil || !panes.Freeze || panes.YSplit != 1 || panes.TopLeftCell != "A2" {
		t.Errorf("全部账号 panes %+v, %v", panes, err)
	}
	var filter string
	for _, d := range f.GetDefinedName() {
		if d.Name == "_xlnm._FilterDatabase" && d.Scope == sheetAll {
			filter = d.RefersTo
		}
	}
	if !strings.Contains(filter, "$A$1:$M$11") {
		t.Errorf("全部账号 autofilter %q, want A1:M11", filter)
	}
	owner, err := f.GetColWidth(sheetAll, "E")
	if err != nil || owner < float64(cols("汉中经济技术开发区管委会")) {
		t.Errorf("开设主体 column width %v (%v): too narrow for 12 Chinese characters", owner, err)
	}
	if w, _ := f.GetColWidth(sheetAll, "C"); w >= owner {
		t.Errorf("平台 column (%v) should be narrower than 开设主体 (%v)", w, owner)
	}

	// The optional lists.
	if got := strings.Join(row(t, f, sheetNeedsReview, 2), ","); got != "西乡文旅,西乡县文化和旅游局,抖音,平台暂不支持自动检查" {
		t.Errorf("待核查 %s", got)
	}
	if got := cell(t, f, sheetWarnings, "E2"); got != "11" {
		t.Errorf("预警 days %q", got)
	}
	dateCell(t, f, sheetWarnings, "D2", "2022-08-10 14:20:00")
	if got := strings.Join(row(t, f, sheetUnregistered, 2), ","); got != "汉台融媒,汉中市汉台区融媒体中心,抖音,12" {
		t.Errorf("未登记 %s", got)
	}
	if got := strings.Join(row(t, f, sheetDuplicates, 2), ","); got != "汉中公安,新浪微博,4、13" {
		t.Errorf("重复登记 %s", got)
	}
}

func TestCheckXLSXWithoutOptionalLists(t *testing.T) {
	r := fixtureResult(t)
	r.Accounts = r.Accounts[:1]
	r.Warnings, r.Unregistered, r.Duplicates = nil, nil, nil
	f := openBook(t, renderCheck(t, "xlsx", r, Options{RateDecimals: 2}))
	if got := strings.Join(f.GetSheetList(), ","); got != "汇总,不合格名单,全部账号" {
		t.Errorf("sheets %s", got)
	}
	rows, err := f.GetRows(sheetUnqualified)
	if err != nil || len(rows) != 1 {
		t.Errorf("empty 不合格名单 should hold only its header: %q %v", rows, err)
	}
	if fm := numFmt(t, f, sheetSummary, "B12"); fm != "0.00%" {
		t.Errorf("rate format with 2 decimals %q", fm)
	}
}

func TestReconcileXLSX(t *testing.T) {
	f := openBook(t, renderReconcile(t, "xlsx", fixtureReconciliation()))
	if got := strings.Join(f.GetSheetList(), ","); got != "汇总,匹配,未报送,清单遗漏,状态不一致,信息不一致" {
		t.Fatalf("sheets %s", got)
	}
	if got := strings.Join(row(t, f, sheetSummary, 1), ","); got != "信息报送系统导出,registry-2022q3.xlsx" {
		t.Errorf("汇总 row 1 %s", got)
	}
	if got := strings.Join(row(t, f, sheetSummary, 8), ","); got != "未报送(清单有、系统无),1" {
		t.Errorf("汇总 row 8 %s", got)
	}
	if got := row(t, f, "状态不一致", 2); got[0] != "武侯镇便民服务" || got[8] != "状态（清单: 已注销 / 系统: 正常运行）" {
		t.Errorf("状态不一致 %q", got)
	}
	if got := row(t, f, "未报送", 2); got[4] != "" || got[5] != "5" {
		t.Errorf("未报送: registry row should be empty, list row 5: %q", got)
	}
	if rows, _ := f.GetRows("匹配"); len(rows) != 4 {
		t.Errorf("匹配 has %d rows", len(rows))
	}
}

// manyAccounts repeats the fixture's accounts up to n, as a province-wide run would have.
func manyAccounts(b *testing.B, n int) *audit.Result {
	r := fixtureResult(b)
	base := r.Accounts
	r.Accounts = make([]audit.Verdict, 0, n)
	for i := range n {
		v := base[i%len(base)]
		v.Name += strconv.Itoa(i)
		r.Accounts = append(r.Accounts, v)
	}
	return r
}

// BenchmarkCheck renders 10^4 accounts in each format (10^5 take about ten times as long:
// every renderer is linear).
func BenchmarkCheck(b *testing.B) {
	r := manyAccounts(b, 10000)
	opt := testOptions(b)
	for _, format := range Formats {
		b.Run(format, func(b *testing.B) {
			for b.Loop() {
				if err := Check(io.Discard, format, r, opt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
