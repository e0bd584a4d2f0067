package report

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/width"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/platforms"
)

// The xlsx reports are what offices file and forward: a 汇总 sheet with the counts, then one
// sheet per list, each with a bold frozen header row and columns wide enough for their Chinese
// text. List sheets are written with excelize's StreamWriter, which keeps memory flat for the
// 10^5-account runs of a province (design.md).

// Excel number formats: dates are real date cells (sortable, filterable) shown the way the
// other formats print them.
const (
	numFmtDateTime = "yyyy-mm-dd hh:mm:ss"
	numFmtMinute   = "yyyy-mm-dd hh:mm"
)

// Column widths in Excel's units (about one Latin digit): wide enough for the longest cell,
// within bounds so one long 说明 cannot push the rest of the sheet off screen.
const (
	minColWidth  = 8
	maxColWidth  = 60
	colWidthPad  = 2
	dateColWidth = 19 // "2022-07-30 18:02:11"
)

// book wraps an excelize workbook with the styles the reports share.
type book struct {
	f        *excelize.File
	sheets   int
	bold     int // header cells
	dateTime int // 最近更新时间 and the like
	minute   int // the check time
	percent  int // 不合格占比
}

func newBook(rateDecimals int) (*book, error) {
	f := excelize.NewFile()
	b := &book{f: f}
	styles := []struct {
		id    *int
		style *excelize.Style
	}{
		{&b.bold, &excelize.Style{
			Font: &excelize.Font{Bold: true},
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		}},
		{&b.dateTime, &excelize.Style{CustomNumFmt: ptr(numFmtDateTime)}},
		{&b.minute, &excelize.Style{CustomNumFmt: ptr(numFmtMinute)}},
		{&b.percent, &excelize.Style{CustomNumFmt: ptr(percentFormat(rateDecimals))}},
	}
	for _, s := range styles {
		id, err := f.NewStyle(s.style)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("报告: xlsx 样式: %w", err)
		}
		*s.id = id
	}
	return b, nil
}

func ptr[T any](v T) *T { return &v }

// percentFormat is the Excel format showing a ratio with the given decimals: 0.0% for 1. The
// cell keeps the exact ratio; Excel rounds only what it shows.
func percentFormat(decimals int) string {
	if decimals <= 0 {
		return "0%"
	}
	f := "0."
	for range decimals {
		f += "0"
	}
	return f + "%"
}

// addSheet creates a sheet. The first one takes over the default "Sheet1" (renamed, so the
// workbook has no empty sheet and opens on the summary).
func (b *book) addSheet(name string) error {
	b.sheets++
	if b.sheets == 1 {
		return b.f.SetSheetName(b.f.GetSheetName(0), name)
	}
	_, err := b.f.NewSheet(name)
	return err
}

// listSheet writes a list: header row, then n rows from row(i). Cell values are strings, ints,
// time.Time (a date cell, in the zone it carries) or nil (an empty cell). The header row is
// frozen and filterable, so a sheet of 10^5 accounts stays readable. row is called twice per
// row — once to size the columns, which the streaming writer must know before the first row —
// instead of holding every row in memory.
func (b *book) listSheet(name string, header []string, n int, row func(i int) []any) error {
	if err := b.addSheet(name); err != nil {
		return err
	}
	widths := make([]int, len(header))
	for c, h := range header {
		widths[c] = displayWidth(h)
	}
	for i := range n {
		for c, v := range row(i) {
			if c < len(widths) {
				widths[c] = max(widths[c], valueWidth(v))
			}
		}
	}
	if n > 0 {
		// Set before streaming: the stream writer copies the sheet's autoFilter as it stands.
		last, err := excelize.CoordinatesToCellName(len(header), n+1)
		if err != nil {
			return err
		}
		if err := b.f.AutoFilter(name, "A1:"+last, nil); err != nil {
			return fmt.Errorf("报告: xlsx 工作表 %s: 筛选: %w", name, err)
		}
	}
	sw, err := b.f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	for c, w := range widths {
		if err := sw.SetColWidth(c+1, c+1, colWidth(w)); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	cells := make([]any, len(header))
	for c, h := range header {
		cells[c] = excelize.Cell{StyleID: b.bold, Value: h}
	}
	if err := sw.SetRow("A1", cells); err != nil {
		return err
	}
	for i := range n {
		values := row(i)
		cells := make([]any, len(values))
		for c, v := range values {
			if t, ok := v.(time.Time); ok {
				v = excelize.Cell{StyleID: b.dateTime, Value: t}
			}
			cells[c] = v
		}
		cell, err := excelize.CoordinatesToCellName(1, i+2)
		if err != nil {
			return err
		}
		if err := sw.SetRow(cell, cells); err != nil {
			return fmt.Errorf("报告: xlsx 工作表 %s 第%d行: %w", name, i+2, err)
		}
	}
	return sw.Flush()
}

// setRow writes one row of a normally written sheet from column A, styled when style != 0.
func (b *book) setRow(sheet string, row int, values []any, style int) error {
	cell, err := excelize.CoordinatesToCellName(1, row)
	if err != nil {
		return err
	}
	if err := b.f.SetSheetRow(sheet, cell, &values); err != nil {
		return err
	}
	if style == 0 {
		return nil
	}
	last, err := excelize.CoordinatesToCellName(len(values), row)
	if err != nil {
		return err
	}
	return b.f.SetCellStyle(sheet, cell, last, style)
}

func (b *book) styleCell(sheet string, col, row, style int) error {
	cell, err := excelize.CoordinatesToCellName(col, row)
	if err != nil {
		return err
	}
	return b.f.SetCellStyle(sheet, cell, cell, style)
}

// fitColumns sizes a normally written sheet's columns to its widest cells.
func (b *book) fitColumns(sheet string, rows [][]any) error {
	var widths []int
	for _, r := range rows {
		for c, v := range r {
			if c >= len(widths) {
				widths = append(widths, 0)
			}
			widths[c] = max(widths[c], valueWidth(v))
		}
	}
	for c, w := range widths {
		name, err := excelize.ColumnNumberToName(c + 1)
		if err != nil {
			return err
		}
		if err := b.f.SetColWidth(sheet, name, name, colWidth(w)); err != nil {
			return err
		}
	}
	return nil
}

// write saves the workbook to w. The workbook already opens on its first sheet (the renamed
// Sheet1); calling SetActiveSheet would make excelize parse every streamed sheet back into
// memory (a second or more for 10^5 rows) only to mark the tabs.
func (b *book) write(w io.Writer) error {
	if err := b.f.Write(w); err != nil {
		return fmt.Errorf("无法写出 xlsx: %w", err)
	}
	return nil
}

// checkXLSX writes the check workbook: 汇总, 不合格名单, 全部账号, then 待核查, 预警, 未登记
// and 重复登记 when they have rows.
func checkXLSX(w io.Writer, r *audit.Result, opt Options) error {
	b, err := newBook(opt.RateDecimals)
	if err != nil {
		return err
	}
	defer b.f.Close()
	if err := b.checkSummary(r, opt); err != nil {
		return err
	}
	loc := opt.Location
	var unq, review []audit.Verdict
	for _, v := range r.Accounts {
		switch v.Status {
		case audit.Unqualified:
			unq = append(unq, v)
		case audit.NeedsReview:
			review = append(review, v)
		}
	}
	if err := b.listSheet(sheetUnqualified, unqualifiedHeader, len(unq), func(i int) []any {
		return strings2any(unqualifiedRow(unq[i]))
	}); err != nil {
		return err
	}
	if err := b.listSheet(sheetAll, allAccountsHeader, len(r.Accounts), func(i int) []any {
		v := r.Accounts[i]
		row := strings2any(allAccountsRow(v, opt))
		row[allAccountsLatestCol] = excelTime(v.LatestPostAt, loc)
		return row
	}); err != nil {
		return err
	}
	if len(review) > 0 {
		if err := b.listSheet(sheetNeedsReview, []string{colName, colOwner, colType, colReason}, len(review), func(i int) []any {
			v := review[i]
			return []any{v.Name, v.Owner, v.Type, v.Detail}
		}); err != nil {
			return err
		}
	}
	if len(r.Warnings) > 0 {
		if err := b.listSheet(sheetWarnings, warningHeader, len(r.Warnings), func(i int) []any {
			x := r.Warnings[i]
			return []any{x.Name, x.Owner, x.Type, excelTime(&x.LatestPostAt, loc), x.DaysSincePost}
		}); err != nil {
			return err
		}
	}
	if len(r.Unregistered) > 0 {
		if err := b.listSheet(sheetUnregistered, unregisteredHeader, len(r.Unregistered), func(i int) []any {
			u := r.Unregistered[i]
			return []any{u.Name, u.Owner, u.Type, optionalInt(u.Row)}
		}); err != nil {
			return err
		}
	}
	if len(r.Duplicates) > 0 {
		if err := b.listSheet(sheetDuplicates, duplicateHeader, len(r.Duplicates), func(i int) []any {
			d := r.Duplicates[i]
			return []any{d.Name, d.Type, joinRows(d.Rows)}
		}); err != nil {
			return err
		}
	}
	return b.write(w)
}

// checkSummary fills 汇总: check time and window, the counts, and the level breakdown with
// real numbers (percentages as ratios with a percent format), so offices can sum and chart them.
func (b *book) checkSummary(r *audit.Result, opt Options) error {
	if err := b.addSheet(sheetSummary); err != nil {
		return err
	}
	s := r.Summary
	rows := [][]any{
		{headCheckTime, r.CheckTime.In(opt.Location)},
		{headWindow, fmt.Sprintf("%s (%s)", r.Window.Phrase(), r.Window.String())},
		nil,
		{colItem, colValue},
		{sumRegistryRows, s.RegistryRows},
		{sumClosed, s.ClosedExcluded},
		{sumInScope, s.InScope},
		{audit.LabelPendingClosure, s.PendingClosure},
		{audit.LabelQualified, s.Qualified},
		{audit.LabelUnqualified, s.Unqualified},
		{audit.LabelNeedsReview, s.NeedsReview},
		{sumRate, s.UnqualifiedRate},
		nil,
		{titleByLevel},
		strings2any(levelHeader),
	}
	const (
		timeRow, itemHeaderRow, rateRow, levelTitleRow, levelHeaderRow = 1, 4, 12, 14, 15
	)
	for _, c := range levelBreakdown(r.Accounts, opt.Levels) {
		rows = append(rows, []any{c.level, c.checked, c.qualified, c.unqualified, c.pending, c.needReview, c.rate()})
	}
	for i, row := range rows {
		if row == nil {
			continue
		}
		style := 0
		if i+1 == itemHeaderRow || i+1 == levelTitleRow || i+1 == levelHeaderRow {
			style = b.bold
		}
		if err := b.setRow(sheetSummary, i+1, row, style); err != nil {
			return err
		}
	}
	if err := b.styleCell(sheetSummary, 1, timeRow, b.bold); err != nil {
		return err
	}
	if err := b.styleCell(sheetSummary, 1, timeRow+1, b.bold); err != nil {
		return err
	}
	if err := b.styleCell(sheetSummary, 2, timeRow, b.minute); err != nil {
		return err
	}
	if err := b.styleCell(sheetSummary, 2, rateRow, b.percent); err != nil {
		return err
	}
	rateCol := len(levelHeader)
	for i := levelHeaderRow + 1; i <= len(rows); i++ {
		if err := b.styleCell(sheetSummary, rateCol, i, b.percent); err != nil {
			return err
		}
	}
	return b.fitColumns(sheetSummary, rows)
}

var reconcileXLSXHeader = []string{colName, colType, colOwner, colPlatform, colRegistryRow, colListRow,
	colRegistryState, colListState, colDifference}

// reconcileXLSX writes 汇总 and one sheet per list, every list present (an empty sheet with
// its header says "checked, none found", and scripts can rely on the sheet names).
func reconcileXLSX(w io.Writer, r *audit.Reconciliation) error {
	b, err := newBook(0)
	if err != nil {
		return err
	}
	defer b.f.Close()
	if err := b.addSheet(sheetSummary); err != nil {
		return err
	}
	rows := [][]any{
		{recRegistryFile, r.Registry},
		{recListFile, r.List},
		nil,
		{colItem, colValue},
		{recRegistryRows, r.Summary.RegistryRows},
		{recListRows, r.Summary.ListRows},
	}
	for _, c := range reconcileCategories {
		rows = append(rows, []any{c.summary, c.count(r.Summary)})
	}
	for i, row := range rows {
		if row == nil {
			continue
		}
		style := 0
		if i == 3 {
			style = b.bold
		}
		if err := b.setRow(sheetSummary, i+1, row, style); err != nil {
			return err
		}
	}
	for _, row := range []int{1, 2} {
		if err := b.styleCell(sheetSummary, 1, row, b.bold); err != nil {
			return err
		}
	}
	if err := b.fitColumns(sheetSummary, rows); err != nil {
		return err
	}
	for _, c := range reconcileCategories {
		entries := c.entries(r)
		status := c.key == "status_mismatch"
		if err := b.listSheet(c.short, reconcileXLSXHeader, len(entries), func(i int) []any {
			e := entries[i]
			return []any{e.Name, e.Type, e.Owner, PlatformLabel(platforms.Platform(e.Platform)), optionalInt(e.RegistryRow), optionalInt(e.ListRow),
				e.RegistryStatus, e.ListStatus, differences(e, status)}
		}); err != nil {
			return err
		}
	}
	return b.write(w)
}

func strings2any(row []string) []any {
	out := make([]any, len(row))
	for i, s := range row {
		out[i] = s
	}
	return out
}

// optionalInt is a row number cell: a number, or empty for 0 (absent from that file).
func optionalInt(n int) any {
	if n <= 0 {
		return nil
	}
	return n
}

// excelTime is a date cell value: the wall-clock time in loc (excelize stores the wall clock
// of the zone a time carries), or an empty cell.
func excelTime(t *time.Time, loc *time.Location) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return t.In(loc)
}

func valueWidth(v any) int {
	switch v := v.(type) {
	case nil:
		return 0
	case string:
		return displayWidth(v)
	case time.Time:
		return dateColWidth
	case int:
		return len(strconv.Itoa(v))
	case float64:
		return 8
	}
	return displayWidth(fmt.Sprint(v))
}

func colWidth(w int) float64 {
	return float64(min(max(w+colWidthPad, minColWidth), maxColWidth))
}

// displayWidth counts East-Asian wide and full-width characters (汉字, ；, （) as two columns
// and everything else as one — how Excel's default fonts set them, near enough to size a
// column.
func displayWidth(s string) int {
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
