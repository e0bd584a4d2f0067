package weibo

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/platforms"
)

// testUID is the account every fake server plays.
const testUID = "3512345678"

// fixedDate is the Date header the fake server sends unless a case says otherwise: 2022-08-22
// 10:00 China time, ten hours after platformtest.T. Relative created_at values resolve against it.
const fixedDate = "Mon, 22 Aug 2022 02:00:00 GMT"

// reply is one HTTP answer of the fake server.
type reply struct {
	status int               // default 200
	file   string            // a file under testdata/weibo, or
	body   string            // a literal body
	header map[string]string // extra headers; "Date": "" suppresses the Date header
	// block holds the response until the request's context ends (for cancellation and
	// timeout tests).
	block bool
	// redirect answers with a 302 to this path instead.
	redirect string
}

// visitorOKBody is a genvisitor2 answer as the real service sends it.
const visitorOKBody = `window.visitor_gray_callback && visitor_gray_callback({"retcode":20000000,"msg":"succ","data":{"sub":"_2AkMTvisitorSUBvalue0123","subp":"0033WrSXqPxfM72-Ws9jqgMF55529P9D9visitorSUBP","tid":"visitorTID-0123"}});`

func file(name string) reply { return reply{file: name} }

func status(code int, name string) reply { return reply{status: code, file: name} }

// fakeWeibo serves getIndex pages keyed by since_id ("" is the first page). Each key answers its
// replies in order and then keeps repeating the last one.
type fakeWeibo struct {
	t     *testing.T
	srv   *httptest.Server
	pages map[string][]reply
	extra http.HandlerFunc // serves any path other than getIndex (e.g. a redirect target)
	// visitor answers /visitor/genvisitor2 in order (repeating the last); nil serves a valid
	// handshake. visitorHits counts the handshakes.
	visitor    []reply
	visitorHit int
	onHit      func(n int) // called with the request number, before answering
	mu         sync.Mutex
	hits       map[string]int
	reqs       []seenRequest
}

type seenRequest struct {
	Path     string
	RawQuery string
	Query    map[string]string
	Header   http.Header
}

func newFake(t *testing.T, pages map[string][]reply) *fakeWeibo {
	t.Helper()
	fw := &fakeWeibo{t: t, pages: pages, hits: map[string]int{}}
	fw.srv = httptest.NewServer(http.HandlerFunc(fw.serve))
	t.Cleanup(fw.srv.Close)
	return fw
}

func (fw *fakeWeibo) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/visitor/genvisitor2" {
		fw.mu.Lock()
		i := fw.visitorHit
		fw.visitorHit++
		fw.mu.Unlock()
		rp := reply{body: visitorOKBody, header: map[string]string{"Set-Cookie": "SRT=visitorSRTcookie01; Path=/; Domain=.weibo.cn"}}
		if len(fw.visitor) > 0 {
			rp = fw.visitor[min(i, len(fw.visitor)-1)]
		}
		fw.write(w, rp)
		return
	}
	if r.URL.Path != "/api/container/getIndex" {
		if fw.extra != nil {
			fw.extra(w, r)
			return
		}
		fw.t.Errorf("unexpected path %s", r.URL.Path)
		http.NotFound(w, r)
		return
	}
	q := map[string]string{}
	for k, v := range r.URL.Query() {
		q[k] = v[0]
	}
	key := q["since_id"]
	if key == "" && q["page"] != "" {
		key = "page=" + q["page"]
	}
	fw.mu.Lock()
	fw.reqs = append(fw.reqs, seenRequest{Path: r.URL.Path, RawQuery: r.URL.RawQuery, Query: q, Header: r.Header.Clone()})
	n := len(fw.reqs)
	replies, ok := fw.pages[key]
	i := fw.hits[key]
	fw.hits[key]++
	fw.mu.Unlock()
	if fw.onHit != nil {
		fw.onHit(n)
	}
	if !ok || len(replies) == 0 {
		fw.t.Errorf("unexpected request for since_id %q", key)
		http.Error(w, "unexpected", http.StatusBadRequest)
		return
	}
	if i >= len(replies) {
		i = len(replies) - 1
	}
	rp := replies[i]
	if rp.block {
		<-r.Context().Done()
		return
	}
	if rp.redirect != "" {
		http.Redirect(w, r, rp.redirect, http.StatusFound)
		return
	}
	fw.write(w, rp)
}

func (fw *fakeWeibo) write(w http.ResponseWriter, rp reply) {
	body := []byte(rp.body)
	if rp.file != "" {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "weibo", rp.file))
		if err != nil {
			fw.t.Errorf("fixture: %v", err)
		}
		body = b
	}
	h := w.Header()
	h.Set("Date", fixedDate)
	h.Set("Content-Type", "application/json; charset=utf-8")
	for k, v := range rp.header {
		if v == "" {
			h[k] = nil // net/http then sends no such header (used to drop Date)
			continue
		}
		h.Set(k, v)
	}
	code := rp.status
	if code == 0 {
		code = http.StatusOK
	}
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

func (fw *fakeWeibo) requests() []seenRequest {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	return append([]seenRequest(nil), fw.reqs...)
}

// testPacer allows 2 retries, no rate limit and no real waiting.
func testPacer() *platforms.Pacer {
	p := platforms.NewPacer(platforms.Limits{Retries: 2})
	p.Sleep = func(context.Context, time.Duration) error { return nil }
	return p
}

// testNow is the clock used when a response has no Date header: 2022-08-22 12:00 China time.
var testNow = time.Date(2022, 8, 22, 12, 0, 0, 0, cst)

// newTestFetcher builds a Fetcher against fw; mod may adjust the config.
func newTestFetcher(t *testing.T, fw *fakeWeibo, mod func(*Config)) *Fetcher {
	t.Helper()
	cfg := DefaultConfig()
	cfg.BaseURL = fw.srv.URL
	cfg.VisitorBaseURL = fw.srv.URL
	if mod != nil {
		mod(&cfg)
	}
	f, err := New(cfg, platforms.Deps{
		Client:   fw.srv.Client(),
		Pacer:    testPacer(),
		Redactor: platforms.NewRedactor(cfg.Cookie),
		Now:      func() time.Time { return testNow },
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return f
}

func target() platforms.Target {
	return platforms.Target{Platform: platforms.Weibo, Name: "示例市发布", IDKind: platforms.IDWeiboUID, ID: testUID}
}

// gp is one post for genPage: a time (or a literal created_at) and its pinned flags.
type gp struct {
	at        time.Time
	createdAt string         // used instead of at when set
	flags     map[string]any // extra mblog fields, e.g. {"isTop": 1}
	profile   string         // card profile_type_id
	id        string
}

// genPage builds a getIndex page shaped like the fixtures, for cases whose times are relative to
// the check time. sinceID may be nil (absent), a number or a string.
func genPage(sinceID any, posts ...gp) reply {
	cards := []any{}
	for i, p := range posts {
		id := p.id
		if id == "" {
			id = fmt.Sprintf("48040000000%05d", i+1)
		}
		created := p.createdAt
		if created == "" {
			created = p.at.In(cst).Format(time.RubyDate)
		}
		m := map[string]any{
			"created_at": created, "id": id, "mid": id, "bid": "Gen" + id[len(id)-5:],
			"text": "测试微博 " + id, "mblogtype": 0, "source": "微博 weibo.com",
			"user": map[string]any{"id": 3512345678, "screen_name": "示例市发布"},
		}
		for k, v := range p.flags {
			m[k] = v
		}
		c := map[string]any{
			"card_type": 9, "itemid": "107603" + testUID + "_-_" + id,
			"scheme": "https://m.weibo.cn/status/" + id, "mblog": m,
		}
		if p.profile != "" {
			c["profile_type_id"] = p.profile
		}
		cards = append(cards, c)
	}
	info := map[string]any{"containerid": "107603" + testUID, "v_p": 42, "show_style": 1, "total": 1221}
	if sinceID != nil {
		info["since_id"] = sinceID
	}
	b, err := json.Marshal(map[string]any{"ok": 1, "data": map[string]any{"cardlistInfo": info, "cards": cards}})
	if err != nil {
		panic(err)
	}
	return reply{body: string(b)}
}

// pin is the full set of pinned flags the real API sets on a pinned post.
var pin = map[string]any{"isTop": 1, "mblogtype": 2, "title": map[string]any{"text": "置顶", "base_color": 1}}
