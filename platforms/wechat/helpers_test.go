package wechat

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/platforms"
)

// None of this package's tests run in parallel: silenceper's URI modifier and HTTP client are
// process-wide, and every Fetcher with apps re-points them at its own fake server.

// at is a China-time instant in 2022.
func at(month time.Month, day, hour, min, sec int) time.Time {
	return time.Date(2022, month, day, hour, min, sec, 0, cst)
}

// checkT is the check time of the table tests (the conformance suite's T too).
var checkT = at(8, 22, 0, 0, 0)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "wechat", name))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return b
}

// reply is one scripted answer of the fake server.
type reply struct {
	status int
	file   string // under testdata/wechat
	body   string
	hangup bool // close the connection without answering
	block  bool // wait until the client gives up
}

func file(name string) reply              { return reply{file: name} }
func body(s string) reply                 { return reply{body: s} }
func status(code int, s string) reply     { return reply{status: code, body: s} }
func seq(rs ...reply) []reply             { return rs }
func always(r reply) []reply              { return []reply{r} }
func routes(kv ...any) map[string][]reply { return buildRoutes(kv...) }

func buildRoutes(kv ...any) map[string][]reply {
	m := map[string][]reply{}
	for i := 0; i < len(kv); i += 2 {
		switch v := kv[i+1].(type) {
		case reply:
			m[kv[i].(string)] = []reply{v}
		case []reply:
			m[kv[i].(string)] = v
		}
	}
	return m
}

// Route keys. A key may be narrowed: "appmsgpublish?begin=5" for one page, and
// "getarticletotal@2022-08-15" for one day; the plain key answers the rest.
const (
	kSearch  = "/cgi-bin/searchbiz"
	kPublish = "/cgi-bin/appmsgpublish"
	kToken   = "/cgi-bin/token"
	kFree    = "/cgi-bin/freepublish/batchget"
	kCube    = "/datacube/getarticletotal"
)

type seenReq struct {
	Path   string
	Query  url.Values
	Body   string
	Cookie string
}

// fake is one httptest server playing both WeChat hosts (the two base URLs point at it). Each
// route answers its replies in order, repeating the last.
type fake struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	routes map[string][]reply
	hits   map[string]int // per route key
	reqs   []seenReq
}

func newFake(t *testing.T, r map[string][]reply) *fake {
	t.Helper()
	f := &fake{t: t, routes: r, hits: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	q := r.URL.Query()
	keys := []string{r.URL.Path}
	switch r.URL.Path {
	case kPublish:
		keys = append([]string{kPublish + "?begin=" + q.Get("begin")}, keys...)
	case kCube:
		var d reqDate
		_ = json.Unmarshal(b, &d)
		keys = append([]string{kCube + "@" + d.BeginDate}, keys...)
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, seenReq{Path: r.URL.Path, Query: q, Body: string(b), Cookie: r.Header.Get("Cookie")})
	var rep reply
	found := false
	for _, k := range keys {
		if rs, ok := f.routes[k]; ok {
			n := f.hits[k]
			f.hits[k]++
			rep, found = rs[min(n, len(rs)-1)], true
			break
		}
	}
	f.mu.Unlock()
	if !found {
		f.t.Errorf("fake: unexpected request %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
		return
	}
	switch {
	case rep.hangup:
		hj, _ := w.(http.Hijacker)
		conn, _, err := hj.Hijack()
		if err == nil {
			conn.Close()
		}
		return
	case rep.block:
		<-r.Context().Done()
		return
	}
	data := []byte(rep.body)
	if rep.file != "" {
		data = fixture(f.t, rep.file)
	}
	// The backend labels its JSON text/html, as the real one does.
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	if rep.status != 0 {
		w.WriteHeader(rep.status)
	}
	_, _ = w.Write(data)
}

// count is the number of requests to path (all narrowed keys included).
func (f *fake) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.reqs {
		if r.Path == path {
			n++
		}
	}
	return n
}

func (f *fake) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reqs)
}

// requests are the requests made to path, in order.
func (f *fake) requests(path string) []seenReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []seenReq
	for _, r := range f.reqs {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// cubeDays are the days getarticletotal was asked for, in order.
func (f *fake) cubeDays() []string {
	var out []string
	for _, r := range f.requests(kCube) {
		var d reqDate
		if err := json.Unmarshal([]byte(r.Body), &d); err != nil {
			f.t.Errorf("getarticletotal body %q: %v", r.Body, err)
		}
		if d.BeginDate != d.EndDate {
			f.t.Errorf("getarticletotal asked %s..%s, want one day per call", d.BeginDate, d.EndDate)
		}
		out = append(out, d.BeginDate)
	}
	return out
}

// days lists dates from a down to b (inclusive), newest first.
func days(from, to string) []string {
	a, _ := time.ParseInLocation(time.DateOnly, from, cst)
	b, _ := time.ParseInLocation(time.DateOnly, to, cst)
	var out []string
	for d := a; !d.Before(b); d = d.AddDate(0, 0, -1) {
		out = append(out, d.Format(time.DateOnly))
	}
	return out
}

// testDeps: retries allowed, no real waiting, an empty caller Redactor (so the adapter's own
// redaction is what the tests see), a fixed clock.
func testDeps(client *http.Client, now time.Time) platforms.Deps {
	p := platforms.NewPacer(platforms.Limits{Retries: 2})
	p.Sleep = func(context.Context, time.Duration) error { return nil }
	return platforms.Deps{Client: client, Pacer: p, Redactor: platforms.NewRedactor(), Now: func() time.Time { return now }}
}

// Credentials used throughout; long and distinctive so a leak is unmistakable.
const (
	testAppID     = "wx7c3ed56f7f792d84"
	testAppSecret = "e4b1c2d3f4a5b6c7d8e9f0a1b2c3d4e5"
	testMPToken   = "608398971"
	testMPCookie  = "slave_sid=U0xBVkVfU0lEX1ZBTFVFXzEyMzQ1Njc4; slave_user=gh_3d7f9a1b2c4e; bizuin=3091234567; data_ticket=RGF0YVRpY2tldFZhbHVlOTg3NjU0"
	token1        = "79_ItZxg1PWbT8ATxkNfUR0rRzY3xyKQh8rRBJ8cN2m5pW0dYvO2QkDbAaAfGtoken1"
	token2        = "79_Qa7Rk2LmN9pXvB4cD6eF8gH0iJ1kL3mN5oP7qR9sT1uV3wX5yZ7aB9ctoken2"
)

// mpConfig is a backend-only config pointed at f.
func mpConfig(f *fake) Config {
	c := DefaultConfig()
	c.APIBaseURL, c.MPBaseURL = f.srv.URL, f.srv.URL
	c.MPToken, c.MPCookie = testMPToken, testMPCookie
	return c
}

// apiConfig has one app, for 汉中发布, and no backend session.
func apiConfig(f *fake) Config {
	c := DefaultConfig()
	c.APIBaseURL, c.MPBaseURL = f.srv.URL, f.srv.URL
	c.Apps = []App{{Account: "汉中发布", AppID: testAppID, AppSecret: testAppSecret}}
	return c
}

func mustNew(t *testing.T, cfg Config, deps platforms.Deps) *Fetcher {
	t.Helper()
	f, err := New(cfg, deps)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return f
}

func contains(list []string, s string) bool { return slices.Contains(list, s) }
