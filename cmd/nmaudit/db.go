package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/audit/history"
	"github.com/nmaudit/nmaudit/audit/report"
	"github.com/nmaudit/nmaudit/audit/store"
	"github.com/nmaudit/nmaudit/config"
)

// The history store as the commands reach it. What to do with it — where it is, who may
// create it, recording and resuming runs — is package audit/history; this file binds the
// flags, the config and the streams to it.

// envBusyTimeout overrides how long a write waits for another nmaudit's write (a Go duration,
// e.g. 30s; default store.DefaultBusyTimeout). There is no config key for it: config.Store
// knows only the path.
const envBusyTimeout = "NMAUDIT_STORE_BUSY_TIMEOUT"

// storeLocation is where --db, config store.path or the platform's default put the database.
func storeLocation(cmd *cobra.Command, cfg *config.Config) (history.Location, history.Options, error) {
	flag, _ := cmd.Flags().GetString("db")
	configured, configuredURL := "", ""
	if cfg != nil {
		configured, configuredURL = cfg.Store.Path, cfg.Store.URL
	}
	loc, err := history.Locate(flag, configuredURL, configured)
	if err != nil {
		return loc, history.Options{}, err
	}
	var opt history.Options
	if v := os.Getenv(envBusyTimeout); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return loc, opt, usageErrorf("%s=%q：应为时长，如 30s", envBusyTimeout, v)
		}
		opt.BusyTimeout = d
	}
	return loc, opt, nil
}

// openWritable opens the history for a command that records runs (check, recheck): it is
// created, with its folders, when missing.
func openWritable(cmd *cobra.Command, cfg *config.Config) (*store.Store, error) {
	loc, opt, err := storeLocation(cmd, cfg)
	if err != nil {
		return nil, err
	}
	return history.OpenForWrite(loc, opt)
}

// openExisting opens the history for a command that continues recorded runs (recheck, check
// --resume): never created.
func openExisting(cmd *cobra.Command, cfg *config.Config) (*store.Store, error) {
	loc, opt, err := storeLocation(cmd, cfg)
	if err != nil {
		return nil, err
	}
	st, err := history.OpenExisting(loc, opt)
	return st, cliError(err)
}

// openArchive opens the history for a command that only reads it: never created.
func openArchive(cmd *cobra.Command, cfg *config.Config) (*history.Archive, error) {
	loc, opt, err := storeLocation(cmd, cfg)
	if err != nil {
		return nil, err
	}
	return history.OpenArchive(loc, opt)
}

// withArchive runs fn with the history open for reading, closing it after. Errors the user's
// input caused come back as usage errors (exit 2).
func withArchive(cmd *cobra.Command, cfg *config.Config, fn func(a *history.Archive) error) error {
	a, err := openArchive(cmd, cfg)
	if err != nil {
		return cliError(err)
	}
	defer a.Close()
	return cliError(fn(a))
}

// readHistory runs a command that only reads the history: its report flags are checked
// against formats before anything is opened, then the config is loaded and the archive opened
// for fn.
func readHistory(cmd *cobra.Command, rf *reportFlags, formats []string, fn func(cfg *config.Config, a *history.Archive) error) error {
	if err := rf.validate(formats); err != nil {
		return err
	}
	cfg, err := loadConfig(cmd, nil)
	if err != nil {
		return err
	}
	return withArchive(cmd, cfg, func(a *history.Archive) error { return fn(cfg, a) })
}

// cliError gives the history's input errors (an unknown run, a flag that contradicts the run
// being resumed, a changed input) the exit status of bad input.
// A --db naming no database, given to a command that only reads, is bad input too.
func cliError(err error) error {
	var ie *history.InputError
	var ue *usageError
	if (errors.As(err, &ie) || store.IsKind(err, store.KindMissing)) && !errors.As(err, &ue) {
		return &usageError{err}
	}
	return err
}

// storedResult loads a finished run and its result from the history database for the
// commands that render it (report, review); the database is closed again before it returns.
func storedResult(cmd *cobra.Command, cfg *config.Config, id string) (*store.Run, *audit.Result, error) {
	var rec *history.Recorded
	err := withArchive(cmd, cfg, func(a *history.Archive) error {
		var err error
		rec, err = a.Finished(cmd.Context(), id)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return rec.Run, rec.Result, nil
}

// historyFlags are check's flags for the store.
type historyFlags struct {
	Resume bool
}

func (h *historyFlags) register(f *pflag.FlagSet) {
	f.BoolVar(&h.Resume, "resume", false, "继续一次被终止或中断的运行（最新的未完成运行，或指定的 RUN），只检查尚未判定的账号")
}

// runRecorder records one check or recheck run for a command: the store is opened when the
// run starts (at once with --resume), the run record when its scope is known.
type runRecorder struct {
	s   *streams
	cmd *cobra.Command
	cfg *config.Config
	st  *store.Store
	// inputs are the run's files and switches, read when the run starts (after --resume has
	// filled them in).
	inputs func() history.Inputs
	resume *store.Run // the run --resume continues
	// resumed is true with --resume: a recording (--record) goes on in the run's folder.
	resumed bool
	spec    history.Spec // what a new run records besides its inputs (a recheck's parent, …)
	rec     *history.Recorder
}

// Close closes the store (committing any verdict still on its way, see store.Close).
func (h *runRecorder) Close() error {
	if h == nil || h.st == nil {
		return nil
	}
	return h.st.Close()
}

// openCheckHistory prepares the store for `check`. Without --resume nothing is opened yet: the
// database is opened, and the run recorded, only once the inputs have loaded, so bad usage or
// a bad registry never touches it. With --resume it loads the run to continue (RUN, else the
// newest unfinished one), refuses flags that contradict it, and fills opts and cfg with the
// run's stored parameters, so the rest of the check runs exactly as the run started.
func openCheckHistory(cmd *cobra.Command, s *streams, cfg *config.Config, opts *checkOptions, args []string) (*runRecorder, error) {
	if !opts.history.Resume && len(args) > 0 {
		return nil, usageErrorf("多余的参数 %q：只有与 --resume 一起才能指定运行", args[0])
	}
	h := &runRecorder{s: s, cmd: cmd, cfg: cfg, spec: history.Spec{Kind: store.KindCheck}}
	h.inputs = func() history.Inputs {
		return history.Inputs{Registry: opts.Registry, Sheet: opts.Sheet, Targets: opts.Accounts, Observations: opts.Observations,
			Findings: opts.Findings, Offline: opts.Offline, Replay: opts.Replay, Record: opts.Record, Format: opts.report.Format}
	}
	if !opts.history.Resume {
		return h, nil
	}
	st, err := openExisting(cmd, cfg)
	if err != nil {
		return nil, err
	}
	id := ""
	if len(args) == 1 {
		id = args[0]
	}
	r, err := history.FindResumable(cmd.Context(), st, id)
	if err == nil {
		err = adoptRun(cmd, s, cfg, opts, r)
	}
	if err != nil {
		st.Close()
		return nil, cliError(err)
	}
	h.st, h.resume, h.resumed = st, r, true
	return h, nil
}

// adoptRun checks the flags given with --resume against run r (history.Given) and replaces
// the parameters with r's.
func adoptRun(cmd *cobra.Command, s *streams, cfg *config.Config, opts *checkOptions, r *store.Run) error {
	fl := cmd.Flags()
	given := func(name, v string) *string {
		if !fl.Changed(name) {
			return nil
		}
		return &v
	}
	g := history.Given{Registry: given("registry", opts.Registry), Accounts: given("accounts", opts.Accounts),
		Observations: given("observations", opts.Observations), Findings: given("findings", opts.Findings),
		Sheet: given("sheet", opts.Sheet), Window: given("window", opts.Window), Replay: given("replay", opts.Replay),
		Record: given("record", opts.Record)}
	if fl.Changed("at") {
		g.At = func(loc *time.Location) (time.Time, error) { return parseAt(opts.At, loc, s.Now) }
		g.AtText = opts.At
	}
	if fl.Changed("offline") {
		g.Offline = &opts.Offline
	}
	if err := g.Check(r); err != nil {
		return err
	}
	in := history.InputsOf(r, opts.report.Format)
	opts.Registry, opts.Sheet, opts.Accounts = in.Registry, in.Sheet, in.Targets
	opts.Observations, opts.Findings = in.Observations, in.Findings
	opts.At = r.CheckTime.Format(time.RFC3339Nano)
	opts.Window = r.Window
	// A run that recorded its exchanges goes on recording into the same folder, so every verdict
	// of the finished run has its evidence there.
	opts.Offline, opts.Replay, opts.Record = in.Offline, in.Replay, in.Record
	if !fl.Changed("format") {
		opts.report.Format = r.Format
	}
	// The rules and zone come from the run, whatever today's config says.
	loc := r.Location()
	cfg.Window, cfg.PendingClosure, cfg.Timezone, cfg.Location = r.Window, r.Pending, r.Timezone, loc
	cfg.WarnAfter = strconv.FormatInt(int64(r.WarnAfter/time.Hour), 10) + "h"
	cfg.Report.RateDecimals = r.RateDecimals
	return nil
}

// check runs c, recording it (history.Recorder): the run record once the scope is known, each
// verdict as it is decided, the finish once every verdict is kept. Any failure leaves the run
// unfinished, and stderr says how to resume it.
func (h *runRecorder) check(ctx context.Context, c *audit.Check) (*audit.Result, error) {
	if err := h.begin(c, false); err != nil {
		return nil, err
	}
	h.rec.OnResume = func(decided int) {
		r := h.rec.Run()
		printNotices(h.s.Err, []string{fmt.Sprintf("继续运行 %s：%d / %d 个账号已判定，不再重新检查", r.ID, decided, r.Planned)})
	}
	res, err := h.rec.Check(ctx, c)
	if err == nil {
		err = h.rec.Finish(ctx)
	}
	if err != nil {
		return nil, h.failed(err)
	}
	return res, nil
}

// distribute records a distributed run of c (history.Recorder.Start/Complete) and has run
// decide it — the coordinator, whose workers decide the accounts (worker.go). Like check, a
// failure leaves the run unfinished and stderr says how to resume it.
func (h *runRecorder) distribute(ctx context.Context, c *audit.Check, run func(rec *history.Recorder) (*audit.Result, error)) (*audit.Result, error) {
	if err := h.begin(c, true); err != nil {
		return nil, err
	}
	h.rec.OnResume = func(decided int) {
		r := h.rec.Run()
		printNotices(h.s.Err, []string{fmt.Sprintf("重新接管分布式运行 %s：%d / %d 个账号已判定，只为尚未判定的账号排队", r.ID, decided, r.Planned)})
	}
	res, err := run(h.rec)
	if err != nil {
		return nil, h.failed(err)
	}
	return res, nil
}

// begin opens the store for writing and starts recording c: the run being resumed, or a new
// run (distributed when the coordinator's workers will decide it).
func (h *runRecorder) begin(c *audit.Check, distributed bool) error {
	if h.st == nil {
		st, err := openWritable(h.cmd, h.cfg)
		if err != nil {
			return err
		}
		h.st = st
	}
	var err error
	if h.resume != nil {
		h.rec, err = history.Resume(h.st, h.resume, c, h.inputs(), h.s.Now)
	} else {
		spec := h.spec
		spec.Distributed = distributed
		if spec.Timezone == "" {
			spec.Timezone = h.cfg.Location.String()
		}
		spec.RateDecimals, spec.Version = h.cfg.Report.RateDecimals, version
		h.rec, err = history.Begin(h.st, c, h.inputs(), spec, h.s.Now)
	}
	return cliError(err)
}

// failed tells the user a run that was recorded can be resumed.
func (h *runRecorder) failed(err error) error {
	if h.rec.Created() {
		r := h.rec.Run()
		c, _ := h.rec.Kept(context.Background())
		printNotices(h.s.Err, []string{fmt.Sprintf("运行 %s 尚未完成（%d / %d 个账号的判定结果已保存在 %s）；继续运行：nmaudit check --resume %s",
			r.ID, c.Decided, r.Planned, h.st.Path(), r.ID)})
	}
	return cliError(err)
}

// render writes the report of the run just recorded, as `show` will print it again.
func (h *runRecorder) render(w io.Writer, format string, res *audit.Result, opt report.Options) error {
	rep, err := history.ReportOf(context.Background(), h.st, &history.Recorded{Run: h.rec.Run(), Result: res})
	if err != nil {
		return err
	}
	return renderReport(w, format, rep, opt)
}

// renderReport renders a recorded run as its command printed it: the check report with its
// run_id, in the run's own rate decimals and zone, plus the 复核结果 for a recheck.
func renderReport(w io.Writer, format string, rep *history.Report, opt report.Options) error {
	r := rep.Run
	opt.RunID, opt.RateDecimals, opt.Location = r.ID, r.RateDecimals, r.Location()
	if rep.Recheck == nil {
		return report.Check(w, format, rep.Result, opt)
	}
	return renderRecheck(w, format, rep.Result, opt, *rep.Recheck)
}
