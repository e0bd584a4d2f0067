package history

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/nmaudit/nmaudit/audit"
)

// The rectification ledger (整改台账, domain.md "Reports inspection offices file", item 4): one
// row per problem of every 不合格 account, for the failing units to fill in and send back by
// the deadline; the next round re-checks them (recheck).

// Problem categories: the veto items of 国办秘函〔2019〕19号 (domain.md).
const (
	CategoryNoUpdate    = "内容不更新"
	CategorySerious     = "安全、泄密事故等严重问题"
	CategoryInteraction = "互动回应差"
	CategoryOther       = "其他"
)

// LedgerRow is one problem of one 不合格 account. The columns the units fill (整改措施, 责任人,
// 整改情况, 复核结果) have no field: they start empty.
type LedgerRow struct {
	Name, Owner, Type string
	Category          string // one of the Category… values
	Description       string
	Updated           string // 检查时更新日期: the latest post's date, 无 when none is known
	Deadline          string // 整改时限, "" when none was given
}

// ReviewRow is one 待核查 account of the ledger's 待核查清单.
type ReviewRow struct {
	Name, Owner, Type, AccountID string
	Reason                       string
}

// Ledger is the content of the 整改台账 workbook.
type Ledger struct {
	Rows     []LedgerRow
	Review   []ReviewRow
	Accounts int // 不合格 accounts
}

// ParseDeadline reads --deadline as every input's dates are read (audit.ParseTime: 2022-09-30,
// 2022/9/30, 2022年9月30日): a date, without a time of day.
func ParseDeadline(s string, loc *time.Location) (time.Time, error) {
	t, dayOnly, ok := audit.ParseTime(s, loc)
	if !ok || !dayOnly {
		return time.Time{}, inputErrorf("--deadline %q：应为日期，如 2022-09-30 或 2022/9/30", s)
	}
	return t, nil
}

// BuildLedger builds the ledger of a finished run: failing accounts sorted by 开设主体, then
// account name (pinyin order), one row per problem; due is the deadline (nil: none).
func BuildLedger(rec *Recorded, due *time.Time) *Ledger {
	loc := rec.Run.Location()
	res := rec.Result
	byStatus := map[audit.Status][]audit.Verdict{}
	for _, v := range res.Accounts {
		byStatus[v.Status] = append(byStatus[v.Status], v)
	}
	failing, review := byStatus[audit.Unqualified], byStatus[audit.NeedsReview]
	byOwner(failing)
	byOwner(review)
	deadline := ""
	if due != nil {
		deadline = due.Format("2006-01-02")
	}
	T := res.CheckTime.In(loc)
	checkDate := T.Format("2006-01-02")
	if T.Hour() != 0 || T.Minute() != 0 || T.Second() != 0 {
		checkDate = T.Format("2006-01-02 15:04")
	}
	l := &Ledger{Accounts: len(failing)}
	for _, v := range failing {
		updated := "无"
		if v.LatestPostAt != nil {
			updated = v.LatestPostAt.In(loc).Format("2006-01-02")
		}
		for _, p := range v.Problems {
			cat := ProblemCategory(p, res.Window)
			var desc string
			switch {
			case cat == CategoryNoUpdate && v.LatestPostAt != nil:
				desc = fmt.Sprintf("监测时间点（%s）前%s内无更新，最近一次更新为%s", checkDate, res.Window.Phrase(), updated)
			case cat == CategoryNoUpdate:
				desc = fmt.Sprintf("监测时间点（%s）前%s内无更新，监测时间点前无发布记录", checkDate, res.Window.Phrase())
			case fromFinding(v, p):
				desc = "人工检查发现：" + p + "（单项否决）"
			default:
				desc = p
			}
			l.Rows = append(l.Rows, LedgerRow{Name: v.Name, Owner: v.Owner, Type: v.Type, Category: cat,
				Description: desc, Updated: updated, Deadline: deadline})
		}
	}
	for _, v := range review {
		id := v.ID
		if id == "" {
			id = v.RawID
		}
		l.Review = append(l.Review, ReviewRow{Name: v.Name, Owner: v.Owner, Type: v.Type, AccountID: id, Reason: v.Detail})
	}
	return l
}

// byOwner sorts verdicts by 开设主体, then account name, then registry row, the way a Chinese
// reader looks a unit up: by pinyin (the CLDR zh collation), not by code point.
func byOwner(vs []audit.Verdict) {
	col := collate.New(language.Chinese)
	slices.SortStableFunc(vs, func(a, b audit.Verdict) int {
		if c := col.CompareString(a.Owner, b.Owner); c != 0 {
			return c
		}
		if c := col.CompareString(a.Name, b.Name); c != 0 {
			return c
		}
		return a.Row - b.Row
	})
}

// ProblemCategory maps a problem label to its veto item.
func ProblemCategory(p string, w audit.Window) string {
	switch {
	case p == w.NoUpdateProblem(),
		strings.HasPrefix(p, "监测时间点前") && strings.HasSuffix(p, "内无更新"),
		strings.Contains(p, "未更新"), strings.Contains(p, "无更新"), strings.Contains(p, "不更新"):
		return CategoryNoUpdate
	case strings.Contains(p, "表述错误"), strings.Contains(p, "错误表述"), strings.Contains(p, "泄密"),
		strings.Contains(p, "安全事故"), strings.Contains(p, "有害"):
		return CategorySerious
	case strings.Contains(p, "互动"):
		return CategoryInteraction
	}
	return CategoryOther
}

// fromFinding says whether problem came from a veto finding (a person's, not the update rule).
func fromFinding(v audit.Verdict, problem string) bool {
	for _, e := range v.Evidence {
		if e.Source == audit.SourceFinding && e.Title == problem {
			return true
		}
	}
	return false
}
