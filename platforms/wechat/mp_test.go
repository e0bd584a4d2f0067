package wechat

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/platforms"
)

var hzfb = platforms.Target{Platform: platforms.WeChat, Name: "汉中发布"}

const hzfbFakeID = "MzA5NjYxMjQ0Mg=="

func TestBackend(t *testing.T) {
	type want struct {
		latest  time.Time // zero: Latest must be nil (when no fault is expected)
		id      string
		title   string
		reason  platforms.Reason // non-empty: a *Fault with this reason is expected
		label   string
		sentErr error // errors.Is target, when set
	}
	tests := []struct {
		name   string
		cfg    func(*Config)
		target platforms.Target
		routes map[string][]reply
		want   want
		check  func(t *testing.T, f *fake)
	}{
		{
			name:   "searchbiz matches the nickname after normalising traditional script, full-width space and quotes",
			target: platforms.Target{Platform: platforms.WeChat, Name: "「漢中　發布」"},
			routes: routes(kSearch, file("searchbiz_ok.json"), kPublish, file("appmsgpublish_page0.json")),
			want:   want{latest: at(8, 19, 18, 2, 11), id: "2247501301", title: "关于开展2022年网络安全宣传周活动的通知"},
			check: func(t *testing.T, f *fake) {
				s := f.requests(kSearch)
				if len(s) != 1 || s[0].Query.Get("query") != "「漢中　發布」" || s[0].Query.Get("action") != "search_biz" {
					t.Errorf("searchbiz requests = %+v, want one action=search_biz query=the name", s)
				}
				p := f.requests(kPublish)
				if len(p) != 1 || p[0].Query.Get("fakeid") != hzfbFakeID {
					t.Errorf("appmsgpublish fakeid = %v, want %s", p, hzfbFakeID)
				}
			},
		},
		{
			name: "searchbiz by 微信号: the alias match wins over a namesake, case-insensitively",
			target: platforms.Target{Platform: platforms.WeChat, Name: "汉中发布",
				IDKind: platforms.IDWeChatAlias, ID: "HZFB2021"},
			routes: routes(kSearch, file("searchbiz_several.json"), kPublish, file("appmsgpublish_page0.json")),
			want:   want{latest: at(8, 19, 18, 2, 11), id: "2247501301"},
			check: func(t *testing.T, f *fake) {
				if q := f.requests(kSearch)[0].Query.Get("query"); q != "HZFB2021" {
					t.Errorf("searchbiz query = %q, want the alias", q)
				}
				if id := f.requests(kPublish)[0].Query.Get("fakeid"); id != "MzkxMjM0NTY3OA==" {
					t.Errorf("fakeid = %q, want the alias match MzkxMjM0NTY3OA==", id)
				}
			},
		},
		{
			name:   "gh_ id without a name is searched by itself and accepted in the alias field",
			target: platforms.Target{Platform: platforms.WeChat, IDKind: platforms.IDWeChatGhID, ID: "gh_3d7f9a1b2c4e"},
			routes: routes(kSearch, body(`{"base_resp":{"ret":0,"err_msg":"ok"},"list":[{"fakeid":"MzA5NjYxMjQ0Mg==","nickname":"汉中发布","alias":"gh_3d7f9a1b2c4e","service_type":1}],"total":1}`),
				kPublish, file("appmsgpublish_page0.json")),
			want: want{latest: at(8, 19, 18, 2, 11), id: "2247501301"},
			check: func(t *testing.T, f *fake) {
				if q := f.requests(kSearch)[0].Query.Get("query"); q != "gh_3d7f9a1b2c4e" {
					t.Errorf("searchbiz query = %q", q)
				}
			},
		},
		{
			name:   "searchbiz with no matching nickname → not found, no list request",
			target: hzfb,
			routes: routes(kSearch, file("searchbiz_none.json")),
			want:   want{reason: platforms.ReasonNotFound, label: "未找到公众号", sentErr: platforms.ErrNotFound},
			check: func(t *testing.T, f *fake) {
				if n := f.count(kPublish); n != 0 {
					t.Errorf("appmsgpublish requests = %d, want 0", n)
				}
			},
		},
		{
			name:   "searchbiz empty list → not found",
			target: hzfb,
			routes: routes(kSearch, file("searchbiz_empty.json")),
			want:   want{reason: platforms.ReasonNotFound, label: "未找到公众号"},
		},
		{
			name:   "searchbiz with several accounts of that name → ambiguous, no list request",
			target: hzfb,
			routes: routes(kSearch, file("searchbiz_several.json")),
			want:   want{reason: platforms.ReasonAmbiguous, label: "公众号匹配不唯一", sentErr: platforms.ErrAmbiguous},
			check: func(t *testing.T, f *fake) {
				if n := f.count(kPublish); n != 0 {
					t.Errorf("appmsgpublish requests = %d, want 0", n)
				}
			},
		},
		{
			name:   "a fakeid skips searchbiz; nested publish_page and publish_info are read, the empty publish_info skipped",
			target: platforms.Target{Platform: platforms.WeChat, Name: "汉中发布", IDKind: platforms.IDWeChatBiz, ID: hzfbFakeID},
			routes: routes(kPublish, file("appmsgpublish_page0.json")),
			want:   want{latest: at(8, 19, 18, 2, 11), id: "2247501301", title: "关于开展2022年网络安全宣传周活动的通知"},
			check: func(t *testing.T, f *fake) {
				if n := f.count(kSearch); n != 0 {
					t.Errorf("searchbiz requests = %d, want 0", n)
				}
				r := f.requests(kPublish)[0]
				for k, v := range map[string]string{"fakeid": hzfbFakeID, "begin": "0", "count": "5", "sub": "list",
					"sub_action": "list_ex", "type": "101_1", "free_publish_type": "1", "token": testMPToken, "f": "json", "ajax": "1"} {
					if got := r.Query.Get(k); got != v {
						t.Errorf("appmsgpublish %s = %q, want %q", k, got, v)
					}
				}
				if r.Cookie != testMPCookie {
					t.Errorf("Cookie = %q, want the configured mp_cookie", r.Cookie)
				}
			},
		},
		{
			name:   "sent_info.time wins over an older create_time",
			target: platforms.Target{Platform: platforms.WeChat, IDKind: platforms.IDWeChatBiz, ID: hzfbFakeID},
			routes: routes(kPublish, file("appmsgpublish_sent_vs_create.json")),
			want:   want{latest: at(8, 9, 8, 0, 0), id: "2247501190"},
		},
		{
			name:   "create_time when sent_info is absent; aid when msgid is absent",
			target: platforms.Target{Platform: platforms.WeChat, IDKind: platforms.IDWeChatBiz, ID: hzfbFakeID},
			routes: routes(kPublish, file("appmsgpublish_no_sent_info.json")),
			want:   want{latest: at(8, 12, 10, 0, 0), id: "2247501280_1", title: "汉中市人民政府关于调整部分行政许可事项的通知"},
		},
		{
			name:   "pages on (begin=0, 5) while every send is after T",
			target: platforms.Target{Platform: platforms.WeChat, IDKind: platforms.IDWeChatBiz, ID: hzfbFakeID},
			routes: routes(kPublish+"?begin=0", file("appmsgpublish_after_t_0.json"), kPublish+"?begin=5", file("appmsgpublish_after_t_5.json")),
			want:   want{latest: at(8, 17, 16, 20, 0), id: "2247501310"},
			check: func(t *testing.T, f *fake) {
				var begins []string
				for _, r := range f.requests(kPublish) {
					begins = append(begins, r.Query.Get("begin"))
				}
				if !slices.Equal(begins, []string{"0", "5"}) {
					t.Errorf("begins = %v, want [0 5]", begins)
				}
			},
		},
		{
			name:   "sends only after T, then the end of the list → definitive, nothing at or before T",
			target: platforms.Target{Platform: platforms.WeChat, IDKind: platforms.IDWeChatBiz, ID: hzfbFakeID},
			routes: routes(kPublish+"?begin=0", file("appmsgpublish_after_t_0.json"), kPublish, file("appmsgpublish_empty.json")),
			want:   want{},
		},
		{
			name:   "max_pages reached with every send after T → too many pages",
			cfg:    func(c *Config) { c.MaxPages = 2 },
			target: platforms.Target{Platform: platforms.WeChat, IDKind: platforms.IDWeChatBiz, ID: hzfbFakeID},
			routes: routes(kPublish, file("appmsgpublish_after_t_0.json")),
			want:   want{reason: platforms.ReasonTooManyPages},
			check: func(t *testing.T, f *fake) {
				if n := f.count(kPublish); n != 2 {
					t.Errorf("appmsgpublish requests = %d, want 2", n)
				}
			},
		},
		{
			name:   "empty first page → never posted (definitive, Latest nil)",
			target: platforms.Target{Platform: platforms.WeChat, IDKind: platforms.IDWeChatBiz, ID: hzfbFakeID},
			routes: routes(kPublish, file("appmsgpublish_empty.json")),
			want:   want{},
		},
		{
			name:   "empty first page while total_count counts sends → empty-list fault, not a verdict",
			target: platforms.Target{Platform: platforms.WeChat, IDKind: platforms.IDWeChatBiz, ID: hzfbFakeID},
			routes: routes(kPublish, file("appmsgpublish_withheld.json")),
			want:   want{reason: platforms.ReasonEmptyList, sentErr: platforms.ErrEmptyList},
		},
		{
			name:   "200013 then ok",
			target: platforms.Target{Platform: platforms.WeChat, IDKind: platforms.IDWeChatBiz, ID: hzfbFakeID},
			routes: routes(kPublish, seq(file("mp_freq_control.json"), file("appmsgpublish_page0.json"))),
			want:   want{latest: at(8, 19, 18, 2, 11), id: "2247501301"},
			check: func(t *testing.T, f *fake) {
				if n := f.count(kPublish); n != 2 {
					t.Errorf("appmsgpublish requests = %d, want 2", n)
				}
			},
		},
		{
			name:   "200013 on every try → rate limited after bounded retries",
			target: platforms.Target{Platform: platforms.WeChat, IDKind: platforms.IDWeChatBiz, ID: hzfbFakeID},
			routes: routes(kPublish, file("mp_freq_control.json")),
			want:   want{reason: platforms.ReasonRateLimited, label: "触发频率限制", sentErr: platforms.ErrRateLimited},
			check: func(t *testing.T, f *fake) {
				if n := f.count(kPublish); n != 3 {
					t.Errorf("appmsgpublish requests = %d, want 3 (1 + 2 retries)", n)
				}
			},
		},
		{
			name:   "200013 on searchbiz too",
			target: hzfb,
			routes: routes(kSearch, file("mp_freq_control.json")),
			want:   want{reason: platforms.ReasonRateLimited, sentErr: platforms.ErrRateLimited},
		},
		{
			name:   "another ret → platform error carrying err_msg",
			target: platforms.Target{Platform: platforms.WeChat, IDKind: platforms.IDWeChatBiz, ID: hzfbFakeID},
			routes: routes(kPublish, file("mp_invalid_args.json")),
			want:   want{reason: platforms.ReasonPlatformError},
			check: func(t *testing.T, f *fake) {
				if n := f.count(kPublish); n != 1 {
					t.Errorf("requests = %d, want 1 (not retried)", n)
				}
			},
		},
		{
			name:   "an HTML page instead of JSON → bad response",
			target: platforms.Target{Platform: platforms.WeChat, IDKind: platforms.IDWeChatBiz, ID: hzfbFakeID},
			routes: routes(kPublish, file("garbage.html")),
			want:   want{reason: platforms.ReasonBadResponse},
		},
		{
			name:   "HTTP 502 is retried, then a platform error",
			target: platforms.Target{Platform: platforms.WeChat, IDKind: platforms.IDWeChatBiz, ID: hzfbFakeID},
			routes: routes(kPublish, status(502, "bad gateway")),
			want:   want{reason: platforms.ReasonPlatformError},
			check: func(t *testing.T, f *fake) {
				if n := f.count(kPublish); n != 3 {
					t.Errorf("requests = %d, want 3", n)
				}
			},
		},
		{
			name:   "a dropped connection is a network fault after retries",
			target: platforms.Target{Platform: platforms.WeChat, IDKind: platforms.IDWeChatBiz, ID: hzfbFakeID},
			routes: routes(kPublish, reply{hangup: true}),
			want:   want{reason: platforms.ReasonNetwork},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFake(t, tc.routes)
			cfg := mpConfig(srv)
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			f := mustNew(t, cfg, testDeps(srv.srv.Client(), at(8, 30, 9, 0, 0)))
			obs, err := f.Fetch(context.Background(), tc.target, checkT)
			if tc.want.reason != "" {
				var ft *platforms.Fault
				if !errors.As(err, &ft) {
					t.Fatalf("err = %v (obs %+v), want a *Fault %s", err, obs, tc.want.reason)
				}
				if ft.Reason != tc.want.reason {
					t.Errorf("reason = %s (%v), want %s", ft.Reason, err, tc.want.reason)
				}
				if tc.want.label != "" && ft.Label != tc.want.label {
					t.Errorf("label = %q, want %q", ft.Label, tc.want.label)
				}
				if tc.want.sentErr != nil && !errors.Is(err, tc.want.sentErr) {
					t.Errorf("errors.Is(%v, %v) = false", err, tc.want.sentErr)
				}
			} else {
				if err != nil {
					t.Fatalf("Fetch: %v", err)
				}
				if obs.Source != "wechat-mp" {
					t.Errorf("Source = %q", obs.Source)
				}
				if !strings.Contains(obs.URL, "/cgi-bin/appmsgpublish") || !strings.Contains(obs.URL, "token="+platforms.Redacted) {
					t.Errorf("URL = %q, want the appmsgpublish request with the token redacted", obs.URL)
				}
				switch {
				case tc.want.latest.IsZero() && obs.Latest != nil:
					t.Errorf("Latest = %+v, want nil", obs.Latest)
				case !tc.want.latest.IsZero() && obs.Latest == nil:
					t.Errorf("Latest = nil, want %v", tc.want.latest)
				case obs.Latest != nil:
					if !obs.Latest.Time.Equal(tc.want.latest) {
						t.Errorf("Latest.Time = %v, want %v", obs.Latest.Time, tc.want.latest)
					}
					if obs.Latest.ID != tc.want.id {
						t.Errorf("Latest.ID = %q, want %q", obs.Latest.ID, tc.want.id)
					}
					if tc.want.title != "" && obs.Latest.Title != tc.want.title {
						t.Errorf("Latest.Title = %q, want %q", obs.Latest.Title, tc.want.title)
					}
					if obs.Latest.DayOnly {
						t.Errorf("DayOnly set on a backend send")
					}
				}
			}
			if tc.check != nil {
				tc.check(t, srv)
			}
		})
	}
}

// 200003 ends the backend route for the whole run: the account that met it and every later one
// are 待核查 (公众平台登录已失效), and no further request is made.
func TestBackendSessionExpiredStopsRoute(t *testing.T) {
	srv := newFake(t, routes(kSearch, file("searchbiz_ok.json"), kPublish, file("mp_invalid_session.json")))
	f := mustNew(t, mpConfig(srv), testDeps(srv.srv.Client(), at(8, 30, 9, 0, 0)))

	_, err := f.Fetch(context.Background(), hzfb, checkT)
	var ft *platforms.Fault
	if !errors.As(err, &ft) || ft.Reason != platforms.ReasonSessionExpired || ft.Label != "公众平台登录已失效" {
		t.Fatalf("first account: err = %v, want the 公众平台登录已失效 fault", err)
	}
	if !errors.Is(err, platforms.ErrSessionExpired) {
		t.Errorf("errors.Is(err, ErrSessionExpired) = false")
	}
	if n := srv.count(kPublish); n != 1 {
		t.Errorf("appmsgpublish requests = %d, want 1 (200003 is not retried)", n)
	}
	before := srv.total()

	// Later accounts, some concurrently: same fault, no request.
	targets := []platforms.Target{
		{Platform: platforms.WeChat, Name: "汉台发布"},
		{Platform: platforms.WeChat, IDKind: platforms.IDWeChatBiz, ID: "MzU4OTkxMjM0NQ=="},
	}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = f.Fetch(context.Background(), targets[i%2], checkT)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, platforms.ErrSessionExpired) {
			t.Errorf("later account %d: err = %v, want ErrSessionExpired", i, err)
		}
		var ft *platforms.Fault
		if errors.As(err, &ft) && ft.Label != "公众平台登录已失效" {
			t.Errorf("later account %d: label = %q", i, ft.Label)
		}
	}
	if after := srv.total(); after != before {
		t.Errorf("server hits went from %d to %d after the session expired, want no further requests", before, after)
	}
}

// Concurrent fetches racing into 200003: every one ends with the session fault, and once the
// flag is up no new request starts.
func TestBackendSessionExpiredConcurrent(t *testing.T) {
	srv := newFake(t, routes(kPublish, file("mp_invalid_session.json")))
	f := mustNew(t, mpConfig(srv), testDeps(srv.srv.Client(), at(8, 30, 9, 0, 0)))
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = f.Fetch(context.Background(), platforms.Target{Platform: platforms.WeChat, IDKind: platforms.IDWeChatBiz, ID: hzfbFakeID}, checkT)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, platforms.ErrSessionExpired) {
			t.Errorf("fetch %d: err = %v", i, err)
		}
	}
	n := srv.total()
	if _, err := f.Fetch(context.Background(), hzfb, checkT); !errors.Is(err, platforms.ErrSessionExpired) {
		t.Errorf("after: err = %v", err)
	}
	if srv.total() != n {
		t.Errorf("a request was made after the session expired")
	}
}

func TestBackendCanceledMidRequest(t *testing.T) {
	srv := newFake(t, routes(kPublish, reply{block: true}))
	f := mustNew(t, mpConfig(srv), testDeps(srv.srv.Client(), at(8, 30, 9, 0, 0)))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := f.Fetch(ctx, platforms.Target{Platform: platforms.WeChat, IDKind: platforms.IDWeChatBiz, ID: hzfbFakeID}, checkT)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's error", err)
	}
	var ft *platforms.Fault
	if errors.As(err, &ft) {
		t.Errorf("a canceled run must not be reported as a platform fault: %v", ft)
	}
}
