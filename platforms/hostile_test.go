package platforms_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/platforms"
	"github.com/nmaudit/nmaudit/platforms/tieba"
	"github.com/nmaudit/nmaudit/platforms/wechat"
	"github.com/nmaudit/nmaudit/platforms/weibo"
)

// Credentials of the hostile-server tests: each contains SECRET, so one substring check finds
// any of them wherever it travels.
const (
	hCookie    = "SUB=_2A25SECRETCOOKIE0001"
	hBDUSS     = "BDUSS-SECRET-0002-abcdef"
	hMPToken   = "SECRET0003"
	hMPCookie  = "slave_sid=SECRET0004session"
	hAppSecret = "appsecretSECRET0005abcdef"
)

// forger is the other host a hostile server redirects to. It records everything it receives
// and answers with a forged list that would make every account 合格 if it were believed.
type forger struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen []string
}

func newForger(t *testing.T) *forger {
	f := &forger{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.seen = append(f.seen, r.Method+" "+r.URL.String()+"\n"+headerText(r.Header)+"\n"+string(b))
		f.mu.Unlock()
		switch {
		case strings.Contains(r.URL.Path, "getIndex"):
			io.WriteString(w, `{"ok":1,"data":{"cardlistInfo":{"total":1},"cards":[{"card_type":9,"mblog":{"created_at":"Sun Aug 21 10:00:00 +0800 2022","id":"1","text":"forged"}}]}}`)
		case strings.Contains(r.URL.Path, "userpost"):
			io.WriteString(w, `{"error_code":"0","hide_post":"0","post_list":[{"post_id":"1","create_time":"1661047200"}]}`)
		case strings.Contains(r.URL.Path, "token"):
			io.WriteString(w, `{"access_token":"forgedtoken","expires_in":7200}`)
		default:
			io.WriteString(w, `{"base_resp":{"ret":0},"publish_page":"{\"total_count\":1,\"publish_list\":[{\"publish_info\":\"{\\\"sent_info\\\":{\\\"time\\\":1661047200}}\"}]}"}`)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func headerText(h http.Header) string {
	var b strings.Builder
	for k, v := range h {
		b.WriteString(k + ": " + strings.Join(v, ",") + "\n")
	}
	return b.String()
}

// TestHostileServerRedirectsDecideNothingAndLeakNothing: a configured host that answers every
// request with a redirect (302, 307, 308) to another server. No adapter follows it there — no
// credential (cookie, BDUSS, mp token and cookie, AppSecret, access token in a Referer) reaches
// the other host — and no account is decided by what that host would have said.
func TestHostileServerRedirectsDecideNothingAndLeakNothing(t *testing.T) {
	T := time.Date(2022, 8, 22, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	for _, code := range []int{http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		other := newForger(t)
		home := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/cgi-bin/token" && code == http.StatusFound {
				// Let the token through once, so freepublish itself is redirected with the
				// access_token in its query (a Referer would carry it along).
				io.WriteString(w, `{"access_token":"at-SECRET0006-token","expires_in":7200}`)
				return
			}
			http.Redirect(w, r, other.srv.URL+r.URL.Path+"?"+r.URL.RawQuery, code)
		}))
		defer home.Close()
		deps := func() platforms.Deps {
			p := platforms.NewPacer(platforms.Limits{Retries: 1})
			p.Sleep = func(context.Context, time.Duration) error { return nil }
			return platforms.Deps{Client: home.Client(), Pacer: p, Redactor: platforms.NewRedactor()}
		}
		wc := weibo.DefaultConfig()
		wc.BaseURL, wc.Cookie = home.URL, hCookie
		wb, err := weibo.New(wc, deps())
		if err != nil {
			t.Fatal(err)
		}
		tc := tieba.DefaultConfig()
		tc.BaseURL, tc.WebBaseURL, tc.BDUSS = home.URL, home.URL, hBDUSS
		tb, err := tieba.New(tc, deps())
		if err != nil {
			t.Fatal(err)
		}
		mc := wechat.DefaultConfig()
		mc.MPBaseURL, mc.APIBaseURL, mc.MPToken, mc.MPCookie = home.URL, home.URL, hMPToken, hMPCookie
		mc.Apps = []wechat.App{{Account: "本单位公众号", AppID: "wx0123456789abcdef", AppSecret: hAppSecret}}
		wx, err := wechat.New(mc, deps())
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			f  platforms.Fetcher
			tg platforms.Target
		}{
			{wb, platforms.Target{Platform: platforms.Weibo, IDKind: platforms.IDWeiboUID, ID: "3512345678"}},
			{tb, platforms.Target{Platform: platforms.Tieba, IDKind: platforms.IDTiebaUserID, ID: "123456789"}},
			{wx, platforms.Target{Platform: platforms.WeChat, IDKind: platforms.IDWeChatBiz, ID: "MzA5NjYxMjQ0Mg=="}},
			{wx, platforms.Target{Platform: platforms.WeChat, Name: "本单位公众号"}},
		}
		for _, c := range cases {
			obs, err := c.f.Fetch(context.Background(), c.tg, T)
			var ft *platforms.Fault
			if !errors.As(err, &ft) {
				t.Errorf("%d %s: Fetch = %+v, %v; a redirect to another site must be 待核查", code, c.tg.Platform, obs, err)
				continue
			}
			if !errors.Is(err, platforms.ErrRedirected) {
				t.Errorf("%d %s: reason %s (%v), want %s", code, c.tg.Platform, ft.Reason, err, platforms.ReasonRedirected)
			}
			if strings.Contains(err.Error(), "SECRET") || strings.Contains(ft.URL, "SECRET") {
				t.Errorf("%d %s: the fault carries a secret: %v %s", code, c.tg.Platform, err, ft.URL)
			}
		}
		other.mu.Lock()
		for _, s := range other.seen {
			t.Errorf("%d: the other host received a request:\n%s", code, s)
		}
		other.mu.Unlock()
	}
}
