package report

import (
	"fmt"
	"io"
)

// Document is a plain report — header lines, then titled sections of lines and at most one
// table each — for commands whose reports are not a check (runs, diff, recheck). It renders
// through the same table and Markdown code as the check report, so every report nmaudit
// prints aligns the same way in any terminal and locale.
type Document struct {
	Header   []string
	Sections []Section
	// Width is the terminal width the table form must fit (see Options.Width); 0 takes it from
	// the writer (TerminalWidth), else no wrapping.
	Width int
}

// Section is one titled block. A nil Columns means no table, only Lines.
type Section struct {
	Title   string
	Lines   []string
	Columns []string
	Rows    [][]string
	Right   []bool // right-aligned (numeric) columns
}

// WriteDocument renders d as "table" (the default terminal form) or "md".
func WriteDocument(w io.Writer, format string, d Document) error {
	doc := document{header: d.Header}
	for _, s := range d.Sections {
		sec := section{title: s.Title, lines: s.Lines}
		if s.Columns != nil {
			sec.table = &grid{header: s.Columns, rows: s.Rows, right: s.Right}
		}
		doc.sections = append(doc.sections, sec)
	}
	switch format {
	case "table":
		return renderTable(w, doc, widthOf(w, Options{Width: d.Width}))
	case "md":
		return renderMarkdown(w, doc)
	}
	return fmt.Errorf("报告格式 %q 无效（可用: table, md）", format)
}
