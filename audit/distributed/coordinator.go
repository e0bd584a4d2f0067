package distributed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/audit/history"
	"github.com/nmaudit/nmaudit/audit/store"
)

// Coordinator runs a distributed check from the machine that holds its input files: it
// records the run and its scope, decides what needs no platform, enqueues the rest, follows
// the workers' progress in the store and finishes the run when every account is decided.
type Coordinator struct {
	Store *store.Store
	Pool  *pgxpool.Pool
	URL   string // for messages (redacted)
	// Progress, when set, is told how many accounts are decided, each time that is looked up.
	Progress func(done, total int)
	// Notice tells the user something about the run as it goes (a lost connection).
	Notice func(string)
	Logger *slog.Logger
	// Poll is how often the store is asked for progress (default 500ms).
	Poll        time.Duration
	MaxAttempts int
	Now         func() time.Time

	// Enqueued is how many jobs this coordinator inserted (a resumed one inserts only the
	// undecided accounts'); set by Run.
	Enqueued int
}

// Run distributes check c, recorded (or, resumed, continued) by rec, and returns its result
// once every account is decided and the run is finished. When ctx ends first (the coordinator
// interrupted) the run stays unfinished and its jobs queued: the workers go on, and `check
// --resume` reattaches.
func (co *Coordinator) Run(ctx context.Context, rec *history.Recorder, c *audit.Check) (*audit.Result, error) {
	if co.Poll <= 0 {
		co.Poll = 500 * time.Millisecond
	}
	if co.Now == nil {
		co.Now = time.Now
	}
	if co.MaxAttempts <= 0 {
		co.MaxAttempts = DefaultMaxAttempts
	}
	st := co.Store
	scope := audit.BuildScope(c.Registry, c.Targets, c.TargetFile)
	if err := rec.Start(ctx, c, scope.Accounts); err != nil {
		return nil, err
	}
	run := rec.Run()
	manual, findings, notices := c.MatchManual(scope.Accounts)
	items := make([]store.WorkItem, len(scope.Accounts))
	for i, a := range scope.Accounts {
		items[i] = store.WorkItem{Index: i, Account: *a, Observations: manual[i], Findings: findings[i]}
	}
	if err := co.retry(ctx, func() error { return st.SaveWork(ctx, run.ID, items) }); err != nil {
		return nil, err
	}
	w, err := st.NewWriter(ctx, run.ID, store.WriterOptions{KeepFirst: true, RetryFor: 10 * time.Minute})
	if err != nil {
		return nil, err
	}
	defer w.Close()
	client, err := river.NewClient(riverpgxv5.New(co.Pool), &river.Config{Logger: co.Logger})
	if err != nil {
		return nil, err
	}
	// A resumed run's jobs that River gave up on while no coordinator watched are settled
	// first: their accounts are 待核查 with the reason, not queued again.
	if err := co.retry(ctx, func() error { return co.settleAbandoned(ctx, client, run, c.Params, w) }); err != nil {
		return nil, err
	}
	var decidedIdx []int
	if err := co.retry(ctx, func() (err error) { decidedIdx, err = st.DecidedIndexes(ctx, run.ID); return }); err != nil {
		return nil, err
	}
	decided := make(map[int]bool, len(decidedIdx))
	for _, i := range decidedIdx {
		decided[i] = true
	}
	// What needs no platform is decided here, as a local check decides it.
	local := &audit.Check{Params: c.Params}
	var jobs []river.InsertManyParams
	for i, a := range scope.Accounts {
		if decided[i] {
			continue
		}
		if local.Local(*a) {
			v, _ := local.Decide(ctx, *a, manual[i], findings[i], nil)
			if err := w.Save(i, v, co.Now()); err != nil {
				return nil, err
			}
			continue
		}
		jobs = append(jobs, river.InsertManyParams{Args: AccountArgs{Run: run.ID, Index: i},
			InsertOpts: &river.InsertOpts{Queue: Queue(a.Platform), MaxAttempts: co.MaxAttempts,
				// One job per run and account while it is queued, running, retried or done: a
				// resumed coordinator re-enqueueing an account already queued adds nothing.
				UniqueOpts: river.UniqueOpts{ByArgs: true}}})
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	co.Enqueued = 0
	for len(jobs) > 0 {
		n := min(len(jobs), 1000)
		var res []*rivertype.JobInsertResult
		if err := co.retry(ctx, func() (err error) { res, err = client.InsertMany(ctx, jobs[:n]); return }); err != nil {
			return nil, fmt.Errorf("历史数据库 %s：加入任务队列：%w", store.Redact(co.URL), Redacted(err, co.URL))
		}
		for _, r := range res {
			if !r.UniqueSkippedAsDuplicate {
				co.Enqueued++
			}
		}
		jobs = jobs[n:]
	}

	// Follow the workers until every account is decided. A job River gave up on (its
	// attempts spent by workers that died on it) leaves its account to the coordinator: 待核查
	// with the reason, never a run that waits for ever.
	total := len(scope.Accounts)
	tick := time.NewTicker(co.Poll)
	defer tick.Stop()
	down := false
	for {
		cnt, err := st.Counts(ctx, run.ID)
		if err == nil && cnt.Decided < total {
			err = co.settleAbandoned(ctx, client, run, c.Params, w)
		}
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil && connectionError(err):
			if !down && co.Notice != nil {
				co.Notice(fmt.Sprintf("与历史数据库 %s 的连接中断，正在重试（%s）", store.Redact(co.URL), Redacted(err, co.URL)))
			}
			down = true
		case err != nil:
			return nil, err
		default:
			if down && co.Notice != nil {
				co.Notice("已重新连接历史数据库")
			}
			down = false
			if co.Progress != nil {
				co.Progress(cnt.Decided, total)
			}
			if cnt.Decided >= total {
				return co.finish(ctx, rec, c, scope, notices, w)
			}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
		}
	}
}

// settleAbandoned decides the accounts whose jobs River discarded or that were cancelled
// without a verdict.
func (co *Coordinator) settleAbandoned(ctx context.Context, client *river.Client[pgx.Tx], run *store.Run, p audit.Params, w *store.Writer) error {
	params := river.NewJobListParams().Kinds(JobKind).
		States(rivertype.JobStateDiscarded, rivertype.JobStateCancelled).
		Where("args->>'run' = @run", river.NamedArgs{"run": run.ID}).First(1000)
	res, err := client.JobList(ctx, params)
	if err != nil {
		return err
	}
	for _, job := range res.Jobs {
		var args AccountArgs
		if err := decodeArgs(job, &args); err != nil {
			return err
		}
		if done, err := co.Store.HasVerdict(ctx, run.ID, args.Index); err != nil || done {
			if err != nil {
				return err
			}
			continue
		}
		it, err := co.Store.Work(ctx, run.ID, args.Index)
		if err != nil {
			return err
		}
		cause := "任务被放弃"
		if n := len(job.Errors); n > 0 {
			cause = fmt.Sprintf("%d 次尝试均失败，最后一次：%s", job.Attempt, job.Errors[n-1].Error)
		} else if job.State == rivertype.JobStateDiscarded {
			cause = fmt.Sprintf("%d 次尝试后执行它的检查机均已中断", job.Attempt)
		}
		if err := w.SaveWait(ctx, args.Index, FailedVerdict(p, it, cause), co.Now()); err != nil {
			return err
		}
	}
	return nil
}

// finish builds the run's result from the verdicts the workers saved, exactly as a local
// check builds it (audit.Check.Run), and finishes the run.
func (co *Coordinator) finish(ctx context.Context, rec *history.Recorder, c *audit.Check, scope audit.Scope, notices []string, w *store.Writer) (*audit.Result, error) {
	if err := w.Close(); err != nil {
		return nil, err
	}
	run := rec.Run()
	var saved []store.Decided
	var linkNotices []string
	err := co.retry(ctx, func() (err error) {
		if saved, err = co.Store.Verdicts(ctx, run.ID, run.Location()); err != nil {
			return err
		}
		linkNotices, err = co.Store.WorkNotices(ctx, run.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	res := &audit.Result{CheckTime: c.Params.CheckTime, Window: c.Params.Window, Notices: scope.Notices,
		Unregistered: scope.Unregistered, Duplicates: audit.FindDuplicates(c.Registry.Accounts)}
	res.Summary.RegistryRows = scope.RegistryRows
	res.Summary.ClosedExcluded = scope.ClosedExcluded
	res.Notices = append(res.Notices, notices...)
	res.Accounts = make([]audit.Verdict, len(scope.Accounts))
	for _, d := range saved {
		if d.Index >= len(res.Accounts) {
			return nil, fmt.Errorf("运行 %s：第 %d 个判定结果超出检查范围", run.ID, d.Index)
		}
		res.Accounts[d.Index] = d.Verdict
	}
	sort.Strings(linkNotices)
	res.Notices = append(res.Notices, linkNotices...)
	res.Summarize(c.Params)
	if err := co.retry(ctx, func() error { return rec.Complete(ctx, res) }); err != nil {
		return nil, err
	}
	return res, nil
}

// retry runs fn through a restarting database (up to a few minutes), telling the user once.
func (co *Coordinator) retry(ctx context.Context, fn func() error) error {
	told := false
	return retry(ctx, 5*time.Minute, func() error {
		err := fn()
		if err != nil && connectionError(err) && !told && co.Notice != nil {
			co.Notice(fmt.Sprintf("与历史数据库 %s 的连接中断，正在重试（%s）", store.Redact(co.URL), Redacted(err, co.URL)))
			told = true
		}
		return err
	})
}

func decodeArgs(job *rivertype.JobRow, args *AccountArgs) error {
	if err := json.Unmarshal(job.EncodedArgs, args); err != nil {
		return fmt.Errorf("任务 %d 的参数：%w", job.ID, err)
	}
	if args.Run == "" {
		return errors.New("任务参数缺少运行编号")
	}
	return nil
}
