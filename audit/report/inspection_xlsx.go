package report

import (
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/nmaudit/nmaudit/audit"
)

// The inspection workbook: 总体情况 (title, the paragraphs, the counts), 存在问题 (one row per
// problem and account), 附件 (the unqualified list with the seed's columns), 分层级, 分平台 and
// 分单位 (counts as numbers, rates as percentage cells, so offices can sum and chart them), then
// 预警, 待核查 and 未登记 when they have rows.

// Sheet names of the inspection workbook.
const (
	sheetInspOverview = "总体情况"
	sheetInspProblems = "存在问题"
	sheetInspAttach   = "附件"
	sheetInspLevel    = "分层级"
	sheetInspPlatform = "分平台"
	sheetInspOwner    = "分单位"
	sheetInspWarnings = "预警"
	sheetInspReview   = "待核查"
	sheetInspUnreg    = "未登记"
	colSeq            = "序号"
	colProblemKind    = "问题"
)

// overviewWidth is the width, in Excel units, of the merged cells holding the paragraphs.
const overviewWidth = 110

func inspectionXLSX(w io.Writer, d inspectionDoc, opt Options) error {
	b, err := newBook(opt.RateDecimals)
	if err != nil {
		return err
	}
	defer b.f.Close()
	wrap, err := b.f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	title, err := b.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 16},
		Alignment: &excelize.Alignment{Horizontal: "center"}})
	if err != nil {
		return err
	}
	if err := b.inspectionOverview(d, wrap, title); err != nil {
		return err
	}

	// 存在问题: one row per problem and account, numbered as the document numbers the items.
	type problemRow struct {
		item string
		v    audit.Verdict
	}
	var prows []problemRow
	for i, g := range d.problems {
		for _, v := range g.accounts {
			prows = append(prows, problemRow{"（" + chineseNumber(i+1) + "）" + g.heading, v})
		}
	}
	if err := b.listSheet(sheetInspProblems, []string{colSeq, colProblemKind, colName, colOwner, colType, colProblems},
		len(prows), func(i int) []any {
			r := prows[i]
			return []any{i + 1, r.item, r.v.Name, r.v.Owner, r.v.Type, strings.Join(r.v.Problems, problemsSep)}
		}); err != nil {
		return err
	}
	att := d.attachment.grid
	if err := b.listSheet(sheetInspAttach, att.header, len(att.rows), func(i int) []any {
		return strings2any(att.rows[i])
	}); err != nil {
		return err
	}
	if err := b.tallySheet(sheetInspLevel, colLevelShort, d.byLevel, d.total, false, opt.RateDecimals); err != nil {
		return err
	}
	if err := b.tallySheet(sheetInspPlatform, colPlatformName, d.byPlatform, d.total, false, opt.RateDecimals); err != nil {
		return err
	}
	if err := b.tallySheet(sheetInspOwner, colOwner, d.byOwner, d.total, true, opt.RateDecimals); err != nil {
		return err
	}
	for _, l := range []struct {
		name string
		g    *grid
	}{{sheetInspWarnings, d.warnings}, {sheetInspReview, d.review}, {sheetInspUnreg, d.unreg}} {
		if l.g == nil {
			continue
		}
		g := l.g
		if err := b.listSheet(l.name, g.header, len(g.rows), func(i int) []any { return strings2any(g.rows[i]) }); err != nil {
			return err
		}
	}
	return b.write(w)
}

// inspectionOverview fills 总体情况: the title, the meta lines, the 总体情况 paragraphs in merged
// wrapped cells, then the counts.
func (b *book) inspectionOverview(d inspectionDoc, wrap, title int) error {
	const sh = sheetInspOverview
	if err := b.addSheet(sh); err != nil {
		return err
	}
	row := 1
	merge := func(style int, height float64, text string) error {
		cell, _ := excelize.CoordinatesToCellName(1, row)
		last, _ := excelize.CoordinatesToCellName(2, row)
		if err := b.f.SetCellStr(sh, cell, text); err != nil {
			return err
		}
		if err := b.f.MergeCell(sh, cell, last); err != nil {
			return err
		}
		if style != 0 {
			if err := b.f.SetCellStyle(sh, cell, last, style); err != nil {
				return err
			}
		}
		if height > 0 {
			if err := b.f.SetRowHeight(sh, row, height); err != nil {
				return err
			}
		}
		row++
		return nil
	}
	if err := merge(title, 24, d.title); err != nil {
		return err
	}
	for _, m := range d.meta {
		if err := merge(0, 0, m); err != nil {
			return err
		}
	}
	row++
	if err := merge(b.bold, 0, chineseNumber(1)+"、"+inspOverview); err != nil {
		return err
	}
	for _, p := range d.overview {
		lines := displayWidth(p)/overviewWidth + 1
		if err := merge(wrap, float64(lines)*16+4, p); err != nil {
			return err
		}
	}
	row++
	t := d.total
	rows := [][]any{
		{colItem, colValue},
		{colChecked, t.checked},
		{audit.LabelPendingClosure, t.pending},
		{audit.LabelQualified, t.qualified},
		{audit.LabelUnqualified, t.unqualified},
		{audit.LabelNeedsReview, t.needReview},
		{colRate, t.unqualifiedRate()},
		{colPassRate, t.passRate()},
	}
	start := row
	for i, r := range rows {
		style := 0
		if i == 0 {
			style = b.bold
		}
		if err := b.setRow(sh, row, r, style); err != nil {
			return err
		}
		row++
	}
	for _, r := range []int{start + 6, start + 7} {
		if err := b.styleCell(sh, 2, r, b.percent); err != nil {
			return err
		}
	}
	if err := b.f.SetColWidth(sh, "A", "A", 16); err != nil {
		return err
	}
	return b.f.SetColWidth(sh, "B", "B", overviewWidth-16)
}

// tallySheet writes a breakdown with numbers as numbers and rates as percentage cells.
func (b *book) tallySheet(name, first string, ts []tally, total tally, withLevel bool, decimals int) error {
	if err := b.addSheet(name); err != nil {
		return err
	}
	header := tallyGrid(first, nil, nil, 0, withLevel).header
	rows := [][]any{strings2any(header)}
	for _, t := range append(append([]tally{}, ts...), total) {
		r := []any{t.label}
		if withLevel {
			r = append(r, t.level)
		}
		var pass any = "-"
		if t.checked-t.pending > 0 {
			pass = t.passRate()
		}
		r = append(r, t.checked, t.qualified, t.unqualified, t.pending, t.needReview, t.unqualifiedRate(), pass)
		rows = append(rows, r)
	}
	// The 合计 row is bold, its rates too.
	boldPercent, err := b.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}, CustomNumFmt: ptr(percentFormat(decimals))})
	if err != nil {
		return err
	}
	for i, r := range rows {
		style, pct := 0, b.percent
		if i == 0 || i == len(rows)-1 {
			style, pct = b.bold, boldPercent
		}
		if err := b.setRow(name, i+1, r, style); err != nil {
			return err
		}
		if i == 0 {
			continue
		}
		for c := len(r) - 1; c <= len(r); c++ {
			if err := b.styleCell(name, c, i+1, pct); err != nil {
				return err
			}
		}
	}
	if err := b.f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	return b.fitColumns(name, rows)
}
