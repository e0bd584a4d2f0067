package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/xuri/excelize/v2"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/audit/history"
	"github.com/nmaudit/nmaudit/audit/report"
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
		Short: "复核一次运行中不合格和待核查的账号",
		Long: `recheck 只重新检查 RUN 中不合格和待核查的账号，作为与 RUN 关联的一次新运行，并报告哪些已经
整改（现在合格）、哪些仍不合格。复核沿用 RUN 的更新窗口和注销中账号规则；监测时间点默认为现在，
因为复核要回答的是账号今天是否合规。

信息报送系统导出默认重新读取 RUN 用过的文件（或用 --registry FILE 指定）。如果它在 RUN 之后
改过——各单位常在整改时更新登记信息——会有提示，复核照常进行：账号按平台+账号ID或名称匹配，
不按行号；其间已注销的账号单独列出。

RUN 的单项否决发现（使某账号不合格的 --findings 行）在新的 --findings 文件替换它们之前继续有效：
各单位整改经核实后，请提供检查组当前的检查发现文件。`,
		Example: `  nmaudit recheck 20220825-170000-3f9a
  nmaudit recheck 20220825-170000-3f9a --at 2022-09-15 --format json | jq .fixed
  nmaudit recheck 20220825-170000-3f9a --findings 复核发现.xlsx --format xlsx -o 复核结果.xlsx`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(cmd, map[string]string{"concurrency": "concurrency"})
			if err != nil {
				return err
			}
			return cliError(runRecheck(cmd, s, cfg, opts, args[0]))
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Registry, "registry", "", "在其中匹配账号的信息报送系统导出 `FILE`（默认：RUN 用过的文件）")
	f.StringVar(&opts.At, "at", "", "复核的监测时间点：RFC 3339、“2006-01-02 15:04”或“2006-01-02”；默认现在")
	f.StringVar(&opts.Observations, "observations", "", "复核用的人工记录的最近更新时间 `FILE`（.xlsx/.csv）")
	f.StringVar(&opts.Findings, "findings", "", "现行的单项否决发现 `FILE`（.xlsx/.csv）；默认沿用 RUN 中这些账号的发现")
	f.BoolVar(&opts.Offline, "offline", false, "不访问任何平台，只按 --observations 认定")
	f.StringVar(&opts.Record, "record", "", "把每次 HTTP 交互（已去除密钥）保存到文件夹 `DIR` 作为证据")
	f.StringVar(&opts.Replay, "replay", "", "用 --record 保存的文件夹 `DIR` 应答所有请求，不联网")
	f.Int("concurrency", 4, "每个平台的并行请求数（各平台仍遵守自己的频率限制）")
	f.BoolVarP(&opts.Quiet, "quiet", "q", false, "不显示进度条")
	opts.report.register(f, checkFormats)
	return cmd
}

func runRecheck(cmd *cobra.Command, s *streams, cfg *config.Config, opts *recheckOptions, runArg string) error {
	if err := opts.report.validate(checkFormats); err != nil {
		return err
	}
	if opts.Offline && (opts.Record != "" || opts.Replay != "") {
		return usageErrorf("--offline 不访问平台，不能与 --record 或 --replay 同用")
	}
	if opts.Record != "" && opts.Replay != "" {
		return usageErrorf("--record 和 --replay 不能同用")
	}
	st, err := openExisting(cmd, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	plan, err := history.PlanRecheck(cmd.Context(), st, runArg)
	if err != nil {
		return err
	}
	parent := plan.Parent.Run
	if len(plan.Targets) == 0 {
		printNotices(s.Err, []string{fmt.Sprintf("运行 %s 没有不合格或待核查的账号，无需复核", parent.ID)})
		return nil
	}

	// The re-check judges by the run's rules, in the run's zone.
	loc := parent.Location()
	cfg.Timezone, cfg.Location = parent.Timezone, loc
	cfg.Window, cfg.PendingClosure = parent.Window, parent.Pending
	at := opts.At
	if opts.Replay != "" && at == "" {
		// A recording answers for the moment it was made at.
		meta, err := replayMeta(opts.Replay)
		if err != nil {
			return err
		}
		at = meta[metaCheckTime]
	}
	t, err := parseAt(at, loc, s.Now)
	if err != nil {
		return err
	}
	params, err := plan.Params(t)
	if err != nil {
		return err
	}
	regPath, sheetName, notice, err := plan.RegistryFile(opts.Registry)
	if err != nil {
		return err
	}
	if notice != "" {
		printNotices(s.Err, []string{notice})
	}
	ro := loadOptions(cfg, sheetName)
	ro.Context = cmd.Context() // Ctrl-C stops a long load
	reg, err := audit.LoadRegistry(regPath, ro)
	if err != nil {
		return err
	}
	in := history.RecheckInputs{Registry: reg, ObservationsFile: opts.Observations, FindingsGiven: opts.Findings != "",
		Concurrency: cfg.Concurrency}
	other := audit.LoadOptions{Columns: cfg.Registry.Columns, Context: cmd.Context(),
		Notify: func(n string) { printNotices(s.Err, []string{n}) }}
	if opts.Observations != "" {
		if in.Observations, err = audit.LoadObservations(opts.Observations, other, loc); err != nil {
			return err
		}
	}
	if opts.Findings != "" {
		if in.Findings, err = audit.LoadFindings(opts.Findings, other); err != nil {
			return err
		}
	}
	check, carried, notices := plan.Check(params, in)
	check.ObservationsFile = opts.Observations
	printNotices(s.Err, notices)
	ctx, done, err := attachFetching(cmd.Context(), check, s, cfg, opts.Offline, opts.Quiet, fetchOptions{Record: opts.Record, Replay: opts.Replay})
	if err != nil {
		return err
	}
	defer done()

	h := &runRecorder{s: s, cmd: cmd, st: st, cfg: cfg, spec: plan.Spec(carried),
		inputs: func() history.Inputs {
			return history.Inputs{Registry: regPath, Sheet: sheetName, Observations: opts.Observations, Findings: opts.Findings,
				Offline: opts.Offline, Replay: opts.Replay, Record: opts.Record, Format: opts.report.Format}
		}}
	res, err := h.check(ctx, check)
	if err != nil {
		return runFailure(ctx, err)
	}
	printNotices(s.Err, res.Notices)
	printExplanation(s.Err, res, h.runID())
	return opts.report.write(s.Out, func(w io.Writer) error {
		return h.render(w, opts.report.Format, res, reportOptions(cfg))
	})
}

var recheckHeader = []string{"账号名称", "开设主体", "账号类型", "上次结果", "复核结果", "存在的问题", "说明"}

// recheckRows are the 复核结果's table rows.
func recheckRows(o history.RecheckOutcome) [][]string {
	var rows [][]string
	for _, e := range o.Entries() {
		rows = append(rows, []string{e.Name, e.Owner, e.Type, e.From, e.To, strings.Join(e.Problems, "；"), e.Detail})
	}
	return rows
}

// renderRecheck writes the check report of the re-checked accounts, then the 复核结果: a
// section in table and md, a second block in csv, a sheet in xlsx, and extra top-level keys
// in JSON (parent_run_id, fixed, still_failing, still_needs_review, now_pending_closure,
// not_rechecked).
func renderRecheck(w io.Writer, format string, res *audit.Result, opt report.Options, o history.RecheckOutcome) error {
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
		d := report.Document{Sections: []report.Section{{Title: "复核结果", Lines: []string{o.Summary()}, Columns: recheckHeader, Rows: recheckRows(o)}}}
		return report.WriteDocument(w, format, d)
	case "csv":
		if _, err := w.Write(buf.Bytes()); err != nil {
			return err
		}
		// The second block, after an empty line, goes through the reports' one CSV writer (its
		// cells defused against formula injection); the BOM it starts with is already at the
		// top of the check report, so it is dropped here.
		var block bytes.Buffer
		block.WriteString("\r\n")
		cw, err := report.NewCSVWriter(&block)
		if err != nil {
			return err
		}
		for _, r := range append([][]string{{"复核结果", o.Summary()}, recheckHeader}, recheckRows(o)...) {
			cw.Write(r)
		}
		if err := cw.Flush(); err != nil {
			return err
		}
		_, err = w.Write(bytes.Replace(block.Bytes(), []byte("\uFEFF"), nil, 1))
		return err
	case "xlsx":
		f, err := excelize.OpenReader(&buf)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := writeSheet(f, "复核结果", recheckHeader, recheckRows(o), []float64{24, 28, 14, 10, 12, 30, 40}); err != nil {
			return err
		}
		_, err = f.WriteTo(w)
		return err
	}
	return fmt.Errorf("未知的报告格式 %q", format)
}

// spliceJSON adds the 复核结果 keys to the check report object, keeping the report's own keys
// (run_id first) and layout untouched.
func spliceJSON(w io.Writer, doc []byte, o history.RecheckOutcome) error {
	body := bytes.TrimRight(doc, "\n")
	if !bytes.HasSuffix(body, []byte("}")) {
		return fmt.Errorf("复核：检查报告不是 JSON 对象")
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
		return fmt.Errorf("复核：无法把复核结果加入 JSON 报告")
	}
	_, err := w.Write(out.Bytes())
	return err
}
