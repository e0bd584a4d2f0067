package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nmaudit/nmaudit/audit"
)

// ErrFinished is returned (wrapped) when a verdict or a finish is written to a finished run.
var ErrFinished = errors.New("运行已完成")

// SaveVerdict records one account's verdict, at its position in the run's scope, with its
// evidence, in its own transaction: once it returns, a killed run keeps it. decidedAt is when
// the verdict was reached. A check saves through a Writer instead, which batches.
func (s *Store) SaveVerdict(ctx context.Context, runID string, index int, v audit.Verdict, decidedAt time.Time) error {
	p, err := newPending(index, &v, decidedAt, nil)
	if err != nil {
		return s.fail(opSaveVerdict, err)
	}
	return s.saveBatch(ctx, runID, []pending{p}, &encodeBuf{}, false)
}

// encodeBuf is a writer's reusable space for a statement's arguments.
type encodeBuf struct {
	args []any
}

// pending is a verdict handed to the store and not yet committed, already in the form its
// columns take: the verdict is packed by the goroutine that hands it over (Save), so a check
// deciding faster than the disk takes its verdicts shares the encoding with the writer.
type pending struct {
	index  int
	status string
	packed string     // packVerdict's array
	done   chan error // SaveWait's: told when the verdict's batch is committed, or failed
}

// newPending packs v, decided at decidedAt, for the account at index.
func newPending(index int, v *audit.Verdict, decidedAt time.Time, done chan error) (pending, error) {
	b, err := packVerdict(make([]byte, 0, 512), v, decidedAt) // most verdicts fit
	if err != nil {
		return pending{}, err
	}
	return pending{index: index, status: string(v.Status), packed: string(b), done: done}, nil
}

// saveBatch writes verdicts in one transaction: all of them are kept, or none. buf holds the
// caller's buffers, reused from batch to batch.
func (s *Store) saveBatch(ctx context.Context, runID string, batch []pending, buf *encodeBuf, keepFirst bool) error {
	st, err := s.prepared(ctx)
	if err != nil {
		return s.fail(opSaveVerdict, err)
	}
	return s.exec(ctx, opSaveVerdict, func(tx *sql.Tx) error {
		seq, err := unfinishedKey(tx.StmtContext(ctx, st.finished).QueryRowContext(ctx, runID), runID)
		if err != nil {
			return err
		}
		many, one := tx.StmtContext(ctx, st.many), tx.StmtContext(ctx, st.one)
		if keepFirst {
			many, one = tx.StmtContext(ctx, st.firstMany), tx.StmtContext(ctx, st.firstOne)
		}
		for len(batch) > 0 {
			n, stmt := st.manyRows, many
			if len(batch) < n {
				n, stmt = 1, one
			}
			args := buf.args[:0]
			for i := range batch[:n] {
				p := &batch[i]
				args = append(args, seq, int64(p.index), p.status, p.packed) // verdictColumns
			}
			buf.args = args
			if _, err := stmt.ExecContext(ctx, args...); err != nil {
				return err
			}
			batch = batch[n:]
		}
		return nil
	})
}

// unfinishedKey scans qRunKey's row: the run's key, or why verdicts cannot be added to it.
func unfinishedKey(row *sql.Row, runID string) (int64, error) {
	var seq int64
	var finished int
	if err := row.Scan(&seq, &finished); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("运行 %s：%w", runID, ErrNotFound)
		}
		return 0, err
	}
	if finished != 0 {
		return 0, fmt.Errorf("运行 %s：%w", runID, ErrFinished)
	}
	return seq, nil
}

// scanVerdict reads one row of qVerdicts.
func scanVerdict(sc scanner, loc *time.Location) (Decided, error) {
	var d Decided
	var status string
	var packed sql.RawBytes
	if err := sc.Scan(&d.Index, &status, &packed); err != nil {
		return d, err
	}
	d.Verdict.Status = audit.Status(status)
	if _, err := unpackVerdict(packed, &d.Verdict); err != nil {
		return d, fmt.Errorf("第 %d 个账号的%w", d.Index, err)
	}
	inZone(&d.Verdict, loc)
	return d, nil
}

// Decided is a verdict a run has saved, at its position in the run's scope.
type Decided struct {
	Index   int
	Verdict audit.Verdict
}

// Verdicts returns a run's saved verdicts in scope order, their times in loc (as they are
// stored, UTC, when loc is nil).
func (s *Store) Verdicts(ctx context.Context, runID string, loc *time.Location) ([]Decided, error) {
	var out []Decided
	err := s.each(ctx, qVerdicts, func(sc scanner) error {
		d, err := scanVerdict(sc, loc)
		if err != nil {
			return err
		}
		out = append(out, d)
		return nil
	}, runID)
	if err != nil {
		return nil, s.fail(opReadVerdicts, fmt.Errorf("运行 %s：%w", runID, err))
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
}

// Finish writes the scope-level results — summary counts, unregistered rows, duplicates,
// warnings, notices — and marks the run finished, all in one transaction, so a run is either
// complete or unfinished, never in between. Every account of res must already be saved:
// close the run's Writer first.
func (s *Store) Finish(ctx context.Context, runID string, res *audit.Result, at time.Time) error {
	return s.exec(ctx, opFinishRun, func(tx *sql.Tx) error {
		seq, err := unfinishedKey(s.queryRowTx(ctx, tx, qRunKey, runID), runID)
		if err != nil {
			return err
		}
		var saved int
		if err := s.queryRowTx(ctx, tx, qCountVerdicts, seq).Scan(&saved); err != nil {
			return err
		}
		if saved != len(res.Accounts) {
			return fmt.Errorf("运行 %s：已保存 %d 个判定结果，结果中有 %d 个账号", runID, saved, len(res.Accounts))
		}
		for _, t := range scopeTables {
			if err := s.execTx(ctx, tx, "DELETE FROM "+t+" WHERE run_id = ?", runID); err != nil {
				return err
			}
		}
		for i, u := range res.Unregistered {
			if err := s.execTx(ctx, tx, qInsertUnregistered, runID, i, u.Name, u.Type, u.Owner, u.Row); err != nil {
				return err
			}
		}
		for i, d := range res.Duplicates {
			rows, _ := json.Marshal(d.Rows)
			if err := s.execTx(ctx, tx, qInsertDuplicate, runID, i, d.Name, d.Type, string(rows)); err != nil {
				return err
			}
		}
		for i, w := range res.Warnings {
			if err := s.execTx(ctx, tx, qInsertWarning, runID, i, w.Name, w.Type, w.Owner, formatTime(w.LatestPostAt), w.DaysSincePost); err != nil {
				return err
			}
		}
		for i, n := range res.Notices {
			if err := s.execTx(ctx, tx, qInsertNotice, runID, i, n); err != nil {
				return err
			}
		}
		sm := res.Summary
		// finished is set last, in the transaction that writes the summary.
		return s.execTx(ctx, tx, qFinishRun, sm.RegistryRows, sm.ClosedExcluded, sm.InScope, sm.PendingClosure,
			sm.Qualified, sm.Unqualified, sm.NeedsReview, sm.UnqualifiedRate, formatTime(at), runID)
	})
}

// ErrUnfinished is returned (wrapped) by Result for a run that has not finished.
var ErrUnfinished = errors.New("运行尚未完成")

// Result rebuilds a finished run's audit.Result exactly as the check produced it, so every
// report format renders the same as it did then.
func (s *Store) Result(ctx context.Context, r *Run) (*audit.Result, error) {
	if !r.Finished {
		return nil, fmt.Errorf("运行 %s：%w", r.ID, ErrUnfinished)
	}
	loc := r.Location()
	p, err := r.Params()
	if err != nil {
		return nil, err
	}
	res := &audit.Result{CheckTime: p.CheckTime, Window: p.Window, Summary: r.Summary,
		Accounts: make([]audit.Verdict, 0, r.Summary.InScope), Unregistered: []audit.Unregistered{},
		Duplicates: []audit.Duplicate{}, Warnings: []audit.Warning{}}
	err = s.each(ctx, qVerdicts, func(sc scanner) error {
		d, err := scanVerdict(sc, loc)
		if err != nil {
			return err
		}
		if d.Index != len(res.Accounts) {
			return fmt.Errorf("缺少第 %d 个账号的判定结果", len(res.Accounts))
		}
		res.Accounts = append(res.Accounts, d.Verdict)
		return nil
	}, r.ID)
	if err == nil {
		err = s.each(ctx, qUnregistered, func(sc scanner) error {
			var u audit.Unregistered
			err := sc.Scan(&u.Name, &u.Type, &u.Owner, &u.Row)
			res.Unregistered = append(res.Unregistered, u)
			return err
		}, r.ID)
	}
	if err == nil {
		err = s.each(ctx, qDuplicates, func(sc scanner) error {
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
		}, r.ID)
	}
	if err == nil {
		err = s.each(ctx, qWarnings, func(sc scanner) error {
			var w audit.Warning
			var at string
			if err := sc.Scan(&w.Name, &w.Type, &w.Owner, &at, &w.DaysSincePost); err != nil {
				return err
			}
			t, err := parseTime(at)
			w.LatestPostAt = t.In(loc)
			res.Warnings = append(res.Warnings, w)
			return err
		}, r.ID)
	}
	if err == nil {
		err = s.each(ctx, qNotices, func(sc scanner) error {
			var n string
			err := sc.Scan(&n)
			res.Notices = append(res.Notices, n)
			return err
		}, r.ID)
	}
	if err != nil {
		return nil, s.fail(opReadRun, fmt.Errorf("运行 %s：%w", r.ID, err))
	}
	return res, nil
}
