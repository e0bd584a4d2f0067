package tieba

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/platforms"
)

// fake is a Tieba stand-in playing the three endpoints of platforms.md Part 1. Client-API
// requests must be POST forms whose sign verifies; a bad sign gets a Tieba-style error body
// (the real code is unknown, so this one is invented) and fails the test.
type fake struct {
	t   *testing.T
	srv *httptest.Server
	// errorf reports a request the real Tieba would reject; t.Errorf unless a test replaces it.
	errorf func(format string, args ...any)

	// Handlers per endpoint; n counts calls to that endpoint from 1. A nil handler means the
	// endpoint must not be called.
	userJSON func(w http.ResponseWriter, r *http.Request, n int)
	userPost func(w http.ResponseWriter, r *http.Request, form url.Values, n int)
	frsPage  func(w http.ResponseWriter, r *http.Request, form url.Values, n int)
	pbPage   func(w http.ResponseWriter, r *http.Request, form url.Values, n int)

	mu   sync.Mutex
	reqs []seen
}

// seen is one request as the server saw it.
type seen struct {
	path  string
	query url.Values
	form  url.Values
	ua    string
}

// fakeDate is the Date header every answer carries, so FetchedAt can be asserted.
const fakeDate = "Mon, 01 Jul 2024 03:00:00 GMT"

func newFake(t *testing.T) *fake {
	t.Helper()
	s := &fake{t: t, errorf: t.Errorf}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *fake) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Date", fakeDate)
	rec := seen{path: r.URL.Path, query: r.URL.Query(), ua: r.UserAgent()}
	switch r.URL.Path {
	case userJSONPath:
		if r.Method != http.MethodGet {
			s.t.Errorf("%s: method %s, want GET", r.URL.Path, r.Method)
		}
		n := s.record(rec)
		if s.userJSON == nil {
			s.t.Errorf("unexpected user_json call: %s", r.URL)
			http.Error(w, "unexpected", http.StatusTeapot)
			return
		}
		s.userJSON(w, r, n)
	case userPostPath, frsPagePath, pbPagePath:
		if r.Method != http.MethodPost {
			s.t.Errorf("%s: method %s, want POST", r.URL.Path, r.Method)
		}
		if err := r.ParseForm(); err != nil {
			s.t.Errorf("%s: form: %v", r.URL.Path, err)
		}
		rec.form = r.PostForm
		n := s.record(rec)
		if got, want := r.PostForm.Get("sign"), refSign(r.PostForm); got != want {
			s.errorf("%s: sign %q, want %q for %v", r.URL.Path, got, want, r.PostForm)
			writeJSON(w, `{"error_code":"220034","error_msg":"sign校验失败"}`)
			return
		}
		h := s.userPost
		switch r.URL.Path {
		case frsPagePath:
			h = s.frsPage
		case pbPagePath:
			h = s.pbPage
		}
		if h == nil {
			s.t.Errorf("unexpected call to %s", r.URL.Path)
			http.Error(w, "unexpected", http.StatusTeapot)
			return
		}
		h(w, r, r.PostForm, n)
	default:
		s.t.Errorf("unexpected path %s", r.URL.Path)
		http.NotFound(w, r)
	}
}

func (s *fake) record(rec seen) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, rec)
	n := 0
	for _, q := range s.reqs {
		if q.path == rec.path {
			n++
		}
	}
	return n
}

// calls lists the requests made to path, in order.
func (s *fake) calls(path string) []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []seen
	for _, q := range s.reqs {
		if q.path == path {
			out = append(out, q)
		}
	}
	return out
}

// refSign is the test's own reading of the signing rule, written independently of Sign:
// every (key, value) pair except sign, sorted by key, "k=v" concatenated, salt, md5 hex.
func refSign(form url.Values) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(form)) {
		if k == "sign" {
			continue
		}
		for _, v := range form[k] {
			fmt.Fprintf(&b, "%s=%s", k, v)
		}
	}
	sum := md5.Sum([]byte(b.String() + "tiebaclient!!!"))
	return hex.EncodeToString(sum[:])
}

func writeJSON(w http.ResponseWriter, body string) {
	// Tieba's client API sends JSON as text/html; the adapter must not care.
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(body))
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "tieba", name))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return b
}

// file serves a fixture on every call.
func file(t *testing.T, name string) func(http.ResponseWriter, *http.Request, int) {
	b := fixture(t, name)
	return func(w http.ResponseWriter, _ *http.Request, _ int) { writeJSON(w, string(b)) }
}

// formFile is file for the client-API endpoints.
func formFile(t *testing.T, name string) func(http.ResponseWriter, *http.Request, url.Values, int) {
	b := fixture(t, name)
	return func(w http.ResponseWriter, _ *http.Request, _ url.Values, _ int) { writeJSON(w, string(b)) }
}

// body serves a fixed body on every call.
func body(s string) func(http.ResponseWriter, *http.Request, url.Values, int) {
	return func(w http.ResponseWriter, _ *http.Request, _ url.Values, _ int) { writeJSON(w, s) }
}

// pages serves userpost or frs pages by the pn the client sent; a pn past the list gets last.
func pages(t *testing.T, last string, byPN ...string) func(http.ResponseWriter, *http.Request, url.Values, int) {
	return func(w http.ResponseWriter, _ *http.Request, form url.Values, _ int) {
		pn, err := strconv.Atoi(form.Get("pn"))
		if err != nil || pn < 1 {
			t.Errorf("bad pn %q", form.Get("pn"))
			writeJSON(w, `{"error_code":"2","error_msg":"参数错误"}`)
			return
		}
		if pn <= len(byPN) {
			writeJSON(w, byPN[pn-1])
			return
		}
		writeJSON(w, last)
	}
}

// failFirst answers the first n calls with fail, then hands over to ok.
func failFirst(n int, fail func(http.ResponseWriter, *http.Request), ok func(http.ResponseWriter, *http.Request, url.Values, int)) func(http.ResponseWriter, *http.Request, url.Values, int) {
	return func(w http.ResponseWriter, r *http.Request, form url.Values, i int) {
		if i <= n {
			fail(w, r)
			return
		}
		ok(w, r, form, i)
	}
}

func status(code int, b string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(code)
		_, _ = w.Write([]byte(b))
	}
}

// dropConn closes the connection without an answer: a network error on the client side.
func dropConn(t *testing.T) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		_ = conn.Close()
	}
}

// post is one userpost entry for time-relative pages.
type post struct {
	at    time.Time
	id    string
	title string
}

// userPostJSON builds a userpost page shaped like TiebaLite's UserPostBean, create_time as a
// string as the real API sends it.
func userPostJSON(posts ...post) string {
	list := make([]map[string]any, 0, len(posts))
	for i, p := range posts {
		id := p.id
		if id == "" {
			id = strconv.Itoa(150000000000 + i)
		}
		ct := strconv.FormatInt(p.at.Unix(), 10)
		list = append(list, map[string]any{
			"forum_id": "2345678", "forum_name": "某某市", "thread_id": strconv.Itoa(9000000000 + i),
			"post_id": id, "is_thread": "1", "create_time": ct, "title": p.title,
			"user_id": "1234567890", "user_name": "某某市发布", "name_show": "某某市发布",
			"user_portrait": "tb.1.7f3a2c1d.8bQxZlV1cnRhaWwtZXhhbXBsZQ", "post_type": "0", "reply_num": "0",
			"content": []any{map[string]any{
				"post_content": []any{map[string]any{"type": "0", "text": "正文"}},
				"create_time":  ct, "post_id": id,
			}},
		})
	}
	b, _ := json.Marshal(map[string]any{"error_code": "0", "error_msg": "", "hide_post": "0", "post_list": list})
	return string(b)
}

// thread is one frs/page entry for time-relative pages.
type thread struct {
	at     time.Time
	pinned bool
	id     string
}

func frsJSON(threads ...thread) string {
	list := make([]map[string]any, 0, len(threads))
	for i, th := range threads {
		id := th.id
		if id == "" {
			id = strconv.Itoa(8000000000 + i)
		}
		top := "0"
		if th.pinned {
			top = "1"
		}
		list = append(list, map[string]any{
			"id": id, "tid": id, "title": "帖子" + id, "author_id": "1234567890",
			"create_time": strconv.FormatInt(th.at.Unix(), 10),
			// last_time_int is always fresh: replies by others must not count.
			"last_time_int": strconv.FormatInt(th.at.Add(400*24*time.Hour).Unix(), 10),
			"is_top":        top, "is_good": "0", "reply_num": "1",
		})
	}
	b, _ := json.Marshal(map[string]any{
		"error_code": "0", "error_msg": "", "forum": map[string]any{"id": "2345678", "name": "某某市"},
		"thread_list": list, "user_list": []any{map[string]any{"id": "1234567890", "name": "某某市发布"}},
	})
	return string(b)
}

// testPacer allows two retries and never waits.
func testPacer() *platforms.Pacer {
	p := platforms.NewPacer(platforms.Limits{Retries: 2})
	p.Sleep = func(context.Context, time.Duration) error { return nil }
	return p
}

// fixedNow is the clock; answers carry a Date header, so it only matters where they don't.
func fixedNow() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) }

// newFetcher builds a Fetcher against s; mut adjusts the config first.
func newFetcher(t *testing.T, s *fake, mut func(*Config)) *Fetcher {
	t.Helper()
	cfg := DefaultConfig()
	cfg.BaseURL = s.srv.URL
	cfg.WebBaseURL = s.srv.URL
	if mut != nil {
		mut(&cfg)
	}
	f, err := New(cfg, platforms.Deps{
		Client:   s.srv.Client(),
		Pacer:    testPacer(),
		Redactor: platforms.NewRedactor(cfg.BDUSS),
		Now:      fixedNow,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return f
}
