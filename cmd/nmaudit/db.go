package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/audit/report"
	"github.com/nmaudit/nmaudit/audit/store"
	"github.com/nmaudit/nmaudit/config"
)

// The history store (audit/store) as the commands use it: where the database is, how a check
// run is recorded as it goes, and how `check --resume` picks a killed run up again.

// envBusyTimeout overrides how long a write waits for another nmaudit's write (a Go duration,
// e.g. 30s; default store.DefaultBusyTimeout). There is no config key for it: config.Store
// knows only the path.
const envBusyTimeout = "NMAUDIT_STORE_BUSY_TIMEOUT"

// openStore opens the history database: --db FILE, else config store.path, else
// $XDG_DATA_HOME/nmaudit/nmaudit.db. Missing folders are created, so the store works with no
// set-up.
func openStore(cmd *cobra.Command, cfg *config.Config) (*store.Store, error) {
	path, _ := cmd.Flags().GetString("db")
	if path == "" && cfg != nil {
		path = cfg.Store.Path
	}
	if path == "" {
		var err error
		if path, err = store.DefaultPath(); err != nil {
			return nil, err
		}
	}
	path = expandHome(path)
	opt := store.Options{}
	if v := os.Getenv(envBusyTimeout); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, usageErrorf("%s=%q: want a duration such as 30s", envBusyTimeout, v)
		}
		opt.BusyTimeout = d
	}
	return store.Open(path, opt)
}

// expandHome turns a leading ~/ into the home folder, as a config file's store.path is
// usually written.
func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[1:])
		}
	}
	return p
}

// findRun resolves a RUN argument (an id or a unique prefix of one); a missing or ambiguous
// id is bad input.
func findRun(ctx context.Context, st *store.Store, id string) (*store.Run, error) {
	r, err := st.Run(ctx, id)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrAmbiguous) {
		return nil, &usageError{err}
	}
	return r, err
}

// finishedRun resolves RUN and refuses an unfinished one: its report would be half a report.
func finishedRun(ctx context.Context, st *store.Store, id string) (*store.Run, error) {
	r, err := findRun(ctx, st, id)
	if err != nil {
		return nil, err
	}
	if !r.Finished {
		c, _ := st.Counts(ctx, r.ID)
		return nil, fmt.Errorf("run %s is unfinished (%d of %d accounts decided); resume it with: nmaudit check --resume %s",
			r.ID, c.Decided, r.Planned, r.ID)
	}
	return r, nil
}

// historyFlags are check's flags for the store.
type historyFlags struct {
	Resume bool
}

func (h *historyFlags) register(f *pflag.FlagSet) {
	f.BoolVar(&h.Resume, "resume", false, "continue a killed or interrupted run (the newest unfinished one, or RUN), fetching only the accounts not yet decided")
}

// runFiles are the inputs and switches a run records, as given (paths are made absolute
// when recorded).
type runFiles struct {
	Registry, Sheet, Targets, Observations, Findings string
	Offline                                          bool
	Replay, Record, Format                           string
}

// history records one check run in the store as it goes.
type history struct {
	s   *streams
	cmd *cobra.Command
	cfg *config.Config
	st  *store.Store // opened when the run starts (at once with --resume)
	// files are the run's inputs (read when the run starts, after --resume has filled them in).
	files func() runFiles
	// run is the run being recorded: loaded by --resume, else created by start.
	run     *store.Run
	resumed bool
	// template holds what a recheck adds to a new run (kind, parent, targets, findings).
	template store.Run
}

// Close closes the store.
func (h *history) Close() error {
	if h == nil || h.st == nil {
		return nil
	}
	return h.st.Close()
}

// openCheckHistory prepares the store for `check`. Without --resume nothing is opened yet: the
// database is opened, and the run recorded, only once the inputs have loaded, so bad usage or a
// bad registry never touches it. With --resume it loads the run to continue (RUN, else the
// newest unfinished one), refuses flags that contradict it, and fills opts and cfg with the
// run's stored parameters, so the rest of the check runs exactly as the run started.
func openCheckHistory(cmd *cobra.Command, s *streams, cfg *config.Config, opts *checkOptions, args []string) (*history, error) {
	if !opts.history.Resume && len(args) > 0 {
		return nil, usageErrorf("unexpected argument %q: name a run only with --resume", args[0])
	}
	h := &history{s: s, cmd: cmd, cfg: cfg, template: store.Run{Kind: store.KindCheck}}
	h.files = func() runFiles {
		return runFiles{Registry: opts.Registry, Sheet: opts.Sheet, Targets: opts.Accounts, Observations: opts.Observations,
			Findings: opts.Findings, Offline: opts.Offline, Replay: opts.Replay, Record: opts.Record, Format: opts.report.Format}
	}
	if !opts.history.Resume {
		return h, nil
	}
	st, err := openStore(cmd, cfg)
	if err != nil {
		return nil, err
	}
	h.st = st
	ctx := cmd.Context()
	var r *store.Run
	if len(args) == 1 {
		r, err = findRun(ctx, st, args[0])
	} else {
		r, err = st.LatestUnfinished(ctx)
		if errors.Is(err, store.ErrNotFound) {
			err = usageErrorf("--resume: no unfinished run in %s", st.Path())
		}
	}
	if err == nil && r.Finished {
		err = usageErrorf("--resume: run %s is already finished; see it with: nmaudit show %s", r.ID, r.ID)
	}
	if err == nil {
		err = adoptRun(cmd, cfg, opts, r)
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	h.run, h.resumed = r, true
	return h, nil
}

// adoptRun checks the flags given with --resume against run r and replaces the parameters
// with r's. A flag that says something else is bad usage: the resumed run must decide its
// remaining accounts by the rules its first part used.
func adoptRun(cmd *cobra.Command, cfg *config.Config, opts *checkOptions, r *store.Run) error {
	fl := cmd.Flags()
	changed := fl.Changed
	contradicts := func(flag, given, stored string) error {
		if stored == "" {
			stored = "(none)"
		}
		return usageErrorf("--resume: --%s %s contradicts run %s, which used %s; start a new check instead", flag, given, r.ID, stored)
	}
	samePath := func(flag, given string, stored store.File) error {
		if !changed(flag) {
			return nil
		}
		if given == "" && stored.Path == "" {
			return nil
		}
		if given == "" || absPath(given) != stored.Path {
			return contradicts(flag, given, stored.Path)
		}
		return nil
	}
	for _, c := range []struct {
		flag, given string
		stored      store.File
	}{
		{"registry", opts.Registry, r.Registry}, {"accounts", opts.Accounts, r.Targets},
		{"observations", opts.Observations, r.Observations}, {"findings", opts.Findings, r.Findings},
	} {
		if err := samePath(c.flag, c.given, c.stored); err != nil {
			return err
		}
	}
	loc := r.Location()
	if changed("sheet") && opts.Sheet != r.Sheet {
		return contradicts("sheet", opts.Sheet, r.Sheet)
	}
	if changed("at") {
		at, err := parseAt(opts.At, loc, time.Now)
		if err != nil {
			return err
		}
		if !at.Equal(r.CheckTime) {
			return contradicts("at", opts.At, r.CheckTime.Format("2006-01-02 15:04:05"))
		}
	}
	if changed("window") {
		w, err := audit.ParseWindow(opts.Window)
		if err != nil {
			return usageErrorf("--window: %v", err)
		}
		if stored, _ := audit.ParseWindow(r.Window); w != stored {
			return contradicts("window", opts.Window, r.Window)
		}
	}
	if changed("offline") && opts.Offline != r.Offline {
		return contradicts("offline", strconv.FormatBool(opts.Offline), strconv.FormatBool(r.Offline))
	}
	if changed("replay") && absPathOrEmpty(opts.Replay) != r.Replay {
		return contradicts("replay", opts.Replay, r.Replay)
	}

	opts.Registry, opts.Sheet, opts.Accounts = r.Registry.Path, r.Sheet, r.Targets.Path
	opts.Observations, opts.Findings = r.Observations.Path, r.Findings.Path
	opts.At = r.CheckTime.Format(time.RFC3339Nano)
	opts.Window = r.Window
	opts.Offline, opts.Replay = r.Offline, r.Replay
	if !changed("format") {
		opts.report.Format = r.Format
	}
	// The rules and zone come from the run, whatever today's config says.
	cfg.Window, cfg.PendingClosure, cfg.Timezone, cfg.Location = r.Window, r.Pending, r.Timezone, loc
	cfg.WarnAfter = strconv.FormatInt(int64(r.WarnAfter/time.Hour), 10) + "h"
	cfg.Report.RateDecimals = r.RateDecimals
	return nil
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

func absPathOrEmpty(p string) string {
	if p == "" {
		return ""
	}
	return absPath(p)
}

// hashFile is the SHA-256 of a file's bytes, hex.
func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// fileRecord is path (absolute) with its hash; the zero File when path is "".
func fileRecord(path string) (store.File, error) {
	if path == "" {
		return store.File{}, nil
	}
	sum, err := hashFile(path)
	if err != nil {
		return store.File{}, usageErrorf("%s: %v", path, err)
	}
	return store.File{Path: absPath(path), SHA256: sum}, nil
}

// scopeIndex maps registry rows to their position in the check's scope.
func scopeIndex(c *audit.Check) ([]*audit.Account, map[int]int) {
	scope := audit.BuildScope(c.Registry, c.Targets, c.TargetFile)
	byRow := make(map[int]int, len(scope.Accounts))
	for i, a := range scope.Accounts {
		byRow[a.Row] = i
	}
	return scope.Accounts, byRow
}

// start creates the run record (or, resuming, checks the inputs are still the ones the run
// used and hands the saved verdicts to c.Decided), and hooks c.OnVerdict to the store.
func (h *history) start(ctx context.Context, c *audit.Check) error {
	if h.st == nil {
		st, err := openStore(h.cmd, h.cfg)
		if err != nil {
			return err
		}
		h.st = st
	}
	files := h.files()
	rec := map[string]store.File{}
	for _, f := range []struct{ name, path string }{
		{"registry", files.Registry}, {"accounts", files.Targets}, {"observations", files.Observations}, {"findings", files.Findings},
	} {
		fr, err := fileRecord(f.path)
		if err != nil {
			return err
		}
		rec[f.name] = fr
	}
	accounts, byRow := scopeIndex(c)

	if h.resumed {
		r := h.run
		for _, f := range []struct {
			name   string
			stored store.File
		}{{"registry", r.Registry}, {"accounts", r.Targets}, {"observations", r.Observations}, {"findings", r.Findings}} {
			if now := rec[f.name]; now.SHA256 != f.stored.SHA256 {
				return usageErrorf("--resume: %s %s has changed since run %s started (SHA-256 %s, now %s); start a new check",
					f.name, f.stored.Path, r.ID, short(f.stored.SHA256), short(now.SHA256))
			}
		}
		if r.TargetAccounts != nil {
			// A recheck's scope is the parent's failing accounts, kept with the run.
			c.Targets, c.TargetFile = r.TargetAccounts, recheckTargetName(r.ParentID)
			c.Observations = forAccounts(c.Observations, c.Targets)
			if r.CarriedFindings != nil {
				c.Findings = r.CarriedFindings
			}
			accounts, byRow = scopeIndex(c)
		}
		params, err := r.Params()
		if err != nil {
			return err
		}
		c.Params = params
		if len(accounts) != r.Planned {
			return fmt.Errorf("--resume: run %s had %d accounts in scope, the same inputs now give %d", r.ID, r.Planned, len(accounts))
		}
		saved, err := h.st.Verdicts(ctx, r.ID, r.Location())
		if err != nil {
			return err
		}
		decided := make(map[int]audit.Verdict, len(saved))
		for _, d := range saved {
			if d.Index >= len(accounts) || accounts[d.Index].Row != d.Verdict.Row || accounts[d.Index].Name != d.Verdict.Name {
				return fmt.Errorf("--resume: run %s's saved verdict #%d (row %d, %s) does not match the registry; start a new check",
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
		if err := h.st.MarkResumed(ctx, r.ID, h.s.Now()); err != nil {
			return err
		}
		fmt.Fprintf(h.s.Err, "nmaudit: resuming run %s: %d of %d accounts already decided\n", r.ID, len(decided), r.Planned)
		return nil
	}

	r := h.template
	r.StartedAt = h.s.Now()
	r.Version = version
	r.CheckTime = c.Params.CheckTime
	r.Timezone = h.cfg.Location.String()
	r.Window = c.Params.Window.String()
	r.Pending = string(c.Params.Pending)
	if r.Pending == "" {
		r.Pending = string(audit.PendingExclude)
	}
	r.WarnAfter = c.Params.WarnAfter
	r.Registry, r.Sheet, r.Targets = rec["registry"], files.Sheet, rec["accounts"]
	r.Observations, r.Findings = rec["observations"], rec["findings"]
	r.Offline, r.Replay, r.Record = files.Offline, absPathOrEmpty(files.Replay), absPathOrEmpty(files.Record)
	r.Format = files.Format
	r.RateDecimals = h.cfg.Report.RateDecimals
	r.Planned = len(accounts)
	if err := h.st.CreateRun(ctx, &r); err != nil {
		return err
	}
	h.run = &r
	return nil
}

func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12] + "…"
	}
	if sum == "" {
		return "(none)"
	}
	return sum
}

// errSave marks a failure to keep a verdict: the run fails with it (exit 1) and stays
// unfinished.
type errSave struct{ err error }

func (e *errSave) Error() string { return e.err.Error() }
func (e *errSave) Unwrap() error { return e.err }

// check runs c, recording it: the run record first, each verdict as it is decided, and the
// scope-level results with the finished flag last. Any failure leaves the run unfinished, and
// stderr says how to resume it.
func (h *history) check(ctx context.Context, c *audit.Check) (*audit.Result, error) {
	if err := h.start(ctx, c); err != nil {
		return nil, err
	}
	runID := h.run.ID
	// A verdict the store cannot keep stops the run at once: fetching on would only produce
	// verdicts that are lost.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var saveErr error
	// A verdict reached while the run is being interrupted is still kept.
	saveCtx := context.WithoutCancel(ctx)
	c.OnVerdict = func(i int, v audit.Verdict) error {
		if err := h.st.SaveVerdict(saveCtx, runID, i, v, h.s.Now()); err != nil {
			if saveErr == nil {
				saveErr = &errSave{err}
				cancel()
			}
			return saveErr
		}
		return nil
	}
	res, err := c.Run(ctx)
	if saveErr != nil {
		err = saveErr
	}
	if err == nil {
		err = h.st.Finish(context.WithoutCancel(ctx), runID, res, h.s.Now())
	}
	if err != nil {
		h.unfinished()
		return nil, err
	}
	return res, nil
}

// unfinished tells the user the run can be resumed.
func (h *history) unfinished() {
	bg := context.Background()
	c, _ := h.st.Counts(bg, h.run.ID)
	fmt.Fprintf(h.s.Err, "nmaudit: run %s is unfinished (%d of %d accounts decided and kept in %s); resume it with: nmaudit check --resume %s\n",
		h.run.ID, c.Decided, h.run.Planned, h.st.Path(), h.run.ID)
}

// render writes the report of the recorded run: the check report with its run_id, plus the
// 复核结果 for a recheck. The run's own rate decimals and zone are used, so `show` prints what
// `check` printed.
func (h *history) render(w io.Writer, format string, res *audit.Result, opt report.Options) error {
	return renderRun(context.Background(), h.st, h.run, w, format, res, opt)
}

// renderRun renders a run's result as check printed it.
func renderRun(ctx context.Context, st *store.Store, r *store.Run, w io.Writer, format string, res *audit.Result, opt report.Options) error {
	opt.RunID = r.ID
	opt.RateDecimals = r.RateDecimals
	opt.Location = r.Location()
	if r.Kind != store.KindRecheck || r.ParentID == "" {
		return report.Check(w, format, res, opt)
	}
	parent, err := st.Run(ctx, r.ParentID)
	if err != nil {
		return err
	}
	before, err := st.Result(ctx, parent)
	if err != nil {
		return err
	}
	return renderRecheck(w, format, res, opt, recheckOutcome(r.ParentID, before, res))
}

// storedResult loads a finished run and its result from the history database (the store is
// closed again before it returns: the result is complete in memory).
func storedResult(cmd *cobra.Command, cfg *config.Config, id string) (*store.Run, *audit.Result, error) {
	st, err := openStore(cmd, cfg)
	if err != nil {
		return nil, nil, err
	}
	defer st.Close()
	ctx := cmd.Context()
	r, err := finishedRun(ctx, st, id)
	if err != nil {
		return nil, nil, err
	}
	res, err := st.Result(ctx, r)
	if err != nil {
		return nil, nil, fmt.Errorf("run %s: %w", r.ID, err)
	}
	return r, res, nil
}
