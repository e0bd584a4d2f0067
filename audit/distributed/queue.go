// Package distributed runs one check over many machines (issue 13, province scale): the
// coordinator (`nmaudit check --distributed`) records the run and its scope in the Postgres
// history and enqueues one job per account that needs its platform; workers (`nmaudit
// worker`), each with its own rate limiters, credentials and network address, take the jobs,
// decide the accounts exactly as a local check does (audit.Check.Decide) and write each verdict
// themselves; the coordinator watches the store and, when every account is decided, finishes
// the run and prints the report.
//
// The queue is River (https://riverqueue.com/docs, github.com/riverqueue/river) on the same
// Postgres database through its pgx v5 driver (riverpgxv5): jobs live in River's tables beside
// the history, are retried with backoff when a worker fails, and are rescued from a worker
// that was killed. A job carries only the run id and the account's position in the run's
// scope — never a credential, nor anything the store does not already hold.
//
// Idempotence: a verdict is written with store.WriterOptions.KeepFirst (the first verdict for a
// run and account stands) and before its job is marked complete; a job that finds its verdict
// already saved completes without fetching. So whatever River retries, every account is
// decided once.
package distributed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/nmaudit/nmaudit/audit/store"
	"github.com/nmaudit/nmaudit/platforms"
)

// JobKind is the River job kind of one account to decide.
const JobKind = "nmaudit_account"

// AccountArgs are a job's arguments: the run and the account's position in its scope. What the
// worker needs besides is in the store (store.Work); its secrets are its own.
type AccountArgs struct {
	Run   string `json:"run"`
	Index int    `json:"idx"`
}

// Kind is River's name for the job.
func (AccountArgs) Kind() string { return JobKind }

// Queue is the River queue of a platform's accounts: `nmaudit worker --platforms weibo,tieba`
// works only those queues, so a machine holding only a Tieba BDUSS never takes a WeChat job.
func Queue(p platforms.Platform) string { return "nmaudit_" + string(p) }

// Queues are the platforms a worker can take jobs for.
var Queues = []platforms.Platform{platforms.Weibo, platforms.Tieba, platforms.WeChat}

// DefaultMaxAttempts is how often a job is tried before its account is 待核查 with the reason.
const DefaultMaxAttempts = 5

// Connect opens a pgx pool on the history's Postgres database for River, with the store's
// connection settings (store.ConnConfig). It connects lazily: a server that is down now is
// retried by whoever uses the pool.
func Connect(url string, maxConns int32) (*pgxpool.Pool, error) {
	cc, err := store.ConnConfig(url, 0)
	if err != nil {
		return nil, fmt.Errorf("历史数据库 %s：%w", store.Redact(url), err)
	}
	pc, err := pgxpool.ParseConfig("")
	if err != nil {
		return nil, err
	}
	pc.ConnConfig = cc
	if maxConns > 0 {
		pc.MaxConns = maxConns
	}
	pc.MaxConnIdleTime = time.Minute
	pc.HealthCheckPeriod = 5 * time.Second
	return pgxpool.NewWithConfig(context.Background(), pc)
}

// riverLock is the advisory lock key River's migrations take ("nmriver").
const riverLock = 0x6e6d7269766572

// Migrate brings River's tables up to date (rivermigrate), one process at a time: a coordinator
// and workers starting together would otherwise race to create the same tables.
func Migrate(ctx context.Context, pool *pgxpool.Pool, url string) error {
	err := retry(ctx, time.Minute, func() error {
		conn, err := pool.Acquire(ctx)
		if err != nil {
			return err
		}
		defer conn.Release()
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(riverLock)); err != nil {
			return err
		}
		defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(riverLock))
		m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
		if err != nil {
			return err
		}
		_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		return err
	})
	if err != nil {
		return fmt.Errorf("历史数据库 %s：建立任务队列（River）的表：%w", store.Redact(url), Redacted(err, url))
	}
	return nil
}

// retry runs fn until it succeeds, ctx ends or for has passed, backing off from 200ms to 5s
// while the failure is one a restarting server gives.
func retry(ctx context.Context, within time.Duration, fn func() error) error {
	deadline := time.Now().Add(within)
	wait := 200 * time.Millisecond
	for {
		err := fn()
		if err == nil || !connectionError(err) || time.Now().Add(wait).After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// connectionError reports whether err is the database being unreachable or restarting, which
// waiting can cure.
func connectionError(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if store.Transient(err) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"connect", "conn closed", "connection", "EOF", "broken pipe", "shutting down",
		"terminating", "57P", "08", "the database system is", "reset by peer"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// Redacted removes the URL's password from err's message.
func Redacted(err error, url string) error {
	if err == nil {
		return nil
	}
	pw := password(url)
	if pw == "" || !strings.Contains(err.Error(), pw) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), pw, "xxxxx"))
}

func password(url string) string {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return ""
	}
	return cfg.Password
}

// Logger is River's logger: warnings and errors on w's handler, with the database password
// removed from every message and attribute (River logs the errors pgx gives it).
func Logger(h slog.Handler, url string) *slog.Logger {
	return slog.New(redactHandler{h, password(url)})
}

type redactHandler struct {
	slog.Handler
	secret string
}

func (h redactHandler) clean(s string) string {
	if h.secret == "" {
		return s
	}
	return strings.ReplaceAll(s, h.secret, "xxxxx")
}

func (h redactHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.clean(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(slog.String(a.Key, h.clean(a.Value.String())))
		return true
	})
	return h.Handler.Handle(ctx, out)
}

func (h redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(as))
	for i, a := range as {
		clean[i] = slog.String(a.Key, h.clean(a.Value.String()))
	}
	return redactHandler{h.Handler.WithAttrs(clean), h.secret}
}

func (h redactHandler) WithGroup(name string) slog.Handler {
	return redactHandler{h.Handler.WithGroup(name), h.secret}
}
