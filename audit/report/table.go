package report

import (
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/olekukonko/tablewriter"
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
func renderTable(w io.Writer, d document) error {
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
			if err := drawTable(ew, s.table); err != nil {
				return err
			}
		}
	}
	return ew.err
}

func drawTable(w io.Writer, g *grid) error {
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
		// One line per account, never wrapped or truncated, so the output greps and diffs cleanly.
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{Global: tw.AlignLeft, PerColumn: aligns}),
	)
	t.Header(cells(g.header)...)
	for _, row := range g.rows {
		if err := t.Append(cells(row)); err != nil {
			return fmt.Errorf("report: table row: %w", err)
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("report: render table: %w", err)
	}
	return nil
}

func cells(row []string) []any {
	out := make([]any, len(row))
	for i, c := range row {
		out[i] = cellText(c)
	}
	return out
}

// cellText flattens a value onto one line: tablewriter would split a newline into a multi-line
// cell and expand a tab to a width it guesses from TERM and the working directory, and a stray
// control character has no width at all; any of them would break the columns.
func cellText(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", " ")
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			if r == '\n' || r == '\r' || r == '\t' {
				return ' '
			}
			return -1
		}
		return r
	}, s)
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
