package main

import (
	"encoding/json"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/audit/report"
	"github.com/nmaudit/nmaudit/audit/store"
)

var runsFormats = []string{"table", "json"}

func newRunsCmd(s *streams) *cobra.Command {
	var rf reportFlags
	cmd := &cobra.Command{
		Use:   "runs [--format table|json]",
		Short: "List the recorded check runs, newest first",
		Long: `runs lists every check and recheck recorded in the history database (--db, config
store.path, default $XDG_DATA_HOME/nmaudit/nmaudit.db): its id, when it started, the check time,
whether it finished and its counts. An unfinished run (killed, interrupted, failed) shows the
verdicts it had reached; continue it with nmaudit check --resume RUN.`,
		Example: `  nmaudit runs
  nmaudit runs --format json | jq '.[] | select(.finished == false) | .id'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := rf.validate(runsFormats); err != nil {
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
			runs, err := st.Runs(cmd.Context())
			if err != nil {
				return err
			}
			return rf.write(s.Out, func(w io.Writer) error { return writeRuns(w, rf.Format, runs, cfg.Location) })
		},
	}
	rf.register(cmd.Flags(), runsFormats)
	return cmd
}

// runDoc is one run in `runs --format json`.
type runDoc struct {
	ID          string        `json:"id"`
	Kind        string        `json:"kind"`
	ParentRunID *string       `json:"parent_run_id"`
	StartedAt   string        `json:"started_at"`
	ResumedAt   *string       `json:"resumed_at"`
	FinishedAt  *string       `json:"finished_at"`
	CheckTime   string        `json:"check_time"`
	Window      string        `json:"window"`
	Finished    bool          `json:"finished"`
	Registry    store.File    `json:"registry"`
	Summary     runSummaryDoc `json:"summary"`
}

// runSummaryDoc is the check JSON's summary for a finished run; for an unfinished one, the
// counts of the verdicts reached so far (the registry counts are known only at the end).
type runSummaryDoc struct {
	RegistryRows    *int     `json:"registry_rows,omitempty"`
	ClosedExcluded  *int     `json:"closed_excluded,omitempty"`
	InScope         int      `json:"in_scope"`
	Decided         int      `json:"decided"`
	PendingClosure  int      `json:"pending_closure"`
	Qualified       int      `json:"qualified"`
	Unqualified     int      `json:"unqualified"`
	NeedsReview     int      `json:"needs_review"`
	UnqualifiedRate *float64 `json:"unqualified_rate,omitempty"`
}

func runSummary(ri store.RunInfo) runSummaryDoc {
	c := ri.Counts
	if !ri.Finished {
		return runSummaryDoc{InScope: ri.Planned, Decided: c.Decided, PendingClosure: c.PendingClosure,
			Qualified: c.Qualified, Unqualified: c.Unqualified, NeedsReview: c.NeedsReview}
	}
	s := ri.Summary
	rate := math.Round(s.UnqualifiedRate*1e4) / 1e4
	return runSummaryDoc{RegistryRows: &s.RegistryRows, ClosedExcluded: &s.ClosedExcluded, InScope: s.InScope,
		Decided: c.Decided, PendingClosure: s.PendingClosure, Qualified: s.Qualified, Unqualified: s.Unqualified,
		NeedsReview: s.NeedsReview, UnqualifiedRate: &rate}
}

func writeRuns(w io.Writer, format string, runs []store.RunInfo, loc *time.Location) error {
	if format == "json" {
		docs := make([]runDoc, 0, len(runs))
		for _, ri := range runs {
			d := runDoc{ID: ri.ID, Kind: ri.Kind, StartedAt: ri.StartedAt.In(loc).Format(time.RFC3339),
				ResumedAt: timeDoc(ri.ResumedAt, loc), FinishedAt: timeDoc(ri.FinishedAt, loc),
				CheckTime: ri.CheckTime.In(loc).Format(time.RFC3339), Window: ri.Window, Finished: ri.Finished,
				Registry: ri.Registry, Summary: runSummary(ri)}
			if ri.ParentID != "" {
				d.ParentRunID = &ri.ParentID
			}
			docs = append(docs, d)
		}
		return writeJSONDoc(w, docs)
	}
	d := report.Document{}
	sec := report.Section{Title: "检查记录",
		Columns: []string{"运行ID", "类型", "开始时间", "监测时间点", "状态", "检查范围", "已判定", audit.LabelQualified,
			audit.LabelUnqualified, audit.LabelPendingClosure, audit.LabelNeedsReview, "复核自"},
		Right: []bool{false, false, false, false, false, true, true, true, true, true, true, false}}
	for _, ri := range runs {
		sm := runSummary(ri)
		state := "已完成"
		if !ri.Finished {
			state = "未完成（可 --resume 续跑）"
		}
		kind := "检查"
		if ri.Kind == store.KindRecheck {
			kind = "复核"
		}
		sec.Rows = append(sec.Rows, []string{ri.ID, kind, ri.StartedAt.In(loc).Format("2006-01-02 15:04"),
			ri.CheckTime.In(loc).Format("2006-01-02 15:04"), state, strconv.Itoa(sm.InScope), strconv.Itoa(sm.Decided),
			strconv.Itoa(sm.Qualified), strconv.Itoa(sm.Unqualified), strconv.Itoa(sm.PendingClosure),
			strconv.Itoa(sm.NeedsReview), ri.ParentID})
	}
	if len(runs) == 0 {
		sec.Lines = []string{"无。"}
		sec.Columns = nil
	}
	d.Sections = append(d.Sections, sec)
	return report.WriteDocument(w, format, d)
}

func timeDoc(t *time.Time, loc *time.Location) *string {
	if t == nil {
		return nil
	}
	s := t.In(loc).Format(time.RFC3339)
	return &s
}

// writeJSONDoc prints v as the reports print JSON: 2-space indent, Chinese and <>& as is.
func writeJSONDoc(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
