package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/audit/store/pgtest"
	"github.com/nmaudit/nmaudit/platforms"
)

// TestMain stops the throwaway Postgres cluster the engine tests started.
func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.StopShared()
	os.Exit(code)
}

// pgOpen opens a Postgres store, failing the test.
func pgRaw(t *testing.T, url string) *sql.DB {
	t.Helper()
	s := open(t, url, Options{})
	return s.db
}

// A Postgres history is refused the way an SQLite file is — newer schema, a database that is
// someone else's, a damaged version record, a missing table, no such database, a wrong
// password, a server that is down — each as one line naming the database by its URL with the
// password removed; the password itself appears in no message.
func TestPostgresBadDatabasesNameTheURLWithoutThePassword(t *testing.T) {
	c := pgtest.Shared(t)
	fresh := func() string { return pgtest.Database(t) }

	newer := fresh()
	pgRaw(t, newer).Exec("UPDATE nmaudit_schema SET version = 99")

	foreign := fresh()
	if db := pgRaw(t, foreign); true {
		db.Exec("DROP TABLE nmaudit_schema") // what is left is someone else's tables
	}
	damaged := fresh()
	pgRaw(t, damaged).Exec("DELETE FROM nmaudit_schema")

	missingTable := fresh()
	pgRaw(t, missingTable).Exec("DROP TABLE work")

	noDB := strings.Replace(fresh(), "/t", "/nosuch_t", 1)
	badPassword := strings.Replace(fresh(), c.Password, "wrong-"+c.Password[3:], 1)
	down := strings.Replace(fresh(), fmt.Sprintf(":%d/", c.Port), ":1/", 1)

	for _, tc := range []struct {
		name, url string
		opt       Options
		kind      Kind
		want      string
		check     bool // the damage shows in Check, not in Open
	}{
		{"newer", newer, Options{}, KindNewer, "数据库结构版本 99", false},
		{"foreign", foreign, Options{}, KindForeign, "不由 nmaudit 创建", false},
		{"damaged version", damaged, Options{}, KindCorrupt, "版本记录缺失或已损坏", false},
		{"missing table", missingTable, Options{}, KindCorrupt, "缺少表 work", true},
		{"no database", noDB, Options{}, KindMissing, "数据库不存在", false},
		{"no database, reader", noDB, Options{MustExist: true}, KindMissing, "createdb", false},
		{"wrong password", badPassword, Options{}, KindConnect, "无法连接数据库服务器", false},
		{"server down", down, Options{}, KindConnect, "无法连接数据库服务器", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(tc.url, tc.opt)
			if tc.check {
				if err != nil {
					t.Fatalf("open: %v", err)
				}
				defer s.Close()
				err = s.Check(ctx)
			} else if err == nil {
				s.Close()
			}
			if !IsKind(err, tc.kind) {
				t.Fatalf("got %v, want kind %d", err, tc.kind)
			}
			msg := err.Error()
			for _, secret := range []string{c.Password, c.Password[3:]} {
				if strings.Contains(msg, secret) {
					t.Errorf("message shows the password: %s", msg)
				}
			}
			if !strings.Contains(msg, Redact(tc.url)) || !strings.Contains(msg, "xxxxx@127.0.0.1") ||
				!strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
				t.Errorf("message %q", msg)
			}
		})
	}
}

// Readers never create nmaudit's tables in an empty database: `runs --db postgres://…` with a
// typo in the database name, or against a database nobody has used yet, changes nothing.
func TestPostgresReadersCreateNoTables(t *testing.T) {
	url := pgtest.Database(t)
	for _, opt := range []Options{{MustExist: true}, {ReadOnly: true}} {
		_, err := Open(url, opt)
		if !IsKind(err, KindMissing) || !strings.Contains(err.Error(), "还没有 nmaudit 的检查记录") {
			t.Errorf("%+v: %v", opt, err)
		}
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	db.QueryRow("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&n)
	if n != 0 {
		t.Errorf("a reader left %d tables behind", n)
	}
	// A writer creates them; then readers open it.
	s := open(t, url, Options{})
	newRun(t, s)
	r := open(t, url, Options{ReadOnly: true})
	if rs, err := r.Runs(ctx); err != nil || len(rs) != 1 {
		t.Errorf("reader: %v %v", rs, err)
	}
	// A read-only store cannot write.
	if err := r.CreateRun(ctx, testRun()); !IsKind(err, KindReadOnly) {
		t.Errorf("write through a read-only store: %v", err)
	}
}

// Many processes open a fresh database at once (a coordinator and its workers starting
// together): the migrations run once, serialised, and runs created concurrently get distinct
// ids and an order.
func TestPostgresConcurrentOpenAndRuns(t *testing.T) {
	url := pgtest.Database(t)
	const n = 6
	var wg sync.WaitGroup
	stores := make([]*Store, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { stores[i], errs[i] = Open(url, Options{}) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	ids := make([]string, n)
	for i := range n {
		wg.Go(func() {
			r := testRun()
			if err := stores[i].CreateRun(ctx, r); err != nil {
				errs[i] = err
			}
			ids[i] = r.ID
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
	}
	rs, err := stores[0].Runs(ctx)
	if err != nil || len(rs) != n {
		t.Fatalf("runs: %d %v", len(rs), err)
	}
	seen := map[string]bool{}
	for _, r := range rs {
		seen[r.ID] = true
	}
	if len(seen) != n {
		t.Errorf("ids %v", ids)
	}
	var version int
	stores[0].db.QueryRow("SELECT version FROM nmaudit_schema").Scan(&version)
	if version != SchemaVersion() {
		t.Errorf("schema %d, want %d", version, SchemaVersion())
	}
}

// A write that waits on another session's lock longer than the busy timeout fails as locked
// (lock_timeout), naming the database.
func TestPostgresLocked(t *testing.T) {
	url := pgtest.Database(t)
	holder := open(t, url, Options{})
	r := newRun(t, holder)
	tx, err := holder.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec("UPDATE runs SET format = 'table' WHERE id = $1", r.ID); err != nil {
		t.Fatal(err)
	}
	other := open(t, url, Options{BusyTimeout: 100 * time.Millisecond})
	if _, err := other.Runs(ctx); err != nil {
		t.Fatalf("read while another writes: %v", err)
	}
	start := time.Now()
	err = other.MarkResumed(ctx, r.ID, time.Now())
	if !IsKind(err, KindLocked) || !strings.Contains(err.Error(), "锁定") || !strings.Contains(err.Error(), Redact(url)) {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d < 80*time.Millisecond || d > 5*time.Second {
		t.Errorf("waited %v for a 100ms lock timeout", d)
	}
}

// A distributed run's scope round-trips (accounts with their matched rows, notices), and a
// KeepFirst writer keeps the verdict saved first, as a job River runs twice must.
func TestWorkAndKeepFirst(t *testing.T) {
	eachEngine(t, func(t *testing.T, loc string) {
		s := open(t, loc, Options{})
		r := testRun()
		r.Distributed = true
		if err := s.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Run(ctx, r.ID); !got.Distributed {
			t.Error("distributed flag lost")
		}
		seen := time.Date(2022, 8, 20, 9, 0, 0, 0, shanghai)
		items := []WorkItem{
			{Index: 0, Account: verdict(0, audit.Qualified).Account},
			{Index: 1, Account: verdict(1, audit.Qualified).Account,
				Observations: []audit.Observation{{Row: 3, Name: "汉中公安1", Type: "新浪微博", Platform: platforms.Weibo, Time: seen, Link: "https://m.weibo.cn/status/1"}},
				Findings:     []audit.Finding{{Row: 2, Name: "汉中公安1", Type: "新浪微博", Problem: "严重表述错误", Veto: true}}},
		}
		if err := s.SaveWork(ctx, r.ID, items); err != nil {
			t.Fatal(err)
		}
		// Saving again (a coordinator resumed) keeps what is there and adds what is missing.
		items2 := append([]WorkItem{{Index: 0, Account: verdict(5, audit.Qualified).Account}}, WorkItem{Index: 2, Account: verdict(2, audit.Qualified).Account})
		if err := s.SaveWork(ctx, r.ID, items2); err != nil {
			t.Fatal(err)
		}
		if n, err := s.WorkCount(ctx, r.ID); err != nil || n != 3 {
			t.Fatalf("work count %d %v", n, err)
		}
		got, err := s.Work(ctx, r.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got.Account.Name != "汉中公安1" || len(got.Observations) != 1 || !got.Observations[0].Time.Equal(seen) ||
			got.Observations[0].Link == "" || len(got.Findings) != 1 || !got.Findings[0].Veto {
			t.Errorf("work item %+v", got)
		}
		if got, _ := s.Work(ctx, r.ID, 0); got.Account.Name != "汉中公安0" {
			t.Errorf("a second SaveWork replaced item 0: %s", got.Account.Name)
		}
		if _, err := s.Work(ctx, r.ID, 9); !errors.Is(err, ErrNotFound) {
			t.Errorf("missing item: %v", err)
		}
		if err := s.SetNotices(ctx, r.ID, 2, []string{"第二条"}); err != nil {
			t.Fatal(err)
		}
		s.SetNotices(ctx, r.ID, 1, []string{"第一条"})
		if ns, err := s.WorkNotices(ctx, r.ID); err != nil || strings.Join(ns, ",") != "第一条,第二条" {
			t.Errorf("notices %v %v", ns, err)
		}

		w, err := s.NewWriter(ctx, r.ID, WriterOptions{KeepFirst: true, MaxDelay: 5 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		first := verdict(1, audit.Unqualified)
		if err := w.SaveWait(ctx, 1, first, time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := w.SaveWait(ctx, 1, verdict(1, audit.Qualified), time.Now()); err != nil {
			t.Fatal(err)
		}
		ds, _ := s.Verdicts(ctx, r.ID, shanghai)
		if len(ds) != 1 || ds[0].Verdict.Status != audit.Unqualified {
			t.Errorf("keep-first: %+v", ds)
		}
		if idx, _ := s.DecidedIndexes(ctx, r.ID); len(idx) != 1 || idx[0] != 1 {
			t.Errorf("decided %v", idx)
		}
		if ok, _ := s.HasVerdict(ctx, r.ID, 1); !ok {
			t.Error("HasVerdict(1) false")
		}
		if ok, _ := s.HasVerdict(ctx, r.ID, 0); ok {
			t.Error("HasVerdict(0) true")
		}
	})
}

// The database server restarting while a worker's Writer has verdicts to commit: with
// RetryFor the Writer waits for it and commits them, losing nothing; without, it fails at once
// (a local check's SQLite does not come back by waiting).
func TestWriterRetriesThroughAServerRestart(t *testing.T) {
	pgtest.Shared(t) // skip where there is no PostgreSQL
	c, err := pgtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	url, err := c.NewDatabase()
	if err != nil {
		t.Fatal(err)
	}
	s := open(t, url, Options{})
	r := newRun(t, s)
	w, err := s.NewWriter(ctx, r.ID, WriterOptions{KeepFirst: true, RetryFor: time.Minute, MaxDelay: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if err := w.SaveWait(ctx, i, verdict(i, audit.Qualified), time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	restarted := make(chan error, 1)
	go func() { restarted <- c.Restart(1500 * time.Millisecond) }()
	time.Sleep(300 * time.Millisecond) // the server is down now
	wctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := 20; i < 40; i++ {
		wg.Go(func() { errs[i-20] = w.SaveWait(wctx, i, verdict(i, audit.Qualified), time.Now()) })
	}
	wg.Wait()
	if err := <-restarted; err != nil {
		t.Fatal(err)
	}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("verdict %d across the restart: %v", 20+i, err)
		}
	}
	if c, err := s.Counts(ctx, r.ID); err != nil || c.Decided != 40 {
		t.Errorf("%d verdicts kept (%v), want 40", c.Decided, err)
	}

	// Without RetryFor the first failure is final.
	w2, err := s.NewWriter(ctx, r.ID, WriterOptions{MaxDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c.Stop()
	err = w2.SaveWait(ctx, 50, verdict(50, audit.Qualified), time.Now())
	if !IsKind(err, KindConnect) && !Transient(err) {
		t.Errorf("with the server down: %v", err)
	}
	if err == nil || strings.Contains(err.Error(), c.Password) {
		t.Errorf("error %v", err)
	}
	w2.Close()
}
