// Package store is nmaudit's history: every check run, its parameters, each account's verdict
// with its evidence, and the scope-level results, kept in one SQL database. Today the engine is
// SQLite through modernc.org/sqlite (pure Go, no cgo; https://pkg.go.dev/modernc.org/sqlite);
// the store is built so a second engine (Postgres, issue 13) slots in behind the same API:
// every query is written once, in portable SQL, in sql.go; what differs between engines —
// connecting, placeholders, the schema's migrations, how the schema version is kept, how a
// driver's errors read — is the engine interface (engine.go), with SQLite's in sqlite.go.
//
// SQLite runs in WAL mode (https://sqlite.org/wal.html) so `nmaudit runs` and `show` can read
// while a check writes, with a busy timeout so two writers wait for each other instead of
// failing at once, and foreign keys on. The schema is versioned and migrated forward by the
// ordered list in schema.go; a database written by a newer nmaudit is refused rather than
// guessed at.
//
// A run is written in three steps: CreateRun when the inputs are loaded, verdicts as each
// account is decided (through a Writer, which keeps them in batched transactions from a
// goroutine of its own, so the check never waits on the disk), and Finish with the
// scope-level data and the finished flag last, after the Writer has been closed. A run that
// was killed between them stays unfinished — never reported as complete — and its saved
// verdicts let `check --resume` skip the accounts already decided; a kill loses at most the
// batch not yet committed (Writer's bounds: a few hundred verdicts or a quarter second).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// DefaultBusyTimeout is how long a write waits for another process's write to end.
const DefaultBusyTimeout = 5 * time.Second

// Options tune Open. The zero value is the normal read-write store, created when missing.
type Options struct {
	// BusyTimeout is how long a statement waits on another connection's lock before failing
	// with a KindLocked error; 0 means DefaultBusyTimeout.
	BusyTimeout time.Duration
	// ReadOnly opens an existing database for reading only: nothing is created or migrated.
	// A database older than this binary cannot be read this way (KindOlder): its tables are
	// not the ones the queries name.
	ReadOnly bool
	// MustExist refuses to create a missing database (KindMissing) or its folders: commands
	// that only read the history (runs, show, diff, ledger, report) or continue a recorded run
	// (recheck, check --resume) must never leave an empty database behind a mistyped --db. An
	// existing database is still migrated forward.
	MustExist bool
	// Pragmas are extra "name=value" pragmas applied to every connection (tests use
	// max_page_count to make the database fill up).
	Pragmas []string
}

// Store is an open history database.
type Store struct {
	db   *sql.DB
	eng  engine
	path string // what messages name: the file (an engine may redact a URL)
	opt  Options

	prepOnce sync.Once
	prepErr  error
	stmts    stmts

	mu      sync.Mutex
	writers map[*Writer]struct{} // open writers, flushed by Close
	closed  bool
}

// Open opens the history database at path — a file name for SQLite — and migrates it to the
// current schema. Every failure is an *Error naming the database.
func Open(path string, opt Options) (*Store, error) {
	if opt.BusyTimeout <= 0 {
		opt.BusyTimeout = DefaultBusyTimeout
	}
	eng, err := engineFor(path)
	if err != nil {
		return nil, &Error{File: Redact(path), Kind: KindOther, Op: opOpen, Err: err, Server: IsURL(path)}
	}
	name, err := eng.name(path)
	if err != nil {
		return nil, &Error{File: Redact(path), Kind: KindOther, Op: opOpen, Err: err, Server: eng.server()}
	}
	s := &Store{eng: eng, path: name, opt: opt, writers: map[*Writer]struct{}{}}
	db, err := eng.connect(name, opt)
	if err != nil {
		return nil, s.fail(opOpen, err)
	}
	s.db = db
	if err := s.migrate(context.Background()); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Path names the database as messages show it: the SQLite file's absolute path, or the
// Postgres URL without its password.
func (s *Store) Path() string { return s.path }

// Close flushes every open Writer, then closes the database. The first error (a batch that
// could not be written, or the close itself) is returned.
func (s *Store) Close() error {
	if s == nil || s.db == nil {
		return nil
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	ws := make([]*Writer, 0, len(s.writers))
	for w := range s.writers {
		ws = append(ws, w)
	}
	s.mu.Unlock()
	var errs []error
	for _, w := range ws {
		errs = append(errs, w.Close())
	}
	s.stmts.close()
	errs = append(errs, s.db.Close())
	return errors.Join(errs...)
}

// Kind classifies a store failure for the message a user sees.
type Kind int

// Failure kinds.
const (
	KindOther    Kind = iota
	KindCorrupt       // not a database, or a damaged one
	KindForeign       // a database that is not nmaudit's
	KindNewer         // the schema is newer than this binary knows
	KindOlder         // the schema is older, and the database was opened read-only
	KindLocked        // another process held the lock longer than the busy timeout
	KindFull          // the disk (or the database's size limit) is full
	KindReadOnly      // the file or its folder cannot be written
	KindIO            // a read or write failed (a full or failing disk, a file size limit)
	KindMissing       // MustExist, and there is no database there
	KindConnect       // the database server cannot be reached, or refused the login
)

// What an Error says was being done (its Op).
const (
	opOpen          = "打开"
	opCreateFolder  = "创建文件夹"
	opMigrate       = "升级数据库结构"
	opCreateRun     = "记录新运行"
	opResumeRun     = "记录续跑"
	opReadRun       = "读取运行记录"
	opReadRuns      = "读取运行列表"
	opCount         = "统计判定结果"
	opSaveVerdict   = "保存判定结果"
	opReadVerdicts  = "读取判定结果"
	opFinishRun     = "完成运行"
	opCheckDatabase = "检查数据库"
)

// Error is a store failure, naming the database. Its message is one line, in Chinese, and
// says what the user can do about it.
type Error struct {
	File string
	Kind Kind
	// Server is true when File is a database on a server (a Postgres URL, password removed)
	// rather than a file.
	Server bool
	Op     string // what was being done: 打开, 保存判定结果, …
	Err    error
}

func (e *Error) Error() string {
	var what string
	switch k := e.Kind; {
	case k == KindCorrupt && e.Server:
		what = "不是可用的 nmaudit 历史数据库（其中 nmaudit 的表已损坏或不完整）：" + oneLine(e.Err) +
			"；请由管理员修复，或用 --db 指定另一个数据库"
	case k == KindCorrupt:
		what = "不是可用的 nmaudit 历史数据库（文件不是数据库或已损坏）：" + oneLine(e.Err) +
			"；请将其移走，或用 --db 指定另一个文件"
	case k == KindForeign:
		what = "这是一个不由 nmaudit 创建的数据库；请用 --db 指定另一个文件"
	case k == KindNewer:
		what = oneLine(e.Err) + "；请使用写入它的较新版本 nmaudit"
	case k == KindOlder:
		what = oneLine(e.Err) + "；请以可写方式运行一次 nmaudit（如 nmaudit runs）以升级它"
	case k == KindLocked:
		what = "数据库被另一个进程锁定（" + oneLine(e.Err) + "）；请待其结束后重试"
	case k == KindFull:
		what = "无法写入，磁盘已满（" + oneLine(e.Err) + "）"
	case k == KindReadOnly:
		what = "无法写入数据库（" + oneLine(e.Err) + "）"
	case k == KindIO:
		what = "磁盘读写失败（" + oneLine(e.Err) + "）；磁盘是否已满或出现故障？"
	case k == KindMissing && e.Server:
		what = "数据库不存在或其中还没有 nmaudit 的检查记录（数据库须由管理员先创建，如 createdb；只有开始一次新检查的 check 或 nmaudit worker 会在其中建表），请检查 --db 或配置 store.url"
	case k == KindMissing:
		what = "文件不存在（只有开始一次新检查的 check 会新建历史数据库），请检查 --db 或配置 store.path"
	case k == KindConnect:
		what = "无法连接数据库服务器（" + oneLine(e.Err) + "）；请检查服务器是否运行、地址与账号密码是否正确"
	default:
		what = oneLine(e.Err)
	}
	return fmt.Sprintf("历史数据库 %s：%s：%s", e.File, e.Op, what)
}

func (e *Error) Unwrap() error { return e.Err }

// oneLine keeps an underlying message to one line: the CLI prints errors as one line.
func oneLine(err error) string {
	if err == nil {
		return ""
	}
	return strings.Join(strings.Fields(err.Error()), " ")
}

// fail wraps err as an *Error for this store, classifying the driver's error.
func (s *Store) fail(op string, err error) error {
	var se *Error
	if errors.As(err, &se) {
		return err
	}
	k := s.eng.classify(err)
	var n errNewer
	var o errOlder
	switch {
	case errors.As(err, &n):
		k = KindNewer
	case errors.As(err, &o):
		k = KindOlder
	case errors.Is(err, errForeign):
		k = KindForeign
	case errors.Is(err, errMissing):
		k = KindMissing
	}
	return &Error{File: s.path, Kind: k, Op: op, Err: redactErr(err, s.eng.secrets()), Server: s.eng.server()}
}

// Server reports whether the history is a database on a server (Postgres), which several
// machines share, rather than a file.
func (s *Store) Server() bool { return s.eng.server() }

// IsKind reports whether err is a store *Error of kind k.
func IsKind(err error, k Kind) bool {
	var se *Error
	return errors.As(err, &se) && se.Kind == k
}

// Sentinel causes the header checks report; fail gives each its Kind.
var (
	errForeign = errors.New("不是 nmaudit 的数据库")
	errMissing = errors.New("文件不存在")
)

// errNewer says the database was written by a newer nmaudit.
type errNewer struct{ have, know int }

func (e errNewer) Error() string {
	return fmt.Sprintf("数据库结构版本 %d 比本程序支持的版本（%d）新", e.have, e.know)
}

// errOlder says a read-only open met a database an older nmaudit wrote.
type errOlder struct{ have, know int }

func (e errOlder) Error() string {
	return fmt.Sprintf("数据库结构版本 %d 比本程序使用的版本（%d）旧，只读打开时无法升级", e.have, e.know)
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

// Check runs the engine's integrity check and returns what it found wrong (nil when the
// database is sound). It reads every page, so it is for when a result looks wrong — a resume
// that finds no run, say — not for every open.
func (s *Store) Check(ctx context.Context) error {
	problems, err := s.eng.integrity(ctx, s.db)
	if err != nil {
		return s.fail(opCheckDatabase, err)
	}
	if len(problems) > 0 {
		return &Error{File: s.path, Kind: KindCorrupt, Op: opCheckDatabase, Err: errors.New(strings.Join(problems, "; ")), Server: s.eng.server()}
	}
	return nil
}
