package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/audit/store/pgtest"
	"github.com/nmaudit/nmaudit/platforms"
)

var ctx = context.Background()

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}()

// testEngines are the engines every store test runs against: each opens a fresh, empty
// database (named by the test) and returns where it is: an SQLite file, or a new database on
// the test binary's throwaway Postgres cluster (pgtest; skipped where PostgreSQL is not
// installed).
var testEngines = []struct {
	name  string
	fresh func(t testing.TB) string
}{
	{"sqlite", func(t testing.TB) string { return filepath.Join(t.TempDir(), "n.db") }},
	{"postgres", func(t testing.TB) string { return pgtest.Database(t) }},
}

// eachEngine runs f once per engine, as a subtest.
func eachEngine(t *testing.T, f func(t *testing.T, loc string)) {
	for _, e := range testEngines {
		t.Run(e.name, func(t *testing.T) { f(t, e.fresh(t)) })
	}
}

func open(t testing.TB, path string, opt Options) *Store {
	t.Helper()
	s, err := Open(path, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func testRun() *Run {
	return &Run{Kind: KindCheck, StartedAt: time.Date(2022, 8, 25, 9, 0, 0, 0, time.UTC), Version: "test",
		CheckTime: time.Date(2022, 8, 22, 0, 0, 0, 0, shanghai), Timezone: "Asia/Shanghai", Window: "14d",
		Pending: "exclude", WarnAfter: 10 * 24 * time.Hour,
		Registry: File{Path: "/data/registry.xlsx", SHA256: strings.Repeat("ab", 32)},
		Format:   "json", RateDecimals: 1, Planned: 3}
}

func newRun(t testing.TB, s *Store) *Run {
	t.Helper()
	r := testRun()
	if err := s.CreateRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	return r
}

func verdict(i int, st audit.Status) audit.Verdict {
	post := time.Date(2022, 8, 1+i%28, 10, 30, 0, 0, shanghai)
	fetched := time.Date(2022, 8, 25, 17, 0, 0, 0, shanghai)
	v := audit.Verdict{
		Account: audit.Account{Row: i + 2, Name: fmt.Sprintf("汉中公安%d", i), Type: "新浪微博", Platform: platforms.Weibo,
			IDKind: platforms.IDWeiboUID, ID: fmt.Sprintf("12345%05d", i), RawID: fmt.Sprintf("12345%05d", i),
			Owner: "汉中市公安局", Supervisor: "汉中市公安局", Level: "市级部门",
			Region: "汉中市", RegistryStatus: "正常运行", Lifecycle: audit.Active},
		Status: st, Problems: []string{}, LatestPostAt: &post, Source: "weibo", Detail: "最近一条: 2022-08-01 10:30",
		Evidence: []audit.Evidence{{Source: "weibo", PostAt: &post, Pinned: i%7 == 1, PostID: "4800000000", URL: "https://m.weibo.cn/api/container/getIndex?type=uid&value=1234567890", FetchedAt: &fetched}},
	}
	if st == audit.Unqualified {
		v.Problems = []string{"监测时间点前2周内无更新"}
	}
	return v
}

// scopeResult is a check's result over vs with one of each scope-level list, as Finish keeps
// them.
func scopeResult(checkTime time.Time, vs []audit.Verdict) *audit.Result {
	res := &audit.Result{CheckTime: checkTime, Window: audit.Window{D: 14 * 24 * time.Hour}, Accounts: vs,
		Unregistered: []audit.Unregistered{{Name: "未登记号", Type: "抖音", Owner: "某局", Row: 7}},
		Duplicates:   []audit.Duplicate{{Name: "重复号", Type: "微博", Rows: []int{3, 9}}},
		Notices:      []string{"未知类型"}}
	res.Summarize(audit.Params{CheckTime: checkTime, Window: res.Window})
	res.Warnings = []audit.Warning{{Name: vs[0].Name, Type: "新浪微博", Owner: "汉中市公安局", LatestPostAt: *vs[0].LatestPostAt, DaysSincePost: 11}}
	res.Summary.RegistryRows = 5
	return res
}

func TestOpenCreatesPrivateFilesAndMigrates(t *testing.T) {
	base := t.TempDir()
	path := filepath.Join(base, "a", "b", "nmaudit.db")
	s := open(t, path, Options{})
	var version, appID, fk int
	var mode string
	s.db.QueryRow("PRAGMA user_version").Scan(&version)
	s.db.QueryRow("PRAGMA application_id").Scan(&appID)
	s.db.QueryRow("PRAGMA journal_mode").Scan(&mode)
	s.db.QueryRow("PRAGMA foreign_keys").Scan(&fk)
	if version != SchemaVersion() || version < 2 || appID != applicationID || mode != "wal" || fk != 1 {
		t.Fatalf("version %d app %x journal %s fk %d", version, appID, mode, fk)
	}
	// A write brings the WAL and shared-memory files into being: all three are the owner's
	// alone, and so are the folders the store made.
	newRun(t, s)
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(f), fi.Mode().Perm())
		}
	}
	for _, d := range []string{filepath.Join(base, "a"), filepath.Join(base, "a", "b")} {
		if fi, _ := os.Stat(d); fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: mode %v, want 0700", d, fi.Mode().Perm())
		}
	}
	s.Close()
	// Reopening an up-to-date database changes nothing.
	s2 := open(t, path, Options{})
	s2.db.QueryRow("PRAGMA user_version").Scan(&version)
	if version != SchemaVersion() {
		t.Fatal(version)
	}
	if rs, err := s2.Runs(ctx); err != nil || len(rs) != 1 {
		t.Errorf("runs after reopen: %v %v", rs, err)
	}
}

// Readers never create a database: not the file, not its folders.
func TestMustExistAndReadOnlyCreateNothing(t *testing.T) {
	dir := t.TempDir()
	for _, opt := range []Options{{MustExist: true}, {ReadOnly: true}} {
		path := filepath.Join(dir, "typo", "x", "y.db")
		_, err := Open(path, opt)
		if !IsKind(err, KindMissing) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "不存在") {
			t.Errorf("%+v: %v", opt, err)
		}
		if _, err := os.Stat(filepath.Join(dir, "typo")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%+v created folders (%v)", opt, err)
		}
	}
	// An existing database opens either way.
	path := filepath.Join(dir, "n.db")
	s := open(t, path, Options{})
	r := newRun(t, s)
	s.Close()
	for _, opt := range []Options{{MustExist: true}, {ReadOnly: true}} {
		s := open(t, path, opt)
		if got, err := s.Run(ctx, r.ID); err != nil || got.ID != r.ID {
			t.Errorf("%+v: %v %v", opt, got, err)
		}
		s.Close()
	}
}

func TestDefaultPathPerSystem(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	home := func(h string) func() (string, error) {
		return func() (string, error) {
			if h == "" {
				return "", errors.New("$HOME is not defined")
			}
			return h, nil
		}
	}
	for _, c := range []struct {
		goos   string
		getenv func(string) string
		home   string
		want   string
	}{
		{"linux", env("XDG_DATA_HOME", "/srv/data"), "/home/u", "/srv/data/nmaudit/nmaudit.db"},
		{"linux", env(), "/home/u", "/home/u/.local/share/nmaudit/nmaudit.db"},
		{"linux", env("XDG_DATA_HOME", "relative/dir"), "/home/u", "/home/u/.local/share/nmaudit/nmaudit.db"},
		{"freebsd", env(), "/usr/home/u/", "/usr/home/u/.local/share/nmaudit/nmaudit.db"},
		{"windows", env("LOCALAPPDATA", `C:\Users\u\AppData\Local`, "USERPROFILE", `C:\Users\u`), `C:\Users\u`,
			`C:\Users\u\AppData\Local\nmaudit\nmaudit.db`},
		{"windows", env("USERPROFILE", `D:\profiles\u`), `D:\profiles\u`, `D:\profiles\u\AppData\Local\nmaudit\nmaudit.db`},
		// An MSYS shell's unix-style XDG_DATA_HOME is not a Windows path.
		{"windows", env("XDG_DATA_HOME", "/home/u/.local/share", "LOCALAPPDATA", `C:\Users\u\AppData\Local`), `C:\Users\u`,
			`C:\Users\u\AppData\Local\nmaudit\nmaudit.db`},
		{"windows", env("XDG_DATA_HOME", `E:\data`), `C:\Users\u`, `E:\data\nmaudit\nmaudit.db`},
		{"darwin", env(), "/Users/u", "/Users/u/Library/Application Support/nmaudit/nmaudit.db"},
		{"darwin", env("XDG_DATA_HOME", "/Users/u/.local/share"), "/Users/u", "/Users/u/.local/share/nmaudit/nmaudit.db"},
	} {
		got, err := defaultPath(c.goos, c.getenv, home(c.home))
		if err != nil || got != c.want {
			t.Errorf("%s: %q %v, want %q", c.goos, got, err, c.want)
		}
	}
	for _, goos := range []string{"linux", "windows", "darwin"} {
		if p, err := defaultPath(goos, env(), home("")); err == nil || !strings.Contains(err.Error(), "--db") {
			t.Errorf("%s without a home: %q %v", goos, p, err)
		}
	}
}

func TestBadDatabasesAreRefusedWithTheFileNamed(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	os.WriteFile(garbage, bytes.Repeat([]byte("this is not sqlite\n"), 500), 0o644)

	newer := filepath.Join(dir, "newer.db")
	s := open(t, newer, Options{})
	s.db.Exec("PRAGMA user_version = 99")
	s.Close()

	foreign := filepath.Join(dir, "foreign.db")
	db, _ := sql.Open("sqlite", foreign)
	db.Exec("CREATE TABLE t (x)")
	db.Close()

	// A valid header followed by a damaged page.
	damaged := filepath.Join(dir, "damaged.db")
	s = open(t, damaged, Options{})
	s.Close()
	data, _ := os.ReadFile(damaged)
	for i := 4096; i < len(data); i++ {
		data[i] = 0xA5
	}
	os.WriteFile(damaged, data, 0o644)

	for _, c := range []struct {
		path string
		opt  Options
		kind Kind
		want string
	}{
		{garbage, Options{}, KindCorrupt, "不是可用的 nmaudit 历史数据库"},
		{newer, Options{}, KindNewer, fmt.Sprintf("数据库结构版本 99 比本程序支持的版本（%d）新", SchemaVersion())},
		{newer, Options{ReadOnly: true}, KindNewer, "较新版本"},
		{foreign, Options{}, KindForeign, "不由 nmaudit 创建"},
		{damaged, Options{}, KindCorrupt, "已损坏"},
	} {
		_, err := Open(c.path, c.opt)
		if !IsKind(err, c.kind) {
			t.Errorf("%s: %v, want kind %d", filepath.Base(c.path), err, c.kind)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, c.path) || !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") {
			t.Errorf("%s: message %q", filepath.Base(c.path), msg)
		}
	}
}

// Damage that opening does not notice (a page deep in a table) is named by Check.
func TestCheckFindsDamage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "n.db")
	s := open(t, path, Options{})
	r := newRun(t, s)
	w, err := s.NewWriter(ctx, r.ID, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2000 {
		w.Save(i, verdict(i, audit.Qualified), time.Now())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(ctx); err != nil {
		t.Fatalf("sound database: %v", err)
	}
	s.Close()
	data, _ := os.ReadFile(path)
	if len(data) < 40*4096 {
		t.Fatalf("database of %d bytes: too small to damage a middle page", len(data))
	}
	// Scramble a page in the middle: the header and the schema still read.
	for i := 30 * 4096; i < 31*4096; i++ {
		data[i] = byte(i * 7)
	}
	os.WriteFile(path, data, 0o600)
	s = open(t, path, Options{})
	err = s.Check(ctx)
	if !IsKind(err, KindCorrupt) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "已损坏") {
		t.Errorf("damaged database: %v", err)
	}
}

func TestLockedDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "n.db")
	holder := open(t, path, Options{})
	newRun(t, holder)
	// Another connection takes the write lock and keeps it.
	tx, err := holder.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec("UPDATE runs SET format = 'table'"); err != nil {
		t.Fatal(err)
	}

	other := open(t, path, Options{BusyTimeout: 100 * time.Millisecond})
	// Readers are not blocked (WAL)…
	if _, err := other.Runs(ctx); err != nil {
		t.Fatalf("read while another writes: %v", err)
	}
	// …writers wait for the busy timeout, then fail with the file named.
	start := time.Now()
	err = other.CreateRun(ctx, &Run{Kind: KindCheck, StartedAt: time.Now(), Timezone: "Asia/Shanghai", Window: "14d", Pending: "exclude", Format: "table"})
	if !IsKind(err, KindLocked) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "锁定") {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d < 80*time.Millisecond || d > 3*time.Second {
		t.Errorf("waited %v for a 100ms busy timeout", d)
	}
}

// A batch that does not fit fails whole: the verdicts kept are exactly the batches committed
// before it, the Writer reports the failure from then on, and the run stays unfinished.
func TestDiskFullLeavesTheRunUnfinished(t *testing.T) {
	path := filepath.Join(t.TempDir(), "n.db")
	// max_page_count caps the file as a full disk would: SQLite answers SQLITE_FULL.
	s := open(t, path, Options{Pragmas: []string{"max_page_count=60"}})
	r := newRun(t, s)
	w, err := s.NewWriter(ctx, r.ID, WriterOptions{MaxBatch: 10})
	if err != nil {
		t.Fatal(err)
	}
	handed := 0
	for i := 0; i < 2000; i++ {
		v := verdict(i%20, audit.Qualified)
		v.Detail = strings.Repeat("很长的说明", 60)
		if err = w.Save(i, v, time.Now()); err != nil {
			break
		}
		handed++
	}
	closeErr := w.Close()
	if err == nil {
		err = closeErr
	}
	if !IsKind(err, KindFull) || !strings.Contains(err.Error(), "磁盘已满") || !strings.Contains(err.Error(), path) ||
		!strings.Contains(err.Error(), "保存判定结果") {
		t.Fatalf("after %d verdicts: %v", handed, err)
	}
	if !errors.Is(closeErr, err) && closeErr.Error() != err.Error() {
		t.Errorf("Close says %v, Save said %v", closeErr, err)
	}
	saved := w.Saved()
	if saved == 0 || saved%10 != 0 || saved >= handed {
		t.Fatalf("%d verdicts committed of %d handed over: the cap must bite mid-run, on a batch bound", saved, handed)
	}
	if err := w.Save(handed, verdict(0, audit.Qualified), time.Now()); err == nil {
		t.Error("Save after the failure and Close succeeded")
	}
	s.Close()

	s = open(t, path, Options{})
	got, err := s.Run(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := s.Counts(ctx, r.ID)
	if got.Finished || got.FinishedAt != nil || c.Decided != saved {
		t.Errorf("finished %v, %d verdicts kept, %d committed", got.Finished, c.Decided, saved)
	}
	ds, _ := s.Verdicts(ctx, r.ID, nil)
	for i, d := range ds {
		if d.Index != i {
			t.Fatalf("verdict #%d kept at position %d: a batch was half written", d.Index, i)
		}
	}
	if _, err := s.Result(ctx, got); !errors.Is(err, ErrUnfinished) {
		t.Errorf("Result of an unfinished run: %v", err)
	}
}

// The Writer's bounds: a full batch is committed at once, a lone verdict within MaxDelay, and
// Flush and Close commit whatever is waiting — each seen by another connection, as a resumed
// run or `nmaudit runs` would see it.
func TestWriterCommitsOnEachBound(t *testing.T) {
	eachEngine(t, func(t *testing.T, loc string) {
		s := open(t, loc, Options{})
		r := newRun(t, s)
		reader := open(t, loc, Options{ReadOnly: true})
		visible := func() int {
			c, err := reader.Counts(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			return c.Decided
		}
		waitFor := func(n int, within time.Duration) time.Duration {
			start := time.Now()
			for visible() < n {
				if time.Since(start) > within {
					t.Fatalf("%d verdicts visible after %v, want %d", visible(), within, n)
				}
				time.Sleep(2 * time.Millisecond)
			}
			return time.Since(start)
		}

		w, err := s.NewWriter(ctx, r.ID, WriterOptions{MaxBatch: 5, MaxDelay: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 4 {
			w.Save(i, verdict(i, audit.Qualified), time.Now())
		}
		time.Sleep(50 * time.Millisecond)
		if n := visible(); n != 0 {
			t.Fatalf("%d verdicts committed before the batch was full or due", n)
		}
		w.Save(4, verdict(4, audit.Qualified), time.Now())
		waitFor(5, 5*time.Second) // size bound
		w.Save(5, verdict(5, audit.Unqualified), time.Now())
		if err := w.Flush(); err != nil || visible() != 6 {
			t.Fatalf("flush: %v, %d visible", err, visible())
		}
		w.Save(6, verdict(6, audit.NeedsReview), time.Now())
		if err := w.Close(); err != nil || visible() != 7 || w.Saved() != 7 {
			t.Fatalf("close: %v, %d visible, %d saved", err, visible(), w.Saved())
		}

		w, err = s.NewWriter(ctx, r.ID, WriterOptions{MaxBatch: 1000, MaxDelay: 30 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		w.Save(7, verdict(7, audit.Qualified), time.Now())
		if d := waitFor(8, 5*time.Second); d < 20*time.Millisecond {
			t.Errorf("a lone verdict was committed after %v, before its 30ms delay", d)
		}
		// The same account twice in one batch: the later verdict is kept.
		w.Save(8, verdict(8, audit.NeedsReview), time.Now())
		w.Save(8, verdict(8, audit.Unqualified), time.Now())
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		ds, _ := reader.Verdicts(ctx, r.ID, nil)
		if len(ds) != 9 || ds[8].Verdict.Status != audit.Unqualified {
			t.Errorf("after a repeated save: %d verdicts, #8 %v", len(ds), ds[len(ds)-1].Verdict.Status)
		}
	})
}

// Store.Close commits what an open Writer still holds: an interrupted check keeps every
// verdict it reached.
func TestCloseFlushesOpenWriters(t *testing.T) {
	eachEngine(t, func(t *testing.T, path string) {
		s, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		r := newRun(t, s)
		w, err := s.NewWriter(ctx, r.ID, WriterOptions{MaxBatch: 1000, MaxDelay: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			w.Save(i, verdict(i, audit.Qualified), time.Now())
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s = open(t, path, Options{})
		if c, _ := s.Counts(ctx, r.ID); c.Decided != 3 {
			t.Errorf("%d verdicts kept after Close, want 3", c.Decided)
		}
	})
}

// fillFields sets every field of the struct v points to a value that differs from its zero
// value and from every other field's, by kind, recursively.
func fillFields(t *testing.T, v reflect.Value, seed *int) {
	t.Helper()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		*seed++
		n := *seed
		switch f.Kind() {
		case reflect.Struct:
			if f.Type() == reflect.TypeOf(time.Time{}) {
				f.Set(reflect.ValueOf(time.Date(2022, 8, n%28+1, n%24, 0, 0, 0, shanghai)))
				continue
			}
			fillFields(t, f, seed)
		case reflect.String:
			f.SetString(fmt.Sprintf("值%d", n))
		case reflect.Int:
			f.SetInt(int64(n))
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Pointer:
			if f.Type().Elem() != reflect.TypeOf(time.Time{}) {
				t.Fatalf("field %s: pointer to %s", v.Type().Field(i).Name, f.Type().Elem())
			}
			x := time.Date(2022, 8, n%28+1, n%24, 30, 0, 0, shanghai)
			f.Set(reflect.ValueOf(&x))
		case reflect.Slice:
			s := reflect.MakeSlice(f.Type(), 2, 2)
			for j := 0; j < 2; j++ {
				e := s.Index(j)
				if e.Kind() == reflect.Struct {
					fillFields(t, e, seed)
				} else {
					e.SetString(fmt.Sprintf("项%d-%d", n, j))
				}
			}
			f.Set(s)
		default:
			t.Fatalf("field %s: kind %s not covered", v.Type().Field(i).Name, f.Kind())
		}
	}
}

// Every field of audit.Verdict (and the Account and Evidence in it) comes back as it was
// saved. A field added to those types without a column here fails this test instead of being
// dropped silently from every stored run.
func TestEveryVerdictFieldIsKept(t *testing.T) {
	eachEngine(t, func(t *testing.T, loc string) {
		s := open(t, loc, Options{})
		r := newRun(t, s)
		var v audit.Verdict
		seed := 0
		fillFields(t, reflect.ValueOf(&v).Elem(), &seed)
		v2 := v
		v2.RawID = v2.ID // stored as NULL: the same value
		v2.Evidence, v2.Problems = nil, nil
		if err := s.SaveVerdict(ctx, r.ID, 0, v, time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveVerdict(ctx, r.ID, 1, v2, time.Now()); err != nil {
			t.Fatal(err)
		}
		ds, err := s.Verdicts(ctx, r.ID, shanghai)
		if err != nil || len(ds) != 2 {
			t.Fatal(len(ds), err)
		}
		v2.Problems = []string{} // a verdict without problems reads back as an empty list
		for i, want := range []audit.Verdict{v, v2} {
			gb, _ := json.Marshal(ds[i].Verdict)
			wb, _ := json.Marshal(want)
			if !bytes.Equal(gb, wb) {
				t.Errorf("verdict %d changed in the store:\n got %s\nwant %s", i, gb, wb)
			}
		}
	})
}

func TestRunRoundTrip(t *testing.T) {
	eachEngine(t, func(t *testing.T, loc string) {
		s := open(t, loc, Options{})
		r := newRun(t, s)
		if !strings.HasPrefix(r.ID, "20220825-170000-") || len(r.ID) != len("20220825-170000-abcd") {
			t.Errorf("id %q", r.ID)
		}
		vs := []audit.Verdict{verdict(0, audit.Qualified), verdict(1, audit.Unqualified), verdict(2, audit.NeedsReview)}
		vs[2].LatestPostAt, vs[2].Source, vs[2].Evidence = nil, "", []audit.Evidence{{Source: "weibo", Error: "触发频率限制"}}
		// Verdicts arrive out of order, as concurrent workers decide them.
		for _, i := range []int{2, 0} {
			if err := s.SaveVerdict(ctx, r.ID, i, vs[i], time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		mid, _ := s.Run(ctx, r.ID[:12])
		if mid == nil || mid.Finished {
			t.Fatalf("prefix lookup: %+v", mid)
		}
		c, _ := s.Counts(ctx, r.ID)
		if c != (Counts{Decided: 2, Qualified: 1, NeedsReview: 1}) {
			t.Errorf("counts so far %+v", c)
		}
		res := scopeResult(r.CheckTime, vs)
		// A verdict missing: the run cannot finish.
		if err := s.Finish(ctx, r.ID, res, time.Now()); err == nil || !strings.Contains(err.Error(), "已保存 2 个判定结果") {
			t.Errorf("finish with a verdict missing: %v", err)
		}
		if err := s.SaveVerdict(ctx, r.ID, 1, vs[1], time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := s.Finish(ctx, r.ID, res, time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := s.Finish(ctx, r.ID, res, time.Now()); !errors.Is(err, ErrFinished) {
			t.Errorf("second finish: %v", err)
		}
		if err := s.SaveVerdict(ctx, r.ID, 0, vs[0], time.Now()); !errors.Is(err, ErrFinished) {
			t.Errorf("verdict after finish: %v", err)
		}
		if _, err := s.NewWriter(ctx, r.ID, WriterOptions{}); !errors.Is(err, ErrFinished) {
			t.Errorf("writer for a finished run: %v", err)
		}
		got, err := s.Run(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Finished || got.Summary != res.Summary || got.Registry != r.Registry || !got.CheckTime.Equal(r.CheckTime) ||
			got.WarnAfter != r.WarnAfter || got.CheckTime.Location().String() != "Asia/Shanghai" {
			t.Errorf("run %+v", got)
		}
		runs, _ := s.Runs(ctx)
		if len(runs) != 1 || runs[0].Counts != (Counts{Decided: 3, Qualified: 1, Unqualified: 1, NeedsReview: 1}) {
			t.Errorf("runs of the finished run: %+v", runs)
		}
		back, err := s.Result(ctx, got)
		if err != nil {
			t.Fatal(err)
		}
		// Times come back in an equal zone, not the same *Location: compare what they say.
		gb, _ := json.Marshal(back)
		wb, _ := json.Marshal(res)
		if !bytes.Equal(gb, wb) || back.CheckTime.Location().String() != "Asia/Shanghai" {
			t.Errorf("result changed in the store:\n got %s\nwant %s", gb, wb)
		}
	})
}

func TestNewestUnfinishedAndOrder(t *testing.T) {
	eachEngine(t, func(t *testing.T, loc string) {
		s := open(t, loc, Options{})
		if _, err := s.LatestUnfinished(ctx); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "没有未完成的运行") {
			t.Errorf("empty store: %v", err)
		}
		a := newRun(t, s)
		b := newRun(t, s) // same start second: the later insert is newer
		if a.ID == b.ID {
			t.Fatal("duplicate ids")
		}
		u, err := s.LatestUnfinished(ctx)
		if err != nil || u.ID != b.ID {
			t.Fatalf("%v %v", u, err)
		}
		runs, _ := s.Runs(ctx)
		if len(runs) != 2 || runs[0].ID != b.ID {
			t.Errorf("order %v", runs)
		}
		if _, err := s.Run(ctx, "1999"); !errors.Is(err, ErrNotFound) {
			t.Errorf("missing: %v", err)
		}
		if _, err := s.Run(ctx, "2022"); !errors.Is(err, ErrAmbiguous) {
			t.Errorf("ambiguous: %v", err)
		}
	})
}
