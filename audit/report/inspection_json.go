package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/platforms"
)

// ReadCheckJSON reads a `check --format json` document back into a result, through the same
// DTOs the JSON report is written with (json.go), so the reader and the writer share one
// contract. name labels errors (the file name, or "stdin").
//
// The accounts are the record; the summary must agree with them. A summary that does not
// (a hand-edited or truncated file) is an error rather than a report with numbers that contradict
// its own lists.
func ReadCheckJSON(r io.Reader, name string) (*audit.Result, error) {
	var doc checkDoc
	dec := json.NewDecoder(r)
	if err := dec.Decode(&doc); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, fmt.Errorf("%s: 不是 check 的 JSON 报告：第 %d 字节处格式有误（%v）", name, se.Offset, err)
		case errors.As(err, &te):
			return nil, fmt.Errorf("%s: 不是 check 的 JSON 报告：%s 的类型不对（%s）", name, te.Field, te.Value)
		}
		return nil, fmt.Errorf("%s: 不是 check 的 JSON 报告：%v", name, err)
	}
	bad := func(key, format string, args ...any) error {
		return fmt.Errorf("%s: %s: %s", name, key, fmt.Sprintf(format, args...))
	}
	if doc.CheckTime == "" {
		return nil, bad("check_time", "缺少此项；这是 nmaudit check --format json 的输出吗？")
	}
	T, err := time.Parse(time.RFC3339, doc.CheckTime)
	if err != nil {
		return nil, bad("check_time", "%q 不是 RFC 3339 时间", doc.CheckTime)
	}
	win, err := audit.ParseWindow(doc.Window)
	if err != nil {
		return nil, bad("window", "%v", err)
	}
	res := &audit.Result{CheckTime: T, Window: win,
		Summary: audit.Summary{RegistryRows: doc.Summary.RegistryRows, ClosedExcluded: doc.Summary.ClosedExcluded}}
	for i, a := range doc.Accounts {
		key := fmt.Sprintf("accounts[%d]", i)
		st := audit.Status(a.Status)
		if st.Label() == a.Status || (a.Result != "" && a.Result != st.Label()) {
			return nil, bad(key+".status", "%q（result %q）不是 qualified、unqualified、pending_closure、needs_review 之一", a.Status, a.Result)
		}
		v := audit.Verdict{
			Account: audit.Account{Name: a.Name, Type: a.Type, Platform: platforms.Platform(a.Platform), ID: a.AccountID,
				RawID: a.AccountID, Owner: a.Owner, Level: a.Level, Region: a.Region, RegistryStatus: a.RegistryStatus},
			Status: st, Problems: append([]string{}, a.Problems...), Source: a.Source, Detail: a.Detail,
		}
		if lc, ok := audit.ParseStatus(a.RegistryStatus); ok {
			v.Lifecycle = lc
		}
		if v.LatestPostAt, err = parseOptionalTime(a.LatestPostAt); err != nil {
			return nil, bad(key+".latest_post_at", "%v", err)
		}
		for j, e := range a.Evidence {
			ev := audit.Evidence{Source: e.Source, DayOnly: e.DayOnly, Pinned: e.Pinned, PostID: e.PostID, Title: e.Title,
				URL: e.URL, Error: e.Error, Row: e.Row}
			if ev.PostAt, err = parseOptionalTime(e.PostAt); err != nil {
				return nil, bad(fmt.Sprintf("%s.evidence[%d].post_at", key, j), "%v", err)
			}
			if ev.FetchedAt, err = parseOptionalTime(e.FetchedAt); err != nil {
				return nil, bad(fmt.Sprintf("%s.evidence[%d].fetched_at", key, j), "%v", err)
			}
			v.Evidence = append(v.Evidence, ev)
		}
		res.Accounts = append(res.Accounts, v)
	}
	for _, u := range doc.Unregistered {
		res.Unregistered = append(res.Unregistered, audit.Unregistered(u))
	}
	for _, d := range doc.Duplicates {
		res.Duplicates = append(res.Duplicates, audit.Duplicate{Name: d.Name, Type: d.Type, Rows: d.Rows})
	}
	for i, w := range doc.Warnings {
		t, err := time.Parse(time.RFC3339, w.LatestPostAt)
		if err != nil {
			return nil, bad(fmt.Sprintf("warnings[%d].latest_post_at", i), "%q 不是 RFC 3339 时间", w.LatestPostAt)
		}
		res.Warnings = append(res.Warnings, audit.Warning{Name: w.Name, Type: w.Type, Owner: w.Owner, LatestPostAt: t,
			DaysSincePost: w.DaysSincePost})
	}

	// Count the verdicts, and hold the summary to them.
	s := &res.Summary
	for _, v := range res.Accounts {
		s.InScope++
		switch v.Status {
		case audit.Qualified:
			s.Qualified++
		case audit.Unqualified:
			s.Unqualified++
		case audit.PendingReview:
			s.PendingClosure++
		case audit.NeedsReview:
			s.NeedsReview++
		}
	}
	s.UnqualifiedRate = ratio(s.Unqualified, s.InScope)
	for _, c := range []struct {
		key       string
		doc, have int
	}{
		{"in_scope", doc.Summary.InScope, s.InScope},
		{"qualified", doc.Summary.Qualified, s.Qualified},
		{"unqualified", doc.Summary.Unqualified, s.Unqualified},
		{"pending_closure", doc.Summary.PendingClosure, s.PendingClosure},
		{"needs_review", doc.Summary.NeedsReview, s.NeedsReview},
	} {
		if c.doc != c.have {
			return nil, bad("summary."+c.key, "为 %d，但 accounts 列表中有 %d 个；文件被改动或不完整，请重新运行 nmaudit check", c.doc, c.have)
		}
	}
	return res, nil
}

func parseOptionalTime(s *string) (*time.Time, error) {
	if s == nil || *s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, *s)
	if err != nil {
		return nil, fmt.Errorf("%q 不是 RFC 3339 时间", *s)
	}
	return &t, nil
}
