package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/xuri/excelize/v2"

	"github.com/nmaudit/nmaudit/audit/history"
)

// The rectification ledger (整改台账): which rows it has is history.BuildLedger's; this file
// writes the workbook.

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

func newLedgerCmd(s *streams) *cobra.Command {
	var output, deadline string
	cmd := &cobra.Command{
		Use:   "ledger RUN -o FILE.xlsx [--deadline 2006-01-02]",
		Short: "把一次运行中不合格账号的问题写成整改台账（xlsx）",
		Long: `ledger 把一次已完成运行的整改台账写成 xlsx 工作簿：工作表“整改台账”中，每个不合格账号的
每个问题占一行，按开设主体、再按账号名称（拼音顺序）排列，列为
序号 | 账号名称 | 开设主体 | 账号类型 | 问题类别 | 问题描述 | 检查时更新日期 | 整改措施 | 责任人 |
整改时限 | 整改情况 | 复核结果；整改措施、责任人、整改情况和复核结果留给各单位填写，整改时限
取 --deadline（日期的写法与观察记录相同：2022-09-30、2022/9/30 或 2022年9月30日）。工作表
“待核查清单”列出待核查的账号及原因。`,
		Example: `  nmaudit ledger 20220825-170000-3f9a -o 整改台账.xlsx --deadline 2022-09-30`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == "" {
				return usageErrorf("必须用 -o FILE.xlsx 指定整改台账文件")
			}
			if !strings.EqualFold(filepath.Ext(output), ".xlsx") {
				return usageErrorf("-o %s：整改台账是 Excel 工作簿，文件名应以 .xlsx 结尾", output)
			}
			cfg, err := loadConfig(cmd, nil)
			if err != nil {
				return err
			}
			var due *time.Time
			if deadline != "" {
				t, err := history.ParseDeadline(deadline, cfg.Location)
				if err != nil {
					return cliError(err)
				}
				due = &t
			}
			return withArchive(cmd, cfg, func(a *history.Archive) error {
				rec, err := a.Finished(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				l := history.BuildLedger(rec, due)
				rf := reportFlags{Format: "xlsx", Output: output}
				if err := rf.write(s.Out, func(w io.Writer) error { return writeLedger(w, l) }); err != nil {
					return err
				}
				fmt.Fprintf(s.Err, "整改台账已写入 %s：%d 条（%d 个不合格账号），待核查 %d 个\n", output, len(l.Rows), l.Accounts, len(l.Review))
				return nil
			})
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "把整改台账写入 `FILE`.xlsx（必须指定）")
	cmd.Flags().StringVar(&deadline, "deadline", "", "整改时限，日期，如 2022-09-30")
	return cmd
}

// writeLedger writes the ledger's workbook: both sheets numbered, the columns units fill left
// empty.
func writeLedger(w io.Writer, l *history.Ledger) error {
	f := excelize.NewFile()
	defer f.Close()
	rows := make([][]string, 0, len(l.Rows))
	for i, r := range l.Rows {
		rows = append(rows, []string{strconv.Itoa(i + 1), r.Name, r.Owner, r.Type, r.Category, r.Description, r.Updated,
			"", "", r.Deadline, "", ""})
	}
	review := make([][]string, 0, len(l.Review))
	for i, r := range l.Review {
		review = append(review, []string{strconv.Itoa(i + 1), r.Name, r.Owner, r.Type, r.AccountID, r.Reason, ""})
	}
	if err := writeSheet(f, sheetLedger, ledgerHeader, rows, ledgerWidths); err != nil {
		return err
	}
	if err := writeSheet(f, sheetReview, reviewHeader, review, reviewWidths); err != nil {
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
