package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// applicationID marks the file as nmaudit's (PRAGMA application_id, "nmau"), so another
// program's SQLite database is refused instead of being migrated into.
const applicationID = 0x6e6d6175

// migrations are the schema, in order: migrations[i] takes the database from user_version i to
// i+1. Never edit one that has shipped; append a new one.
var migrations = []string{
	// 1: runs, verdicts with their evidence, and the scope-level lists.
	`
CREATE TABLE runs (
	id                  TEXT PRIMARY KEY,
	kind                TEXT NOT NULL CHECK (kind IN ('check', 'recheck')),
	parent_run_id       TEXT REFERENCES runs(id),
	started_at          TEXT NOT NULL,              -- RFC 3339, UTC
	resumed_at          TEXT,                       -- the last --resume
	finished_at         TEXT,
	finished            INTEGER NOT NULL DEFAULT 0 CHECK (finished IN (0, 1)),
	nmaudit_version     TEXT NOT NULL,
	-- parameters
	check_time          TEXT NOT NULL,              -- RFC 3339 in the inspection's zone
	timezone            TEXT NOT NULL,
	window              TEXT NOT NULL,              -- 14d
	pending_policy      TEXT NOT NULL,              -- exclude | check
	warn_after_seconds  INTEGER NOT NULL,
	registry_path       TEXT NOT NULL,
	registry_sha256     TEXT NOT NULL,
	registry_sheet      TEXT NOT NULL DEFAULT '',
	targets_path        TEXT NOT NULL DEFAULT '',
	targets_sha256      TEXT NOT NULL DEFAULT '',
	targets_json        TEXT,                       -- recheck: the accounts re-checked
	observations_path   TEXT NOT NULL DEFAULT '',
	observations_sha256 TEXT NOT NULL DEFAULT '',
	findings_path       TEXT NOT NULL DEFAULT '',
	findings_sha256     TEXT NOT NULL DEFAULT '',
	findings_json       TEXT,                       -- recheck: findings carried over from the parent
	offline             INTEGER NOT NULL DEFAULT 0,
	replay_dir          TEXT NOT NULL DEFAULT '',
	record_dir          TEXT NOT NULL DEFAULT '',
	format              TEXT NOT NULL,
	rate_decimals       INTEGER NOT NULL,
	planned             INTEGER NOT NULL,           -- accounts in scope when the run started
	-- the scope-level results, written with finished = 1
	registry_rows       INTEGER,
	closed_excluded     INTEGER,
	in_scope            INTEGER,
	pending_closure     INTEGER,
	qualified           INTEGER,
	unqualified         INTEGER,
	needs_review        INTEGER,
	unqualified_rate    REAL
);
CREATE INDEX runs_by_start ON runs (started_at);
CREATE INDEX runs_by_parent ON runs (parent_run_id);

CREATE TABLE verdicts (
	run_id          TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	idx             INTEGER NOT NULL,               -- position in the run's scope
	registry_row    INTEGER NOT NULL,
	platform        TEXT NOT NULL,
	account_id      TEXT NOT NULL,
	name            TEXT NOT NULL,
	type            TEXT NOT NULL,
	owner           TEXT NOT NULL,
	level           TEXT NOT NULL,
	region          TEXT NOT NULL,
	status          TEXT NOT NULL,                  -- qualified | unqualified | pending_closure | needs_review
	problems        TEXT NOT NULL,                  -- JSON array
	latest_post_at  TEXT,
	source          TEXT NOT NULL,
	detail          TEXT NOT NULL,
	decided_at      TEXT NOT NULL,
	verdict         TEXT NOT NULL,                  -- the whole audit.Verdict as JSON: what reports re-render
	PRIMARY KEY (run_id, idx)
) WITHOUT ROWID;
CREATE INDEX verdicts_by_status ON verdicts (run_id, status);
CREATE INDEX verdicts_by_owner ON verdicts (run_id, owner, name);

CREATE TABLE evidence (
	run_id      TEXT NOT NULL,
	idx         INTEGER NOT NULL,
	seq         INTEGER NOT NULL,
	source      TEXT NOT NULL,
	post_at     TEXT,
	day_only    INTEGER NOT NULL,
	pinned      INTEGER NOT NULL,
	post_id     TEXT NOT NULL,
	title       TEXT NOT NULL,
	url         TEXT NOT NULL,                      -- secrets already removed
	fetched_at  TEXT,
	error       TEXT NOT NULL,
	row         INTEGER NOT NULL,
	PRIMARY KEY (run_id, idx, seq),
	FOREIGN KEY (run_id, idx) REFERENCES verdicts (run_id, idx) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE unregistered (
	run_id  TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	seq     INTEGER NOT NULL,
	name    TEXT NOT NULL,
	type    TEXT NOT NULL,
	owner   TEXT NOT NULL,
	row     INTEGER NOT NULL,
	PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

CREATE TABLE duplicates (
	run_id  TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	seq     INTEGER NOT NULL,
	name    TEXT NOT NULL,
	type    TEXT NOT NULL,
	rows    TEXT NOT NULL,                          -- JSON array of row numbers
	PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

CREATE TABLE warnings (
	run_id          TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	seq             INTEGER NOT NULL,
	name            TEXT NOT NULL,
	type            TEXT NOT NULL,
	owner           TEXT NOT NULL,
	latest_post_at  TEXT NOT NULL,
	days_since_post INTEGER NOT NULL,
	PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

CREATE TABLE notices (
	run_id  TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	seq     INTEGER NOT NULL,
	text    TEXT NOT NULL,
	PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
`,
}

// SchemaVersion is the schema version this binary writes.
func SchemaVersion() int { return len(migrations) }

// errNewer says the database was written by a newer nmaudit.
type errNewer struct{ have, know int }

func (e errNewer) Error() string {
	return fmt.Sprintf("database schema version %d is newer than this nmaudit knows (%d)", e.have, e.know)
}

// migrate checks the file is nmaudit's and brings its schema up to date, each step in its own
// transaction with the version bump, so a crash mid-migration leaves the previous version.
func (s *Store) migrate(ctx context.Context) error {
	version, appID, tables, err := s.header(ctx)
	if err != nil {
		return err
	}
	if err := checkHeader(version, appID, tables); err != nil {
		return s.failKind("open", err)
	}
	if version == len(migrations) || s.opt.ReadOnly {
		return nil
	}
	for version < len(migrations) {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return s.fail("migrate", err)
		}
		// Another process may have migrated while this one waited for the lock.
		var now int
		if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&now); err != nil {
			tx.Rollback()
			return s.fail("migrate", err)
		}
		if now != version {
			tx.Rollback()
			version = now
			if version > len(migrations) {
				return s.failKind("open", errNewer{version, len(migrations)})
			}
			continue
		}
		stmts := migrations[version]
		if version == 0 {
			stmts += fmt.Sprintf("\nPRAGMA application_id = %d;", applicationID)
		}
		stmts += fmt.Sprintf("\nPRAGMA user_version = %d;", version+1)
		if _, err := tx.ExecContext(ctx, stmts); err != nil {
			tx.Rollback()
			return s.fail(fmt.Sprintf("migrate to schema %d", version+1), err)
		}
		if err := tx.Commit(); err != nil {
			return s.fail(fmt.Sprintf("migrate to schema %d", version+1), err)
		}
		version++
	}
	return nil
}

// header reads the schema version, the application id and the number of schema objects.
func (s *Store) header(ctx context.Context) (version, appID, tables int, err error) {
	err = s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version)
	if err == nil {
		err = s.db.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID)
	}
	if err == nil {
		err = s.db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&tables)
	}
	if err != nil {
		return 0, 0, 0, s.fail("open", err)
	}
	return version, appID, tables, nil
}

// checkHeader refuses a newer schema and a database nmaudit did not create.
func checkHeader(version, appID, tables int) error {
	switch {
	case appID != 0 && appID != applicationID:
		return errForeign
	case version > len(migrations):
		return errNewer{version, len(migrations)}
	case version == 0 && tables > 0:
		return errForeign
	}
	return nil
}

var errForeign = errors.New("not an nmaudit database")

// failKind wraps the header errors with their kind.
func (s *Store) failKind(op string, err error) error {
	k := KindOther
	var n errNewer
	switch {
	case errors.As(err, &n):
		k = KindNewer
	case errors.Is(err, errForeign):
		k = KindForeign
	}
	return &Error{File: s.path, Kind: k, Op: op, Err: err}
}

// exec runs fn in one write transaction.
func (s *Store) exec(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.fail(op, err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return s.fail(op, err)
	}
	if err := tx.Commit(); err != nil {
		return s.fail(op, err)
	}
	return nil
}
