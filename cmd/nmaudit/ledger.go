package main

import (
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/audit/store"
)

// The rectification ledger (整改台账, domain.md "Reports inspection offices file", item 4): one
// row per problem of every 不合格 account, for the failing units to fill in and send back by the
// deadline; the next round re-checks them (nmaudit recheck).

// Ledger sheet names and columns.
const (
	sheetLedger = "整改台账"
	sheetReview = "待核查清单"
)

var ledgerHeader = []string{"序号", "账号名称", "开设主体", "账号类型", "问题类别", "问题描述", "检查时更新日期",
	"整改措施", "责任人", "整改时限", "整改情况", "复核结果"}

var ledgerWidths = []float64{6, 24, 28, 14, 22, 52, 14, 30, 10, 12, 30, 12}

var reviewHeader = []string{"序号", "账号名称", "开设主体", "账号类型", "账号ID", "待核查原因", "核查结果"}

var reviewWidths = []float64{6, 24, 28, 14, 24, 52, 20}

// Problem categories: the veto items of 国办秘函〔2019〕19号 (domain.md).
const (
	catNoUpdate    = "内容不更新"
	catSerious     = "安全、泄密事故等严重问题"
	catInteraction = "互动回应差"
	catOther       = "其他"
)

func newLedgerCmd(s *streams) *cobra.Command {
	var output, deadline string
	cmd := &cobra.Command{
		Use:   "ledger RUN -o FILE.xlsx [--deadline 2006-01-02]",
		Short: "Write the rectification ledger (整改台账) of a run's 不合格 accounts",
		Long: `ledger writes the 整改台账 of a finished run as an xlsx workbook: sheet 整改台账 has one row
per problem of every 不合格 account, sorted by 开设主体 then account name, with the columns
序号 | 账号名称 | 开设主体 | 账号类型 | 问题类别 | 问题描述 | 检查时更新日期 | 整改措施 | 责任人 |
整改时限 | 整改情况 | 复核结果; 整改措施, 责任人, 整改情况 and 复核结果 are left for the units to fill,
整改时限 is --deadline. Sheet 待核查清单 lists the 待核查 accounts with their reasons.`,
		Example: `  nmaudit ledger 20220825-170000-3f9a -o 整改台账.xlsx --deadline 2022-09-30`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == "" {
				return usageErrorf("-o FILE.xlsx is required")
			}
			if !strings.EqualFold(filepath.Ext(output), ".xlsx") {
				return usageErrorf("-o %s: the ledger is an Excel workbook, name it FILE.xlsx", output)
			}
			var due *time.Time
			if deadline != "" {
				t, err := time.Parse("2006-01-02", strings.TrimSpace(deadline))
				if err != nil {
					return usageErrorf("--deadline %q: want a date, 2006-01-02", deadline)
				}
				due = &t
			}
			cfg, err := loadConfig(cmd, nil)
			if err != nil {
				return err
			}
			r, res, err := storedResult(cmd, cfg, args[0])
			if err != nil {
				return err
			}
			l := buildLedger(r, res, due)
			rf := reportFlags{Format: "xlsx", Output: output}
			if err := rf.write(s.Out, l.writeXLSX); err != nil {
				return err
			}
			fmt.Fprintf(s.Err, "nmaudit: %s: 整改台账 %d 条（%d 个不合格账号），待核查 %d 个\n", output, len(l.rows), l.accounts, len(l.review))
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the ledger to FILE.xlsx (required)")
	cmd.Flags().StringVar(&deadline, "deadline", "", "rectification deadline (整改时限), 2006-01-02")
	return cmd
}

// ledger is the content of the workbook.
type ledger struct {
	rows     [][]string // 整改台账, without 序号
	review   [][]string // 待核查清单, without 序号
	accounts int        // 不合格 accounts
}

// ownerCollator sorts Chinese names the way a Chinese reader looks them up: by pinyin (the
// CLDR zh collation), not by code point.
func ownerCollator() *collate.Collator { return collate.New(language.Chinese) }

// byOwner sorts verdicts by 开设主体, then account name, then registry row.
func byOwner(vs []audit.Verdict) {
	col := ownerCollator()
	sort.SliceStable(vs, func(i, j int) bool {
		if c := col.CompareString(vs[i].Owner, vs[j].Owner); c != 0 {
			return c < 0
		}
		if c := col.CompareString(vs[i].Name, vs[j].Name); c != 0 {
			return c < 0
		}
		return vs[i].Row < vs[j].Row
	})
}

func buildLedger(r *store.Run, res *audit.Result, due *time.Time) ledger {
	loc := r.Location()
	var failing, review []audit.Verdict
	for _, v := range res.Accounts {
		switch v.Status {
		case audit.Unqualified:
			failing = append(failing, v)
		case audit.NeedsReview:
			review = append(review, v)
		}
	}
	byOwner(failing)
	byOwner(review)
	deadline := ""
	if due != nil {
		deadline = due.Format("2006-01-02")
	}
	T := res.CheckTime.In(loc)
	checkDate := T.Format("2006-01-02")
	if T.Hour() != 0 || T.Minute() != 0 || T.Second() != 0 {
		checkDate = T.Format("2006-01-02 15:04")
	}
	l := ledger{accounts: len(failing)}
	for _, v := range failing {
		updated := "无"
		if v.LatestPostAt != nil {
			updated = v.LatestPostAt.In(loc).Format("2006-01-02")
		}
		for _, p := range v.Problems {
			cat := problemCategory(p, res.Window)
			var desc string
			if cat == catNoUpdate {
				desc = fmt.Sprintf("监测时间点（%s）前%s内无更新，", checkDate, res.Window.Phrase())
				if v.LatestPostAt != nil {
					desc += "最近一次更新为" + updated
				} else {
					desc += "监测时间点前无发布记录"
				}
			} else {
				desc = p
				if fromFinding(v, p) {
					desc = "人工检查发现：" + p + "（单项否决）"
				}
			}
			l.rows = append(l.rows, []string{v.Name, v.Owner, v.Type, cat, desc, updated, "", "", deadline, "", ""})
		}
	}
	for _, v := range review {
		id := v.ID
		if id == "" {
			id = v.RawID
		}
		l.review = append(l.review, []string{v.Name, v.Owner, v.Type, id, v.Detail, ""})
	}
	return l
}

// problemCategory maps a problem label to its veto item.
func problemCategory(p string, w audit.Window) string {
	switch {
	case p == w.NoUpdateProblem(),
		strings.HasPrefix(p, "监测时间点前") && strings.HasSuffix(p, "内无更新"),
		strings.Contains(p, "未更新"), strings.Contains(p, "无更新"), strings.Contains(p, "不更新"):
		return catNoUpdate
	case strings.Contains(p, "表述错误"), strings.Contains(p, "错误表述"), strings.Contains(p, "泄密"),
		strings.Contains(p, "安全事故"), strings.Contains(p, "有害"):
		return catSerious
	case strings.Contains(p, "互动"):
		return catInteraction
	}
	return catOther
}

func fromFinding(v audit.Verdict, problem string) bool {
	for _, e := range v.Evidence {
		if e.Source == audit.SourceFinding && e.Title == problem {
			return true
		}
	}
	return false
}

func (l ledger) writeXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	number := func(rows [][]string) [][]string {
		out := make([][]string, len(rows))
		for i, r := range rows {
			out[i] = append([]string{strconv.Itoa(i + 1)}, r...)
		}
		return out
	}
	if err := writeSheet(f, sheetLedger, ledgerHeader, number(l.rows), ledgerWidths); err != nil {
		return err
	}
	if err := writeSheet(f, sheetReview, reviewHeader, number(l.review), reviewWidths); err != nil {
		return err
	}
	for _, sh := range []string{sheetLedger, sheetReview} {
		// Landscape, one page wide, the header repeated on every printed page: the ledger is
		// printed and stamped before it is sent back.
		orient, fit := "landscape", 1
		if err := f.SetPageLayout(sh, &excelize.PageLayoutOptions{Orientation: &orient, FitToWidth: &fit}); err != nil {
			return err
		}
		if err := f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: "'" + sh + "'!$1:$1", Scope: sh}); err != nil {
			return err
		}
	}
	_, err := f.WriteTo(w)
	return err
}

// writeSheet writes a list sheet: a styled header row (bold, filled, bordered, wrapped),
// frozen and filterable, bordered body cells that wrap, the given column widths. The workbook's
// first sheet is renamed rather than left empty. Numbers-as-text columns (序号) are written as
// numbers so they sort.
func writeSheet(f *excelize.File, name string, header []string, rows [][]string, widths []float64) error {
	if idx, _ := f.GetSheetIndex(name); idx < 0 {
		if first := f.GetSheetName(0); first == "Sheet1" && len(f.GetSheetList()) == 1 {
			if err := f.SetSheetName(first, name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(name); err != nil {
			return err
		}
	}
	border := []excelize.Border{{Type: "left", Color: "999999", Style: 1}, {Type: "top", Color: "999999", Style: 1},
		{Type: "right", Color: "999999", Style: 1}, {Type: "bottom", Color: "999999", Style: 1}}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Border: border,
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}})
	if err != nil {
		return err
	}
	body, err := f.NewStyle(&excelize.Style{Border: border, Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	if err != nil {
		return err
	}
	hv := make([]any, len(header))
	for i, h := range header {
		hv[i] = h
	}
	if err := f.SetSheetRow(name, "A1", &hv); err != nil {
		return err
	}
	last, _ := excelize.CoordinatesToCellName(len(header), 1)
	if err := f.SetCellStyle(name, "A1", last, head); err != nil {
		return err
	}
	for i, r := range rows {
		vals := make([]any, len(r))
		for c, v := range r {
			vals[c] = v
			if c == 0 && header[0] == "序号" {
				if n, err := strconv.Atoi(v); err == nil {
					vals[c] = n
				}
			}
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := f.SetSheetRow(name, cell, &vals); err != nil {
			return err
		}
	}
	lastRow := max(len(rows)+1, 2)
	end, _ := excelize.CoordinatesToCellName(len(header), lastRow)
	if len(rows) > 0 {
		if err := f.SetCellStyle(name, "A2", end, body); err != nil {
			return err
		}
	}
	for i, wd := range widths {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(name, col, col, wd); err != nil {
			return err
		}
	}
	if err := f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	filterEnd, _ := excelize.CoordinatesToCellName(len(header), len(rows)+1)
	return f.AutoFilter(name, "A1:"+filterEnd, nil)
}
