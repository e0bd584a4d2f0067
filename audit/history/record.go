package history

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/audit/store"
)

// Inputs are the files and switches a run records, as the user gave them; Begin makes the
// paths absolute and hashes the files, so a resume can tell whether they changed.
type Inputs struct {
	Registry, Sheet, Targets, Observations, Findings string
	Offline                                          bool
	Replay, Record                                   string
	Format                                           string // the report format asked for
}

// Spec is what a new run records besides its inputs and its check's parameters.
type Spec struct {
	Kind     string // store.KindCheck or store.KindRecheck
	ParentID string // a recheck's parent run
	// TargetAccounts and CarriedFindings are a recheck's scope and the parent's findings it
	// applies again (nil when the recheck was given its own findings).
	TargetAccounts  []audit.Account
	CarriedFindings []audit.Finding
	Timezone        string // the inspection's zone, by name
	RateDecimals    int    // as the run's reports print rates
	Version         string // the nmaudit that records the run
	// Distributed runs are decided by workers (audit/distributed), the recorder only starts
	// and finishes them (Start, Complete).
	Distributed bool
}

// Recorder records one check run in the store as it goes: the run record once the scope is
// known, each verdict as it is decided (through a store.Writer, batched, from a goroutine of
// its own), and the scope-level results with the finished flag last. Any failure leaves the
// run unfinished and resumable.
type Recorder struct {
	st      *store.Store
	run     *store.Run
	resumed bool
	decided int // verdicts already saved when the run was resumed
	now     func() time.Time
	// writer bounds the batches (the zero value: the store's defaults).
	writer store.WriterOptions
	// created is true once the run record exists (a new run is created when its scope is known).
	created bool
	w       *store.Writer // the run's verdicts on their way to the store
	res     *audit.Result // what Check decided, for Finish
	// scope checks a resumed run's saved verdicts against the scope and hands them to the check.
	scope func(c *audit.Check, accounts []*audit.Account) error

	// OnResume, when set, is called when a resumed run has matched its saved verdicts to the
	// scope, before anything is fetched, with how many accounts are already decided.
	OnResume func(decided int)
}

// SaveError is a verdict the store could not keep: the run fails with it and stays unfinished.
type SaveError struct{ Err error }

func (e *SaveError) Error() string { return e.Err.Error() }
func (e *SaveError) Unwrap() error { return e.Err }

// Begin prepares a new run of c: its inputs are hashed now, and the run is created in st
// (unfinished) when the check has built its scope.
func Begin(st *store.Store, c *audit.Check, in Inputs, spec Spec, now func() time.Time) (*Recorder, error) {
	files, err := recordFiles(in)
	if err != nil {
		return nil, err
	}
	p := c.Params
	pending := p.Pending
	if pending == "" {
		pending = audit.PendingExclude
	}
	r := &store.Run{Kind: spec.Kind, ParentID: spec.ParentID, TargetAccounts: spec.TargetAccounts,
		CarriedFindings: spec.CarriedFindings, StartedAt: now(), Version: spec.Version,
		CheckTime: p.CheckTime, Timezone: spec.Timezone, Window: p.Window.String(), Pending: string(pending),
		WarnAfter: p.WarnAfter, Registry: files[0], Sheet: in.Sheet, Targets: files[1], Observations: files[2],
		Findings: files[3], Offline: in.Offline, Replay: absOrEmpty(in.Replay), Record: absOrEmpty(in.Record),
		Format: in.Format, RateDecimals: spec.RateDecimals, Distributed: spec.Distributed}
	if r.Kind == "" {
		r.Kind = store.KindCheck
	}
	return &Recorder{st: st, run: r, now: now}, nil
}

// Resume prepares c to continue run r, which FindResumable returned and Given.Check accepted:
// the inputs must be the files the run started with (same SHA-256), a recheck's scope and
// carried findings come from the run, and the run's rules replace c's. When the check has built
// its scope, the saved verdicts are matched to it and handed to c.Decided, so no decided
// account is fetched again.
func Resume(st *store.Store, r *store.Run, c *audit.Check, in Inputs, now func() time.Time) (*Recorder, error) {
	files, err := recordFiles(in)
	if err != nil {
		return nil, err
	}
	for i, f := range []struct {
		name   string
		stored store.File
	}{{"信息报送系统导出", r.Registry}, {"目标名单", r.Targets}, {"观察记录", r.Observations}, {"检查发现", r.Findings}} {
		if now := files[i]; now.SHA256 != f.stored.SHA256 {
			return nil, inputErrorf("--resume：%s %s 在运行 %s 开始后已更改（SHA-256 原为 %s，现为 %s）；请开始新的检查",
				f.name, f.stored.Path, r.ID, short(f.stored.SHA256), short(now.SHA256))
		}
	}
	if r.TargetAccounts != nil {
		// A recheck's scope is the parent's failing accounts, kept with the run.
		c.Targets, c.TargetFile = r.TargetAccounts, RecheckTargetName(r.ParentID)
		c.Observations = ForAccounts(c.Observations, c.Targets)
		if r.CarriedFindings != nil {
			c.Findings = r.CarriedFindings
		}
	}
	params, err := r.Params()
	if err != nil {
		return nil, err
	}
	c.Params = params
	rec := &Recorder{st: st, run: r, resumed: true, created: true, now: now}
	rec.scope = func(c *audit.Check, accounts []*audit.Account) error {
		ctx := context.Background()
		if len(accounts) != r.Planned {
			return fmt.Errorf("--resume：运行 %s 开始时检查范围有 %d 个账号，同样的输入现在得到 %d 个", r.ID, r.Planned, len(accounts))
		}
		saved, err := st.Verdicts(ctx, r.ID, r.Location())
		if err != nil {
			return err
		}
		byRow := make(map[int]int, len(accounts))
		for i, a := range accounts {
			byRow[a.Row] = i
		}
		decided := make(map[int]audit.Verdict, len(saved))
		for _, d := range saved {
			if d.Index >= len(accounts) || accounts[d.Index].Row != d.Verdict.Row || accounts[d.Index].Name != d.Verdict.Name {
				return fmt.Errorf("--resume：运行 %s 保存的第 %d 个判定结果（第 %d 行，%s）与信息报送系统导出不符；请开始新的检查",
					r.ID, d.Index, d.Verdict.Row, d.Verdict.Name)
			}
			decided[d.Index] = d.Verdict
		}
		c.Decided = func(a audit.Account) (audit.Verdict, bool) {
			i, ok := byRow[a.Row]
			if !ok {
				return audit.Verdict{}, false
			}
			v, ok := decided[i]
			return v, ok && v.Name == a.Name
		}
		rec.decided = len(decided)
		if err := st.MarkResumed(ctx, r.ID, now()); err != nil {
			return err
		}
		if rec.OnResume != nil {
			rec.OnResume(rec.decided)
		}
		return nil
	}
	return rec, nil
}

// Run is the run being recorded (its ID is set once the run is created).
func (rec *Recorder) Run() *store.Run { return rec.run }

// Resumed says whether this continues a killed run, and how many verdicts it had kept.
func (rec *Recorder) Resumed() (bool, int) { return rec.resumed, rec.decided }

// Created says whether the run record exists: a run that failed before its scope was known
// left nothing in the history.
func (rec *Recorder) Created() bool { return rec.created }

// Kept counts the verdicts the store holds for the run, for telling the user what a failed or
// interrupted run kept.
func (rec *Recorder) Kept(ctx context.Context) (store.Counts, error) {
	return rec.st.Counts(ctx, rec.run.ID)
}

// Check runs c, recording it. A verdict the store cannot keep stops the run at once —
// fetching on would only decide accounts whose verdicts are lost — and is returned as a
// *SaveError. When the run fails (or is interrupted), every verdict decided before the end is
// committed before Check returns. When it succeeds, the last batch may still be on its way to
// the store; Finish waits for it and finishes the run.
func (rec *Recorder) Check(ctx context.Context, c *audit.Check) (*audit.Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c.Started = func(accounts []*audit.Account) error {
		if rec.scope != nil {
			if err := rec.scope(c, accounts); err != nil {
				return err
			}
		} else {
			rec.run.Planned = len(accounts)
			if err := rec.st.CreateRun(context.WithoutCancel(ctx), rec.run); err != nil {
				return err
			}
			rec.created = true
		}
		var err error
		rec.w, err = rec.st.NewWriter(context.WithoutCancel(ctx), rec.run.ID, rec.writer)
		return err
	}
	c.OnVerdict = func(i int, v audit.Verdict) error {
		if err := rec.w.Save(i, v, rec.now()); err != nil {
			cancel()
			return &SaveError{err}
		}
		return nil
	}
	res, err := c.Run(ctx)
	if err != nil {
		if rec.w != nil {
			if cerr := rec.w.Close(); cerr != nil {
				// The store's failure is the cause; a cancelled context is only its consequence.
				return nil, &SaveError{cerr}
			}
		}
		return nil, err
	}
	rec.res = res
	return res, nil
}

// Finish waits until every verdict of the run Check ran is committed, then writes the
// scope-level results and marks the run finished. A verdict that could not be kept is a
// *SaveError, and the run stays unfinished.
func (rec *Recorder) Finish(ctx context.Context) error {
	if rec.res == nil {
		return errors.New("history: Finish before a successful Check")
	}
	if err := rec.w.Close(); err != nil {
		return &SaveError{err}
	}
	if err := rec.st.Finish(context.WithoutCancel(ctx), rec.run.ID, rec.res, rec.now()); err != nil {
		return err
	}
	rec.run.Finished = true
	rec.run.Summary = rec.res.Summary
	return nil
}

// Start records the run of c, whose scope is accounts, for a check whose accounts are decided
// elsewhere (a distributed run's workers): a new run is created, unfinished; a resumed one is
// checked against the scope and marked resumed, exactly as Check does when the scope is known.
func (rec *Recorder) Start(ctx context.Context, c *audit.Check, accounts []*audit.Account) error {
	if rec.scope != nil {
		return rec.scope(c, accounts)
	}
	if rec.created {
		return nil
	}
	rec.run.Planned = len(accounts)
	if err := rec.st.CreateRun(context.WithoutCancel(ctx), rec.run); err != nil {
		return err
	}
	rec.created = true
	return nil
}

// Complete finishes a run Start recorded with res, whose every verdict is already saved (by
// the workers that decided them): the scope-level results, then the finished flag.
func (rec *Recorder) Complete(ctx context.Context, res *audit.Result) error {
	if err := rec.st.Finish(context.WithoutCancel(ctx), rec.run.ID, res, rec.now()); err != nil {
		return err
	}
	rec.res = res
	rec.run.Finished = true
	rec.run.Summary = res.Summary
	return nil
}

// Store is the store the run is recorded in.
func (rec *Recorder) Store() *store.Store { return rec.st }

// IsSaveError reports whether err is a verdict the store could not keep.
func IsSaveError(err error) bool {
	var se *SaveError
	return errors.As(err, &se)
}

// recordFiles hashes the run's input files: registry, targets, observations, findings (the
// zero File where there is none).
func recordFiles(in Inputs) ([4]store.File, error) {
	var out [4]store.File
	for i, p := range []string{in.Registry, in.Targets, in.Observations, in.Findings} {
		if p == "" {
			continue
		}
		sum, err := audit.FileSHA256(p)
		if err != nil {
			return out, inputErrorf("无法读取 %s（%v）", p, pathCause(err))
		}
		out[i] = store.File{Path: absPath(p), SHA256: sum}
	}
	return out, nil
}

// pathCause is what went wrong with a file, without the path a *fs.PathError repeats.
func pathCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

func absOrEmpty(p string) string {
	if p == "" {
		return ""
	}
	return absPath(p)
}

func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12] + "…"
	}
	if sum == "" {
		return "（无）"
	}
	return sum
}
