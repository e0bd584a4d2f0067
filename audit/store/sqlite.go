package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"modernc.org/sqlite"
)

// sqliteEngine keeps the history in one SQLite file through modernc.org/sqlite.
type sqliteEngine struct{}

// applicationID marks the file as nmaudit's (PRAGMA application_id, "nmau"), so another
// program's SQLite database is refused instead of being migrated into.
const applicationID = 0x6e6d6175

// The history holds verdicts before they are published: the database, its WAL and its
// shared-memory file are readable by their owner only, and so is a folder the store creates.
// SQLite gives the -wal and -shm files the main file's permissions, so creating the main file
// 0600 before SQLite opens it is what makes all three private.
const (
	fileMode   fs.FileMode = 0o600
	folderMode fs.FileMode = 0o700
)

func (sqliteEngine) name(loc string) (string, error) {
	abs, err := filepath.Abs(loc)
	if err != nil {
		return "", err
	}
	if strings.ContainsAny(abs, "?#") {
		return "", errors.New("文件名不能包含 ? 或 #")
	}
	return abs, nil
}

func (sqliteEngine) connect(path string, opt Options) (*sql.DB, error) {
	switch _, err := os.Stat(path); {
	case err == nil:
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	case opt.ReadOnly || opt.MustExist:
		return nil, errMissing
	default:
		if err := os.MkdirAll(filepath.Dir(path), folderMode); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, fileMode)
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		if f != nil {
			f.Close()
		}
	}
	db, err := sql.Open("sqlite", sqliteDSN(path, opt))
	if err != nil {
		return nil, err
	}
	// One connection: SQLite allows one writer anyway, and a single connection keeps this
	// process's own statements from ever waiting on each other.
	db.SetMaxOpenConns(1)
	return db, nil
}

// sqliteDSN is the driver's connection string: the file, then pragmas modernc.org/sqlite
// applies to every new connection. BEGIN IMMEDIATE (_txlock) takes the write lock when a
// transaction starts, where the busy timeout applies, instead of failing when a reader upgrades
// mid-transaction.
func sqliteDSN(path string, opt Options) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(opt.BusyTimeout.Milliseconds(), 10)+")")
	q.Add("_pragma", "foreign_keys(1)")
	if opt.ReadOnly {
		q.Set("mode", "ro")
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
		// NORMAL in WAL mode: a commit survives the process being killed (kill -9); only a power
		// cut can lose the last commits, never corrupt the file.
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Set("_txlock", "immediate")
	}
	for _, p := range opt.Pragmas {
		name, val, _ := strings.Cut(p, "=")
		q.Add("_pragma", name+"("+val+")")
	}
	if opt.ReadOnly {
		// mode=ro is an SQLite URI parameter: the name must be a file: URI for it to count.
		return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	}
	return path + "?" + q.Encode()
}

// version checks the file is nmaudit's (its application id, or an empty database) and returns
// PRAGMA user_version.
func (sqliteEngine) version(ctx context.Context, q querier) (int, error) {
	var version, appID, objects int
	err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version)
	if err == nil {
		err = q.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID)
	}
	if err == nil {
		err = q.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&objects)
	}
	switch {
	case err != nil:
		return 0, err
	case appID != 0 && appID != applicationID, version == 0 && objects > 0:
		return 0, errForeign
	}
	return version, nil
}

func (sqliteEngine) migrations() []string { return sqliteMigrations }

func (sqliteEngine) stamp(ctx context.Context, tx *sql.Tx, v int, first bool) error {
	stmt := fmt.Sprintf("PRAGMA user_version = %d", v)
	if first {
		stmt = fmt.Sprintf("PRAGMA application_id = %d; %s", applicationID, stmt)
	}
	_, err := tx.ExecContext(ctx, stmt)
	return err
}

func (sqliteEngine) rebind(q string) string { return q }

// maxParams is SQLITE_MAX_VARIABLE_NUMBER's default since SQLite 3.32.
func (sqliteEngine) maxParams() int { return 32766 }

// SQLite primary result codes (https://sqlite.org/rescode.html); extended codes carry them in
// their low byte.
const (
	sqlitePerm       = 3
	sqliteBusy       = 5
	sqliteLocked     = 6
	sqliteReadOnly   = 8
	sqliteIOErr      = 10
	sqliteCorrupt    = 11
	sqliteFull       = 13
	sqliteCantOpen   = 14
	sqliteConstraint = 19
	sqliteNotADB     = 26
)

func (sqliteEngine) classify(err error) Kind {
	var le *sqlite.Error
	if errors.As(err, &le) {
		switch le.Code() & 0xff {
		case sqliteBusy, sqliteLocked:
			return KindLocked
		case sqliteCorrupt, sqliteNotADB:
			return KindCorrupt
		case sqliteFull:
			return KindFull
		case sqliteReadOnly, sqlitePerm, sqliteCantOpen:
			return KindReadOnly
		case sqliteIOErr:
			return KindIO
		}
	}
	if errors.Is(err, os.ErrPermission) {
		return KindReadOnly
	}
	return KindOther
}

// upgraded makes a database from schema 1 private: the nmaudit that wrote it created the file,
// its WAL and shared memory readable by everyone (0644 under the usual umask), and they hold
// verdicts before publication. Only group and other bits are taken away, so a database made
// private already, or by the user's own choice shared with nobody, is left as it is; a file
// the user made group-readable after this upgrade is never touched again.
func (sqliteEngine) upgraded(path string, from int) error {
	if from >= 2 {
		return nil
	}
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			if err := os.Chmod(f, perm&fileMode); err != nil {
				return err
			}
		}
	}
	return nil
}

// lockMigration has nothing to do: the migration transaction began IMMEDIATE, holding the
// file's write lock.
func (sqliteEngine) lockMigration(context.Context, *sql.Tx) error { return nil }

func (sqliteEngine) unique(err error) bool {
	var le *sqlite.Error
	return errors.As(err, &le) && le.Code()&0xff == sqliteConstraint && strings.Contains(err.Error(), "UNIQUE")
}

func (sqliteEngine) server() bool { return false }

func (sqliteEngine) secrets() []string { return nil }

// integrity is PRAGMA quick_check: every page and record, without the index cross-checks of
// integrity_check (https://sqlite.org/pragma.html#pragma_quick_check).
func (sqliteEngine) integrity(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, "PRAGMA quick_check(20)")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return nil, err
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	return problems, rows.Err()
}
