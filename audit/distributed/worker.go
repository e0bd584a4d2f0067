package distributed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/audit/store"
	"github.com/nmaudit/nmaudit/platforms"
)

// ReasonJobFailed is the 待核查 reason of an account whose job failed on every attempt (a
// worker that keeps crashing on it, a store it cannot write): the account is never left
// undecided, and the detail says what failed.
const ReasonJobFailed platforms.Reason = "job_failed"

// LabelJobFailed is its wording.
const LabelJobFailed = "分布式检查任务多次失败"

// FailedVerdict is the verdict of an account whose job failed every attempt, cause saying
// why: 待核查 unless its observation or finding rows decide it (a fault never hides a typed
// observation).
func FailedVerdict(p audit.Params, it *store.WorkItem, cause string) audit.Verdict {
	f := &platforms.Fault{Reason: ReasonJobFailed, Label: LabelJobFailed, Detail: cause}
	return audit.Classify(it.Account, audit.Answer{Err: f}, it.Observations, it.Findings, p)
}

// Fetchers builds what a worker fetches with for a run's parameters, from the worker's own
// config: the same adapters, pacing and redaction a local check builds (cmd/nmaudit's
// buildFetchers). Pacers must be shared between the sets it returns, so two runs worked at
// once still keep the platform's rate.
type Fetchers func(p audit.Params) (audit.FetchFunc, audit.LinkFunc, error)

// Worker takes the jobs of every queued run for its platforms until stopped.
type Worker struct {
	Store     *store.Store
	Pool      *pgxpool.Pool
	URL       string // for messages (redacted)
	Platforms []platforms.Platform
	// Concurrency is the number of jobs worked at once per platform; each platform still obeys
	// the worker's own rate limit, so more only help while requests wait on the network.
	Concurrency int
	Fetchers    Fetchers
	// Redact removes the worker's secrets from a job's error before River stores it.
	Redact func(string) string
	Logger *slog.Logger
	// JobTimeout bounds one account (its retries and waits included); RescueAfter is when a
	// job whose worker vanished (killed, its machine gone) is taken up again elsewhere. It must
	// exceed JobTimeout.
	JobTimeout, RescueAfter time.Duration
	MaxAttempts             int
	// RetryBase is the first wait before a failed job is tried again; it doubles with jitter
	// up to a minute.
	RetryBase time.Duration
	// ID names the worker to River (unique per process; empty: River draws one).
	ID  string
	Now func() time.Time
	// Decided, when set, is told of each verdict this worker saved (progress on its stderr).
	Decided func(run string, index int, v audit.Verdict)

	client *river.Client[pgx.Tx]
	mu     sync.Mutex
	runs   map[string]*runState
	fetch  map[string]fetchPair // by window
}

type runState struct {
	run   *store.Run
	check *audit.Check
	w     *store.Writer
}

type fetchPair struct {
	fetch audit.FetchFunc
	link  audit.LinkFunc
}

// Defaults of a Worker's bounds.
const (
	DefaultJobTimeout  = 10 * time.Minute
	DefaultRescueAfter = 15 * time.Minute
)

// Start begins taking jobs; it returns at once. Stop ends it.
func (w *Worker) Start(ctx context.Context) error {
	if w.Now == nil {
		w.Now = time.Now
	}
	if w.Concurrency < 1 {
		w.Concurrency = 4
	}
	if w.JobTimeout <= 0 {
		w.JobTimeout = DefaultJobTimeout
	}
	if w.RescueAfter <= w.JobTimeout {
		w.RescueAfter = w.JobTimeout + max(w.JobTimeout/2, time.Second)
	}
	if w.MaxAttempts <= 0 {
		w.MaxAttempts = DefaultMaxAttempts
	}
	if w.RetryBase <= 0 {
		w.RetryBase = time.Second
	}
	if len(w.Platforms) == 0 {
		w.Platforms = Queues
	}
	w.runs, w.fetch = map[string]*runState{}, map[string]fetchPair{}
	workers := river.NewWorkers()
	river.AddWorker(workers, &jobWorker{w: w})
	queues := map[string]river.QueueConfig{}
	for _, p := range w.Platforms {
		queues[Queue(p)] = river.QueueConfig{MaxWorkers: w.Concurrency}
	}
	client, err := river.NewClient(riverpgxv5.New(w.Pool), &river.Config{
		ID:                   w.ID,
		Queues:               queues,
		Workers:              workers,
		Logger:               w.Logger,
		JobTimeout:           w.JobTimeout,
		RescueStuckJobsAfter: w.RescueAfter,
		MaxAttempts:          w.MaxAttempts,
		RetryPolicy:          backoff{w.RetryBase},
		// Jobs are short (one account) and many: fetch again soon after a slot frees up, so
		// the platform's rate, not the queue, is what bounds a worker.
		FetchCooldown: 20 * time.Millisecond,
	})
	if err != nil {
		return err
	}
	w.client = client
	return client.Start(ctx)
}

// Stop drains: jobs in flight get drain to finish; those still running then are cancelled and
// released (snoozed back to the queue, no attempt spent) for another worker. Every verdict
// decided is committed before Stop returns.
func (w *Worker) Stop(drain time.Duration) error {
	if w.client == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), drain)
	err := w.client.Stop(ctx)
	cancel()
	if err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = w.client.StopAndCancel(ctx)
		cancel()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	var errs []error
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		errs = append(errs, err)
	}
	for _, rs := range w.runs {
		if err := rs.w.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// backoff is the retry policy of failed jobs: bounded, jittered, doubling.
type backoff struct{ base time.Duration }

func (b backoff) NextRetry(job *rivertype.JobRow) time.Time {
	d := b.base << min(max(job.Attempt-1, 0), 6)
	d = min(d, time.Minute)
	d = d/2 + rand.N(d/2+1)
	return time.Now().Add(d)
}

// jobWorker is River's view of a Worker.
type jobWorker struct {
	river.WorkerDefaults[AccountArgs]
	w *Worker
}

// Work decides the job's account. A job that keeps failing ends, on its last attempt, as a
// 待核查 verdict with the failure as its reason, so no account is left undecided; a job
// cancelled because the worker is stopping is released (snoozed) without spending an attempt.
func (jw *jobWorker) Work(ctx context.Context, job *river.Job[AccountArgs]) error {
	w := jw.w
	err := w.work(ctx, job)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return river.JobSnooze(time.Second)
	case job.Attempt >= job.MaxAttempts:
		if ferr := w.failJob(context.WithoutCancel(ctx), job, err); ferr == nil {
			return nil
		}
	}
	return errors.New(w.redact(err.Error()))
}

func (w *Worker) redact(s string) string {
	if w.Redact != nil {
		s = w.Redact(s)
	}
	return Redacted(errors.New(s), w.URL).Error()
}

func (w *Worker) work(ctx context.Context, job *river.Job[AccountArgs]) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("任务异常：%v", p)
		}
	}()
	rs, err := w.runFor(ctx, job.Args.Run)
	if errors.Is(err, store.ErrNotFound) {
		return river.JobCancel(err) // the run was deleted: nothing to decide for
	}
	if err != nil {
		return err
	}
	if rs.run.Finished {
		return nil
	}
	// River runs a job again when its worker died after saving but before completing it:
	// the verdict stands, nothing is fetched again.
	if done, err := w.Store.HasVerdict(ctx, rs.run.ID, job.Args.Index); err != nil || done {
		return err
	}
	it, err := w.Store.Work(ctx, rs.run.ID, job.Args.Index)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	var notices []string
	v, err := rs.check.Decide(ctx, it.Account, it.Observations, it.Findings, func(n string) {
		mu.Lock()
		notices = append(notices, n)
		mu.Unlock()
	})
	if err != nil {
		return err
	}
	if err := w.Store.SetNotices(ctx, rs.run.ID, it.Index, notices); err != nil {
		return err
	}
	if err := rs.w.SaveWait(ctx, it.Index, v, w.Now()); err != nil {
		return err
	}
	if w.Decided != nil {
		w.Decided(rs.run.ID, it.Index, v)
	}
	return nil
}

// failJob decides a job's account 待核查 after its last attempt failed with cause.
func (w *Worker) failJob(ctx context.Context, job *river.Job[AccountArgs], cause error) error {
	rs, err := w.runFor(ctx, job.Args.Run)
	if err != nil {
		return err
	}
	it, err := w.Store.Work(ctx, rs.run.ID, job.Args.Index)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("%d 次尝试均失败，最后一次：%s", job.Attempt, w.redact(cause.Error()))
	return rs.w.SaveWait(ctx, it.Index, FailedVerdict(rs.check.Params, it, msg), w.Now())
}

// runFor loads a run's parameters and this worker's fetchers for it, once per run.
func (w *Worker) runFor(ctx context.Context, id string) (*runState, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if rs, ok := w.runs[id]; ok {
		return rs, nil
	}
	r, err := w.Store.Run(ctx, id)
	if err != nil {
		return nil, err
	}
	p, err := r.Params()
	if err != nil {
		return nil, err
	}
	key := p.Window.String()
	fp, ok := w.fetch[key]
	if !ok {
		if fp.fetch, fp.link, err = w.Fetchers(p); err != nil {
			return nil, err
		}
		w.fetch[key] = fp
	}
	c := &audit.Check{Params: p, Fetch: fp.fetch, CheckLink: fp.link, ObservationsFile: r.Observations.Path}
	rs := &runState{run: r, check: c}
	if !r.Finished {
		if rs.w, err = w.Store.NewWriter(ctx, r.ID, store.WriterOptions{KeepFirst: true, RetryFor: w.JobTimeout,
			MaxDelay: 20 * time.Millisecond}); err != nil {
			return nil, err
		}
	}
	w.runs[id] = rs
	return rs, nil
}
