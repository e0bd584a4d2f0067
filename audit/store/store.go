// Package store is nmaudit's history: every check run, its parameters, each account's verdict
// with its evidence, and the scope-level results, kept in one SQLite database through
// modernc.org/sqlite (pure Go, no cgo; https://pkg.go.dev/modernc.org/sqlite).
//
// The database runs in WAL mode (https://sqlite.org/wal.html) so `nmaudit runs` and `show` can
// read while a check writes, with a busy timeout so two writers wait for each other instead of
// failing at once, and foreign keys on. The schema is versioned with PRAGMA user_version and
// migrated forward by the ordered list in schema.go; a database written by a newer nmaudit is
// refused rather than guessed at.
//
// A run is written in three steps, each its own transaction: CreateRun when the inputs are
// loaded, SaveVerdict as each account is decided, Finish with the scope-level data and the
// finished flag last. A run that was killed between them stays unfinished — never reported as
// complete — and its saved verdicts let `check --resume` skip the accounts already decided.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
)

// DefaultBusyTimeout is how long a write waits for another process's write to end.
const DefaultBusyTimeout = 5 * time.Second

// Options tune Open. The zero value is the normal read-write store.
type Options struct {
	// BusyTimeout is how long a statement waits on another connection's lock before failing
	// with a KindLocked error; 0 means DefaultBusyTimeout.
	BusyTimeout time.Duration
	// ReadOnly opens an existing database for reading only (mode=ro): nothing is created or
	// migrated, and a database older than this binary is read as it is.
	ReadOnly bool
	// Pragmas are extra "name=value" pragmas applied to every connection (tests use
	// max_page_count to make the database fill up).
	Pragmas []string
}

// Store is an open history database.
type Store struct {
	db   *sql.DB
	path string
	opt  Options
	save saveStmts // prepared on the first SaveVerdict (verdicts are saved one at a time)
}

// DefaultPath is $XDG_DATA_HOME/nmaudit/nmaudit.db, with ~/.local/share when XDG_DATA_HOME is
// unset (the XDG base directory specification).
func DefaultPath() (string, error) {
	dir := os.Getenv("XDG_DATA_HOME")
	if dir == "" || !filepath.IsAbs(dir) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("history database: no $XDG_DATA_HOME and no home directory: %w", err)
		}
		dir = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(dir, "nmaudit", "nmaudit.db"), nil
}

// Open opens (creating it and its missing parent folders if needed) the database at path and
// migrates it to the current schema. Every failure is an *Error naming the file.
func Open(path string, opt Options) (*Store, error) {
	if opt.BusyTimeout <= 0 {
		opt.BusyTimeout = DefaultBusyTimeout
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, &Error{File: path, Kind: KindOther, Op: "open", Err: err}
	}
	s := &Store{path: abs, opt: opt}
	if strings.ContainsAny(abs, "?#") {
		return nil, s.fail("open", errors.New("the file name must not contain ? or #"))
	}
	if opt.ReadOnly {
		if _, err := os.Stat(abs); err != nil {
			return nil, s.fail("open", err)
		}
	} else if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return nil, s.fail("create folder", err)
	}
	db, err := sql.Open("sqlite", s.dsn())
	if err != nil {
		return nil, s.fail("open", err)
	}
	// One connection: SQLite allows one writer anyway, and a single connection keeps this
	// process's own statements from ever waiting on each other.
	db.SetMaxOpenConns(1)
	s.db = db
	if err := s.migrate(context.Background()); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// dsn is the driver's connection string: the file, then pragmas modernc.org/sqlite applies to
// every new connection. BEGIN IMMEDIATE (_txlock) takes the write lock when a transaction starts,
// where the busy timeout applies, instead of failing when a reader upgrades mid-transaction.
func (s *Store) dsn() string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(s.opt.BusyTimeout.Milliseconds(), 10)+")")
	q.Add("_pragma", "foreign_keys(1)")
	if s.opt.ReadOnly {
		q.Set("mode", "ro")
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
		// NORMAL in WAL mode: a commit survives the process being killed (kill -9); only a power
		// cut can lose the last commits, never corrupt the file.
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Set("_txlock", "immediate")
	}
	for _, p := range s.opt.Pragmas {
		name, val, _ := strings.Cut(p, "=")
		q.Add("_pragma", name+"("+val+")")
	}
	if s.opt.ReadOnly {
		// mode=ro is an SQLite URI parameter: the name must be a file: URI for it to count.
		return "file:" + (&url.URL{Path: s.path}).EscapedPath() + "?" + q.Encode()
	}
	return s.path + "?" + q.Encode()
}

// Path is the database file's absolute path.
func (s *Store) Path() string { return s.path }

// Close closes the database.
func (s *Store) Close() error {
	if s == nil || s.db == nil {
		return nil
	}
	for _, st := range []*sql.Stmt{s.save.finished, s.save.remove, s.save.verdict, s.save.evidence} {
		if st != nil {
			st.Close()
		}
	}
	return s.db.Close()
}

// Kind classifies a store failure for the message a user sees.
type Kind int

// Failure kinds.
const (
	KindOther    Kind = iota
	KindCorrupt       // not a database, or a damaged one
	KindForeign       // an SQLite database that is not nmaudit's
	KindNewer         // the schema is newer than this binary knows
	KindLocked        // another process held the lock longer than the busy timeout
	KindFull          // the disk (or the database's size limit) is full
	KindReadOnly      // the file or its folder cannot be written
	KindIO            // a read or write failed (a full or failing disk, a file size limit)
)

// Error is a store failure, naming the database file. Its message is one line.
type Error struct {
	File string
	Kind Kind
	Op   string // what was being done: "open", "save verdict", …
	Err  error
}

func (e *Error) Error() string {
	var what string
	switch e.Kind {
	case KindCorrupt:
		what = "not a usable nmaudit database (the file is not a database or is damaged): " + oneLine(e.Err) +
			"; move it aside, or name another file with --db"
	case KindForeign:
		what = "an SQLite database that nmaudit did not create; name another file with --db"
	case KindNewer:
		what = oneLine(e.Err) + "; use the newer nmaudit that wrote it"
	case KindLocked:
		what = "the database is locked by another process (" + oneLine(e.Err) + "); try again when it is done"
	case KindFull:
		what = "cannot write, the disk is full (" + oneLine(e.Err) + ")"
	case KindReadOnly:
		what = "cannot write to the database (" + oneLine(e.Err) + ")"
	case KindIO:
		what = "a disk read or write failed (" + oneLine(e.Err) + "); is the disk full or failing?"
	default:
		what = oneLine(e.Err)
	}
	return fmt.Sprintf("history database %s: %s: %s", e.File, e.Op, what)
}

func (e *Error) Unwrap() error { return e.Err }

// oneLine keeps an underlying message to one line: the CLI prints errors as one line.
func oneLine(err error) string {
	if err == nil {
		return ""
	}
	return strings.Join(strings.Fields(err.Error()), " ")
}

// SQLite primary result codes (https://sqlite.org/rescode.html); extended codes carry them in
// their low byte.
const (
	sqlitePerm     = 3
	sqliteBusy     = 5
	sqliteLocked   = 6
	sqliteReadOnly = 8
	sqliteIOErr    = 10
	sqliteCorrupt  = 11
	sqliteFull     = 13
	sqliteCantOpen = 14
	sqliteNotADB   = 26
)

// fail wraps err as an *Error for this store, classifying SQLite's result code.
func (s *Store) fail(op string, err error) error {
	var se *Error
	if errors.As(err, &se) {
		return err
	}
	return &Error{File: s.path, Kind: classify(err), Op: op, Err: err}
}

func classify(err error) Kind {
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
	switch {
	case errors.Is(err, os.ErrPermission):
		return KindReadOnly
	}
	return KindOther
}

// IsKind reports whether err is a store *Error of kind k.
func IsKind(err error, k Kind) bool {
	var se *Error
	return errors.As(err, &se) && se.Kind == k
}
