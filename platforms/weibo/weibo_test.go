package weibo

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/platforms"
	"github.com/nmaudit/nmaudit/platforms/platformtest"
)

// T is the check time of every case unless it says otherwise: 2022-08-22 00:00 China time, the
// time the literal fixtures in testdata/weibo were written around.
var T = platformtest.T

func cstAt(y int, m time.Month, d, hh, mm, ss int) time.Time {
	return time.Date(y, m, d, hh, mm, ss, 0, cst)
}

type fetchCase struct {
	name  string
	pages map[string][]reply
	extra http.HandlerFunc
	check time.Time // T when zero
	mod   func(*Config)

	// a definitive answer
	want        time.Time // the Latest post's time; zero with wantNone
	wantNone    bool      // Latest must be nil (definitive: nothing at or before T)
	wantPinned  bool
	wantDayOnly bool
	wantID      string
	wantTitle   string
	wantURLHas  string // the Observation's URL contains this

	// a fault
	wantReason platforms.Reason
	wantIs     error  // errors.Is target, when the reason has a sentinel
	wantText   string // substring of err.Error()

	wantReqs  int      // requests the server saw
	wantSince []string // since_id of each request, in order
}

func TestFetch(t *testing.T) {
	day := 24 * time.Hour
	at := func(d time.Duration) gp { return gp{at: T.Add(d)} }
	one := func(created string) map[string][]reply {
		return map[string][]reply{"": {genPage(nil, gp{createdAt: created})}}
	}
	fetchAt := cstAt(2022, 8, 22, 10, 0, 0) // fixedDate in China time
	recent := genPage(nil, at(-3*day), at(-5*day))
	afterT := func(since string) reply { return genPage(since, at(2*day), at(day)) }

	cases := []fetchCase{
		// Pinned posts.
		{
			name:  "pinned post older than the window, fresh posts after it",
			pages: map[string][]reply{"": {file("pinned_old.json")}},
			want:  cstAt(2022, 8, 20, 16, 0, 11), wantID: "4804467341254127",
			wantTitle: "【#示例市防汛#】市防汛抗旱指挥部发布暴雨蓝色预警 请市民注…",
			wantReqs:  1, wantSince: []string{""},
		},
		{
			name:  "two pinned posts, one flagged only by mblogtype",
			pages: map[string][]reply{"": {file("two_pinned.json")}},
			want:  cstAt(2022, 8, 19, 10, 0, 0), wantID: "4804010000000011", wantReqs: 1,
		},
		{
			name:  "pinned post newer than the rest counts with its own time",
			pages: map[string][]reply{"": {file("pinned_newest.json")}},
			want:  cstAt(2022, 8, 21, 9, 0, 0), wantPinned: true, wantID: "4804700000000001", wantReqs: 1,
		},
		// Each pinned flag on its own must keep an old pinned post from stopping the paging.
		pinnedFlagCase("isTop only", gp{at: T.Add(-300 * day), flags: map[string]any{"isTop": 1}}),
		pinnedFlagCase("isTop as bool", gp{at: T.Add(-300 * day), flags: map[string]any{"isTop": true}}),
		pinnedFlagCase("mblogtype 2 only", gp{at: T.Add(-300 * day), flags: map[string]any{"mblogtype": 2}}),
		pinnedFlagCase("title 置顶 only", gp{at: T.Add(-300 * day), flags: map[string]any{"title": map[string]any{"text": "置顶"}}}),
		pinnedFlagCase("profile_type_id only", gp{at: T.Add(-300 * day), profile: "proweibotop"}),

		// Reposts count at the outer created_at.
		{
			name:  "repost whose original is newer than the repost",
			pages: map[string][]reply{"": {file("repost_newer_original.json")}},
			want:  cstAt(2022, 8, 18, 12, 0, 0), wantID: "4803700000000001", wantReqs: 1,
		},
		{
			name:  "repost whose original is years older",
			pages: map[string][]reply{"": {file("repost_older_original.json")}},
			want:  cstAt(2022, 8, 20, 8, 0, 0), wantID: "4804300000000001", wantReqs: 1,
		},

		// Card groups: every member is a post, not just the first.
		{
			name:  "card_type 11 group, newest post second in the group",
			pages: map[string][]reply{"": {file("card_group.json")}},
			want:  cstAt(2022, 8, 19, 17, 45, 0), wantID: "4804200000000003", wantReqs: 1,
		},

		// Paging.
		{
			name: "pages past posts newer than T, stops at the first page with an unpinned post ≤ T",
			pages: map[string][]reply{
				"":                 {file("paging_p1.json")},
				"4804999999999999": {file("paging_p2.json")},
				"4804300000000005": {file("paging_p3.json")}, // must not be asked for
			},
			want: cstAt(2022, 8, 21, 18, 0, 0), wantID: "4804800000000004",
			wantURLHas: "since_id=4804999999999999",
			wantReqs:   2, wantSince: []string{"", "4804999999999999"},
		},
		{
			name: "max_pages pages all after T",
			mod:  func(c *Config) { c.MaxPages = 3 },
			pages: map[string][]reply{
				"":   {afterT("p2")},
				"p2": {afterT("p3")},
				"p3": {afterT("p4")},
				"p4": {recent},
			},
			wantReason: platforms.ReasonTooManyPages, wantReqs: 3, wantSince: []string{"", "p2", "p3"},
		},
		{
			name:     "last page reached, nothing at or before T: definitive, no post",
			pages:    map[string][]reply{"": {afterT("p2")}, "p2": {info(genPage(0, at(time.Hour)), "total", 3)}},
			wantNone: true, wantReqs: 2, wantURLHas: "since_id=p2",
		},
		{
			name:     "since_id absent on the first page means it is the last",
			pages:    map[string][]reply{"": {info(genPage(nil, at(day)), "total", nil)}},
			wantNone: true, wantReqs: 1,
		},
		{
			name:     "later page with no cards and no since_id ends the list",
			pages:    map[string][]reply{"": {info(afterT("p2"), "total", 2)}, "p2": {file("empty_cards.json")}},
			wantNone: true, wantReqs: 2,
		},
		{
			name:  "last page reached: only a pinned post is at or before T",
			pages: map[string][]reply{"": {info(genPage("", gp{at: T.Add(-100 * day), flags: pin}, at(day)), "total", "2")}},
			want:  T.Add(-100 * day), wantPinned: true, wantReqs: 1,
		},

		// The corrected contract: real answers page by number as often as by since_id, and a
		// page with no way on ends the list only when total agrees.
		{
			name: "page-number paging (cardlistInfo.page, no since_id) past posts after T",
			pages: map[string][]reply{
				"":       {info(genPage(nil, gp{at: T.Add(-400 * day), flags: pin}, at(2*day), at(day)), "page", 2)},
				"page=2": {info(genPage(nil, at(20*time.Hour), at(-4*day)), "page", 3)},
				"page=3": {genPage(nil, at(-40*day))}, // must not be asked for
			},
			want: T.Add(-4 * day), wantURLHas: "&page=2", wantReqs: 2,
		},
		{
			name: "page number as a string",
			pages: map[string][]reply{
				"":       {info(genPage(nil, at(2*day)), "page", "2")},
				"page=2": {genPage(nil, at(-20*day))},
			},
			want: T.Add(-20 * day), wantReqs: 2,
		},
		{
			name: "page number on the last page: the list read to its end",
			pages: map[string][]reply{
				"":       {info(info(genPage(nil, at(2*day)), "page", 2), "total", 2)},
				"page=2": {info(info(genPage(nil, at(day)), "page", nil), "total", 2)},
			},
			wantNone: true, wantReqs: 2,
		},
		{
			name: "no since_id, no page, but total above what was seen: not the end",
			pages: map[string][]reply{
				"": {info(genPage(nil, gp{at: T.Add(-400 * day), flags: pin}, at(3*day), at(day)), "total", 259)},
			},
			wantReason: platforms.ReasonIncomplete, wantIs: platforms.ErrIncomplete, wantText: "259", wantReqs: 1,
		},
		{
			name:       "a page number that is not a number",
			pages:      map[string][]reply{"": {info(genPage(nil, at(2*day)), "page", "二")}},
			wantReason: platforms.ReasonIncomplete, wantIs: platforms.ErrIncomplete, wantText: "page", wantReqs: 1,
		},
		{
			name:       "a since_id that is an object",
			pages:      map[string][]reply{"": {info(genPage(nil, at(2*day)), "since_id", map[string]any{"v": 1})}},
			wantReason: platforms.ReasonIncomplete, wantIs: platforms.ErrIncomplete, wantText: "since_id", wantReqs: 1,
		},
		{
			name:       "a page number that does not move forward",
			pages:      map[string][]reply{"": {info(genPage(nil, at(2*day)), "page", 2)}, "page=2": {info(genPage(nil, at(day)), "page", 2)}},
			wantReason: platforms.ReasonIncomplete, wantText: "翻页循环", wantReqs: 2,
		},
		{
			name: "the next page fails: 待核查, never the posts of page 1",
			pages: map[string][]reply{
				"":   {genPage("p2", gp{at: T.Add(-400 * day), flags: pin}, at(day))},
				"p2": {{status: 502, body: "bad gateway"}},
			},
			wantReason: platforms.ReasonPlatformError, wantText: "第 2 页", wantReqs: 4,
		},
		{
			name:       "这里还没有内容 on a later page is a fault, not the end of the list",
			pages:      map[string][]reply{"": {afterT("p2")}, "p2": {file("empty.json")}},
			wantReason: platforms.ReasonEmptyList, wantIs: platforms.ErrEmptyList, wantText: "第 2 页", wantReqs: 2,
		},
		{
			name:       "a since_id pointing back to a page already read",
			pages:      map[string][]reply{"": {afterT("loop")}, "loop": {afterT("loop")}},
			wantReason: platforms.ReasonIncomplete, wantText: "since_id loop", wantReqs: 2,
		},

		// The window boundary.
		{
			name:  "post exactly at T counts, one a second after T does not",
			pages: map[string][]reply{"": {genPage(1, at(time.Second), at(0), at(-day))}},
			want:  T, wantReqs: 1,
		},
		{
			name:  "a second after T is ignored in favour of a second before",
			pages: map[string][]reply{"": {genPage(1, at(time.Second), at(-time.Second))}},
			want:  T.Add(-time.Second), wantReqs: 1,
		},

		// Time formats, resolved against the Date header (10:00 China time).
		{
			name:  "page of relative times (literal fixture)",
			pages: map[string][]reply{"": {file("relative_times.json")}},
			check: cstAt(2022, 8, 22, 9, 0, 0),
			want:  cstAt(2022, 8, 22, 8, 15, 0), wantID: "4804990000000003", wantReqs: 1,
		},
		{name: "RubyDate", pages: one("Sun Aug 21 23:59:59 +0800 2022"), check: fetchAt, want: cstAt(2022, 8, 21, 23, 59, 59)},
		{name: "RubyDate in UTC", pages: one("Sun Aug 21 15:00:00 +0000 2022"), check: fetchAt, want: cstAt(2022, 8, 21, 23, 0, 0)},
		{name: "刚刚", pages: one("刚刚"), check: fetchAt, want: fetchAt},
		{name: "N分钟前", pages: one("5分钟前"), check: fetchAt, want: cstAt(2022, 8, 22, 9, 55, 0)},
		{name: "N小时前", pages: one("3小时前"), check: fetchAt, want: cstAt(2022, 8, 22, 7, 0, 0)},
		{name: "今天 HH:MM", pages: one("今天 08:15"), check: fetchAt, want: cstAt(2022, 8, 22, 8, 15, 0)},
		{name: "昨天 HH:MM", pages: one("昨天 21:40"), check: fetchAt, want: cstAt(2022, 8, 21, 21, 40, 0)},
		{name: "MM-DD this year", pages: one("08-15"), check: fetchAt, want: cstAt(2022, 8, 15, 0, 0, 0), wantDayOnly: true},
		{name: "MM-DD in the future is last year", pages: one("12-25"), check: fetchAt, want: cstAt(2021, 12, 25, 0, 0, 0), wantDayOnly: true},
		{name: "YYYY-MM-DD", pages: one("2021-12-31"), check: fetchAt, want: cstAt(2021, 12, 31, 0, 0, 0), wantDayOnly: true},
		{
			name:  "no Date header: relative times resolve against the injected clock",
			pages: map[string][]reply{"": {withHeader(genPage(nil, gp{createdAt: "3小时前"}), "Date", "")}},
			check: fetchAt, want: testNow.Add(-3 * time.Hour),
		},
		{
			name:       "unparseable created_at names the value",
			pages:      one("3天前"),
			wantReason: platforms.ReasonBadResponse, wantText: `"3天前"`, wantReqs: 1,
		},

		// Outcomes from the body.
		{
			name:       "ok:0 这里还没有内容",
			pages:      map[string][]reply{"": {file("empty.json")}},
			wantReason: platforms.ReasonEmptyList, wantIs: platforms.ErrEmptyList, wantText: "这里还没有内容", wantReqs: 1,
		},
		{
			name:       "other ok:0 carries msg",
			pages:      map[string][]reply{"": {file("ok0_other.json")}},
			wantReason: platforms.ReasonPlatformError, wantText: "请求参数错误", wantReqs: 1,
		},
		{
			name:       "ok:-100 with a configured cookie",
			pages:      map[string][]reply{"": {file("login_required.json")}},
			mod:        withCookie,
			wantReason: platforms.ReasonLoginRequired, wantIs: platforms.ErrLoginRequired, wantText: "需要登录/Cookie 已失效", wantReqs: 1,
		},
		{
			name:       "ok:-100 with a captcha url is a captcha, not a login",
			pages:      map[string][]reply{"": {file("captcha_ok-100.json")}},
			mod:        withCookie,
			wantReason: platforms.ReasonCaptcha, wantIs: platforms.ErrCaptcha, wantText: "m.weibo.cn/captcha?scene=limit", wantReqs: 1,
		},
		{
			name:       "captcha: url and no data",
			pages:      map[string][]reply{"": {file("captcha.json")}},
			wantReason: platforms.ReasonCaptcha, wantIs: platforms.ErrCaptcha, wantText: "security.weibo.com", wantReqs: 1,
		},
		{
			name:       "HTML body with status 200",
			pages:      map[string][]reply{"": {file("garbage.html")}},
			wantReason: platforms.ReasonBadResponse, wantText: "不是 JSON", wantReqs: 1,
		},
		{
			name:       "JSON that is not an object",
			pages:      map[string][]reply{"": {{body: `[]`}}},
			wantReason: platforms.ReasonBadResponse, wantReqs: 1,
		},
		{
			name:       "JSON without ok",
			pages:      map[string][]reply{"": {{body: `{"data":{"cards":[]}}`}}},
			wantReason: platforms.ReasonBadResponse, wantText: "ok", wantReqs: 1,
		},
		{
			name:       "ok:1 with no cards on the first page",
			pages:      map[string][]reply{"": {file("empty_cards.json")}},
			wantReason: platforms.ReasonEmptyList, wantIs: platforms.ErrEmptyList, wantReqs: 1,
		},
		{
			name:       "a post card without its mblog",
			pages:      map[string][]reply{"": {{body: `{"ok":1,"data":{"cardlistInfo":{"since_id":0},"cards":[{"card_type":9,"itemid":"x_-_1"}]}}`}}},
			wantReason: platforms.ReasonBadResponse, wantText: "mblog", wantReqs: 1,
		},
		{
			name: "JSON sent as text/html is still read",
			pages: map[string][]reply{"": {withHeader(file("pinned_old.json"),
				"Content-Type", "text/html; charset=utf-8")}},
			want: cstAt(2022, 8, 20, 16, 0, 11), wantReqs: 1,
		},
		{
			name: "id as a number keeps all its digits; bid when there is no id",
			pages: map[string][]reply{"": {{body: `{"ok":1,"data":{"cardlistInfo":{"since_id":0},"cards":[
				{"card_type":9,"mblog":{"created_at":"Sun Aug 21 08:00:00 +0800 2022","bid":"LzOnlyBid","text":"a"}},
				{"card_type":9,"mblog":{"created_at":"Sat Aug 20 08:00:00 +0800 2022","id":4804467341254127,"text":"b"}}]}}`}}},
			want: cstAt(2022, 8, 21, 8, 0, 0), wantID: "LzOnlyBid", wantReqs: 1,
		},

		// Outcomes from the HTTP status.
		{
			name:       "HTTP 432 with an empty body",
			pages:      map[string][]reply{"": {{status: 432}}},
			mod:        withCookie,
			wantReason: platforms.ReasonLoginRequired, wantIs: platforms.ErrLoginRequired, wantText: "需要登录/Cookie 已失效", wantReqs: 1,
		},
		{
			name:     "HTTP 418 with an HTML body, then success",
			pages:    map[string][]reply{"": {status(http.StatusTeapot, "teapot_418.html"), recent}},
			want:     T.Add(-3 * day),
			wantReqs: 2,
		},
		{
			name:       "HTTP 418 forever: rate limited after 1+retries requests",
			pages:      map[string][]reply{"": {status(http.StatusTeapot, "teapot_418.html")}},
			wantReason: platforms.ReasonRateLimited, wantIs: platforms.ErrRateLimited, wantText: "触发频率限制", wantReqs: 3,
		},
		{
			name:       "HTTP 403 forever",
			pages:      map[string][]reply{"": {status(http.StatusForbidden, "forbidden_403.html")}},
			wantReason: platforms.ReasonRateLimited, wantIs: platforms.ErrRateLimited, wantText: "HTTP 403", wantReqs: 3,
		},
		{
			name:       "HTTP 414 forever",
			pages:      map[string][]reply{"": {status(http.StatusRequestURITooLong, "uri_too_long_414.html")}},
			wantReason: platforms.ReasonRateLimited, wantIs: platforms.ErrRateLimited, wantText: "HTTP 414", wantReqs: 3,
		},
		{
			name:       "HTTP 429 from a proxy is a rate limit too",
			pages:      map[string][]reply{"": {{status: http.StatusTooManyRequests}}},
			wantReason: platforms.ReasonRateLimited, wantIs: platforms.ErrRateLimited, wantReqs: 3,
		},
		{
			name:     "HTTP 403 then success",
			pages:    map[string][]reply{"": {status(http.StatusForbidden, "forbidden_403.html"), recent}},
			want:     T.Add(-3 * day),
			wantReqs: 2,
		},
		{
			name:     "HTTP 500 then success",
			pages:    map[string][]reply{"": {{status: 500, body: "Internal Server Error"}, recent}},
			want:     T.Add(-3 * day),
			wantReqs: 2,
		},
		{
			name:       "HTTP 502 forever",
			pages:      map[string][]reply{"": {{status: 502, body: "<html>Bad Gateway</html>"}}},
			wantReason: platforms.ReasonPlatformError, wantText: "HTTP 502", wantReqs: 3,
		},
		{
			name:       "HTTP 404 says the endpoint is wrong, not that the account does not exist",
			pages:      map[string][]reply{"": {{status: 404, body: "Not Found"}}},
			wantReason: platforms.ReasonPlatformError, wantText: "base_url", wantReqs: 1,
		},
		{
			name:  "redirect to the passport login page",
			pages: map[string][]reply{"": {{redirect: "/visitor/passport/genvisitor"}}},
			extra: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				_, _ = w.Write([]byte("<html><title>Sina Visitor System</title></html>"))
			},
			mod:        withCookie,
			wantReason: platforms.ReasonLoginRequired, wantIs: platforms.ErrLoginRequired, wantReqs: 1,
		},
		{
			name:       "redirect to another site is refused and named",
			pages:      map[string][]reply{"": {{redirect: "http://forger.example/api/container/getIndex"}}},
			mod:        withCookie,
			wantReason: platforms.ReasonRedirected, wantIs: platforms.ErrRedirected, wantText: "forger.example", wantReqs: 1,
		},
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fw := newFake(t, c.pages)
			fw.extra = c.extra
			f := newTestFetcher(t, fw, c.mod)
			check := c.check
			if check.IsZero() {
				check = T
			}
			obs, err := f.Fetch(context.Background(), target(), check)
			reqs := fw.requests()
			if c.wantReqs != 0 && len(reqs) != c.wantReqs {
				t.Errorf("server saw %d requests, want %d", len(reqs), c.wantReqs)
			}
			if c.wantSince != nil {
				var got []string
				for _, r := range reqs {
					got = append(got, r.Query["since_id"])
				}
				if strings.Join(got, ",") != strings.Join(c.wantSince, ",") {
					t.Errorf("since_id per request = %q, want %q", got, c.wantSince)
				}
			}
			if c.wantReason != "" {
				checkFault(t, err, c.wantReason, c.wantIs, c.wantText, fw.srv.URL)
				return
			}
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if obs.Source != "weibo" {
				t.Errorf("Source = %q", obs.Source)
			}
			if !strings.HasPrefix(obs.URL, fw.srv.URL+"/api/container/getIndex?type=uid&value="+testUID) {
				t.Errorf("URL = %q", obs.URL)
			}
			if c.wantURLHas != "" && !strings.Contains(obs.URL, c.wantURLHas) {
				t.Errorf("URL = %q, want it to contain %q", obs.URL, c.wantURLHas)
			}
			if obs.FetchedAt.IsZero() {
				t.Errorf("FetchedAt is zero")
			}
			if c.wantNone {
				if obs.Latest != nil {
					t.Fatalf("Latest = %+v, want nil", *obs.Latest)
				}
				return
			}
			if obs.Latest == nil {
				t.Fatalf("Latest = nil, want %v", c.want)
			}
			p := obs.Latest
			if !p.Time.Equal(c.want) {
				t.Errorf("Latest.Time = %v, want %v", p.Time, c.want)
			}
			if p.Pinned != c.wantPinned {
				t.Errorf("Latest.Pinned = %v, want %v", p.Pinned, c.wantPinned)
			}
			if p.DayOnly != c.wantDayOnly {
				t.Errorf("Latest.DayOnly = %v, want %v", p.DayOnly, c.wantDayOnly)
			}
			if c.wantID != "" && p.ID != c.wantID {
				t.Errorf("Latest.ID = %q, want %q", p.ID, c.wantID)
			}
			if c.wantTitle != "" && p.Title != c.wantTitle {
				t.Errorf("Latest.Title = %q, want %q", p.Title, c.wantTitle)
			}
		})
	}
}

// pinnedFlagCase: an old post pinned by one flag, then a post after T; the real newest post ≤ T
// is on page 2. Missing the flag would stop at page 1 and report the old pinned post.
func pinnedFlagCase(name string, pinned gp) fetchCase {
	return fetchCase{
		name: "pinned flag: " + name,
		pages: map[string][]reply{
			"":   {genPage("p2", pinned, gp{at: T.Add(24 * time.Hour)})},
			"p2": {genPage(0, gp{at: T.Add(-3 * 24 * time.Hour)})},
		},
		want: T.Add(-3 * 24 * time.Hour), wantReqs: 2,
	}
}

// withCookie configures a logged-in cookie (no visitor handshake).
func withCookie(c *Config) { c.Cookie = "SUB=_2A25J0xConfiguredCookie0123456789" }

// info sets (or, with nil, removes) one member of a generated page's cardlistInfo.
func info(r reply, key string, v any) reply {
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.body), &doc); err != nil {
		panic(err)
	}
	ci := doc["data"].(map[string]any)["cardlistInfo"].(map[string]any)
	if v == nil {
		delete(ci, key)
	} else {
		ci[key] = v
	}
	b, _ := json.Marshal(doc)
	r.body = string(b)
	return r
}

func withHeader(r reply, k, v string) reply {
	h := map[string]string{}
	for kk, vv := range r.header {
		h[kk] = vv
	}
	h[k] = v
	r.header = h
	return r
}

func checkFault(t *testing.T, err error, reason platforms.Reason, is error, text, baseURL string) *platforms.Fault {
	t.Helper()
	var fault *platforms.Fault
	if !errors.As(err, &fault) {
		t.Fatalf("err = %v (%T), want a *platforms.Fault", err, err)
	}
	if fault.Reason != reason {
		t.Errorf("Reason = %s, want %s (err %v)", fault.Reason, reason, err)
	}
	if is != nil && !errors.Is(err, is) {
		t.Errorf("errors.Is(err, %v) = false", is)
	}
	if text != "" && !strings.Contains(err.Error(), text) {
		t.Errorf("err = %q, want it to contain %q", err.Error(), text)
	}
	if baseURL != "" && !strings.HasPrefix(fault.URL, baseURL+"/api/container/getIndex?") {
		t.Errorf("Fault.URL = %q, want the request URL", fault.URL)
	}
	return fault
}

// TestRequestShape checks the request against the contract: path, query order, headers, and the
// cookie on the wire (and only there) on every page.
func TestRequestShape(t *testing.T) {
	const cookie = "SUB=_2A25J0xTestCookieValue0123456789; SUBP=0033WrSXqPxfM725Ws9jqgMF55529P9D9WTest"
	fw := newFake(t, map[string][]reply{
		"":                 {file("paging_p1.json")},
		"4804999999999999": {file("paging_p2.json")},
	})
	f := newTestFetcher(t, fw, func(c *Config) { c.Cookie = cookie })
	if _, err := f.Fetch(context.Background(), target(), T); err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	reqs := fw.requests()
	if len(reqs) != 2 {
		t.Fatalf("server saw %d requests, want 2", len(reqs))
	}
	wantQuery := []string{
		"type=uid&value=3512345678&containerid=1076033512345678",
		"type=uid&value=3512345678&containerid=1076033512345678&since_id=4804999999999999",
	}
	for i, r := range reqs {
		if r.RawQuery != wantQuery[i] {
			t.Errorf("request %d query = %q, want %q", i+1, r.RawQuery, wantQuery[i])
		}
		for k, want := range map[string]string{
			"MWeibo-Pwa":       "1",
			"X-Requested-With": "XMLHttpRequest",
			"Referer":          "https://m.weibo.cn/u/3512345678",
			"User-Agent":       DefaultUserAgent,
			"Cookie":           cookie,
		} {
			if got := r.Header.Get(k); got != want {
				t.Errorf("request %d header %s = %q, want %q", i+1, k, got, want)
			}
		}
	}

	// Without a cookie configured and visitor cookies off, no Cookie header at all.
	fw2 := newFake(t, map[string][]reply{"": {file("pinned_old.json")}})
	f2 := newTestFetcher(t, fw2, func(c *Config) { c.Visitor = false })
	if _, err := f2.Fetch(context.Background(), target(), T); err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if h := fw2.requests()[0].Header; h.Get("Cookie") != "" {
		t.Errorf("Cookie = %q with no cookie configured", h.Get("Cookie"))
	}
	if fw2.visitorHit != 0 {
		t.Errorf("visitor handshake made with visitor: false")
	}
}

func TestNoUID(t *testing.T) {
	fw := newFake(t, map[string][]reply{})
	f := newTestFetcher(t, fw, nil)
	for _, tg := range []platforms.Target{
		{Platform: platforms.Weibo, Name: "示例市发布"},
		{Platform: platforms.Weibo, Name: "示例市发布", IDKind: platforms.IDWeiboUID, ID: "  "},
		{Platform: platforms.Weibo, Name: "示例市发布", IDKind: platforms.IDOther, ID: "示例市发布"},
	} {
		_, err := f.Fetch(context.Background(), tg, T)
		fault := checkFault(t, err, platforms.ReasonNotFound, platforms.ErrNotFound, "未提供微博 UID", "")
		if fault.URL != "" {
			t.Errorf("URL = %q for a request never made", fault.URL)
		}
	}
	_, err := f.Fetch(context.Background(), platforms.Target{Platform: platforms.Weibo, IDKind: platforms.IDWeiboUID, ID: "u/35123"}, T)
	checkFault(t, err, platforms.ReasonNotFound, platforms.ErrNotFound, "微博 UID 无效", "")
	if n := len(fw.requests()); n != 0 {
		t.Errorf("server saw %d requests, want none", n)
	}
}

// TestCancelInFlight cancels while the server holds the request: Fetch must return at once with
// context.Canceled, not a Fault and not after retries.
func TestCancelInFlight(t *testing.T) {
	fw := newFake(t, map[string][]reply{"": {{block: true}}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fw.onHit = func(int) { cancel() }
	f := newTestFetcher(t, fw, nil)
	start := time.Now()
	_, err := f.Fetch(ctx, target(), T)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	var fault *platforms.Fault
	if errors.As(err, &fault) {
		t.Errorf("cancellation reported as a Fault: %v", fault)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v to return after cancellation", d)
	}
	if n := len(fw.requests()); n != 1 {
		t.Errorf("server saw %d requests, want 1 (no retry after cancellation)", n)
	}
}

// TestTimeout: a request that outlives cfg.Timeout is retried, then reported as a network Fault
// that does not look like the caller's own cancellation.
func TestTimeout(t *testing.T) {
	fw := newFake(t, map[string][]reply{"": {{block: true}}})
	f := newTestFetcher(t, fw, func(c *Config) { c.Timeout = 50 * time.Millisecond })
	_, err := f.Fetch(context.Background(), target(), T)
	checkFault(t, err, platforms.ReasonNetwork, nil, "超时", fw.srv.URL)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		t.Errorf("a per-request timeout must not read as the run's context ending: %v", err)
	}
	if n := len(fw.requests()); n != 3 {
		t.Errorf("server saw %d requests, want 3", n)
	}
}

func TestNetworkError(t *testing.T) {
	fw := newFake(t, map[string][]reply{})
	f := newTestFetcher(t, fw, nil)
	fw.srv.Close()
	_, err := f.Fetch(context.Background(), target(), T)
	checkFault(t, err, platforms.ReasonNetwork, nil, "", fw.srv.URL)
}

// TestConcurrentFetches: one Fetcher is shared by every worker of a run.
func TestConcurrentFetches(t *testing.T) {
	fw := newFake(t, map[string][]reply{
		"":                 {file("paging_p1.json")},
		"4804999999999999": {file("paging_p2.json")},
	})
	f := newTestFetcher(t, fw, func(c *Config) { c.Cookie = "SUB=_2A25J0xConcurrentCookie" })
	want := cstAt(2022, 8, 21, 18, 0, 0)
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			obs, err := f.Fetch(context.Background(), target(), T)
			if err == nil && (obs.Latest == nil || !obs.Latest.Time.Equal(want)) {
				err = errors.New("wrong answer")
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if n := len(fw.requests()); n != 16 {
		t.Errorf("server saw %d requests, want 16", n)
	}
}

// TestCountRepostsOff checks that count_reposts: false leaves reposts out: the same page that
// gives the repost's time by default gives the older original post instead.
func TestCountRepostsOff(t *testing.T) {
	for _, c := range []struct {
		count bool
		want  time.Time
	}{
		{true, cstAt(2022, 8, 20, 8, 0, 0)},
		{false, cstAt(2022, 8, 10, 9, 12, 45)},
	} {
		fw := newFake(t, map[string][]reply{"": {file("repost_older_original.json")}})
		f := newTestFetcher(t, fw, func(cfg *Config) { cfg.CountReposts = c.count })
		obs, err := f.Fetch(context.Background(), target(), T)
		if err != nil {
			t.Fatal(err)
		}
		if obs.Latest == nil || !obs.Latest.Time.Equal(c.want) {
			t.Errorf("count_reposts=%v: latest = %v, want %v", c.count, obs.Latest, c.want)
		}
	}
}
