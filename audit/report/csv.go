package report

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"

	"github.com/nmaudit/nmaudit/audit"
)

// utf8BOM starts every CSV report: Excel and WPS on Chinese Windows read a CSV without it as
// GBK and show mojibake; with it they read UTF-8.
const utf8BOM = "\uFEFF"

// allAccountsHeader is the 全部账号 view: one row per in-scope account (csv and xlsx).
var allAccountsHeader = []string{colName, colType, colPlatform, colAccountID, colOwner, colLevel, colRegion,
	colRegistryStatus, colResult, colProblems, colLatestPost, colSource, colDetail}

// allAccountsLatestCol is the index of 最近更新时间 in allAccountsHeader (an Excel date in xlsx).
const allAccountsLatestCol = 10

// allAccountsRow is one account's row of the 全部账号 view, the time as text in loc.
func allAccountsRow(v audit.Verdict, opt Options) []string {
	return []string{v.Name, v.Type, string(v.Platform), accountID(v.Account), v.Owner, v.Level, v.Region,
		v.RegistryStatus, v.Status.Label(), strings.Join(v.Problems, problemsSep),
		formatTime(v.LatestPostAt, opt.Location, layoutSecond), v.Source, v.Detail}
}

// checkCSV writes the 全部账号 view: UTF-8 with BOM and CRLF line ends, as Excel writes CSV.
func checkCSV(w io.Writer, r *audit.Result, opt Options) error {
	cw, err := newCSVWriter(w)
	if err != nil {
		return err
	}
	if err := cw.Write(allAccountsHeader); err != nil {
		return err
	}
	for _, v := range r.Accounts {
		if err := cw.Write(csvSafe(allAccountsRow(v, opt))); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

var reconcileCSVHeader = []string{colCategory, colName, colType, colOwner, colPlatform,
	colRegistryRow, colListRow, colRegistryState, colListState, colDifference}

// reconcileCSV writes one row per entry of every list, the list named in 类别, in the
// contract's list order. A matched pair that differs appears twice (匹配 and its mismatch
// list), as it does in the JSON.
func reconcileCSV(w io.Writer, r *audit.Reconciliation) error {
	cw, err := newCSVWriter(w)
	if err != nil {
		return err
	}
	if err := cw.Write(reconcileCSVHeader); err != nil {
		return err
	}
	for _, c := range reconcileCategories {
		for _, e := range c.entries(r) {
			row := []string{c.short, e.Name, e.Type, e.Owner, e.Platform, rowNumber(e.RegistryRow),
				rowNumber(e.ListRow), e.RegistryStatus, e.ListStatus, differences(e, c.key == "status_mismatch")}
			if err := cw.Write(csvSafe(row)); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// newCSVWriter writes the BOM and returns a writer using Excel's CRLF line ends.
func newCSVWriter(w io.Writer) (*csv.Writer, error) {
	if _, err := io.WriteString(w, utf8BOM); err != nil {
		return nil, err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	return cw, nil
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
