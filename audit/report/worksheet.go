package report

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/nmaudit/nmaudit/audit"
)

// The 人工核对 worksheet (nmaudit review RUN): one row per account a person has to check — the
// run's 待核查 accounts, and for the 复核 before a notice names them its 不合格 ones — with a
// link to where the account can be looked at, and the columns the person fills. A filled copy
// is an observations file as it stands (check/recheck --observations): its headers are the
// observation columns' own (账号名称, 账号类型, 账号ID, 最近更新时间, 文章链接, 核查人, 备注), and
// the columns nmaudit fills for the reader (核查入口, 待核查原因…) are ones the observations
// reader does not take.

// Worksheet headers, in order. The last five are filled by hand.
var worksheetHeader = []string{"序号", "账号名称", "账号类型", "开设主体", "账号ID", "检查结果", "待核查原因", "核查入口",
	"最近更新时间", "文章链接", "核查人", "核查时间", "备注"}

const (
	wsSheet       = "人工核对"
	wsHelpSheet   = "填写说明"
	wsFirstFill   = 9 // 最近更新时间, the first column to fill (1-based)
	wsEntryColumn = 8 // 核查入口
)

// WorksheetOptions configure WriteWorksheet.
type WorksheetOptions struct {
	Format   string // "xlsx" or "csv"
	RunID    string
	Location *time.Location
	// Unqualified includes the 不合格 accounts (review --include-unqualified).
	Unqualified bool
}

// WriteWorksheet writes the worksheet of r's accounts to w.
func WriteWorksheet(w io.Writer, r *audit.Result, opt WorksheetOptions) error {
	rows := audit.Worksheet(r, opt.Unqualified)
	if opt.Location == nil {
		opt.Location = time.Local
	}
	records := make([][]string, len(rows))
	for i, row := range rows {
		reason := row.Detail
		if row.Status == audit.Unqualified {
			reason = "（复核）" + row.Detail
		}
		records[i] = []string{strconv.Itoa(i + 1), row.Name, row.Type, row.Owner, row.RawID, row.Status.Label(), reason, row.Entry}
	}
	switch opt.Format {
	case "csv":
		cw, err := NewCSVWriter(w)
		if err != nil {
			return err
		}
		if err := cw.Write(worksheetHeader); err != nil {
			return err
		}
		for _, rec := range records {
			if err := cw.Write(append(rec, "", "", "", "", "")); err != nil {
				return err
			}
		}
		return cw.Flush()
	case "xlsx", "":
		return worksheetXLSX(w, r, records, opt)
	}
	return fmt.Errorf("report: worksheet format %q: want xlsx or csv", opt.Format)
}

func worksheetXLSX(w io.Writer, r *audit.Result, records [][]string, opt WorksheetOptions) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", wsSheet); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}})
	if err != nil {
		return err
	}
	fill, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFF2CC"}}})
	if err != nil {
		return err
	}
	link, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Color: "0563C1", Underline: "single"}})
	if err != nil {
		return err
	}
	when, err := f.NewStyle(&excelize.Style{CustomNumFmt: ptr(numFmtMinute), Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFFBEA"}}})
	if err != nil {
		return err
	}
	blank, err := f.NewStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFFBEA"}}})
	if err != nil {
		return err
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}

	header := make([]any, len(worksheetHeader))
	for i, h := range worksheetHeader {
		header[i] = h
	}
	if err := f.SetSheetRow(wsSheet, "A1", &header); err != nil {
		return err
	}
	last, _ := excelize.ColumnNumberToName(len(worksheetHeader))
	firstFill, _ := excelize.ColumnNumberToName(wsFirstFill)
	if err := f.SetCellStyle(wsSheet, "A1", last+"1", bold); err != nil {
		return err
	}
	if err := f.SetCellStyle(wsSheet, firstFill+"1", last+"1", fill); err != nil {
		return err
	}
	widths := make([]int, len(worksheetHeader))
	for i, h := range worksheetHeader {
		widths[i] = displayWidth(h)
	}
	entryCol, _ := excelize.ColumnNumberToName(wsEntryColumn)
	for i, rec := range records {
		n := i + 2
		cells := make([]any, len(rec))
		for j, c := range rec {
			cells[j] = c
			if j != 6 { // 待核查原因 wraps instead of widening its column
				widths[j] = max(widths[j], displayWidth(c))
			}
		}
		cells[0] = i + 1 // 序号 as a number
		cell := "A" + strconv.Itoa(n)
		if err := f.SetSheetRow(wsSheet, cell, &cells); err != nil {
			return err
		}
		ec := entryCol + strconv.Itoa(n)
		if rec[wsEntryColumn-1] != "" {
			if err := f.SetCellHyperLink(wsSheet, ec, rec[wsEntryColumn-1], "External",
				excelize.HyperlinkOpts{Display: ptr(rec[wsEntryColumn-1]), Tooltip: ptr("打开账号页面核对最近一次更新")}); err != nil {
				return err
			}
			if err := f.SetCellStyle(wsSheet, ec, ec, link); err != nil {
				return err
			}
		}
		row := strconv.Itoa(n)
		if err := f.SetCellStyle(wsSheet, "G"+row, "G"+row, wrap); err != nil {
			return err
		}
		if err := f.SetCellStyle(wsSheet, firstFill+row, firstFill+row, when); err != nil {
			return err
		}
		if err := f.SetCellStyle(wsSheet, "J"+row, last+row, blank); err != nil {
			return err
		}
	}
	// 最近更新时间 takes a date-time only: what a person types is a date cell Excel and WPS keep
	// as a date, and a typo is refused at once instead of at the re-check.
	if len(records) > 0 {
		dv := excelize.NewDataValidation(true)
		dv.Sqref = fmt.Sprintf("%s2:%s%d", firstFill, firstFill, len(records)+1)
		if err := dv.SetRange(36526, 73051, excelize.DataValidationTypeDate, excelize.DataValidationOperatorBetween); err != nil {
			return err
		}
		dv.SetError(excelize.DataValidationErrorStyleStop, "请输入日期时间",
			"请填写该账号在监测时间点前最近一次更新的日期和时间，如 2022-08-19 18:02")
		dv.SetInput("最近更新时间", "填写监测时间点前最近一次更新的时间，如 2022-08-19 18:02；只知日期时填 2022-08-19")
		if err := f.AddDataValidation(wsSheet, dv); err != nil {
			return err
		}
	}
	for i, wd := range widths {
		col, _ := excelize.ColumnNumberToName(i + 1)
		cw := colWidth(wd)
		switch {
		case i == 6:
			cw = 40 // 待核查原因 wraps
		case i >= wsFirstFill-1:
			cw = max(cw, 18)
		}
		if err := f.SetColWidth(wsSheet, col, col, cw); err != nil {
			return err
		}
	}
	if err := f.SetPanes(wsSheet, &excelize.Panes{Freeze: true, Split: false, XSplit: 0, YSplit: 1,
		TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if err := f.AutoFilter(wsSheet, "A1:"+last+strconv.Itoa(max(len(records)+1, 2)), nil); err != nil {
		return err
	}
	if err := worksheetHelp(f, r, opt, bold); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	_, err = f.WriteTo(w)
	return err
}

// worksheetHelp writes the 填写说明 sheet: what to fill, and how it will be used.
func worksheetHelp(f *excelize.File, r *audit.Result, opt WorksheetOptions, bold int) error {
	if _, err := f.NewSheet(wsHelpSheet); err != nil {
		return err
	}
	T := r.CheckTime.In(opt.Location)
	start := T.Add(-r.Window.D)
	run := opt.RunID
	if run == "" {
		run = "RUN"
	}
	lines := [][]string{
		{"填写说明", ""},
		{"本表", fmt.Sprintf("nmaudit 检查（运行 %s，监测时间点 %s）中需要人工核对的账号。", run, T.Format("2006-01-02 15:04"))},
		{"核查什么", fmt.Sprintf("打开“核查入口”，查看该账号在 %s 至 %s 之间（监测时间点前%s）是否发布过内容。",
			start.Format("2006-01-02 15:04"), T.Format("2006-01-02 15:04"), r.Window.Phrase())},
		{"最近更新时间", "监测时间点前最近一次发布的时间，日期时间格式，如 2022-08-19 18:02；只知道日期时填 2022-08-19（按当天最后时刻计）。晚于监测时间点的发布不能说明窗口内是否更新，请填监测时间点前的最近一条。"},
		{"文章链接", "最近一条内容的网址（公众号文章 https://mp.weixin.qq.com/s/…、微博 https://m.weibo.cn/status/…、贴吧帖子 https://tieba.baidu.com/p/…），直接粘贴即可。复核时 nmaudit 会读取该页面，核对发布时间和所属账号；链接属于其他账号时，本行（连同填写的时间）作废。"},
		{"只填一项也可以", "可以只填最近更新时间，也可以只填文章链接；两项都不填的行在复核时跳过。文章链接只能证明发过文章，不能证明没有更新；判定“不合格”需要填写的最近更新时间早于检查窗口。"},
		{"核查人 / 核查时间 / 备注", "核对人员姓名、核对的时间和说明（如“账号已停更”“已申请注销”），随核对结果保存在检查记录中。"},
		{"填好以后", fmt.Sprintf("nmaudit recheck %s --observations 本文件.xlsx，或 nmaudit check … --observations 本文件.xlsx。复核报告分别统计文章链接核验（按平台）和人工核对的结果。", run)},
		{"请勿修改", "表头和“账号名称”“账号类型”“账号ID”三列：复核按它们找到账号。可以增删行、调整顺序。"},
	}
	for i, l := range lines {
		cell := "A" + strconv.Itoa(i+1)
		row := []any{l[0], l[1]}
		if err := f.SetSheetRow(wsHelpSheet, cell, &row); err != nil {
			return err
		}
	}
	if err := f.SetColWidth(wsHelpSheet, "A", "A", 22); err != nil {
		return err
	}
	if err := f.SetColWidth(wsHelpSheet, "B", "B", 100); err != nil {
		return err
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	if err := f.SetCellStyle(wsHelpSheet, "B1", "B"+strconv.Itoa(len(lines)), wrap); err != nil {
		return err
	}
	return f.SetCellStyle(wsHelpSheet, "A1", "A"+strconv.Itoa(len(lines)), bold)
}
