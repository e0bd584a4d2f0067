package weibo

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/platforms"
)

// TestNoCookieInErrors configures a cookie, triggers every failure — with the server echoing the
// cookie back wherever a real one could (msg, captcha url, HTML body, created_at) — and checks
// the cookie, and each of its values, appear in no error text. The caller's redactor is left
// empty on purpose: the adapter must not depend on it knowing the cookie.
func TestNoCookieInErrors(t *testing.T) {
	const (
		sub    = "_2A25LeakCheckSUBvalue0123456789abcdef"
		subp   = "0033WrSXqPxfM725Ws9jqgMF55529P9D9WLeakCheckSUBP"
		cookie = "SUB=" + sub + "; SUBP=" + subp
	)
	day := 24 * time.Hour
	echo := func(tmpl string) reply { return reply{body: fmt.Sprintf(tmpl, cookie)} }
	afterT := func(since string) reply { return genPage(since, gp{at: T.Add(day)}) }

	cases := map[string]map[string][]reply{
		"ok:0 empty":           {"": {file("empty.json")}},
		"ok:0 echoing":         {"": {echo(`{"ok":0,"msg":"无效的 cookie %s"}`)}},
		"ok:-100 echoing":      {"": {echo(`{"ok":-100,"msg":"%s 已失效","url":"https://passport.weibo.com/sso/signin"}`)}},
		"captcha echoing":      {"": {echo(`{"url":"https://security.weibo.com/captcha?c=%s"}`)}},
		"html echoing":         {"": {echo(`<html>%s</html>`)}},
		"bad created_at":       {"": {genPage(nil, gp{createdAt: cookie})}},
		"ok:1 empty":           {"": {file("empty_cards.json")}},
		"432":                  {"": {{status: 432}}},
		"418":                  {"": {status(http.StatusTeapot, "teapot_418.html")}},
		"403":                  {"": {status(http.StatusForbidden, "forbidden_403.html")}},
		"414":                  {"": {status(http.StatusRequestURITooLong, "uri_too_long_414.html")}},
		"500":                  {"": {{status: 500, body: cookie}}},
		"404":                  {"": {{status: 404}}},
		"too many pages":       {"": {afterT("a")}, "a": {afterT("b")}, "b": {afterT("c")}},
		"since_id loop":        {"": {afterT("a")}, "a": {afterT("a")}},
		"redirect to passport": {"": {{redirect: "/passport/login?c=" + sub}}},
		"timeout":              {"": {{block: true}}},
	}
	for name, pages := range cases {
		t.Run(name, func(t *testing.T) {
			fw := newFake(t, pages)
			fw.extra = func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("<html>" + cookie + "</html>")) }
			cfg := DefaultConfig()
			cfg.BaseURL = fw.srv.URL
			cfg.Cookie = cookie
			cfg.MaxPages = 2
			cfg.Timeout = 50 * time.Millisecond
			f, err := New(cfg, platforms.Deps{Client: fw.srv.Client(), Pacer: testPacer(), Redactor: platforms.NewRedactor()})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			_, err = f.Fetch(context.Background(), target(), T)
			fault := checkFault(t, err, faultReason(err), nil, "", fw.srv.URL)
			texts := []string{err.Error(), fmt.Sprintf("%v %+v %#v", err, err, fault), fault.Detail, fault.Label, fault.URL}
			if fault.Err != nil {
				texts = append(texts, fault.Err.Error())
			}
			for _, s := range texts {
				for _, secret := range []string{cookie, sub, subp} {
					if strings.Contains(s, secret) {
						t.Errorf("error text leaks the cookie: %q", s)
					}
				}
			}
			if got := fw.requests()[0].Header.Get("Cookie"); got != cookie {
				t.Errorf("Cookie on the wire = %q, want the configured cookie", got)
			}
		})
	}

	// The config itself prints masked.
	cfg := DefaultConfig()
	cfg.Cookie = cookie
	if s := fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg); strings.Contains(s, sub) {
		t.Errorf("Config prints the cookie: %s", s)
	}
	// A config error about the cookie does not quote it.
	cfg.Cookie = cookie + "\n"
	if _, err := New(cfg, platforms.Deps{}); err == nil || strings.Contains(err.Error(), sub) {
		t.Errorf("New with a bad cookie: err = %v", err)
	}
}

func faultReason(err error) platforms.Reason {
	if f, ok := err.(*platforms.Fault); ok {
		return f.Reason
	}
	return "not a fault"
}
