// Package platformsim is a simulated platform for benchmarks and end-to-end tests: one local
// httptest server answering the Weibo, Tieba and WeChat 公众平台 endpoints exactly as
// ../shared/platforms.md Part 1 shapes them, for a deterministic set of accounts whose newest
// posts are known in advance, so a run's verdicts can be checked.
//
// Endpoints (every adapter's base URL — weibo base_url, tieba base_url and web_base_url, wechat
// mp_base_url — is set to Sim.URL):
//
//	GET  /api/container/getIndex   Weibo m.weibo.cn posts (one page: pinned post + recent posts)
//	GET  /i/sys/user_json          Tieba user name → id (the web endpoint)
//	POST /c/u/feed/userpost        Tieba client API: a user's posts (sign checked)
//	POST /c/f/frs/page             Tieba client API: a forum's threads (sign checked)
//	GET  /cgi-bin/searchbiz        WeChat 公众平台: account search
//	GET  /cgi-bin/appmsgpublish    WeChat 公众平台: published list (JSON inside JSON strings)
//
// Rate limits are enforced by the server, per platform, with the platform's own answer, because
// what a benchmark has to show is that the client's pacing keeps it inside each platform's
// budget: a request beyond the budget gets Weibo's HTTP 418, Tieba's error_code (or the
// 百度安全验证 page on the web endpoint), or WeChat's base_resp.ret 200013, and is counted in
// Stats as rejected.
package platformsim

import (
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/nmaudit/nmaudit/platforms"
)

// Platform keys of Options.Rates and Stats: the budgets real platforms enforce separately.
const (
	Weibo    = "weibo"
	Tieba    = "tieba"
	WeChatMP = "wechat-mp"
)

// Options configure a Sim. The zero value is an unlimited, instant server with
// DefaultAccounts accounts around DefaultCheckTime.
type Options struct {
	// Latency is added to every answer, rejected ones included (it stands for the network and
	// the platform's own work).
	Latency time.Duration
	// Rates are the requests per second each platform allows ("weibo", "tieba", "wechat-mp");
	// 0 or absent means unlimited.
	Rates map[string]float64
	// Burst is how many requests a platform accepts at once before its rate applies (default 1).
	// Client and server clocks differ by network jitter, so a client pacing at exactly the
	// server's rate with burst 1 can still be rejected now and then; a benchmark that wants zero
	// rejections gives the server a burst of 2 or more.
	Burst int
	// Accounts is the number of simulated accounts (default DefaultAccounts), spread in turn over
	// Weibo, Tieba and WeChat.
	Accounts int
	// Seed makes the post times; the same options always give the same accounts and answers.
	Seed uint64
	// CheckTime is the check time T the accounts are built around (default DefaultCheckTime).
	CheckTime time.Time
	// Window is the update window (default 14 days): fresh accounts posted within it before
	// CheckTime, stale ones did not.
	Window time.Duration
	// PerCredential applies Rates to each credential separately — each Weibo cookie, Tieba
	// BDUSS and 公众平台 token/cookie gets its own budget — as the platforms throttle per
	// session: the distributed benchmark's workers, each with its own credentials, together
	// get workers × rate.
	PerCredential bool
	// WeChatClosed plays the 公众平台 after 2026-07-30: searchbiz still answers, but every
	// appmsgpublish for an account gets base_resp.ret 200013 (freq control), every time.
	WeChatClosed bool
}

// Defaults for Options.
const DefaultAccounts = 30

// DefaultCheckTime is 2022-08-22 00:00 China time, the check time of the seed report.
var DefaultCheckTime = time.Date(2022, 8, 22, 0, 0, 0, 0, cst)

var cst = time.FixedZone("CST", 8*3600)

// Stats counts one platform's traffic.
type Stats struct {
	Requests int64 // every request that reached the platform's endpoints
	Rejected int64 // requests answered with the platform's rate-limit answer
}

// Account is one simulated account, as the registry would list it, and the answer a correct
// adapter must reach.
type Account struct {
	Platform platforms.Platform // weibo, tieba or wechat
	Name     string
	IDKind   platforms.IDKind // uid (Weibo), un (Tieba user name), fakeid (WeChat)
	ID       string
	// Latest is the newest post at or before the check time (pinned posts and reposts count).
	Latest time.Time
	// Fresh says Latest is within the window before the check time: the verdict is 合格, else 不合格.
	Fresh bool
	// TiebaUID is a Tieba account's numeric user id (registries may give it instead of the
	// user name: the adapter then needs no user_json lookup, which carries no credential and
	// is budgeted by address, not by session).
	TiebaUID string
}

// Target is the account as an adapter is asked for it.
func (a Account) Target() platforms.Target {
	return platforms.Target{Platform: a.Platform, Name: a.Name, IDKind: a.IDKind, ID: a.ID}
}

// Sim is a running simulated platform.
type Sim struct {
	// URL is the base URL of every simulated platform.
	URL string

	srv      *httptest.Server
	opts     Options
	accounts []*account
	weibo    map[string]*account // uid →
	tiebaUN  map[string]*account // user name (= forum name) →
	tiebaUID map[string]*account // numeric user id →
	wechat   map[string]*account // fakeid →
	wechats  []*account          // search order
	limiters map[string]*rate.Limiter
	credMu   sync.Mutex
	credLims map[string]*rate.Limiter // platform + credential → its budget (PerCredential)
	stats    map[string]*counter
	visitors atomic.Int64 // visitor cookies handed out
}

// Visitors is the number of Weibo visitor-cookie handshakes the server answered.
func (s *Sim) Visitors() int64 { return s.visitors.Load() }

type counter struct{ requests, rejected atomic.Int64 }

// post is one simulated post or thread.
type post struct {
	at      time.Time
	pinned  bool
	repost  bool // Weibo: a repost, whose retweeted original is older than the outer post
	id      int64
	replyAt time.Time // Tieba forum threads: the last reply (last_time_int), a trap for adapters reading it as the post time
	// WeChat: an image-and-text post (type 10002, sent_info.time 0, appmsg_info[] instead of
	// appmsgex[]); undated ones carry no time at all.
	image, undated bool
}

type account struct {
	Account
	k        int    // index within its platform
	numID    int64  // Weibo uid, Tieba user id, or the number behind a WeChat fakeid
	alias    string // WeChat 微信号
	portrait string // Tieba portrait
	posts    []post // newest first, pinned posts included where they are listed
	// Weibo: how the list is paged (see weiboGetIndex), and posts made after the check time
	// (the audit runs days later), listed above the others.
	paging  weiboPaging
	afterT  []post
	visitor bool // Weibo: the account needs a cookie (every account does: HTTP 432 without)
}

// weiboPaging is how an account's getIndex list is split into pages.
type weiboPaging int

const (
	onePage   weiboPaging = iota // everything on one page, no way on
	bySinceID                    // page 1: pinned post and posts after T, then since_id
	byPage                       // the same with cardlistInfo.page = 2 and no since_id
)

// Start generates the accounts and starts the server. Close it when done.
func Start(opts Options) *Sim {
	if opts.Accounts <= 0 {
		opts.Accounts = DefaultAccounts
	}
	if opts.CheckTime.IsZero() {
		opts.CheckTime = DefaultCheckTime
	}
	if opts.Window <= 0 {
		opts.Window = 14 * 24 * time.Hour
	}
	if opts.Burst < 1 {
		opts.Burst = 1
	}
	s := &Sim{
		opts:     opts,
		weibo:    map[string]*account{},
		tiebaUN:  map[string]*account{},
		tiebaUID: map[string]*account{},
		wechat:   map[string]*account{},
		limiters: map[string]*rate.Limiter{},
		credLims: map[string]*rate.Limiter{},
		stats:    map[string]*counter{Weibo: {}, Tieba: {}, WeChatMP: {}},
	}
	for _, p := range []string{Weibo, Tieba, WeChatMP} {
		if r := opts.Rates[p]; r > 0 {
			s.limiters[p] = rate.NewLimiter(rate.Limit(r), opts.Burst)
		}
	}
	s.generate()

	mux := http.NewServeMux()
	mux.Handle("/api/container/getIndex", s.platform(Weibo, s.weiboRejected, s.weiboGetIndex))
	mux.Handle("/visitor/genvisitor2", http.HandlerFunc(s.weiboVisitor))
	mux.Handle("/i/sys/user_json", s.platform(Tieba, tiebaWebRejected, s.tiebaUserJSON))
	mux.Handle("/c/u/feed/userpost", s.platform(Tieba, tiebaClientRejected, s.tiebaUserPost))
	mux.Handle("/c/f/frs/page", s.platform(Tieba, tiebaClientRejected, s.tiebaForum))
	mux.Handle("/cgi-bin/searchbiz", s.platform(WeChatMP, wechatRejected, s.wechatSearch))
	mux.Handle("/cgi-bin/appmsgpublish", s.platform(WeChatMP, wechatRejected, s.wechatPublished))
	mux.Handle("/s/", http.HandlerFunc(s.wechatArticle))
	mux.Handle("/s", http.HandlerFunc(s.wechatArticle))
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	return s
}

// Close shuts the server down.
func (s *Sim) Close() { s.srv.Close() }

// Client returns an HTTP client for the server (plain HTTP; any client works).
func (s *Sim) Client() *http.Client { return s.srv.Client() }

// Accounts lists the simulated accounts in a fixed order.
func (s *Sim) Accounts() []Account {
	out := make([]Account, len(s.accounts))
	for i, a := range s.accounts {
		out[i] = a.Account
	}
	return out
}

// Stats returns the counters of each platform ("weibo", "tieba", "wechat-mp").
func (s *Sim) Stats() map[string]Stats {
	out := make(map[string]Stats, len(s.stats))
	for p, c := range s.stats {
		out[p] = Stats{Requests: c.requests.Load(), Rejected: c.rejected.Load()}
	}
	return out
}

// platform wraps an endpoint with the platform's accounting, budget and latency. The budget is
// taken when the request arrives, as a platform's front end would; the latency is applied to
// every answer.
func (s *Sim) platform(name string, rejected, serve http.HandlerFunc) http.Handler {
	c := s.stats[name]
	lim := s.limiters[name]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.requests.Add(1)
		if s.opts.PerCredential && lim != nil {
			lim = s.credentialLimiter(name, r)
		}
		allowed := lim == nil || lim.Allow()
		if !sleep(r.Context(), s.opts.Latency) {
			return
		}
		if !allowed {
			c.rejected.Add(1)
			rejected(w, r)
			return
		}
		serve(w, r)
	})
}

// credentialLimiter is the budget of the credential r carries on platform name.
func (s *Sim) credentialLimiter(name string, r *http.Request) *rate.Limiter {
	r.ParseForm() // the handlers read the form the same way: parsing twice is a no-op
	key := name + "|" + r.Header.Get("Cookie") + "|" + r.Form.Get("BDUSS") + "|" + r.Form.Get("token")
	s.credMu.Lock()
	defer s.credMu.Unlock()
	lim := s.credLims[key]
	if lim == nil {
		lim = rate.NewLimiter(rate.Limit(s.opts.Rates[name]), s.opts.Burst)
		s.credLims[key] = lim
	}
	return lim
}

// Credentials is how many distinct credentials have been seen on platform name (PerCredential).
func (s *Sim) Credentials(name string) int {
	s.credMu.Lock()
	defer s.credMu.Unlock()
	n := 0
	for k := range s.credLims {
		if len(k) > len(name) && k[:len(name)+1] == name+"|" {
			n++
		}
	}
	return n
}

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

const day = 24 * time.Hour

// generate builds the accounts. Every fifth account of each platform is stale (its newest post
// is older than the window); the others posted within the window, at least an hour before the
// check time and a day inside the window's start, so no verdict hangs on a boundary second.
// Traps that a correct adapter must see through are spread over the accounts: pinned posts
// that are old or the newest, reposts as the newest post, Tieba threads with recent replies,
// WeChat articles created before their send.
func (s *Sim) generate() {
	rng := rand.New(rand.NewPCG(s.opts.Seed, 0x6e6d617564697421))
	T, W := s.opts.CheckTime, s.opts.Window
	dur := func(max time.Duration) time.Duration { return time.Duration(rng.Int64N(int64(max))) }
	kinds := []platforms.Platform{platforms.Weibo, platforms.Tieba, platforms.WeChat}
	for i := 0; i < s.opts.Accounts; i++ {
		a := &account{k: i / 3}
		a.Platform = kinds[i%3]
		stale := a.k%5 == 4
		if stale {
			a.Latest = T.Add(-W - day - dur(90*day))
		} else {
			a.Latest = T.Add(-time.Hour - dur(W-2*day))
		}
		a.Latest = a.Latest.Truncate(time.Second).In(cst)
		a.Fresh = !stale

		// Regular posts, newest first: the newest is Latest, unless a pinned post is.
		pinnedNewest := a.Platform == platforms.Weibo && a.k%4 == 1
		next := a.Latest
		if pinnedNewest {
			next = a.Latest.Add(-day - dur(3*day))
		}
		var regular []post
		for j := range 6 {
			regular = append(regular, post{at: next, id: int64(4800000000000000 + i*100 + j)})
			next = next.Add(-6*time.Hour - dur(4*day)).Truncate(time.Second)
		}
		if a.Platform == platforms.Weibo && a.k%3 == 2 {
			regular[0].repost = true
		}
		pinnedAt := a.Latest.Add(-400*day - dur(200*day)).Truncate(time.Second)
		if pinnedNewest {
			pinnedAt = a.Latest
		}
		pinned := post{at: pinnedAt, pinned: true, id: int64(4700000000000000 + i)}

		switch a.Platform {
		case platforms.Weibo:
			a.numID = 5000000000 + int64(a.k)
			a.Name = fmt.Sprintf("模拟政务微博%04d", a.k)
			a.IDKind, a.ID = platforms.IDWeiboUID, strconv.FormatInt(a.numID, 10)
			a.posts = append([]post{pinned}, regular...)
			// Real getIndex answers page by since_id or by page number (both occur today); an
			// audit run days after T sees newer posts above the ones that count, so the adapter
			// must page past them to reach the newest post ≤ T.
			a.paging = weiboPaging(a.k % 3)
			if a.paging != onePage {
				a.afterT = []post{
					{at: T.Add(2*day + time.Duration(a.k)*time.Minute), id: int64(4900000000000000 + i*10)},
					{at: T.Add(3 * time.Hour), id: int64(4900000000000000 + i*10 + 1)},
				}
			}
			s.weibo[a.ID] = a
		case platforms.Tieba:
			a.numID = 100000000 + int64(a.k)
			a.Name = fmt.Sprintf("模拟政务贴吧%04d", a.k)
			a.IDKind, a.ID = platforms.IDTiebaUser, a.Name
			a.portrait = fmt.Sprintf("tb.1.%08x.%016x", uint32(a.numID), rng.Uint64())
			for j := range regular {
				regular[j].replyAt = regular[j].at.Add(dur(3 * day)).Truncate(time.Second)
			}
			pinned.replyAt = T.Add(-dur(2 * day)).Truncate(time.Second)
			a.posts = append([]post{pinned}, regular...)
			s.tiebaUN[a.Name] = a
			s.tiebaUID[strconv.FormatInt(a.numID, 10)] = a
			a.TiebaUID = strconv.FormatInt(a.numID, 10)
		case platforms.WeChat:
			a.numID = 3000000000 + int64(a.k)
			a.Name = fmt.Sprintf("模拟政务公众号%04d", a.k)
			a.alias = fmt.Sprintf("mngov%04d", a.k)
			a.IDKind, a.ID = platforms.IDWeChatBiz, base64.StdEncoding.EncodeToString([]byte(strconv.FormatInt(a.numID, 10)))
			a.posts = regular
			switch a.k % 4 {
			case 0:
				// An undated image post just below the newest send: it decides nothing.
				undated := post{image: true, undated: true, id: regular[0].id + 50}
				a.posts = append([]post{regular[0], undated}, regular[1:]...)
			case 2:
				// The newest send is an image post, dated only through appmsg_info.
				a.posts[0].image = true
			}
			s.wechat[a.ID] = a
			s.wechats = append(s.wechats, a)
		}
		s.accounts = append(s.accounts, a)
	}
}
