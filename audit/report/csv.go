package report

import (
	"encoding/csv"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/platforms"
)

// utf8BOM starts every CSV report: Excel and WPS on Chinese Windows read a CSV without it as
// GBK and show mojibake; with it they read UTF-8.
const utf8BOM = "\uFEFF"

// allAccountsHeader is the 全部账号 view: one row per in-scope account (csv and xlsx).
var allAccountsHeader = []string{colName, colType, colPlatform, colAccountID, colOwner, colLevel, colRegion,
	colRegistryStatus, colResult, colProblems, colLatestPost, colSource, colDetail}

// allAccountsLatestCol is the index of 最近更新时间 in allAccountsHeader (an Excel date in xlsx).
const allAccountsLatestCol = 10

// allAccountsRow is one account's row of the 全部账号 view, the time as text in loc. People read
// it, so platform and source are the Chinese labels (微信公众号, 人工记录), not the JSON codes,
// and the level is the one every report uses (accountLevel).
func allAccountsRow(v audit.Verdict, opt Options) []string {
	level, _ := accountLevel(opt.Levels, v)
	return []string{v.Name, v.Type, PlatformLabel(v.Platform), accountID(v.Account), v.Owner, level, v.Region,
		v.RegistryStatus, v.Status.Label(), strings.Join(v.Problems, problemsSep),
		formatTime(v.LatestPostAt, opt.Location, layoutSecond), SourceLabel(v.Source), v.Detail}
}

// checkCSV writes the 全部账号 view: UTF-8 with BOM and CRLF line ends, as Excel writes CSV.
func checkCSV(w io.Writer, r *audit.Result, opt Options) error {
	cw, err := NewCSVWriter(w)
	if err != nil {
		return err
	}
	if err := cw.Write(allAccountsHeader); err != nil {
		return err
	}
	for _, v := range r.Accounts {
		if err := cw.Write(allAccountsRow(v, opt)); err != nil {
			return err
		}
	}
	return cw.Flush()
}

var reconcileCSVHeader = []string{colCategory, colName, colType, colOwner, colPlatform,
	colRegistryRow, colListRow, colRegistryState, colListState, colDifference}

// reconcileCSV writes one row per entry of every list, the list named in 类别, in the
// contract's list order. A matched pair that differs appears twice (匹配 and its mismatch
// list), as it does in the JSON.
func reconcileCSV(w io.Writer, r *audit.Reconciliation) error {
	cw, err := NewCSVWriter(w)
	if err != nil {
		return err
	}
	if err := cw.Write(reconcileCSVHeader); err != nil {
		return err
	}
	for _, c := range reconcileCategories {
		for _, e := range c.entries(r) {
			row := []string{c.short, e.Name, e.Type, e.Owner, PlatformLabel(platforms.Platform(e.Platform)), rowNumber(e.RegistryRow),
				rowNumber(e.ListRow), e.RegistryStatus, e.ListStatus, differences(e, c.key == "status_mismatch")}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	return cw.Flush()
}

// CSVWriter writes CSV the one way every nmaudit CSV is written — check, reconcile, sample,
// diff, recheck, review: a UTF-8 BOM first (Excel and WPS on Chinese Windows read a CSV
// without it as GBK), CRLF line ends (what Excel writes), and every cell defused against
// formula injection (csvSafe). One writer, so no command can forget a step: the sample CSV
// used to carry =cmd|' /C calc'!A0 from a registry cell straight into the file an office
// opens.
type CSVWriter struct {
	cw *csv.Writer
}

// NewCSVWriter writes the BOM to w and returns the writer.
func NewCSVWriter(w io.Writer) (*CSVWriter, error) {
	if _, err := io.WriteString(w, utf8BOM); err != nil {
		return nil, err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	return &CSVWriter{cw: cw}, nil
}

// Write writes one record, each cell defused (record itself is not modified).
func (c *CSVWriter) Write(record []string) error {
	return c.cw.Write(csvSafe(slices.Clone(record)))
}

// Flush writes any buffered data and reports the first error of any Write or of the flush,
// so a full disk or a closed pipe is never reported as success.
func (c *CSVWriter) Flush() error {
	c.cw.Flush()
	return c.cw.Error()
}

// csvSafe defuses CSV formula injection (OWASP "CSV Injection"): Excel and WPS evaluate a cell
// that starts with = + - @ as a formula, so text from a registry or a platform (a post title, an
// error message) could run one — a DDE payload such as =cmd|' /C calc'!A0 — when the office
// opens the report. Such a cell gets a leading apostrophe, the spreadsheet convention for "this
// is text". The rules, chosen to leave real data untouched:
//   - = + @ always, and a leading tab or carriage return (some importers strip it and then see
//     the next character);
//   - "-" unless the whole cell is a number or a lone "-" (a placeholder): "-5" and "-0.3" are
//     data, but checking only the character after the "-" (a common shortcut) would let
//     "-2+3+cmd|' /C calc'!A0" through.
//
// The cost: the apostrophe shows in the cell when the CSV is opened. xlsx reports need none of
// this, as excelize writes text cells as strings, never as formulas.
func csvSafe(row []string) []string {
	for i, s := range row {
		if formulaLike(s) {
			row[i] = "'" + s
		}
	}
	return row
}

func formulaLike(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '=', '+', '@', '\t', '\r':
		return true
	case '-':
		if s == "-" {
			return false
		}
		_, err := strconv.ParseFloat(s, 64)
		return err != nil
	}
	return false
}
