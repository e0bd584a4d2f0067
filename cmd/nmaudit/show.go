package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

func newShowCmd(s *streams) *cobra.Command {
	var rf reportFlags
	cmd := &cobra.Command{
		Use:   "show RUN [--format F] [-o FILE]",
		Short: "Print a recorded run's report again, in any format, without fetching",
		Long: `show re-renders a finished run from the history database exactly as check printed it
(the JSON includes its run_id), in any report format — so a run checked as a table can be
filed as xlsx later. RUN is a run id from nmaudit runs, or a unique prefix of one. An
unfinished run has no complete report: resume it first with nmaudit check --resume RUN.`,
		Example: `  nmaudit show 20220825-170000-3f9a --format xlsx -o 检查结果.xlsx
  nmaudit show 20220825 --format json | jq .summary`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := rf.validate(checkFormats); err != nil {
				return err
			}
			cfg, err := loadConfig(cmd, nil)
			if err != nil {
				return err
			}
			st, err := openStore(cmd, cfg)
			if err != nil {
				return err
			}
			defer st.Close()
			ctx := cmd.Context()
			r, err := finishedRun(ctx, st, args[0])
			if err != nil {
				return err
			}
			res, err := st.Result(ctx, r)
			if err != nil {
				return err
			}
			for _, n := range res.Notices {
				fmt.Fprintln(s.Err, "注意:", n)
			}
			return rf.write(s.Out, func(w io.Writer) error {
				return renderRun(ctx, st, r, w, rf.Format, res, reportOptions(cfg))
			})
		},
	}
	rf.register(cmd.Flags(), checkFormats)
	return cmd
}
