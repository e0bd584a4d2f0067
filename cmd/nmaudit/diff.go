package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/audit/history"
	"github.com/nmaudit/nmaudit/audit/report"
	"github.com/nmaudit/nmaudit/config"
	"github.com/nmaudit/nmaudit/platforms"
)

var diffFormats = []string{"table", "json", "md", "csv"}

func newDiffCmd(s *streams) *cobra.Command {
	var rf reportFlags
	cmd := &cobra.Command{
		Use:   "diff RUN_A RUN_B [--format table|json|md|csv] [-o FILE]",
		Short: "比较两次运行：已整改、新增不合格、仍不合格，以及分层级、分平台的数字",
		Long: `diff 逐个账号比较两次已完成的运行（上季度和本季度，或一次检查和它的复核），账号按平台+账号ID
匹配，没有账号ID时按平台+规范化后的名称匹配，给出报告“与上季度相比”所需的数字：

  fixed          已整改：RUN_A 不合格，RUN_B 合格
  newly_failing  新增不合格：RUN_B 不合格而 RUN_A 不是（含 RUN_A 未检查的账号）
  still_failing  仍不合格：两次都不合格
  resolved       待核查已判定：RUN_A 待核查，RUN_B 判定为合格或不合格
  changed        结果有变化的所有账号（RUN_A 未检查的记为“未检查”）

以及两次运行分层级、分平台的账号数。层级的认定与检查报告相同；JSON 中平台用代码（weibo、
wechat），其他格式用中文名称。`,
		Example: `  nmaudit diff 20220601-090000-1a2b 20220825-170000-3f9a
  nmaudit diff 20220601-090000-1a2b 20220825-170000-3f9a --format json | jq '.by_level'`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return readHistory(cmd, &rf, diffFormats, func(cfg *config.Config, a *history.Archive) error {
				from, to, err := a.Pair(cmd.Context(), args[0], args[1])
				if err != nil {
					return err
				}
				d := history.Compare(from, to, cfg.LevelResolver)
				return rf.write(s.Out, func(w io.Writer) error { return writeDiff(w, rf.Format, d, cfg.Report.RateDecimals) })
			})
		},
	}
	rf.register(cmd.Flags(), diffFormats)
	return cmd
}

func writeDiff(w io.Writer, format string, d *history.Diff, decimals int) error {
	lists := []struct {
		title string
		list  []history.DiffEntry
	}{
		{"已整改（不合格→合格）", d.Fixed}, {"新增不合格", d.NewlyFailing}, {"仍不合格", d.StillFailing},
		{"待核查已判定", d.Resolved}, {"结果有变化", d.Changed},
	}
	switch format {
	case "json":
		return writeJSONDoc(w, d)
	case "csv":
		cw, err := report.NewCSVWriter(w)
		if err != nil {
			return err
		}
		cw.Write([]string{"类别", "账号名称", "账号类型", "开设主体", "上次结果", "本次结果", "存在的问题"})
		for _, l := range lists {
			for _, e := range l.list {
				cw.Write([]string{l.title, e.Name, e.Type, e.Owner, e.From, e.To, strings.Join(e.Problems, "；")})
			}
		}
		return cw.Flush()
	}
	rate := func(c history.Counts) string { return report.FormatRate(c.UnqualifiedRate, decimals) }
	doc := report.Document{Header: []string{fmt.Sprintf("对比：%s（监测时间点 %s）→ %s（监测时间点 %s）",
		d.From.ID, shortTime(d.From.CheckTime), d.To.ID, shortTime(d.To.CheckTime))}}
	num := func(a, b int) []string {
		return []string{strconv.Itoa(a), strconv.Itoa(b), signed(b - a)}
	}
	f, t := d.Summary.From, d.Summary.To
	overview := report.Section{Title: "总体对比", Columns: []string{"项目", "上次", "本次", "变化"}, Right: []bool{false, true, true, true}}
	for _, r := range []struct {
		label string
		a, b  int
	}{{"检查范围", f.InScope, t.InScope}, {audit.LabelPendingClosure, f.PendingClosure, t.PendingClosure},
		{audit.LabelQualified, f.Qualified, t.Qualified}, {audit.LabelUnqualified, f.Unqualified, t.Unqualified},
		{audit.LabelNeedsReview, f.NeedsReview, t.NeedsReview}} {
		overview.Rows = append(overview.Rows, append([]string{r.label}, num(r.a, r.b)...))
	}
	overview.Rows = append(overview.Rows, []string{"不合格占比", rate(f), rate(t), ""})
	overview.Lines = []string{fmt.Sprintf("两次均检查的账号 %d 个，仅上次 %d 个，仅本次 %d 个。", d.Accounts.Matched, d.Accounts.OnlyInFrom, d.Accounts.OnlyInTo)}
	doc.Sections = append(doc.Sections, overview)
	for _, by := range []struct {
		title, col string
		m          map[string]*history.FromTo
		keys       []string
		label      func(string) string
	}{
		{"分层级对比", "层级", d.ByLevel, d.LevelOrder(), func(k string) string { return k }},
		// People read this table: platforms by their Chinese names, not the JSON codes.
		{"分平台对比", "平台", d.ByPlatform, d.PlatformOrder(), func(k string) string { return report.PlatformLabel(platforms.Platform(k)) }},
	} {
		sec := report.Section{Title: by.title, Columns: []string{by.col, "上次检查数", "上次不合格", "上次占比", "本次检查数", "本次不合格", "本次占比"},
			Right: []bool{false, true, true, true, true, true, true}}
		for _, k := range by.keys {
			c := by.m[k]
			sec.Rows = append(sec.Rows, []string{by.label(k), strconv.Itoa(c.From.InScope), strconv.Itoa(c.From.Unqualified), rate(c.From),
				strconv.Itoa(c.To.InScope), strconv.Itoa(c.To.Unqualified), rate(c.To)})
		}
		doc.Sections = append(doc.Sections, sec)
	}
	for _, l := range lists {
		sec := report.Section{Title: fmt.Sprintf("%s（%d）", l.title, len(l.list))}
		if len(l.list) == 0 {
			sec.Lines = []string{"无。"}
		} else {
			sec.Columns = []string{"账号名称", "开设主体", "账号类型", "上次结果", "本次结果", "存在的问题"}
			for _, e := range l.list {
				sec.Rows = append(sec.Rows, []string{e.Name, e.Owner, e.Type, e.From, e.To, strings.Join(e.Problems, "；")})
			}
		}
		doc.Sections = append(doc.Sections, sec)
	}
	return report.WriteDocument(w, format, doc)
}

func signed(n int) string {
	if n > 0 {
		return "+" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

func shortTime(rfc string) string {
	t, err := time.Parse(time.RFC3339, rfc)
	if err != nil {
		return rfc
	}
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02 15:04")
}
