package main

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/nmaudit/nmaudit/audit/history"
	"github.com/nmaudit/nmaudit/config"
)

func newShowCmd(s *streams) *cobra.Command {
	var rf reportFlags
	cmd := &cobra.Command{
		Use:   "show RUN [--format F] [-o FILE]",
		Short: "按当时的样子重新输出一次已记录运行的报告，不重新检查",
		Long: `show 从检查记录数据库中取出一次已完成的运行，按 check 当时输出的样子重新输出报告（JSON 含
run_id），格式任选：以表格检查过的运行，之后可以再存成 xlsx 归档。RUN 是 nmaudit runs 列出的
运行编号，或能唯一确定它的开头部分。未完成的运行没有完整报告：先用 nmaudit check --resume RUN
完成它。show 只读取数据库，从不创建它。`,
		Example: `  nmaudit show 20220825-170000-3f9a --format xlsx -o 检查结果.xlsx
  nmaudit show 20220825 --format json | jq .summary`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return readHistory(cmd, &rf, checkFormats, func(cfg *config.Config, a *history.Archive) error {
				rep, err := a.Report(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				printNotices(s.Err, rep.Result.Notices)
				return rf.write(s.Out, func(w io.Writer) error {
					return renderReport(w, rf.Format, rep, reportOptions(cfg))
				})
			})
		},
	}
	rf.register(cmd.Flags(), checkFormats)
	return cmd
}
