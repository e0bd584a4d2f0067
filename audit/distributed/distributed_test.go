package distributed

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/audit/history"
	"github.com/nmaudit/nmaudit/audit/sheet/sheettest"
	"github.com/nmaudit/nmaudit/audit/store"
	"github.com/nmaudit/nmaudit/audit/store/pgtest"
	"github.com/nmaudit/nmaudit/platforms"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.StopShared()
	os.Exit(code)
}

var cst = time.FixedZone("CST", 8*3600)

var checkTime = time.Date(2022, 8, 22, 0, 0, 0, 0, cst)

// fixture is a registry of n accounts over the three platforms, with accounts pending closure
// and on a platform nmaudit cannot read among them, and an observations file with one row.
type fixture struct {
	dir, registry, observations string
	reg                         *audit.Registry
	obs                         []audit.Observation
	params                      audit.Params
}

func newFixture(t *testing.T, n int) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir()}
	rows := [][]string{{"账号名称", "账号类型", "开设主体", "账号ID", "运行状态"}}
	types := []string{"新浪微博", "百度贴吧", "微信公众号"}
	for i := range n {
		typ, status := types[i%3], "正常运行"
		switch {
		case i%17 == 5:
			status = "注销中"
		case i%23 == 7:
			typ = "抖音"
		}
		id := fmt.Sprintf("%010d", 1000000000+i)
		if typ == "百度贴吧" {
			id = fmt.Sprintf("tb%04d", i)
		}
		if typ == "微信公众号" {
			id = fmt.Sprintf("gh_%012x", i+0xabc000)
		}
		rows = append(rows, []string{fmt.Sprintf("账号%04d", i), typ, "某局", id, status})
	}
	f.registry = filepath.Join(f.dir, "registry.csv")
	if err := sheettest.WriteCSV(f.registry, rows, "utf-8"); err != nil {
		t.Fatal(err)
	}
	f.observations = filepath.Join(f.dir, "obs.csv")
	if err := sheettest.WriteCSV(f.observations, [][]string{{"账号名称", "账号类型", "最近更新时间"}, {"账号0001", "百度贴吧", "2022-08-20 10:00"}}, "utf-8"); err != nil {
		t.Fatal(err)
	}
	var err error
	if f.reg, err = audit.LoadRegistry(f.registry, audit.LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	if f.obs, err = audit.LoadObservations(f.observations, audit.LoadOptions{}, cst); err != nil {
		t.Fatal(err)
	}
	f.params = audit.Params{CheckTime: checkTime, Window: audit.Window{D: 14 * 24 * time.Hour}, Pending: audit.PendingExclude, WarnAfter: 10 * 24 * time.Hour}
	return f
}

// fetch answers every account deterministically: most posted some days before T, some
// longer ago, some are a platform fault — the same answer on every machine.
func fetch(ctx context.Context, t platforms.Target, T time.Time) (platforms.Observation, error) {
	h := fnv.New32a()
	h.Write([]byte(t.Name))
	x := h.Sum32()
	if x%11 == 3 {
		return platforms.Observation{}, &platforms.Fault{Reason: platforms.ReasonRateLimited, Label: "触发频率限制"}
	}
	days := time.Duration(x%30) * 24 * time.Hour
	return platforms.Observation{Source: string(t.Platform), URL: "https://example.invalid/" + t.ID,
		Latest: &platforms.Post{Time: T.Add(-days - time.Hour), ID: t.ID}}, nil
}

func (f *fixture) check() *audit.Check {
	return &audit.Check{Params: f.params, Registry: f.reg, Observations: f.obs, ObservationsFile: f.observations}
}

type env struct {
	url  string
	st   *store.Store
	pool *pgxpool.Pool
}

func newEnv(t *testing.T) *env {
	t.Helper()
	url := pgtest.Database(t)
	st, err := store.Open(url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	pool, err := Connect(url, 20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := Migrate(context.Background(), pool, url); err != nil {
		t.Fatal(err)
	}
	return &env{url: url, st: st, pool: pool}
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
}

func (e *env) worker(t *testing.T, fetchFn audit.FetchFunc, attempts int) *Worker {
	t.Helper()
	st, err := store.Open(e.url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w := &Worker{Store: st, Pool: e.pool, URL: e.url, Concurrency: 4, Logger: quietLogger(),
		JobTimeout: 10 * time.Second, MaxAttempts: attempts, RetryBase: 10 * time.Millisecond,
		Fetchers: func(audit.Params) (audit.FetchFunc, audit.LinkFunc, error) { return fetchFn, nil, nil }}
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Stop(5 * time.Second) })
	return w
}

func (e *env) coordinate(t *testing.T, ctx context.Context, f *fixture, c *audit.Check, resume *store.Run) (*audit.Result, *Coordinator, error) {
	t.Helper()
	in := history.Inputs{Registry: f.registry, Observations: f.observations, Format: "json"}
	var rec *history.Recorder
	var err error
	if resume != nil {
		rec, err = history.Resume(e.st, resume, c, in, time.Now)
	} else {
		rec, err = history.Begin(e.st, c, in, history.Spec{Kind: store.KindCheck, Timezone: "Asia/Shanghai", RateDecimals: 1, Version: "test", Distributed: true}, time.Now)
	}
	if err != nil {
		t.Fatal(err)
	}
	co := &Coordinator{Store: e.st, Pool: e.pool, URL: e.url, Logger: quietLogger(), Poll: 50 * time.Millisecond, MaxAttempts: 2}
	res, err := co.Run(ctx, rec, c)
	return res, co, err
}

func resultJSON(t *testing.T, r *audit.Result) string {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Two workers decide a distributed run with exactly the verdicts a local check gives, the
// coordinator deciding what needs no platform, and the run is finished in the store.
func TestDistributedRunEqualsLocalCheck(t *testing.T) {
	e := newEnv(t)
	f := newFixture(t, 90)
	local := f.check()
	local.Fetch, local.Concurrency = fetch, 2
	want, err := local.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	byWorker := map[int]int{}
	for i := range 2 {
		w := e.worker(t, fetch, 3)
		w.Decided = func(string, int, audit.Verdict) { mu.Lock(); byWorker[i]++; mu.Unlock() }
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	got, co, err := e.coordinate(t, ctx, f, f.check(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := resultJSON(t, want), resultJSON(t, got); a != b {
		t.Errorf("distributed result differs from the local one:\n%s\n---\n%s", a, b)
	}
	queued := 0
	for _, v := range want.Accounts {
		if v.Status != audit.PendingReview && audit.Supported(v.Platform) {
			queued++
		}
	}
	// A worker reports a verdict after committing it, so it may still be reporting the last
	// ones when the coordinator sees the run complete: wait a little for the counts.
	var w0, w1 int
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		w0, w1 = byWorker[0], byWorker[1]
		mu.Unlock()
		if w0+w1 >= queued || time.Now().After(deadline) {
			break
		}
	}
	if co.Enqueued != queued || w0+w1 != queued || w0 == 0 || w1 == 0 {
		t.Errorf("%d jobs enqueued, workers decided %d and %d; want %d spread over both", co.Enqueued, w0, w1, queued)
	}
	rs, _ := e.st.Runs(context.Background())
	if len(rs) != 1 || !rs[0].Finished || !rs[0].Distributed || rs[0].Summary != want.Summary {
		t.Errorf("stored run %+v", rs[0].Run)
	}
}

// A job that fails on every attempt (here the adapter panics for one account) ends with its
// account 待核查, the failure as the reason, and the run finishes; the panic is kept out of
// the verdict's wording only as far as its message.
func TestJobFailingEveryAttemptEndsNeedsReview(t *testing.T) {
	e := newEnv(t)
	f := newFixture(t, 12)
	bad := "账号0003"
	var attempts sync.Map
	e.worker(t, func(ctx context.Context, tg platforms.Target, T time.Time) (platforms.Observation, error) {
		if tg.Name == bad {
			n, _ := attempts.LoadOrStore(tg.Name, new(int))
			*n.(*int)++
			panic("适配器崩溃")
		}
		return fetch(ctx, tg, T)
	}, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, _, err := e.coordinate(t, ctx, f, f.check(), nil)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, v := range res.Accounts {
		if v.Name != bad {
			continue
		}
		found = true
		if v.Status != audit.NeedsReview || v.Review.Code != string(ReasonJobFailed) ||
			!strings.Contains(v.Detail, LabelJobFailed) || !strings.Contains(v.Detail, "2 次尝试均失败") || !strings.Contains(v.Detail, "适配器崩溃") {
			t.Errorf("%s: %s %q %+v", bad, v.Status, v.Detail, v.Review)
		}
	}
	n, _ := attempts.Load(bad)
	if !found || n == nil || *n.(*int) != 2 {
		t.Errorf("found %v, attempts %v", found, n)
	}
}

// A coordinator that dies after enqueueing is resumed: it enqueues nothing again, settles a
// job River gave up on as 待核查 (the coordinator's own safety net), and finishes once workers
// have decided the rest.
func TestCoordinatorResumesAndSettlesAbandonedJobs(t *testing.T) {
	e := newEnv(t)
	f := newFixture(t, 30)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		// No worker runs yet: let the coordinator enqueue, then kill it.
		for {
			var n int
			e.pool.QueryRow(context.Background(), "SELECT count(*) FROM river_job").Scan(&n)
			if n > 0 {
				time.Sleep(100 * time.Millisecond)
				cancel()
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	_, first, err := e.coordinate(t, ctx, f, f.check(), nil)
	if err == nil || ctx.Err() == nil {
		t.Fatalf("coordinator not interrupted: %v", err)
	}
	// River gives up on one job (as when every worker that took it died).
	var idx int
	if err := e.pool.QueryRow(context.Background(),
		`UPDATE river_job SET state = 'discarded', finalized_at = now() WHERE id = (SELECT min(id) FROM river_job) RETURNING (args->>'idx')::int`).Scan(&idx); err != nil {
		t.Fatal(err)
	}
	run, err := history.FindResumable(context.Background(), e.st, "")
	if err != nil || !run.Distributed {
		t.Fatalf("resumable: %+v %v", run, err)
	}
	e.worker(t, fetch, 3)
	ctx2, cancel2 := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel2()
	res, second, err := e.coordinate(t, ctx2, f, f.check(), run)
	if err != nil {
		t.Fatal(err)
	}
	if first.Enqueued == 0 || second.Enqueued != 0 {
		t.Errorf("enqueued %d, then %d on resume (want none again)", first.Enqueued, second.Enqueued)
	}
	v := res.Accounts[idx]
	if v.Status != audit.NeedsReview || v.Review.Code != string(ReasonJobFailed) {
		t.Errorf("abandoned account %d: %s %q", idx, v.Status, v.Detail)
	}
	var jobs int
	e.pool.QueryRow(context.Background(), "SELECT count(*) FROM river_job").Scan(&jobs)
	if jobs != first.Enqueued {
		t.Errorf("%d jobs in the queue, %d enqueued", jobs, first.Enqueued)
	}
}

// The database server restarts while workers and the coordinator are mid-run: both
// reconnect with backoff, nothing decided is lost, and the result is still the local one.
func TestDatabaseRestartMidRun(t *testing.T) {
	pgtest.Shared(t) // skip where there is no PostgreSQL
	c, err := pgtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	url, err := c.NewDatabase()
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	pool, err := Connect(url, 20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := Migrate(context.Background(), pool, url); err != nil {
		t.Fatal(err)
	}
	e := &env{url: url, st: st, pool: pool}
	f := newFixture(t, 150)
	local := f.check()
	local.Fetch = fetch
	want, err := local.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Each account takes 40ms at the platform: the run lasts a few seconds.
	slow := func(ctx context.Context, tg platforms.Target, T time.Time) (platforms.Observation, error) {
		select {
		case <-ctx.Done():
			return platforms.Observation{}, ctx.Err()
		case <-time.After(40 * time.Millisecond):
		}
		return fetch(ctx, tg, T)
	}
	e.worker(t, slow, 5)
	e.worker(t, slow, 5)
	go func() {
		for decided := 0; decided < 30; time.Sleep(20 * time.Millisecond) {
			cnt, _ := st.Counts(context.Background(), runIDOf(st))
			decided = cnt.Decided
		}
		if err := c.Restart(2 * time.Second); err != nil {
			t.Error(err)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var notices []string
	in := history.Inputs{Registry: f.registry, Observations: f.observations, Format: "json"}
	ck := f.check()
	rec, err := history.Begin(st, ck, in, history.Spec{Kind: store.KindCheck, Timezone: "Asia/Shanghai", RateDecimals: 1, Version: "test", Distributed: true}, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	co := &Coordinator{Store: st, Pool: pool, URL: url, Logger: quietLogger(), Poll: 50 * time.Millisecond,
		Notice: func(s string) { notices = append(notices, s) }}
	got, err := co.Run(ctx, rec, ck)
	if err != nil {
		t.Fatalf("%v\n%s", err, c.Log())
	}
	if a, b := resultJSON(t, want), resultJSON(t, got); a != b {
		t.Errorf("result after the restart differs from the local one")
	}
	joined := strings.Join(notices, "\n")
	if !strings.Contains(joined, "连接中断") || !strings.Contains(joined, "已重新连接") || strings.Contains(joined, c.Password) {
		t.Errorf("coordinator notices: %s", joined)
	}
}

func runIDOf(st *store.Store) string {
	rs, err := st.Runs(context.Background())
	if err != nil || len(rs) == 0 {
		return ""
	}
	return rs[0].ID
}
