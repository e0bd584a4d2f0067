package audit

import (
	"strings"
	"testing"
	"time"

	_ "time/tzdata"

	"github.com/nmaudit/nmaudit/platforms"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

// T is the seed report's check time: 2022-08-22 00:00 China time.
var T = time.Date(2022, 8, 22, 0, 0, 0, 0, shanghai)

func params() Params {
	return Params{CheckTime: T, Window: Window{D: 14 * 24 * time.Hour}, Pending: PendingExclude, WarnAfter: 10 * 24 * time.Hour}
}

func weiboAccount() Account {
	return Account{Row: 2, Name: "汉中公安", Type: "新浪微博", Platform: platforms.Weibo, IDKind: platforms.IDWeiboUID, ID: "1", Owner: "汉中市公安局", Lifecycle: Active, RegistryStatus: "正常运行"}
}

func platformAt(t time.Time) Answer {
	return Answer{Obs: &platforms.Observation{Source: "weibo", Latest: &platforms.Post{Time: t}, URL: "https://m.weibo.cn/api/container/getIndex?x"}}
}

func TestClassifyWindowBoundaries(t *testing.T) {
	day := 24 * time.Hour
	cases := []struct {
		name   string
		ans    Answer
		manual []Observation
		want   Status
		latest *time.Time
	}{
		{"exactly T−W", platformAt(T.Add(-14 * day)), nil, Qualified, ptr(T.Add(-14 * day))},
		{"one second before T−W", platformAt(T.Add(-14*day - time.Second)), nil, Unqualified, ptr(T.Add(-14*day - time.Second))},
		{"exactly T", platformAt(T), nil, Qualified, ptr(T)},
		{"after T ignored, platform answered", platformAt(T.Add(time.Second)), nil, Unqualified, nil},
		{"platform knows no post", Answer{Obs: &platforms.Observation{Source: "tieba"}}, nil, Unqualified, nil},
		{"date-only T−W day counts to 23:59:59", Answer{Err: ErrOffline},
			[]Observation{{Row: 2, Time: time.Date(2022, 8, 8, 0, 0, 0, 0, shanghai), DayOnly: true}}, Qualified,
			ptr(time.Date(2022, 8, 8, 23, 59, 59, 0, shanghai))},
		{"date-only day before T−W", Answer{Err: ErrOffline},
			[]Observation{{Row: 2, Time: time.Date(2022, 8, 7, 0, 0, 0, 0, shanghai), DayOnly: true}}, Unqualified,
			ptr(time.Date(2022, 8, 7, 23, 59, 59, 0, shanghai))},
		{"date-only on T's day is capped at T", Answer{Err: ErrOffline},
			[]Observation{{Row: 2, Time: time.Date(2022, 8, 22, 0, 0, 0, 0, shanghai), DayOnly: true}}, Qualified, ptr(T)},
		{"date-only after T's day ignored", Answer{Err: ErrOffline},
			[]Observation{{Row: 2, Time: time.Date(2022, 8, 23, 0, 0, 0, 0, shanghai), DayOnly: true}}, NeedsReview, nil},
		{"manual after T is not definitive", Answer{Err: ErrOffline},
			[]Observation{{Row: 2, Time: T.Add(time.Hour)}}, NeedsReview, nil},
		{"platform fault, no observation", Answer{Err: platforms.NewFault(platforms.ReasonRateLimited, "")}, nil, NeedsReview, nil},
		{"platform fault decided by observation", Answer{Err: platforms.NewFault(platforms.ReasonEmptyList, "")},
			[]Observation{{Row: 3, Time: T.Add(-2 * day)}}, Qualified, ptr(T.Add(-2 * day))},
		{"stale manual row never hides newer platform post", platformAt(T.Add(-time.Hour)),
			[]Observation{{Row: 3, Time: T.Add(-30 * day)}}, Qualified, ptr(T.Add(-time.Hour))},
		{"manual mass-send newer than platform", platformAt(T.Add(-30 * day)),
			[]Observation{{Row: 3, Time: T.Add(-3 * day)}}, Qualified, ptr(T.Add(-3 * day))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := Classify(weiboAccount(), c.ans, c.manual, nil, params())
			if v.Status != c.want {
				t.Fatalf("status = %s (%s), want %s", v.Status, v.Detail, c.want)
			}
			if (v.LatestPostAt == nil) != (c.latest == nil) || (c.latest != nil && !v.LatestPostAt.Equal(*c.latest)) {
				t.Errorf("latest = %v, want %v", v.LatestPostAt, c.latest)
			}
			switch v.Status {
			case Unqualified:
				if len(v.Problems) != 1 || v.Problems[0] != "监测时间点前2周内无更新" {
					t.Errorf("problems = %v", v.Problems)
				}
			case NeedsReview:
				if v.Detail == "" || v.Source != "" {
					t.Errorf("needs_review must carry a reason and no source: %q %q", v.Detail, v.Source)
				}
			}
		})
	}
}

func TestClassifySourceFollowsNewestTime(t *testing.T) {
	v := Classify(weiboAccount(), platformAt(T.Add(-30*24*time.Hour)), []Observation{{Row: 3, Time: T.Add(-time.Hour)}}, nil, params())
	if v.Source != SourceManual {
		t.Errorf("source = %q, want manual", v.Source)
	}
	v = Classify(weiboAccount(), platformAt(T.Add(-time.Hour)), nil, nil, params())
	if v.Source != "weibo" || !strings.HasPrefix(v.Detail, "最近一条: 2022-08-21 23:00") {
		t.Errorf("source/detail = %q %q", v.Source, v.Detail)
	}
}

func TestClassifyVeto(t *testing.T) {
	f := []Finding{{Row: 2, Problem: "严重表述错误", Veto: true}, {Row: 3, Problem: "存在商业广告", Veto: false}}
	v := Classify(weiboAccount(), platformAt(T.Add(-time.Hour)), nil, f, params())
	if v.Status != Unqualified || len(v.Problems) != 1 || v.Problems[0] != "严重表述错误" {
		t.Fatalf("veto: %s %v", v.Status, v.Problems)
	}
	if !strings.Contains(v.Detail, "存在商业广告") {
		t.Errorf("non-veto finding should be mentioned: %q", v.Detail)
	}
	// A veto on a stale account lists both problems.
	v = Classify(weiboAccount(), platformAt(T.Add(-20*24*time.Hour)), nil, f[:1], params())
	if len(v.Problems) != 2 {
		t.Errorf("problems = %v, want veto + no update", v.Problems)
	}
	// A veto decides even when the platform failed.
	v = Classify(weiboAccount(), Answer{Err: ErrUnsupported}, nil, f[:1], params())
	if v.Status != Unqualified || len(v.Problems) != 1 {
		t.Errorf("veto with fault: %s %v", v.Status, v.Problems)
	}
}

func TestClassifyPendingPolicy(t *testing.T) {
	a := weiboAccount()
	a.Lifecycle, a.RegistryStatus = PendingClosure, "正在申请办理注销"
	if v := Classify(a, platformAt(T.Add(-time.Hour)), nil, nil, params()); v.Status != PendingReview || v.Status.Label() != "注销中" {
		t.Errorf("exclude: %s", v.Status)
	}
	p := params()
	p.Pending = PendingCheck
	if v := Classify(a, platformAt(T.Add(-20*24*time.Hour)), nil, nil, p); v.Status != Unqualified {
		t.Errorf("check: %s", v.Status)
	}
}

func TestClassifyWindowWording(t *testing.T) {
	p := params()
	p.Window = Window{D: 10 * 24 * time.Hour}
	v := Classify(weiboAccount(), platformAt(T.Add(-11*24*time.Hour)), nil, nil, p)
	if v.Status != Unqualified || v.Problems[0] != "监测时间点前10天内无更新" {
		t.Errorf("10d: %s %v", v.Status, v.Problems)
	}
}

func TestClassifyFaultReasonInDetail(t *testing.T) {
	f := &platforms.Fault{Reason: platforms.ReasonSessionExpired, Label: "公众平台登录已失效", URL: "https://mp.weixin.qq.com/cgi-bin/appmsgpublish?token=REDACTED"}
	v := Classify(weiboAccount(), Answer{Err: f}, nil, nil, params())
	if v.Status != NeedsReview || v.Detail != "公众平台登录已失效" || v.Evidence[0].URL != f.URL {
		t.Errorf("got %s %q %+v", v.Status, v.Detail, v.Evidence)
	}
}

func TestSummarizeAndWarnings(t *testing.T) {
	day := 24 * time.Hour
	r := &Result{CheckTime: T, Accounts: []Verdict{
		{Status: Qualified, LatestPostAt: ptr(T.Add(-11 * day)), Account: Account{Name: "a"}},
		{Status: Qualified, LatestPostAt: ptr(T.Add(-10 * day)), Account: Account{Name: "b"}},
		{Status: Unqualified}, {Status: PendingReview}, {Status: NeedsReview},
	}}
	r.Summarize(params())
	s := r.Summary
	if s.InScope != 5 || s.Qualified != 2 || s.Unqualified != 1 || s.PendingClosure != 1 || s.NeedsReview != 1 || s.UnqualifiedRate != 0.2 {
		t.Errorf("summary = %+v", s)
	}
	if len(r.Warnings) != 1 || r.Warnings[0].Name != "a" || r.Warnings[0].DaysSincePost != 11 {
		t.Errorf("warnings = %+v (10 days exactly is not strictly older)", r.Warnings)
	}
}

func ptr(t time.Time) *time.Time { return &t }
