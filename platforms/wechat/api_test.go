package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/platforms"
)

func TestOfficialAPI(t *testing.T) {
	type want struct {
		latest  time.Time // zero: Latest must be nil (when no fault is expected)
		dayOnly bool
		id      string
		title   string
		reason  platforms.Reason
		label   string
		sentErr error
	}
	later := at(8, 30, 9, 0, 0) // the fetch clock, well after T unless a case says otherwise
	tests := []struct {
		name   string
		now    time.Time
		checkT time.Time
		routes map[string][]reply
		want   want
		check  func(t *testing.T, f *fake)
	}{
		{
			name: "a freepublish item in the window stands when getarticletotal answers 48001",
			routes: routes(kToken, file("token_ok.json"), kFree, file("freepublish_ok.json"),
				kCube, file("api_48001.json")),
			want: want{latest: at(8, 19, 18, 2, 11), id: "Yy8wBcD_eFgHiJkL2"},
		},
		{
			name: "a mass-send day in the window stands when freepublish fails",
			routes: routes(kToken, file("token_ok.json"), kFree, file("garbage.html"),
				kCube+"@2022-08-15", file("getarticletotal_ok.json"), kCube, file("getarticletotal_empty.json")),
			want: want{latest: at(8, 15, 23, 59, 59), dayOnly: true, id: "2247501290_1"},
			check: func(t *testing.T, f *fake) {
				// freepublish told nothing, so every day of the window may be asked, newest first,
				// down to the first one with a mass-send.
				if d := f.cubeDays(); len(d) != 8 || d[0] != "2022-08-22" || d[len(d)-1] != "2022-08-15" {
					t.Errorf("getarticletotal days = %v", d)
				}
			},
		},
		{
			name: "a freepublish item older than the window does not stand when getarticletotal fails",
			routes: routes(kToken, file("token_ok.json"), kFree, file("freepublish_after_t.json"),
				kCube, file("api_48001.json")),
			checkT: at(9, 10, 0, 0, 0),
			want:   want{reason: platforms.ReasonNoPermission, sentErr: nil},
		},
		{
			name: "token ok; freepublish item in the window, update_time read inside content",
			routes: routes(kToken, file("token_ok.json"), kFree, file("freepublish_ok.json"),
				kCube, file("getarticletotal_empty.json")),
			want: want{latest: at(8, 19, 18, 2, 11), id: "Yy8wBcD_eFgHiJkL2", title: "关于开展2022年网络安全宣传周活动的通知"},
			check: func(t *testing.T, f *fake) {
				r := f.requests(kFree)
				if len(r) != 1 {
					t.Fatalf("freepublish requests = %d, want 1", len(r))
				}
				if tok := r[0].Query.Get("access_token"); tok != token1 {
					t.Errorf("access_token = %q, want the one the token call handed out", tok)
				}
				var got map[string]any
				if err := json.Unmarshal([]byte(r[0].Body), &got); err != nil {
					t.Fatalf("body %q: %v", r[0].Body, err)
				}
				if got["offset"] != 0.0 || got["count"] != 20.0 || got["no_content"] != 1.0 {
					t.Errorf("freepublish body = %s, want offset 0, count 20, no_content 1 (a number)", r[0].Body)
				}
				tq := f.requests(kToken)[0].Query
				if tq.Get("grant_type") != "client_credential" || tq.Get("appid") != testAppID || tq.Get("secret") != testAppSecret {
					t.Errorf("token query = %v", tq)
				}
				// Mass-sends are asked only for days that could beat the freepublish post.
				if d := f.cubeDays(); !slices.Equal(d, days("2022-08-22", "2022-08-19")) {
					t.Errorf("getarticletotal days = %v, want 08-22 down to 08-19", d)
				}
			},
		},
		{
			name: "freepublish total_count 0 and a mass-send day in getarticletotal → DayOnly post at that day's end",
			routes: routes(kToken, file("token_ok.json"), kFree, file("freepublish_empty.json"),
				kCube+"@2022-08-15", file("getarticletotal_ok.json"), kCube, file("getarticletotal_empty.json")),
			want: want{latest: time.Date(2022, 8, 15, 23, 59, 59, 0, cst), dayOnly: true, id: "2247501290_1",
				title: "汉中市召开2022年第三季度政务公开工作推进会"},
			check: func(t *testing.T, f *fake) {
				if d := f.cubeDays(); !slices.Equal(d, days("2022-08-22", "2022-08-15")) {
					t.Errorf("getarticletotal days = %v, want 08-22 down to the mass-send day 08-15", d)
				}
			},
		},
		{
			name: "neither call has anything → definitive, Latest nil; days from T−14d's date to the day of T",
			routes: routes(kToken, file("token_ok.json"), kFree, file("freepublish_empty.json"),
				kCube, file("getarticletotal_empty.json")),
			want: want{},
			check: func(t *testing.T, f *fake) {
				if d := f.cubeDays(); !slices.Equal(d, days("2022-08-22", "2022-08-08")) {
					t.Errorf("getarticletotal days = %v, want 08-22 down to 08-08", d)
				}
				if n := f.count(kToken); n != 1 {
					t.Errorf("token requests = %d, want 1 (cached for the other calls)", n)
				}
			},
		},
		{
			name: "days end at yesterday when T is not yet past (statistics exist only up to yesterday)",
			now:  at(8, 20, 10, 0, 0),
			routes: routes(kToken, file("token_ok.json"), kFree, file("freepublish_empty.json"),
				kCube, file("getarticletotal_empty.json")),
			want: want{},
			check: func(t *testing.T, f *fake) {
				if d := f.cubeDays(); !slices.Equal(d, days("2022-08-19", "2022-08-08")) {
					t.Errorf("getarticletotal days = %v, want 08-19 (yesterday) down to 08-08", d)
				}
			},
		},
		{
			name:   "a mass-send on the day of T counts as T itself",
			checkT: at(8, 22, 10, 30, 0),
			routes: routes(kToken, file("token_ok.json"), kFree, file("freepublish_empty.json"),
				kCube, file("getarticletotal_ok.json")),
			want: want{latest: at(8, 22, 10, 30, 0), dayOnly: true, id: "2247501290_1"},
		},
		{
			name: "freepublish items after T are ignored",
			routes: routes(kToken, file("token_ok.json"), kFree, file("freepublish_after_t.json"),
				kCube, file("getarticletotal_empty.json")),
			want: want{latest: at(8, 3, 10, 0, 0), id: "Bb2cDeF_before_T"},
		},
		{
			name: "an empty freepublish list that counts items → empty-list fault",
			routes: routes(kToken, file("token_ok.json"), kFree, file("freepublish_withheld.json"),
				kCube, file("getarticletotal_empty.json")),
			want: want{reason: platforms.ReasonEmptyList, sentErr: platforms.ErrEmptyList},
		},
		{
			name: "40001 → a new token once, then ok",
			routes: routes(kToken, seq(file("token_ok.json"), file("token_ok_2.json")),
				kFree, seq(file("api_40001.json"), file("freepublish_ok.json")), kCube, file("getarticletotal_empty.json")),
			want: want{latest: at(8, 19, 18, 2, 11), id: "Yy8wBcD_eFgHiJkL2"},
			check: func(t *testing.T, f *fake) {
				if n := f.count(kToken); n != 2 {
					t.Errorf("token requests = %d, want exactly 2", n)
				}
				r := f.requests(kFree)
				if len(r) != 2 || r[0].Query.Get("access_token") != token1 || r[1].Query.Get("access_token") != token2 {
					t.Errorf("freepublish tokens = %v, want token1 then token2", r)
				}
				for _, c := range f.requests(kCube) {
					if c.Query.Get("access_token") != token2 {
						t.Errorf("getarticletotal used %q, want the refreshed token", c.Query.Get("access_token"))
					}
				}
			},
		},
		{
			name: "42001 again after the refresh → fault, one refresh only",
			routes: routes(kToken, seq(file("token_ok.json"), file("token_ok_2.json")),
				kFree, file("api_42001.json")),
			want: want{reason: platforms.ReasonPlatformError, label: "access_token 刷新后仍无效"},
			check: func(t *testing.T, f *fake) {
				if n := f.count(kToken); n != 2 {
					t.Errorf("token requests = %d, want 2", n)
				}
				if n := f.count(kFree); n != 2 {
					t.Errorf("freepublish requests = %d, want 2", n)
				}
			},
		},
		{
			name:   "40164 on the token call (silenceper's plain-string error) → IP whitelist",
			routes: routes(kToken, file("token_40164.json")),
			want:   want{reason: platforms.ReasonIPWhitelist, label: "IP 不在白名单"},
			check: func(t *testing.T, f *fake) {
				if n := f.count(kToken); n != 1 {
					t.Errorf("token requests = %d, want 1 (not retried)", n)
				}
				if n := f.count(kFree); n != 0 {
					t.Errorf("freepublish requests = %d, want 0", n)
				}
			},
		},
		{
			name:   "40125 on the token call → AppID/AppSecret 错误",
			routes: routes(kToken, file("token_40125.json")),
			want:   want{reason: platforms.ReasonCredentials, label: "AppID/AppSecret 错误"},
		},
		{
			name:   "40013 on the token call → AppID/AppSecret 错误",
			routes: routes(kToken, file("token_40013.json")),
			want:   want{reason: platforms.ReasonCredentials, label: "AppID/AppSecret 错误"},
		},
		{
			name:   "45009 on the token call → 调用次数超限",
			routes: routes(kToken, file("token_45009.json")),
			want:   want{reason: platforms.ReasonQuota, label: "调用次数超限"},
		},
		{
			name:   "40164 on an API call (*util.CommonError) → IP whitelist",
			routes: routes(kToken, file("token_ok.json"), kFree, file("api_40164.json")),
			want:   want{reason: platforms.ReasonIPWhitelist, label: "IP 不在白名单"},
		},
		{
			name: "48001 on getarticletotal → 无接口权限, even though freepublish answered",
			routes: routes(kToken, file("token_ok.json"), kFree, file("freepublish_empty.json"),
				kCube, file("api_48001.json")),
			want: want{reason: platforms.ReasonNoPermission, label: "无接口权限"},
		},
		{
			name:   "45009 on freepublish → 调用次数超限",
			routes: routes(kToken, file("token_ok.json"), kFree, file("api_45009.json")),
			want:   want{reason: platforms.ReasonQuota, label: "调用次数超限"},
			check: func(t *testing.T, f *fake) {
				if n := f.count(kFree); n != 1 {
					t.Errorf("freepublish requests = %d, want 1 (not retried)", n)
				}
			},
		},
		{
			name: "-1 then ok",
			routes: routes(kToken, file("token_ok.json"), kFree, seq(file("api_system_error.json"), file("freepublish_ok.json")),
				kCube, file("getarticletotal_empty.json")),
			want: want{latest: at(8, 19, 18, 2, 11), id: "Yy8wBcD_eFgHiJkL2"},
			check: func(t *testing.T, f *fake) {
				if n := f.count(kFree); n != 2 {
					t.Errorf("freepublish requests = %d, want 2", n)
				}
			},
		},
		{
			name:   "-1 on every try → platform error after bounded retries",
			routes: routes(kToken, file("token_ok.json"), kFree, file("api_system_error.json"), kCube, file("getarticletotal_empty.json")),
			want:   want{reason: platforms.ReasonPlatformError},
			check: func(t *testing.T, f *fake) {
				if n := f.count(kFree); n != 3 {
					t.Errorf("freepublish requests = %d, want 3", n)
				}
			},
		},
		{
			name:   "-1 on the token call is retried too",
			routes: routes(kToken, seq(body(`{"errcode":-1,"errmsg":"system error rid: 64b279b3-2eddb111-78605a3e"}`), file("token_ok.json")), kFree, file("freepublish_ok.json"), kCube, file("getarticletotal_empty.json")),
			want:   want{latest: at(8, 19, 18, 2, 11), id: "Yy8wBcD_eFgHiJkL2"},
		},
		{
			name:   "an HTML page instead of JSON → bad response",
			routes: routes(kToken, file("token_ok.json"), kFree, file("garbage.html"), kCube, file("getarticletotal_empty.json")),
			want:   want{reason: platforms.ReasonBadResponse},
		},
		{
			// A body without the fields the contract names is no answer: read as empty lists it
			// would make the account 不合格.
			name:   "{} from both calls → bad response, never \"nothing in the window\"",
			routes: routes(kToken, file("token_ok.json"), kFree, body(`{}`), kCube, body(`{}`)),
			want:   want{reason: platforms.ReasonBadResponse},
		},
		{
			name:   "getarticletotal without list → bad response",
			routes: routes(kToken, file("token_ok.json"), kFree, file("freepublish_empty.json"), kCube, body(`{"errcode":0}`)),
			want:   want{reason: platforms.ReasonBadResponse},
		},
		{
			name:   "freepublish with item null → bad response",
			routes: routes(kToken, file("token_ok.json"), kFree, body(`{"total_count":0,"item":null}`), kCube, file("getarticletotal_empty.json")),
			want:   want{reason: platforms.ReasonBadResponse},
		},
		{
			name:   "HTTP 500 on the token call → retried, then platform error",
			routes: routes(kToken, status(500, "oops")),
			want:   want{reason: platforms.ReasonPlatformError},
			check: func(t *testing.T, f *fake) {
				if n := f.count(kToken); n != 3 {
					t.Errorf("token requests = %d, want 3", n)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFake(t, tc.routes)
			now := tc.now
			if now.IsZero() {
				now = later
			}
			T := tc.checkT
			if T.IsZero() {
				T = checkT
			}
			f := mustNew(t, apiConfig(srv), testDeps(srv.srv.Client(), now))
			obs, err := f.Fetch(context.Background(), hzfb, T)
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
				if obs.Source != "wechat-api" {
					t.Errorf("Source = %q", obs.Source)
				}
				if obs.URL == "" || strings.Contains(obs.URL, token1) || strings.Contains(obs.URL, token2) {
					t.Errorf("URL = %q, want the settling request with the token redacted", obs.URL)
				}
				if obs.FetchedAt != now {
					t.Errorf("FetchedAt = %v, want the fetch clock %v", obs.FetchedAt, now)
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
					if obs.Latest.DayOnly != tc.want.dayOnly {
						t.Errorf("DayOnly = %v, want %v", obs.Latest.DayOnly, tc.want.dayOnly)
					}
					if obs.Latest.ID != tc.want.id {
						t.Errorf("Latest.ID = %q, want %q", obs.Latest.ID, tc.want.id)
					}
					if tc.want.title != "" && obs.Latest.Title != tc.want.title {
						t.Errorf("Latest.Title = %q, want %q", obs.Latest.Title, tc.want.title)
					}
				}
			}
			if tc.check != nil {
				tc.check(t, srv)
			}
		})
	}
}

// The token is fetched once per app and reused by later accounts' fetches.
func TestOfficialTokenCachedAcrossFetches(t *testing.T) {
	srv := newFake(t, routes(kToken, file("token_ok.json"), kFree, file("freepublish_ok.json"), kCube, file("getarticletotal_empty.json")))
	f := mustNew(t, apiConfig(srv), testDeps(srv.srv.Client(), at(8, 30, 9, 0, 0)))
	for range 3 {
		if _, err := f.Fetch(context.Background(), hzfb, checkT); err != nil {
			t.Fatalf("Fetch: %v", err)
		}
	}
	if n := srv.count(kToken); n != 1 {
		t.Errorf("token requests = %d, want 1", n)
	}
}

// Concurrent fetches over two apps: serialised per app, no data race (run with -race).
func TestOfficialConcurrent(t *testing.T) {
	srv := newFake(t, routes(kToken, file("token_ok.json"), kFree, file("freepublish_ok.json"), kCube, file("getarticletotal_empty.json")))
	cfg := apiConfig(srv)
	cfg.Apps = append(cfg.Apps, App{Account: "汉台发布", AppID: "wx0000000000000002", AppSecret: "another-app-secret-0002"})
	f := mustNew(t, cfg, testDeps(srv.srv.Client(), at(8, 30, 9, 0, 0)))
	var wg sync.WaitGroup
	errs := make([]error, 12)
	for i := range errs {
		wg.Go(func() {
			name := []string{"汉中发布", "汉台发布"}[i%2]
			var obs platforms.Observation
			obs, errs[i] = f.Fetch(context.Background(), platforms.Target{Platform: platforms.WeChat, Name: name}, checkT)
			if errs[i] == nil && (obs.Latest == nil || !obs.Latest.Time.Equal(at(8, 19, 18, 2, 11))) {
				errs[i] = errors.New("wrong latest")
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("fetch %d: %v", i, err)
		}
	}
	if n := srv.count(kToken); n != 2 {
		t.Errorf("token requests = %d, want 2 (one per app)", n)
	}
}

func TestOfficialCanceledMidRequest(t *testing.T) {
	srv := newFake(t, routes(kToken, file("token_ok.json"), kFree, reply{block: true}))
	f := mustNew(t, apiConfig(srv), testDeps(srv.srv.Client(), at(8, 30, 9, 0, 0)))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := f.Fetch(ctx, hzfb, checkT)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	var ft *platforms.Fault
	if errors.As(err, &ft) {
		t.Errorf("a canceled run must not be reported as a platform fault: %v", ft)
	}
}
