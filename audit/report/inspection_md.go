package report

import "io"

// inspectionMarkdown writes the inspection document as GitHub Markdown: the title as a level-1
// heading, sections as level-2 headings, sub-sections as level-3, tables as pipe tables.
func inspectionMarkdown(w io.Writer, d inspectionDoc) error {
	ew := &errWriter{w: w}
	ew.printf("# %s\n\n", mdCell(d.title))
	for i, m := range d.meta {
		br := "  "
		if i == len(d.meta)-1 {
			br = ""
		}
		ew.printf("%s%s\n", mdCell(m), br)
	}
	for _, s := range d.sections() {
		ew.printf("\n## %s\n", mdCell(s.heading))
		for _, p := range s.paras {
			if p.lead != "" {
				ew.printf("\n**%s**%s\n", mdCell(p.lead), mdCell(p.text))
			} else {
				ew.printf("\n%s\n", mdCell(p.text))
			}
		}
		for _, part := range s.parts {
			if part.heading != "" {
				ew.printf("\n### %s\n", mdCell(part.heading))
			}
			if part.intro != "" {
				ew.printf("\n%s\n", mdCell(part.intro))
			}
			mdTable(ew, part.grid)
		}
		for _, n := range s.notes {
			ew.printf("\n%s\n", mdCell(n))
		}
	}
	ew.printf("\n%s\n", mdCell(d.attachmentLine()))
	ew.printf("\n## %s\n\n### %s\n", inspAttachment, mdCell(d.attachment.title))
	if len(d.attachment.grid.rows) == 0 {
		ew.printf("\n%s\n", noneLine)
	} else {
		mdTable(ew, d.attachment.grid)
	}
	return ew.err
}

// mdTable writes a grid as a pipe table, numeric columns right-aligned.
func mdTable(ew *errWriter, g *grid) {
	if g == nil {
		return
	}
	ew.printf("\n%s\n|", mdRow(g.header))
	for i := range g.header {
		if i < len(g.right) && g.right[i] {
			ew.printf("---:|")
		} else {
			ew.printf("---|")
		}
	}
	ew.printf("\n")
	for _, row := range g.rows {
		ew.printf("%s\n", mdRow(row))
	}
}
