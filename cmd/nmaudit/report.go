package main

import (
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/audit/report"
)

// reportCmdOptions are `nmaudit report`'s flags.
type reportCmdOptions struct {
	FromJSON string
	Kind     string
	Area     string
	Title    string
	report   reportFlags
}

func newReportCmd(s *streams) *cobra.Command {
	opts := &reportCmdOptions{}
	cmd := &cobra.Command{
		Use:   "report (--from-json RUN.json | RUN) [--format md|html|xlsx] [-o FILE]",
		Short: "生成检查情况报告（总体情况、存在问题、分类统计、附件不合格名单）",
		Long: `report 把一次检查写成检查情况报告：按通报措辞写的总体情况，按问题归类的存在问题（单位“账号”
类型），分层级、分平台、分单位统计，需跟进的预警和待核查账号，以及附件不合格名单。格式：md（不给
-o 时写到标准输出）、html（单个文件，含合格率图表，离线可打开）和 xlsx。

检查结果来自 check 的 JSON 输出（nmaudit check --format json > run.json；"-" 表示从标准输入读），
或来自检查记录数据库（RUN，即 nmaudit runs 列出的编号）。

--kind 说明是哪种检查：sample（抽查：“此次检查抽查全市政务新媒体166个，其中，…”）或 selfcheck
（自查，检查全部登记账号：“…正在申请办理注销的15个；合格的464个，不合格的10个”）。默认 auto：
检查了全部登记账号（未用 --accounts）的视为自查，否则视为抽查。

层级按配置 report.level_labels 的叫法印出（默认 市级政府、县区政府、市级部门、县区镇（街道办）及
县级部门）；与其他报告一样，没有层级的账号按开设主体名称判断层级（例外用配置 levels.overrides
指定）。比例的小数位数取配置 report.rate_decimals（默认 1）。`,
		Example: `  nmaudit check --registry reg.xlsx --accounts 抽查名单.xlsx --at 2022-08-22 --format json -o run.json
  nmaudit report --from-json run.json                       # 在终端输出 Markdown
  nmaudit report --from-json run.json --format html -o 检查情况报告.html
  nmaudit report --from-json run.json --format xlsx -o 检查情况报告.xlsx --area 全区 --kind selfcheck
  nmaudit report 20220825-170000-3f9a --format html -o 报告.html`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.report.validate(report.InspectionFormats); err != nil {
				return err
			}
			kind, err := parseKind(opts.Kind)
			if err != nil {
				return err
			}
			switch {
			case len(args) == 1 && opts.FromJSON != "":
				return usageErrorf("--from-json FILE 与 RUN 编号只能二选一，不能同时给出")
			case len(args) == 0 && opts.FromJSON == "":
				return usageErrorf("请指明哪次检查：--from-json RUN.json（check --format json 的输出）或一个 RUN 编号")
			}
			cfg, err := loadConfig(cmd, nil)
			if err != nil {
				return err
			}
			var res *audit.Result
			if opts.FromJSON != "" {
				res, err = readRunJSON(s, opts.FromJSON)
			} else {
				_, res, err = storedResult(cmd, cfg, args[0])
			}
			if err != nil {
				return err
			}
			iopt := report.InspectionOptions{Options: reportOptions(cfg), Kind: kind, Area: opts.Area,
				Title: opts.Title, LevelLabels: cfg.Report.LevelLabels}
			return opts.report.write(s.Out, func(w io.Writer) error {
				return report.Inspection(w, opts.report.Format, res, iopt)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.FromJSON, "from-json", "", "检查的 JSON 报告 `RUN.json`（nmaudit check --format json 的输出）；\"-\" 表示从标准输入读")
	f.StringVar(&opts.Kind, "kind", "auto", "检查类型 `KIND`: sample（抽查）、selfcheck（自查，检查全部登记账号）或 auto")
	f.StringVar(&opts.Area, "area", "全市", "报告中对检查范围的称呼 `AREA`: 全市、全区、全县等")
	f.StringVar(&opts.Title, "title", "", "报告标题 `TITLE`（默认按监测时间点生成，如 2022年第三季度政务新媒体抽查情况报告）")
	f.StringVar(&opts.report.Format, "format", "md", "报告格式: "+strings.Join(report.InspectionFormats, ", "))
	f.StringVarP(&opts.report.Output, "output", "o", "", "把报告写入文件 `FILE`（md 不给时写到标准输出；xlsx 必须指定）")
	return cmd
}

func parseKind(s string) (report.Kind, error) {
	switch k := strings.ToLower(strings.TrimSpace(s)); k {
	case "", "auto":
		return "", nil
	case string(report.KindSample), string(report.KindSelfCheck):
		return report.Kind(k), nil
	}
	return "", usageErrorf("--kind %q 无效：应为 sample（抽查）、selfcheck（自查）或 auto", s)
}

// readRunJSON reads a check's JSON report from a file or stdin; a file that is not one is bad
// input (exit 2).
func readRunJSON(s *streams, path string) (*audit.Result, error) {
	if path == "-" {
		res, err := report.ReadCheckJSON(s.In, "stdin")
		if err != nil {
			return nil, &usageError{err}
		}
		return res, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, usageErrorf("--from-json %s: %s", path, osErrorText(err))
	}
	defer f.Close()
	res, err := report.ReadCheckJSON(f, path)
	if err != nil {
		return nil, &usageError{err}
	}
	return res, nil
}
