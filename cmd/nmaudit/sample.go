package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nmaudit/nmaudit/audit/report"
	"github.com/nmaudit/nmaudit/audit/sample"
	"github.com/nmaudit/nmaudit/config"
)

// sampleOptions are `nmaudit sample`'s flags (design.md, "Later commands").
type sampleOptions struct {
	Registry string
	Sheet    string
	Plan     string
	Strata   []string
	By       string
	Seed     string
	Output   string
}

func newSampleCmd(s *streams) *cobra.Command {
	opts := &sampleOptions{}
	cmd := &cobra.Command{
		Use:   "sample --registry FILE (--plan PLAN.yaml | --stratum NAME=N|P%|all …) --seed N -o FILE",
		Short: "从信息报送系统导出中按分层抽取季度抽查名单（可复现）",
		Long: `sample 按分层从信息报送系统导出中抽取账号：按层级（默认）、所属地区或平台分层，每层给出数量、
百分比（四舍五入，非空分层至少 1 个）或 all（全部）。已注销、注销中的账号不参与抽样；没有可抽
账号的分层会报错，不会悄悄抽出空名单。同一导出文件、方案和种子总是抽出同一名单。输出（.xlsx 或
.csv）保留导出表原有的列，并记录抽样方案、种子和导出文件的 SHA-256；nmaudit check --accounts
可直接使用。

抽样方案文件:
  by: level            # 或 region（所属地区）、platform（平台）
  strata: {市级政府: all, 县(区)政府: all, 市级部门: 89, 县(区)部门及镇(街道): 15%}

导出表没有层级列时，按开设主体的名称判断层级；判断不了或判断错的单位用配置 levels.overrides 指定。`,
		Example: `  nmaudit sample --registry 信息报送系统导出.xlsx --plan 抽样方案.yaml --seed 20220728 -o 抽查名单.xlsx
  nmaudit sample --registry reg.csv --stratum 市级政府=all --stratum 县区政府=all \
      --stratum 市级部门=89 --stratum "县(区)部门及镇(街道)=15%" --seed 7 -o sample.csv
  nmaudit sample --registry reg.xlsx --by platform --stratum 新浪微博=20 --stratum wechat=30 --seed 1 -o s.xlsx`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, nil)
			if err != nil {
				return err
			}
			return runSample(s, cfg, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Registry, "registry", "", "信息报送系统导出表 `FILE`，.xlsx 或 .csv（必填）")
	f.StringVar(&opts.Sheet, "sheet", "", "读取导出表 .xlsx 中的哪个工作表 `NAME`（默认第一个）")
	f.StringVar(&opts.Plan, "plan", "", "抽样方案 `PLAN.yaml`（含 by: 和 strata:）")
	f.StringArrayVar(&opts.Strata, "stratum", nil, "一个分层及抽取数量 `NAME=N|P%|all`（可重复；代替 --plan）")
	f.StringVar(&opts.By, "by", "", "与 --stratum 一起用的分层依据 `BY`: level（层级，默认）、region（所属地区）或 platform（平台）")
	f.StringVar(&opts.Seed, "seed", "", "随机种子 `N`，不小于 0 的整数（必填；记入输出文件）")
	f.StringVarP(&opts.Output, "output", "o", "", "抽样名单写到 `FILE`，.xlsx 或 .csv（必填）")
	return cmd
}

func runSample(s *streams, cfg *config.Config, opts *sampleOptions) error {
	if opts.Registry == "" {
		return usageErrorf("必须用 --registry FILE 给出信息报送系统导出表")
	}
	if opts.Seed == "" {
		return usageErrorf("必须用 --seed N 给出随机种子：种子记入抽样名单，以便任何人复现抽样")
	}
	seed, err := strconv.ParseUint(strings.TrimSpace(opts.Seed), 10, 64)
	if err != nil {
		return usageErrorf("--seed %q 无效：应为不小于 0 的整数", opts.Seed)
	}
	ext := strings.ToLower(filepath.Ext(opts.Output))
	if opts.Output == "" || (ext != ".xlsx" && ext != ".csv") {
		return usageErrorf("必须用 -o FILE.xlsx 或 -o FILE.csv 指定抽样名单的输出文件")
	}
	plan, err := samplePlan(opts)
	if err != nil {
		return err
	}
	smp, err := sample.Draw(opts.Registry, plan, seed, sample.Options{Load: loadOptions(cfg, opts.Sheet), Levels: cfg.LevelResolver})
	var pe *sample.PlanError
	if errors.As(err, &pe) {
		return &usageError{err}
	}
	if err != nil {
		return err
	}
	printNotices(s.Err, smp.Notices)
	out := reportFlags{Output: opts.Output}
	if err := out.write(s.Out, func(w io.Writer) error {
		if ext == ".csv" {
			return smp.WriteCSV(w)
		}
		return smp.WriteXLSX(w)
	}); err != nil {
		return err
	}
	parts := make([]string, len(smp.Strata))
	for i, st := range smp.Strata {
		parts[i] = fmt.Sprintf("%s %d/%d", st.Name, st.Drawn, st.Available)
	}
	fmt.Fprintf(s.Err, "抽样完成: 共%d个（%s），种子 %d → %s\n", smp.Total(), strings.Join(parts, "，"), seed, report.SafeText(opts.Output))
	return nil
}

// samplePlan builds the plan from --plan or the --stratum flags (one or the other).
func samplePlan(opts *sampleOptions) (sample.Plan, error) {
	switch {
	case opts.Plan != "" && (len(opts.Strata) > 0 || opts.By != ""):
		return sample.Plan{}, usageErrorf("--plan FILE 与 --stratum/--by 只能二选一")
	case opts.Plan != "":
		p, err := sample.LoadPlan(opts.Plan)
		if err != nil {
			return sample.Plan{}, &usageError{err}
		}
		return p, nil
	case len(opts.Strata) == 0:
		return sample.Plan{}, usageErrorf("需要抽样方案：--plan PLAN.yaml，或一个或多个 --stratum NAME=N|P%%|all")
	}
	by, err := sample.ParseBy(opts.By)
	if err != nil {
		return sample.Plan{}, usageErrorf("--by: %v", err)
	}
	p := sample.Plan{By: by}
	for _, v := range opts.Strata {
		st, err := sample.ParseStratumFlag(v)
		if err != nil {
			return sample.Plan{}, &usageError{err}
		}
		p.Strata = append(p.Strata, st)
	}
	return p, nil
}
