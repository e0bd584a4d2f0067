//go:build unix

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/config"
	"github.com/nmaudit/nmaudit/platforms"
	"github.com/nmaudit/nmaudit/platforms/platformsim"
)

// BenchmarkFetchSim is the speed benchmark (`make bench`): 1,000 accounts spread over
// Weibo, Tieba and WeChat, audited by the real fetchers (buildFetchers, config.Default() with
// base URLs and rates changed) and audit.Check against platformsim, a simulated platform with a
// per-request latency and server-side per-platform rate limits equal to the client's rates.
//
// The simulator runs in a child process (this test binary, re-executed into
// TestFetchSimServer), so the CPU measured here is the client's alone and the simulator's is
// reported apart.
//
// It fails unless every verdict is the one the simulator expects (合格 for fresh accounts,
// 不合格 for stale ones, with the expected newest post time) and the simulator rejected no
// request. Metrics:
//
//	accounts/s     accounts decided per second of wall time
//	wall/bound     wall time ÷ the ideal bound: max over platforms of (requests the platform
//	               received ÷ its configured rate), the platforms running in parallel
//	wall/minbound  the same with the fewest requests an account can take (Weibo 1; Tieba 2,
//	               user_json + userpost; WeChat 1, the fakeid being given), so extra requests
//	               (retries, paging) show up here and not in wall/bound
//	cpu-ms/acct    the client's CPU (user+sys, getrusage of this process) ÷ accounts
//	sim-cpu-ms/acct  the simulator's CPU ÷ accounts (for reference)
//	req-*          requests each platform received
//	rejected       requests the simulator answered with the platform's rate-limit answer
//	dials          TCP connections the client opened (the transport is production's,
//	               platforms.Transport, so connection reuse is what production does)
//	client-burst   the worst platform's smallest token-bucket burst (at the platform's rate)
//	               that accepts every request at the moment the client sent it: 1 is perfect
//	               pacing; more is scheduling jitter (or a pacing bug)
//
// Knobs for investigation (environment): NMAUDIT_FETCHSIM_ACCOUNTS (default 1000),
// NMAUDIT_FETCHSIM_LATENCY (30ms), NMAUDIT_FETCHSIM_CONCURRENCY (config default, 4),
// NMAUDIT_FETCHSIM_IDLE (MaxIdleConnsPerHost of the client transport; default 0, i.e.
// platforms.Transport's max(2×concurrency, 8)), NMAUDIT_FETCHSIM_BURST (client burst, default 1 as in config),
// NMAUDIT_FETCHSIM_SERVER_BURST (the simulator's burst, default 8), NMAUDIT_FETCHSIM_RATE_SCALE
// (multiplies every rate, client's and simulator's; default 1).
func BenchmarkFetchSim(b *testing.B) {
	k := fetchSimKnobs{
		accounts:    fetchSimEnvInt(b, "NMAUDIT_FETCHSIM_ACCOUNTS", 1000),
		latency:     fetchSimEnvDuration(b, "NMAUDIT_FETCHSIM_LATENCY", 30*time.Millisecond),
		concurrency: fetchSimEnvInt(b, "NMAUDIT_FETCHSIM_CONCURRENCY", config.Default().Concurrency),
		idle:        fetchSimEnvInt(b, "NMAUDIT_FETCHSIM_IDLE", 0),
		burst:       fetchSimEnvInt(b, "NMAUDIT_FETCHSIM_BURST", 1),
		// The simulator's burst: the rate applies exactly, the burst absorbs scheduling jitter
		// between the client's limiter and the server's (8 tokens absorb ~90 ms at 80/s). A client
		// over its rate by 2% for the ~8 s run, or sending in bursts, still gets rejections.
		serverBurst: fetchSimEnvInt(b, "NMAUDIT_FETCHSIM_SERVER_BURST", 8),
		// Client rates (requests/s), and the simulator's. Tieba takes two requests per account,
		// so it gets twice the rate: each platform's share of 1,000 accounts takes ~8.3 s.
		rates: map[string]float64{platformsim.Weibo: 40, platformsim.Tieba: 80, platformsim.WeChatMP: 40},
	}
	if s := os.Getenv("NMAUDIT_FETCHSIM_RATE_SCALE"); s != "" {
		scale, err := strconv.ParseFloat(s, 64)
		if err != nil || scale <= 0 {
			b.Fatalf("NMAUDIT_FETCHSIM_RATE_SCALE=%q: want a positive number", s)
		}
		for p := range k.rates {
			k.rates[p] *= scale
		}
	}
	minPerAccount := map[string]int{platformsim.Weibo: 1, platformsim.Tieba: 2, platformsim.WeChatMP: 1}
	simKey := map[platforms.Platform]string{platforms.Weibo: platformsim.Weibo, platforms.Tieba: platformsim.Tieba, platforms.WeChat: platformsim.WeChatMP}

	var (
		last    fetchSimRun
		lastErr error
	)
	for range b.N {
		b.StopTimer()
		run, err := fetchSimOnce(b, k)
		if run.stats == nil { // the run could not start or finish
			b.Fatal(err)
		}
		b.StartTimer()
		last, lastErr = run, err
	}
	// The figures are reported even for a failed run (wrong verdicts, rejected requests), so a
	// failure can be investigated; the benchmark still fails at the end.
	defer func() {
		if lastErr != nil {
			b.Fatal(lastErr)
		}
	}()

	perPlatform := map[string]int{}
	for _, a := range last.accounts {
		perPlatform[simKey[a.Platform]]++
	}
	var bound, minBound, worstBurst float64
	var rejected int64
	for p, rps := range k.rates {
		st := last.stats[p]
		bound = max(bound, float64(st.Requests)/rps)
		minBound = max(minBound, float64(perPlatform[p]*minPerAccount[p])/rps)
		rejected += st.Rejected
		worstBurst = max(worstBurst, last.clientBurst[p])
	}
	wall := last.wall.Seconds()
	n := float64(len(last.accounts))
	b.ReportMetric(n/wall, "accounts/s")
	b.ReportMetric(wall/bound, "wall/bound")
	b.ReportMetric(wall/minBound, "wall/minbound")
	b.ReportMetric(last.cpu.Seconds()*1000/n, "cpu-ms/acct")
	b.ReportMetric(last.simCPU.Seconds()*1000/n, "sim-cpu-ms/acct")
	b.ReportMetric(float64(last.stats[platformsim.Weibo].Requests), "req-weibo")
	b.ReportMetric(float64(last.stats[platformsim.Tieba].Requests), "req-tieba")
	b.ReportMetric(float64(last.stats[platformsim.WeChatMP].Requests), "req-wechat")
	b.ReportMetric(float64(rejected), "rejected")
	b.ReportMetric(float64(last.dials), "dials")
	b.ReportMetric(worstBurst, "client-burst")
	b.Logf("%d accounts, latency %v, concurrency %d, client burst %d, server burst %d: wall %.2fs, bound %.2fs, min bound %.2fs, client CPU %.2fs, simulator CPU %.2fs",
		len(last.accounts), k.latency, k.concurrency, k.burst, k.serverBurst, wall, bound, minBound, last.cpu.Seconds(), last.simCPU.Seconds())
	for _, p := range []string{platformsim.Weibo, platformsim.Tieba, platformsim.WeChatMP} {
		st := last.stats[p]
		b.Logf("  %-9s %3d accounts, %4d requests (min %4d) at %3.0f/s = %5.2fs, last sent at %5.2fs; %d rejected; client sends fit a burst of %.2f",
			p, perPlatform[p], st.Requests, perPlatform[p]*minPerAccount[p], k.rates[p], float64(st.Requests)/k.rates[p],
			last.lastSend[p].Seconds(), st.Rejected, last.clientBurst[p])
	}
}

type fetchSimKnobs struct {
	accounts, concurrency, idle, burst, serverBurst int
	latency                                         time.Duration
	rates                                           map[string]float64
}

type fetchSimRun struct {
	accounts    []platformsim.Account
	stats       map[string]platformsim.Stats
	wall        time.Duration
	cpu         time.Duration // this process (the client) during check.Run
	simCPU      time.Duration // the simulator process while it served the run
	dials       int64
	clientBurst map[string]float64       // per platform, see fetchSimSends.burst
	lastSend    map[string]time.Duration // per platform, when its last request left (from the start)
}

// fetchSimOnce starts a simulator, audits every account once through the production wiring,
// stops the simulator and checks every verdict. run.stats is nil when the run did not happen.
func fetchSimOnce(b *testing.B, k fetchSimKnobs) (run fetchSimRun, err error) {
	sim, err := startFetchSimChild(platformsim.Options{
		Latency:  k.latency,
		Rates:    k.rates, // the platforms' budgets: exactly the client's configured rates
		Burst:    k.serverBurst,
		Accounts: k.accounts,
		Seed:     1,
	})
	if err != nil {
		return run, err
	}
	defer func() {
		stats, simCPU, serr := sim.stop()
		if serr != nil {
			run.stats, err = nil, serr
			return
		}
		run.stats, run.simCPU = stats, simCPU
		if err == nil {
			err = fetchSimVerify(run)
		}
	}()
	run.accounts = sim.Accounts

	cfg := config.Default()
	pc := &cfg.Platforms
	pc.Weibo.BaseURL, pc.Weibo.VisitorBaseURL = sim.URL, sim.URL // no cookie: the visitor handshake, as on a fresh install
	pc.Weibo.Rate, pc.Weibo.Burst = k.rates[platformsim.Weibo], k.burst
	pc.Tieba.BaseURL, pc.Tieba.WebBaseURL = sim.URL, sim.URL
	pc.Tieba.Rate, pc.Tieba.Burst = k.rates[platformsim.Tieba], k.burst
	pc.WeChat.MPBaseURL = sim.URL
	pc.WeChat.MPToken, pc.WeChat.MPCookie = "608398971", "slave_sid=fetchSimSession; slave_user=gh_fetchsim"
	pc.WeChat.Rate, pc.WeChat.Burst = k.rates[platformsim.WeChatMP], k.burst

	// The transport production uses (platforms.Transport, sized to the concurrency) that
	// counts the connections it opens and logs when each request leaves.
	tr := platforms.Transport(k.concurrency)
	if k.idle > 0 {
		tr.MaxIdleConnsPerHost = k.idle
	}
	var dials atomic.Int64
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return dialer.DialContext(ctx, network, addr)
	}
	defer tr.CloseIdleConnections()
	sends := &fetchSimSends{}

	T := platformsim.DefaultCheckTime
	window := audit.Window{D: 14 * 24 * time.Hour}
	f, err := buildFetchers(&cfg, fetchOptions{Window: window.D, CheckTime: T, Transport: sends.wrap(tr)})
	if err != nil {
		return run, err
	}
	defer f.Close()

	reg := &audit.Registry{File: "fetchsim"}
	typeLabel := map[platforms.Platform]string{platforms.Weibo: "新浪微博", platforms.Tieba: "百度贴吧", platforms.WeChat: "微信公众号"}
	for i, a := range run.accounts {
		reg.Accounts = append(reg.Accounts, audit.Account{
			Row: i + 2, Name: a.Name, Type: typeLabel[a.Platform], Platform: a.Platform, IDKind: a.IDKind,
			ID: a.ID, RawID: a.ID, Owner: "模拟单位" + strconv.Itoa(i), Level: audit.LevelCountyDept,
			RegistryStatus: "正常运行", Lifecycle: audit.Active,
		})
	}
	check := &audit.Check{
		Params:      audit.Params{CheckTime: T, Window: window, Pending: audit.PendingExclude, WarnAfter: 10 * 24 * time.Hour},
		Registry:    reg,
		Fetch:       f.Registry.Fetch,
		Concurrency: k.concurrency,
	}

	runtime.GC()
	cpu0 := fetchSimCPU()
	start := time.Now()
	b.StartTimer()
	res, err := check.Run(context.Background())
	b.StopTimer()
	run.wall = time.Since(start)
	run.cpu = fetchSimCPU() - cpu0
	run.dials = dials.Load()
	run.clientBurst = sends.burst(k.rates)
	run.lastSend = sends.last(start)
	if err != nil {
		return run, err
	}
	if len(res.Accounts) != len(run.accounts) {
		return run, fmt.Errorf("%d verdicts for %d accounts", len(res.Accounts), len(run.accounts))
	}
	wrong := 0
	for i, v := range res.Accounts {
		a := run.accounts[i]
		want := audit.Unqualified
		if a.Fresh {
			want = audit.Qualified
		}
		if v.Name == a.Name && v.Status == want && v.LatestPostAt != nil && v.LatestPostAt.Equal(a.Latest) {
			continue
		}
		if wrong++; wrong <= 10 {
			got := "none"
			if v.LatestPostAt != nil {
				got = v.LatestPostAt.String()
			}
			b.Errorf("%s (%s): got %s, latest %s (%s); want %s, latest %v",
				a.Name, a.Platform, v.Status.Label(), got, v.Detail, want.Label(), a.Latest)
		}
	}
	if wrong > 0 {
		return run, fmt.Errorf("%d of %d verdicts wrong", wrong, len(run.accounts))
	}
	return run, nil
}

// fetchSimVerify fails a run the simulator had to throttle.
func fetchSimVerify(run fetchSimRun) error {
	var rejected int64
	for _, st := range run.stats {
		rejected += st.Rejected
	}
	if rejected > 0 {
		return fmt.Errorf("the simulator rejected %d requests as over budget (%v); client sends fit bursts of %v",
			rejected, run.stats, run.clientBurst)
	}
	return nil
}

// fetchSimSends records when each request left the client, per platform.
type fetchSimSends struct {
	mu    sync.Mutex
	times map[string][]time.Time
}

func (l *fetchSimSends) wrap(next http.RoundTripper) http.RoundTripper {
	return fetchSimRoundTrip(func(r *http.Request) (*http.Response, error) {
		now := time.Now()
		p := fetchSimPlatformOf(r.URL.Path)
		l.mu.Lock()
		if l.times == nil {
			l.times = map[string][]time.Time{}
		}
		l.times[p] = append(l.times[p], now)
		l.mu.Unlock()
		return next.RoundTrip(r)
	})
}

// burst is, per platform, max over i ≤ j of (j−i+1) − rate·(t_j − t_i): the tokens a bucket
// refilling at the platform's rate must hold to accept every send as the client made it. A
// client pacing perfectly at the rate needs 1.
func (l *fetchSimSends) burst(rates map[string]float64) map[string]float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]float64{}
	for p, ts := range l.times {
		slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
		r := rates[p]
		minX, need := math.Inf(1), 0.0
		for k, t := range ts {
			x := float64(k) - r*t.Sub(ts[0]).Seconds()
			minX = min(minX, x)
			need = max(need, x-minX+1)
		}
		out[p] = need
	}
	return out
}

// last is, per platform, when its last request left, measured from start.
func (l *fetchSimSends) last(start time.Time) map[string]time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]time.Duration{}
	for p, ts := range l.times {
		for _, t := range ts {
			out[p] = max(out[p], t.Sub(start))
		}
	}
	return out
}

func fetchSimPlatformOf(path string) string {
	switch {
	case strings.HasPrefix(path, "/api/container/"):
		return platformsim.Weibo
	case strings.HasPrefix(path, "/cgi-bin/"):
		return platformsim.WeChatMP
	default:
		return platformsim.Tieba
	}
}

type fetchSimRoundTrip func(*http.Request) (*http.Response, error)

func (f fetchSimRoundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// The simulator child process. The benchmark re-executes this test binary with
// fetchSimChildEnv set to the JSON of platformsim.Options; TestFetchSimServer then starts the
// simulator, writes a fetchSimHello line on stdout, serves until its stdin closes, and writes a
// fetchSimBye line.

const fetchSimChildEnv = "NMAUDIT_FETCHSIM_CHILD"

type fetchSimHello struct {
	URL      string
	Accounts []platformsim.Account
}

type fetchSimBye struct {
	Stats map[string]platformsim.Stats
	CPU   time.Duration // the simulator's CPU from hello to bye
}

// TestFetchSimServer is BenchmarkFetchSim's simulator process; it is skipped in normal runs.
func TestFetchSimServer(t *testing.T) {
	spec := os.Getenv(fetchSimChildEnv)
	if spec == "" {
		t.Skip("the simulator process of BenchmarkFetchSim")
	}
	var opts platformsim.Options
	if err := json.Unmarshal([]byte(spec), &opts); err != nil {
		t.Fatal(err)
	}
	sim := platformsim.Start(opts)
	defer sim.Close()
	out := json.NewEncoder(os.Stdout)
	if err := out.Encode(fetchSimHello{URL: sim.URL, Accounts: sim.Accounts()}); err != nil {
		t.Fatal(err)
	}
	cpu0 := fetchSimCPU()
	io.Copy(io.Discard, os.Stdin)
	if err := out.Encode(fetchSimBye{Stats: sim.Stats(), CPU: fetchSimCPU() - cpu0}); err != nil {
		t.Fatal(err)
	}
}

type fetchSimChild struct {
	fetchSimHello
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
}

func startFetchSimChild(opts platformsim.Options) (*fetchSimChild, error) {
	spec, err := json.Marshal(opts)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestFetchSimServer$", "-test.bench=^$", "-test.count=1")
	cmd.Env = append(os.Environ(), fetchSimChildEnv+"="+string(spec))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &fetchSimChild{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
	if err := c.read(&c.fetchSimHello); err != nil || c.URL == "" {
		stdin.Close()
		cmd.Wait()
		return nil, fmt.Errorf("simulator process: no start line (%v)", err)
	}
	return c, nil
}

// read decodes the child's next JSON line, skipping anything else the test binary prints.
func (c *fetchSimChild) read(v any) error {
	for {
		line, err := c.out.ReadBytes('\n')
		if len(line) > 0 && line[0] == '{' {
			return json.Unmarshal(line, v)
		}
		if err != nil {
			return err
		}
	}
}

// stop ends the child and returns its counters and CPU time.
func (c *fetchSimChild) stop() (map[string]platformsim.Stats, time.Duration, error) {
	c.stdin.Close()
	var bye fetchSimBye
	rerr := c.read(&bye)
	io.Copy(io.Discard, c.out)
	werr := c.cmd.Wait()
	if rerr != nil || bye.Stats == nil {
		return nil, 0, fmt.Errorf("simulator process: no final line (%v; exit: %v)", rerr, werr)
	}
	return bye.Stats, bye.CPU, nil
}

// fetchSimCPU is this process's user+system CPU time so far.
func fetchSimCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func fetchSimEnvInt(b *testing.B, key string, def int) int {
	s := os.Getenv(key)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		b.Fatalf("%s=%q: want a non-negative integer", key, s)
	}
	return n
}

func fetchSimEnvDuration(b *testing.B, key string, def time.Duration) time.Duration {
	s := os.Getenv(key)
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		b.Fatalf("%s=%q: want a duration such as 30ms", key, s)
	}
	return d
}
