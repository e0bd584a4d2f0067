package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nmaudit/nmaudit/audit/store"
	"github.com/nmaudit/nmaudit/audit/store/pgtest"
	"github.com/nmaudit/nmaudit/platforms/platformsim"
)

// workerSecrets are the distinct credentials of three simulated worker machines.
func workerSecrets(i int) map[string]string {
	return map[string]string{
		"NMAUDIT_PLATFORMS_WEIBO_COOKIE":     fmt.Sprintf("SUB=_2A25W%dWORKERSECRET; SUBP=W%dSUBPSECRET", i, i),
		"NMAUDIT_PLATFORMS_TIEBA_BDUSS":      fmt.Sprintf("W%d-BDUSS-WORKERSECRET-0123456789", i),
		"NMAUDIT_PLATFORMS_WECHAT_MP_TOKEN":  fmt.Sprintf("88%d7766554", i),
		"NMAUDIT_PLATFORMS_WECHAT_MP_COOKIE": fmt.Sprintf("slave_sid=W%dMPSESSIONSECRET", i),
	}
}

// workerProc is an `nmaudit worker` process.
type workerProc struct {
	cmd    *exec.Cmd
	stderr *lockedBuffer
	done   chan struct{} // closed when the process has exited
}

// lockedBuffer is a process's output, read by the test while the process still writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func startWorker(t *testing.T, bin, url string, env map[string]string, extra ...string) *workerProc {
	t.Helper()
	args := append([]string{"worker", "--db", url, "--job-timeout", "3s", "--rescue-after", "4s", "--drain", "5s"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	w := &workerProc{cmd: cmd, stderr: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = w.stderr, w.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { cmd.Wait(); close(w.done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-w.done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
		}
	})
	return w
}

// decidedIn counts the verdicts of the newest run in a Postgres history.
func decidedIn(url string) int {
	st, err := store.Open(url, store.Options{ReadOnly: true})
	if err != nil {
		return 0
	}
	defer st.Close()
	rs, err := st.Runs(context.Background())
	if err != nil || len(rs) == 0 {
		return 0
	}
	return rs[0].Counts.Decided
}

// scanDatabase returns every row of every table in the database as text (River's jobs, their
// arguments, errors and metadata included), for looking for what must never be stored.
func scanDatabase(t *testing.T, url string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, tb := range tables {
		rows, err := conn.Query(ctx, fmt.Sprintf("SELECT t::text FROM %q AS t", tb))
		if err != nil {
			t.Fatal(err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "== %s (%d rows)\n%s\n", tb, len(lines), strings.Join(lines, "\n"))
	}
	return b.String()
}

// The end to end: a 2,000-account run coordinated by `check --distributed` and worked
// by three `nmaudit worker` processes with distinct credentials against the platform
// simulator; one worker is SIGKILLed part way. River hands its jobs to the others, every
// account is decided exactly once, the report is the JSON a single-machine run prints (apart
// from ids and fetch times), and no credential nor the database password is anywhere in the
// database or the queue. `runs` and `show` read the run back from Postgres.
func TestDistributedCheckSurvivesAKilledWorker(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs nmaudit processes")
	}
	url := pgtest.Database(t)
	cluster := pgtest.Shared(t)
	histData(t)
	dir := t.TempDir()
	const n = 2000
	sim := platformsim.Start(platformsim.Options{Seed: 13, Accounts: n})
	defer sim.Close()
	proxy := newSimProxy(t, sim)
	simEnv(t, proxy.srv.URL)
	reg := filepath.Join(dir, "registry.xlsx")
	simRegistry(t, reg, sim)
	checkArgs := []string{"check", "--registry", reg, "--at", "2022-08-22", "--format", "json", "-q"}

	// The single-machine run, with the SQLite default store.
	code, single, errOut := histRun(t, context.Background(), checkArgs...)
	if code != 0 {
		t.Fatalf("single-machine run: exit %d %s", code, errOut)
	}
	baseline := proxy.takeHits()

	bin := nmauditBinary(t)
	var secrets []string
	workers := make([]*workerProc, 3)
	for i := range workers {
		env := workerSecrets(i)
		// Paced so the run lasts long enough to kill a worker part way.
		for _, p := range []string{"WEIBO", "TIEBA", "WECHAT"} {
			env["NMAUDIT_PLATFORMS_"+p+"_RATE"] = "60"
		}
		for _, v := range env {
			if strings.Contains(v, "SECRET") {
				secrets = append(secrets, v)
			}
		}
		workers[i] = startWorker(t, bin, url, env)
	}
	secrets = append(secrets, cluster.Password, "WORKERSECRET", "MPSESSIONSECRET", "SUBPSECRET")

	start := time.Now()
	coord := exec.Command(bin, append(checkArgs, "--db", url, "--distributed")...)
	var coordOut, coordErr bytes.Buffer
	coord.Stdout, coord.Stderr = &coordOut, &coordErr
	if err := coord.Start(); err != nil {
		t.Fatal(err)
	}
	coordDone := make(chan error, 1)
	go func() { coordDone <- coord.Wait() }()
	// SIGKILL worker 0 once a quarter of the accounts are decided: it has jobs in flight.
	var killedAt int
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if killedAt = decidedIn(url); killedAt >= n/4 {
			workers[0].cmd.Process.Kill()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run did not get going: %d decided\n%s\n%s", killedAt, coordErr.String(), workers[1].stderr.String())
		}
	}
	<-workers[0].done
	select {
	case err := <-coordDone:
		if err != nil {
			t.Fatalf("coordinator: %v\n%s", err, coordErr.String())
		}
	case <-time.After(4 * time.Minute):
		coord.Process.Kill()
		t.Fatalf("the run did not finish after the kill (%d decided)\n%s\nworker 1:\n%s", decidedIn(url), coordErr.String(), workers[1].stderr.String())
	}
	t.Logf("distributed run of %d accounts over 3 workers, worker 0 killed at %d decided: %v", n, killedAt, time.Since(start).Round(time.Millisecond))

	if a, b := stripVolatile(t, single), stripVolatile(t, coordOut.String()); !jsonEqual(a, b) {
		t.Errorf("the distributed report differs from the single-machine one")
	}
	// Exactly once: every account has its verdict (the store's key is run and account), and
	// only jobs in flight when worker 0 died were fetched again.
	hits := proxy.takeHits()
	refetched := 0
	for name, h := range hits {
		if strings.HasPrefix(name, "?") {
			continue
		}
		if h > baseline[name] {
			refetched++
		}
	}
	if refetched > 3*4 {
		t.Errorf("%d accounts fetched again; only worker 0's jobs in flight (at most 12) may be", refetched)
	}
	t.Logf("%d accounts fetched again after the kill", refetched)
	rs := listRuns(t, "--db", url)
	if len(rs) != 1 || !rs[0].Finished || rs[0].RawSummary["in_scope"].(float64) != n {
		t.Fatalf("runs: %+v", rs)
	}
	id := rs[0].ID
	if code, shown, errOut := histRun(t, context.Background(), "show", id, "--db", url, "--format", "json"); code != 0 || shown != coordOut.String() {
		t.Errorf("show from Postgres: exit %d %s (same as printed: %v)", code, errOut, shown == coordOut.String())
	}
	dump := scanDatabase(t, url)
	_, jobs, _ := strings.Cut(dump, "== river_job (")
	jobs, _, _ = strings.Cut(jobs, "\n== ")
	if !strings.Contains(jobs, id) {
		t.Errorf("no River job names the run: the scan misses the queue")
	}
	for _, s := range secrets {
		if strings.Contains(dump, s) {
			t.Errorf("secret %q is stored in the database", s)
		}
	}
	for i, w := range workers {
		for _, s := range []string{cluster.Password} {
			if strings.Contains(w.stderr.String(), s) {
				t.Errorf("worker %d printed the database password", i)
			}
		}
	}
	if strings.Contains(coordErr.String(), cluster.Password) || !strings.Contains(coordErr.String(), "xxxxx@127.0.0.1") {
		t.Errorf("coordinator's stderr: %s", coordErr.String())
	}
}

// The coordinator killed part way is reattached by `check --resume`: nothing decided is
// queued again, the run finishes with the JSON of a clean run, and commands given an SQLite
// file where Postgres is needed say so (exit 2).
func TestDistributedResumeAndUsage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs nmaudit processes")
	}
	url := pgtest.Database(t)
	histData(t)
	dir := t.TempDir()
	const n = 300
	sim := platformsim.Start(platformsim.Options{Seed: 17, Accounts: n})
	defer sim.Close()
	simEnv(t, sim.URL)
	reg := filepath.Join(dir, "registry.xlsx")
	simRegistry(t, reg, sim)
	checkArgs := []string{"check", "--registry", reg, "--at", "2022-08-22", "--format", "json", "-q"}

	for _, c := range [][]string{
		{"worker", "--db", filepath.Join(dir, "x.db")},
		append(append([]string{}, checkArgs...), "--distributed", "--db", filepath.Join(dir, "x.db")),
		append(append([]string{}, checkArgs...), "--work"),
		append(append([]string{}, checkArgs...), "--distributed", "--offline", "--db", url),
		{"worker", "--db", url, "--platforms", "douyin"},
	} {
		if code, _, errOut := histRun(t, context.Background(), c...); code != 2 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d %s", c, code, errOut)
		}
	}

	code, clean, errOut := histRun(t, context.Background(), checkArgs...)
	if code != 0 {
		t.Fatal(errOut)
	}
	// The coordinator is interrupted before any worker runs: the run stays unfinished with
	// its jobs queued.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var icode int
	var ierr string
	wg.Go(func() { icode, _, ierr = histRun(t, ctx, append(checkArgs, "--db", url, "--distributed")...) })
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		if queuedJobs(url) == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the accounts were not queued")
		}
	}
	cancel()
	wg.Wait()
	if icode != 1 || !strings.Contains(ierr, "check --resume") {
		t.Fatalf("interrupted coordinator: exit %d %s", icode, ierr)
	}
	rs := listRuns(t, "--db", url)
	if len(rs) != 1 || rs[0].Finished {
		t.Fatalf("runs %+v", rs)
	}
	// Reattach, this time working too (--work): the same JSON as a clean run.
	code, resumed, errOut := histRun(t, context.Background(), "check", "--resume", rs[0].ID, "--db", url, "--work")
	if code != 0 {
		t.Fatalf("resume: exit %d %s", code, errOut)
	}
	if !strings.Contains(errOut, "重新接管分布式运行") || !strings.Contains(errOut, "本次加入任务队列 0 个") {
		t.Errorf("resume stderr: %s", errOut)
	}
	if !jsonEqual(stripVolatile(t, clean), stripVolatile(t, resumed)) {
		t.Error("the resumed distributed run differs from a clean run")
	}
}

// queuedJobs counts River's jobs in the database (0 before its tables exist).
func queuedJobs(url string) int {
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		return 0
	}
	defer conn.Close(context.Background())
	var n int
	conn.QueryRow(context.Background(), "SELECT count(*) FROM river_job").Scan(&n)
	return n
}

// TestDistributedDemoServer is the platform simulator of `make demo-distributed`
// (testdata/distributed/demo.sh); it is skipped in normal runs. With NMAUDIT_DISTRIBUTED_DEMO set
// to a folder it writes there a registry of 3,000 simulated accounts (registry.xlsx), the
// environment that points nmaudit at the simulator (env), and three workers' own credentials
// (worker0.env … worker2.env), then serves until the folder's "stop" file appears. The
// simulator budgets each credential separately, as the platforms throttle each session.
func TestDistributedDemoServer(t *testing.T) {
	dir := os.Getenv("NMAUDIT_DISTRIBUTED_DEMO")
	if dir == "" {
		t.Skip("the simulator of make demo-distributed")
	}
	const rate = 25
	sim := platformsim.Start(platformsim.Options{Seed: 2026, Accounts: 3000, Latency: 5 * time.Millisecond, PerCredential: true,
		Rates: map[string]float64{platformsim.Weibo: rate, platformsim.Tieba: rate, platformsim.WeChatMP: rate}, Burst: 2})
	defer sim.Close()
	writeSimRegistry(t, filepath.Join(dir, "registry.xlsx"), sim, true)
	var env strings.Builder
	for _, k := range []string{"WEIBO_BASE_URL", "WEIBO_VISITOR_BASE_URL", "TIEBA_BASE_URL", "TIEBA_WEB_BASE_URL", "WECHAT_MP_BASE_URL"} {
		fmt.Fprintf(&env, "export NMAUDIT_PLATFORMS_%s=%s\n", k, sim.URL)
	}
	for _, p := range []string{"WEIBO", "TIEBA", "WECHAT"} {
		// Each worker paces itself just under its credential's budget.
		fmt.Fprintf(&env, "export NMAUDIT_PLATFORMS_%s_RATE=%d\n", p, rate-1)
	}
	for i := range 3 {
		var w strings.Builder
		for k, v := range workerSecrets(i) {
			fmt.Fprintf(&w, "export %s='%s'\n", k, v)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("worker%d.env", i)), []byte(w.String()), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tmp := filepath.Join(dir, "env.tmp")
	if err := os.WriteFile(tmp, []byte(env.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Rename(tmp, filepath.Join(dir, "env"))
	for {
		if _, err := os.Stat(filepath.Join(dir, "stop")); err == nil {
			st := sim.Stats()
			fmt.Fprintf(os.Stderr, "simulator: %d credentials per platform; requests weibo %d tieba %d wechat %d, rejected %d/%d/%d\n",
				sim.Credentials(platformsim.Weibo), st[platformsim.Weibo].Requests, st[platformsim.Tieba].Requests, st[platformsim.WeChatMP].Requests,
				st[platformsim.Weibo].Rejected, st[platformsim.Tieba].Rejected, st[platformsim.WeChatMP].Rejected)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// One store, two engines: the same runs recorded in an SQLite file and in Postgres print the
// same JSON from runs, show and diff, the same ledger and review sheets (run ids aside), and
// NMAUDIT_STORE_URL reaches the Postgres history without --db. A newer schema there is exit 1
// naming the database with its password removed.
func TestHistoryCommandsSameOnBothEngines(t *testing.T) {
	url := pgtest.Database(t)
	cluster := pgtest.Shared(t)
	histData(t)
	args := offlineDistrict(t)
	out := map[string][]string{}
	for _, db := range []string{filepath.Join(t.TempDir(), "n.db"), url} {
		var ids []string
		var docs []string
		for _, at := range []string{"2022-08-22", "2022-08-15"} {
			a := append(append([]string{}, args...), "--db", db)
			for i := range a {
				if a[i] == "--at" {
					a[i+1] = at // a second round a week earlier
				}
			}
			code, doc, errOut := histRun(t, context.Background(), a...)
			if code != 0 {
				t.Fatalf("%s: check: exit %d %s", store.Redact(db), code, errOut)
			}
			ids = append(ids, jsonField(t, doc, "run_id").(string))
			docs = append(docs, doc)
		}
		dir := t.TempDir()
		ledger, review := filepath.Join(dir, "ledger.xlsx"), filepath.Join(dir, "review.csv")
		for _, c := range [][]string{
			{"show", ids[0], "--format", "json"},
			{"diff", ids[0], ids[1], "--format", "json"},
			{"runs", "--format", "json"},
			{"ledger", ids[0], "-o", ledger, "--deadline", "2022-09-30"},
			{"review", ids[0], "-o", review, "--include-unqualified"},
		} {
			code, o, errOut := histRun(t, context.Background(), append(c, "--db", db)...)
			if code != 0 {
				t.Fatalf("%s %s: exit %d %s", store.Redact(db), c[0], code, errOut)
			}
			if c[0] == "show" && o != docs[0] {
				t.Errorf("%s: show differs from what check printed", store.Redact(db))
			}
			out[db] = append(out[db], o)
		}
		sheet := readSheet(t, ledger, "整改台账")
		rb, _ := os.ReadFile(review)
		out[db] = append(out[db], fmt.Sprint(sheet), string(rb))
		for i, id := range ids {
			for j := range out[db] {
				out[db][j] = strings.ReplaceAll(out[db][j], id, fmt.Sprintf("RUN%d", i))
			}
		}
	}
	var a, b []string
	for db, o := range out {
		if db == url {
			b = o
		} else {
			a = o
		}
	}
	for i := range a {
		x, y := a[i], b[i]
		if i == 2 { // runs: started_at differs between the two recordings
			x, y = dropKey(x, "started_at"), dropKey(y, "started_at")
		}
		if x != y {
			t.Errorf("output %d differs between SQLite and Postgres:\n%s\n---\n%s", i, x, y)
		}
	}
	// NMAUDIT_STORE_URL alone reaches the Postgres history.
	t.Setenv("NMAUDIT_STORE_URL", url)
	if rs := listRuns(t); len(rs) != 2 {
		t.Errorf("runs with NMAUDIT_STORE_URL: %d runs", len(rs))
	}
	// A newer schema: exit 1, one line, the URL without its password.
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	conn.Exec(context.Background(), "UPDATE nmaudit_schema SET version = 99")
	conn.Close(context.Background())
	code, _, errOut := histRun(t, context.Background(), "runs")
	if code != 1 || strings.Contains(errOut, cluster.Password) || !strings.Contains(errOut, store.Redact(url)) ||
		!strings.Contains(errOut, "较新版本") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Errorf("newer schema: exit %d %s", code, errOut)
	}
}

// dropKey removes the lines of a JSON document that hold key.
func dropKey(doc, key string) string {
	var keep []string
	for _, l := range strings.Split(doc, "\n") {
		if !strings.Contains(l, `"`+key+`"`) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// The 2026 closure of the 公众平台 seen by one worker stops that route for that worker's
// session only: each worker that takes WeChat jobs finds it out for itself (after its own
// three accounts, as a local check does), says so once on its stderr, and every verdict after
// it carries the closure as its reason.
func TestWeChatClosurePerWorkerSession(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs nmaudit processes")
	}
	url := pgtest.Database(t)
	histData(t)
	const n = 90
	sim := platformsim.Start(platformsim.Options{Seed: 21, Accounts: n, WeChatClosed: true})
	defer sim.Close()
	freshInstallEnv(t, sim.URL)
	reg := filepath.Join(t.TempDir(), "registry.xlsx")
	simRegistry(t, reg, sim)
	bin := nmauditBinary(t)
	workers := []*workerProc{}
	for i := range 2 {
		env := workerSecrets(i)
		delete(env, "NMAUDIT_PLATFORMS_WEIBO_COOKIE")
		delete(env, "NMAUDIT_PLATFORMS_TIEBA_BDUSS")
		workers = append(workers, startWorker(t, bin, url, env, "--concurrency", "1"))
	}
	start := time.Now()
	code, out, errOut := histRun(t, context.Background(), "check", "--registry", reg, "--at", "2022-08-22", "--format", "json", "-q", "--db", url, "--distributed")
	if code != 0 {
		t.Fatalf("exit %d %s", code, errOut)
	}
	t.Logf("run: %v", time.Since(start))
	var doc simRun
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	closed, wechat := 0, 0
	for _, a := range doc.Accounts {
		if a.Platform != "wechat" {
			continue
		}
		wechat++
		if a.Status != "needs_review" {
			t.Errorf("%s: %s", a.Name, a.Status)
		}
		if strings.Contains(a.Detail, "公众平台已停止提供他人账号文章列表") {
			closed++
		}
	}
	// Each worker's stderr says so once; stop them first so their output is complete.
	saw := 0
	for _, w := range workers {
		w.cmd.Process.Signal(syscall.SIGTERM)
		<-w.done
		switch c := strings.Count(w.stderr.String(), "不再提供他人账号的文章列表"); c {
		case 0:
		case 1:
			saw++
		default:
			t.Errorf("a worker said it %d times:\n%s", c, w.stderr.String())
		}
	}
	if saw == 0 || closed != wechat-3*saw {
		t.Errorf("%d of %d WeChat verdicts carry the closure, %d workers found it: want all but three per worker", closed, wechat, saw)
	}
}
