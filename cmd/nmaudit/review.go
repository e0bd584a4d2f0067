package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/audit/history"
	"github.com/nmaudit/nmaudit/audit/report"
)

// `nmaudit review RUN -o 核对表.xlsx`: the 人工核对 worksheet (design.md; report.WriteWorksheet).

var reviewFormats = []string{"xlsx", "csv"}

func newReviewCmd(s *streams) *cobra.Command {
	var (
		rf          reportFlags
		unqualified bool
	)
	cmd := &cobra.Command{
		Use:   "review RUN -o 核对表.xlsx [--include-unqualified]",
		Short: "为一次运行中的待核查账号生成人工核对表（xlsx 或 csv）",
		Long: `review 把一次已完成运行中的待核查账号写成人工核对表：每个账号一行，列出账号名称、类型、开设主体、
账号ID、检查结果、待核查原因和核查入口（可点击的账号页面或搜索链接），后面是留给核对人员填写的
最近更新时间（日期时间单元格，有输入校验）、文章链接、核查人、核查时间和备注；第二个工作表
“填写说明”写明填什么、怎么用。加 --include-unqualified 时不合格账号也列入，供通报前复核。

填好的核对表本身就是观察记录文件：
  nmaudit recheck RUN --observations 核对表.xlsx
复核时，填写的文章链接会被读取并核对发布时间和所属账号；只填链接不填时间的行，按链接核验出的时间认定；
两项都没填的行跳过。`,
		Example: `  nmaudit review 20220825-170000-3f9a -o 核对表.xlsx
  nmaudit review 20220825-170000-3f9a -o 核对表.xlsx --include-unqualified
  nmaudit review 20220825-170000-3f9a --format csv -o 核对表.csv`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if rf.Output != "" && !cmd.Flags().Changed("format") &&
				strings.EqualFold(filepath.Ext(rf.Output), ".csv") {
				rf.Format = "csv"
			}
			if err := rf.validate(reviewFormats); err != nil {
				return err
			}
			cfg, err := loadConfig(cmd, nil)
			if err != nil {
				return err
			}
			return withArchive(cmd, cfg, func(a *history.Archive) error {
				rec, err := a.Finished(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				opt := report.WorksheetOptions{Format: rf.Format, RunID: rec.Run.ID, Location: rec.Run.Location(),
					Unqualified: unqualified}
				if err := rf.write(s.Out, func(w io.Writer) error { return report.WriteWorksheet(w, rec.Result, opt) }); err != nil {
					return err
				}
				n := len(audit.Worksheet(rec.Result, unqualified))
				if rf.Output != "" {
					fmt.Fprintf(s.Err, "人工核对表已写入 %s：%d 个账号。填好后：nmaudit recheck %s --observations %s\n",
						rf.Output, n, rec.Run.ID, rf.Output)
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&rf.Format, "format", "xlsx", "核对表格式：xlsx 或 csv（UTF-8 带 BOM，Excel 可直接打开）")
	f.StringVarP(&rf.Output, "output", "o", "", "写入 FILE（xlsx 必须指定）")
	f.BoolVar(&unqualified, "include-unqualified", false, "不合格账号也列入，供通报前复核")
	return cmd
}
