package audit

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/nmaudit/nmaudit/audit/sheet"
	"github.com/nmaudit/nmaudit/platforms"
)

// Observation is one row of an observations file (--observations): someone looked at the account
// and wrote down when it last posted, or the link to a post, or both (design.md,
// "Observations"). A typed time is a definitive source, like a platform answer; a link is
// evidence to verify.
type Observation struct {
	Row      int
	Name     string
	Type     string
	Platform platforms.Platform
	IDKind   platforms.IDKind
	ID       string
	// Time is the latest post time written down; the zero Time when the row gives only a link
	// (see HasTime). A row with neither is not an observation and is skipped.
	Time    time.Time
	DayOnly bool // only the date was written: counts as the latest moment of that day not after T
	// Link is the absolute http(s) URL of one post of the account (链接, 文章链接, 最新文章链接,
	// 核查链接), "" when none. For a cell that is a hyperlink whose text is not a URL ("点击查看"),
	// it is the hyperlink's address.
	Link    string
	Note    string
	Checker string // 核查人, who checked (the review worksheet's column)
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

var observationSpec = tableSpec{
	what:     "观察记录",
	fields:   []Field{FieldName, FieldType, FieldLatest, FieldLink, FieldAccountID, FieldNote, FieldChecker},
	required: []Field{FieldName, FieldType},
	aliases:  observationAliases,
}

// LoadObservations reads an observations file, such as a filled-in 人工核对 worksheet. Rows
// with neither a time nor a link (the blank lines of a worksheet, which still carry 序号 and
// 账号名称) are skipped. A time that is not a date cell or one of the accepted text forms, or a
// link that is not an absolute http(s) URL, is an input error naming the row and column.
func LoadObservations(path string, opt LoadOptions, loc *time.Location) ([]Observation, error) {
	f, cols, notice, err := openTable(path, opt, observationSpec)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	opt.notify(notice)
	if !cols.has(FieldLatest) && !cols.has(FieldLink) {
		return nil, &sheet.Error{File: path, Row: cols.row, Msg: fmt.Sprintf("缺少%s列或%s列（可用表头：%s；%s）",
			fieldLabel(FieldLatest), fieldLabel(FieldLink),
			strings.Join(aliasesFor(FieldLatest, opt.Columns, nil), "、"), strings.Join(aliasesFor(FieldLink, opt.Columns, nil), "、"))}
	}
	var out []Observation
	err = eachRow(f, func(r sheet.Row) error {
		if err := cols.errorCell(r, observationSpec.fields); err != nil {
			return err
		}
		raw, link := cols.get(r, FieldLatest), cols.get(r, FieldLink)
		if raw == "" && link == "" {
			return nil
		}
		o := Observation{Row: r.Num, Name: cols.get(r, FieldName), Type: cols.get(r, FieldType),
			Note: cols.get(r, FieldNote), Checker: cols.get(r, FieldChecker)}
		for _, fl := range []Field{FieldName, FieldType} {
			if cols.get(r, fl) == "" {
				return cols.cellErr(r, fl, "%s为空", fieldLabel(fl))
			}
		}
		o.Platform, _ = ParseType(o.Type)
		kind, id, err := ParseID(o.Platform, cols.get(r, FieldAccountID))
		if err != nil {
			return cols.cellErr(r, FieldAccountID, "%v", err)
		}
		o.IDKind, o.ID = kind, id
		if raw != "" {
			t, dayOnly, ok := parseCellTime(f, raw, cols.kind(r, FieldLatest), loc)
			if !ok {
				return cols.cellErr(r, FieldLatest, "无法识别的时间“%s”（应为日期单元格，或 2006-01-02 15:04、2006-01-02 15:04:05、2006-01-02 这样的文字，也可用 / 或 年月日）", raw)
			}
			o.Time, o.DayOnly = t, dayOnly
		}
		if link != "" {
			u, ok := postURL(link)
			if !ok && cols.has(FieldLink) {
				// A link pasted into Excel keeps its address in the sheet's hyperlinks and shows
				// whatever text it was given.
				u, ok = postURL(f.Hyperlink(r.Num, cols.index[FieldLink]+1))
			}
			if !ok {
				return cols.cellErr(r, FieldLink, "“%s”不是完整的网址（应以 http:// 或 https:// 开头，例如 https://mp.weixin.qq.com/s/…）", link)
			}
			o.Link = u
		}
		out = append(out, o)
		return nil
	})
	return out, err
}

// postURL accepts an absolute http(s) URL with a host, as written (trimmed).
func postURL(s string) (string, bool) {
	s = strings.TrimSpace(s)
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || strings.ContainsAny(s, " \t\r\n") {
		return "", false
	}
	return s, true
}

var findingSpec = tableSpec{
	what:     "检查发现",
	fields:   []Field{FieldName, FieldType, FieldProblem, FieldVeto},
	required: []Field{FieldName, FieldType, FieldProblem, FieldVeto},
}

// LoadFindings reads a findings file. 单项否决 must be 是 or 否; a blank one is read as 否 and
// the rows are named in one notice (opt.Notify), since an inspector who left it blank should
// know the finding does not fail the account.
func LoadFindings(path string, opt LoadOptions) ([]Finding, error) {
	f, cols, notice, err := openTable(path, opt, findingSpec)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	opt.notify(notice)
	var out []Finding
	var blankVeto []int
	err = eachRow(f, func(r sheet.Row) error {
		if err := cols.errorCell(r, findingSpec.fields); err != nil {
			return err
		}
		fd := Finding{Row: r.Num, Name: cols.get(r, FieldName), Type: cols.get(r, FieldType), Problem: cols.get(r, FieldProblem)}
		for _, fl := range []Field{FieldName, FieldType, FieldProblem} {
			if cols.get(r, fl) == "" {
				return cols.cellErr(r, fl, "%s为空", fieldLabel(fl))
			}
		}
		fd.Platform, _ = ParseType(fd.Type)
		switch v := strings.ToLower(compact(cols.get(r, FieldVeto))); v {
		case "是", "y", "yes", "true", "1":
			fd.Veto = true
		case "否", "n", "no", "false", "0":
		case "":
			blankVeto = append(blankVeto, r.Num)
		default:
			return cols.cellErr(r, FieldVeto, "单项否决应填“是”或“否”，而不是“%s”", v)
		}
		out = append(out, fd)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(blankVeto) > 0 {
		opt.notify(fmt.Sprintf("%s: %s的单项否决为空，按“否”处理（这些问题不会使账号不合格；如应否决请填“是”）", filepath.Base(path), rowList(blankVeto)))
	}
	return out, nil
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

var (
	dateRe = regexp.MustCompile(`^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?`)
	timeRe = regexp.MustCompile(`^(?:(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?|(\d{1,2})\s*时\s*(\d{1,2})\s*分(?:\s*(\d{1,2})\s*秒)?)$`)
)

// ParseTime is the one parser of hand-written dates and times, for every input: observation
// cells, command-line flags (ledger --deadline 2022/9/30, --at), config. It accepts
//
//	2022-08-08, 2022/8/8, 2022.8.8, 2022年8月8日        a date: dayOnly
//	2022-08-08 15:04, 2022/8/8 15:04:05, 2022-08-08T15:04:05.000, 2022年8月8日 15时04分(05秒)
//	2022-08-22T00:00:00+08:00, 2022-08-22T16:00:00Z   RFC 3339, with its own zone
//
// with full-width digits and colons (as typed with a Chinese input method) normalised first.
// Times without a zone are in loc. A date that does not exist (2022-02-30) is not accepted.
func ParseTime(s string, loc *time.Location) (t time.Time, dayOnly bool, ok bool) {
	s = compact2(s)
	if s == "" {
		return time.Time{}, false, false
	}
	if t, err := time.Parse(time.RFC3339Nano, strings.Replace(s, " ", "T", 1)); err == nil {
		return t.In(loc), false, true
	}
	m := dateRe.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, false, false
	}
	n := func(v string) int { x, _ := strconv.Atoi(v); return x }
	y, mo, d := n(m[1]), n(m[2]), n(m[3])
	rest := strings.TrimSpace(strings.TrimPrefix(s[len(m[0]):], "T"))
	hh, mm, ss := 0, 0, 0
	if rest == "" {
		dayOnly = true
	} else {
		tm := timeRe.FindStringSubmatch(rest)
		if tm == nil {
			return time.Time{}, false, false
		}
		if tm[1] == "" { // the 时分秒 form
			tm = tm[3:]
		}
		hh, mm, ss = n(tm[1]), n(tm[2]), n(tm[3])
		if hh > 23 || mm > 59 || ss > 59 {
			return time.Time{}, false, false
		}
	}
	if mo < 1 || mo > 12 || d < 1 || d > 31 {
		return time.Time{}, false, false
	}
	t = time.Date(y, time.Month(mo), d, hh, mm, ss, 0, loc)
	if t.Day() != d { // 2022-02-30 normalised into March
		return time.Time{}, false, false
	}
	return t, dayOnly, true
}

// compact2 normalises full-width forms and runs of spaces, keeping one space between date and
// time.
func compact2(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(compactKeepSpace(s), "\u3000", " ")), " ")
}

// parseCellTime reads a time cell. In a workbook a date cell holds a serial number: what its
// number format shows decides whether the time of day is known — a date-time format (yyyy-mm-dd
// hh:mm) at midnight is 00:00, not "some time that day"; only a date format is day-only. A
// number without a date format keeps the old rule (a whole serial is a date). Serials use the
// workbook's own date system (1900 or 1904).
func parseCellTime(f *sheet.File, raw string, kind sheet.CellKind, loc *time.Location) (time.Time, bool, bool) {
	switch kind.Type {
	case sheet.CellNumber:
		t, ok := f.SerialTime(raw, loc)
		if !ok {
			return time.Time{}, false, false
		}
		switch kind.Format {
		case sheet.DateOnly:
			return t, true, true
		case sheet.DateTime, sheet.TimeOnly:
			return t, false, true
		}
		// A whole-number serial without a date format is a date without a time.
		return t, !strings.Contains(raw, "."), true
	case sheet.CellDate: // an ISO 8601 date-time written as text (t="d")
		t, dayOnly, ok := ParseTime(strings.TrimSuffix(raw, "Z"), loc)
		if ok && kind.Format == sheet.DateOnly {
			dayOnly = true
		}
		return t, dayOnly, ok
	}
	if t, dayOnly, ok := ParseTime(raw, loc); ok {
		return t, dayOnly, true
	}
	if f.Format() != sheet.FormatXLSX || kind.Type != sheet.CellString {
		return time.Time{}, false, false
	}
	// A serial stored as text (a cell typed as text holding 44781.75) is still read, as before.
	t, ok := f.SerialTime(raw, loc)
	if !ok {
		return time.Time{}, false, false
	}
	return t, !strings.Contains(raw, "."), true
}
