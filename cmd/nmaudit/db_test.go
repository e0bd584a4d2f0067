package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/audit/sheet/sheettest"
	"github.com/nmaudit/nmaudit/audit/store"
	"github.com/nmaudit/nmaudit/audit/store/pgtest"
	"github.com/nmaudit/nmaudit/platforms"
	"github.com/nmaudit/nmaudit/platforms/platformsim"
)

// TestMain keeps every test of this package away from the user's own history database: check
// records each run in the default store, $XDG_DATA_HOME/nmaudit/nmaudit.db.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "nmaudit-test-data-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("XDG_DATA_HOME", dir)
	code := m.Run()
	pgtest.StopShared()
	os.RemoveAll(dir)
	if histBinDir != "" {
		os.RemoveAll(histBinDir)
	}
	os.Exit(code)
}

// histRun runs nmaudit in-process with ctx (so a test can interrupt it) and the fixed clock.
func histRun(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	s := &streams{In: strings.NewReader(""), Out: &out, Err: &errb, Now: fixedNow, Context: ctx}
	code := Main(args, s)
	return code, out.String(), errb.String()
}

// histData gives the test its own default store ($XDG_DATA_HOME) and returns its path.
func histData(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", dir)
	return filepath.Join(dir, "nmaudit", "nmaudit.db")
}

// histOwners spread the simulated accounts over units, in an order that is not the pinyin one.
var histOwners = []string{"洋县融媒体中心", "汉中市公安局", "北关街道办事处", "城固县卫生健康局", "汉中市教育局"}
var histLevels = []string{"县(区)部门及镇(街道)", "市级部门", "县(区)部门及镇(街道)", "县(区)部门及镇(街道)", "市级部门"}

// simRegistry writes a registry of the simulator's accounts, as a district export lists them.
func simRegistry(t testing.TB, path string, sim *platformsim.Sim) {
	writeSimRegistry(t, path, sim, false)
}

// writeSimRegistry is simRegistry; tiebaUIDs gives Tieba accounts by numeric user id (no
// credential-less user_json lookup: every request then carries the worker's own session).
func writeSimRegistry(t testing.TB, path string, sim *platformsim.Sim, tiebaUIDs bool) {
	t.Helper()
	rows := [][]string{{"账号名称", "账号类型", "开设主体", "层级", "账号ID", "运行状态"}}
	label := map[platforms.Platform]string{platforms.Weibo: "新浪微博", platforms.Tieba: "百度贴吧", platforms.WeChat: "微信公众号"}
	for i, a := range sim.Accounts() {
		id := a.ID
		if tiebaUIDs && a.Platform == platforms.Tieba {
			id = a.TiebaUID
		}
		rows = append(rows, []string{a.Name, label[a.Platform], histOwners[i%len(histOwners)], histLevels[i%len(histLevels)], id, "正常运行"})
	}
	if err := sheettest.WriteXLSX(path, rows); err != nil {
		t.Fatal(err)
	}
}

// Secrets configured for the simulated platforms: none may reach the history database.
const (
	histMPToken  = "7781239904"
	histMPCookie = "slave_sid=HISTSECRETSID77; data_ticket=HISTSECRETTICKET"
	histCookie   = "SUB=_2A25HISTSECRETCOOKIE; SUBP=HISTSECRETSUBP"
	histBDUSS    = "HIST-BDUSS-SECRET-fedcba9876543210"
)

var histSecrets = []string{histMPToken, "HISTSECRETSID77", "HISTSECRETTICKET", "HISTSECRETCOOKIE", "HISTSECRETSUBP", histBDUSS}

// simEnv points every platform at base, unpaced, with quick retries and the test secrets.
func simEnv(t *testing.T, base string) {
	t.Helper()
	for _, p := range []string{"WEIBO", "TIEBA", "WECHAT"} {
		t.Setenv("NMAUDIT_PLATFORMS_"+p+"_RATE", "0")
		t.Setenv("NMAUDIT_PLATFORMS_"+p+"_BACKOFF", "1ms")
		t.Setenv("NMAUDIT_PLATFORMS_"+p+"_RETRIES", "1")
	}
	for _, k := range []string{"WEIBO_BASE_URL", "WEIBO_VISITOR_BASE_URL", "TIEBA_BASE_URL", "TIEBA_WEB_BASE_URL", "WECHAT_MP_BASE_URL", "WECHAT_API_BASE_URL"} {
		t.Setenv("NMAUDIT_PLATFORMS_"+k, base)
	}
	t.Setenv("NMAUDIT_PLATFORMS_WECHAT_MP_TOKEN", histMPToken)
	t.Setenv("NMAUDIT_PLATFORMS_WECHAT_MP_COOKIE", histMPCookie)
	t.Setenv("NMAUDIT_PLATFORMS_WEIBO_COOKIE", histCookie)
	t.Setenv("NMAUDIT_PLATFORMS_TIEBA_BDUSS", histBDUSS)
}

// simProxy sits in front of the simulator and counts the requests made for each account
// (by name), so a test can tell which accounts a run fetched.
type simProxy struct {
	target *url.URL
	srv    *httptest.Server
	byID   map[string]string // weibo uid, wechat fakeid → name
	// onRequest, when set, is called with the running request count (a test interrupts a run
	// from it).
	onRequest func(n int64)

	n       atomic.Int64
	mu      sync.Mutex
	hits    map[string]int
	uidName map[string]string // tieba user id → name, learnt from user_json answers
}

func newSimProxy(t *testing.T, sim *platformsim.Sim) *simProxy {
	t.Helper()
	u, _ := url.Parse(sim.URL)
	p := &simProxy{target: u, byID: map[string]string{}, hits: map[string]int{}, uidName: map[string]string{}}
	for _, a := range sim.Accounts() {
		p.byID[a.ID] = a.Name
	}
	p.srv = httptest.NewServer(p)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *simProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form := r.URL.Query()
	if r.Method == http.MethodPost {
		if f, err := url.ParseQuery(string(body)); err == nil {
			for k, v := range f {
				form[k] = v
			}
		}
	}
	req, _ := http.NewRequestWithContext(r.Context(), r.Method, p.target.String()+r.URL.RequestURI(), bytes.NewReader(body))
	req.Header = r.Header.Clone()
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)

	p.mu.Lock()
	var name string
	switch r.URL.Path {
	case "/api/container/getIndex":
		name = p.byID[form.Get("value")]
	case "/i/sys/user_json":
		name = form.Get("un")
		var u struct {
			Creator struct {
				ID   json.Number `json:"id"`
				Name string      `json:"name"`
			} `json:"creator"`
		}
		if json.Unmarshal(answer, &u) == nil && u.Creator.Name != "" {
			p.uidName[u.Creator.ID.String()] = u.Creator.Name
		}
	case "/c/u/feed/userpost":
		name = p.uidName[form.Get("uid")]
	case "/c/f/frs/page":
		name = form.Get("kw")
	case "/cgi-bin/appmsgpublish":
		name = p.byID[form.Get("fakeid")]
	case "/cgi-bin/searchbiz":
		name = form.Get("query")
	}
	if name == "" {
		name = "?" + r.URL.Path
	}
	p.hits[name]++
	on := p.onRequest
	p.mu.Unlock()
	if on != nil {
		on(p.n.Add(1))
	}

	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(answer)
}

func (p *simProxy) setOnRequest(f func(n int64)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.onRequest = f
}

// takeHits returns the counts so far and starts counting afresh.
func (p *simProxy) takeHits() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	h := p.hits
	p.hits = map[string]int{}
	return h
}

// stripVolatile removes what legitimately differs between two runs of the same check: the
// run id and the moment each answer was fetched.
func stripVolatile(t *testing.T, doc string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, doc)
	}
	var walk func(any)
	walk = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			delete(x, "run_id")
			delete(x, "fetched_at")
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(v)
	return v
}

func jsonField(t *testing.T, doc, key string) any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	return m[key]
}

// runsJSON is `nmaudit runs --format json`.
type runsJSON []struct {
	ID          string         `json:"id"`
	Kind        string         `json:"kind"`
	ParentRunID *string        `json:"parent_run_id"`
	StartedAt   string         `json:"started_at"`
	CheckTime   string         `json:"check_time"`
	Finished    bool           `json:"finished"`
	Summary     map[string]int `json:"-"`
	RawSummary  map[string]any `json:"summary"`
}

func listRuns(t *testing.T, args ...string) runsJSON {
	t.Helper()
	code, out, errOut := histRun(t, context.Background(), append([]string{"runs", "--format", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("runs: exit %d %s", code, errOut)
	}
	var rs runsJSON
	if err := json.Unmarshal([]byte(out), &rs); err != nil {
		t.Fatalf("runs JSON: %v\n%s", err, out)
	}
	return rs
}

// A check interrupted part way (Ctrl-C) is kept unfinished with the verdicts it reached;
// `check --resume` refuses contradicting flags and a changed registry, then finishes it without
// asking the platforms again for the accounts already decided.
func TestResumeAnInterruptedCheck(t *testing.T) {
	histData(t)
	dir := t.TempDir()
	sim := platformsim.Start(platformsim.Options{Seed: 3, Accounts: 45})
	defer sim.Close()
	proxy := newSimProxy(t, sim)
	simEnv(t, proxy.srv.URL)
	reg := filepath.Join(dir, "registry.xlsx")
	simRegistry(t, reg, sim)
	args := []string{"check", "--registry", reg, "--at", "2022-08-22", "--format", "json", "--concurrency", "1"}

	code, clean, errOut := histRun(t, context.Background(), args...)
	if code != 0 {
		t.Fatalf("clean run: exit %d %s", code, errOut)
	}
	proxy.takeHits()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	proxy.setOnRequest(func(n int64) {
		if n == 20 {
			cancel()
		}
	})
	code, out, errOut := histRun(t, ctx, args...)
	proxy.setOnRequest(nil)
	if code != 1 || out != "" || !strings.Contains(errOut, "已中断") || !strings.Contains(errOut, "check --resume") {
		t.Fatalf("interrupted run: exit %d, stdout %q, stderr %s", code, out, errOut)
	}
	rs := listRuns(t)
	if len(rs) != 2 || rs[0].Finished || !rs[1].Finished {
		t.Fatalf("runs = %+v", rs)
	}
	id := rs[0].ID
	decided := int(rs[0].RawSummary["decided"].(float64))
	if decided == 0 || decided >= 45 || rs[0].RawSummary["in_scope"].(float64) != 45 {
		t.Fatalf("unfinished run's summary %v", rs[0].RawSummary)
	}
	if code, out, errOut := histRun(t, context.Background(), "show", id, "--format", "json"); code != 1 || out != "" ||
		!strings.Contains(errOut, "运行 "+id+" 尚未完成") || !strings.Contains(errOut, "check --resume "+id) {
		t.Errorf("show of an unfinished run: exit %d %q %s", code, out, errOut)
	}
	st, err := store.Open(os.Getenv("XDG_DATA_HOME")+"/nmaudit/nmaudit.db", store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	saved, err := st.Verdicts(context.Background(), id, nil)
	st.Close()
	if err != nil || len(saved) != decided {
		t.Fatalf("%d verdicts saved, runs says %d (%v)", len(saved), decided, err)
	}
	proxy.takeHits()

	// Flags that contradict the run, a changed registry, a stray argument: bad usage.
	other := filepath.Join(dir, "other.xlsx")
	simRegistry(t, other, sim)
	for _, bad := range [][]string{
		{"check", "--resume", "--at", "2022-09-01"},
		{"check", "--resume", "--window", "10d"},
		{"check", "--resume", "--registry", other},
		{"check", "--resume", "--offline"},
		{"check", "--resume", "nosuchrun"},
		{"check", id},
	} {
		code, out, errOut := histRun(t, context.Background(), bad...)
		if code != 2 || out != "" || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d stdout %q stderr %q", bad, code, out, errOut)
		}
	}
	// The same flags as the run are fine, and so is another format.
	orig, _ := os.ReadFile(reg)
	os.WriteFile(reg, append(append([]byte{}, orig...), 0), 0o644)
	if code, _, errOut := histRun(t, context.Background(), "check", "--resume", id); code != 2 || !strings.Contains(errOut, "在运行 "+id+" 开始后已更改") {
		t.Errorf("changed registry: exit %d %s", code, errOut)
	}
	os.WriteFile(reg, orig, 0o644)
	if hits := proxy.takeHits(); len(hits) != 0 {
		t.Fatalf("refused resumes fetched %v", hits)
	}

	code, resumed, errOut := histRun(t, context.Background(), "check", "--resume", "--at", "2022-08-22", "--registry", reg, "--format", "json")
	if code != 0 {
		t.Fatalf("resume: exit %d %s", code, errOut)
	}
	if got := jsonField(t, resumed, "run_id"); got != id {
		t.Errorf("resumed run_id %v, want %s", got, id)
	}
	if a, b := stripVolatile(t, clean), stripVolatile(t, resumed); !jsonEqual(a, b) {
		t.Errorf("resumed JSON differs from a clean run's:\n%s\n---\n%s", clean, resumed)
	}
	hits := proxy.takeHits()
	for _, d := range saved {
		if hits[d.Verdict.Name] != 0 {
			t.Errorf("%s was decided before the interruption but fetched again %d times", d.Verdict.Name, hits[d.Verdict.Name])
		}
	}
	if len(hits) < 45-decided {
		t.Errorf("resume fetched %d accounts, %d were undecided", len(hits), 45-decided)
	}
	if code, shown, _ := histRun(t, context.Background(), "show", id, "--format", "json"); code != 0 || shown != resumed {
		t.Errorf("show %s differs from what the resumed check printed", id)
	}
	if code, _, errOut := histRun(t, context.Background(), "check", "--resume"); code != 2 || !strings.Contains(errOut, "没有未完成的运行") {
		t.Errorf("nothing to resume: exit %d %s", code, errOut)
	}

	// An interrupted recheck resumes too, 复核结果 and all.
	recheckArgs := []string{"recheck", id, "--at", "2022-08-22", "--format", "json", "--concurrency", "1"}
	code, cleanRecheck, errOut := histRun(t, context.Background(), recheckArgs...)
	if code != 0 || len(jsonField(t, cleanRecheck, "still_failing").([]any)) != 9 {
		t.Fatalf("recheck: exit %d %s\n%s", code, errOut, cleanRecheck)
	}
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	proxy.setOnRequest(func(n int64) {
		if n == 4 {
			cancel()
		}
	})
	proxy.n.Store(0)
	code, _, errOut = histRun(t, ctx, recheckArgs...)
	proxy.setOnRequest(nil)
	if code != 1 || !strings.Contains(errOut, "check --resume") {
		t.Fatalf("interrupted recheck: exit %d %s", code, errOut)
	}
	code, resumedRecheck, errOut := histRun(t, context.Background(), "check", "--resume")
	if code != 0 || !jsonEqual(stripVolatile(t, cleanRecheck), stripVolatile(t, resumedRecheck)) {
		t.Errorf("resumed recheck: exit %d %s\n%s\n---\n%s", code, errOut, cleanRecheck, resumedRecheck)
	}
	assertNoSecrets(t, filepath.Join(os.Getenv("XDG_DATA_HOME"), "nmaudit", "nmaudit.db"))
	if code, _, errOut := histRun(t, context.Background(), "check", "--resume", id); code != 2 || !strings.Contains(errOut, "已经完成") {
		t.Errorf("resume a finished run: exit %d %s", code, errOut)
	}
}

// assertNoSecrets checks that no configured secret reached the databases (file, WAL or
// shared memory).
func assertNoSecrets(t *testing.T, dbs ...string) {
	t.Helper()
	for _, db := range dbs {
		files, _ := filepath.Glob(db + "*")
		if len(files) == 0 {
			t.Errorf("no database at %s", db)
		}
		for _, f := range files {
			b, _ := os.ReadFile(f)
			for _, s := range histSecrets {
				if bytes.Contains(b, []byte(s)) {
					t.Errorf("secret %q found in %s", s, f)
				}
			}
		}
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// offlineDistrict writes the seed-shaped district (489 accounts in scope) and returns the
// check arguments that audit it offline.
func offlineDistrict(t *testing.T) []string {
	t.Helper()
	xlsx, _, obs := seedDistrict(t, t.TempDir())
	return []string{"check", "--registry", xlsx, "--observations", obs, "--offline", "--at", "2022-08-22", "--format", "json", "-q"}
}

// A corrupt, newer-schema or locked database stops every command with exit 1 and one line
// naming the file; nothing is half-written.
func TestBadDatabases(t *testing.T) {
	histData(t)
	args := offlineDistrict(t)
	dir := t.TempDir()

	garbage := filepath.Join(dir, "garbage.db")
	os.WriteFile(garbage, bytes.Repeat([]byte("PK\x03\x04 not a database "), 400), 0o644)

	newer := filepath.Join(dir, "newer.db")
	if code, _, errOut := histRun(t, context.Background(), append(args, "--db", newer)...); code != 0 {
		t.Fatalf("setup: %d %s", code, errOut)
	}
	db, _ := sql.Open("sqlite", newer)
	if _, err := db.Exec("PRAGMA user_version = 42"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	locked := filepath.Join(dir, "locked.db")
	holder, err := store.Open(locked, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	// Another nmaudit holds the write lock (an open write transaction) for the whole test.
	hold, _ := sql.Open("sqlite", locked+"?_txlock=immediate")
	defer hold.Close()
	tx, err := hold.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec("DELETE FROM notices"); err != nil {
		t.Fatal(err)
	}
	t.Setenv(envBusyTimeout, "150ms")

	for _, c := range []struct {
		db   string
		want string
		cmds [][]string
	}{
		{garbage, "不是可用的 nmaudit 历史数据库", [][]string{args, {"runs"}, {"show", "x"}, {"diff", "a", "b"}, {"ledger", "x", "-o", filepath.Join(dir, "l.xlsx")}, {"recheck", "x"}}},
		{newer, "数据库结构版本 42 比本程序支持的版本", [][]string{args, {"runs"}, {"show", "x"}}},
		{locked, "被另一个进程锁定", [][]string{args}},
	} {
		for _, cmd := range c.cmds {
			code, out, errOut := histRun(t, context.Background(), append(append([]string{}, cmd...), "--db", c.db)...)
			line := strings.TrimSpace(errOut)
			if code != 1 || out != "" || !strings.Contains(line, c.db) || !strings.Contains(line, c.want) || strings.Contains(line, "\n") ||
				strings.Contains(line, "goroutine") {
				t.Errorf("%s %s: exit %d stdout %q stderr %q", filepath.Base(c.db), cmd[0], code, out, errOut)
			}
		}
	}
	// Nothing was recorded in the locked database.
	if runs, err := holder.Runs(context.Background()); err != nil || len(runs) != 0 {
		t.Errorf("locked database: %d runs, %v", len(runs), err)
	}
}

// --db creates missing folders; usage errors never create a database.
func TestDBFlagCreatesFolders(t *testing.T) {
	defaultDB := histData(t)
	args := offlineDistrict(t)
	if code, _, _ := histRun(t, context.Background(), "check", "--registry", args[2], "--format", "pdf"); code != 2 {
		t.Fatalf("usage error: exit %d", code)
	}
	if _, err := os.Stat(defaultDB); !os.IsNotExist(err) {
		t.Errorf("a usage error created the database (%v)", err)
	}
	nested := filepath.Join(t.TempDir(), "a", "b", "c", "history.db")
	code, out, errOut := histRun(t, context.Background(), append(args, "--db", nested)...)
	if code != 0 {
		t.Fatalf("exit %d %s", code, errOut)
	}
	if _, err := os.Stat(nested); err != nil {
		t.Fatal(err)
	}
	rs := listRuns(t, "--db", nested)
	if len(rs) != 1 || rs[0].ID != jsonField(t, out, "run_id") || !rs[0].Finished {
		t.Errorf("runs in %s: %+v", nested, rs)
	}
	if rs := listRuns(t); len(rs) != 0 {
		t.Errorf("the default store got %d runs", len(rs))
	}
	// config store.path is the next choice, ~ expanded.
	home := t.TempDir()
	t.Setenv("HOME", home)
	cfg := filepath.Join(t.TempDir(), "nmaudit.yaml")
	os.WriteFile(cfg, []byte("store:\n  path: ~/审计/history.db\n"), 0o644)
	if code, _, errOut := histRun(t, context.Background(), append(args, "--config", cfg)...); code != 0 {
		t.Fatalf("exit %d %s", code, errOut)
	}
	if rs := listRuns(t, "--db", filepath.Join(home, "审计", "history.db")); len(rs) != 1 {
		t.Errorf("config store.path: %d runs", len(rs))
	}
}

// histBinary builds nmaudit once for the tests that need a real process (kill -9, a file size
// limit).
var (
	histBinOnce sync.Once
	histBinDir  string
	histBin     string
	histBinErr  error
)

func nmauditBinary(t *testing.T) string {
	t.Helper()
	histBinOnce.Do(func() {
		wd, err := os.Getwd()
		if err != nil {
			histBinErr = err
			return
		}
		if histBinDir, histBinErr = os.MkdirTemp("", "nmaudit-bin-"); histBinErr != nil {
			return
		}
		histBin = filepath.Join(histBinDir, "nmaudit")
		start := time.Now()
		cmd := exec.Command("go", "build", "-o", histBin, ".")
		cmd.Dir = wd
		if out, err := cmd.CombinedOutput(); err != nil {
			histBinErr = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		fmt.Fprintf(os.Stderr, "built nmaudit for the subprocess tests in %v\n", time.Since(start).Round(time.Millisecond))
	})
	if histBinErr != nil {
		t.Fatal(histBinErr)
	}
	return histBin
}

// A write that fails part way (the process hits its file size limit, as on a full disk) fails
// the run with exit 1; the run stays unfinished, never reported complete, and resumes later.
func TestWriteFailureLeavesRunUnfinished(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh to set a file size limit with")
	}
	histData(t)
	// Verdicts are committed in batches of hundreds: the run must hold several batches for the
	// limit to fall between two of them.
	const accounts = 5000
	reg := filepath.Join(t.TempDir(), "registry.csv")
	if err := sheettest.WriteRegistryCSV(reg, accounts, 7, "utf-8"); err != nil {
		t.Fatal(err)
	}
	args := []string{"check", "--registry", reg, "--offline", "--at", "2022-08-22", "--format", "json", "-q"}
	db := filepath.Join(t.TempDir(), "n.db")
	// Create the database first, so the limit bites while verdicts are being written (runs
	// would not: commands that only read never create a database).
	if st, err := store.Open(db, store.Options{}); err != nil {
		t.Fatal(err)
	} else {
		st.Close()
	}
	bin := nmauditBinary(t)
	// ulimit -f counts 512-byte blocks in POSIX sh: 600 KB, far less than 5,000 verdicts need.
	cmd := exec.Command("sh", append([]string{"-c", `ulimit -f 1200 && exec "$0" "$@"`, bin}, append(args, "--db", db)...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 1 || out.Len() != 0 {
		t.Fatalf("want exit 1 and no report, got %v, stdout %d bytes, stderr %s", err, out.Len(), errb.String())
	}
	msg := errb.String()
	t.Logf("stderr of the failed run:\n%s", msg)
	if !strings.Contains(msg, db) || !strings.Contains(msg, "保存判定结果") || !strings.Contains(msg, "尚未完成") {
		t.Errorf("stderr %q", msg)
	}
	rs := listRuns(t, "--db", db)
	if len(rs) != 1 || rs[0].Finished {
		t.Fatalf("runs %+v", rs)
	}
	decided := rs[0].RawSummary["decided"].(float64)
	if decided == 0 || decided >= float64(rs[0].RawSummary["in_scope"].(float64)) {
		t.Errorf("%v verdicts kept: the limit did not bite mid-run", decided)
	}
	if code, _, errOut := histRun(t, context.Background(), "show", rs[0].ID, "--db", db); code != 1 || !strings.Contains(errOut, "尚未完成") {
		t.Errorf("show: exit %d %s", code, errOut)
	}
	// With room again, the run resumes and finishes with the same verdicts a clean run gives.
	code, resumed, errOut := histRun(t, context.Background(), "check", "--resume", "--db", db)
	if code != 0 {
		t.Fatalf("resume: %d %s", code, errOut)
	}
	_, clean, _ := histRun(t, context.Background(), args...)
	if !jsonEqual(stripVolatile(t, clean), stripVolatile(t, resumed)) {
		t.Error("resumed run differs from a clean one")
	}
}

// TestKillAndResumeEndToEnd is the "done when": a real nmaudit process checking 300
// accounts against local platform servers is killed (SIGKILL) once some verdicts are in the
// default store (no --db, no set-up); `check --resume` finishes it under the same id with the
// same JSON a clean run prints, and the servers never see a second request for an account
// decided before the kill. ledger, recheck and diff then work on those runs.
func TestKillAndResumeEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the nmaudit binary")
	}
	defaultDB := histData(t)
	dir := t.TempDir()
	const n = 300
	sim := platformsim.Start(platformsim.Options{Seed: 11, Accounts: n, Latency: 15 * time.Millisecond})
	defer sim.Close()
	proxy := newSimProxy(t, sim)
	simEnv(t, proxy.srv.URL)
	reg := filepath.Join(dir, "registry.xlsx")
	simRegistry(t, reg, sim)
	bin := nmauditBinary(t)
	checkArgs := []string{"check", "--registry", reg, "--at", "2022-08-22", "--format", "json", "--concurrency", "2", "-q"}

	// A clean run, in a database of its own.
	start := time.Now()
	clean, errOut, err := runBinary(bin, append(checkArgs, "--db", filepath.Join(dir, "clean", "clean.db"))...)
	if err != nil {
		t.Fatalf("clean run: %v %s", err, errOut)
	}
	t.Logf("clean run of %d accounts: %v", n, time.Since(start).Round(time.Millisecond))
	var doc struct {
		Accounts []struct{ Name, Result string } `json:"accounts"`
	}
	json.Unmarshal([]byte(clean), &doc)
	fresh := map[string]bool{}
	for _, a := range sim.Accounts() {
		fresh[a.Name] = a.Fresh
	}
	var stale []string
	for _, a := range doc.Accounts {
		want := map[bool]string{true: "合格", false: "不合格"}[fresh[a.Name]]
		if a.Result != want {
			t.Errorf("clean run: %s is %s, the simulator says %s", a.Name, a.Result, want)
		}
		if a.Result == "不合格" {
			stale = append(stale, a.Name)
		}
	}
	if len(doc.Accounts) != n || len(stale) == 0 {
		t.Fatalf("clean run: %d accounts, %d stale", len(doc.Accounts), len(stale))
	}
	proxy.takeHits()

	// The same check in the default store, killed once a fifth of the verdicts are saved.
	start = time.Now()
	cmd := exec.Command(bin, checkArgs...)
	var killedOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &killedOut, &killedOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var killedAt int
	for killedAt < n/5 {
		select {
		case err := <-exited:
			t.Fatalf("the check ended (%v) before it could be killed; saw %d verdicts\n%s", err, killedAt, killedOut.String())
		case <-time.After(10 * time.Millisecond):
		}
		killedAt = savedVerdicts(defaultDB)
	}
	cmd.Process.Kill()
	<-exited
	t.Logf("killed after %v with %d verdicts saved", time.Since(start).Round(time.Millisecond), killedAt)
	if strings.Contains(killedOut.String(), `"accounts"`) {
		t.Fatal("the killed run printed a report")
	}

	st, err := store.Open(defaultDB, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	runs, _ := st.Runs(context.Background())
	if len(runs) != 1 || runs[0].Finished {
		t.Fatalf("after the kill: %+v", runs)
	}
	id := runs[0].ID
	saved, err := st.Verdicts(context.Background(), id, nil)
	st.Close()
	if err != nil || len(saved) < killedAt || len(saved) >= n {
		t.Fatalf("%d verdicts saved (%v)", len(saved), err)
	}
	if rs := listRuns(t); len(rs) != 1 || rs[0].Finished || int(rs[0].RawSummary["decided"].(float64)) != len(saved) {
		t.Errorf("runs after the kill: %+v", rs)
	}
	proxy.takeHits()

	start = time.Now()
	resumed, errOut, err := runBinary(bin, "check", "--resume", "-q")
	if err != nil {
		t.Fatalf("resume: %v %s", err, errOut)
	}
	t.Logf("resume: %v (%s)", time.Since(start).Round(time.Millisecond), strings.TrimSpace(errOut))
	if got := jsonField(t, resumed, "run_id"); got != id {
		t.Errorf("resumed run_id %v, want the killed run's %s", got, id)
	}
	if !jsonEqual(stripVolatile(t, clean), stripVolatile(t, resumed)) {
		t.Errorf("resumed JSON differs from the clean run's")
	}
	hits := proxy.takeHits()
	decided := map[string]bool{}
	for _, d := range saved {
		decided[d.Verdict.Name] = true
		if hits[d.Verdict.Name] != 0 {
			t.Errorf("%s was decided before the kill but requested %d more times", d.Verdict.Name, hits[d.Verdict.Name])
		}
	}
	for _, a := range sim.Accounts() {
		if !decided[a.Name] && hits[a.Name] == 0 {
			t.Errorf("%s was not decided before the kill and not fetched on resume", a.Name)
		}
	}
	if code, shown, _ := histRun(t, context.Background(), "show", id, "--format", "json"); code != 0 || shown != resumed {
		t.Errorf("show %s differs from what the resumed check printed", id)
	}

	assertNoSecrets(t, defaultDB, filepath.Join(dir, "clean", "clean.db"))

	// The ledger of the resumed run: one row per stale account (one problem each).
	ledgerFile := filepath.Join(dir, "整改台账.xlsx")
	if code, _, errOut := histRun(t, context.Background(), "ledger", id, "-o", ledgerFile, "--deadline", "2022-09-30"); code != 0 {
		t.Fatalf("ledger: %d %s", code, errOut)
	}
	rows := readSheet(t, ledgerFile, sheetLedger)
	if len(rows) != len(stale)+1 {
		t.Errorf("ledger has %d rows for %d stale accounts", len(rows)-1, len(stale))
	}

	// A 复核 three weeks later: half the stale accounts were seen posting again.
	obs := [][]string{{"账号名称", "账号类型", "最近更新时间"}}
	label := map[platforms.Platform]string{platforms.Weibo: "新浪微博", platforms.Tieba: "百度贴吧", platforms.WeChat: "微信公众号"}
	byName := map[string]platformsim.Account{}
	for _, a := range sim.Accounts() {
		byName[a.Name] = a
	}
	fixed := map[string]bool{}
	for i, name := range stale {
		if i%2 == 0 {
			fixed[name] = true
			obs = append(obs, []string{name, label[byName[name].Platform], "2022-09-09 10:00"})
		}
	}
	obsFile := filepath.Join(dir, "复核观察.csv")
	sheettest.WriteCSV(obsFile, obs, "utf-8-bom")
	proxy.takeHits()
	code, rechecked, errOut := histRun(t, context.Background(), "recheck", id, "--at", "2022-09-10", "--observations", obsFile, "--format", "json")
	if code != 0 {
		t.Fatalf("recheck: %d %s", code, errOut)
	}
	var rc struct {
		RunID        string              `json:"run_id"`
		Parent       string              `json:"parent_run_id"`
		Accounts     []map[string]any    `json:"accounts"`
		Fixed        []map[string]string `json:"fixed"`
		StillFailing []map[string]string `json:"still_failing"`
	}
	json.Unmarshal([]byte(rechecked), &rc)
	if rc.Parent != id || len(rc.Accounts) != len(stale) || len(rc.Fixed) != len(fixed) || len(rc.StillFailing) != len(stale)-len(fixed) {
		t.Errorf("recheck: parent %s, %d accounts, %d fixed, %d still failing (want %d stale, %d fixed)",
			rc.Parent, len(rc.Accounts), len(rc.Fixed), len(rc.StillFailing), len(stale), len(fixed))
	}
	for _, e := range rc.Fixed {
		if !fixed[e["name"]] || e["from"] != "不合格" || e["to"] != "合格" {
			t.Errorf("fixed entry %v", e)
		}
	}
	for name := range proxy.takeHits() {
		if fresh[name] {
			t.Errorf("recheck fetched %s, which was 合格", name)
		}
	}

	code, out, errOut := histRun(t, context.Background(), "diff", id, rc.RunID, "--format", "json")
	if code != 0 {
		t.Fatalf("diff: %d %s", code, errOut)
	}
	var d struct {
		Fixed        []any                                `json:"fixed"`
		StillFailing []any                                `json:"still_failing"`
		NewlyFailing []any                                `json:"newly_failing"`
		ByPlatform   map[string]map[string]map[string]any `json:"by_platform"`
	}
	json.Unmarshal([]byte(out), &d)
	if len(d.Fixed) != len(fixed) || len(d.StillFailing) != len(stale)-len(fixed) || len(d.NewlyFailing) != 0 {
		t.Errorf("diff: %d fixed, %d still failing, %d newly failing", len(d.Fixed), len(d.StillFailing), len(d.NewlyFailing))
	}
	if d.ByPlatform["weibo"]["from"]["in_scope"] != float64(n/3) {
		t.Errorf("diff by_platform: %v", d.ByPlatform)
	}
}

// runBinary runs the nmaudit binary with the test's environment.
func runBinary(bin string, args ...string) (stdout, stderr string, err error) {
	cmd := exec.Command(bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// savedVerdicts counts the verdicts in the database, reading beside the writer (WAL); 0 while
// the database is not there yet.
func savedVerdicts(path string) int {
	st, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		return 0
	}
	defer st.Close()
	runs, err := st.Runs(context.Background())
	if err != nil || len(runs) == 0 {
		return 0
	}
	return runs[0].Counts.Decided
}

// TestHistoryDemoServer is the platform simulator of `make demo-history`
// (testdata/store/demo-history.sh); it is skipped in normal runs. With NMAUDIT_HISTORY_DEMO set
// to a folder it writes there a registry of 300 simulated accounts (registry.xlsx) and the
// environment that points nmaudit at the simulator (env, sh syntax), then serves until the
// folder's "stop" file appears.
func TestHistoryDemoServer(t *testing.T) {
	dir := os.Getenv("NMAUDIT_HISTORY_DEMO")
	if dir == "" {
		t.Skip("the simulator of make demo-history")
	}
	sim := platformsim.Start(platformsim.Options{Seed: 2022, Accounts: 300, Latency: 20 * time.Millisecond})
	defer sim.Close()
	simRegistry(t, filepath.Join(dir, "registry.xlsx"), sim)
	var env strings.Builder
	// Weibo without a cookie asks the visitor-cookie service first: the simulator's too.
	for _, k := range []string{"WEIBO_BASE_URL", "WEIBO_VISITOR_BASE_URL", "TIEBA_BASE_URL", "TIEBA_WEB_BASE_URL", "WECHAT_MP_BASE_URL"} {
		fmt.Fprintf(&env, "export NMAUDIT_PLATFORMS_%s=%s\n", k, sim.URL)
	}
	for _, p := range []string{"WEIBO", "TIEBA", "WECHAT"} {
		// Paced so the 300 accounts take about fifteen seconds: time to kill the check part way.
		fmt.Fprintf(&env, "export NMAUDIT_PLATFORMS_%s_RATE=15\n", p)
	}
	env.WriteString("export NMAUDIT_PLATFORMS_WECHAT_MP_TOKEN=demo-token NMAUDIT_PLATFORMS_WECHAT_MP_COOKIE=demo-cookie\n")
	tmp := filepath.Join(dir, "env.tmp")
	if err := os.WriteFile(tmp, []byte(env.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Rename(tmp, filepath.Join(dir, "env"))
	for {
		if _, err := os.Stat(filepath.Join(dir, "stop")); err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Commands that only read the history never create it: a mistyped --db fails, naming the file,
// and leaves no folder or empty database behind; the default database not existing yet just
// means there is no run. Commands that write create it private to the user.
func TestReadersNeverCreateTheStore(t *testing.T) {
	defaultDB := histData(t)
	typo := filepath.Join(t.TempDir(), "typo", "x", "y.db")
	for _, cmd := range [][]string{{"runs"}, {"show", "x"}, {"diff", "a", "b"}, {"ledger", "x", "-o", filepath.Join(t.TempDir(), "l.xlsx")}, {"report", "x"}} {
		code, out, errOut := histRun(t, context.Background(), append(cmd, "--db", typo)...)
		if code != 2 || out != "" || !strings.Contains(errOut, typo) || !strings.Contains(errOut, "不存在") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%s --db %s: exit %d stdout %q stderr %q", cmd[0], typo, code, out, errOut)
		}
	}
	if _, err := os.Stat(filepath.Dir(filepath.Dir(typo))); !os.IsNotExist(err) {
		t.Errorf("a reader created %s (%v)", filepath.Dir(filepath.Dir(typo)), err)
	}
	// No default database yet: no runs, no such run — and still no database.
	if code, out, errOut := histRun(t, context.Background(), "runs", "--format", "json"); code != 0 || out != "[]\n" {
		t.Errorf("runs without a store: exit %d %q %s", code, out, errOut)
	}
	if code, _, errOut := histRun(t, context.Background(), "show", "20220825"); code != 2 || !strings.Contains(errOut, "还没有任何检查记录") {
		t.Errorf("show without a store: exit %d %s", code, errOut)
	}
	// Nor do the commands that continue recorded runs, when there is none to continue.
	for _, cmd := range [][]string{{"check", "--resume"}, {"recheck", "20220825"}} {
		if code, _, errOut := histRun(t, context.Background(), cmd...); code != 2 || !strings.Contains(errOut, "还没有任何检查记录") {
			t.Errorf("%v without a store: exit %d %s", cmd, code, errOut)
		}
	}
	if _, err := os.Stat(filepath.Dir(defaultDB)); !os.IsNotExist(err) {
		t.Fatalf("a reader created the default store's folder (%v)", err)
	}
	// check creates it: the folder 0700, the database and its WAL 0600 whatever the umask.
	if code, _, errOut := histRun(t, context.Background(), offlineDistrict(t)...); code != 0 {
		t.Fatalf("check: exit %d %s", code, errOut)
	}
	if fi, err := os.Stat(filepath.Dir(defaultDB)); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("store folder: %v %v", fi.Mode(), err)
	}
	files, _ := filepath.Glob(defaultDB + "*")
	for _, f := range files {
		if fi, _ := os.Stat(f); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(f), fi.Mode().Perm())
		}
	}
	if len(files) == 0 {
		t.Error("check left no database")
	}
}

// A database damaged so that a query quietly finds nothing — here the index the newest
// unfinished run is looked up by reads as an empty page — makes `check --resume` name the
// damage (exit 1) instead of saying there is no unfinished run.
func TestResumeNamesADamagedDatabase(t *testing.T) {
	histData(t)
	db := filepath.Join(t.TempDir(), "n.db")
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r := &store.Run{Kind: store.KindCheck, StartedAt: fixedNow(), Version: "test", CheckTime: fixedNow(),
		Timezone: "Asia/Shanghai", Window: "14d", Pending: "exclude", Format: "json", Planned: 1,
		Registry: store.File{Path: "/data/registry.xlsx", SHA256: strings.Repeat("ab", 32)}}
	if err := st.CreateRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	st.Close()
	raw, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	var page int
	if err := raw.QueryRow("SELECT rootpage FROM sqlite_schema WHERE name = 'runs_by_seq'").Scan(&page); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	data, _ := os.ReadFile(db)
	off := (page - 1) * 4096
	clear(data[off : off+4096])
	data[off] = 0x0A // a leaf index page with no cells: well formed, and empty
	os.WriteFile(db, data, 0o600)

	code, out, errOut := histRun(t, ctx, "check", "--resume", "--db", db)
	line := strings.TrimSpace(errOut)
	if code != 1 || out != "" || !strings.Contains(line, db) || !strings.Contains(line, "已损坏") || strings.Contains(line, "没有未完成的运行") ||
		strings.Contains(line, "\n") {
		t.Errorf("resume in a damaged database: exit %d stdout %q stderr %q", code, out, errOut)
	}
}

// The run is complete whether or not its report can be written: a report file that cannot be
// opened fails the command, yet the run is finished with every verdict, and show prints it.
func TestRunFinishesWhenTheReportCannotBeWritten(t *testing.T) {
	f := newHistFixture(t)
	dir := t.TempDir() // -o naming a folder
	code, _, errOut := histRun(t, context.Background(), f.checkArgs("--format", "json", "-o", dir)...)
	if code == 0 {
		t.Fatalf("check -o %s: exit 0 %s", dir, errOut)
	}
	rs := listRuns(t)
	if len(rs) != 1 || !rs[0].Finished || rs[0].RawSummary["decided"] != 10.0 {
		t.Fatalf("runs %+v", rs)
	}
	code, shown, errOut := histRun(t, context.Background(), "show", rs[0].ID, "--format", "json")
	_, clean, _ := histRun(t, context.Background(), f.checkArgs("--format", "json")...)
	if code != 0 || !jsonEqual(stripVolatile(t, shown), stripVolatile(t, clean)) {
		t.Errorf("show: exit %d %s", code, errOut)
	}
}
