package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/nmaudit/nmaudit/audit"
)

// A distributed run's scope lives in the database (schema 3's work table): the machines that
// fetch for it have neither the registry nor the observation and finding files, only the
// database. Each row is one account with the rows matched to it, so a worker decides it exactly
// as a local check would (audit.Check.Decide) from that row alone. Nothing in it is secret:
// credentials stay in each worker's own config.

// WorkItem is one account of a distributed run's scope.
type WorkItem struct {
	Index        int // position in the run's scope
	Account      audit.Account
	Observations []audit.Observation // the observation rows matched to the account
	Findings     []audit.Finding     // the finding rows matched to it
}

// What an Error says was being done, for the distributed run's scope.
const (
	opSaveWork = "保存分布式检查范围"
	opReadWork = "读取分布式检查范围"
)

const (
	qInsertWork = `INSERT INTO work (run_seq, idx, platform, account, observations, findings) VALUES `
	qWorkItem   = `SELECT idx, account, observations, findings FROM work WHERE run_seq = ` + runSeqOf + ` AND idx = ?`
	qWorkCount  = `SELECT count(*) FROM work WHERE run_seq = ` + runSeqOf
	qAddNotices = `UPDATE work SET notices = ? WHERE run_seq = ` + runSeqOf + ` AND idx = ?`
	qNoticesOf  = `SELECT notices FROM work WHERE run_seq = ` + runSeqOf + ` AND notices IS NOT NULL ORDER BY idx`
	qDecidedIdx = `SELECT idx FROM verdicts WHERE run_seq = ` + runSeqOf + ` ORDER BY idx`
	qHasVerdict = `SELECT count(*) FROM verdicts WHERE run_seq = ` + runSeqOf + ` AND idx = ?`
)

// workPerStatement rows go in one INSERT (6 parameters each).
const workPerStatement = 200

// SaveWork records a distributed run's scope. Rows already there are kept as they are, so a
// coordinator that resumes after dying part way through saves only what was missing.
func (s *Store) SaveWork(ctx context.Context, runID string, items []WorkItem) error {
	return s.exec(ctx, opSaveWork, func(tx *sql.Tx) error {
		seq, err := unfinishedKey(s.queryRowTx(ctx, tx, qRunKey, runID), runID)
		if err != nil {
			return err
		}
		for len(items) > 0 {
			n := min(len(items), workPerStatement)
			var q strings.Builder
			q.WriteString(qInsertWork)
			args := make([]any, 0, 6*n)
			for i, it := range items[:n] {
				if i > 0 {
					q.WriteString(", ")
				}
				q.WriteString("(?, ?, ?, ?, ?, ?)")
				acct, err := json.Marshal(it.Account)
				if err != nil {
					return err
				}
				obs, err := jsonOrNull(len(it.Observations), it.Observations)
				if err != nil {
					return err
				}
				fnd, err := jsonOrNull(len(it.Findings), it.Findings)
				if err != nil {
					return err
				}
				args = append(args, seq, it.Index, string(it.Account.Platform), string(acct), obs, fnd)
			}
			q.WriteString(" ON CONFLICT (run_seq, idx) DO NOTHING")
			if err := s.execTx(ctx, tx, q.String(), args...); err != nil {
				return err
			}
			items = items[n:]
		}
		return nil
	})
}

func jsonOrNull(n int, v any) (any, error) {
	if n == 0 {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// WorkCount is how many accounts of the run's scope are saved (SaveWork).
func (s *Store) WorkCount(ctx context.Context, runID string) (int, error) {
	var n int
	if err := s.queryRow(ctx, qWorkCount, runID).Scan(&n); err != nil {
		return 0, s.fail(opReadWork, err)
	}
	return n, nil
}

// Work reads one account of a distributed run's scope; ErrNotFound (wrapped) when the run has
// no such account.
func (s *Store) Work(ctx context.Context, runID string, index int) (*WorkItem, error) {
	var it WorkItem
	var acct string
	var obs, fnd sql.NullString
	err := s.queryRow(ctx, qWorkItem, runID, index).Scan(&it.Index, &acct, &obs, &fnd)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("运行 %s 的第 %d 个账号：%w", runID, index, ErrNotFound)
	}
	if err != nil {
		return nil, s.fail(opReadWork, err)
	}
	if err := json.Unmarshal([]byte(acct), &it.Account); err != nil {
		return nil, s.fail(opReadWork, fmt.Errorf("运行 %s 的第 %d 个账号：%w", runID, index, err))
	}
	if obs.Valid {
		if err := json.Unmarshal([]byte(obs.String), &it.Observations); err != nil {
			return nil, s.fail(opReadWork, fmt.Errorf("运行 %s 的第 %d 个账号的观察记录：%w", runID, index, err))
		}
	}
	if fnd.Valid {
		if err := json.Unmarshal([]byte(fnd.String), &it.Findings); err != nil {
			return nil, s.fail(opReadWork, fmt.Errorf("运行 %s 的第 %d 个账号的检查发现：%w", runID, index, err))
		}
	}
	return &it, nil
}

// SetNotices keeps what deciding an account told the run (an evidence link that belongs to
// another account voids its row), for the coordinator's report.
func (s *Store) SetNotices(ctx context.Context, runID string, index int, notices []string) error {
	if len(notices) == 0 {
		return nil
	}
	b, err := json.Marshal(notices)
	if err != nil {
		return err
	}
	return s.exec(ctx, opSaveWork, func(tx *sql.Tx) error {
		return s.execTx(ctx, tx, qAddNotices, string(b), runID, index)
	})
}

// WorkNotices are the notices the run's accounts gave, in scope order.
func (s *Store) WorkNotices(ctx context.Context, runID string) ([]string, error) {
	var out []string
	err := s.each(ctx, qNoticesOf, func(sc scanner) error {
		var b string
		if err := sc.Scan(&b); err != nil {
			return err
		}
		var ns []string
		if err := json.Unmarshal([]byte(b), &ns); err != nil {
			return err
		}
		out = append(out, ns...)
		return nil
	}, runID)
	if err != nil {
		return nil, s.fail(opReadWork, err)
	}
	return out, nil
}

// DecidedIndexes lists the positions in the run's scope that have a saved verdict.
func (s *Store) DecidedIndexes(ctx context.Context, runID string) ([]int, error) {
	var out []int
	err := s.each(ctx, qDecidedIdx, func(sc scanner) error {
		var i int
		err := sc.Scan(&i)
		out = append(out, i)
		return err
	}, runID)
	if err != nil {
		return nil, s.fail(opReadVerdicts, err)
	}
	return out, nil
}

// HasVerdict reports whether the account at index of the run has a saved verdict.
func (s *Store) HasVerdict(ctx context.Context, runID string, index int) (bool, error) {
	var n int
	if err := s.queryRow(ctx, qHasVerdict, runID, index).Scan(&n); err != nil {
		return false, s.fail(opReadVerdicts, err)
	}
	return n > 0, nil
}
