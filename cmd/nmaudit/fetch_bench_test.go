package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
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
// Weibo, Tieba and WeChat, audited by the real fetchers (buildFetchers) and audit.Check against
// platformsim, a local server with per-request latency and server-side per-platform rate limits
// equal to the client's configured rates.
//
// It fails unless every verdict is the one the simulator expects (合格 for fresh accounts,
// 不合格 for stale ones, with the expected newest post time) and the simulator rejected no
// request. It reports:
//
//	accounts/s     accounts decided per second of wall time
//	wall/bound     wall time ÷ the ideal bound: max over platforms of (requests the platform
//	               received ÷ its configured rate), platforms running in parallel
//	wall/minbound  the same with the fewest requests an account can take (Weibo 1, Tieba 2:
//	               user_json + userpost, WeChat 1 with the fakeid given), so extra requests
//	               (retries, paging) show up here and not in wall/bound
//	cpu-ms/acct    process CPU (user+sys, getrusage) ÷ accounts; the simulator runs in the same
//	               process, so this is an upper bound on the client's own CPU
//	req-*          requests each platform received; rejected: over-budget answers
//	dials          TCP connections the client opened (the transport is a clone of
//	               http.DefaultTransport, so connection reuse is the production one)
//
// Knobs for investigation (environment): NMAUDIT_FETCHSIM_ACCOUNTS (default 1000),
// NMAUDIT_FETCHSIM_LATENCY (default 30ms), NMAUDIT_FETCHSIM_CONCURRENCY (default: config
// default, 4), NMAUDIT_FETCHSIM_IDLE (MaxIdleConnsPerHost of the client transport; default
// http.DefaultTransport's), NMAUDIT_FETCHSIM_BURST (client burst, default 1).
func BenchmarkFetchSim(b *testing.B) {
	cfgDefault := config.Default()
	var (
		accounts    = envInt(b, "NMAUDIT_FETCHSIM_ACCOUNTS", 1000)
		latency     = envDuration(b, "NMAUDIT_FETCHSIM_LATENCY", 30*time.Millisecond)
		concurrency = envInt(b, "NMAUDIT_FETCHSIM_CONCURRENCY", cfgDefault.Concurrency)
		idle        = envInt(b, "NMAUDIT_FETCHSIM_IDLE", 0)
		burst       = envInt(b, "NMAUDIT_FETCHSIM_BURST", 1)
	)
	// Client rates (requests/s). Tieba takes two requests per account, so it gets twice the
	// rate, which balances the three platforms at ~8.3 s each for 1,000 accounts.
	rates := map[string]float64{platformsim.Weibo: 40, platformsim.Tieba: 80, platformsim.WeChatMP: 40}
	minPerAccount := map[string]int{platformsim.Weibo: 1, platformsim.Tieba: 2, platformsim.WeChatMP: 1}
	simKey := map[platforms.Platform]string{platforms.Weibo: platformsim.Weibo, platforms.Tieba: platformsim.Tieba, platforms.WeChat: platformsim.WeChatMP}

	var last fetchSimRun
	for range b.N {
		b.StopTimer()
		sim := platformsim.Start(platformsim.Options{
			Latency:  latency,
			Rates:    rates, // the platforms' budgets, equal to the client's configured rates
			Burst:    2,     // tolerates scheduling jitter between client and server clocks (see Options.Burst)
			Accounts: accounts,
			Seed:     1,
		})
		run, err := fetchSimOnce(b, sim, rates, burst, concurrency, idle)
		sim.Close()
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		last = run
	}

	// The bounds, from the last run.
	perPlatform := map[string]int{}
	for _, a := range last.accounts {
		perPlatform[simKey[a.Platform]]++
	}
	var bound, minBound float64
	var rejected int64
	for p, rps := range rates {
		st := last.stats[p]
		bound = max(bound, float64(st.Requests)/rps)
		minBound = max(minBound, float64(perPlatform[p]*minPerAccount[p])/rps)
		rejected += st.Rejected
	}
	wall := last.wall.Seconds()
	n := float64(len(last.accounts))
	b.ReportMetric(n/wall, "accounts/s")
	b.ReportMetric(wall/bound, "wall/bound")
	b.ReportMetric(wall/minBound, "wall/minbound")
	b.ReportMetric(last.cpu.Seconds()*1000/n, "cpu-ms/acct")
	b.ReportMetric(float64(last.stats[platformsim.Weibo].Requests), "req-weibo")
	b.ReportMetric(float64(last.stats[platformsim.Tieba].Requests), "req-tieba")
	b.ReportMetric(float64(last.stats[platformsim.WeChatMP].Requests), "req-wechat")
	b.ReportMetric(float64(rejected), "rejected")
	b.ReportMetric(float64(last.dials), "dials")
	b.Logf("%d accounts (%v), latency %v, concurrency %d, client burst %d: wall %.2fs, bound %.2fs, min bound %.2fs, CPU %.2fs",
		len(last.accounts), perPlatform, latency, concurrency, burst, wall, bound, minBound, last.cpu.Seconds())
	for _, p := range []string{platformsim.Weibo, platformsim.Tieba, platformsim.WeChatMP} {
		st := last.stats[p]
		b.Logf("  %-9s %4d requests (min %4d) at %3.0f/s = %5.2fs, %d rejected",
			p, st.Requests, perPlatform[p]*minPerAccount[p], rates[p], float64(st.Requests)/rates[p], st.Rejected)
	}
}

type fetchSimRun struct {
	accounts []platformsim.Account
	stats    map[string]platformsim.Stats
	wall     time.Duration
	cpu      time.Duration
	dials    int64
}

// fetchSimOnce audits every simulated account once through the production wiring and checks
// every verdict.
func fetchSimOnce(b *testing.B, sim *platformsim.Sim, rates map[string]float64, burst, concurrency, idle int) (fetchSimRun, error) {
	run := fetchSimRun{accounts: sim.Accounts()}

	cfg := config.Default()
	pc := &cfg.Platforms
	pc.Weibo.BaseURL = sim.URL
	pc.Weibo.Rate, pc.Weibo.Burst = rates[platformsim.Weibo], burst
	pc.Tieba.BaseURL, pc.Tieba.WebBaseURL = sim.URL, sim.URL
	pc.Tieba.Rate, pc.Tieba.Burst = rates[platformsim.Tieba], burst
	pc.WeChat.MPBaseURL = sim.URL
	pc.WeChat.MPToken, pc.WeChat.MPCookie = "608398971", "slave_sid=benchSimSession; slave_user=gh_bench"
	pc.WeChat.Rate, pc.WeChat.Burst = rates[platformsim.WeChatMP], burst

	// A clone of http.DefaultTransport (what production uses) that counts the connections it opens.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if idle > 0 {
		tr.MaxIdleConnsPerHost = idle
	}
	var dials atomic.Int64
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return dialer.DialContext(ctx, network, addr)
	}
	defer tr.CloseIdleConnections()

	T := platformsim.DefaultCheckTime
	window := audit.Window{D: 14 * 24 * time.Hour}
	f, err := buildFetchers(&cfg, fetchOptions{Window: window.D, CheckTime: T, Transport: tr})
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
		Concurrency: concurrency,
	}

	runtime.GC()
	cpu0 := processCPU()
	start := time.Now()
	b.StartTimer()
	res, err := check.Run(context.Background())
	b.StopTimer()
	run.wall = time.Since(start)
	run.cpu = processCPU() - cpu0
	run.stats = sim.Stats()
	run.dials = dials.Load()
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
		ok := v.Name == a.Name && v.Status == want && v.LatestPostAt != nil && v.LatestPostAt.Equal(a.Latest)
		if !ok {
			wrong++
			if wrong <= 10 {
				got := "none"
				if v.LatestPostAt != nil {
					got = v.LatestPostAt.String()
				}
				b.Errorf("%s (%s): got %s, latest %s (%s); want %s, latest %v",
					a.Name, a.Platform, v.Status.Label(), got, v.Detail, want.Label(), a.Latest)
			}
		}
	}
	var rejected int64
	for _, st := range run.stats {
		rejected += st.Rejected
	}
	if wrong > 0 || rejected > 0 {
		return run, fmt.Errorf("%d of %d verdicts wrong; the simulator rejected %d requests (%v)", wrong, len(run.accounts), rejected, run.stats)
	}
	return run, nil
}

// processCPU is the process's user+system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func envInt(b *testing.B, key string, def int) int {
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

func envDuration(b *testing.B, key string, def time.Duration) time.Duration {
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
