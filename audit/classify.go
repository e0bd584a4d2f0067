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
// answering definitively (a *platforms.Fault, or the offline/unsupported reasons).
type Answer struct {
	Obs *platforms.Observation
	Err error
}

// ErrOffline is the answer for every account in --offline mode: nothing was fetched.
var ErrOffline = &platforms.Fault{Reason: "offline", Label: "离线检查（--offline），无人工观察记录"}

// ErrUnsupported is the answer for accounts on platforms nmaudit cannot read.
var ErrUnsupported = &platforms.Fault{Reason: platforms.ReasonUnsupported, Label: LabelUnsupported}

// Checked reports whether the account is audited at all under the policy (pending-closure
// accounts are set aside unless the policy says check).
func (p Params) Checked(a Account) bool {
	return !(a.Lifecycle == PendingClosure && p.Pending != PendingCheck)
}

// Classify decides one in-scope account (design.md, "Classification"):
//  1. pending closure → 注销中 (unless the policy checks them);
//  2. a veto finding → 不合格 with its problem;
//  3. the newest post ≤ T from any definitive source (the platform, or an observation) at or
//     after T−W → 合格; none in [T−W, T] and some source answered definitively → 不合格;
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
	consider := func(i int) {
		ev := v.Evidence[i]
		if ev.PostAt == nil {
			return
		}
		eff, ok := effectiveTime(*ev.PostAt, ev.DayOnly, T)
		if ok && (best < 0 || eff.After(latest)) {
			best, latest = i, eff
		}
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

	// Observations made by hand. One whose time is after T says nothing about [T−W, T]: it is
	// kept as evidence but does not make the answer definitive.
	for _, o := range manual {
		ot := o.Time.In(T.Location())
		v.Evidence = append(v.Evidence, Evidence{Source: SourceManual, PostAt: &ot, DayOnly: o.DayOnly, Title: o.Note, Row: o.Row})
		if _, ok := effectiveTime(o.Time, o.DayOnly, T); ok {
			if answeredBy == "" {
				answeredBy = SourceManual
			}
			consider(len(v.Evidence) - 1)
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
	switch {
	case len(vetoes) > 0:
		v.Status = Unqualified
		v.Problems = append(v.Problems, vetoes...)
		if definitive && (latest.IsZero() || latest.Before(windowStart)) {
			v.Problems = append(v.Problems, p.Window.NoUpdateProblem())
		}
		v.Detail = "人工检查单项否决：" + strings.Join(vetoes, "、")
		if d := latestDetail(v.LatestPostAt, latestEv); d != "" {
			v.Detail += "；" + d
		}
	case definitive && !latest.IsZero() && !latest.Before(windowStart):
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
		v.Detail = reviewReason(ans, manual, T)
	}
	if len(notes) > 0 {
		v.Detail += "；另有问题：" + strings.Join(notes, "、")
	}
	return v
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

// reviewReason explains a 待核查.
func reviewReason(ans Answer, manual []Observation, T time.Time) string {
	reason := LabelNoObservation
	if ans.Err != nil {
		reason = faultText(ans.Err)
	}
	if len(manual) > 0 {
		reason += "；人工记录的最近更新时间晚于监测时间点，无法判断窗口内是否更新"
	}
	return reason
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
