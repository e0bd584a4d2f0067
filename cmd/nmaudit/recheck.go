package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/xuri/excelize/v2"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/audit/report"
	"github.com/nmaudit/nmaudit/audit/store"
	"github.com/nmaudit/nmaudit/config"
)

// recheckOptions are `nmaudit recheck`'s flags.
type recheckOptions struct {
	Registry     string
	At           string
	Observations string
	Findings     string
	Offline      bool
	Record       string
	Replay       string
	Quiet        bool
	report       reportFlags
}

func newRecheckCmd(s *streams) *cobra.Command {
	opts := &recheckOptions{}
	cmd := &cobra.Command{
		Use:   "recheck RUN [--at T] [--observations F] [--findings F] [--concurrency N] [--format F] [-o FILE]",
		Short: "Re-check (复核) the accounts that were 不合格 or 待核查 in a run",
		Long: `recheck checks again only the accounts that were 不合格 or 待核查 in RUN, as a new run linked
to it, and reports which were fixed (now 合格) and which still fail. It uses RUN's window and
pending-closure policy; the check time defaults to now, since a 复核 asks whether the account
complies today.

The registry is RUN's registry file, read again (or --registry FILE). If it has changed since
RUN — units often update the registry as part of their rectification — a note says so and the
re-check goes on: accounts are matched by platform + id, else by platform + name, never by row;
an account closed since is reported as such.

RUN's veto findings (--findings rows that made an account 不合格) stay in force until a new
--findings file replaces them: give the office's current findings file once the unit's
correction has been verified.`,
		Example: `  nmaudit recheck 20220825-170000-3f9a
  nmaudit recheck 20220825-170000-3f9a --at 2022-09-15 --format json | jq .fixed
  nmaudit recheck 20220825-170000-3f9a --findings 复核发现.xlsx --format xlsx -o 复核结果.xlsx`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(cmd, map[string]string{"concurrency": "concurrency"})
			if err != nil {
				return err
			}
			return runRecheck(cmd, s, cfg, opts, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Registry, "registry", "", "registry export to match the accounts in (default: the run's registry file)")
	f.StringVar(&opts.At, "at", "", `check time point of the re-check: RFC 3339, "2006-01-02 15:04" or "2006-01-02"; default now`)
	f.StringVar(&opts.Observations, "observations", "", "latest-post times found by hand for the re-check (.xlsx/.csv)")
	f.StringVar(&opts.Findings, "findings", "", "veto findings now in force (.xlsx/.csv); default: the run's findings for these accounts")
	f.BoolVar(&opts.Offline, "offline", false, "fetch nothing; classify from --observations only")
	f.StringVar(&opts.Record, "record", "", "save every HTTP exchange (secrets redacted) under DIR as evidence")
	f.StringVar(&opts.Replay, "replay", "", "answer every request from a --record folder, no network")
	f.Int("concurrency", 4, "parallel fetches per platform (each platform keeps its own rate limit)")
	f.BoolVarP(&opts.Quiet, "quiet", "q", false, "no progress bar")
	opts.report.register(f, checkFormats)
	return cmd
}

func runRecheck(cmd *cobra.Command, s *streams, cfg *config.Config, opts *recheckOptions, runArg string) error {
	if err := opts.report.validate(checkFormats); err != nil {
		return err
	}
	if opts.Offline && (opts.Record != "" || opts.Replay != "") {
		return usageErrorf("--offline fetches nothing: it cannot be combined with --record or --replay")
	}
	if opts.Record != "" && opts.Replay != "" {
		return usageErrorf("--record and --replay cannot be used together")
	}
	st, err := openStore(cmd, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	ctx := cmd.Context()
	parent, err := finishedRun(ctx, st, runArg)
	if err != nil {
		return err
	}
	before, err := st.Result(ctx, parent)
	if err != nil {
		return err
	}
	var targets []audit.Account
	var carried []audit.Finding
	for _, v := range before.Accounts {
		if v.Status != audit.Unqualified && v.Status != audit.NeedsReview {
			continue
		}
		targets = append(targets, v.Account)
		for _, e := range v.Evidence {
			if e.Source == audit.SourceFinding {
				carried = append(carried, audit.Finding{Row: e.Row, Name: v.Name, Type: v.Type, Platform: v.Platform,
					Problem: e.Title, Veto: contains(v.Problems, e.Title)})
			}
		}
	}
	if len(targets) == 0 {
		fmt.Fprintf(s.Err, "nmaudit: run %s has no 不合格 or 待核查 account; nothing to re-check\n", parent.ID)
		return nil
	}

	// The re-check judges by the run's rules, in the run's zone.
	loc := parent.Location()
	cfg.Timezone, cfg.Location = parent.Timezone, loc
	cfg.Window, cfg.PendingClosure = parent.Window, parent.Pending
	params, err := parent.Params()
	if err != nil {
		return err
	}
	at := opts.At
	if opts.Replay != "" && at == "" {
		// A recording answers for the moment it was made at.
		meta, err := replayMeta(opts.Replay)
		if err != nil {
			return err
		}
		at = meta[metaCheckTime]
	}
	if params.CheckTime, err = parseAt(at, loc, s.Now); err != nil {
		return err
	}

	regPath, sheetName := opts.Registry, ""
	if regPath == "" {
		regPath, sheetName = parent.Registry.Path, parent.Sheet
		if sum, err := hashFile(regPath); err != nil {
			return usageErrorf("registry %s (used by run %s): %v; name the registry with --registry", regPath, parent.ID, err)
		} else if sum != parent.Registry.SHA256 {
			fmt.Fprintf(s.Err, "注意: 信息报送系统导出 %s 在运行 %s 之后已更改；账号按平台+账号ID或名称匹配，已注销或已删除的账号单独列出\n", regPath, parent.ID)
		}
	}
	reg, err := audit.LoadRegistry(regPath, loadOptions(cfg, sheetName))
	if err != nil {
		return err
	}
	other := audit.LoadOptions{Columns: cfg.Registry.Columns}
	check := &audit.Check{Params: params, Registry: reg, Targets: targets, TargetFile: recheckTargetName(parent.ID),
		Concurrency: cfg.Concurrency}
	if opts.Observations != "" {
		obs, err := audit.LoadObservations(opts.Observations, other, loc)
		if err != nil {
			return err
		}
		// A 复核 is usually given the office's whole observation sheet: rows for accounts that
		// are not re-checked are left out, counted rather than named one by one.
		check.Observations = forAccounts(obs, targets)
		if n := len(obs) - len(check.Observations); n > 0 {
			fmt.Fprintf(s.Err, "注意: 观察记录中 %d 行不属于本次复核的账号，未使用\n", n)
		}
	}
	if opts.Findings != "" {
		if check.Findings, err = audit.LoadFindings(opts.Findings, other); err != nil {
			return err
		}
		carried = nil
	} else if len(carried) > 0 {
		check.Findings = carried
		fmt.Fprintf(s.Err, "注意: 沿用运行 %s 的 %d 条人工检查发现；整改核实后请用 --findings 提供最新的检查发现\n", parent.ID, len(carried))
	}
	done, err := attachFetching(check, s, cfg, opts.Offline, opts.Quiet, fetchOptions{Record: opts.Record, Replay: opts.Replay})
	if err != nil {
		return err
	}
	defer done()

	h := &history{s: s, st: st, cfg: cfg,
		template: store.Run{Kind: store.KindRecheck, ParentID: parent.ID, TargetAccounts: targets, CarriedFindings: carried},
		files: func() runFiles {
			return runFiles{Registry: regPath, Sheet: sheetName, Observations: opts.Observations, Findings: opts.Findings,
				Offline: opts.Offline, Replay: opts.Replay, Record: opts.Record, Format: opts.report.Format}
		}}
	res, err := h.check(ctx, check)
	if err != nil {
		return err
	}
	for _, n := range res.Notices {
		fmt.Fprintln(s.Err, "注意:", n)
	}
	return opts.report.write(s.Out, func(w io.Writer) error {
		return h.render(w, opts.report.Format, res, reportOptions(cfg))
	})
}

// forAccounts keeps the observations that match one of accts (by platform + id, else name).
func forAccounts(obs []audit.Observation, accts []audit.Account) []audit.Observation {
	vs := make([]audit.Verdict, len(accts))
	for i, a := range accts {
		vs[i].Account = a
	}
	ix := newVerdictIndex(vs)
	var out []audit.Observation
	for _, o := range obs {
		if _, ok := ix.find(audit.Account{Name: o.Name, Type: o.Type, Platform: o.Platform, IDKind: o.IDKind, ID: o.ID}); ok {
			out = append(out, o)
		}
	}
	return out
}

// recheckTargetName names a recheck's target list in notices.
func recheckTargetName(parentID string) string { return "复核(" + parentID + ")" }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Labels for accounts a recheck could not check again.
const (
	labelClosedSince = "已注销（不再检查）"
	labelNotInScope  = audit.LabelUnregistered
)

// recheckEntry is one re-checked account: its result in the parent run and now.
type recheckEntry struct {
	Name     string   `json:"name"`
	Type     string   `json:"type"`
	Owner    string   `json:"owner"`
	From     string   `json:"from"`
	To       string   `json:"to"`
	Problems []string `json:"problems"`
	Detail   string   `json:"detail"`
}

// recheckResult is the 复核结果: the parent run's failing accounts by what the re-check found.
type recheckResult struct {
	ParentRunID      string         `json:"parent_run_id"`
	Fixed            []recheckEntry `json:"fixed"`
	StillFailing     []recheckEntry `json:"still_failing"`
	StillNeedsReview []recheckEntry `json:"still_needs_review"`
	// NowPendingClosure are accounts whose closure is now under way (注销中): set aside.
	NowPendingClosure []recheckEntry `json:"now_pending_closure"`
	// NotRechecked are accounts no longer in the registry's scope (closed, or gone).
	NotRechecked []recheckEntry `json:"not_rechecked"`
}

// recheckOutcome sorts the parent's 不合格 and 待核查 accounts by their verdict in the recheck.
func recheckOutcome(parentID string, before, after *audit.Result) recheckResult {
	out := recheckResult{ParentRunID: parentID, Fixed: []recheckEntry{}, StillFailing: []recheckEntry{},
		StillNeedsReview: []recheckEntry{}, NowPendingClosure: []recheckEntry{}, NotRechecked: []recheckEntry{}}
	ix := newVerdictIndex(after.Accounts)
	unreg := map[string]bool{}
	for _, u := range after.Unregistered {
		p, _ := audit.ParseType(u.Type)
		unreg[nameKey(p, u.Type, u.Name)] = true
	}
	for _, b := range before.Accounts {
		if b.Status != audit.Unqualified && b.Status != audit.NeedsReview {
			continue
		}
		e := recheckEntry{Name: b.Name, Type: b.Type, Owner: b.Owner, From: b.Status.Label(), Problems: []string{}}
		i, ok := ix.find(b.Account)
		if !ok {
			e.To = labelClosedSince
			if unreg[nameKey(b.Platform, b.Type, b.Name)] {
				e.To = labelNotInScope
			}
			out.NotRechecked = append(out.NotRechecked, e)
			continue
		}
		a := after.Accounts[i]
		e.To, e.Problems, e.Detail = a.Status.Label(), append([]string{}, a.Problems...), a.Detail
		switch a.Status {
		case audit.Qualified:
			out.Fixed = append(out.Fixed, e)
		case audit.Unqualified:
			out.StillFailing = append(out.StillFailing, e)
		case audit.NeedsReview:
			out.StillNeedsReview = append(out.StillNeedsReview, e)
		default:
			out.NowPendingClosure = append(out.NowPendingClosure, e)
		}
	}
	return out
}

func (o recheckResult) total() int {
	return len(o.Fixed) + len(o.StillFailing) + len(o.StillNeedsReview) + len(o.NowPendingClosure) + len(o.NotRechecked)
}

var recheckHeader = []string{"账号名称", "开设主体", "账号类型", "上次结果", "复核结果", "存在的问题", "说明"}

func (o recheckResult) rows() [][]string {
	var rows [][]string
	for _, list := range [][]recheckEntry{o.Fixed, o.StillFailing, o.StillNeedsReview, o.NowPendingClosure, o.NotRechecked} {
		for _, e := range list {
			rows = append(rows, []string{e.Name, e.Owner, e.Type, e.From, e.To, strings.Join(e.Problems, "；"), e.Detail})
		}
	}
	return rows
}

func (o recheckResult) summaryLine() string {
	line := fmt.Sprintf("复核运行 %s 的 %d 个不合格、待核查账号：已整改（合格）%d 个，仍不合格 %d 个，仍待核查 %d 个",
		o.ParentRunID, o.total(), len(o.Fixed), len(o.StillFailing), len(o.StillNeedsReview))
	if n := len(o.NowPendingClosure); n > 0 {
		line += fmt.Sprintf("，注销中 %d 个", n)
	}
	if n := len(o.NotRechecked); n > 0 {
		line += fmt.Sprintf("，已不在检查范围 %d 个", n)
	}
	return line + "。"
}

// renderRecheck writes the check report of the re-checked accounts, then the 复核结果: a
// section in table and md, a second block in csv, a sheet in xlsx, and extra top-level keys
// in JSON (parent_run_id, fixed, still_failing, still_needs_review, now_pending_closure,
// not_rechecked).
func renderRecheck(w io.Writer, format string, res *audit.Result, opt report.Options, o recheckResult) error {
	var buf bytes.Buffer
	if err := report.Check(&buf, format, res, opt); err != nil {
		return err
	}
	switch format {
	case "json":
		return spliceJSON(w, buf.Bytes(), o)
	case "table", "md":
		if _, err := w.Write(buf.Bytes()); err != nil {
			return err
		}
		d := report.Document{Sections: []report.Section{{Title: "复核结果", Lines: []string{o.summaryLine()}, Columns: recheckHeader, Rows: o.rows()}}}
		return report.WriteDocument(w, format, d)
	case "csv":
		if _, err := w.Write(buf.Bytes()); err != nil {
			return err
		}
		cw := csv.NewWriter(w)
		cw.UseCRLF = true
		cw.Write(nil)
		cw.Write([]string{"复核结果", o.summaryLine()})
		cw.Write(recheckHeader)
		for _, r := range o.rows() {
			cw.Write(csvCells(r))
		}
		cw.Flush()
		return cw.Error()
	case "xlsx":
		f, err := excelize.OpenReader(&buf)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := writeSheet(f, "复核结果", recheckHeader, o.rows(), []float64{24, 28, 14, 10, 12, 30, 40}); err != nil {
			return err
		}
		_, err = f.WriteTo(w)
		return err
	}
	return fmt.Errorf("unknown format %q", format)
}

// spliceJSON adds the 复核结果 keys to the check report object, keeping the report's own keys
// (run_id first) and layout untouched.
func spliceJSON(w io.Writer, doc []byte, o recheckResult) error {
	body := bytes.TrimRight(doc, "\n")
	if !bytes.HasSuffix(body, []byte("}")) {
		return fmt.Errorf("recheck: the check report is not a JSON object")
	}
	var eb bytes.Buffer
	enc := json.NewEncoder(&eb)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(o); err != nil {
		return err
	}
	extra := bytes.TrimSuffix(bytes.TrimPrefix(bytes.TrimSpace(eb.Bytes()), []byte("{")), []byte("}"))
	var out bytes.Buffer
	out.Write(bytes.TrimRight(body[:len(body)-1], " \n"))
	out.WriteString(",")
	out.Write(bytes.TrimRight(extra, " \n"))
	out.WriteString("\n}\n")
	if !json.Valid(out.Bytes()) {
		return fmt.Errorf("recheck: could not add the 复核结果 to the JSON report")
	}
	_, err := w.Write(out.Bytes())
	return err
}

// csvCells keeps a cell from being read as a formula by Excel (=, +, -, @ first).
func csvCells(row []string) []string {
	out := make([]string, len(row))
	for i, c := range row {
		if c != "" && strings.ContainsRune("=+-@", rune(c[0])) {
			c = "'" + c
		}
		out[i] = c
	}
	return out
}
