// Package history is what nmaudit does with its record of runs, for any front end — the
// command line today, a web page or a service tomorrow — to use without copying: where the
// history database is and who may create it (Locate, OpenForWrite, OpenArchive), recording a
// check as it goes and picking a killed one up again (Recorder, FindResumable, Given), and what
// the history commands compute from recorded runs — the list of runs (Archive.Runs), a run's
// report as it was printed (Archive.Report), the comparison of two runs (Compare), the
// rectification ledger (BuildLedger), and a re-check: which accounts it covers and with which
// findings (PlanRecheck), and what became of them (Outcome).
//
// It decides and returns values; it prints nothing. The runs themselves are kept by
// audit/store. Errors a user caused — an unknown run, a flag that contradicts the run being
// resumed, an input file changed under a run — are *InputError, so a front end can tell them
// from a failing disk; their messages are in Chinese and name what to do.
package history

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/audit/store"
)

// InputError is a failure the user's input caused (a CLI's exit status 2), as opposed to one
// of the database or the disk.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

func inputErrorf(format string, args ...any) error {
	return &InputError{fmt.Errorf(format, args...)}
}

// Location is where the history database is, and whether the user named it.
type Location struct {
	// Path is an SQLite file, or a postgres:// URL (password included: name it to a user
	// through store.Redact, never as it is).
	Path string
	// Named is true when --db or the config's store.path chose the file, false for the
	// platform's default (store.DefaultPath).
	Named bool
}

// Locate chooses the database: the --db value (a file or a postgres:// URL), else the
// configured store.url (NMAUDIT_STORE_URL), else store.path, else the platform's default. A
// leading ~/ is the home folder, as a config file's store.path is usually written.
func Locate(flag, configuredURL, configured string) (Location, error) {
	for _, p := range []string{flag, configuredURL, configured} {
		if strings.TrimSpace(p) == "" {
			continue
		}
		if store.IsURL(p) {
			return Location{Path: strings.TrimSpace(p), Named: true}, nil
		}
		return Location{Path: expandHome(p), Named: true}, nil
	}
	p, err := store.DefaultPath()
	if err != nil {
		return Location{}, err
	}
	return Location{Path: p}, nil
}

func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") || strings.HasPrefix(p, `~\`) {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[1:])
		}
	}
	return p
}

// Options tune how the database is opened.
type Options struct {
	// BusyTimeout is how long a write waits for another nmaudit's write (0: the store's
	// default).
	BusyTimeout time.Duration
}

// OpenForWrite opens the database for a command that records runs (check, recheck), creating
// it, private to its owner, with any missing folder.
func OpenForWrite(loc Location, opt Options) (*store.Store, error) {
	return store.Open(loc.Path, store.Options{BusyTimeout: opt.BusyTimeout})
}

// OpenExisting opens the database for a command that records a run continuing runs already
// recorded (recheck, check --resume): without a database there is nothing to continue, so none
// is created.
func OpenExisting(loc Location, opt Options) (*store.Store, error) {
	st, err := store.Open(loc.Path, store.Options{BusyTimeout: opt.BusyTimeout, MustExist: true})
	if store.IsKind(err, store.KindMissing) && !loc.Named {
		return nil, inputErrorf("还没有任何检查记录（%s 尚不存在；nmaudit check 会创建它）", loc.Path)
	}
	return st, err
}

// Archive is the history as the commands that only read it see it (runs, show, diff, ledger,
// report, review). Opening one never creates a database: a mistyped --db must fail, naming the
// file, rather than leave an empty database and folders behind it. The platform's default
// database not existing yet just means there is no run yet.
type Archive struct {
	st  *store.Store // nil: the default database does not exist yet
	loc Location
}

// OpenArchive opens the history for reading. An existing database older than this nmaudit is
// migrated forward, as any command would.
func OpenArchive(loc Location, opt Options) (*Archive, error) {
	st, err := store.Open(loc.Path, store.Options{BusyTimeout: opt.BusyTimeout, MustExist: true})
	if store.IsKind(err, store.KindMissing) && !loc.Named {
		return &Archive{loc: loc}, nil
	}
	if err != nil {
		return nil, err
	}
	return &Archive{st: st, loc: loc}, nil
}

// Close closes the database.
func (a *Archive) Close() error {
	if a == nil || a.st == nil {
		return nil
	}
	return a.st.Close()
}

// Store is the open database, nil when the default one does not exist yet.
func (a *Archive) Store() *store.Store { return a.st }

// FindRun resolves a RUN argument: an id, or a unique prefix of one. An unknown or ambiguous id
// is an *InputError.
func FindRun(ctx context.Context, st *store.Store, id string) (*store.Run, error) {
	r, err := st.Run(ctx, id)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrAmbiguous) {
		return nil, &InputError{err}
	}
	return r, err
}

// Run resolves a RUN argument in the archive.
func (a *Archive) Run(ctx context.Context, id string) (*store.Run, error) {
	if a.st == nil {
		return nil, inputErrorf("运行 %q：还没有任何检查记录（%s 尚不存在；nmaudit check 会创建它）", id, a.loc.Path)
	}
	return FindRun(ctx, a.st, id)
}

// ErrUnfinished is returned (wrapped) for a run whose report is asked for before it finished.
var ErrUnfinished = store.ErrUnfinished

// Recorded is a finished run with its result, complete in memory.
type Recorded struct {
	Run    *store.Run
	Result *audit.Result
}

// Finished resolves RUN and loads its result; an unfinished run is refused (its report would
// be half a report), saying how to finish it.
func (a *Archive) Finished(ctx context.Context, id string) (*Recorded, error) {
	r, err := a.Run(ctx, id)
	if err != nil {
		return nil, err
	}
	return finished(ctx, a.st, r)
}

func finished(ctx context.Context, st *store.Store, r *store.Run) (*Recorded, error) {
	if !r.Finished {
		c, _ := st.Counts(ctx, r.ID)
		return nil, fmt.Errorf("运行 %s 尚未完成（已判定 %d / %d 个账号）：%w；继续运行：nmaudit check --resume %s",
			r.ID, c.Decided, r.Planned, ErrUnfinished, r.ID)
	}
	res, err := st.Result(ctx, r)
	if err != nil {
		return nil, err
	}
	return &Recorded{Run: r, Result: res}, nil
}

// FinishedRun is Archive.Finished for a store a writing command has open (recheck).
func FinishedRun(ctx context.Context, st *store.Store, id string) (*Recorded, error) {
	r, err := FindRun(ctx, st, id)
	if err != nil {
		return nil, err
	}
	return finished(ctx, st, r)
}
