package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nmaudit/nmaudit/audit"
)

// ErrFinished is returned (wrapped) when a verdict or a finish is written to a finished run.
var ErrFinished = errors.New("run is already finished")

// SaveVerdict records one account's verdict, at its position in the run's scope, with its
// evidence, in its own transaction: once it returns, a killed run keeps it. decidedAt is when
// the verdict was reached.
func (s *Store) SaveVerdict(ctx context.Context, runID string, index int, v audit.Verdict, decidedAt time.Time) error {
	blob, err := json.Marshal(v)
	if err != nil {
		return s.fail("save verdict", err)
	}
	problems, _ := json.Marshal(nonNil(v.Problems))
	if err := s.prepareSave(ctx); err != nil {
		return s.fail("save verdict", err)
	}
	return s.exec(ctx, "save verdict", func(tx *sql.Tx) error {
		var finished bool
		if err := tx.StmtContext(ctx, s.save.finished).QueryRowContext(ctx, runID).Scan(&finished); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("run %s: %w", runID, ErrNotFound)
			}
			return err
		}
		if finished {
			return fmt.Errorf("run %s: %w", runID, ErrFinished)
		}
		// A resumed run may decide again an account whose verdict the killed process saved just
		// before it died (the verdict is the same: same inputs, same rules); the new one wins.
		if _, err := tx.StmtContext(ctx, s.save.remove).ExecContext(ctx, runID, index); err != nil {
			return err
		}
		accountID := v.ID
		if accountID == "" {
			accountID = v.RawID
		}
		_, err := tx.StmtContext(ctx, s.save.verdict).ExecContext(ctx,
			runID, index, v.Row, string(v.Platform), accountID, v.Name, v.Type, v.Owner, v.Level, v.Region,
			string(v.Status), string(problems), formatTimePtr(v.LatestPostAt), v.Source, v.Detail,
			formatTime(decidedAt.UTC()), string(blob))
		if err != nil {
			return err
		}
		for seq, e := range v.Evidence {
			_, err := tx.StmtContext(ctx, s.save.evidence).ExecContext(ctx,
				runID, index, seq, e.Source, formatTimePtr(e.PostAt), e.DayOnly, e.Pinned, e.PostID, e.Title, e.URL,
				formatTimePtr(e.FetchedAt), e.Error, e.Row)
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// saveStmts are SaveVerdict's statements, prepared once: a check saves one verdict per
// account, and preparing them anew each time doubled the cost of a save.
type saveStmts struct {
	once                                sync.Once
	err                                 error
	finished, remove, verdict, evidence *sql.Stmt
}

func (s *Store) prepareSave(ctx context.Context) error {
	s.save.once.Do(func() { s.save.err = s.prepareSaveOnce(ctx) })
	return s.save.err
}

func (s *Store) prepareSaveOnce(ctx context.Context) error {
	for _, p := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&s.save.finished, "SELECT finished FROM runs WHERE id = ?"},
		{&s.save.remove, "DELETE FROM verdicts WHERE run_id = ? AND idx = ?"},
		{&s.save.verdict, `INSERT INTO verdicts (run_id, idx, registry_row, platform, account_id, name, type,
			owner, level, region, status, problems, latest_post_at, source, detail, decided_at, verdict)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&s.save.evidence, `INSERT INTO evidence (run_id, idx, seq, source, post_at, day_only, pinned,
			post_id, title, url, fetched_at, error, row) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
	} {
		st, err := s.db.PrepareContext(ctx, p.sql)
		if err != nil {
			return err
		}
		*p.stmt = st
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Decided is a verdict a run has saved, at its position in the run's scope.
type Decided struct {
	Index   int
	Verdict audit.Verdict
}

// Verdicts returns a run's saved verdicts in scope order, their times in loc.
func (s *Store) Verdicts(ctx context.Context, runID string, loc *time.Location) ([]Decided, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT idx, verdict FROM verdicts WHERE run_id = ? ORDER BY idx", runID)
	if err != nil {
		return nil, s.fail("read verdicts", err)
	}
	defer rows.Close()
	var out []Decided
	for rows.Next() {
		var d Decided
		var blob string
		if err := rows.Scan(&d.Index, &blob); err != nil {
			return nil, s.fail("read verdicts", err)
		}
		if err := json.Unmarshal([]byte(blob), &d.Verdict); err != nil {
			return nil, s.fail("read verdicts", fmt.Errorf("run %s, account #%d: %w", runID, d.Index, err))
		}
		inZone(&d.Verdict, loc)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail("read verdicts", err)
	}
	return out, nil
}

// inZone moves a decoded verdict's times into the inspection's zone, as Classify made them.
func inZone(v *audit.Verdict, loc *time.Location) {
	if loc == nil {
		return
	}
	at := func(t *time.Time) *time.Time {
		if t == nil {
			return nil
		}
		x := t.In(loc)
		return &x
	}
	v.LatestPostAt = at(v.LatestPostAt)
	for i := range v.Evidence {
		v.Evidence[i].PostAt = at(v.Evidence[i].PostAt)
		v.Evidence[i].FetchedAt = at(v.Evidence[i].FetchedAt)
	}
	if v.Problems == nil {
		v.Problems = []string{}
	}
}

// Finish writes the scope-level results — summary counts, unregistered rows, duplicates,
// warnings, notices — and marks the run finished, all in one transaction, so a run is either
// complete or unfinished, never in between. Every account of res must already be saved.
func (s *Store) Finish(ctx context.Context, runID string, res *audit.Result, at time.Time) error {
	return s.exec(ctx, "finish run", func(tx *sql.Tx) error {
		var finished bool
		if err := tx.QueryRowContext(ctx, "SELECT finished FROM runs WHERE id = ?", runID).Scan(&finished); err != nil {
			return err
		}
		if finished {
			return fmt.Errorf("run %s: %w", runID, ErrFinished)
		}
		var saved int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM verdicts WHERE run_id = ?", runID).Scan(&saved); err != nil {
			return err
		}
		if saved != len(res.Accounts) {
			return fmt.Errorf("run %s: %d verdicts saved, %d accounts in the result", runID, saved, len(res.Accounts))
		}
		for _, q := range []string{"unregistered", "duplicates", "warnings", "notices"} {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+q+" WHERE run_id = ?", runID); err != nil {
				return err
			}
		}
		for i, u := range res.Unregistered {
			if _, err := tx.ExecContext(ctx, "INSERT INTO unregistered (run_id, seq, name, type, owner, row) VALUES (?, ?, ?, ?, ?, ?)",
				runID, i, u.Name, u.Type, u.Owner, u.Row); err != nil {
				return err
			}
		}
		for i, d := range res.Duplicates {
			rows, _ := json.Marshal(d.Rows)
			if _, err := tx.ExecContext(ctx, "INSERT INTO duplicates (run_id, seq, name, type, rows) VALUES (?, ?, ?, ?, ?)",
				runID, i, d.Name, d.Type, string(rows)); err != nil {
				return err
			}
		}
		for i, w := range res.Warnings {
			if _, err := tx.ExecContext(ctx, "INSERT INTO warnings (run_id, seq, name, type, owner, latest_post_at, days_since_post) VALUES (?, ?, ?, ?, ?, ?, ?)",
				runID, i, w.Name, w.Type, w.Owner, formatTime(w.LatestPostAt), w.DaysSincePost); err != nil {
				return err
			}
		}
		for i, n := range res.Notices {
			if _, err := tx.ExecContext(ctx, "INSERT INTO notices (run_id, seq, text) VALUES (?, ?, ?)", runID, i, n); err != nil {
				return err
			}
		}
		sm := res.Summary
		// finished is set last, in the transaction that writes the summary.
		_, err := tx.ExecContext(ctx, `UPDATE runs SET registry_rows = ?, closed_excluded = ?, in_scope = ?, pending_closure = ?,
			qualified = ?, unqualified = ?, needs_review = ?, unqualified_rate = ?, finished_at = ?, finished = 1 WHERE id = ?`,
			sm.RegistryRows, sm.ClosedExcluded, sm.InScope, sm.PendingClosure, sm.Qualified, sm.Unqualified,
			sm.NeedsReview, sm.UnqualifiedRate, formatTime(at.UTC()), runID)
		return err
	})
}

// ErrUnfinished is returned (wrapped) by Result for a run that has not finished.
var ErrUnfinished = errors.New("run is unfinished")

// Result rebuilds a finished run's audit.Result exactly as the check produced it, so every
// report format renders the same as it did then.
func (s *Store) Result(ctx context.Context, r *Run) (*audit.Result, error) {
	if !r.Finished {
		return nil, fmt.Errorf("run %s: %w", r.ID, ErrUnfinished)
	}
	loc := r.Location()
	p, err := r.Params()
	if err != nil {
		return nil, err
	}
	res := &audit.Result{CheckTime: p.CheckTime, Window: p.Window, Summary: r.Summary,
		Accounts: []audit.Verdict{}, Unregistered: []audit.Unregistered{}, Duplicates: []audit.Duplicate{},
		Warnings: []audit.Warning{}}
	ds, err := s.Verdicts(ctx, r.ID, loc)
	if err != nil {
		return nil, err
	}
	for i, d := range ds {
		if d.Index != i {
			return nil, s.fail("read verdicts", fmt.Errorf("run %s: verdict #%d is missing", r.ID, i))
		}
		res.Accounts = append(res.Accounts, d.Verdict)
	}
	err = s.each(ctx, "SELECT name, type, owner, row FROM unregistered WHERE run_id = ? ORDER BY seq", r.ID, func(sc scanner) error {
		var u audit.Unregistered
		if err := sc.Scan(&u.Name, &u.Type, &u.Owner, &u.Row); err != nil {
			return err
		}
		res.Unregistered = append(res.Unregistered, u)
		return nil
	})
	if err == nil {
		err = s.each(ctx, "SELECT name, type, rows FROM duplicates WHERE run_id = ? ORDER BY seq", r.ID, func(sc scanner) error {
			var d audit.Duplicate
			var rows string
			if err := sc.Scan(&d.Name, &d.Type, &rows); err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(rows), &d.Rows); err != nil {
				return err
			}
			res.Duplicates = append(res.Duplicates, d)
			return nil
		})
	}
	if err == nil {
		err = s.each(ctx, "SELECT name, type, owner, latest_post_at, days_since_post FROM warnings WHERE run_id = ? ORDER BY seq", r.ID, func(sc scanner) error {
			var w audit.Warning
			var at string
			if err := sc.Scan(&w.Name, &w.Type, &w.Owner, &at, &w.DaysSincePost); err != nil {
				return err
			}
			t, err := parseTime(at)
			if err != nil {
				return err
			}
			w.LatestPostAt = t.In(loc)
			res.Warnings = append(res.Warnings, w)
			return nil
		})
	}
	if err == nil {
		err = s.each(ctx, "SELECT text FROM notices WHERE run_id = ? ORDER BY seq", r.ID, func(sc scanner) error {
			var n string
			if err := sc.Scan(&n); err != nil {
				return err
			}
			res.Notices = append(res.Notices, n)
			return nil
		})
	}
	if err != nil {
		return nil, s.fail("read run "+r.ID, err)
	}
	return res, nil
}

// each runs query with one argument and calls fn for every row.
func (s *Store) each(ctx context.Context, query string, arg any, fn func(scanner) error) error {
	rows, err := s.db.QueryContext(ctx, query, arg)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
