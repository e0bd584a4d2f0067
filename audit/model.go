// Package audit is nmaudit's domain: registry accounts, the scope of an inspection, the
// classification rules of 国办秘函〔2019〕19号 as design.md states them, registry reconciliation,
// and the orchestration of a check run. It prints nothing; audit/report formats its results.
package audit

import (
	"time"

	"github.com/nmaudit/nmaudit/platforms"
)

// Lifecycle is the class of a registry status: statuses are compared by class, never by wording.
type Lifecycle string

// Registry status classes (design.md, "Status values").
const (
	Active         Lifecycle = "active"
	PendingClosure Lifecycle = "pending_closure"
	Closed         Lifecycle = "closed"
)

// Account is one registry (or target-list) row, normalised.
type Account struct {
	Row            int                // spreadsheet row number in its file (header = 1)
	Name           string             // 账号名称 as written
	Type           string             // 账号类型 as written, e.g. 其他+百度贴吧
	Platform       platforms.Platform // canonical platform
	IDKind         platforms.IDKind   // what ID is
	ID             string             // parsed identifier (uid, fakeid, user name, …)
	RawID          string             // the id cell as written
	Owner          string             // 开设主体
	Supervisor     string             // 主管单位
	Region         string             // 所属地区
	Level          string             // 层级 as written (or inferred)
	RegistryStatus string             // 运行状态 as written
	Lifecycle      Lifecycle
}

// Target converts the account to what a platform adapter needs.
func (a Account) Target() platforms.Target {
	return platforms.Target{Platform: a.Platform, Name: a.Name, IDKind: a.IDKind, ID: a.ID}
}

// Status is an account's verdict class in a check.
type Status string

// Verdict classes; Label gives the Chinese wording (design.md: result).
const (
	Qualified     Status = "qualified"
	Unqualified   Status = "unqualified"
	PendingReview Status = "pending_closure" // 注销中: set aside, not checked
	NeedsReview   Status = "needs_review"
)

// Label is the Chinese result label: 合格 / 不合格 / 注销中 / 待核查.
func (s Status) Label() string {
	switch s {
	case Qualified:
		return LabelQualified
	case Unqualified:
		return LabelUnqualified
	case PendingReview:
		return LabelPendingClosure
	case NeedsReview:
		return LabelNeedsReview
	}
	return string(s)
}

// Evidence is one source's contribution to a verdict, kept so a verdict can be shown to the
// audited unit: what was asked, when, and what it answered.
type Evidence struct {
	Source    string     `json:"source"`
	PostAt    *time.Time `json:"post_at,omitempty"` // the source's newest post ≤ T, as reported
	DayOnly   bool       `json:"day_only,omitempty"`
	Pinned    bool       `json:"pinned,omitempty"`
	PostID    string     `json:"post_id,omitempty"`
	Title     string     `json:"title,omitempty"`
	URL       string     `json:"url,omitempty"` // secrets removed
	FetchedAt *time.Time `json:"fetched_at,omitempty"`
	Error     string     `json:"error,omitempty"` // the fault, when the source could not answer
	Row       int        `json:"row,omitempty"`   // observation or finding row, for manual sources
	// Link is the post URL an observation row gave (an evidence link), as written; Identity says
	// how a verified link was tied to the account (biz, uid, author…).
	Link     string `json:"link,omitempty"`
	Identity string `json:"identity,omitempty"`
	Checker  string `json:"checker,omitempty"` // who made the observation (核查人)
}

// Verdict is the classification of one in-scope account: the value the report layer formats.
type Verdict struct {
	Account
	Status       Status
	Problems     []string
	LatestPostAt *time.Time // newest post at or before the check time known from any source
	Source       string     // where LatestPostAt came from (weibo, tieba, wechat-mp, wechat-api, manual)
	Detail       string     // human-readable: the latest post, or the reason for 待核查
	Evidence     []Evidence
	// Review is why the account is 待核查 (zero otherwise), as the 检查说明 and the JSON report's
	// review_reasons group it.
	Review Review
}

// Review names why an account is 待核查: Code is a platforms.Reason or one of the audit's own
// (ReviewOffline, ReviewLinkOnly, …); Label is its wording, the start of the verdict's detail.
type Review struct {
	Code  string
	Label string
}

// Summary holds the counts a report leads with (design.md JSON "summary").
type Summary struct {
	RegistryRows    int     `json:"registry_rows"`
	ClosedExcluded  int     `json:"closed_excluded"`
	InScope         int     `json:"in_scope"`
	PendingClosure  int     `json:"pending_closure"`
	Qualified       int     `json:"qualified"`
	Unqualified     int     `json:"unqualified"`
	NeedsReview     int     `json:"needs_review"`
	UnqualifiedRate float64 `json:"unqualified_rate"`
}

// Unregistered is a target-list row with no registry account: 未在信息报送系统中登记.
type Unregistered struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Owner string `json:"owner"`
	Row   int    `json:"row"`
}

// Duplicate names registry rows that describe the same account (same platform and id, or same
// platform and normalised name).
type Duplicate struct {
	Name string `json:"name"`
	Type string `json:"type"`
	Rows []int  `json:"rows"`
}

// Warning is a 预警: an account still 合格 whose newest post is older than the warning threshold.
type Warning struct {
	Name          string    `json:"name"`
	Type          string    `json:"type"`
	Owner         string    `json:"owner"`
	LatestPostAt  time.Time `json:"latest_post_at"`
	DaysSincePost int       `json:"days_since_post"`
}

// Result is a whole check: what the reports render and the history store keeps.
type Result struct {
	CheckTime    time.Time
	Window       Window
	Summary      Summary
	Accounts     []Verdict // in registry order (target-list order with --accounts)
	Unregistered []Unregistered
	Duplicates   []Duplicate
	Warnings     []Warning
	// Notices are things the user should know that are not verdicts (unknown type labels, …);
	// the CLI prints them on stderr.
	Notices []string
}
