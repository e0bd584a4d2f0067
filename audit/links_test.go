package audit

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/platforms"
)

func wechatAccount() Account {
	return Account{Row: 5, Name: "汉中发布", Type: "微信订阅号", Platform: platforms.WeChat, IDKind: platforms.IDWeChatBiz,
		ID: "MzA5NjYxMjQ0Mg==", Owner: "汉中市人民政府新闻办公室", Lifecycle: Active, RegistryStatus: "正常运行"}
}

var closed = &platforms.Fault{Reason: platforms.ReasonRouteClosed, Label: "公众平台已停止提供他人账号文章列表"}

func proofAt(t time.Time) LinkCheck {
	return LinkCheck{Proof: &platforms.LinkProof{Source: platforms.SourceWeChatArticle, Post: platforms.Post{Time: t, Title: "通知"},
		URL: "https://mp.weixin.qq.com/s/abc", Identity: "文章的 __biz 与登记的一致"}}
}

func TestClassifyEvidenceLinks(t *testing.T) {
	day := 24 * time.Hour
	link := "https://mp.weixin.qq.com/s/AbCdEfGh1234567890xyz"
	cases := []struct {
		name       string
		ans        Answer
		manual     []Observation
		want       Status
		source     string
		code       platforms.Reason
		detailHas  []string
		detailNot  []string
		evidenceOf string // a source the evidence must hold
	}{
		{name: "a verified link in the window proves 合格 although the backend is closed",
			ans:    Answer{Err: closed, Links: map[int]LinkCheck{7: proofAt(T.Add(-3 * day))}},
			manual: []Observation{{Row: 7, Link: link}}, want: Qualified, source: platforms.SourceWeChatArticle},
		{name: "a verified link older than the window proves a post, never absence",
			ans:    Answer{Err: closed, Links: map[int]LinkCheck{7: proofAt(T.Add(-40 * day))}},
			manual: []Observation{{Row: 7, Link: link}}, want: NeedsReview, code: ReviewLinkOnly,
			detailHas: []string{"公众平台已停止提供他人账号文章列表", "不能证明此后没有更新"}},
		{name: "a link after T counts for nothing",
			ans:    Answer{Err: closed, Links: map[int]LinkCheck{7: proofAt(T.Add(2 * day))}},
			manual: []Observation{{Row: 7, Link: link}}, want: NeedsReview,
			detailHas: []string{"晚于监测时间点"}},
		{name: "a link to another account voids its row, typed time included",
			ans: Answer{Err: closed, Links: map[int]LinkCheck{7: {Err: &platforms.Fault{Reason: platforms.ReasonWrongAccount,
				Detail: "文章来自公众号“汉中发布服务”"}}}},
			manual: []Observation{{Row: 7, Link: link, Time: T.Add(-2 * day)}}, want: NeedsReview,
			detailHas: []string{"不属于该账号"}},
		{name: "a link that cannot be checked leaves the typed time as the row's observation",
			ans:    Answer{Err: closed, Links: map[int]LinkCheck{7: {Err: platforms.NewFault(platforms.ReasonCaptcha, "环境异常")}}},
			manual: []Observation{{Row: 7, Link: link, Time: T.Add(-2 * day)}}, want: Qualified, source: SourceManual},
		{name: "a typed time after T with a link that cannot be checked",
			ans:    Answer{Err: closed, Links: map[int]LinkCheck{7: {Err: platforms.NewFault(platforms.ReasonDeleted, "")}}},
			manual: []Observation{{Row: 7, Link: link, Time: T.Add(2 * day)}}, want: NeedsReview,
			detailHas: []string{"无法核验", "链接文章已删除"}},
		{name: "offline: the typed time decides, the link is kept unverified",
			ans:    Answer{Err: ErrOffline},
			manual: []Observation{{Row: 7, Link: link, Time: T.Add(-40 * day)}}, want: Unqualified, source: SourceManual},
		{name: "offline, link only: 待核查, and the detail does not claim there is no record",
			ans:    Answer{Err: ErrOffline},
			manual: []Observation{{Row: 7, Link: link}}, want: NeedsReview, code: ReviewOffline,
			detailHas: []string{"文章链接未核验"}, detailNot: []string{"无人工观察记录"}},
		{name: "offline with a typed time after T: one reason, no contradiction",
			ans:    Answer{Err: ErrOffline},
			manual: []Observation{{Row: 7, Time: T.Add(3 * day)}}, want: NeedsReview, code: ReviewObservationLate,
			detailHas: []string{"离线检查", "晚于监测时间点"}, detailNot: []string{"无人工观察记录"}},
		{name: "offline with nothing: says there is no record",
			ans: Answer{Err: ErrOffline}, want: NeedsReview, code: ReviewOffline, detailHas: []string{"无人工观察记录"}},
		{name: "a link older than the window with a definitive typed time: 不合格 from the typed time",
			ans:    Answer{Err: closed, Links: map[int]LinkCheck{7: proofAt(T.Add(-40 * day))}},
			manual: []Observation{{Row: 8, Time: T.Add(-30 * day)}, {Row: 7, Link: link}}, want: Unqualified,
			evidenceOf: platforms.SourceWeChatArticle},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := Classify(wechatAccount(), c.ans, c.manual, nil, params())
			if v.Status != c.want {
				t.Fatalf("Status = %s (%s), want %s", v.Status, v.Detail, c.want)
			}
			if c.source != "" && v.Source != c.source {
				t.Errorf("Source = %q, want %q", v.Source, c.source)
			}
			if c.code != "" && v.Review.Code != string(c.code) {
				t.Errorf("Review = %+v, want code %s", v.Review, c.code)
			}
			if v.Status == NeedsReview && v.Review.Label == "" {
				t.Errorf("待核查 without a review label: %q", v.Detail)
			}
			for _, s := range c.detailHas {
				if !strings.Contains(v.Detail, s) {
					t.Errorf("Detail = %q, want it to say %q", v.Detail, s)
				}
			}
			for _, s := range c.detailNot {
				if strings.Contains(v.Detail, s) {
					t.Errorf("Detail = %q must not say %q", v.Detail, s)
				}
			}
			linked := false
			for _, e := range v.Evidence {
				if e.Link == link {
					linked = true
				}
				if c.evidenceOf != "" && e.Source == c.evidenceOf {
					c.evidenceOf = ""
				}
			}
			if len(c.manual) > 0 && c.manual[len(c.manual)-1].Link != "" && !linked {
				t.Errorf("the link is not in the evidence: %+v", v.Evidence)
			}
			if c.evidenceOf != "" {
				t.Errorf("no evidence from %s: %+v", c.evidenceOf, v.Evidence)
			}
		})
	}
}

func TestRunChecksLinksAndNamesVoidRows(t *testing.T) {
	reg := &Registry{File: "reg.xlsx", Accounts: []Account{wechatAccount(),
		{Row: 6, Name: "汉中交警", Type: "微信订阅号", Platform: platforms.WeChat, Owner: "汉中市公安局交警支队", Lifecycle: Active, RegistryStatus: "正常运行"}}}
	day := 24 * time.Hour
	obs := []Observation{
		{Row: 2, Name: "汉中发布", Type: "微信订阅号", Platform: platforms.WeChat, Link: "https://mp.weixin.qq.com/s/AbCdEfGh1234567890xyz"},
		{Row: 3, Name: "汉中交警", Type: "微信订阅号", Platform: platforms.WeChat, Link: "https://mp.weixin.qq.com/s/OtherAccount123456", Time: T.Add(-day)},
		{Row: 4, Name: "汉中交警", Type: "微信订阅号", Platform: platforms.WeChat, Link: "https://www.douyin.com/video/1"},
	}
	var asked []string
	c := &Check{Params: params(), Registry: reg, Observations: obs, ObservationsFile: "/tmp/核对表.xlsx", Concurrency: 1,
		Fetch: func(ctx context.Context, tg platforms.Target, at time.Time) (platforms.Observation, error) {
			return platforms.Observation{}, closed
		},
		CheckLink: func(ctx context.Context, tg platforms.Target, l platforms.PostLink, at time.Time) (platforms.LinkProof, error) {
			asked = append(asked, tg.Name+" "+l.ID)
			if tg.Name == "汉中交警" {
				return platforms.LinkProof{}, &platforms.Fault{Reason: platforms.ReasonWrongAccount, Detail: "文章来自公众号“汉中发布”"}
			}
			return *proofAt(T.Add(-2 * day)).Proof, nil
		}}
	res, err := c.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(asked) != 2 {
		t.Errorf("links asked: %v (the douyin link cannot be read and is not asked)", asked)
	}
	if res.Accounts[0].Status != Qualified || res.Accounts[0].Source != platforms.SourceWeChatArticle {
		t.Errorf("汉中发布: %s %s", res.Accounts[0].Status, res.Accounts[0].Detail)
	}
	if res.Accounts[1].Status != NeedsReview {
		t.Errorf("汉中交警: %s, want 待核查 (its row is void, the backend closed)", res.Accounts[1].Status)
	}
	found := false
	for _, n := range res.Notices {
		if strings.Contains(n, "核对表.xlsx 第3行") && strings.Contains(n, "作废") {
			found = true
		}
	}
	if !found {
		t.Errorf("no notice naming the file and the void row: %q", res.Notices)
	}
	ex := Explain(res)
	if ex.Decided != 1 || ex.Review != 1 || len(ex.Routes) != 1 || ex.Routes[0].Source != platforms.SourceWeChatArticle {
		t.Errorf("Explain = %+v", ex)
	}
	if len(ex.Reasons) != 1 || ex.Reasons[0].Code != string(platforms.ReasonRouteClosed) || !strings.Contains(ex.Reasons[0].Hint, "nmaudit review") {
		t.Errorf("reasons = %+v", ex.Reasons)
	}
}

func TestUnusedObservationsAreSummarised(t *testing.T) {
	reg := &Registry{Accounts: []Account{weiboAccount()}}
	var obs []Observation
	for i := range 40 {
		obs = append(obs, Observation{Row: i + 2, Name: "别的账号", Type: "新浪微博", Platform: platforms.Weibo, Time: T})
	}
	c := &Check{Params: params(), Registry: reg, Observations: obs}
	res, err := c.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range res.Notices {
		if strings.Contains(s, "未匹配") {
			n++
			if !strings.Contains(s, "40 行") {
				t.Errorf("summary = %q", s)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d notices for 40 unused rows, want one summary: %q", n, res.Notices)
	}
}
