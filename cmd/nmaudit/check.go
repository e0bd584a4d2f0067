package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/audit/report"
	"github.com/nmaudit/nmaudit/config"
	"github.com/nmaudit/nmaudit/platforms"
)

// checkOptions are `nmaudit check`'s flags (design.md, the stable command-line contract).
type checkOptions struct {
	Registry     string
	Sheet        string
	Accounts     string
	At           string
	Window       string
	Observations string
	Findings     string
	Offline      bool
	Record       string
	Replay       string
	Concurrency  int
	Quiet        bool
	// Distributed enqueues the accounts for nmaudit worker processes (Postgres history only);
	// Work makes this process one of the workers too (worker.go).
	Distributed bool
	Work        bool
	worker      workerFlags
	report      reportFlags
	history     historyFlags // --resume (db.go)
}

var checkFormats = []string{"table", "json", "csv", "md", "xlsx"}

func newCheckCmd(s *streams) *cobra.Command {
	opts := &checkOptions{}
	cmd := &cobra.Command{
		Use:   "check --registry FILE [flags]",
		Short: "检查范围内每个账号的最近更新时间，输出检查结果",
		Long: `check 读取信息报送系统导出（--registry），排除已关停/注销的账号，把注销中的账号单列，向各平台
查询其余每个账号在监测时间点（--at，默认现在）之前的最近一次更新，按更新窗口（--window，默认 14 天）
认定合格、不合格或待核查，并输出检查结果：分层级统计、不合格名单、待核查清单。

只有平台给出确定答复、且已读到窗口起点之前（或列表确已到底）时才认定不合格；其余一律待核查，并写明
原因和处理办法。运行结束时在标准错误输出检查说明：各途径认定了多少账号，其余账号该怎么办。

每次运行都记入检查记录数据库（见 --db）；中断的运行可以用 --resume 续跑。`,
		Example: `  nmaudit check --registry 信息报送系统导出.xlsx --at 2022-08-22
  nmaudit check --registry reg.csv --accounts 抽查名单.xlsx --format json | jq .summary
  nmaudit check --registry reg.xlsx --offline --observations 人工记录.xlsx --format xlsx -o 检查结果.xlsx`,
		Args: cobra.MaximumNArgs(1), // RUN, with --resume
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(cmd, map[string]string{"window": "window", "concurrency": "concurrency"})
			if err != nil {
				return err
			}
			return runCheck(cmd, s, cfg, opts, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Registry, "registry", "", "信息报送系统导出 `FILE`，.xlsx 或 .csv（必填）")
	f.StringVar(&opts.Sheet, "sheet", "", "读取导出 .xlsx 的哪张工作表 `SHEET`（默认：有表头的那张）")
	f.StringVar(&opts.Accounts, "accounts", "", "检查名单 `FILE`（抽查名单或某区县的名单）；默认检查导出中的全部账号")
	f.StringVar(&opts.At, "at", "", "监测时间点：RFC 3339、“2006-01-02 15:04”或“2006-01-02”；默认现在")
	f.StringVar(&opts.Window, "window", "14d", "更新窗口：如 14d、2w 或 336h")
	f.StringVar(&opts.Observations, "observations", "", "人工记录的最近更新时间或文章链接 `FILE`（.xlsx/.csv）")
	f.StringVar(&opts.Findings, "findings", "", "人工检查发现的单项否决问题 `FILE`（.xlsx/.csv）")
	f.BoolVar(&opts.Offline, "offline", false, "不访问任何平台，只按 --observations 认定")
	f.StringVar(&opts.Record, "record", "", "把每次 HTTP 交互（已去除密钥）保存到文件夹 `DIR` 作为证据")
	f.StringVar(&opts.Replay, "replay", "", "用 --record 保存的文件夹 `DIR` 应答所有请求，不联网")
	f.IntVar(&opts.Concurrency, "concurrency", 4, "每个平台同时检查的账号数（各平台仍遵守各自的频率限制）")
	f.BoolVarP(&opts.Quiet, "quiet", "q", false, "不显示进度条")
	f.BoolVar(&opts.Distributed, "distributed", false, "分布式检查：把账号加入 Postgres 历史数据库的任务队列，由各机器上的 nmaudit worker 检查，全部判定后输出报告")
	f.BoolVar(&opts.Work, "work", false, "与 --distributed 一起：本进程也作为一台检查机领取任务")
	opts.worker.register(cmd)
	opts.report.register(f, checkFormats)
	opts.history.register(f)
	return cmd
}

func runCheck(cmd *cobra.Command, s *streams, cfg *config.Config, opts *checkOptions, args []string) error {
	// The run is recorded in the history store; --resume fills opts from the run it continues.
	h, err := openCheckHistory(cmd, s, cfg, opts, args)
	if err != nil {
		return err
	}
	defer h.Close()
	if opts.Registry == "" {
		return usageErrorf("必须用 --registry FILE 指定信息报送系统导出")
	}
	if err := opts.report.validate(checkFormats); err != nil {
		return err
	}
	if opts.Offline && (opts.Record != "" || opts.Replay != "") {
		return usageErrorf("--offline 不访问平台，不能与 --record 或 --replay 同用")
	}
	if opts.Record != "" && opts.Replay != "" {
		return usageErrorf("--record 和 --replay 不能同用")
	}
	if h.resume != nil && h.resume.Distributed {
		opts.Distributed = true // reattach: the workers decide what is left
	} else if h.resume != nil && opts.Distributed {
		return usageErrorf("--resume：运行 %s 不是分布式运行，不能加 --distributed", h.resume.ID)
	}
	if opts.Work && !opts.Distributed {
		return usageErrorf("--work 只能与 --distributed 一起使用")
	}
	if opts.Distributed && (opts.Offline || opts.Record != "" || opts.Replay != "") {
		return usageErrorf("--distributed 由各检查机联网检查：不能与 --offline、--record 或 --replay 一起使用")
	}
	at := opts.At
	if opts.Replay != "" {
		var err error
		if at, err = replayDefaults(cmd, cfg, opts); err != nil {
			return err
		}
	}
	params, err := checkParams(cfg, at, s.Now)
	if err != nil {
		return err
	}
	in, err := loadCheckInputs(cmd.Context(), cfg, opts)
	if err != nil {
		return err
	}
	limitMemory(len(in.registry.Accounts))
	check := &audit.Check{Params: params, Registry: in.registry, Targets: in.targets, TargetFile: opts.Accounts,
		Observations: in.observations, ObservationsFile: opts.Observations, Findings: in.findings, Concurrency: cfg.Concurrency}
	if opts.Distributed {
		res, err := runDistributed(cmd.Context(), cmd, s, cfg, opts, h, check)
		if err != nil {
			return err
		}
		printNotices(s.Err, res.Notices)
		printExplanation(s.Err, res, h.runID())
		return opts.report.write(s.Out, func(w io.Writer) error {
			return h.render(w, opts.report.Format, res, reportOptions(cfg))
		})
	}
	ctx, done, err := attachFetching(cmd.Context(), check, s, cfg, opts.Offline, opts.Quiet,
		fetchOptions{Record: opts.Record, Replay: opts.Replay, Resume: h.resume != nil})
	if err != nil {
		return err
	}
	res, err := h.check(ctx, check)
	done()
	if err != nil {
		return runFailure(ctx, err)
	}
	printNotices(s.Err, res.Notices)
	printExplanation(s.Err, res, h.runID())
	return opts.report.write(s.Out, func(w io.Writer) error {
		return h.render(w, opts.report.Format, res, reportOptions(cfg))
	})
}

// runFailure words a run that stopped: evidence that could not be written is the cause of the
// cancellation, not an interrupt, and the run can be resumed.
func runFailure(ctx context.Context, err error) error {
	var ee *platforms.EvidenceError
	if errors.Is(err, context.Canceled) && errors.As(context.Cause(ctx), &ee) {
		return fmt.Errorf("%w；本次运行未完成（已判定的账号已保存），处理后可用 nmaudit check --resume 继续", ee)
	}
	return err
}

// printExplanation prints the 检查说明 on stderr: how many accounts each route decided, and for
// every reason accounts are 待核查 how many and what to do about it (audit.Explain).
func printExplanation(w io.Writer, res *audit.Result, runID string) {
	ex := audit.Explain(res)
	if ex.Decided == 0 && ex.Review == 0 {
		return
	}
	var routes []string
	for _, r := range ex.Routes {
		routes = append(routes, fmt.Sprintf("%s %d", audit.SourceLabel(r.Source), r.Count))
	}
	fmt.Fprintln(w, "检查说明:")
	if ex.Decided > 0 {
		fmt.Fprintf(w, "  已判定 %d 个账号（合格或不合格）：%s\n", ex.Decided, strings.Join(routes, "、"))
	}
	if ex.Review == 0 {
		fmt.Fprintln(w, "  没有待核查的账号")
		return
	}
	fmt.Fprintf(w, "  待核查 %d 个账号：\n", ex.Review)
	for _, rc := range ex.Reasons {
		hint := rc.Hint
		if runID != "" {
			hint = strings.ReplaceAll(hint, " RUN ", " "+runID+" ")
		}
		fmt.Fprintf(w, "  · %s：%s %d 个 —— %s\n", report.PlatformLabel(rc.Platform), report.SafeText(rc.Reason), rc.Count, hint)
	}
}

// attachFetching wires a check's platform adapters (unless offline) and its progress bar. It
// returns the context the run must use — cancelled, with the *platforms.EvidenceError as its
// cause, when the evidence folder cannot be written — and a func that flushes the recording and
// finishes the bar; call it when the run ends. fo's Record, Replay and Resume are taken as
// given; its clock, window, check time and notices come from the streams and the check.
func attachFetching(ctx context.Context, c *audit.Check, s *streams, cfg *config.Config, offline, quiet bool, fo fetchOptions) (context.Context, func(), error) {
	ctx, cancel := context.WithCancelCause(ctx)
	cleanup := []func(){func() { cancel(nil) }}
	if !offline {
		fo.Now, fo.Window, fo.CheckTime, fo.Workers = s.Now, c.Params.Window.D, c.Params.CheckTime, c.Concurrency
		fo.Fail = func(err error) { cancel(err) }
		var noticed sync.Map
		fo.Notice = func(msg string) {
			if _, dup := noticed.LoadOrStore(msg, true); !dup {
				printNotices(s.Err, []string{msg})
			}
		}
		fetchers, err := buildFetchers(cfg, fo)
		if err != nil {
			cancel(nil)
			return nil, nil, err
		}
		cleanup = append(cleanup, func() {
			if err := fetchers.Close(); err != nil {
				// Every exchange was written as it happened (a failure there stopped the run);
				// what failed here is the table of contents, which the folder can do without.
				printNotices(s.Err, []string{fmt.Sprintf("证据记录索引写入失败（%v），各应答文件完整，回放不受影响", err)})
			}
		})
		c.Fetch = fetchers.Registry.Fetch
		c.CheckLink = fetchers.Registry.CheckLink
	}
	if bar := progressBar(s, quiet); bar != nil {
		c.Progress = func(done, total int) {
			bar.ChangeMax(total)
			_ = bar.Set(done)
		}
		cleanup = append(cleanup, func() { bar.Finish() })
	}
	return ctx, func() {
		for i := len(cleanup) - 1; i >= 0; i-- {
			cleanup[i]()
		}
	}, nil
}

// checkParams resolves the check time, window, policy and warning threshold.
func checkParams(cfg *config.Config, at string, now func() time.Time) (audit.Params, error) {
	T, err := parseAt(at, cfg.Location, now)
	if err != nil {
		return audit.Params{}, err
	}
	w, err := audit.ParseWindow(cfg.Window)
	if err != nil {
		return audit.Params{}, usageErrorf("--window: %v", err)
	}
	warn, _ := audit.ParseWindow(cfg.WarnAfter) // validated with the config
	policy, _ := audit.ParsePendingPolicy(cfg.PendingClosure)
	return audit.Params{CheckTime: T, Window: w, Pending: policy, WarnAfter: warn.D}, nil
}

type checkInputs struct {
	registry     *audit.Registry
	targets      []audit.Account
	observations []audit.Observation
	findings     []audit.Finding
}

// loadCheckInputs reads every input file; the first bad one stops with an error naming it.
func loadCheckInputs(ctx context.Context, cfg *config.Config, opts *checkOptions) (*checkInputs, error) {
	in := &checkInputs{}
	var err error
	ro := loadOptions(cfg, opts.Sheet)
	ro.Context = ctx // Ctrl-C stops a long load
	if in.registry, err = audit.LoadRegistry(opts.Registry, ro); err != nil {
		return nil, err
	}
	other := audit.LoadOptions{Columns: cfg.Registry.Columns, Context: ctx,
		Notify: func(n string) { in.registry.Notices = append(in.registry.Notices, n) }}
	if opts.Accounts != "" {
		var notices []string
		if in.targets, notices, err = audit.LoadTargets(opts.Accounts, other); err != nil {
			return nil, err
		}
		in.registry.Notices = append(in.registry.Notices, notices...)
	}
	if opts.Observations != "" {
		if in.observations, err = audit.LoadObservations(opts.Observations, other, cfg.Location); err != nil {
			return nil, err
		}
	}
	if opts.Findings != "" {
		if in.findings, err = audit.LoadFindings(opts.Findings, other); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// progressBar draws on stderr only when stderr is a terminal and --quiet is off, so logs and
// pipelines stay clean.
func progressBar(s *streams, quiet bool) *progressbar.ProgressBar {
	if quiet || !s.ErrIsTerminal {
		return nil
	}
	return progressbar.NewOptions(-1,
		progressbar.OptionSetWriter(s.Err),
		progressbar.OptionSetDescription("检查账号"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(100*time.Millisecond),
	)
}

// replayDefaults takes the check time and window from the recording: a replay answers the
// recorded run's questions, so it must ask them for the same moment. A flag that contradicts
// the recording is a usage error rather than a silently different verdict.
func replayDefaults(cmd *cobra.Command, cfg *config.Config, opts *checkOptions) (string, error) {
	meta, err := replayMeta(opts.Replay)
	if err != nil {
		return "", err
	}
	at := opts.At
	if rec := meta[metaCheckTime]; rec != "" {
		recT, err := time.Parse(time.RFC3339, rec)
		if err != nil {
			return "", usageErrorf("--replay %s：记录中的监测时间点 %q 无法识别", opts.Replay, rec)
		}
		if at == "" {
			at = rec
		} else if t, err := parseAt(at, cfg.Location, time.Now); err == nil && !t.Equal(recT) {
			return "", usageErrorf("--at %s 与记录的监测时间点 %s 不同", at, recT.In(cfg.Location).Format("2006-01-02 15:04:05"))
		}
	}
	if rec := meta[metaWindow]; rec != "" {
		if cmd.Flags().Changed("window") {
			w, err := audit.ParseWindow(cfg.Window)
			if err == nil && w.String() != rec {
				return "", usageErrorf("--window %s 与记录的更新窗口 %s 不同", cfg.Window, rec)
			}
		}
		cfg.Window = rec
	}
	return at, nil
}

// runID is the id of the run being recorded ("" before it is created).
func (h *runRecorder) runID() string {
	if h == nil || h.rec == nil || h.rec.Run() == nil {
		return ""
	}
	return h.rec.Run().ID
}
