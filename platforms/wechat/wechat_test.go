package wechat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/platforms"
)

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	if c.APIBaseURL != "https://api.weixin.qq.com" || c.MPBaseURL != "https://mp.weixin.qq.com" {
		t.Errorf("base URLs = %q, %q", c.APIBaseURL, c.MPBaseURL)
	}
	want := platforms.Limits{Rate: 0.5, Burst: 1, Timeout: 15 * time.Second, Retries: 3, Backoff: time.Second, MaxPages: 10}
	if c.Limits != want {
		t.Errorf("Limits = %+v, want %+v", c.Limits, want)
	}
	if c.Window != 14*24*time.Hour {
		t.Errorf("Window = %v, want 14 days", c.Window)
	}
}

func TestNewValidates(t *testing.T) {
	const secret = "the-app-secret-value-1234"
	tests := []struct {
		name string
		cfg  Config
		want string // substring of the error
	}{
		{"app without account", Config{Apps: []App{{AppID: "wx1", AppSecret: secret}}}, "apps[0]：必须填写 account"},
		{"app whose account is only quotes and spaces", Config{Apps: []App{{Account: "「 」", AppID: "wx1", AppSecret: secret}}}, "apps[0]：必须填写 account"},
		{"app without app_id", Config{Apps: []App{{Account: "汉中发布", AppSecret: secret}}}, "必须填写 app_id"},
		{"app without app_secret", Config{Apps: []App{{Account: "汉中发布", AppID: "wx1"}}}, "必须填写 app_secret"},
		{"the same account twice, after normalising", Config{Apps: []App{
			{Account: "汉中发布", AppID: "wx1", AppSecret: secret},
			{Account: "「漢中發布」", AppID: "wx2", AppSecret: secret}}}, "已在 apps[0] 中配置"},
		{"a base URL that is not http(s)", Config{MPBaseURL: "mp.weixin.qq.com"}, "mp_base_url"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg, platforms.Deps{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error leaks the app secret: %v", err)
			}
		})
	}
}

func TestNoCredentials(t *testing.T) {
	srv := newFake(t, routes())
	for name, cfg := range map[string]Config{
		"nothing configured":         {APIBaseURL: srv.srv.URL, MPBaseURL: srv.srv.URL},
		"mp_token without mp_cookie": {APIBaseURL: srv.srv.URL, MPBaseURL: srv.srv.URL, MPToken: testMPToken},
		"an app for another account": {APIBaseURL: srv.srv.URL, MPBaseURL: srv.srv.URL,
			Apps: []App{{Account: "汉台发布", AppID: testAppID, AppSecret: testAppSecret}}},
	} {
		t.Run(name, func(t *testing.T) {
			f := mustNew(t, cfg, testDeps(srv.srv.Client(), at(8, 30, 9, 0, 0)))
			_, err := f.Fetch(context.Background(), hzfb, checkT)
			var ft *platforms.Fault
			if !errors.As(err, &ft) || ft.Reason != platforms.ReasonNoCredentials || ft.Label != "未配置微信查询凭据" {
				t.Fatalf("err = %v, want the 未配置微信查询凭据 fault", err)
			}
			if !errors.Is(err, platforms.ErrNoCredentials) {
				t.Errorf("errors.Is(err, ErrNoCredentials) = false")
			}
			if n := srv.total(); n != 0 {
				t.Errorf("requests = %d, want none", n)
			}
		})
	}
}

// An account with a configured app goes through the official API even when a backend session
// exists; others go through the backend.
func TestRouteChoice(t *testing.T) {
	srv := newFake(t, routes(
		kToken, file("token_ok.json"), kFree, file("freepublish_ok.json"), kCube, file("getarticletotal_empty.json"),
		kSearch, file("searchbiz_ok.json"), kPublish, file("appmsgpublish_page0.json")))
	cfg := mpConfig(srv)
	cfg.Apps = []App{
		{Account: "汉中发布", AppID: testAppID, AppSecret: testAppSecret},
		{Account: "MzU4OTkxMjM0NQ==", AppID: "wx0000000000000002", AppSecret: "another-app-secret-0002"},
	}
	f := mustNew(t, cfg, testDeps(srv.srv.Client(), at(8, 30, 9, 0, 0)))
	tests := []struct {
		target platforms.Target
		source string
	}{
		{platforms.Target{Platform: platforms.WeChat, Name: "漢中發布"}, "wechat-api"},                                                      // by name, normalised
		{platforms.Target{Platform: platforms.WeChat, Name: "汉台", IDKind: platforms.IDWeChatBiz, ID: "MzU4OTkxMjM0NQ=="}, "wechat-api"}, // by id
		{platforms.Target{Platform: platforms.WeChat, Name: "汉中发布厅", IDKind: platforms.IDWeChatBiz, ID: "MzI0NTU1NjY3OA=="}, "wechat-mp"},
	}
	for _, tc := range tests {
		before := srv.count(kPublish) + srv.count(kSearch)
		obs, err := f.Fetch(context.Background(), tc.target, checkT)
		if err != nil {
			t.Fatalf("%+v: %v", tc.target, err)
		}
		if obs.Source != tc.source {
			t.Errorf("%+v: Source = %q, want %q", tc.target, obs.Source, tc.source)
		}
		mpHits := srv.count(kPublish) + srv.count(kSearch) - before
		if tc.source == "wechat-api" && mpHits != 0 {
			t.Errorf("%+v: %d backend requests for an app account", tc.target, mpHits)
		}
	}
}

// Every failure, on both routes: no configured or obtained secret may appear in the error text,
// Fault.URL, Fault.Detail or the wrapped error — even with an empty caller Redactor — and
// Secrets() lists them all for the caller's redactor.
func TestSecretsNeverLeak(t *testing.T) {
	leakCheck := func(t *testing.T, what, s string) {
		t.Helper()
		secrets := []string{testAppSecret, testMPToken, testMPCookie, token1, token2,
			"U0xBVkVfU0lEX1ZBTFVFXzEyMzQ1Njc4", "RGF0YVRpY2tldFZhbHVlOTg3NjU0", url.QueryEscape(testMPCookie)}
		for _, sec := range secrets {
			if strings.Contains(s, sec) {
				t.Errorf("%s leaks %q: %s", what, sec, s)
			}
		}
	}
	echo := `{"base_resp":{"ret":200002,"err_msg":"invalid args token=` + testMPToken + ` cookie=` + testMPCookie + `"}}`
	apiEcho := `{"errcode":40097,"errmsg":"invalid args hint: [access_token=` + token1 + ` secret=` + testAppSecret + `] rid: 64b279b3-2eddb111-78605a3e"}`
	bizT := platforms.Target{Platform: platforms.WeChat, IDKind: platforms.IDWeChatBiz, ID: hzfbFakeID}
	mpCases := map[string]map[string][]reply{
		"200003":            routes(kPublish, file("mp_invalid_session.json")),
		"200013 forever":    routes(kPublish, file("mp_freq_control.json")),
		"err_msg echoes":    routes(kPublish, body(echo)),
		"garbage":           routes(kPublish, file("garbage.html")),
		"HTTP 502":          routes(kPublish, status(502, "bad gateway "+testMPToken)),
		"dropped":           routes(kPublish, reply{hangup: true}),
		"withheld":          routes(kPublish, file("appmsgpublish_withheld.json")),
		"too many pages":    routes(kPublish, file("appmsgpublish_after_t_0.json")),
		"searchbiz several": routes(kSearch, file("searchbiz_several.json")),
		"searchbiz none":    routes(kSearch, file("searchbiz_none.json")),
		"searchbiz 200013":  routes(kSearch, file("mp_freq_control.json")),
	}
	apiCases := map[string]map[string][]reply{
		"token 40164":       routes(kToken, file("token_40164.json")),
		"token 40125":       routes(kToken, file("token_40125.json")),
		"token 45009":       routes(kToken, file("token_45009.json")),
		"token HTTP 500":    routes(kToken, status(500, "")),
		"token dropped":     routes(kToken, reply{hangup: true}),
		"token garbage":     routes(kToken, file("garbage.html")),
		"api HTTP 500":      routes(kToken, file("token_ok.json"), kFree, status(500, ""), kCube, status(500, "")),
		"api dropped":       routes(kToken, file("token_ok.json"), kFree, reply{hangup: true}, kCube, reply{hangup: true}),
		"api errmsg echoes": routes(kToken, file("token_ok.json"), kFree, body(apiEcho), kCube, body(apiEcho)),
		"api 48001":         routes(kToken, file("token_ok.json"), kFree, file("freepublish_empty.json"), kCube, file("api_48001.json")),
		"api 45009":         routes(kToken, file("token_ok.json"), kFree, file("api_45009.json")),
		"api -1 forever":    routes(kToken, file("token_ok.json"), kFree, file("api_system_error.json"), kCube, file("api_system_error.json")),
		"api 42001 twice":   routes(kToken, seq(file("token_ok.json"), file("token_ok_2.json")), kFree, file("api_42001.json"), kCube, file("api_42001.json")),
		"api garbage":       routes(kToken, file("token_ok.json"), kFree, file("garbage.html"), kCube, file("garbage.html")),
	}
	run := func(t *testing.T, cases map[string]map[string][]reply, cfgFor func(*fake) Config, target platforms.Target, redactor *platforms.Redactor) {
		for name, r := range cases {
			t.Run(name, func(t *testing.T) {
				srv := newFake(t, r)
				cfg := cfgFor(srv)
				cfg.MaxPages = 2
				deps := testDeps(srv.srv.Client(), at(8, 30, 9, 0, 0))
				deps.Redactor = redactor
				f := mustNew(t, cfg, deps)
				tg := target
				if _, ok := r[kSearch]; ok {
					tg = hzfb // by name, so searchbiz is asked
				}
				obs, err := f.Fetch(context.Background(), tg, checkT)
				var ft *platforms.Fault
				if !errors.As(err, &ft) {
					t.Fatalf("err = %v (obs %+v), want a *Fault", err, obs)
				}
				leakCheck(t, "error", err.Error())
				leakCheck(t, "Fault.URL", ft.URL)
				leakCheck(t, "Fault.Detail", ft.Detail)
				leakCheck(t, "Fault.Label", ft.Label)
				if ft.Err != nil {
					leakCheck(t, "Fault.Err", ft.Err.Error())
				}
				leakCheck(t, "%+v of the fault", fmt.Sprintf("%+v %#v", ft, ft))
			})
		}
	}
	apiCfg := func(srv *fake) Config {
		c := apiConfig(srv)
		c.MPToken, c.MPCookie = testMPToken, testMPCookie
		return c
	}
	for _, red := range []struct {
		name string
		r    *platforms.Redactor
	}{{"empty caller redactor", platforms.NewRedactor()}, {"nil caller redactor", nil}} {
		t.Run(red.name, func(t *testing.T) {
			t.Run("backend", func(t *testing.T) { run(t, mpCases, mpConfig, bizT, red.r) })
			t.Run("official", func(t *testing.T) { run(t, apiCases, apiCfg, hzfb, red.r) })
		})
	}

	t.Run("Secrets lists configured and obtained secrets", func(t *testing.T) {
		srv := newFake(t, routes(kToken, file("token_ok.json"), kFree, file("freepublish_ok.json"), kCube, file("getarticletotal_empty.json")))
		cfg := apiConfig(srv)
		cfg.MPToken, cfg.MPCookie = testMPToken, testMPCookie
		f := mustNew(t, cfg, testDeps(srv.srv.Client(), at(8, 30, 9, 0, 0)))
		obs, err := f.Fetch(context.Background(), hzfb, checkT)
		if err != nil {
			t.Fatal(err)
		}
		leakCheck(t, "Observation.URL", obs.URL)
		got := map[string]bool{}
		for _, s := range f.Secrets() {
			got[s.Reveal()] = true
		}
		for _, want := range []string{testAppSecret, testMPToken, testMPCookie, token1} {
			if !got[want] {
				t.Errorf("Secrets() lacks %q", want)
			}
		}
		// And a redactor built from them covers a URL with the token.
		r := platforms.NewRedactor(f.Secrets()...)
		if s := r.String("x " + token1 + " " + testAppSecret); strings.Contains(s, token1) || strings.Contains(s, testAppSecret) {
			t.Errorf("redactor from Secrets() left %q", s)
		}
	})
}

// silenceper's root package sends logrus output to stdout from its init; this package must not
// import it, and nothing it does may write to stdout (which carries the report).
func TestNothingOnStdout(t *testing.T) {
	srv := newFake(t, routes(kToken, seq(file("token_ok.json"), file("token_ok_2.json")),
		kFree, seq(file("api_40001.json"), file("freepublish_ok.json")), kCube, file("api_48001.json")))
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	done := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(r)
		done <- b
	}()
	func() {
		defer func() { os.Stdout = stdout }()
		f := mustNew(t, apiConfig(srv), testDeps(srv.srv.Client(), at(8, 30, 9, 0, 0)))
		_, _ = f.Fetch(context.Background(), hzfb, checkT)
		_, _ = f.Fetch(context.Background(), platforms.Target{Platform: platforms.WeChat, Name: "无凭据账号"}, checkT)
	}()
	w.Close()
	out := <-done
	r.Close()
	if srv.count(kFree) == 0 {
		t.Fatalf("the official route was not exercised")
	}
	if len(bytes.TrimSpace(out)) != 0 {
		t.Errorf("stdout got %q, want nothing", out)
	}
}
