package report

import (
	"bytes"
	"strings"
	"testing"
)

func TestWriteDocument(t *testing.T) {
	d := Document{Header: []string{"对比：A → B"}, Sections: []Section{
		{Title: "总体对比", Columns: []string{"项目", "上次", "本次"}, Rows: [][]string{{"不合格", "10", "3"}, {"合格|x", "464", "471"}}, Right: []bool{false, true, true}},
		{Title: "新增不合格（0）", Lines: []string{"无。"}},
	}}
	var tb bytes.Buffer
	if err := WriteDocument(&tb, "table", d); err != nil {
		t.Fatal(err)
	}
	out := tb.String()
	if !strings.Contains(out, "【总体对比】") || !strings.Contains(out, "|  464 |") || !strings.Contains(out, "【新增不合格（0）】\n无。") {
		t.Errorf("table:\n%s", out)
	}
	// Every line of the bordered table has the same display width (CJK = 2 columns).
	var widths []int
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "+") || strings.HasPrefix(l, "|") {
			widths = append(widths, cols(l))
		}
	}
	for _, w := range widths {
		if w != widths[0] {
			t.Fatalf("misaligned table: widths %v\n%s", widths, out)
		}
	}
	var md bytes.Buffer
	if err := WriteDocument(&md, "md", d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "## 总体对比") || !strings.Contains(md.String(), `| 合格\|x | 464 | 471 |`) || !strings.Contains(md.String(), "|---|---:|---:|") {
		t.Errorf("md:\n%s", md.String())
	}
	if err := WriteDocument(&md, "pdf", d); err == nil {
		t.Errorf("unknown format accepted")
	}
}
