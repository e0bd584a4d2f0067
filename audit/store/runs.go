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

	Summary audit.Summary // valid when Finished
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
		return audit.Params{}, fmt.Errorf("run %s: stored window: %w", r.ID, err)
	}
	p, err := audit.ParsePendingPolicy(r.Pending)
	if err != nil {
		return audit.Params{}, fmt.Errorf("run %s: stored policy: %w", r.ID, err)
	}
	return audit.Params{CheckTime: r.CheckTime.In(r.Location()), Window: w, Pending: p, WarnAfter: r.WarnAfter}, nil
}

// ErrNotFound is returned (wrapped) when no run matches an id.
var ErrNotFound = errors.New("no such run")

// ErrAmbiguous is returned (wrapped) when an id prefix matches several runs.
var ErrAmbiguous = errors.New("ambiguous run id")

// NewID makes a run id: the start time in the inspection's zone and four random hex digits,
// 20220825-170000-3f9a. Ids sort by start time and read as a date.
func NewID(started time.Time, loc *time.Location) string {
	var b [2]byte
	rand.Read(b[:])
	return started.In(loc).Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

const timeLayout = time.RFC3339Nano

func formatTime(t time.Time) string { return t.Format(timeLayout) }

func formatTimePtr(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return t.Format(timeLayout)
}

func parseTime(s string) (time.Time, error) { return time.Parse(timeLayout, s) }

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

// CreateRun records a new, unfinished run. An empty r.ID gets a fresh NewID (retried on the
// rare collision); StartedAt must be set.
func (s *Store) CreateRun(ctx context.Context, r *Run) error {
	var targets, findings any
	if r.TargetAccounts != nil {
		b, err := json.Marshal(r.TargetAccounts)
		if err != nil {
			return s.fail("create run", err)
		}
		targets = string(b)
	}
	if r.CarriedFindings != nil {
		b, err := json.Marshal(r.CarriedFindings)
		if err != nil {
			return s.fail("create run", err)
		}
		findings = string(b)
	}
	fixedID := r.ID != ""
	for attempt := 0; ; attempt++ {
		if !fixedID {
			r.ID = NewID(r.StartedAt, r.Location())
		}
		err := s.exec(ctx, "create run", func(tx *sql.Tx) error {
			var parent any
			if r.ParentID != "" {
				parent = r.ParentID
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO runs (id, kind, parent_run_id, started_at, nmaudit_version,
				check_time, timezone, window, pending_policy, warn_after_seconds,
				registry_path, registry_sha256, registry_sheet, targets_path, targets_sha256, targets_json,
				observations_path, observations_sha256, findings_path, findings_sha256, findings_json,
				offline, replay_dir, record_dir, format, rate_decimals, planned)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				r.ID, r.Kind, parent, formatTime(r.StartedAt.UTC()), r.Version,
				formatTime(r.CheckTime), r.Timezone, r.Window, r.Pending, int64(r.WarnAfter/time.Second),
				r.Registry.Path, r.Registry.SHA256, r.Sheet, r.Targets.Path, r.Targets.SHA256, targets,
				r.Observations.Path, r.Observations.SHA256, r.Findings.Path, r.Findings.SHA256, findings,
				r.Offline, r.Replay, r.Record, r.Format, r.RateDecimals, r.Planned)
			return err
		})
		if err != nil && !fixedID && attempt < 5 && strings.Contains(err.Error(), "UNIQUE constraint failed: runs.id") {
			continue
		}
		return err
	}
}

// MarkResumed notes that a run is being resumed now.
func (s *Store) MarkResumed(ctx context.Context, id string, at time.Time) error {
	return s.exec(ctx, "resume run", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE runs SET resumed_at = ? WHERE id = ? AND finished = 0`, formatTime(at.UTC()), id)
		return err
	})
}

const runColumns = `id, kind, parent_run_id, started_at, resumed_at, finished_at, finished, nmaudit_version,
	check_time, timezone, window, pending_policy, warn_after_seconds,
	registry_path, registry_sha256, registry_sheet, targets_path, targets_sha256, targets_json,
	observations_path, observations_sha256, findings_path, findings_sha256, findings_json,
	offline, replay_dir, record_dir, format, rate_decimals, planned,
	registry_rows, closed_excluded, in_scope, pending_closure, qualified, unqualified, needs_review, unqualified_rate`

type scanner interface{ Scan(dest ...any) error }

func scanRun(sc scanner) (*Run, error) {
	r := &Run{}
	var parent, resumed, finishedAt, targets, findings sql.NullString
	var started, checkTime string
	var warn int64
	var counts [7]sql.NullInt64
	var rate sql.NullFloat64
	err := sc.Scan(&r.ID, &r.Kind, &parent, &started, &resumed, &finishedAt, &r.Finished, &r.Version,
		&checkTime, &r.Timezone, &r.Window, &r.Pending, &warn,
		&r.Registry.Path, &r.Registry.SHA256, &r.Sheet, &r.Targets.Path, &r.Targets.SHA256, &targets,
		&r.Observations.Path, &r.Observations.SHA256, &r.Findings.Path, &r.Findings.SHA256, &findings,
		&r.Offline, &r.Replay, &r.Record, &r.Format, &r.RateDecimals, &r.Planned,
		&counts[0], &counts[1], &counts[2], &counts[3], &counts[4], &counts[5], &counts[6], &rate)
	if err != nil {
		return nil, err
	}
	r.ParentID = parent.String
	r.WarnAfter = time.Duration(warn) * time.Second
	if r.StartedAt, err = parseTime(started); err != nil {
		return nil, fmt.Errorf("run %s: started_at: %w", r.ID, err)
	}
	if r.CheckTime, err = parseTime(checkTime); err != nil {
		return nil, fmt.Errorf("run %s: check_time: %w", r.ID, err)
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
			return nil, fmt.Errorf("run %s: targets: %w", r.ID, err)
		}
	}
	if findings.Valid {
		if err := json.Unmarshal([]byte(findings.String), &r.CarriedFindings); err != nil {
			return nil, fmt.Errorf("run %s: findings: %w", r.ID, err)
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
		return nil, fmt.Errorf("run id is empty: %w", ErrNotFound)
	}
	r, err := scanRun(s.db.QueryRowContext(ctx, "SELECT "+runColumns+" FROM runs WHERE id = ?", id))
	if err == nil {
		return r, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, s.fail("read run", err)
	}
	rows, err := s.db.QueryContext(ctx, "SELECT id FROM runs WHERE substr(id, 1, ?) = ? ORDER BY id LIMIT 3", len(id), id)
	if err != nil {
		return nil, s.fail("read run", err)
	}
	var ids []string
	for rows.Next() {
		var x string
		if err := rows.Scan(&x); err != nil {
			rows.Close()
			return nil, s.fail("read run", err)
		}
		ids = append(ids, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, s.fail("read run", err)
	}
	switch len(ids) {
	case 0:
		return nil, fmt.Errorf("run %q: %w in %s", id, ErrNotFound, s.path)
	case 1:
		return s.Run(ctx, ids[0])
	}
	return nil, fmt.Errorf("run %q: %w: it starts %s, %s, …", id, ErrAmbiguous, ids[0], ids[1])
}

// LatestUnfinished returns the newest unfinished run; ErrNotFound (wrapped) when there is none.
func (s *Store) LatestUnfinished(ctx context.Context) (*Run, error) {
	r, err := scanRun(s.db.QueryRowContext(ctx, "SELECT "+runColumns+" FROM runs WHERE finished = 0 ORDER BY started_at DESC, rowid DESC LIMIT 1"))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("no unfinished run: %w in %s", ErrNotFound, s.path)
	}
	if err != nil {
		return nil, s.fail("read runs", err)
	}
	return r, nil
}

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

// Runs lists every run, newest first, with the counts of the verdicts saved so far.
func (s *Store) Runs(ctx context.Context) ([]RunInfo, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+runColumns+" FROM runs ORDER BY started_at DESC, rowid DESC")
	if err != nil {
		return nil, s.fail("read runs", err)
	}
	var out []RunInfo
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			rows.Close()
			return nil, s.fail("read runs", err)
		}
		out = append(out, RunInfo{Run: r})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, s.fail("read runs", err)
	}
	for i := range out {
		c, err := s.Counts(ctx, out[i].ID)
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
	rows, err := s.db.QueryContext(ctx, "SELECT status, count(*) FROM verdicts WHERE run_id = ? GROUP BY status", runID)
	if err != nil {
		return c, s.fail("count verdicts", err)
	}
	defer rows.Close()
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return c, s.fail("count verdicts", err)
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
	}
	if err := rows.Err(); err != nil {
		return c, s.fail("count verdicts", err)
	}
	return c, nil
}
