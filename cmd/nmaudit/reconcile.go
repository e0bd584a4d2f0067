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
		Short: "Compare a unit's account list with the registry (no fetching)",
		Long: `reconcile prints the registry reconciliation report: accounts matched, in the list but not
registered (未报送), registered but missing from the list, status disagreements (the list says
已注销 while the registry says 正常运行, and the reverse) and differing owner or type.
The exit status is 0 whatever differences are found.`,
		Example: `  nmaudit reconcile --registry 信息报送系统导出.xlsx --accounts 区县自查清单.xlsx
  nmaudit reconcile --registry reg.csv --accounts list.csv --format xlsx -o 比对结果.xlsx`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Registry == "" || opts.Accounts == "" {
				return usageErrorf("--registry FILE and --accounts FILE are both required")
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
			for _, n := range append(reg.Notices, notices...) {
				cmd.PrintErrln("注意:", n)
			}
			rc := audit.Reconcile(reg, list, opts.Accounts)
			return opts.report.write(s.Out, func(w io.Writer) error {
				return report.Reconcile(w, opts.report.Format, rc, reportOptions(cfg))
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Registry, "registry", "", "registry export, .xlsx or .csv (required)")
	f.StringVar(&opts.Sheet, "sheet", "", "sheet of the registry .xlsx to read (default: the first)")
	f.StringVar(&opts.Accounts, "accounts", "", "the unit's own account list (required)")
	opts.report.register(f, checkFormats)
	return cmd
}
