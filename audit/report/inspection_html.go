package report

import (
	"html"
	"io"
	"strconv"
	"strings"
)

// The HTML inspection document is ONE self-contained file: inline CSS, the pass-rate charts as
// inline SVG (drawn by the browser from markup, no script), no external URL, font or image, so
// it opens offline from a USB stick or a mail attachment and prints on A4 like the office's own
// documents (GB/T 9704 habits): 小标宋 title, 黑体 一、 headings, 楷体 （一） headings, 仿宋 body
// with two-character indents — none of them bold — ruled tables, the 附件 on a page of its own.

// htmlStyle is the document's stylesheet. Fonts are the ones Chinese government documents use,
// with the CJK fonts Linux and macOS ship as fallbacks; nothing is downloaded.
const htmlStyle = `
@page { size: A4; margin: 25mm 22mm; }
* { box-sizing: border-box; }
html { background: #e8e8e8; }
body { margin: 0; padding: 24px 0; color: #111;
  font-family: "FangSong", "STFangsong", "仿宋", "仿宋_GB2312", "Noto Serif CJK SC", "Source Han Serif SC", "Songti SC", "SimSun", "WenQuanYi Zen Hei", serif;
  font-size: 16pt; line-height: 1.75; }
.page { width: 210mm; max-width: 100%; margin: 0 auto 24px; padding: 22mm 20mm; background: #fff; box-shadow: 0 1px 6px rgba(0,0,0,.25); }
h1 { margin: 0 0 6px; text-align: center; font-size: 22pt; line-height: 1.4; font-weight: normal; letter-spacing: 1px;
  font-family: "方正小标宋简体", "FZXiaoBiaoSong-B05S", "STZhongsong", "SimSun", "Noto Serif CJK SC", "Source Han Serif SC", "Songti SC", "WenQuanYi Zen Hei", serif; }
.meta { text-align: center; font-size: 12pt; color: #333; margin: 0; }
.rule { border: 0; border-top: 3px solid #c00000; margin: 14px 0 2px; }
.rule2 { border: 0; border-top: 1px solid #c00000; margin: 0 0 18px; }
h2 { font-size: 16pt; margin: 18px 0 6px; font-weight: normal;
  font-family: "SimHei", "黑体", "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "WenQuanYi Zen Hei", sans-serif; }
h3 { font-size: 16pt; margin: 12px 0 6px; font-weight: normal;
  font-family: "KaiTi", "STKaiti", "楷体", "楷体_GB2312", "Noto Serif CJK SC", "WenQuanYi Zen Hei", serif; }
p { margin: 0 0 6px; text-indent: 2em; text-align: justify; }
p.lead b { font-weight: normal; font-family: "KaiTi", "STKaiti", "楷体", "Noto Serif CJK SC", "WenQuanYi Zen Hei", serif; }
p.note { font-size: 11pt; color: #444; text-indent: 0; }
table { width: 100%; border-collapse: collapse; margin: 6px 0 12px; font-size: 10.5pt; line-height: 1.45;
  font-family: "SimSun", "宋体", "Noto Serif CJK SC", "Source Han Serif SC", "Songti SC", "WenQuanYi Zen Hei", serif; }
th, td { border: 1px solid #333; padding: 4px 6px; vertical-align: top; }
th { background: #f0f0f0; font-weight: bold; text-align: center; white-space: nowrap; }
td.n { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: bold; background: #fafafa; }
figure { margin: 8px 0 14px; text-align: center; }
svg.chart { max-width: 100%; height: auto; }
figcaption { font-size: 11pt; color: #333; margin-top: 2px; }
svg text { font-family: "SimSun", "宋体", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", sans-serif; }
.attachment { page-break-before: always; break-before: page; }
.attachment h2 { font-size: 16pt; }
.attachment h3 { text-align: center; font-family: inherit; }
@media print { html { background: #fff; } body { padding: 0; } .page { box-shadow: none; margin: 0; padding: 0; width: auto; } }
`

// inspectionHTML writes the document as one HTML page.
func inspectionHTML(w io.Writer, d inspectionDoc) error {
	ew := &errWriter{w: w}
	e := htmlText
	ew.printf("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n")
	ew.printf("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	ew.printf("<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n", e(d.title), htmlStyle)
	ew.printf("<div class=\"page\">\n<h1>%s</h1>\n", e(d.title))
	for _, m := range d.meta {
		ew.printf("<p class=\"meta\">%s</p>\n", e(m))
	}
	ew.printf("<hr class=\"rule\"><hr class=\"rule2\">\n")
	for _, s := range d.sections() {
		ew.printf("<h2>%s</h2>\n", e(s.heading))
		for _, p := range s.paras {
			if p.lead != "" {
				ew.printf("<p class=\"lead\"><b>%s</b>%s</p>\n", e(p.lead), e(p.text))
			} else {
				ew.printf("<p>%s</p>\n", e(p.text))
			}
		}
		for _, part := range s.parts {
			if part.heading != "" {
				ew.printf("<h3>%s</h3>\n", e(part.heading))
			}
			if part.intro != "" {
				ew.printf("<p>%s</p>\n", e(part.intro))
			}
			if len(part.chart) > 0 {
				htmlChart(ew, part.chart, "合格率（"+trimNumbering(part.heading)+"）")
			}
			htmlTable(ew, part.grid)
		}
		for _, n := range s.notes {
			ew.printf("<p class=\"note\">%s</p>\n", e(n))
		}
	}
	ew.printf("<p>%s</p>\n</div>\n", e(d.attachmentLine()))
	// The 附件 is a page of its own, on screen as on paper.
	ew.printf("<div class=\"page attachment\">\n<h2>%s</h2>\n<h3>%s</h3>\n", inspAttachment, e(d.attachment.title))
	if len(d.attachment.grid.rows) == 0 {
		ew.printf("<p>%s</p>\n", noneLine)
	} else {
		htmlTable(ew, d.attachment.grid)
	}
	ew.printf("</div>\n</body>\n</html>\n")
	return ew.err
}

// trimNumbering drops an item number: "（一）分层级" → "分层级".
func trimNumbering(s string) string {
	if _, rest, ok := strings.Cut(s, "）"); ok {
		return rest
	}
	return s
}

// htmlTable writes a grid; the last row is the 合计 row when its first cell says so.
func htmlTable(ew *errWriter, g *grid) {
	if g == nil {
		return
	}
	e := htmlText
	ew.printf("<table>\n<thead><tr>")
	for _, h := range g.header {
		ew.printf("<th>%s</th>", e(h))
	}
	ew.printf("</tr></thead>\n<tbody>\n")
	for _, row := range g.rows {
		if len(row) > 0 && row[0] == levelTotal {
			ew.printf("<tr class=\"total\">")
		} else {
			ew.printf("<tr>")
		}
		for i, c := range row {
			if i < len(g.right) && g.right[i] {
				ew.printf("<td class=\"n\">%s</td>", e(c))
			} else {
				ew.printf("<td>%s</td>", e(c))
			}
		}
		ew.printf("</tr>\n")
	}
	ew.printf("</tbody>\n</table>\n")
}

// Chart geometry, in SVG user units (= CSS pixels at 100%).
// 640 wide: the text column of an A4 page (170 mm at 96 dpi), so the chart is drawn at its
// own size, not scaled.
const (
	chartLabelW = 210 // label column, right-aligned against the bars
	chartBarW   = 310 // width of 100%
	chartValueW = 120 // value text after the bar
	chartRowH   = 34
	chartBarH   = 20
	chartTop    = 10
	chartAxisH  = 26
)

// htmlChart draws horizontal pass-rate bars: a grey track for 100%, the bar, the rate and the
// number of accounts checked, with light rules at 0, 50% and 100%.
func htmlChart(ew *errWriter, bars []bar, caption string) {
	e := htmlText
	width := chartLabelW + chartBarW + chartValueW
	height := chartTop + len(bars)*chartRowH + chartAxisH
	ew.printf("<figure>\n<svg class=\"chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">\n",
		width, height, width, height, e(caption))
	axisBottom := chartTop + len(bars)*chartRowH
	for _, pct := range []int{0, 50, 100} {
		x := chartLabelW + chartBarW*pct/100
		ew.printf("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#bbb\" stroke-width=\"1\"/>", x, chartTop-4, x, axisBottom)
		ew.printf("<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"#555\" text-anchor=\"middle\">%d%%</text>\n", x, axisBottom+17, pct)
	}
	for i, b := range bars {
		y := chartTop + i*chartRowH + (chartRowH-chartBarH)/2
		w := b.value * chartBarW
		ew.printf("<text x=\"%d\" y=\"%d\" font-size=\"14\" fill=\"#111\" text-anchor=\"end\">%s</text>", chartLabelW-10, y+15, e(b.label))
		ew.printf("<rect class=\"track\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#ececec\"/>", chartLabelW, y, chartBarW, chartBarH)
		ew.printf("<rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%s\" height=\"%d\" fill=\"%s\" data-rate=\"%s\"><title>%s %s（%d个）</title></rect>",
			chartLabelW, y, strconv.FormatFloat(w, 'f', 1, 64), chartBarH, barColor(b.value), strconv.FormatFloat(b.value, 'f', 4, 64),
			e(b.label), e(b.text), b.n)
		ew.printf("<text x=\"%d\" y=\"%d\" font-size=\"14\" fill=\"#111\">%s（%d个）</text>\n", chartLabelW+chartBarW+8, y+15, e(b.text), b.n)
	}
	ew.printf("</svg>\n<figcaption>%s</figcaption>\n</figure>\n", e(caption))
}

// barColor is navy for a full or nearly full pass rate and the notices' red below 90%, so a
// weak group stands out in print as on screen.
func barColor(v float64) string {
	if v < 0.9 {
		return "#c00000"
	}
	return "#1f4e79"
}

// htmlText escapes text for the page, control characters and escape sequences removed first:
// they are invalid in HTML and mean nothing in a browser, and the file is also read with cat.
func htmlText(s string) string { return html.EscapeString(sanitize(s, true)) }
