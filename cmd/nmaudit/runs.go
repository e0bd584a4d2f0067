package main

import (
	"encoding/json"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/audit/history"
	"github.com/nmaudit/nmaudit/audit/report"
	"github.com/nmaudit/nmaudit/audit/store"
	"github.com/nmaudit/nmaudit/config"
)

var runsFormats = []string{"table", "json", "md"}

func newRunsCmd(s *streams) *cobra.Command {
	var rf reportFlags
	cmd := &cobra.Command{
		Use:   "runs [--format table|json|md]",
		Short: "列出检查记录中的运行，最新的在前",
		Long: `runs 列出检查记录数据库（--db，或配置 store.path，默认在本机的用户数据文件夹）中的每一次
检查和复核：运行编号、开始时间、监测时间点、是否完成和各类账号数。未完成的运行（被终止、中断或
失败）显示已判定的账号数；用 nmaudit check --resume RUN 继续它。runs 只读取数据库，从不创建它。`,
		Example: `  nmaudit runs
  nmaudit runs --format json | jq '.[] | select(.finished == false) | .id'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return readHistory(cmd, &rf, runsFormats, func(cfg *config.Config, a *history.Archive) error {
				runs, err := a.Runs(cmd.Context())
				if err != nil {
					return err
				}
				return rf.write(s.Out, func(w io.Writer) error { return writeRuns(w, rf.Format, runs, cfg.Location) })
			})
		},
	}
	rf.register(cmd.Flags(), runsFormats)
	return cmd
}

func writeRuns(w io.Writer, format string, runs []history.Listing, loc *time.Location) error {
	if format == "json" {
		docs := make([]history.ListingDoc, 0, len(runs))
		for _, l := range runs {
			docs = append(docs, l.Doc(loc))
		}
		return writeJSONDoc(w, docs)
	}
	sec := report.Section{Title: "检查记录",
		Columns: []string{"运行编号", "类型", "开始时间", "监测时间点", "状态", "检查范围", "已判定", audit.LabelQualified,
			audit.LabelUnqualified, audit.LabelPendingClosure, audit.LabelNeedsReview, "复核自"},
		Right: []bool{false, false, false, false, false, true, true, true, true, true, true, false}}
	for _, l := range runs {
		r, sm := l.Run, l.Summary
		state := "已完成"
		if !r.Finished {
			state = "未完成（可 --resume 续跑）"
		}
		kind := "检查"
		if r.Kind == store.KindRecheck {
			kind = "复核"
		}
		sec.Rows = append(sec.Rows, []string{r.ID, kind, r.StartedAt.In(loc).Format("2006-01-02 15:04"),
			r.CheckTime.In(loc).Format("2006-01-02 15:04"), state, strconv.Itoa(sm.InScope), strconv.Itoa(sm.Decided),
			strconv.Itoa(sm.Qualified), strconv.Itoa(sm.Unqualified), strconv.Itoa(sm.PendingClosure),
			strconv.Itoa(sm.NeedsReview), r.ParentID})
	}
	if len(runs) == 0 {
		sec.Lines = []string{"无。"}
		sec.Columns = nil
	}
	return report.WriteDocument(w, format, report.Document{Sections: []report.Section{sec}})
}

// writeJSONDoc prints v as the reports print JSON: 2-space indent, Chinese and <>& as is.
func writeJSONDoc(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
