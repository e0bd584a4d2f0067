package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/audit"
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

func open(t *testing.T, path string, opt Options) *Store {
	t.Helper()
	s, err := Open(path, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newRun(t *testing.T, s *Store) *Run {
	t.Helper()
	r := &Run{Kind: KindCheck, StartedAt: time.Date(2022, 8, 25, 9, 0, 0, 0, time.UTC), Version: "test",
		CheckTime: time.Date(2022, 8, 22, 0, 0, 0, 0, shanghai), Timezone: "Asia/Shanghai", Window: "14d",
		Pending: "exclude", WarnAfter: 10 * 24 * time.Hour,
		Registry: File{Path: "/data/registry.xlsx", SHA256: strings.Repeat("ab", 32)},
		Format:   "json", RateDecimals: 1, Planned: 3}
	if err := s.CreateRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	return r
}

func verdict(i int, st audit.Status) audit.Verdict {
	post := time.Date(2022, 8, 1+i, 10, 30, 0, 0, shanghai)
	fetched := time.Date(2022, 8, 25, 17, 0, 0, 0, shanghai)
	v := audit.Verdict{
		Account: audit.Account{Row: i + 2, Name: "汉中公安" + string(rune('A'+i)), Type: "新浪微博", Platform: platforms.Weibo,
			IDKind: platforms.IDWeiboUID, ID: "123456789" + string(rune('0'+i)), Owner: "汉中市公安局", Level: "市级部门",
			Region: "汉中市", RegistryStatus: "正常运行", Lifecycle: audit.Active},
		Status: st, Problems: []string{}, LatestPostAt: &post, Source: "weibo", Detail: "最近一条: …",
		Evidence: []audit.Evidence{{Source: "weibo", PostAt: &post, Pinned: i == 1, PostID: "48", URL: "https://m.weibo.cn/status/48", FetchedAt: &fetched}},
	}
	if st == audit.Unqualified {
		v.Problems = []string{"监测时间点前2周内无更新"}
	}
	return v
}

func TestOpenCreatesFoldersAndMigrates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "nmaudit.db")
	s := open(t, path, Options{})
	var version, appID int
	var mode string
	s.db.QueryRow("PRAGMA user_version").Scan(&version)
	s.db.QueryRow("PRAGMA application_id").Scan(&appID)
	s.db.QueryRow("PRAGMA journal_mode").Scan(&mode)
	var fk int
	s.db.QueryRow("PRAGMA foreign_keys").Scan(&fk)
	if version != SchemaVersion() || appID != applicationID || mode != "wal" || fk != 1 {
		t.Fatalf("version %d app %x journal %s fk %d", version, appID, mode, fk)
	}
	s.Close()
	// Reopening an up-to-date database changes nothing.
	s2 := open(t, path, Options{})
	s2.db.QueryRow("PRAGMA user_version").Scan(&version)
	if version != SchemaVersion() {
		t.Fatal(version)
	}
}

func TestDefaultPathFollowsXDG(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/srv/data")
	if p, _ := DefaultPath(); p != "/srv/data/nmaudit/nmaudit.db" {
		t.Errorf("got %s", p)
	}
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("HOME", "/home/u")
	if p, _ := DefaultPath(); p != "/home/u/.local/share/nmaudit/nmaudit.db" {
		t.Errorf("got %s", p)
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
		kind Kind
		want string
	}{
		{garbage, KindCorrupt, "not a usable nmaudit database"},
		{newer, KindNewer, "schema version 99 is newer than this nmaudit knows (1)"},
		{foreign, KindForeign, "did not create"},
		{damaged, KindCorrupt, "damaged"},
	} {
		_, err := Open(c.path, Options{})
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
	if !IsKind(err, KindLocked) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d < 80*time.Millisecond || d > 3*time.Second {
		t.Errorf("waited %v for a 100ms busy timeout", d)
	}
}

func TestDiskFullLeavesTheRunUnfinished(t *testing.T) {
	path := filepath.Join(t.TempDir(), "n.db")
	// max_page_count caps the file as a full disk would: SQLite answers SQLITE_FULL.
	s := open(t, path, Options{Pragmas: []string{"max_page_count=40"}})
	r := newRun(t, s)
	saved := 0
	var err error
	for i := 0; i < 500; i++ {
		v := verdict(i%20, audit.Qualified)
		v.Detail = strings.Repeat("很长的说明", 300)
		if err = s.SaveVerdict(ctx, r.ID, i, v, time.Now()); err != nil {
			break
		}
		saved++
	}
	if !IsKind(err, KindFull) || !strings.Contains(err.Error(), "disk is full") || !strings.Contains(err.Error(), path) {
		t.Fatalf("after %d verdicts: %v", saved, err)
	}
	if saved == 0 {
		t.Fatal("the cap left no room for any verdict; the test proves nothing")
	}
	s.Close()

	s = open(t, path, Options{})
	got, err := s.Run(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := s.Counts(ctx, r.ID)
	if got.Finished || got.FinishedAt != nil || c.Decided != saved {
		t.Errorf("finished %v, %d verdicts kept, %d saved", got.Finished, c.Decided, saved)
	}
	if _, err := s.Result(ctx, got); !errors.Is(err, ErrUnfinished) {
		t.Errorf("Result of an unfinished run: %v", err)
	}
}

func TestRunRoundTrip(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "n.db"), Options{})
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
	if err := s.SaveVerdict(ctx, r.ID, 1, vs[1], time.Now()); err != nil {
		t.Fatal(err)
	}
	res := &audit.Result{CheckTime: r.CheckTime, Window: audit.Window{D: 14 * 24 * time.Hour}, Accounts: vs,
		Unregistered: []audit.Unregistered{{Name: "未登记号", Type: "抖音", Owner: "某局", Row: 7}},
		Duplicates:   []audit.Duplicate{{Name: "重复号", Type: "微博", Rows: []int{3, 9}}},
		Warnings:     []audit.Warning{{Name: "汉中公安A", Type: "新浪微博", Owner: "汉中市公安局", LatestPostAt: *vs[0].LatestPostAt, DaysSincePost: 11}},
		Notices:      []string{"未知类型"}}
	res.Summarize(audit.Params{CheckTime: r.CheckTime, Window: res.Window})
	res.Warnings = []audit.Warning{{Name: "汉中公安A", Type: "新浪微博", Owner: "汉中市公安局", LatestPostAt: *vs[0].LatestPostAt, DaysSincePost: 11}}
	res.Summary.RegistryRows = 5
	if err := s.Finish(ctx, r.ID, res, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.Finish(ctx, r.ID, res, time.Now()); !errors.Is(err, ErrFinished) {
		t.Errorf("second finish: %v", err)
	}
	if err := s.SaveVerdict(ctx, r.ID, 0, vs[0], time.Now()); !errors.Is(err, ErrFinished) {
		t.Errorf("verdict after finish: %v", err)
	}
	got, err := s.Run(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Finished || got.Summary != res.Summary || got.Registry != r.Registry || !got.CheckTime.Equal(r.CheckTime) || got.WarnAfter != r.WarnAfter {
		t.Errorf("run %+v", got)
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
}

func TestNewestUnfinishedAndOrder(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "n.db"), Options{})
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
}
