package report

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// renderTable draws a document for a terminal: the header line, then each section as a
// 【title】 line and an ASCII-bordered table, sections separated by a blank line.
//
// Width. tablewriter v1.1.5 measures text with pkg/twwidth, whose East-Asian mode is global
// state decided once at package init from RUNEWIDTH_EASTASIAN, TERM_PROGRAM/TERM and
// LC_ALL/LC_CTYPE/LANG: under a zh_CN locale in a terminal it does not recognise it switches on,
// and then counts East-Asian *ambiguous* characters (“ ” … · and the box-drawing set) as 2 —
// which is not how modern terminals draw them, and makes the output depend on the environment.
// Every table therefore passes WithEastAsian(tw.Off), which resets that global to "ambiguous =
// 1" before rendering. CJK ideographs and full-width punctuation (East-Asian Wide/Fullwidth,
// e.g. 汉 ； （ 、) are still 2 columns in that mode, which is how every terminal draws them, so
// Chinese columns line up and the bytes are the same whatever the locale.
//
// Borders are plain ASCII (+ - |): they are 1 column in every terminal, code page and font
// (box-drawing characters are East-Asian ambiguous and print double-width in the Windows
// console under code page 936 and in legacy CJK terminals), and they survive being redirected
// to a file and opened in Notepad or WPS.
//
// Width. With width > 0 (a terminal of that many columns) a table wider than the terminal
// would wrap line by line and its columns would fall apart, so the widest columns are narrowed
// until the table fits and their cells wrap inside the column (fitColumns). With width 0 — a
// file, a pipe — every row stays on one line, so the output greps and diffs cleanly.
func renderTable(w io.Writer, d document, width int) error {
	ew := &errWriter{w: w}
	for _, h := range d.header {
		ew.printf("%s\n", cellText(h))
	}
	for _, s := range d.sections {
		ew.printf("\n【%s】\n", s.title)
		for _, l := range s.lines {
			ew.printf("%s\n", cellText(l))
		}
		if s.table != nil && ew.err == nil {
			if err := drawTable(ew, s.table, width); err != nil {
				return err
			}
		}
	}
	return ew.err
}

func drawTable(w io.Writer, g *grid, width int) error {
	header, rows := fitColumns(g, width)
	aligns := make([]tw.Align, len(g.header))
	for i := range aligns {
		aligns[i] = tw.AlignLeft
		if i < len(g.right) && g.right[i] {
			aligns[i] = tw.AlignRight
		}
	}
	t := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleASCII)})),
		tablewriter.WithEastAsian(tw.Off),
		// Headers are Chinese labels: no Title-casing or camel-case splitting.
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignmentConfig(tw.CellAlignment{Global: tw.AlignLeft, PerColumn: aligns}),
		// Never wrapped or truncated by tablewriter: fitColumns has already wrapped what must be,
		// measuring the way the borders are drawn.
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{Global: tw.AlignLeft, PerColumn: aligns}),
	)
	t.Header(toAny(header)...)
	for _, row := range rows {
		if err := t.Append(toAny(row)); err != nil {
			return fmt.Errorf("报告: 表格行: %w", err)
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("报告: 绘制表格: %w", err)
	}
	return nil
}

func toAny(row []string) []any {
	out := make([]any, len(row))
	for i, c := range row {
		out[i] = c
	}
	return out
}

// cellText flattens a value onto one line and makes it terminal-safe (SafeText): tablewriter
// would split a newline into a multi-line cell and expand a tab to a width it guesses from TERM
// and the working directory, a stray control character has no width at all, and an escape
// sequence from a registry cell would reach the terminal; any of them would break the columns.
func cellText(s string) string { return SafeText(s) }

// Table geometry of the ASCII blueprint: "| a | b |" is each column's text plus one space on
// either side, and one border more than there are columns.
const (
	cellPadding = 2
	// minFitWidth is the narrowest a column is made to fit a terminal: two Chinese characters.
	minFitWidth = 4
)

// textWidth is the display width tablewriter gives s with East-Asian mode off (see
// renderTable): wide and full-width characters 2, everything else 1.
func textWidth(s string) int {
	return twwidth.WidthWithOptions(s, twwidth.Options{})
}

// fitColumns returns the grid's header and rows as cell text, with the widest columns narrowed
// and their cells wrapped so the drawn table is at most width columns wide (width ≤ 0: as they
// are, one line each). Columns are narrowed by water-filling — every column wider than a cap is
// cut to it, the cap as high as the width allows — so short columns (名称, 检查结果, counts) keep
// their text on one line and the long 原因, 说明 and 存在的严重问题 cells wrap. A column is never
// narrowed below its header (then minFitWidth, when even that does not fit); a table that still
// cannot fit is drawn wider rather than misaligned.
func fitColumns(g *grid, width int) ([]string, [][]string) {
	header := make([]string, len(g.header))
	for i, h := range g.header {
		header[i] = cellText(h)
	}
	rows := make([][]string, len(g.rows))
	for i, r := range g.rows {
		rows[i] = make([]string, len(r))
		for j, c := range r {
			rows[i][j] = cellText(c)
		}
	}
	if width <= 0 || len(header) == 0 {
		return header, rows
	}
	natural := make([]int, len(header))
	floor := make([]int, len(header))
	for i, h := range header {
		natural[i] = textWidth(h)
		floor[i] = natural[i]
	}
	for _, r := range rows {
		for j, c := range r {
			if j < len(natural) {
				natural[j] = max(natural[j], textWidth(c))
			}
		}
	}
	avail := width - len(header)*(cellPadding+1) - 1
	limit, ok := waterLevel(natural, floor, avail)
	if !ok {
		for i := range floor {
			floor[i] = min(natural[i], minFitWidth)
		}
		limit, _ = waterLevel(natural, floor, avail)
	}
	caps := make([]int, len(natural))
	narrowed := false
	for i := range natural {
		caps[i] = min(natural[i], max(limit, floor[i], 2))
		narrowed = narrowed || caps[i] < natural[i]
	}
	if !narrowed {
		return header, rows
	}
	for i := range header {
		header[i] = wrapCell(header[i], caps[i])
	}
	for _, r := range rows {
		for j := range r {
			if j < len(caps) {
				r[j] = wrapCell(r[j], caps[j])
			}
		}
	}
	return header, rows
}

// waterLevel is the highest cap such that the columns, each cut to max(cap, its floor), fit in
// avail; ok is false when even the floors do not fit.
func waterLevel(natural, floor []int, avail int) (int, bool) {
	total := func(c int) int {
		n := 0
		for i := range natural {
			n += min(natural[i], max(c, floor[i]))
		}
		return n
	}
	widest := slices.Max(natural)
	if total(widest) <= avail {
		return widest, true
	}
	if total(0) > avail {
		return 0, false
	}
	lo, hi := 0, widest // total(lo) fits, total(hi) does not
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if total(mid) <= avail {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, true
}

// wrapCell breaks s into lines of at most width display columns, joined by "\n" (tablewriter
// draws them as one multi-line cell). Lines break between Chinese characters, after spaces
// and after Chinese punctuation; a Latin word or URL longer than the line is cut where it must.
func wrapCell(s string, width int) string {
	if textWidth(s) <= width {
		return s
	}
	var lines []string
	var line []rune
	lineW := 0
	lastBreak := -1 // a break may go before line[lastBreak]
	for _, r := range s {
		rw := textWidth(string(r))
		if lineW+rw > width && len(line) > 0 {
			cut := len(line)
			if lastBreak > 0 && lastBreak < len(line) {
				cut = lastBreak
			}
			lines = append(lines, strings.TrimRight(string(line[:cut]), " "))
			line = []rune(strings.TrimLeft(string(line[cut:]), " "))
			lineW = textWidth(string(line))
			lastBreak = -1
		}
		if r == ' ' && len(line) == 0 {
			continue
		}
		if rw == 2 && len(line) > 0 {
			lastBreak = len(line) // before a wide character
		}
		line = append(line, r)
		lineW += rw
		if r == ' ' || rw == 2 {
			lastBreak = len(line) // after a space or a wide character (Chinese punctuation included)
		}
	}
	if len(line) > 0 {
		lines = append(lines, string(line))
	}
	return strings.Join(lines, "\n")
}

// errWriter keeps the first write error so a sequence of prints can be checked once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
