package store

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/audit"
)

// v1 writes runs and verdicts into a schema-1 database exactly as the nmaudit that shipped
// schema 1 did: the same statements, the whole verdict as JSON beside its columns, one
// evidence row per source, times as RFC 3339 with their own offsets.
type v1 struct {
	t  *testing.T
	db *sql.DB
}

func openV1(t *testing.T, path string) *v1 {
	db, err := sql.Open("sqlite", path+"?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(sqliteMigrations[0] + fmt.Sprintf("\nPRAGMA application_id = %d;\nPRAGMA user_version = 1;", applicationID)); err != nil {
		t.Fatal(err)
	}
	return &v1{t, db}
}

func (o *v1) exec(q string, args ...any) {
	o.t.Helper()
	if _, err := o.db.Exec(q, args...); err != nil {
		o.t.Fatal(err)
	}
}

func v1Time(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return t.Format(time.RFC3339Nano)
}

func (o *v1) createRun(r *Run) {
	o.t.Helper()
	var targets, parent any
	if r.TargetAccounts != nil {
		b, _ := json.Marshal(r.TargetAccounts)
		targets = string(b)
	}
	if r.ParentID != "" {
		parent = r.ParentID
	}
	o.exec(`INSERT INTO runs (id, kind, parent_run_id, started_at, nmaudit_version,
		check_time, timezone, window, pending_policy, warn_after_seconds,
		registry_path, registry_sha256, registry_sheet, targets_path, targets_sha256, targets_json,
		observations_path, observations_sha256, findings_path, findings_sha256, findings_json,
		offline, replay_dir, record_dir, format, rate_decimals, planned)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.Kind, parent, r.StartedAt.UTC().Format(time.RFC3339Nano), r.Version,
		r.CheckTime.Format(time.RFC3339Nano), r.Timezone, r.Window, r.Pending, int64(r.WarnAfter/time.Second),
		r.Registry.Path, r.Registry.SHA256, r.Sheet, r.Targets.Path, r.Targets.SHA256, targets,
		r.Observations.Path, r.Observations.SHA256, r.Findings.Path, r.Findings.SHA256, nil,
		r.Offline, r.Replay, r.Record, r.Format, r.RateDecimals, r.Planned)
}

func (o *v1) saveVerdict(runID string, index int, v audit.Verdict, at time.Time) {
	o.t.Helper()
	blob, _ := json.Marshal(v)
	problems, _ := json.Marshal(nonNil(v.Problems))
	accountID := v.ID
	if accountID == "" {
		accountID = v.RawID
	}
	o.exec(`INSERT INTO verdicts (run_id, idx, registry_row, platform, account_id, name, type,
		owner, level, region, status, problems, latest_post_at, source, detail, decided_at, verdict)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		runID, index, v.Row, string(v.Platform), accountID, v.Name, v.Type, v.Owner, v.Level, v.Region,
		string(v.Status), string(problems), v1Time(v.LatestPostAt), v.Source, v.Detail,
		at.UTC().Format(time.RFC3339Nano), string(blob))
	for seq, e := range v.Evidence {
		o.exec(`INSERT INTO evidence (run_id, idx, seq, source, post_at, day_only, pinned,
			post_id, title, url, fetched_at, error, row) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			runID, index, seq, e.Source, v1Time(e.PostAt), e.DayOnly, e.Pinned, e.PostID, e.Title, e.URL,
			v1Time(e.FetchedAt), e.Error, e.Row)
	}
}

func (o *v1) finish(runID string, res *audit.Result, at time.Time) {
	o.t.Helper()
	for i, u := range res.Unregistered {
		o.exec("INSERT INTO unregistered (run_id, seq, name, type, owner, row) VALUES (?, ?, ?, ?, ?, ?)", runID, i, u.Name, u.Type, u.Owner, u.Row)
	}
	for i, d := range res.Duplicates {
		rows, _ := json.Marshal(d.Rows)
		o.exec("INSERT INTO duplicates (run_id, seq, name, type, rows) VALUES (?, ?, ?, ?, ?)", runID, i, d.Name, d.Type, string(rows))
	}
	for i, w := range res.Warnings {
		o.exec("INSERT INTO warnings (run_id, seq, name, type, owner, latest_post_at, days_since_post) VALUES (?, ?, ?, ?, ?, ?, ?)",
			runID, i, w.Name, w.Type, w.Owner, w.LatestPostAt.Format(time.RFC3339Nano), w.DaysSincePost)
	}
	for i, n := range res.Notices {
		o.exec("INSERT INTO notices (run_id, seq, text) VALUES (?, ?, ?)", runID, i, n)
	}
	sm := res.Summary
	o.exec(`UPDATE runs SET registry_rows = ?, closed_excluded = ?, in_scope = ?, pending_closure = ?,
		qualified = ?, unqualified = ?, needs_review = ?, unqualified_rate = ?, finished_at = ?, finished = 1 WHERE id = ?`,
		sm.RegistryRows, sm.ClosedExcluded, sm.InScope, sm.PendingClosure, sm.Qualified, sm.Unqualified,
		sm.NeedsReview, sm.UnqualifiedRate, at.UTC().Format(time.RFC3339Nano), runID)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// A database written by the nmaudit of schema 1 opens with this one, is migrated forward,
// and reads back the same runs in the same order and the same verdicts; a killed run in it
// can still be resumed (its verdicts found, new ones added) and new runs list after the old.
func TestMigrateFromSchema1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	old := openV1(t, path)

	finished := testRun()
	finished.ID = "20220825-170000-aaaa"
	finished.Planned = 3
	vs := []audit.Verdict{verdict(0, audit.Qualified), verdict(1, audit.Unqualified), verdict(2, audit.NeedsReview)}
	vs[1].RawID = "https://weibo.com/u/1234500001" // the id cell as written, parsed to the uid
	vs[2].LatestPostAt, vs[2].Source = nil, ""
	vs[2].Evidence = []audit.Evidence{{Source: "weibo", Error: "触发频率限制"}, {Source: "manual", Row: 4, Title: "人工"}}
	vs[0].Evidence = nil
	old.createRun(finished)
	for i, v := range vs {
		old.saveVerdict(finished.ID, i, v, time.Date(2022, 8, 25, 9, 0, i, 0, time.UTC))
	}
	res := scopeResult(finished.CheckTime, vs)
	old.finish(finished.ID, res, time.Date(2022, 8, 25, 9, 1, 0, 0, time.UTC))

	// A recheck of it, killed after one verdict, started in the same second: only the
	// insertion order tells which is newer.
	killed := testRun()
	killed.ID, killed.Kind, killed.ParentID = "20220825-170000-0000", KindRecheck, finished.ID
	killed.TargetAccounts = []audit.Account{vs[1].Account, vs[2].Account}
	killed.Planned = 2
	old.createRun(killed)
	old.saveVerdict(killed.ID, 1, vs[2], time.Date(2022, 8, 25, 9, 2, 0, 0, time.UTC))
	old.db.Close()
	os.Chmod(path, 0o644) // as schema 1's nmaudit created it under the usual umask

	s := open(t, path, Options{})
	// The upgrade makes the file, its WAL and shared memory the owner's alone.
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		if fi, err := os.Stat(f); err == nil && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s after the upgrade: mode %v, want 0600", filepath.Base(f), fi.Mode().Perm())
		}
	}
	var version int
	s.db.QueryRow("PRAGMA user_version").Scan(&version)
	if version != SchemaVersion() {
		t.Fatalf("schema %d after opening, want %d", version, SchemaVersion())
	}
	for _, gone := range []string{"evidence"} {
		var n int
		s.db.QueryRow("SELECT count(*) FROM sqlite_schema WHERE name = ?", gone).Scan(&n)
		if n != 0 {
			t.Errorf("table %s survived the migration", gone)
		}
	}

	runs, err := s.Runs(ctx)
	if err != nil || len(runs) != 2 || runs[0].ID != killed.ID || runs[1].ID != finished.ID {
		t.Fatalf("runs after migration: %+v %v", runs, err)
	}
	if runs[0].Counts != (Counts{Decided: 1, NeedsReview: 1}) || runs[1].Counts != (Counts{Decided: 3, Qualified: 1, Unqualified: 1, NeedsReview: 1}) {
		t.Errorf("counts %+v / %+v", runs[0].Counts, runs[1].Counts)
	}
	if u, err := s.LatestUnfinished(ctx); err != nil || u.ID != killed.ID || u.ParentID != finished.ID || len(u.TargetAccounts) != 2 {
		t.Errorf("unfinished after migration: %+v %v", u, err)
	}
	got, err := s.Run(ctx, finished.ID)
	if err != nil {
		t.Fatal(err)
	}
	back, err := s.Result(ctx, got)
	if err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(back)
	wb, _ := json.Marshal(res)
	if !bytes.Equal(gb, wb) {
		t.Errorf("the old run reads back differently:\n got %s\nwant %s", gb, wb)
	}
	if back.Accounts[1].RawID != vs[1].RawID || back.Accounts[0].RawID != vs[0].ID {
		t.Errorf("raw ids %q %q", back.Accounts[1].RawID, back.Accounts[0].RawID)
	}

	// The killed recheck resumes: its old verdict is there, a new one joins it, it finishes.
	ds, err := s.Verdicts(ctx, killed.ID, shanghai)
	if err != nil || len(ds) != 1 || ds[0].Index != 1 || ds[0].Verdict.Name != vs[2].Name || len(ds[0].Verdict.Evidence) != 2 {
		t.Fatalf("killed run's verdicts: %+v %v", ds, err)
	}
	w, err := s.NewWriter(ctx, killed.ID, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.Save(0, vs[1], time.Now())
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rres := &audit.Result{CheckTime: killed.CheckTime, Window: res.Window, Accounts: []audit.Verdict{vs[1], vs[2]}}
	rres.Summarize(audit.Params{CheckTime: killed.CheckTime, Window: res.Window})
	if err := s.Finish(ctx, killed.ID, rres, time.Now()); err != nil {
		t.Fatal(err)
	}
	// A run created now is the newest.
	fresh := testRun()
	if err := s.CreateRun(ctx, fresh); err != nil {
		t.Fatal(err)
	}
	if runs, _ := s.Runs(ctx); len(runs) != 3 || runs[0].ID != fresh.ID || runs[1].ID != killed.ID || !runs[1].Finished {
		t.Errorf("runs after a new one: %+v", runs)
	}
}

// openAtSchema opens loc with the schema brought only to version, as the nmaudit that shipped
// it left databases.
func openAtSchema(t *testing.T, loc string, version int) *Store {
	t.Helper()
	sq, pg := sqliteMigrations, postgresMigrations
	sqliteMigrations, postgresMigrations = sq[:version], pg[:version]
	defer func() { sqliteMigrations, postgresMigrations = sq, pg }()
	s, err := Open(loc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Verdicts written in schema 3's columns, with every character a JSON writer treats specially,
// absent values (NULL raw id, time, problems, evidence) and evidence written by encoding/json
// (as databases migrated from schema 1 hold it), are packed by the engine's own JSON
// functions in step 4 and read back as they were; the view verdict_columns spells the
// columns out again.
func TestMigrateFromSchema3(t *testing.T) {
	eachEngine(t, func(t *testing.T, loc string) {
		s := openAtSchema(t, loc, 3)
		r := testRun()
		if err := s.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		hard, plain := hardVerdict(), verdict(0, audit.NeedsReview)
		plain.LatestPostAt, plain.Evidence, plain.Problems = nil, nil, []string{}
		hard.Review.Code = "route_closed"
		vs := []audit.Verdict{hard, plain}
		at := time.Date(2022, 8, 25, 9, 0, 0, 0, time.UTC)
		for i, v := range vs {
			var rawID, problems, latest, evidence any
			if v.RawID != v.ID {
				rawID = v.RawID
			}
			if len(v.Problems) > 0 {
				problems = jsonOf(t, v.Problems)
			}
			if v.LatestPostAt != nil {
				latest = v.LatestPostAt.UnixMicro()
			}
			if v.Evidence != nil {
				evidence = jsonOf(t, v.Evidence)
			}
			_, err := s.db.ExecContext(ctx, s.eng.rebind(`INSERT INTO verdicts (run_seq, idx, registry_row, name, type,
				platform, id_kind, account_id, raw_id, owner, supervisor, region, level, registry_status, lifecycle,
				status, problems, latest_post_at, source, detail, decided_at, evidence, review_code, review_label)
				VALUES ((SELECT seq FROM runs WHERE id = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
				r.ID, i, v.Row, v.Name, v.Type, string(v.Platform), string(v.IDKind), v.ID, rawID, v.Owner, v.Supervisor,
				v.Region, v.Level, v.RegistryStatus, string(v.Lifecycle), string(v.Status), problems, latest, v.Source,
				v.Detail, at.UnixMicro(), evidence, v.Review.Code, v.Review.Label)
			if err != nil {
				t.Fatal(err)
			}
		}
		s.Close()

		s = open(t, loc, Options{})
		ds, err := s.Verdicts(ctx, r.ID, shanghai)
		if err != nil || len(ds) != 2 {
			t.Fatalf("verdicts after the migration: %d %v", len(ds), err)
		}
		for i, want := range vs {
			if g, w := jsonOf(t, ds[i].Verdict), jsonOf(t, want); g != w {
				t.Errorf("verdict %d after the migration:\n got %s\nwant %s", i, g, w)
			}
		}
		if runs, err := s.Runs(ctx); err != nil || runs[0].Counts != (Counts{Decided: 2, Unqualified: 1, NeedsReview: 1}) {
			t.Errorf("counts after the migration: %+v %v", runs, err)
		}
		// New verdicts join the migrated ones, and the view reads both.
		w, err := s.NewWriter(ctx, r.ID, WriterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		w.Save(2, hard, at)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		rows, err := s.db.QueryContext(ctx, s.eng.rebind(`SELECT idx, registry_row, name, raw_id, problems, latest_post_at, evidence
			FROM verdict_columns WHERE run_seq = (SELECT seq FROM runs WHERE id = ?) ORDER BY idx`), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var idx, row int
			var name string
			var rawID, problems, evidence sql.NullString
			var latest sql.NullInt64
			if err := rows.Scan(&idx, &row, &name, &rawID, &problems, &latest, &evidence); err != nil {
				t.Fatal(err)
			}
			want := vs[min(idx, 1)]
			if idx == 2 {
				want = hard
			}
			if row != want.Row || name != want.Name || rawID.Valid != (want.RawID != want.ID) ||
				problems.Valid != (len(want.Problems) > 0) || latest.Valid != (want.LatestPostAt != nil) || evidence.Valid != (want.Evidence != nil) {
				t.Errorf("verdict_columns row %d: %d %q %v %v %v %v", idx, row, name, rawID, problems, latest, evidence)
			}
			if problems.Valid {
				var ps []string
				if err := json.Unmarshal([]byte(problems.String), &ps); err != nil || len(ps) != len(want.Problems) || ps[0] != want.Problems[0] {
					t.Errorf("verdict_columns problems %q: %v", problems.String, err)
				}
			}
			n++
		}
		if n != 3 {
			t.Errorf("verdict_columns: %d rows, want 3", n)
		}
	})
}
