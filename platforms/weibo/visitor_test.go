package weibo

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/platforms"
)

// visitorCookie is what the fake's default handshake gives: SUB and SUBP from data, then the
// cookie the answer set.
const visitorCookie = "SUB=_2AkMTvisitorSUBvalue0123; SUBP=0033WrSXqPxfM72-Ws9jqgMF55529P9D9visitorSUBP; SRT=visitorSRTcookie01"

// notices collects what the adapter tells the person running the check.
type notices struct {
	mu   sync.Mutex
	msgs []string
}

func (n *notices) add(m string) { n.mu.Lock(); n.msgs = append(n.msgs, m); n.mu.Unlock() }

func newVisitorFetcher(t *testing.T, fw *fakeWeibo, n *notices, red *platforms.Redactor) *Fetcher {
	t.Helper()
	cfg := DefaultConfig()
	cfg.BaseURL, cfg.VisitorBaseURL = fw.srv.URL, fw.srv.URL
	f, err := New(cfg, platforms.Deps{Client: fw.srv.Client(), Pacer: testPacer(), Redactor: red,
		Now: func() time.Time { return testNow }, Notice: n.add})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestVisitorCookieOneHandshakeForAllWorkers(t *testing.T) {
	fw := newFake(t, map[string][]reply{"": {file("pinned_old.json")}})
	var n notices
	red := platforms.NewRedactor()
	f := newVisitorFetcher(t, fw, &n, red)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := f.Fetch(context.Background(), target(), T); err != nil {
				t.Errorf("Fetch: %v", err)
			}
		})
	}
	wg.Wait()
	if fw.visitorHit != 1 {
		t.Errorf("%d handshakes for 8 concurrent fetches, want 1", fw.visitorHit)
	}
	for i, r := range fw.requests() {
		if got := r.Header.Get("Cookie"); got != visitorCookie {
			t.Errorf("request %d Cookie = %q, want %q", i, got, visitorCookie)
		}
	}
	// The cookie is a secret: the run's redactor knows it from the moment it exists.
	if got := red.String("x " + visitorCookie); strings.Contains(got, "visitorSUBvalue") || strings.Contains(got, "SRTcookie") {
		t.Errorf("the run's redactor does not hide the visitor cookie: %q", got)
	}
	if len(n.msgs) != 0 {
		t.Errorf("notices on success: %v", n.msgs)
	}
}

func TestVisitorCookieRenewedOncePerRun(t *testing.T) {
	// The first page answers 432 once (the cookie expired), then the list.
	fw := newFake(t, map[string][]reply{"": {{status: 432}, file("pinned_old.json")}})
	fw.visitor = []reply{
		{body: visitorOKBody},
		{body: strings.ReplaceAll(visitorOKBody, "visitorSUBvalue0123", "renewedSUBvalue4567")},
	}
	f := newVisitorFetcher(t, fw, &notices{}, platforms.NewRedactor())
	obs, err := f.Fetch(context.Background(), target(), T)
	if err != nil {
		t.Fatalf("Fetch after one renewal: %v", err)
	}
	if obs.Latest == nil {
		t.Fatalf("no post")
	}
	reqs := fw.requests()
	if len(reqs) != 2 || fw.visitorHit != 2 {
		t.Fatalf("%d list requests and %d handshakes, want 2 and 2", len(reqs), fw.visitorHit)
	}
	if !strings.Contains(reqs[1].Header.Get("Cookie"), "renewedSUBvalue4567") {
		t.Errorf("retry sent Cookie %q, want the renewed one", reqs[1].Header.Get("Cookie"))
	}

	// Refused again later in the run: no second renewal, 需要登录 for that account.
	fw.pages[""] = []reply{{status: 432}}
	fw.hits = map[string]int{}
	_, err = f.Fetch(context.Background(), target(), T)
	fault := checkFault(t, err, platforms.ReasonLoginRequired, platforms.ErrLoginRequired, "platforms.weibo.cookie", fw.srv.URL)
	if fault.Label != "需要登录" {
		t.Errorf("Label = %q", fault.Label)
	}
	if fw.visitorHit != 2 {
		t.Errorf("%d handshakes, want no third", fw.visitorHit)
	}
}

func TestVisitorHandshakeFailureStopsWeiboWithOneNotice(t *testing.T) {
	for name, answer := range map[string]reply{
		"retcode":   {body: `window.visitor_gray_callback && visitor_gray_callback({"retcode":50111,"msg":"fail","data":{}});`},
		"not jsonp": {body: `<html>Sina Visitor System</html>`},
		"http 400":  {status: http.StatusBadRequest, body: "bad"},
	} {
		t.Run(name, func(t *testing.T) {
			fw := newFake(t, map[string][]reply{"": {file("pinned_old.json")}})
			fw.visitor = []reply{answer}
			var n notices
			f := newVisitorFetcher(t, fw, &n, platforms.NewRedactor())
			for range 3 {
				_, err := f.Fetch(context.Background(), target(), T)
				if !errors.Is(err, platforms.ErrLoginRequired) || !strings.Contains(err.Error(), "访客 Cookie 获取失败") {
					t.Errorf("err = %v, want 需要登录: 访客 Cookie 获取失败", err)
				}
			}
			if len(fw.requests()) != 0 {
				t.Errorf("%d list requests made without a cookie", len(fw.requests()))
			}
			if fw.visitorHit != 1 {
				t.Errorf("%d handshakes, want 1 (the failure holds for the run)", fw.visitorHit)
			}
			if len(n.msgs) != 1 || !strings.Contains(n.msgs[0], "platforms.weibo.cookie") {
				t.Errorf("notices = %q, want one naming platforms.weibo.cookie", n.msgs)
			}
		})
	}
}

func TestConfiguredCookieIsNeverReplaced(t *testing.T) {
	fw := newFake(t, map[string][]reply{"": {{status: 432}}})
	f := newTestFetcher(t, fw, withCookie)
	_, err := f.Fetch(context.Background(), target(), T)
	checkFault(t, err, platforms.ReasonLoginRequired, platforms.ErrLoginRequired, "需要登录/Cookie 已失效", fw.srv.URL)
	if fw.visitorHit != 0 {
		t.Errorf("a handshake was made although a cookie is configured")
	}
	for _, r := range fw.requests() {
		if r.Header.Get("Cookie") != "SUB=_2A25J0xConfiguredCookie0123456789" {
			t.Errorf("Cookie = %q", r.Header.Get("Cookie"))
		}
	}
}

func TestParseVisitor(t *testing.T) {
	sub, subp, why := parseVisitor([]byte(visitorOKBody))
	if why != "" || sub != "_2AkMTvisitorSUBvalue0123" || subp != "0033WrSXqPxfM72-Ws9jqgMF55529P9D9visitorSUBP" {
		t.Errorf("parseVisitor = %q %q %q", sub, subp, why)
	}
	for _, bad := range []string{
		``, `{}`, `visitor_gray_callback({"retcode":"20000000","data":{"sub":""}})`,
		`visitor_gray_callback({"retcode":20000000,"data":{"sub":"a;b","subp":"c"}})`,
	} {
		if _, _, why := parseVisitor([]byte(bad)); why == "" {
			t.Errorf("parseVisitor(%q) accepted", bad)
		}
	}
}
