package history

import (
	"context"
	"math"
	"time"

	"github.com/nmaudit/nmaudit/audit/store"
)

// Listing is one run as `runs` lists it.
type Listing struct {
	Run     *store.Run
	Summary ListingSummary
}

// ListingSummary is the check JSON's summary for a finished run; for an unfinished one, the
// counts of the verdicts reached so far (the registry counts are known only at the end, and
// are left out).
type ListingSummary struct {
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

// ListingDoc is a run in `runs --format json` (design.md: id, started_at, check_time,
// finished, summary), its times in the zone the listing is printed in.
type ListingDoc struct {
	ID          string         `json:"id"`
	Kind        string         `json:"kind"`
	ParentRunID *string        `json:"parent_run_id"`
	StartedAt   string         `json:"started_at"`
	ResumedAt   *string        `json:"resumed_at"`
	FinishedAt  *string        `json:"finished_at"`
	CheckTime   string         `json:"check_time"`
	Window      string         `json:"window"`
	Finished    bool           `json:"finished"`
	Registry    store.File     `json:"registry"`
	Summary     ListingSummary `json:"summary"`
}

// Runs lists every recorded run, newest first (none when the default database does not
// exist yet).
func (a *Archive) Runs(ctx context.Context) ([]Listing, error) {
	if a.st == nil {
		return nil, nil
	}
	infos, err := a.st.Runs(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Listing, 0, len(infos))
	for _, ri := range infos {
		out = append(out, Listing{Run: ri.Run, Summary: summarize(ri)})
	}
	return out, nil
}

func summarize(ri store.RunInfo) ListingSummary {
	c := ri.Counts
	if !ri.Finished {
		return ListingSummary{InScope: ri.Planned, Decided: c.Decided, PendingClosure: c.PendingClosure,
			Qualified: c.Qualified, Unqualified: c.Unqualified, NeedsReview: c.NeedsReview}
	}
	s := ri.Summary
	rate := math.Round(s.UnqualifiedRate*1e4) / 1e4
	return ListingSummary{RegistryRows: &s.RegistryRows, ClosedExcluded: &s.ClosedExcluded, InScope: s.InScope,
		Decided: c.Decided, PendingClosure: s.PendingClosure, Qualified: s.Qualified, Unqualified: s.Unqualified,
		NeedsReview: s.NeedsReview, UnqualifiedRate: &rate}
}

// Doc is the listing as `runs --format json` prints it, times in loc.
func (l Listing) Doc(loc *time.Location) ListingDoc {
	r := l.Run
	d := ListingDoc{ID: r.ID, Kind: r.Kind, StartedAt: r.StartedAt.In(loc).Format(time.RFC3339),
		ResumedAt: timeDoc(r.ResumedAt, loc), FinishedAt: timeDoc(r.FinishedAt, loc),
		CheckTime: r.CheckTime.In(loc).Format(time.RFC3339), Window: r.Window, Finished: r.Finished,
		Registry: r.Registry, Summary: l.Summary}
	if r.ParentID != "" {
		parent := r.ParentID
		d.ParentRunID = &parent
	}
	return d
}

func timeDoc(t *time.Time, loc *time.Location) *string {
	if t == nil {
		return nil
	}
	s := t.In(loc).Format(time.RFC3339)
	return &s
}

// Report is a finished run as its command printed it: the check report, and for a recheck the
// 复核结果 against its parent.
type Report struct {
	Recorded
	Recheck *RecheckOutcome // nil unless the run is a recheck
}

// Report loads run id's report for `show`.
func (a *Archive) Report(ctx context.Context, id string) (*Report, error) {
	rec, err := a.Finished(ctx, id)
	if err != nil {
		return nil, err
	}
	return ReportOf(ctx, a.st, rec)
}

// ReportOf completes a recorded run's report: a recheck is compared with its parent.
func ReportOf(ctx context.Context, st *store.Store, rec *Recorded) (*Report, error) {
	rep := &Report{Recorded: *rec}
	r := rec.Run
	if r.Kind != store.KindRecheck || r.ParentID == "" {
		return rep, nil
	}
	parent, err := st.Run(ctx, r.ParentID)
	if err != nil {
		return nil, err
	}
	before, err := st.Result(ctx, parent)
	if err != nil {
		return nil, err
	}
	o := Outcome(r.ParentID, before, rec.Result)
	rep.Recheck = &o
	return rep, nil
}

// Pair is two finished runs, for Compare.
func (a *Archive) Pair(ctx context.Context, from, to string) (*Recorded, *Recorded, error) {
	ra, err := a.Finished(ctx, from)
	if err != nil {
		return nil, nil, err
	}
	rb, err := a.Finished(ctx, to)
	if err != nil {
		return nil, nil, err
	}
	return ra, rb, nil
}
