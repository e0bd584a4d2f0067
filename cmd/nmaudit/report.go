package main

import (
	"errors"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/audit/report"
	"github.com/nmaudit/nmaudit/config"
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
		Short: "Write the inspection document (检查情况报告) of a check",
		Long: `report turns a check into the document an inspection office files: the 总体情况 paragraph in
the wording of the published notices, 存在问题 grouped by problem (unit, “account” and type),
breakdowns by level, platform and unit, 预警 and 待核查 accounts for follow-up, and the 附件
unqualified list. Formats: md (to stdout without -o), html (one self-contained file with
pass-rate charts, opens offline) and xlsx.

The check comes from its JSON (nmaudit check --format json > run.json; "-" reads stdin) or
from the history database (RUN, an id from nmaudit runs).

--kind says which round it was: sample (抽查: "此次检查抽查全市政务新媒体166个，其中，…") or
selfcheck (every registry account: "…正在申请办理注销的15个；合格的464个，不合格的10个").
The default, auto, takes a check that covered every registry account (no --accounts list) as a
self-check and anything else as a sample.

Levels are printed as config report.level_labels says (default 市级政府, 县区政府, 市级部门,
县区镇（街道办）及县级部门); accounts without a level value get one from their owner's name
(config levels.overrides for exceptions). Rates use report.rate_decimals (default 1).`,
		Example: `  nmaudit check --registry reg.xlsx --accounts 抽查名单.xlsx --at 2022-08-22 --format json -o run.json
  nmaudit report --from-json run.json                       # Markdown on the terminal
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
				return usageErrorf("give either --from-json FILE or a RUN id, not both")
			case len(args) == 0 && opts.FromJSON == "":
				return usageErrorf("which check? give --from-json RUN.json (the output of check --format json) or a RUN id")
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
			levels, err := audit.NewLevelResolver(cfg.Levels.Overrides) // validated with the config
			if err != nil {
				return &config.Error{File: cfg.File, Key: "levels.overrides", Msg: err.Error()}
			}
			iopt := report.InspectionOptions{Options: reportOptions(cfg), Kind: kind, Area: opts.Area,
				Title: opts.Title, LevelLabels: cfg.Report.LevelLabels, Levels: levels}
			return opts.report.write(s.Out, func(w io.Writer) error {
				return report.Inspection(w, opts.report.Format, res, iopt)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.FromJSON, "from-json", "", `the check's JSON report (nmaudit check --format json); "-" reads stdin`)
	f.StringVar(&opts.Kind, "kind", "auto", "which round: sample (抽查), selfcheck (自查, every registry account) or auto")
	f.StringVar(&opts.Area, "area", "全市", "how the document names the checked area: 全市, 全区, 全县…")
	f.StringVar(&opts.Title, "title", "", "document title (default: 2022年第三季度政务新媒体抽查情况报告, from the check time)")
	f.StringVar(&opts.report.Format, "format", "md", "document format: "+strings.Join(report.InspectionFormats, ", "))
	f.StringVarP(&opts.report.Output, "output", "o", "", "write the document to FILE (required for xlsx; md goes to stdout without it)")
	return cmd
}

func parseKind(s string) (report.Kind, error) {
	switch k := strings.ToLower(strings.TrimSpace(s)); k {
	case "", "auto":
		return "", nil
	case string(report.KindSample), string(report.KindSelfCheck):
		return report.Kind(k), nil
	}
	return "", usageErrorf("--kind %q: want sample, selfcheck or auto", s)
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
		return nil, usageErrorf("--from-json %s: %v", path, unwrapPathError(err))
	}
	defer f.Close()
	res, err := report.ReadCheckJSON(f, path)
	if err != nil {
		return nil, &usageError{err}
	}
	return res, nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
