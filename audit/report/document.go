package report

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/nmaudit/nmaudit/audit"
)

// document is what the table and md reports show, independent of how they draw it: a header
// line, then titled sections of text lines and at most one table each. Building it once keeps
// the two formats saying exactly the same thing.
type document struct {
	header   []string
	sections []section
}

type section struct {
	title string
	lines []string // printed before the table (or instead of it)
	table *grid
}

// grid is a table's content. right marks the numeric columns, which read best right-aligned.
type grid struct {
	header []string
	rows   [][]string
	right  []bool
}

// checkDocument lays out a check report: header line, summary, level breakdown, the
// unqualified list with the seed report's five columns, then the lists that need attention.
func checkDocument(r *audit.Result, opt Options) document {
	loc := opt.Location
	d := document{header: []string{fmt.Sprintf("%s %s    %s %s (%s)",
		headCheckTime, r.CheckTime.In(loc).Format(layoutMinute),
		headWindow, r.Window.Phrase(), r.Window.String())}}

	s := r.Summary
	d.sections = append(d.sections, section{title: titleOverview, table: &grid{
		header: []string{colItem, colValue},
		right:  []bool{false, true},
		rows: [][]string{
			{sumRegistryRows, strconv.Itoa(s.RegistryRows)},
			{sumClosed, strconv.Itoa(s.ClosedExcluded)},
			{sumInScope, strconv.Itoa(s.InScope)},
			{audit.LabelPendingClosure, strconv.Itoa(s.PendingClosure)},
			{audit.LabelQualified, strconv.Itoa(s.Qualified)},
			{audit.LabelUnqualified, strconv.Itoa(s.Unqualified)},
			{audit.LabelNeedsReview, strconv.Itoa(s.NeedsReview)},
			{sumRate, FormatRate(s.UnqualifiedRate, opt.RateDecimals)},
		},
	}})

	d.sections = append(d.sections, section{title: titleByLevel, table: levelGrid(levelBreakdown(r.Accounts, opt.Levels), opt.RateDecimals)})

	unq := section{title: titleUnqualified, table: &grid{header: unqualifiedHeader}}
	for _, v := range r.Accounts {
		if v.Status == audit.Unqualified {
			unq.table.rows = append(unq.table.rows, unqualifiedRow(v))
		}
	}
	if len(unq.table.rows) == 0 {
		// The list is what inspection offices file: say "none" rather than leave it out.
		unq = section{title: titleUnqualified, lines: []string{noneLine}}
	}
	d.sections = append(d.sections, unq)

	review := &grid{header: []string{colName, colOwner, colType, colReason}}
	for _, v := range r.Accounts {
		if v.Status == audit.NeedsReview {
			review.rows = append(review.rows, []string{v.Name, v.Owner, v.Type, v.Detail})
		}
	}
	if len(review.rows) > 0 {
		d.sections = append(d.sections, section{title: titleNeedsReview, table: review})
	}

	if len(r.Warnings) > 0 {
		g := &grid{header: warningHeader, right: []bool{false, false, false, false, true}}
		for _, w := range r.Warnings {
			g.rows = append(g.rows, []string{w.Name, w.Owner, w.Type,
				formatTime(&w.LatestPostAt, loc, layoutMinute), strconv.Itoa(w.DaysSincePost)})
		}
		d.sections = append(d.sections, section{title: titleWarnings, table: g})
	}

	if len(r.Unregistered) > 0 {
		g := &grid{header: unregisteredHeader, right: []bool{false, false, false, true}}
		for _, u := range r.Unregistered {
			g.rows = append(g.rows, []string{u.Name, u.Owner, u.Type, rowNumber(u.Row)})
		}
		d.sections = append(d.sections, section{title: titleUnregistered, table: g})
	}

	if len(r.Duplicates) > 0 {
		g := &grid{header: duplicateHeader}
		for _, dup := range r.Duplicates {
			g.rows = append(g.rows, []string{dup.Name, dup.Type, joinRows(dup.Rows)})
		}
		d.sections = append(d.sections, section{title: titleDuplicates, table: g})
	}
	return d
}

// Headers shared by the table/md sections and the matching xlsx sheets.
var (
	unqualifiedHeader  = []string{colName, colOwner, colType, colResult, colProblems}
	warningHeader      = []string{colName, colOwner, colType, colWarnLatest, colDaysSince}
	unregisteredHeader = []string{colName, colOwner, colType, colListRow}
	duplicateHeader    = []string{colName, colType, colRegistryRow}
	levelHeader        = []string{colLevel, colChecked, audit.LabelQualified, audit.LabelUnqualified,
		audit.LabelPendingClosure, audit.LabelNeedsReview, colRate}
	reconcileHeader = []string{colName, colType, colOwner, colRegistryRow, colListRow, colDifference}
)

// unqualifiedRow is one line of the 附件 list: 账号名称 | 开设主体 | 账号类型 | 检查结果 | 存在的严重问题.
func unqualifiedRow(v audit.Verdict) []string {
	return []string{v.Name, v.Owner, v.Type, v.Status.Label(), strings.Join(v.Problems, problemsSep)}
}

// levelCount is one line of the level breakdown.
type levelCount struct {
	level                                                string
	checked, qualified, unqualified, pending, needReview int
}

func (c levelCount) rate() float64 { return ratio(c.unqualified, c.checked) }

// levelBreakdown counts the in-scope accounts per level, each account levelled by
// accountLevel (so 市直部门 and 市级部门 count together, and a registry without a 层级 column is
// levelled from the owners' names) and ordered as inspection reports list them: the four
// canonical levels, then any other wording in code-point order (deterministic, unlike map
// order), then accounts whose level could not be determined, then the total. Every canonical
// level is listed even when empty, so reports of different rounds line up row for row.
func levelBreakdown(accounts []audit.Verdict, lr *audit.LevelResolver) []levelCount {
	counts := map[string]*levelCount{}
	for _, l := range audit.CanonicalLevels {
		counts[l] = &levelCount{level: l}
	}
	var others []string
	total := levelCount{level: levelTotal}
	for _, v := range accounts {
		l, _ := accountLevel(lr, v)
		c, ok := counts[l]
		if !ok {
			c = &levelCount{level: l}
			counts[l] = c
			if l != audit.LevelUndetermined {
				others = append(others, l)
			}
		}
		for _, lc := range []*levelCount{c, &total} {
			lc.checked++
			switch v.Status {
			case audit.Qualified:
				lc.qualified++
			case audit.Unqualified:
				lc.unqualified++
			case audit.PendingReview:
				lc.pending++
			case audit.NeedsReview:
				lc.needReview++
			}
		}
	}
	sort.Strings(others)
	order := append(slices.Clone(audit.CanonicalLevels), others...)
	if _, ok := counts[audit.LevelUndetermined]; ok {
		order = append(order, audit.LevelUndetermined)
	}
	out := make([]levelCount, 0, len(order)+1)
	for _, l := range order {
		out = append(out, *counts[l])
	}
	return append(out, total)
}

func levelGrid(counts []levelCount, decimals int) *grid {
	g := &grid{header: levelHeader, right: []bool{false, true, true, true, true, true, true}}
	for _, c := range counts {
		g.rows = append(g.rows, []string{c.level, strconv.Itoa(c.checked), strconv.Itoa(c.qualified),
			strconv.Itoa(c.unqualified), strconv.Itoa(c.pending), strconv.Itoa(c.needReview),
			FormatRate(c.rate(), decimals)})
	}
	return g
}

// reconcileDocument lays out a reconciliation: which files, the counts, then one section per
// non-empty list. The lists that ask for action come first; the matched list, usually the
// longest and needing nothing, comes last.
func reconcileDocument(r *audit.Reconciliation) document {
	d := document{header: []string{
		fmt.Sprintf("%s: %s", recRegistryFile, r.Registry),
		fmt.Sprintf("%s: %s", recListFile, r.List),
	}}
	sum := &grid{header: []string{colItem, colValue}, right: []bool{false, true},
		rows: [][]string{
			{recRegistryRows, strconv.Itoa(r.Summary.RegistryRows)},
			{recListRows, strconv.Itoa(r.Summary.ListRows)},
		}}
	for _, c := range reconcileCategories {
		sum.rows = append(sum.rows, []string{c.summary, strconv.Itoa(c.count(r.Summary))})
	}
	d.sections = append(d.sections, section{title: titleReconcile, table: sum})

	order := append(append([]reconcileCategory{}, reconcileCategories[1:]...), reconcileCategories[0])
	for _, c := range order {
		entries := c.entries(r)
		if len(entries) == 0 {
			continue
		}
		g := &grid{header: reconcileHeader, right: []bool{false, false, false, true, true, false}}
		for _, e := range entries {
			g.rows = append(g.rows, []string{e.Name, e.Type, e.Owner,
				rowNumber(e.RegistryRow), rowNumber(e.ListRow), differences(e, c.key == "status_mismatch")})
		}
		d.sections = append(d.sections, section{title: c.title, table: g})
	}
	return d
}

// differences describes what differs, list first (what the unit wrote) then the registry:
// 状态（清单: 已注销 / 系统: 正常运行）. A status-mismatch entry with no recorded difference
// falls back to its two statuses, so the section never shows an empty 差异.
func differences(e audit.ReconcileEntry, statusList bool) string {
	diffs := e.Differences
	if len(diffs) == 0 && statusList {
		diffs = []audit.Difference{{Field: "status", Registry: e.RegistryStatus, List: e.ListStatus}}
	}
	parts := make([]string, 0, len(diffs))
	for _, df := range diffs {
		label, ok := fieldLabels[df.Field]
		if !ok {
			label = df.Field
		}
		parts = append(parts, fmt.Sprintf("%s（%s%s / %s%s）", label, recListPrefix, df.List, recRegPrefix, df.Registry))
	}
	return strings.Join(parts, problemsSep)
}

// rowNumber prints a spreadsheet row number; 0 (absent from that file) prints empty.
func rowNumber(n int) string {
	if n <= 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func joinRows(rows []int) string {
	parts := make([]string, len(rows))
	for i, n := range rows {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, rowsSep)
}
