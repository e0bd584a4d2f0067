// Package report renders nmaudit's results — a check (audit.Result) and a registry
// reconciliation (audit.Reconciliation) — in the formats inspection offices use: an aligned
// terminal table (github.com/olekukonko/tablewriter), JSON (the contract in design.md), CSV and
// xlsx for Excel/WPS (github.com/xuri/excelize, https://xuri.me/excelize/), and GitHub Markdown.
//
// The package only formats: every count, verdict and reason comes from the audit values, so all
// formats tell the same story. table and md are built from one document model (document.go) so
// they cannot drift apart; JSON is built from explicit DTOs (json.go) so the contract lives in one
// file.
package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/nmaudit/nmaudit/audit"
)

// Options tune how a report prints. The zero value is usable; DefaultOptions gives the
// conventional settings.
type Options struct {
	// RateDecimals is the number of decimals of the 不合格占比 percentage in the table, md, csv
	// and xlsx reports: cities print 0, 1 or 2 (domain.md). 0 really means whole percents —
	// it is not replaced by a default, so a configured 0 is honoured; DefaultOptions sets 1.
	// JSON always carries the raw ratio rounded to 4 decimals, whatever this says.
	RateDecimals int
	// Location is the zone times print in; nil means Asia/Shanghai (the inspection's zone,
	// design.md), so a report never depends on the machine's local zone.
	Location *time.Location
	// RunID, when non-empty, is emitted first in the JSON report as "run_id" (the history store
	// adds it, design.md "Later commands"); other formats ignore it.
	RunID string
	// Levels decides every account's level stratum in every format (config levels.overrides,
	// the registry's value, the owner-name inference: audit.LevelResolver.Group). nil infers
	// without overrides — never "no levels": a registry without a 层级 column still gets its
	// level breakdown.
	Levels *audit.LevelResolver
	// Width is the terminal width the table format must fit; long cells (原因, 说明, 存在的严重
	// 问题) wrap inside their column. 0 takes the width from the writer when it reports one
	// (TerminalWidth), else draws every row on one line, as files and pipes want.
	Width int
}

// TerminalWidth is implemented by a writer that draws on a terminal of known width; the CLI's
// stdout does when it is a terminal. The table report fits itself to that width.
type TerminalWidth interface {
	TerminalWidth() int
}

// accountLevel is the level an account is filed under in every report: audit.LevelResolver.Group.
// One function, so the table's 分层级统计, the csv/xlsx 层级 column and the inspection document
// can never disagree.
func accountLevel(lr *audit.LevelResolver, v audit.Verdict) (string, bool) {
	return lr.Group(v.Account)
}

// widthOf is opt.Width, or the width w reports.
func widthOf(w io.Writer, opt Options) int {
	if opt.Width > 0 {
		return opt.Width
	}
	if tw, ok := w.(TerminalWidth); ok {
		return max(tw.TerminalWidth(), 0)
	}
	return 0
}

// DefaultOptions returns the settings design.md names as defaults: 1 decimal (1.8%) and
// Asia/Shanghai.
func DefaultOptions() Options {
	return Options{RateDecimals: 1, Location: shanghai()}
}

// Formats lists the report formats, the default (table) first. The CLI validates --format
// against it and prints it in its help.
var Formats = []string{"table", "json", "csv", "md", "xlsx"}

// maxRateDecimals bounds RateDecimals: more digits than the counts can justify only add noise.
const maxRateDecimals = 4

// Check writes the report of a check run in the given format to w. An unknown format is an
// error naming the valid ones, and nothing is written.
func Check(w io.Writer, format string, r *audit.Result, opt Options) error {
	if r == nil {
		return errors.New("报告: 没有可输出的检查结果")
	}
	opt = opt.normalized()
	switch format {
	case "table":
		return writeBuffered(w, func(bw io.Writer) error { return renderTable(bw, checkDocument(r, opt), widthOf(w, opt)) })
	case "md":
		return writeBuffered(w, func(bw io.Writer) error { return renderMarkdown(bw, checkDocument(r, opt)) })
	case "json":
		return writeBuffered(w, func(bw io.Writer) error { return writeCheckJSON(bw, r, opt) })
	case "csv":
		return writeBuffered(w, func(bw io.Writer) error { return checkCSV(bw, r, opt) })
	case "xlsx":
		return checkXLSX(w, r, opt)
	}
	return unknownFormat(format)
}

// Reconcile writes a registry reconciliation report in the given format to w. A
// reconciliation prints no times or rates, so opt currently changes nothing; it is taken so both
// entry points look alike to the CLI and can grow together.
func Reconcile(w io.Writer, format string, r *audit.Reconciliation, opt Options) error {
	if r == nil {
		return errors.New("报告: 没有可输出的登记核对结果")
	}
	opt = opt.normalized()
	switch format {
	case "table":
		return writeBuffered(w, func(bw io.Writer) error { return renderTable(bw, reconcileDocument(r), widthOf(w, opt)) })
	case "md":
		return writeBuffered(w, func(bw io.Writer) error { return renderMarkdown(bw, reconcileDocument(r)) })
	case "json":
		return writeBuffered(w, func(bw io.Writer) error { return writeJSON(bw, reconcileJSON(r)) })
	case "csv":
		return writeBuffered(w, func(bw io.Writer) error { return reconcileCSV(bw, r) })
	case "xlsx":
		return reconcileXLSX(w, r)
	}
	return unknownFormat(format)
}

func unknownFormat(format string) error {
	return fmt.Errorf("报告格式 %q 无效（可用: %s）", format, strings.Join(Formats, ", "))
}

// writeBuffered runs render against a buffered writer and reports the first write error: the
// renderers (tablewriter, encoding/csv) may drop errors from intermediate writes, and bufio's
// error is sticky, so a full disk or a closed pipe is never reported as success.
func writeBuffered(w io.Writer, render func(io.Writer) error) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := render(bw); err != nil {
		return err
	}
	return bw.Flush()
}

func (o Options) normalized() Options {
	if o.Location == nil {
		o.Location = shanghai()
	}
	o.RateDecimals = min(max(o.RateDecimals, 0), maxRateDecimals)
	return o
}

// shanghai is Asia/Shanghai from the zone database, or the equivalent fixed +08:00 zone when
// the database is missing (a bare container, Windows without Go's tzdata): China has kept
// +08:00 without daylight saving since 1991, so every date a report shows prints the same.
func shanghai() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*60*60)
}

// FormatRate prints a ratio as a percentage with the given decimals: 3/166 → "1.8%" (1),
// "2%" (0), "1.81%" (2); 0 → "0.0%" with 1 decimal, so a column of rates lines up. Halves round
// up (四舍五入, as offices compute by hand); the product is first rounded to 1e-6 so binary
// noise (1/80*100 = 1.2500000000000002 or 1.2499999999999998) cannot flip a half. A NaN or
// infinite rate (no accounts in scope, computed carelessly) prints as "-".
func FormatRate(rate float64, decimals int) string {
	if math.IsNaN(rate) || math.IsInf(rate, 0) {
		return "-"
	}
	decimals = min(max(decimals, 0), maxRateDecimals)
	scale := math.Pow10(decimals)
	x := math.Round(rate*100*scale*1e6) / 1e6
	x = math.Round(x) / scale
	if x == 0 {
		x = 0 // no "-0.0%"
	}
	return strconv.FormatFloat(x, 'f', decimals, 64) + "%"
}

// ratio is part/whole, 0 when whole is 0 (a level with no account in scope has no rate to
// report, and 0% reads better than a NaN in every format).
func ratio(part, whole int) float64 {
	if whole == 0 {
		return 0
	}
	return float64(part) / float64(whole)
}

// Time layouts: minutes for the header line and warnings (what a person compares), seconds in
// the account lists (what the platform reported), RFC 3339 in JSON (the contract).
const (
	layoutMinute = "2006-01-02 15:04"
	layoutSecond = "2006-01-02 15:04:05"
)

func formatTime(t *time.Time, loc *time.Location, layout string) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.In(loc).Format(layout)
}

// accountID is the identifier the reports print: the parsed id (a uid, a fakeid), which is what
// a platform knows the account by, else the cell as written (an id for an unsupported platform).
func accountID(a audit.Account) string {
	if a.ID != "" {
		return a.ID
	}
	return a.RawID
}
