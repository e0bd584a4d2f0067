package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// engine is what differs between the SQL databases the store can keep the history in.
// Everything else — the queries (sql.go), batching (writer.go), how runs and verdicts map to
// columns (runs.go, verdicts.go) — is shared, so a second engine is one more implementation of
// this interface and its own schema, with the store's tests run against both.
type engine interface {
	// name is how messages name the database at loc: a file's absolute path, a URL with its
	// password removed.
	name(loc string) (string, error)
	// connect opens the database as opt says: creating it (private to its owner) only when
	// neither ReadOnly nor MustExist is set, and failing with errMissing otherwise.
	connect(name string, opt Options) (*sql.DB, error)
	// version reads the schema version of an open database, 0 for an empty one; errForeign
	// when the database holds something that is not nmaudit's.
	version(ctx context.Context, q querier) (int, error)
	// migrations are the engine's schema, in order: migrations()[i] takes version i to i+1.
	migrations() []string
	// stamp records version v inside the migration transaction that reached it (first==true
	// on the step that creates the schema, for whatever marks the database as nmaudit's).
	stamp(ctx context.Context, tx *sql.Tx, v int, first bool) error
	// rebind turns the shared queries' ? placeholders into the engine's own.
	rebind(query string) string
	// maxParams is how many bound parameters one statement may carry.
	maxParams() int
	// classify maps a driver error to the Kind a user is told.
	classify(err error) Kind
	// integrity checks every page and returns the problems found, none when sound.
	integrity(ctx context.Context, db *sql.DB) ([]string, error)
	// upgraded is told that the database at name was migrated from schema version from, for
	// what an upgrade must fix beyond the schema.
	upgraded(name string, from int) error
	// lockMigration serialises migrations between processes inside the migration transaction
	// tx, before it reads the version again: SQLite's BEGIN IMMEDIATE already holds the write
	// lock, a Postgres server has many writers.
	lockMigration(ctx context.Context, tx *sql.Tx) error
	// unique reports whether err is a unique-constraint violation (a run id or seq drawn twice).
	unique(err error) bool
	// server is true for a database on a server: nmaudit never creates the database itself,
	// only its tables, so an empty one is what a missing file is to readers.
	server() bool
	// secrets are strings no message may show (a URL's password).
	secrets() []string
}

// querier is what *sql.DB and *sql.Tx share: a header read runs alone or inside a migration.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// engineFor picks the engine a --db value names: a postgres:// (or postgresql://) URL is a
// Postgres database, anything else an SQLite file.
func engineFor(loc string) (engine, error) {
	if IsURL(loc) {
		return newPostgresEngine(loc)
	}
	if keywordDSN.MatchString(loc) {
		// libpq's key=value form: taken as a file name it would create a file named after the
		// password and echo it in every message.
		return nil, errors.New("不支持 key=value 形式的 Postgres 连接串，请写成 postgres://用户:密码@主机/数据库")
	}
	return sqliteEngine{}, nil
}

// keywordDSN matches a libpq key=value connection string (host=… password=…).
var keywordDSN = regexp.MustCompile(`(?i)(^|\s)(host|hostaddr|dbname|user|password|port|sslmode)\s*=`)

// IsURL reports whether a --db value names a Postgres database rather than an SQLite file.
func IsURL(loc string) bool {
	l := strings.ToLower(strings.TrimSpace(loc))
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// SchemaVersion is the schema version this binary writes (the same number on every engine).
func SchemaVersion() int { return len(sqliteEngine{}.migrations()) }

// migrate checks the database is nmaudit's and brings its schema up to date, each step in its
// own transaction with the version stamp, so a crash mid-migration leaves the previous version.
func (s *Store) migrate(ctx context.Context) error {
	steps := s.eng.migrations()
	version, err := s.eng.version(ctx, s.db)
	if err != nil {
		return s.fail(opOpen, err)
	}
	if version > len(steps) {
		return s.fail(opOpen, errNewer{version, len(steps)})
	}
	if version == len(steps) {
		return nil
	}
	// A server's database is created by its administrator, the tables by nmaudit: readers find
	// nothing to read in one without them, and must not create them behind a mistyped URL.
	if version == 0 && s.eng.server() && (s.opt.ReadOnly || s.opt.MustExist) {
		return s.fail(opOpen, errMissing)
	}
	if s.opt.ReadOnly {
		return s.fail(opOpen, errOlder{version, len(steps)})
	}
	from := version
	for version < len(steps) {
		op := fmt.Sprintf("%s（至版本 %d）", opMigrate, version+1)
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return s.fail(op, err)
		}
		if err := s.eng.lockMigration(ctx, tx); err != nil {
			tx.Rollback()
			return s.fail(op, err)
		}
		// Another process may have migrated while this one waited for the lock.
		now, err := s.eng.version(ctx, tx)
		if err != nil {
			tx.Rollback()
			return s.fail(op, err)
		}
		if now != version {
			tx.Rollback()
			if version = now; version > len(steps) {
				return s.fail(opOpen, errNewer{version, len(steps)})
			}
			continue
		}
		if steps[version] != "" { // a step an engine has nothing to do for
			if _, err := tx.ExecContext(ctx, steps[version]); err != nil {
				tx.Rollback()
				return s.fail(op, err)
			}
		}
		if err := s.eng.stamp(ctx, tx, version+1, version == 0); err != nil {
			tx.Rollback()
			return s.fail(op, err)
		}
		if err := tx.Commit(); err != nil {
			return s.fail(op, err)
		}
		version++
	}
	if from > 0 {
		if err := s.eng.upgraded(s.path, from); err != nil {
			return s.fail(opMigrate, err)
		}
	}
	return nil
}
