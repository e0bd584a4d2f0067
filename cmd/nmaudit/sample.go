package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nmaudit/nmaudit/audit"
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
		Short: "Draw the quarterly sample (季度抽查) from the registry, reproducibly",
		Long: `sample draws accounts from the registry by strata — level (default), region or platform —
each with a count, a percentage (rounded half up, at least 1) or "all". Closed and
pending-closure accounts are never drawn. The same registry, plan and seed always give the same
sample. The output (.xlsx or .csv) lists the drawn accounts with the registry's own columns and
records the plan, seed and the registry's SHA-256; "nmaudit check --accounts" takes it as is.

Plan file:
  by: level            # or region, platform
  strata: {市级政府: all, 县(区)政府: all, 市级部门: 89, 县(区)部门及镇(街道): 15%}

When the registry has no level column the level is inferred from the owner's name
(开设主体); config levels.overrides fixes the exceptions.`,
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
	f.StringVar(&opts.Registry, "registry", "", "registry export, .xlsx or .csv (required)")
	f.StringVar(&opts.Sheet, "sheet", "", "sheet of the registry .xlsx to read (default: the first)")
	f.StringVar(&opts.Plan, "plan", "", "sampling plan, a YAML file with by: and strata:")
	f.StringArrayVar(&opts.Strata, "stratum", nil, "a stratum and its quota, NAME=N, NAME=P% or NAME=all (repeat; instead of --plan)")
	f.StringVar(&opts.By, "by", "", "with --stratum: level (default), region or platform")
	f.StringVar(&opts.Seed, "seed", "", "random seed, a whole number ≥ 0 (required; recorded in the output)")
	f.StringVarP(&opts.Output, "output", "o", "", "write the sample to FILE.xlsx or FILE.csv (required)")
	return cmd
}

func runSample(s *streams, cfg *config.Config, opts *sampleOptions) error {
	if opts.Registry == "" {
		return usageErrorf("--registry FILE is required")
	}
	if opts.Seed == "" {
		return usageErrorf("--seed N is required: it is recorded with the sample so the draw can be repeated")
	}
	seed, err := strconv.ParseUint(strings.TrimSpace(opts.Seed), 10, 64)
	if err != nil {
		return usageErrorf("--seed %q: want a whole number ≥ 0", opts.Seed)
	}
	ext := strings.ToLower(filepath.Ext(opts.Output))
	if opts.Output == "" || (ext != ".xlsx" && ext != ".csv") {
		return usageErrorf("-o FILE.xlsx or -o FILE.csv is required")
	}
	plan, err := samplePlan(opts)
	if err != nil {
		return err
	}
	levels, err := audit.NewLevelResolver(cfg.Levels.Overrides) // validated with the config
	if err != nil {
		return &config.Error{File: cfg.File, Key: "levels.overrides", Msg: err.Error()}
	}
	smp, err := sample.Draw(opts.Registry, plan, seed, sample.Options{Load: loadOptions(cfg, opts.Sheet), Levels: levels})
	var pe *sample.PlanError
	if errors.As(err, &pe) {
		return &usageError{err}
	}
	if err != nil {
		return err
	}
	for _, n := range smp.Notices {
		fmt.Fprintln(s.Err, "注意:", n)
	}
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
	fmt.Fprintf(s.Err, "抽样完成: 共%d个（%s），种子 %d → %s\n", smp.Total(), strings.Join(parts, "，"), seed, opts.Output)
	return nil
}

// samplePlan builds the plan from --plan or the --stratum flags (one or the other).
func samplePlan(opts *sampleOptions) (sample.Plan, error) {
	switch {
	case opts.Plan != "" && (len(opts.Strata) > 0 || opts.By != ""):
		return sample.Plan{}, usageErrorf("give either --plan FILE or --stratum/--by flags, not both")
	case opts.Plan != "":
		p, err := sample.LoadPlan(opts.Plan)
		if err != nil {
			return sample.Plan{}, &usageError{err}
		}
		return p, nil
	case len(opts.Strata) == 0:
		return sample.Plan{}, usageErrorf("a plan is required: --plan PLAN.yaml, or --stratum NAME=N|P%%|all (repeatable)")
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
