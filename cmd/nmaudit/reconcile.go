package main

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/audit/report"
)

type reconcileOptions struct {
	Registry string
	Sheet    string
	Accounts string
	report   reportFlags
}

func newReconcileCmd(s *streams) *cobra.Command {
	opts := &reconcileOptions{}
	cmd := &cobra.Command{
		Use:   "reconcile --registry FILE --accounts FILE [flags]",
		Short: "核对单位的账号清单与信息报送系统的登记情况（不访问平台）",
		Long: `reconcile 输出登记核对报告：匹配的账号、清单有而系统未登记的（未报送）、系统有而清单遗漏的、
运行状态不一致的（如清单写已注销而系统为正常运行，或相反），以及开设主体或平台不一致的。
账号名称按规范化后比较（全角半角、空格、引号、繁简体不计差异）；状态按类别比较（正常、注销中、
已注销），不按措辞。无论发现多少差异，退出状态都是 0。`,
		Example: `  nmaudit reconcile --registry 信息报送系统导出.xlsx --accounts 区县自查清单.xlsx
  nmaudit reconcile --registry reg.csv --accounts list.csv --format xlsx -o 比对结果.xlsx`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Registry == "" || opts.Accounts == "" {
				return usageErrorf("必须同时给出 --registry FILE（信息报送系统导出）和 --accounts FILE（单位清单）")
			}
			if err := opts.report.validate(checkFormats); err != nil {
				return err
			}
			cfg, err := loadConfig(cmd, nil)
			if err != nil {
				return err
			}
			reg, err := audit.LoadRegistry(opts.Registry, loadOptions(cfg, opts.Sheet))
			if err != nil {
				return err
			}
			list, notices, err := audit.LoadTargets(opts.Accounts, audit.LoadOptions{Columns: cfg.Registry.Columns})
			if err != nil {
				return err
			}
			printNotices(cmd.ErrOrStderr(), append(reg.Notices, notices...))
			rc := audit.Reconcile(reg, list, opts.Accounts)
			return opts.report.write(s.Out, func(w io.Writer) error {
				return report.Reconcile(w, opts.report.Format, rc, reportOptions(cfg))
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Registry, "registry", "", "信息报送系统导出表 `FILE`，.xlsx 或 .csv（必填）")
	f.StringVar(&opts.Sheet, "sheet", "", "读取导出表 .xlsx 中的哪个工作表 `NAME`（默认第一个）")
	f.StringVar(&opts.Accounts, "accounts", "", "单位自己的账号清单 `FILE`（必填）")
	opts.report.register(f, checkFormats)
	return cmd
}
