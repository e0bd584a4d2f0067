package report

import (
	"io"
	"strings"
)

// renderMarkdown writes a document as GitHub Markdown: the header as a paragraph, each section
// as a "## title" heading and a pipe table.
//
// The tables are written by hand rather than by tablewriter's markdown renderer: a Markdown
// table needs no padding (a viewer aligns it), so there is no width to measure and no global
// East-Asian state to depend on, and the escaping of cell text stays under our control.
func renderMarkdown(w io.Writer, d document) error {
	ew := &errWriter{w: w}
	// Hard line breaks ("  " at the end) keep the header lines apart when rendered.
	for i, h := range d.header {
		br := "  "
		if i == len(d.header)-1 {
			br = ""
		}
		ew.printf("%s%s\n", mdCell(h), br)
	}
	for _, s := range d.sections {
		ew.printf("\n## %s\n", s.title)
		for _, l := range s.lines {
			ew.printf("\n%s\n", mdCell(l))
		}
		if s.table == nil {
			continue
		}
		g := s.table
		ew.printf("\n%s\n", mdRow(g.header))
		seps := make([]string, len(g.header))
		for i := range seps {
			seps[i] = "---"
			if i < len(g.right) && g.right[i] {
				seps[i] = "---:"
			}
		}
		ew.printf("|%s|\n", strings.Join(seps, "|"))
		for _, row := range g.rows {
			ew.printf("%s\n", mdRow(row))
		}
	}
	return ew.err
}

func mdRow(cells []string) string {
	var b strings.Builder
	b.WriteString("|")
	for _, c := range cells {
		b.WriteString(" ")
		b.WriteString(mdCell(c))
		b.WriteString(" |")
	}
	return b.String()
}

// mdEscaper protects table structure: "|" would end the cell and a backslash could escape our
// own "\|"; a line break would end the table row, so it becomes <br> (GitHub renders it inside
// a cell). Other Markdown punctuation (* _ `) can at worst change emphasis, never the table, and
// escaping it would clutter the text people copy from the raw file.
var mdEscaper = strings.NewReplacer(`\`, `\\`, `|`, `\|`, "\r\n", "<br>", "\n", "<br>", "\r", "<br>", "\t", " ")

// mdCell is a cell or line of the Markdown report: terminal-safe (the report is often read with
// cat or less, so escape sequences from registry cells are removed as in every terminal
// output), then escaped for the table.
func mdCell(s string) string { return mdEscaper.Replace(strings.TrimSpace(sanitize(s, true))) }
