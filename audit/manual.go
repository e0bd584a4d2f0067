package audit

import (
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/nmaudit/nmaudit/audit/sheet"
	"github.com/nmaudit/nmaudit/platforms"
)

// Observation is a latest-post time found by hand (--observations): someone looked at the
// account and wrote down when it last posted. It is a definitive source, like a platform answer.
type Observation struct {
	Row      int
	Name     string
	Type     string
	Platform platforms.Platform
	IDKind   platforms.IDKind
	ID       string
	Time     time.Time // zero when the row gives only a link
	DayOnly  bool      // only the date was written: counts as the latest moment of that day not after T
	Note     string
	// Link is the URL of one post of the account (column 链接 / 文章链接 / 最新文章链接 /
	// 核查链接), checked against the account when the run is online (design.md, Observations).
	Link string
	// Checker is who made the observation (核查人 of the 人工核对 worksheet).
	Checker string
}

// HasTime reports whether the row gives a time (a row may give only a link).
func (o Observation) HasTime() bool { return !o.Time.IsZero() }

// Finding is a veto finding made by hand (--findings), e.g. 严重表述错误 with 单项否决=是.
type Finding struct {
	Row      int
	Name     string
	Type     string
	Platform platforms.Platform
	Problem  string
	Veto     bool
}

// LoadObservations reads an observations file. A time that is not one of the accepted forms is
// an input error naming the row and column.
func LoadObservations(path string, opt LoadOptions, loc *time.Location) ([]Observation, error) {
	f, err := sheet.Open(path, sheet.Options{Sheet: opt.Sheet})
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cols, err := readHeader(f, []Field{FieldName, FieldType, FieldLatest, FieldAccountID, FieldNote}, []Field{FieldName, FieldType, FieldLatest}, opt.Columns)
	if err != nil {
		return nil, err
	}
	var out []Observation
	err = eachRow(f, func(r sheet.Row) error {
		o := Observation{Row: r.Num, Name: cols.get(r, FieldName), Type: cols.get(r, FieldType), Note: cols.get(r, FieldNote)}
		for _, fl := range []Field{FieldName, FieldType, FieldLatest} {
			if cols.get(r, fl) == "" {
				return cols.cellErr(r, fl, "%s is empty", fieldLabel(fl))
			}
		}
		o.Platform, _ = ParseType(o.Type)
		kind, id, err := ParseID(o.Platform, cols.get(r, FieldAccountID))
		if err != nil {
			return cols.cellErr(r, FieldAccountID, "%v", err)
		}
		o.IDKind, o.ID = kind, id
		raw := cols.get(r, FieldLatest)
		t, dayOnly, ok := parseCellTime(f, raw, loc)
		if !ok {
			return cols.cellErr(r, FieldLatest, "bad date %q (want 2006-01-02 15:04, 2006-01-02 15:04:05 or 2006-01-02)", raw)
		}
		o.Time, o.DayOnly = t, dayOnly
		out = append(out, o)
		return nil
	})
	return out, err
}

// LoadFindings reads a findings file. 单项否决 must be 是 or 否.
func LoadFindings(path string, opt LoadOptions) ([]Finding, error) {
	f, err := sheet.Open(path, sheet.Options{Sheet: opt.Sheet})
	if err != nil {
		return nil, err
	}
	defer f.Close()
	req := []Field{FieldName, FieldType, FieldProblem, FieldVeto}
	cols, err := readHeader(f, req, req, opt.Columns)
	if err != nil {
		return nil, err
	}
	var out []Finding
	err = eachRow(f, func(r sheet.Row) error {
		fd := Finding{Row: r.Num, Name: cols.get(r, FieldName), Type: cols.get(r, FieldType), Problem: cols.get(r, FieldProblem)}
		for _, fl := range []Field{FieldName, FieldType, FieldProblem} {
			if cols.get(r, fl) == "" {
				return cols.cellErr(r, fl, "%s is empty", fieldLabel(fl))
			}
		}
		fd.Platform, _ = ParseType(fd.Type)
		switch v := strings.ToLower(compact(cols.get(r, FieldVeto))); v {
		case "是", "y", "yes", "true", "1":
			fd.Veto = true
		case "否", "n", "no", "false", "0", "":
		default:
			return cols.cellErr(r, FieldVeto, "单项否决 must be 是 or 否, not %q", v)
		}
		out = append(out, fd)
		return nil
	})
	return out, err
}

// eachRow calls fn for every non-blank row until the end of f.
func eachRow(f *sheet.File, fn func(sheet.Row) error) error {
	for {
		r, err := f.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if blank(r) {
			continue
		}
		if err := fn(r); err != nil {
			return err
		}
	}
}

var dateTimeRe = regexp.MustCompile(`^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]+(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?)?$`)

// ParseTime reads a hand-written time: 2006-01-02 15:04[:05] or 2006-01-02 (also with / or
// 年月日 separators, as Excel on Chinese Windows shows dates), in loc. dayOnly reports a
// date-only value.
func ParseTime(s string, loc *time.Location) (t time.Time, dayOnly bool, ok bool) {
	s = strings.TrimSpace(compact2(s))
	if m := dateTimeRe.FindStringSubmatch(s); m != nil {
		n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
		y, mo, d := n(1), n(2), n(3)
		if mo < 1 || mo > 12 || d < 1 || d > 31 {
			return time.Time{}, false, false
		}
		hh, mm, ss := 0, 0, 0
		dayOnly = m[4] == ""
		if !dayOnly {
			hh, mm, ss = n(4), n(5), n(6)
			if hh > 23 || mm > 59 || ss > 59 {
				return time.Time{}, false, false
			}
		}
		t = time.Date(y, time.Month(mo), d, hh, mm, ss, 0, loc)
		if t.Day() != d { // 2022-02-30 normalised into March
			return time.Time{}, false, false
		}
		return t, dayOnly, true
	}
	return time.Time{}, false, false
}

// compact2 keeps the single space between date and time while normalising full-width forms.
func compact2(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(compactKeepSpace(s), "\u3000", " ")), " ")
}

// parseCellTime reads a time cell; in an xlsx, a date-formatted cell arrives as a raw serial
// number, converted with the workbook's own date system (1900 or 1904).
func parseCellTime(f *sheet.File, raw string, loc *time.Location) (time.Time, bool, bool) {
	if t, dayOnly, ok := ParseTime(raw, loc); ok {
		return t, dayOnly, true
	}
	if f.Format() != sheet.FormatXLSX {
		return time.Time{}, false, false
	}
	t, ok := f.SerialTime(raw, loc)
	if !ok {
		return time.Time{}, false, false
	}
	// A whole-number serial is a date cell with no time part.
	return t, !strings.Contains(raw, "."), true
}
