package audit

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nmaudit/nmaudit/platforms"
)

// PendingPolicy says what happens to accounts pending closure (config pending_closure).
type PendingPolicy string

// Policies: exclude sets pending accounts aside as 注销中 (汉中's practice); check audits them
// like active ones (杨陵 requires pending accounts to keep updating until cancelled).
const (
	PendingExclude PendingPolicy = "exclude"
	PendingCheck   PendingPolicy = "check"
)

// ParsePendingPolicy validates a policy name.
func ParsePendingPolicy(s string) (PendingPolicy, error) {
	switch PendingPolicy(strings.ToLower(strings.TrimSpace(s))) {
	case PendingExclude, "":
		return PendingExclude, nil
	case PendingCheck:
		return PendingCheck, nil
	}
	return "", fmt.Errorf("pending_closure %q: want exclude or check", s)
}

// Params are a check's fixed parameters.
type Params struct {
	CheckTime time.Time // T, in Asia/Shanghai
	Window    Window    // W
	Pending   PendingPolicy
	WarnAfter time.Duration // 预警 threshold (default 10 days); 0 disables warnings
}

// Answer is what the account's platform said: an observation, or the error that kept it from
// answering definitively (a *platforms.Fault, or the offline/unsupported reasons), and what
// became of the evidence links of the account's observation rows.
type Answer struct {
	Obs *platforms.Observation
	Err error
	// Links are the link checks, by observation row. A row with a link and no entry here was
	// not checked (an offline run, a platform whose links cannot be read).
	Links map[int]LinkCheck
}

// LinkCheck is what became of one observation row's evidence link.
type LinkCheck struct {
	Proof *platforms.LinkProof // read, and the post belongs to the account
	Err   error                // could not be used: a *platforms.Fault; ReasonWrongAccount voids the row
}

// ErrOffline is the answer for every account in --offline mode: nothing was fetched.
var ErrOffline = &platforms.Fault{Reason: ReviewOffline, Label: "离线检查（--offline）"}

// ErrUnsupported is the answer for accounts on platforms nmaudit cannot read.
var ErrUnsupported = &platforms.Fault{Reason: platforms.ReasonUnsupported, Label: LabelUnsupported}

// Review codes of the audit's own, beside the platforms' reasons.
const (
	ReviewOffline         platforms.Reason = "offline"
	ReviewNoObservation   platforms.Reason = "no_observation"
	ReviewObservationLate platforms.Reason = "observation_after_t"
	ReviewLinkOnly        platforms.Reason = "link_only"
	ReviewLinkVoid        platforms.Reason = "link_void"
)

// Checked reports whether the account is audited at all under the policy (pending-closure
// accounts are set aside unless the policy says check).
func (p Params) Checked(a Account) bool {
	return !(a.Lifecycle == PendingClosure && p.Pending != PendingCheck)
}

// Classify decides one in-scope account (design.md, "Classification"):
//  1. pending closure → 注销中 (unless the policy checks them);
//  2. a veto finding → 不合格 with its problem;
//  3. a post in [T−W, T] known from any source — the platform, a typed observation, a verified
//     evidence link — → 合格; none, and a source that can prove absence answered definitively
//     (the platform, or a typed observation; a link proves a post, never absence) → 不合格;
//  4. otherwise → 待核查 with the reason. A fault never turns into 合格 or 不合格.
//
// manual and findings are the observation and finding rows already matched to this account.
func Classify(a Account, ans Answer, manual []Observation, findings []Finding, p Params) Verdict {
	v := Verdict{Account: a, Problems: []string{}}
	if !p.Checked(a) {
		v.Status = PendingReview
		v.Detail = "运行状态：" + a.RegistryStatus + "（不计入检查）"
		return v
	}
	T := p.CheckTime
	answeredBy := "" // the first source that answered definitively
	best := -1       // index in v.Evidence of the newest post ≤ T
	var latest time.Time
	consider := func(i int) bool {
		ev := v.Evidence[i]
		if ev.PostAt == nil {
			return false
		}
		eff, ok := effectiveTime(*ev.PostAt, ev.DayOnly, T)
		if ok && (best < 0 || eff.After(latest)) {
			best, latest = i, eff
		}
		return ok
	}

	// The platform's answer.
	switch {
	case ans.Obs != nil:
		answeredBy = ans.Obs.Source
		ev := Evidence{Source: ans.Obs.Source, URL: ans.Obs.URL}
		if !ans.Obs.FetchedAt.IsZero() {
			ft := ans.Obs.FetchedAt.In(T.Location())
			ev.FetchedAt = &ft
		}
		if post := ans.Obs.Latest; post != nil {
			pt := post.Time.In(T.Location())
			ev.PostAt, ev.DayOnly, ev.Pinned, ev.PostID, ev.Title = &pt, post.DayOnly, post.Pinned, post.ID, post.Title
		}
		v.Evidence = append(v.Evidence, ev)
		consider(len(v.Evidence) - 1)
	case ans.Err == ErrOffline || ans.Err == ErrUnsupported:
		// Nothing was asked: no evidence to keep (the detail says why).
	case ans.Err != nil:
		ev := Evidence{Source: string(a.Platform), Error: faultText(ans.Err)}
		var f *platforms.Fault
		if errors.As(ans.Err, &f) {
			ev.URL = f.URL
		}
		v.Evidence = append(v.Evidence, ev)
	}

	// Observations made by hand, and their evidence links. A typed time is a definitive source;
	// a verified link proves its post only. One whose time is after T says nothing about
	// [T−W, T]: it is kept as evidence but does not count.
	var why reviewNotes
	for _, o := range manual {
		if o.Link != "" {
			lc, checked := ans.Links[o.Row]
			switch {
			case checked && lc.Proof != nil:
				pr := lc.Proof
				pt := pr.Post.Time.In(T.Location())
				ev := Evidence{Source: pr.Source, PostAt: &pt, DayOnly: pr.Post.DayOnly, PostID: pr.Post.ID,
					Title: pr.Post.Title, URL: pr.URL, Link: o.Link, Identity: pr.Identity, Row: o.Row, Checker: o.Checker}
				if !pr.FetchedAt.IsZero() {
					ft := pr.FetchedAt.In(T.Location())
					ev.FetchedAt = &ft
				}
				v.Evidence = append(v.Evidence, ev)
				if consider(len(v.Evidence) - 1) {
					why.linkSeen = true
				} else {
					why.linkAfterT = true
				}
			case checked && errors.Is(lc.Err, platforms.ErrWrongAccount):
				// A link to another account's post voids its row, typed time included: the row
				// is about some other account.
				v.Evidence = append(v.Evidence, Evidence{Source: SourceManual, Link: o.Link, Row: o.Row, Checker: o.Checker,
					Error: faultText(lc.Err) + "（本行作废，人工记录的时间不予采用）"})
				why.voided = true
				continue
			case checked:
				v.Evidence = append(v.Evidence, Evidence{Source: SourceManual, Link: o.Link, Row: o.Row, Checker: o.Checker,
					Error: "文章链接无法核验：" + faultText(lc.Err)})
				why.linkFailed = appendUnique(why.linkFailed, faultText(lc.Err))
			case !o.HasTime():
				note := "文章链接未核验"
				if ans.Err == ErrOffline {
					note += "（离线检查）"
				}
				v.Evidence = append(v.Evidence, Evidence{Source: SourceManual, Link: o.Link, Row: o.Row, Checker: o.Checker, Error: note})
				why.linkUnchecked = true
			}
		}
		if !o.HasTime() {
			continue
		}
		ot := o.Time.In(T.Location())
		ev := Evidence{Source: SourceManual, PostAt: &ot, DayOnly: o.DayOnly, Title: o.Note, Row: o.Row, Checker: o.Checker}
		if _, checked := ans.Links[o.Row]; o.Link != "" && !checked {
			ev.Link = o.Link // kept, unverified
		}
		v.Evidence = append(v.Evidence, ev)
		if consider(len(v.Evidence) - 1) {
			if answeredBy == "" {
				answeredBy = SourceManual
			}
		} else {
			why.manualAfterT = true
		}
	}
	definitive := answeredBy != ""
	var latestEv *Evidence
	if best >= 0 {
		latestEv = &v.Evidence[best]
		lt := latest
		v.LatestPostAt = &lt
		v.Source = latestEv.Source
	} else {
		v.Source = answeredBy
	}

	// Manual findings.
	var vetoes, notes []string
	for _, fd := range findings {
		v.Evidence = append(v.Evidence, Evidence{Source: SourceFinding, Title: fd.Problem, Row: fd.Row})
		if fd.Veto {
			vetoes = appendUnique(vetoes, fd.Problem)
		} else {
			notes = appendUnique(notes, fd.Problem)
		}
	}
	if latestEv != nil {
		latestEv = &v.Evidence[best] // findings may have moved the slice
	}
	windowStart := T.Add(-p.Window.D)
	inWindow := best >= 0 && !latest.Before(windowStart)
	switch {
	case len(vetoes) > 0:
		v.Status = Unqualified
		v.Problems = append(v.Problems, vetoes...)
		if definitive && !inWindow {
			v.Problems = append(v.Problems, p.Window.NoUpdateProblem())
		}
		v.Detail = "人工检查单项否决：" + strings.Join(vetoes, "、")
		if d := latestDetail(v.LatestPostAt, latestEv); d != "" {
			v.Detail += "；" + d
		}
	case inWindow:
		// A post in the window is proof whatever else failed: a link, a mass-send, one page.
		v.Status = Qualified
		v.Detail = latestDetail(v.LatestPostAt, latestEv)
	case definitive:
		v.Status = Unqualified
		v.Problems = append(v.Problems, p.Window.NoUpdateProblem())
		if v.LatestPostAt != nil {
			v.Detail = latestDetail(v.LatestPostAt, latestEv)
		} else {
			v.Detail = "监测时间点前无发布记录"
		}
	default:
		v.Status = NeedsReview
		v.Source = ""
		v.Review, v.Detail = reviewReason(ans, why, v.LatestPostAt, latestEv, p)
	}
	if len(notes) > 0 {
		v.Detail += "；另有问题：" + strings.Join(notes, "、")
	}
	return v
}

// reviewNotes collects what the observation rows added to a 待核查.
type reviewNotes struct {
	linkSeen, linkAfterT, linkUnchecked bool // a verified link (≤ T / after T); a link not checked
	linkFailed                          []string
	voided                              bool // a row was void: its link is another account's
	manualAfterT                        bool // a typed time after T
}

// Sources that are not platforms.
const (
	SourceManual  = "manual"
	SourceFinding = "finding"
)

// effectiveTime resolves a post time against T: a time after T is ignored (ok=false); a time
// known only to the day counts as the latest moment of that day that is not after T.
func effectiveTime(t time.Time, dayOnly bool, T time.Time) (time.Time, bool) {
	if dayOnly {
		t = t.In(T.Location())
		y, m, d := t.Date()
		end := time.Date(y, m, d, 23, 59, 59, 0, T.Location())
		start := time.Date(y, m, d, 0, 0, 0, 0, T.Location())
		if start.After(T) {
			return time.Time{}, false
		}
		if end.After(T) {
			end = T
		}
		return end, true
	}
	if t.After(T) {
		return time.Time{}, false
	}
	return t.In(T.Location()), true
}

// latestDetail is the detail shown for a decided account: "最近一条: 2022-07-30 18:02".
func latestDetail(t *time.Time, ev *Evidence) string {
	if t == nil {
		return ""
	}
	s := "最近一条: " + t.Format("2006-01-02 15:04")
	if ev != nil {
		if ev.DayOnly {
			s = "最近一条: " + t.Format("2006-01-02") + "（仅知日期）"
		}
		if ev.Pinned {
			s += "（置顶）"
		}
		if ev.Source == SourceManual {
			s += "（人工记录）"
		}
	}
	return s
}

// reviewReason explains a 待核查: the one reason that names what to do (Review), and the detail
// that says everything known, without contradicting itself (an offline run with a typed time
// after T says so, not "no observation").
func reviewReason(ans Answer, why reviewNotes, latestAt *time.Time, latestEv *Evidence, p Params) (Review, string) {
	var rv Review
	var parts []string
	var f *platforms.Fault
	switch {
	case ans.Err != nil && errors.As(ans.Err, &f):
		rv = Review{Code: string(f.Reason), Label: faultLabel(f)}
		parts = append(parts, f.Error())
	case ans.Err != nil:
		rv = Review{Code: string(platforms.ReasonPlatformError), Label: platforms.ReasonPlatformError.Label()}
		parts = append(parts, faultText(ans.Err))
	default:
		rv = Review{Code: string(ReviewNoObservation), Label: LabelNoObservation}
	}
	if ans.Err == ErrOffline && !why.manualAfterT && !why.linkSeen && !why.linkAfterT && !why.linkUnchecked && !why.voided {
		parts[0] += "，无人工观察记录"
	}
	// What the observation rows said, most telling first; the first one that applies names
	// the fix when the platform gave no answer of its own worth acting on.
	platformSilent := ans.Err == nil || ans.Err == ErrOffline || errors.Is(ans.Err, platforms.ErrUnsupported)
	if why.linkSeen && latestAt != nil {
		parts = append(parts, fmt.Sprintf("文章链接显示的最近一条为 %s，早于监测时间点前%s；链接只能证明发过文章，不能证明此后没有更新",
			latestAt.Format("2006-01-02 15:04"), p.Window.Phrase()))
		rv = Review{Code: string(ReviewLinkOnly), Label: "文章链接早于检查窗口"}
	}
	if why.linkAfterT {
		parts = append(parts, "文章链接的发布时间晚于监测时间点，不能说明窗口内是否更新")
		if platformSilent && rv.Code != string(ReviewLinkOnly) {
			rv = Review{Code: string(ReviewLinkOnly), Label: "文章链接晚于监测时间点"}
		}
	}
	for _, lf := range why.linkFailed {
		parts = append(parts, "文章链接无法核验（"+lf+"）")
	}
	if why.voided {
		parts = append(parts, "观察记录中的文章链接不属于该账号，该行作废")
		if platformSilent {
			rv = Review{Code: string(ReviewLinkVoid), Label: "文章链接不属于该账号"}
		}
	}
	if why.linkUnchecked {
		parts = append(parts, "文章链接未核验")
	}
	if why.manualAfterT {
		parts = append(parts, "人工记录的最近更新时间晚于监测时间点，不能说明窗口内是否更新")
		if platformSilent && rv.Code != string(ReviewLinkOnly) {
			rv = Review{Code: string(ReviewObservationLate), Label: "人工记录晚于监测时间点"}
		}
	}
	if len(parts) == 0 {
		parts = append(parts, rv.Label)
	}
	_ = latestEv
	return rv, strings.Join(parts, "；")
}

// faultLabel is a fault's wording without its detail: what the 检查说明 groups by.
func faultLabel(f *platforms.Fault) string {
	if f.Label != "" {
		return f.Label
	}
	return f.Reason.Label()
}

// faultText is the wording of a platform fault in reports.
func faultText(err error) string {
	var f *platforms.Fault
	if errors.As(err, &f) {
		return f.Error()
	}
	return "平台查询失败: " + err.Error()
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
