package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// postgresEngine keeps the history in a PostgreSQL database (province scale, issue 13) through
// pgx v5's database/sql driver (https://pkg.go.dev/github.com/jackc/pgx/v5/stdlib). The
// database itself is made by its administrator (createdb); nmaudit makes and migrates its
// tables, and keeps its schema version in the one-row table nmaudit_schema.
//
// url is the URL as given, password included, and is used for nothing but connecting: every
// message names the database by Redact(url).
type postgresEngine struct {
	url      string
	password string
}

func newPostgresEngine(loc string) (engine, error) {
	u, err := url.Parse(strings.TrimSpace(loc))
	if err != nil || u.Host == "" {
		// url.Parse's message quotes the whole URL, password and all: say what is wrong
		// without it.
		return nil, errors.New("不是有效的 postgres:// URL（应为 postgres://用户:密码@主机[:端口]/数据库）")
	}
	e := postgresEngine{url: strings.TrimSpace(loc)}
	if p, ok := u.User.Password(); ok {
		e.password = p
	} else if p := u.Query().Get("password"); p != "" {
		e.password = p
	}
	return e, nil
}

// Redact is how messages name a history location: a Postgres URL without its password (in the
// user part or a password= parameter), anything else as it is.
func Redact(loc string) string {
	if !IsURL(loc) {
		if keywordDSN.MatchString(loc) {
			return keywordPassword.ReplaceAllString(loc, "${1}xxxxx")
		}
		return loc
	}
	u, err := url.Parse(strings.TrimSpace(loc))
	if err != nil {
		return "postgres://（无法解析的 URL）"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// keywordPassword is the password of a key=value connection string, to mask it.
var keywordPassword = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)

func (e postgresEngine) name(string) (string, error) { return Redact(e.url), nil }

func (e postgresEngine) server() bool { return true }

func (e postgresEngine) secrets() []string {
	if e.password == "" {
		return nil
	}
	return []string{e.password, url.QueryEscape(e.password), url.PathEscape(e.password)}
}

// ConnConfig is the pgx configuration of a Postgres history URL with what nmaudit sets on every
// connection: a connect timeout (a server that is down fails in seconds, not minutes), the
// application name the server's activity views show, and lock_timeout — the busy timeout's
// counterpart, so a write that waits on another's lock fails as "locked" instead of hanging.
// Errors never quote the password.
func ConnConfig(loc string, busy time.Duration) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(strings.TrimSpace(loc))
	if err != nil {
		e, _ := newPostgresEngine(loc)
		return nil, redactErr(err, e.secrets())
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "nmaudit"
	}
	if busy <= 0 {
		busy = DefaultBusyTimeout
	}
	cfg.RuntimeParams["lock_timeout"] = strconv.FormatInt(busy.Milliseconds(), 10)
	return cfg, nil
}

func (e postgresEngine) connect(_ string, opt Options) (*sql.DB, error) {
	cfg, err := ConnConfig(e.url, opt.BusyTimeout)
	if err != nil {
		return nil, err
	}
	if opt.ReadOnly {
		cfg.RuntimeParams["default_transaction_read_only"] = "on"
	}
	db := stdlib.OpenDB(*cfg)
	// A few connections: the Writer's goroutine, a reader (progress, runs), the migration.
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	// Connections do not outlive a server restart by long: a pool of broken connections
	// would fail one statement each before database/sql replaces them.
	db.SetConnMaxIdleTime(time.Minute)
	return db, nil
}

// schemaApp marks the version table's row as nmaudit's.
const schemaApp = "nmaudit"

// version reads nmaudit_schema. A database without it is empty (0) when it holds no tables
// but River's queue (a worker may have created those first), foreign when it holds others.
func (postgresEngine) version(ctx context.Context, q querier) (int, error) {
	// One statement, one snapshot: another process's migration committing between two
	// queries must not make its tables look like someone else's.
	var ours, others int
	err := q.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE tablename = 'nmaudit_schema'),
		count(*) FILTER (WHERE tablename <> 'nmaudit_schema' AND tablename NOT LIKE 'river\_%')
		FROM pg_catalog.pg_tables WHERE schemaname = current_schema()`).Scan(&ours, &others)
	if err != nil {
		return 0, err
	}
	if ours == 0 {
		if others > 0 {
			return 0, errForeign
		}
		return 0, nil
	}
	var app string
	var v int
	err = q.QueryRowContext(ctx, "SELECT app, version FROM nmaudit_schema").Scan(&app, &v)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && (app != schemaApp || v < 1)) {
		return 0, errDamagedVersion
	}
	return v, err
}

// errDamagedVersion is a version table that is there but says nothing usable.
var errDamagedVersion = &pgconn.PgError{Code: "XX001", Message: "nmaudit_schema 中的版本记录缺失或已损坏"}

func (postgresEngine) migrations() []string { return postgresMigrations }

func (postgresEngine) stamp(ctx context.Context, tx *sql.Tx, v int, first bool) error {
	if first {
		_, err := tx.ExecContext(ctx, `CREATE TABLE nmaudit_schema (app TEXT NOT NULL, version INTEGER NOT NULL);
			INSERT INTO nmaudit_schema (app, version) VALUES ('`+schemaApp+`', `+strconv.Itoa(v)+`)`)
		return err
	}
	_, err := tx.ExecContext(ctx, "UPDATE nmaudit_schema SET version = $1", v)
	return err
}

// migrationLock is the advisory lock key migrations take ("nmaudit" in ASCII).
const migrationLock = 0x6e6d61756469

// lockMigration takes a transaction-scoped advisory lock: processes starting together (a
// coordinator and its workers) migrate one after the other, and the later ones find the
// version already reached.
func (postgresEngine) lockMigration(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(migrationLock))
	return err
}

// rebind turns ? placeholders into $1, $2, …; the shared queries hold no ? inside literals.
func (postgresEngine) rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// maxParams is the wire protocol's limit on bound parameters (a 16-bit count).
func (postgresEngine) maxParams() int { return 65535 }

func (postgresEngine) unique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// classify maps SQLSTATE classes (https://www.postgresql.org/docs/current/errcodes-appendix.html)
// and connection failures to what a user is told.
func (postgresEngine) classify(err error) Kind {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "3D000": // invalid_catalog_name: no such database
			return KindMissing
		case pe.Code == "53100": // disk_full
			return KindFull
		case pe.Code == "55P03", pe.Code == "40P01", pe.Code == "57014": // lock_not_available, deadlock, timeout
			return KindLocked
		case pe.Code == "25006", pe.Code == "42501": // read_only_sql_transaction, insufficient_privilege
			return KindReadOnly
		case pe.Code == "XX001", pe.Code == "XX002", pe.Code == "42P01", pe.Code == "42703":
			// data or index corrupted; a table or column the schema version promises is missing
			return KindCorrupt
		case strings.HasPrefix(pe.Code, "28"): // invalid authorization
			return KindConnect
		case strings.HasPrefix(pe.Code, "08"), strings.HasPrefix(pe.Code, "57P"): // connection, shutdown
			return KindConnect
		case strings.HasPrefix(pe.Code, "53"), strings.HasPrefix(pe.Code, "58"): // resources, system
			return KindIO
		}
		return KindOther
	}
	var ne net.Error
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, driver.ErrBadConn) || pgconn.SafeToRetry(err) ||
		strings.Contains(err.Error(), "conn closed") || strings.Contains(err.Error(), "unexpected EOF") {
		return KindConnect
	}
	return KindOther
}

// integrity checks what Postgres does not check for nmaudit: the version row and every table
// the schema promises. (Pages are the server's to keep sound: its own checksums and amcheck.)
func (postgresEngine) integrity(ctx context.Context, db *sql.DB) ([]string, error) {
	var problems []string
	for _, t := range []string{"nmaudit_schema", "runs", "verdicts", "unregistered", "duplicates", "warnings", "notices", "work"} {
		var reg sql.NullString
		if err := db.QueryRowContext(ctx, "SELECT to_regclass($1)::text", t).Scan(&reg); err != nil {
			return nil, err
		}
		if !reg.Valid {
			problems = append(problems, "缺少表 "+t)
		}
	}
	if len(problems) == 0 {
		var n int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM nmaudit_schema WHERE app = $1", schemaApp).Scan(&n); err != nil {
			return nil, err
		}
		if n != 1 {
			problems = append(problems, fmt.Sprintf("nmaudit_schema 有 %d 行版本记录，应为 1 行", n))
		}
	}
	return problems, nil
}

func (postgresEngine) upgraded(string, int) error { return nil }

// redactErr returns err with every secret removed from its message; errors.As still finds
// what it wraps.
func redactErr(err error, secrets []string) error {
	if err == nil || len(secrets) == 0 {
		return err
	}
	msg := err.Error()
	clean := msg
	for _, s := range secrets {
		if s != "" {
			clean = strings.ReplaceAll(clean, s, "xxxxx")
		}
	}
	if clean == msg {
		return err
	}
	return &redacted{msg: clean, err: err}
}

type redacted struct {
	msg string
	err error
}

func (r *redacted) Error() string { return r.msg }
func (r *redacted) Unwrap() error { return r.err }
