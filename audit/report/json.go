package report

import (
	"encoding/json"
	"io"
	"math"
	"time"

	"github.com/nmaudit/nmaudit/audit"
)

// The JSON reports are the contract users script against (design.md, "JSON report" and the
// reconcile JSON). These DTOs spell it out key by key, in one place, instead of leaning on the
// domain types' tags: a field added to the model for another reason must not leak into the
// contract, and slices must print [] rather than null. Times print in Options.Location in
// RFC 3339 (2022-08-22T00:00:00+08:00).

// checkDoc is the `check --format json` document.
type checkDoc struct {
	RunID        string            `json:"run_id,omitempty"` // first, when the history store names the run
	CheckTime    string            `json:"check_time"`
	Window       string            `json:"window"`
	Summary      summaryDoc        `json:"summary"`
	Accounts     []accountDoc      `json:"accounts"`
	Unregistered []unregisteredDoc `json:"unregistered"`
	Duplicates   []duplicateDoc    `json:"duplicates"`
	Warnings     []warningDoc      `json:"warnings"`
	// ReviewReasons is the 检查说明's 待核查 part: per reason (and platform), how many accounts
	// and what to do.
	ReviewReasons []reviewReasonDoc `json:"review_reasons"`
}

type reviewReasonDoc struct {
	Reason   string `json:"reason"`
	Code     string `json:"code"`
	Platform string `json:"platform"`
	Count    int    `json:"count"`
	Hint     string `json:"hint"`
}

type summaryDoc struct {
	RegistryRows    int     `json:"registry_rows"`
	ClosedExcluded  int     `json:"closed_excluded"`
	InScope         int     `json:"in_scope"`
	PendingClosure  int     `json:"pending_closure"`
	Qualified       int     `json:"qualified"`
	Unqualified     int     `json:"unqualified"`
	NeedsReview     int     `json:"needs_review"`
	UnqualifiedRate float64 `json:"unqualified_rate"` // rounded to 4 decimals: 0.0204
}

type accountDoc struct {
	Name           string        `json:"name"`
	Type           string        `json:"type"`
	Platform       string        `json:"platform"`
	AccountID      string        `json:"account_id"`
	Owner          string        `json:"owner"`
	Level          string        `json:"level"`
	Region         string        `json:"region"`
	RegistryStatus string        `json:"registry_status"`
	Status         string        `json:"status"`
	Result         string        `json:"result"`
	Problems       []string      `json:"problems"`
	LatestPostAt   *string       `json:"latest_post_at"` // null when no post is known
	Source         string        `json:"source"`         // "" when no source knew a post
	Detail         string        `json:"detail"`
	Evidence       []evidenceDoc `json:"evidence"` // beyond design.md's example; extra keys are allowed
}

// evidenceDoc mirrors audit.Evidence's keys, with times moved into the report's zone.
type evidenceDoc struct {
	Source    string  `json:"source"`
	PostAt    *string `json:"post_at,omitempty"`
	DayOnly   bool    `json:"day_only,omitempty"`
	Pinned    bool    `json:"pinned,omitempty"`
	PostID    string  `json:"post_id,omitempty"`
	Title     string  `json:"title,omitempty"`
	URL       string  `json:"url,omitempty"`
	FetchedAt *string `json:"fetched_at,omitempty"`
	Error     string  `json:"error,omitempty"`
	Row       int     `json:"row,omitempty"`
	Link      string  `json:"link,omitempty"`
	Identity  string  `json:"identity,omitempty"`
	Checker   string  `json:"checker,omitempty"`
}

type unregisteredDoc struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Owner string `json:"owner"`
	Row   int    `json:"row"`
}

type duplicateDoc struct {
	Name string `json:"name"`
	Type string `json:"type"`
	Rows []int  `json:"rows"`
}

type warningDoc struct {
	Name          string `json:"name"`
	Type          string `json:"type"`
	Owner         string `json:"owner"`
	LatestPostAt  string `json:"latest_post_at"`
	DaysSincePost int    `json:"days_since_post"`
}

func checkJSON(r *audit.Result, opt Options) checkDoc {
	loc := opt.Location
	s := r.Summary
	d := checkDoc{
		RunID:     opt.RunID,
		CheckTime: r.CheckTime.In(loc).Format(time.RFC3339),
		Window:    r.Window.String(),
		Summary: summaryDoc{
			RegistryRows: s.RegistryRows, ClosedExcluded: s.ClosedExcluded, InScope: s.InScope,
			PendingClosure: s.PendingClosure, Qualified: s.Qualified, Unqualified: s.Unqualified,
			NeedsReview: s.NeedsReview, UnqualifiedRate: round4(s.UnqualifiedRate),
		},
		Accounts:      make([]accountDoc, 0, len(r.Accounts)),
		Unregistered:  make([]unregisteredDoc, 0, len(r.Unregistered)),
		Duplicates:    make([]duplicateDoc, 0, len(r.Duplicates)),
		Warnings:      make([]warningDoc, 0, len(r.Warnings)),
		ReviewReasons: reviewReasonDocs(r),
	}
	for _, v := range r.Accounts {
		a := accountDoc{
			Name: v.Name, Type: v.Type, Platform: string(v.Platform), AccountID: accountID(v.Account),
			Owner: v.Owner, Level: v.Level, Region: v.Region, RegistryStatus: v.RegistryStatus,
			Status: string(v.Status), Result: v.Status.Label(),
			Problems:     append([]string{}, v.Problems...),
			LatestPostAt: rfc3339(v.LatestPostAt, loc),
			Source:       v.Source, Detail: v.Detail,
			Evidence: make([]evidenceDoc, 0, len(v.Evidence)),
		}
		for _, e := range v.Evidence {
			a.Evidence = append(a.Evidence, evidenceDoc{
				Source: e.Source, PostAt: rfc3339(e.PostAt, loc), DayOnly: e.DayOnly, Pinned: e.Pinned,
				PostID: e.PostID, Title: e.Title, URL: e.URL, FetchedAt: rfc3339(e.FetchedAt, loc),
				Error: e.Error, Row: e.Row, Link: e.Link, Identity: e.Identity, Checker: e.Checker,
			})
		}
		d.Accounts = append(d.Accounts, a)
	}
	for _, u := range r.Unregistered {
		d.Unregistered = append(d.Unregistered, unregisteredDoc(u))
	}
	for _, dup := range r.Duplicates {
		d.Duplicates = append(d.Duplicates, duplicateDoc{Name: dup.Name, Type: dup.Type, Rows: append([]int{}, dup.Rows...)})
	}
	for _, w := range r.Warnings {
		d.Warnings = append(d.Warnings, warningDoc{
			Name: w.Name, Type: w.Type, Owner: w.Owner,
			LatestPostAt: w.LatestPostAt.In(loc).Format(time.RFC3339), DaysSincePost: w.DaysSincePost,
		})
	}
	return d
}

// reviewReasonDocs is the 检查说明's 待核查 part (audit.Explain), always a list.
func reviewReasonDocs(r *audit.Result) []reviewReasonDoc {
	out := []reviewReasonDoc{}
	for _, rc := range audit.Explain(r).Reasons {
		out = append(out, reviewReasonDoc{Reason: rc.Reason, Code: rc.Code,
			Platform: string(rc.Platform), Count: rc.Count, Hint: rc.Hint})
	}
	return out
}

// reconcileDoc is the `reconcile --format json` document.
type reconcileDoc struct {
	Summary         reconcileSummaryDoc `json:"summary"`
	Matched         []reconcileEntryDoc `json:"matched"`
	Unregistered    []reconcileEntryDoc `json:"unregistered"`
	MissingFromList []reconcileEntryDoc `json:"missing_from_list"`
	StatusMismatch  []reconcileEntryDoc `json:"status_mismatch"`
	FieldMismatch   []reconcileEntryDoc `json:"field_mismatch"`
}

type reconcileSummaryDoc struct {
	RegistryRows    int `json:"registry_rows"`
	ListRows        int `json:"list_rows"`
	Matched         int `json:"matched"`
	Unregistered    int `json:"unregistered"`
	MissingFromList int `json:"missing_from_list"`
	StatusMismatch  int `json:"status_mismatch"`
	FieldMismatch   int `json:"field_mismatch"`
}

type reconcileEntryDoc struct {
	Name           string          `json:"name"`
	Type           string          `json:"type"`
	Owner          string          `json:"owner"`
	Platform       string          `json:"platform"`
	RegistryRow    int             `json:"registry_row"` // 0: not in the registry
	ListRow        int             `json:"list_row"`     // 0: not in the list
	RegistryStatus string          `json:"registry_status"`
	ListStatus     string          `json:"list_status"`
	Differences    []differenceDoc `json:"differences"`
}

type differenceDoc struct {
	Field    string `json:"field"` // status, owner or platform
	Registry string `json:"registry"`
	List     string `json:"list"`
}

func reconcileJSON(r *audit.Reconciliation) reconcileDoc {
	entries := func(es []audit.ReconcileEntry) []reconcileEntryDoc {
		out := make([]reconcileEntryDoc, 0, len(es))
		for _, e := range es {
			doc := reconcileEntryDoc{
				Name: e.Name, Type: e.Type, Owner: e.Owner, Platform: e.Platform,
				RegistryRow: e.RegistryRow, ListRow: e.ListRow,
				RegistryStatus: e.RegistryStatus, ListStatus: e.ListStatus,
				Differences: make([]differenceDoc, 0, len(e.Differences)),
			}
			for _, df := range e.Differences {
				doc.Differences = append(doc.Differences, differenceDoc(df))
			}
			out = append(out, doc)
		}
		return out
	}
	return reconcileDoc{
		Summary:         reconcileSummaryDoc(r.Summary),
		Matched:         entries(r.Matched),
		Unregistered:    entries(r.Unregistered),
		MissingFromList: entries(r.MissingFromList),
		StatusMismatch:  entries(r.StatusMismatch),
		FieldMismatch:   entries(r.FieldMismatch),
	}
}

// writeJSON pretty-prints v with a 2-space indent and a trailing newline, leaving Chinese text
// and <, >, & as they are: the reader is jq or a person, never an HTML page.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func rfc3339(t *time.Time, loc *time.Location) *string {
	if t == nil || t.IsZero() {
		return nil
	}
	s := t.In(loc).Format(time.RFC3339)
	return &s
}

// round4 rounds the unqualified ratio to 4 decimals (10/489 → 0.0204), enough for any
// percentage a report prints and stable across runs of the same data.
func round4(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return math.Round(x*1e4) / 1e4
}
