package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/audit/store/pgtest"
	"github.com/nmaudit/nmaudit/platforms/platformsim"
)

// BenchmarkDistributed is issue 13's benchmark (make bench-distributed): 4,000 accounts against
// the simulator, which budgets each credential separately at NMAUDIT_BENCH_RATE requests per
// second per platform (default 50), checked by 1, 2 and 4 `nmaudit worker` processes with
// distinct credentials, each pacing itself at that rate, coordinated by `check --distributed`.
// For each it reports the wall time from the coordinator's start to its report, as a ratio to
// the ideal bound — the busiest platform's requests ÷ (workers × rate) — (goal ≤ 1.15 at 4
// workers), and the coordinator's and Postgres's CPU per account. Skipped unless
// NMAUDIT_BENCH_DISTRIBUTED is set.
func BenchmarkDistributed(b *testing.B) {
	if os.Getenv("NMAUDIT_BENCH_DISTRIBUTED") == "" {
		b.Skip("make bench-distributed (NMAUDIT_BENCH_DISTRIBUTED=1)")
	}
	rate := 50.0
	if v := os.Getenv("NMAUDIT_BENCH_RATE"); v != "" {
		rate, _ = strconv.ParseFloat(v, 64)
	}
	accounts := 4000
	if v := os.Getenv("NMAUDIT_BENCH_ACCOUNTS"); v != "" {
		accounts, _ = strconv.Atoi(v)
	}
	cluster, err := pgtest.Start()
	if err != nil {
		b.Skipf("PostgreSQL: %v", err)
	}
	defer cluster.Close()
	sim := platformsim.Start(platformsim.Options{Seed: 4000, Accounts: accounts, Latency: 10 * time.Millisecond, PerCredential: true,
		Rates: map[string]float64{platformsim.Weibo: rate, platformsim.Tieba: rate, platformsim.WeChatMP: rate}, Burst: 2})
	defer sim.Close()
	dir := b.TempDir()
	reg := filepath.Join(dir, "registry.xlsx")
	writeSimRegistry(b, reg, sim, true)
	bin := buildBinary(b)
	base := os.Environ()
	for _, k := range []string{"WEIBO_BASE_URL", "WEIBO_VISITOR_BASE_URL", "TIEBA_BASE_URL", "TIEBA_WEB_BASE_URL", "WECHAT_MP_BASE_URL"} {
		base = append(base, "NMAUDIT_PLATFORMS_"+k+"="+sim.URL)
	}
	for _, p := range []string{"WEIBO", "TIEBA", "WECHAT"} {
		base = append(base, fmt.Sprintf("NMAUDIT_PLATFORMS_%s_RATE=%g", p, rate), "NMAUDIT_PLATFORMS_"+p+"_BURST=1")
	}
	base = append(base, "XDG_DATA_HOME="+dir)
	for _, workers := range []int{1, 2, 4} {
		url, err := cluster.NewDatabase()
		if err != nil {
			b.Fatal(err)
		}
		before := sim.Stats()
		var procs []*exec.Cmd
		for i := range workers {
			cmd := exec.Command(bin, "worker", "--db", url, "--concurrency", "4", "-q")
			cmd.Env = append([]string{}, base...)
			for k, v := range workerSecrets(i) {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			var errb bytes.Buffer
			cmd.Stderr = &errb
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			procs = append(procs, cmd)
		}
		time.Sleep(2 * time.Second) // the workers are up, as in production, before the run starts
		pg0 := procCPU(cluster.PID())
		start := time.Now()
		coord := exec.Command(bin, "check", "--registry", reg, "--at", "2022-08-22", "--db", url, "--distributed",
			"--format", "json", "-o", filepath.Join(dir, fmt.Sprintf("run%d.json", workers)), "-q")
		coord.Env = base
		var cerr bytes.Buffer
		coord.Stderr = &cerr
		if err := coord.Run(); err != nil {
			b.Fatalf("%d workers: coordinator: %v\n%s", workers, err, cerr.String())
		}
		wall := time.Since(start)
		coordCPU := coord.ProcessState.UserTime() + coord.ProcessState.SystemTime()
		for _, p := range procs {
			p.Process.Signal(syscall.SIGTERM)
			p.Wait()
		}
		time.Sleep(500 * time.Millisecond) // the workers' sessions end and are reaped
		pgCPU := procCPU(cluster.PID()) - pg0
		after := sim.Stats()
		var bound time.Duration
		var reqs, rejected int64
		for _, p := range []string{platformsim.Weibo, platformsim.Tieba, platformsim.WeChatMP} {
			n := after[p].Requests - before[p].Requests
			reqs += n
			rejected += after[p].Rejected - before[p].Rejected
			bound = max(bound, time.Duration(float64(n)/(float64(workers)*rate)*float64(time.Second)))
		}
		ratio := wall.Seconds() / bound.Seconds()
		b.ReportMetric(ratio, fmt.Sprintf("wall/bound-%dw", workers))
		b.ReportMetric(wall.Seconds(), fmt.Sprintf("s-%dw", workers))
		b.ReportMetric(float64(coordCPU.Microseconds())/1e3/float64(accounts), fmt.Sprintf("coord-cpu-ms/acct-%dw", workers))
		b.ReportMetric(float64(pgCPU.Microseconds())/1e3/float64(accounts), fmt.Sprintf("pg-cpu-ms/acct-%dw", workers))
		fmt.Fprintf(os.Stderr, "distributed, %d worker(s): %d accounts, %d requests (%d rejected), wall %v, bound %v, wall/bound %.3f; CPU per account: coordinator %.2f ms, Postgres %.2f ms\n",
			workers, accounts, reqs, rejected, wall.Round(time.Millisecond), bound.Round(time.Millisecond), ratio,
			float64(coordCPU.Microseconds())/1e3/float64(accounts), float64(pgCPU.Microseconds())/1e3/float64(accounts))
	}
}

// procCPU is the CPU time of process pid and of its children that have ended (Linux
// /proc/PID/stat: utime, stime, cutime, cstime), 0 where it cannot be read.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+2:]
	}
	f := strings.Fields(s)
	if len(f) < 15 {
		return 0
	}
	var ticks int64
	for _, x := range f[11:15] { // fields 14–17 of the stat line, counted after the name
		n, _ := strconv.ParseInt(x, 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ
}
