package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nmaudit/nmaudit/audit"
)

// Run kinds.
const (
	KindCheck   = "check"
	KindRecheck = "recheck"
)

// File is an input file as a run used it: its absolute path and the SHA-256 of its bytes.
// The zero value means the run had no such file.
type File struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// Run is one recorded check: its parameters as it started, and (once finished) its summary.
// Secrets never appear here: credentials come from the config of whoever resumes the run.
type Run struct {
	ID        string
	Kind      string // KindCheck or KindRecheck
	ParentID  string // recheck: the run whose failing accounts were re-checked
	StartedAt time.Time
	ResumedAt *time.Time
	// FinishedAt is set, with Finished, in the same transaction as the summary.
	FinishedAt *time.Time
	Finished   bool
	Version    string // nmaudit version that started the run

	CheckTime    time.Time
	Timezone     string
	Window       string // canonical spelling, 14d
	Pending      string // pending_closure policy
	WarnAfter    time.Duration
	Registry     File
	Sheet        string
	Targets      File
	Observations File
	Findings     File
	// TargetAccounts are the accounts a recheck re-checks (nil for a check).
	TargetAccounts []audit.Account
	// CarriedFindings are the parent run's findings a recheck applies again (nil when none,
	// or when the recheck was given its own --findings).
	CarriedFindings []audit.Finding
	Offline         bool
	Replay          string
	Record          string
	Format          string
	RateDecimals    int
	Planned         int // accounts in scope when the run started
	// Distributed runs are decided by workers on other machines (nmaudit worker): their scope
	// is in the database (SaveWork), and check --resume reattaches to them.
	Distributed bool

	Summary audit.Summary // valid when Finished

	seq int64 // the store's key for the run (its order of creation)
}

// Location is the run's time zone (Asia/Shanghai when the stored name is unknown here).
func (r *Run) Location() *time.Location {
	if loc, err := time.LoadLocation(r.Timezone); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}

// Params are the run's classification parameters.
func (r *Run) Params() (audit.Params, error) {
	w, err := audit.ParseWindow(r.Window)
	if err != nil {
		return audit.Params{}, fmt.Errorf("运行 %s：记录的更新窗口：%w", r.ID, err)
	}
	p, err := audit.ParsePendingPolicy(r.Pending)
	if err != nil {
		return audit.Params{}, fmt.Errorf("运行 %s：记录的注销中账号规则：%w", r.ID, err)
	}
	return audit.Params{CheckTime: r.CheckTime.In(r.Location()), Window: w, Pending: p, WarnAfter: r.WarnAfter}, nil
}

// ErrNotFound is returned (wrapped) when no run matches an id.
var ErrNotFound = errors.New("没有这个运行")

// ErrAmbiguous is returned (wrapped) when an id prefix matches several runs.
var ErrAmbiguous = errors.New("运行编号不唯一")

// NewID makes a run id: the start time in the inspection's zone and four random hex digits,
// 20220825-170000-3f9a. Ids sort by start time and read as a date.
func NewID(started time.Time, loc *time.Location) string {
	var b [2]byte
	rand.Read(b[:])
	return started.In(loc).Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

// Times are written in UTC with a fixed number of fraction digits, so they compare as text;
// RFC 3339 reads them back, and the readers move them into the inspection's zone.
const (
	timeLayout  = "2006-01-02T15:04:05.000000000Z07:00"
	parseLayout = time.RFC3339Nano
)

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func formatTimePtr(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return formatTime(*t)
}

func parseTime(s string) (time.Time, error) { return time.Parse(parseLayout, s) }

func parseTimePtr(ns sql.NullString) (*time.Time, error) {
	if !ns.Valid || ns.String == "" {
		return nil, nil
	}
	t, err := parseTime(ns.String)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// b2i stores a bool as the 0/1 integer the schema declares on every engine.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CreateRun records a new, unfinished run. An empty r.ID gets a fresh NewID (retried on the
// rare collision); StartedAt must be set.
func (s *Store) CreateRun(ctx context.Context, r *Run) error {
	var targets, findings any
	if r.TargetAccounts != nil {
		b, err := json.Marshal(r.TargetAccounts)
		if err != nil {
			return s.fail(opCreateRun, err)
		}
		targets = string(b)
	}
	if r.CarriedFindings != nil {
		b, err := json.Marshal(r.CarriedFindings)
		if err != nil {
			return s.fail(opCreateRun, err)
		}
		findings = string(b)
	}
	var parent any
	if r.ParentID != "" {
		parent = r.ParentID
	}
	fixedID := r.ID != ""
	for attempt := 0; ; attempt++ {
		if !fixedID {
			r.ID = NewID(r.StartedAt, r.Location())
		}
		err := s.exec(ctx, opCreateRun, func(tx *sql.Tx) error {
			return s.execTx(ctx, tx, qInsertRun,
				r.ID, r.Kind, parent, formatTime(r.StartedAt), r.Version,
				formatTime(r.CheckTime), r.Timezone, r.Window, r.Pending, int64(r.WarnAfter/time.Second),
				r.Registry.Path, r.Registry.SHA256, r.Sheet, r.Targets.Path, r.Targets.SHA256, targets,
				r.Observations.Path, r.Observations.SHA256, r.Findings.Path, r.Findings.SHA256, findings,
				b2i(r.Offline), r.Replay, r.Record, r.Format, r.RateDecimals, r.Planned, b2i(r.Distributed))
		})
		// Two runs started in the same second may draw the same id (or, on an engine with
		// concurrent writers, the same seq): draw again.
		if err != nil && !fixedID && attempt < 5 && s.eng.unique(err) {
			continue
		}
		return err
	}
}

// MarkResumed notes that a run is being resumed now.
func (s *Store) MarkResumed(ctx context.Context, id string, at time.Time) error {
	return s.exec(ctx, opResumeRun, func(tx *sql.Tx) error {
		return s.execTx(ctx, tx, qMarkResumed, formatTime(at), id)
	})
}

func scanRun(sc scanner) (*Run, error) {
	r := &Run{}
	var parent, resumed, finishedAt, targets, findings sql.NullString
	var started, checkTime string
	var warn int64
	var finished, offline, distributed int
	var counts [7]sql.NullInt64
	var rate sql.NullFloat64
	err := sc.Scan(&r.ID, &r.Kind, &parent, &started, &resumed, &finishedAt, &finished, &r.Version,
		&checkTime, &r.Timezone, &r.Window, &r.Pending, &warn,
		&r.Registry.Path, &r.Registry.SHA256, &r.Sheet, &r.Targets.Path, &r.Targets.SHA256, &targets,
		&r.Observations.Path, &r.Observations.SHA256, &r.Findings.Path, &r.Findings.SHA256, &findings,
		&offline, &r.Replay, &r.Record, &r.Format, &r.RateDecimals, &r.Planned,
		&counts[0], &counts[1], &counts[2], &counts[3], &counts[4], &counts[5], &counts[6], &rate, &r.seq, &distributed)
	if err != nil {
		return nil, err
	}
	r.Finished, r.Offline, r.Distributed = finished != 0, offline != 0, distributed != 0
	r.ParentID = parent.String
	r.WarnAfter = time.Duration(warn) * time.Second
	if r.StartedAt, err = parseTime(started); err != nil {
		return nil, fmt.Errorf("运行 %s：started_at：%w", r.ID, err)
	}
	if r.CheckTime, err = parseTime(checkTime); err != nil {
		return nil, fmt.Errorf("运行 %s：check_time：%w", r.ID, err)
	}
	r.CheckTime = r.CheckTime.In(r.Location())
	if r.ResumedAt, err = parseTimePtr(resumed); err != nil {
		return nil, err
	}
	if r.FinishedAt, err = parseTimePtr(finishedAt); err != nil {
		return nil, err
	}
	if targets.Valid {
		if err := json.Unmarshal([]byte(targets.String), &r.TargetAccounts); err != nil {
			return nil, fmt.Errorf("运行 %s：复核账号：%w", r.ID, err)
		}
	}
	if findings.Valid {
		if err := json.Unmarshal([]byte(findings.String), &r.CarriedFindings); err != nil {
			return nil, fmt.Errorf("运行 %s：沿用的检查发现：%w", r.ID, err)
		}
	}
	r.Summary = audit.Summary{RegistryRows: int(counts[0].Int64), ClosedExcluded: int(counts[1].Int64),
		InScope: int(counts[2].Int64), PendingClosure: int(counts[3].Int64), Qualified: int(counts[4].Int64),
		Unqualified: int(counts[5].Int64), NeedsReview: int(counts[6].Int64), UnqualifiedRate: rate.Float64}
	return r, nil
}

// Run returns the run with this id, or the only run whose id starts with it. A missing or
// ambiguous id is an error wrapping ErrNotFound or ErrAmbiguous.
func (s *Store) Run(ctx context.Context, id string) (*Run, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		return nil, fmt.Errorf("运行编号为空：%w", ErrNotFound)
	}
	r, err := scanRun(s.queryRow(ctx, qRunByID, id))
	if err == nil {
		return r, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, s.fail(opReadRun, err)
	}
	var ids []string
	err = s.each(ctx, qRunsByPrefix, func(sc scanner) error {
		var x string
		err := sc.Scan(&x)
		ids = append(ids, x)
		return err
	}, len(id), id)
	if err != nil {
		return nil, s.fail(opReadRun, err)
	}
	switch len(ids) {
	case 0:
		return nil, fmt.Errorf("运行 %q：%w（%s）", id, ErrNotFound, s.path)
	case 1:
		return s.Run(ctx, ids[0])
	}
	return nil, fmt.Errorf("运行 %q：%w：以它开头的有 %s、%s 等", id, ErrAmbiguous, ids[0], ids[1])
}

// LatestUnfinished returns the newest unfinished run; ErrNotFound (wrapped) when there is none.
func (s *Store) LatestUnfinished(ctx context.Context) (*Run, error) {
	r, err := scanRun(s.queryRow(ctx, qLatestUnfinished))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%s 中%w", s.path, errNoUnfinished)
	}
	if err != nil {
		return nil, s.fail(opReadRuns, err)
	}
	return r, nil
}

// errNoUnfinished is LatestUnfinished's ErrNotFound, worded for what was looked for.
var errNoUnfinished = fmt.Errorf("没有未完成的运行：%w", ErrNotFound)

// Counts are the verdicts a run has reached so far, by status.
type Counts struct {
	Decided        int
	PendingClosure int
	Qualified      int
	Unqualified    int
	NeedsReview    int
}

// RunInfo is a run as `nmaudit runs` lists it.
type RunInfo struct {
	*Run
	Counts Counts // the verdicts saved so far (all of them once finished)
}

// Runs lists every run, newest first, with the counts of the verdicts saved so far. A
// finished run's counts are its summary (Finish checked every account was saved), so only
// unfinished runs cost a count of their verdicts.
func (s *Store) Runs(ctx context.Context) ([]RunInfo, error) {
	var out []RunInfo
	err := s.each(ctx, qAllRuns, func(sc scanner) error {
		r, err := scanRun(sc)
		if err == nil {
			out = append(out, RunInfo{Run: r})
		}
		return err
	})
	if err != nil {
		return nil, s.fail(opReadRuns, err)
	}
	for i := range out {
		r := out[i].Run
		if r.Finished {
			sm := r.Summary
			out[i].Counts = Counts{Decided: sm.InScope, PendingClosure: sm.PendingClosure, Qualified: sm.Qualified,
				Unqualified: sm.Unqualified, NeedsReview: sm.NeedsReview}
			continue
		}
		c, err := s.Counts(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		out[i].Counts = c
	}
	return out, nil
}

// Counts counts a run's saved verdicts by status.
func (s *Store) Counts(ctx context.Context, runID string) (Counts, error) {
	var c Counts
	err := s.each(ctx, qCountByStatus, func(sc scanner) error {
		var st string
		var n int
		if err := sc.Scan(&st, &n); err != nil {
			return err
		}
		c.Decided += n
		switch audit.Status(st) {
		case audit.PendingReview:
			c.PendingClosure += n
		case audit.Qualified:
			c.Qualified += n
		case audit.Unqualified:
			c.Unqualified += n
		case audit.NeedsReview:
			c.NeedsReview += n
		}
		return nil
	}, runID)
	if err != nil {
		return c, s.fail(opCount, err)
	}
	return c, nil
}
