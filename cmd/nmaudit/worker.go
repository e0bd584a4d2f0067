package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/audit/distributed"
	"github.com/nmaudit/nmaudit/audit/history"
	"github.com/nmaudit/nmaudit/audit/store"
	"github.com/nmaudit/nmaudit/config"
	"github.com/nmaudit/nmaudit/platforms"
)

// Province scale (issue 13): `check --distributed` coordinates a run whose accounts are
// fetched by `nmaudit worker` processes on any number of machines, all sharing one Postgres
// history; audit/distributed does the work, this file binds flags, config and streams to it.

// workerFlags are how a worker takes jobs: `nmaudit worker`'s flags, and check --work's.
type workerFlags struct {
	Platforms   string
	Concurrency int
	Drain       time.Duration
	JobTimeout  time.Duration
	RescueAfter time.Duration
	MaxAttempts int
}

func (w *workerFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.DurationVar(&w.JobTimeout, "job-timeout", distributed.DefaultJobTimeout, "一个账号的检查（含重试和等待）最长用时")
	f.DurationVar(&w.RescueAfter, "rescue-after", distributed.DefaultRescueAfter, "执行中的任务多久无结果即视为其检查机已中断，交给其他检查机（须大于 --job-timeout）")
	f.IntVar(&w.MaxAttempts, "max-attempts", distributed.DefaultMaxAttempts, "一个任务最多尝试几次，之后该账号判为待核查并写明原因")
}

type workerOptions struct {
	workerFlags
	Quiet bool
}

func newWorkerCmd(s *streams) *cobra.Command {
	opts := &workerOptions{}
	cmd := &cobra.Command{
		Use:   "worker --db postgres://… [--platforms weibo,tieba]",
		Short: "分布式检查的检查机：从 Postgres 历史数据库的任务队列领取账号并检查，直到被停止",
		Long: `nmaudit worker 从共享的 Postgres 历史数据库（--db、配置 store.url 或环境变量 NMAUDIT_STORE_URL）
的任务队列领取 nmaudit check --distributed 排队的账号，用本机的配置（凭据、频率限制、网络出口）向平台
查询并判定，判定结果直接写入历史数据库。可在任意多台机器上同时运行；每台只领取 --platforms 所列平台的
账号。凭据只在本机配置中，从不写入数据库或任务队列。

收到 SIGTERM 或 Ctrl-C 时停止领取新任务，等待进行中的任务完成（最多 --drain），其余任务交还队列由其他
检查机继续。`,
		Example: `  NMAUDIT_STORE_URL=postgres://audit:密码@db.example/nmaudit nmaudit worker
  nmaudit worker --db postgres://audit@db.example/nmaudit --platforms weibo,tieba --config 本机.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(cmd, map[string]string{"concurrency": "concurrency"})
			if err != nil {
				return err
			}
			return runWorker(cmd, s, cfg, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Platforms, "platforms", "weibo,tieba,wechat", "只领取这些平台的账号（逗号分隔：weibo, tieba, wechat）")
	f.IntVar(&opts.Concurrency, "concurrency", 4, "每个平台同时检查的账号数（各平台仍遵守本机的频率限制）")
	f.DurationVar(&opts.Drain, "drain", 30*time.Second, "停止时等待进行中任务完成的最长时间")
	f.BoolVarP(&opts.Quiet, "quiet", "q", false, "不显示启动与停止以外的提示")
	opts.register(cmd)
	return cmd
}

// postgresLocation is the history's URL for a command that needs Postgres (worker, check
// --distributed): a file there is bad usage.
func postgresLocation(cmd *cobra.Command, cfg *config.Config, what string) (history.Location, history.Options, error) {
	loc, opt, err := storeLocation(cmd, cfg)
	if err != nil {
		return loc, opt, err
	}
	if !store.IsURL(loc.Path) {
		return loc, opt, usageErrorf("%s需要 Postgres 历史数据库：--db postgres://用户:密码@主机/数据库（或配置 store.url、环境变量 NMAUDIT_STORE_URL）；当前为 %s", what, loc.Path)
	}
	return loc, opt, nil
}

func runWorker(cmd *cobra.Command, s *streams, cfg *config.Config, opts *workerOptions) error {
	loc, hopt, err := postgresLocation(cmd, cfg, "nmaudit worker ")
	if err != nil {
		return err
	}
	plats, err := parsePlatforms(opts.Platforms)
	if err != nil {
		return err
	}
	if opts.RescueAfter <= opts.JobTimeout {
		return usageErrorf("--rescue-after %v 必须大于 --job-timeout %v", opts.RescueAfter, opts.JobTimeout)
	}
	// The worker may be the first to use the database: it creates nmaudit's and River's tables.
	st, err := history.OpenForWrite(loc, hopt)
	if err != nil {
		return err
	}
	defer st.Close()
	pool, err := distributed.Connect(loc.Path, int32(4+2*len(plats)+opts.Concurrency))
	if err != nil {
		return err
	}
	defer pool.Close()
	ctx := s.Context
	if err := distributed.Migrate(ctx, pool, loc.Path); err != nil {
		return err
	}
	var decided atomic.Int64
	w, err := newDistributedWorker(s, cfg, st, pool, loc.Path, plats, max(opts.Concurrency, cfg.Concurrency), opts.workerFlags)
	if err != nil {
		return err
	}
	w.Decided = func(string, int, audit.Verdict) { decided.Add(1) }
	// River's own loops stop when the context they started with ends; the worker stops on
	// the signal through Stop, which drains first.
	if err := w.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("nmaudit worker：%w", distributed.Redacted(err, loc.Path))
	}
	names := make([]string, len(plats))
	for i, p := range plats {
		names[i] = string(p)
	}
	fmt.Fprintf(s.Err, "nmaudit worker 已启动：平台 %s，每个平台同时 %d 个账号，历史数据库 %s\n",
		strings.Join(names, ","), w.Concurrency, store.Redact(loc.Path))
	<-ctx.Done()
	fmt.Fprintf(s.Err, "nmaudit worker 正在停止：等待进行中的任务完成（最多 %v），其余交还队列\n", opts.Drain)
	if err := w.Stop(opts.Drain); err != nil {
		return fmt.Errorf("nmaudit worker：停止时：%w", distributed.Redacted(err, loc.Path))
	}
	fmt.Fprintf(s.Err, "nmaudit worker 已停止：本次判定 %d 个账号\n", decided.Load())
	return nil
}

func parsePlatforms(list string) ([]platforms.Platform, error) {
	var out []platforms.Platform
	seen := map[platforms.Platform]bool{}
	for _, name := range strings.Split(list, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		p := platforms.Platform(name)
		ok := false
		for _, q := range distributed.Queues {
			ok = ok || p == q
		}
		if !ok {
			return nil, usageErrorf("--platforms：未知平台 %q（可用 weibo, tieba, wechat）", name)
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, usageErrorf("--platforms：至少要有一个平台")
	}
	return out, nil
}

// newDistributedWorker builds a worker whose fetchers are built exactly as check builds them
// (buildFetchers), from this machine's config: its credentials, rate limits and network.
// Fetchers are built per window (WeChat's adapter needs it) and share one pacer per platform.
func newDistributedWorker(s *streams, cfg *config.Config, st *store.Store, pool *pgxpool.Pool, url string,
	plats []platforms.Platform, concurrency int, wf workerFlags) (*distributed.Worker, error) {
	var mu sync.Mutex
	pacers := map[platforms.Platform]*platforms.Pacer{}
	var red *platforms.Redactor
	var noticed sync.Map
	build := func(p audit.Params) (audit.FetchFunc, audit.LinkFunc, error) {
		f, err := buildFetchers(cfg, fetchOptions{Now: s.Now, Window: p.Window.D, CheckTime: p.CheckTime, Workers: concurrency,
			Notice: func(msg string) {
				if _, dup := noticed.LoadOrStore(msg, true); !dup {
					printNotices(s.Err, []string{msg})
				}
			},
			Pacer: func(name platforms.Platform, l platforms.Limits) *platforms.Pacer {
				mu.Lock()
				defer mu.Unlock()
				if pacers[name] == nil {
					pacers[name] = platforms.NewPacer(l)
				}
				return pacers[name]
			}})
		if err != nil {
			return nil, nil, err
		}
		mu.Lock()
		red = f.Redactor
		mu.Unlock()
		return f.Registry.Fetch, f.Registry.CheckLink, nil
	}
	// Build once now: a config the adapters refuse fails the worker at start, not per job.
	if _, _, err := build(audit.Params{Window: audit.Window{D: 14 * 24 * time.Hour}}); err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	return &distributed.Worker{Store: st, Pool: pool, URL: url, Platforms: plats, Concurrency: concurrency,
		Fetchers: build, Logger: distributed.Logger(slog.NewTextHandler(s.Err, &slog.HandlerOptions{Level: slog.LevelWarn}), url),
		JobTimeout: wf.JobTimeout, RescueAfter: wf.RescueAfter, MaxAttempts: wf.MaxAttempts, Now: s.Now,
		ID: fmt.Sprintf("nmaudit-%s-%d-%d", host, os.Getpid(), time.Now().UnixNano()%1e6),
		Redact: func(msg string) string {
			mu.Lock()
			defer mu.Unlock()
			if red == nil {
				return msg
			}
			return red.String(msg)
		}}, nil
}

// runDistributed coordinates check c as a distributed run: recorded, its scope and jobs put
// in the database, decided by workers (and by this process too with --work), reported when
// every account is decided.
func runDistributed(ctx context.Context, cmd *cobra.Command, s *streams, cfg *config.Config, opts *checkOptions, h *runRecorder, c *audit.Check) (*audit.Result, error) {
	loc, _, err := postgresLocation(cmd, cfg, "--distributed ")
	if err != nil {
		return nil, err
	}
	pool, err := distributed.Connect(loc.Path, 8+int32(opts.Concurrency))
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	if err := distributed.Migrate(ctx, pool, loc.Path); err != nil {
		return nil, err
	}
	return h.distribute(ctx, c, func(rec *history.Recorder) (*audit.Result, error) {
		logger := distributed.Logger(slog.NewTextHandler(s.Err, &slog.HandlerOptions{Level: slog.LevelWarn}), loc.Path)
		if opts.Work {
			w, err := newDistributedWorker(s, cfg, rec.Store(), pool, loc.Path, distributed.Queues, max(opts.Concurrency, 1), opts.worker)
			if err != nil {
				return nil, err
			}
			if err := w.Start(context.WithoutCancel(ctx)); err != nil {
				return nil, fmt.Errorf("--work：%w", distributed.Redacted(err, loc.Path))
			}
			defer w.Stop(30 * time.Second)
		}
		co := &distributed.Coordinator{Store: rec.Store(), Pool: pool, URL: loc.Path, Logger: logger, Now: s.Now,
			MaxAttempts: opts.worker.MaxAttempts,
			Notice:      func(msg string) { printNotices(s.Err, []string{msg}) }}
		bar := progressBar(s, opts.Quiet)
		started := false
		last := time.Time{}
		co.Progress = func(done, total int) {
			if !started {
				started = true
				r := rec.Run()
				printNotices(s.Err, []string{fmt.Sprintf("分布式运行 %s：%d 个账号，本次加入任务队列 %d 个，等待 nmaudit worker 检查（历史数据库 %s）",
					r.ID, total, co.Enqueued, store.Redact(loc.Path))})
			}
			if bar != nil {
				bar.ChangeMax(total)
				_ = bar.Set(done)
			} else if !opts.Quiet && time.Since(last) > 10*time.Second {
				last = time.Now()
				fmt.Fprintf(s.Err, "已判定 %d / %d 个账号\n", done, total)
			}
		}
		res, err := co.Run(ctx, rec, c)
		if bar != nil {
			bar.Finish()
		}
		return res, err
	})
}
