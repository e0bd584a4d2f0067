package store

import (
	"context"
	"database/sql"
	"strings"
)

// Every query the store runs, in one place and in SQL that SQLite and Postgres both read:
// ? placeholders (an engine's rebind turns them into its own), INSERT … ON CONFLICT for the
// upsert, the reserved word window quoted, no row ids, booleans as 0/1 integers.

// runColumns are the runs columns scanRun reads, in its order.
const runColumns = `id, kind, parent_run_id, started_at, resumed_at, finished_at, finished, nmaudit_version,
	check_time, timezone, "window", pending_policy, warn_after_seconds,
	registry_path, registry_sha256, registry_sheet, targets_path, targets_sha256, targets_json,
	observations_path, observations_sha256, findings_path, findings_sha256, findings_json,
	offline, replay_dir, record_dir, format, rate_decimals, planned,
	registry_rows, closed_excluded, in_scope, pending_closure, qualified, unqualified, needs_review, unqualified_rate, seq, distributed`

const (
	qInsertRun = `INSERT INTO runs (id, kind, parent_run_id, started_at, nmaudit_version,
	check_time, timezone, "window", pending_policy, warn_after_seconds,
	registry_path, registry_sha256, registry_sheet, targets_path, targets_sha256, targets_json,
	observations_path, observations_sha256, findings_path, findings_sha256, findings_json,
	offline, replay_dir, record_dir, format, rate_decimals, planned, distributed, seq)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
	(SELECT coalesce(max(seq), 0) + 1 FROM runs))`
	qMarkResumed      = `UPDATE runs SET resumed_at = ? WHERE id = ? AND finished = 0`
	qRunByID          = `SELECT ` + runColumns + ` FROM runs WHERE id = ?`
	qRunsByPrefix     = `SELECT id FROM runs WHERE substr(id, 1, ?) = ? ORDER BY id LIMIT 3`
	qLatestUnfinished = `SELECT ` + runColumns + ` FROM runs WHERE finished = 0 ORDER BY seq DESC LIMIT 1`
	qAllRuns          = `SELECT ` + runColumns + ` FROM runs ORDER BY seq DESC`
	qRunKey           = `SELECT seq, finished FROM runs WHERE id = ?`
	qCountByStatus    = `SELECT status, count(*) FROM verdicts WHERE run_seq = ` + runSeqOf + ` GROUP BY status`
	qCountVerdicts    = `SELECT count(*) FROM verdicts WHERE run_seq = ?`
	qFinishRun        = `UPDATE runs SET registry_rows = ?, closed_excluded = ?, in_scope = ?, pending_closure = ?,
	qualified = ?, unqualified = ?, needs_review = ?, unqualified_rate = ?, finished_at = ?, finished = 1 WHERE id = ?`

	qInsertUnregistered = `INSERT INTO unregistered (run_id, seq, name, type, owner, row) VALUES (?, ?, ?, ?, ?, ?)`
	qInsertDuplicate    = `INSERT INTO duplicates (run_id, seq, name, type, rows) VALUES (?, ?, ?, ?, ?)`
	qInsertWarning      = `INSERT INTO warnings (run_id, seq, name, type, owner, latest_post_at, days_since_post) VALUES (?, ?, ?, ?, ?, ?, ?)`
	qInsertNotice       = `INSERT INTO notices (run_id, seq, text) VALUES (?, ?, ?)`
	qUnregistered       = `SELECT name, type, owner, row FROM unregistered WHERE run_id = ? ORDER BY seq`
	qDuplicates         = `SELECT name, type, rows FROM duplicates WHERE run_id = ? ORDER BY seq`
	qWarnings           = `SELECT name, type, owner, latest_post_at, days_since_post FROM warnings WHERE run_id = ? ORDER BY seq`
	qNotices            = `SELECT text FROM notices WHERE run_id = ? ORDER BY seq`
)

// scopeTables hold a run's scope-level lists, rewritten as a whole by Finish.
var scopeTables = []string{"unregistered", "duplicates", "warnings", "notices"}

// verdictColumns are the verdicts columns in the order saveBatch binds them and scanVerdict
// reads them (after run_seq). run_seq and idx are the key; verdict packs the
// fields verdictFields names (schema step 4).
var verdictColumns = []string{"run_seq", "idx", "status", "verdict"}

// verdictFields name the values of the verdict column's JSON array, in order: the columns a
// verdict had before schema 4, which the view verdict_columns spells out again. Appending a
// field is a schema step (the migration rewrites the arrays); packVerdict writes them and
// unpackVerdict reads them.
var verdictFields = []string{"registry_row", "name", "type", "platform", "id_kind", "account_id",
	"raw_id", "owner", "supervisor", "region", "level", "registry_status", "lifecycle", "problems",
	"latest_post_at", "source", "detail", "decided_at", "evidence", "review_code", "review_label"}

// qVerdicts reads a run's verdicts in scope order.
var qVerdicts = "SELECT " + strings.Join(verdictColumns[1:], ", ") + " FROM verdicts WHERE run_seq = " + runSeqOf + " ORDER BY idx"

// runSeqOf is the key verdicts name a run by, for the run id bound to its placeholder.
const runSeqOf = "(SELECT seq FROM runs WHERE id = ?)"

// upsertVerdicts is the INSERT of n verdicts in one statement. A resumed run may decide again
// an account whose verdict the killed process saved (same inputs, same rules, the same
// verdict); the newer one wins. With keepFirst the verdict already saved stands instead: a
// distributed run's job that River runs again (its worker was killed after saving) decides
// nothing new, whatever another worker's platform answers now.
func upsertVerdicts(n int, keepFirst bool) string {
	var b strings.Builder
	b.WriteString("INSERT INTO verdicts (")
	b.WriteString(strings.Join(verdictColumns, ", "))
	b.WriteString(") VALUES ")
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(verdictColumns)), ", ") + ")"
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	if keepFirst {
		b.WriteString(" ON CONFLICT (run_seq, idx) DO NOTHING")
		return b.String()
	}
	b.WriteString(" ON CONFLICT (run_seq, idx) DO UPDATE SET ")
	for i, c := range verdictColumns[2:] {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c + " = excluded." + c)
	}
	return b.String()
}

// stmts are the statements a run's writes repeat, prepared once per Store: preparing the
// verdict insert anew for every batch costs as much as the batch's own inserts.
type stmts struct {
	finished  *sql.Stmt
	one       *sql.Stmt // one verdict
	many      *sql.Stmt // manyRows verdicts
	firstOne  *sql.Stmt // the same, keeping a verdict already saved
	firstMany *sql.Stmt
	manyRows  int
}

// verdictsPerStatement is how many verdicts one INSERT carries: enough that the per-statement
// cost of the driver vanishes, few enough that a short batch's tail is cheap.
const verdictsPerStatement = 32

func (s *Store) prepared(ctx context.Context) (*stmts, error) {
	s.prepOnce.Do(func() {
		rows := min(verdictsPerStatement, s.eng.maxParams()/len(verdictColumns))
		for _, p := range []struct {
			st **sql.Stmt
			q  string
		}{
			{&s.stmts.finished, qRunKey},
			{&s.stmts.one, upsertVerdicts(1, false)},
			{&s.stmts.many, upsertVerdicts(rows, false)},
			{&s.stmts.firstOne, upsertVerdicts(1, true)},
			{&s.stmts.firstMany, upsertVerdicts(rows, true)},
		} {
			st, err := s.db.PrepareContext(ctx, s.eng.rebind(p.q))
			if err != nil {
				s.prepErr = err
				return
			}
			*p.st = st
		}
		s.stmts.manyRows = rows
	})
	return &s.stmts, s.prepErr
}

func (st *stmts) close() {
	for _, x := range []*sql.Stmt{st.finished, st.one, st.many, st.firstOne, st.firstMany} {
		if x != nil {
			x.Close()
		}
	}
}

// query, queryRow and execTx rebind a shared query for the engine.
func (s *Store) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return s.db.QueryContext(ctx, s.eng.rebind(q), args...)
}

func (s *Store) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return s.db.QueryRowContext(ctx, s.eng.rebind(q), args...)
}

func (s *Store) execTx(ctx context.Context, tx *sql.Tx, q string, args ...any) error {
	_, err := tx.ExecContext(ctx, s.eng.rebind(q), args...)
	return err
}

func (s *Store) queryRowTx(ctx context.Context, tx *sql.Tx, q string, args ...any) *sql.Row {
	return tx.QueryRowContext(ctx, s.eng.rebind(q), args...)
}

// each runs query with its arguments and calls fn for every row.
func (s *Store) each(ctx context.Context, q string, fn func(scanner) error, args ...any) error {
	rows, err := s.query(ctx, q, args...)
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

type scanner interface{ Scan(dest ...any) error }
