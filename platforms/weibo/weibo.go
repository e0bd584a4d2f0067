// Package weibo finds a Sina Weibo account's newest post at or before a check time through the
// m.weibo.cn mobile container API (GET /api/container/getIndex?type=uid&value=UID&containerid=107603UID,
// paged with since_id), as specified in ../shared/platforms.md, Part 1 "Weibo" (the contract) and
// Part 2 §2a (background on the real API: pinned posts, created_at formats, failure bodies).
//
// The answer decides whether a government account is named in a public inspection report, so the
// package is built to never guess: anything other than a readable list of posts is a
// *platforms.Fault (待核查), and a definitive Observation is returned only when the post list
// itself settled the question.
package weibo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/nmaudit/nmaudit/platforms"
)

// Source is the Observation.Source this adapter reports.
const Source = "weibo"

// Defaults (design.md "Config"; platforms.md Part 2 §2a for the headers working clients send).
// Rate, burst, retries and backoff in Config.Limits are for the Pacer the caller builds and passes
// in Deps (one per platform, shared by all workers); New uses them only when Deps.Pacer is nil.
const (
	DefaultBaseURL = "https://m.weibo.cn"
	// DefaultUserAgent is a mobile Safari UA: m.weibo.cn serves its JSON API to mobile browsers.
	DefaultUserAgent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 " +
		"(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)

// Config is platforms.weibo in the config file.
type Config struct {
	BaseURL          string           `mapstructure:"base_url"`   // default https://m.weibo.cn
	Cookie           platforms.Secret `mapstructure:"cookie"`     // visitor or logged-in cookie (SUB=…; SUBP=…)
	UserAgent        string           `mapstructure:"user_agent"` // default: a mobile Safari UA
	platforms.Limits `mapstructure:",squash"`
	// CountReposts counts reposts as the account posting (platforms.md §0: they are). It is
	// the top-level count_reposts setting, set by the caller; default true.
	CountReposts bool `mapstructure:"-"`
}

// DefaultConfig returns the design.md defaults: base_url https://m.weibo.cn, rate 1, burst 1,
// timeout 15s, retries 3, backoff 1s, max_pages 10.
func DefaultConfig() Config {
	return Config{
		BaseURL:      DefaultBaseURL,
		UserAgent:    DefaultUserAgent,
		CountReposts: true,
		Limits:       platforms.DefaultLimits(1, 1),
	}
}

// Wording shown in reports; kept here so every Weibo fault says the same thing.
const (
	labelNoUID       = "未提供微博 UID"
	labelBadUID      = "微博 UID 无效"
	labelLogin       = "需要登录/Cookie 已失效"
	labelRateLimited = "触发频率限制"
	msgEmpty         = "这里还没有内容" // the ok:0 body Weibo sends for an empty, hidden or login-walled list
)

// referer is the profile page the mobile site itself sends; the contract fixes it to m.weibo.cn
// whatever base_url points at, because that is what the real API checks.
const referer = "https://m.weibo.cn/u/"

// maxBody bounds what one response may hold; a real page is ~100 KB, so anything near this is
// not a post list.
const maxBody = 8 << 20

// Fetcher is the Weibo adapter; it implements platforms.Fetcher. It is safe for concurrent use.
type Fetcher struct {
	cfg     Config
	base    string // BaseURL without a trailing slash
	rc      *resty.Client
	pacer   *platforms.Pacer
	shared  *platforms.Redactor // deps.Redactor: the run's secrets
	own     *platforms.Redactor // this adapter's cookie, in case the caller's redactor lacks it
	now     func() time.Time
	headers map[string]string // fixed headers (without Referer, which names the uid)
}

var _ platforms.Fetcher = (*Fetcher)(nil)

// New validates cfg and builds a Fetcher on deps. Empty BaseURL and UserAgent take their
// defaults; a nil deps.Pacer, Redactor or Now is replaced by one built from cfg / the wall clock.
func New(cfg Config, deps platforms.Deps) (*Fetcher, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("weibo: base_url %q: want an absolute http(s) URL without query, e.g. %s", cfg.BaseURL, DefaultBaseURL)
	}
	if cfg.Timeout <= 0 {
		return nil, fmt.Errorf("weibo: timeout must be positive, got %v", cfg.Timeout)
	}
	if cfg.MaxPages < 1 {
		return nil, fmt.Errorf("weibo: max_pages must be at least 1, got %d", cfg.MaxPages)
	}
	// The cookie's value must never reach an error message, so only say what is wrong with it.
	if strings.ContainsAny(cfg.Cookie.Reveal(), "\r\n\x00") {
		return nil, errors.New("weibo: cookie contains a line break or NUL; paste it as one line")
	}
	if strings.ContainsAny(cfg.UserAgent, "\r\n\x00") {
		return nil, errors.New("weibo: user_agent contains a line break or NUL")
	}

	// resty's createClient fills in a nil Transport on the client it is given; work on a copy so
	// a shared client (possibly http.DefaultClient) is never modified behind the caller's back.
	var hc http.Client
	if deps.Client != nil {
		hc = *deps.Client
	}
	if hc.Transport == nil {
		hc.Transport = http.DefaultTransport
	}
	rc := resty.NewWithClient(&hc).
		SetBaseURL(base).
		SetLogger(quietLogger{}). // errors are reported as Faults; resty must not print on its own
		SetResponseBodyLimit(maxBody)

	pacer := deps.Pacer
	if pacer == nil {
		pacer = platforms.NewPacer(cfg.Limits)
	}
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	h := map[string]string{
		"MWeibo-Pwa":       "1",
		"X-Requested-With": "XMLHttpRequest",
		"User-Agent":       cfg.UserAgent,
		"Accept":           "application/json, text/plain, */*",
	}
	if cfg.Cookie != "" {
		h["Cookie"] = cfg.Cookie.Reveal() // the one place the cookie is revealed: on the wire
	}
	return &Fetcher{
		cfg:     cfg,
		base:    base,
		rc:      rc,
		pacer:   pacer,
		shared:  deps.Redactor,
		own:     platforms.NewRedactor(cfg.Cookie),
		now:     now,
		headers: h,
	}, nil
}

// Fetch returns the account's newest post at or before checkTime.
//
// Paging follows the contract exactly: pages are read while every unpinned post seen is after
// checkTime, and reading stops at the first page holding an unpinned post at or before it; the
// answer is then the newest post ≤ checkTime over everything seen, pinned posts included. The
// list running out with no post ≤ checkTime is definitive (Latest nil) only if the first page
// had posts.
//
// Errors: every failure to answer is a *platforms.Fault (returned bare, so its Error() is the
// report's detail text; its URL names the request): no uid → ReasonNotFound; ok:0
// "这里还没有内容" or an empty first page → ReasonEmptyList; ok:-100, HTTP 432 or a redirect to
// passport → ReasonLoginRequired; HTTP 418/403/414 (or 429) after retries → ReasonRateLimited; a captcha
// body → ReasonCaptcha; other ok:0, 5xx after retries, other HTTP errors (404 included) →
// ReasonPlatformError; unreadable bodies and created_at values → ReasonBadResponse; transport
// errors after retries → ReasonNetwork; more than max_pages pages → ReasonTooManyPages.
// Cancellation returns ctx.Err(), wrapped.
func (f *Fetcher) Fetch(ctx context.Context, t platforms.Target, checkTime time.Time) (platforms.Observation, error) {
	uid := strings.TrimSpace(t.ID)
	if t.IDKind != platforms.IDWeiboUID || uid == "" {
		// The contract has no name search, so an account without a uid cannot be looked up.
		return platforms.Observation{}, &platforms.Fault{Reason: platforms.ReasonNotFound, Label: labelNoUID}
	}
	if !isDigits(uid) {
		return platforms.Observation{}, &platforms.Fault{Reason: platforms.ReasonNotFound, Label: labelBadUID,
			Detail: f.redact(uid)}
	}

	var (
		best    *platforms.Post
		seen    = map[string]bool{}
		sinceID string
		prev    string // the last page read, named by a too-many-pages fault
	)
	for page := 1; ; page++ {
		if page > f.cfg.MaxPages {
			return platforms.Observation{}, f.seal(platforms.Faultf(platforms.ReasonTooManyPages,
				"已读 %d 页，仍全部晚于监测时间点", f.cfg.MaxPages), prev)
		}
		raw := f.pageURL(uid, sinceID)
		prev = raw
		body, fetched, err := f.get(ctx, uid, sinceID)
		if err != nil {
			return platforms.Observation{}, f.fail(ctx, uid, err, raw)
		}
		pg, fault := parsePage(body, fetched, !f.cfg.CountReposts)
		if fault != nil {
			if page > 1 {
				fault.Detail = joinDetail(fault.Detail, fmt.Sprintf("第 %d 页", page))
			}
			return platforms.Observation{}, f.seal(fault, raw)
		}
		if page == 1 && len(pg.posts) == 0 {
			// ok:1 with nothing on the first page reads like "never posted" but Weibo answers the
			// same way for hidden or login-walled lists, so it cannot be a verdict.
			return platforms.Observation{}, f.seal(platforms.NewFault(platforms.ReasonEmptyList, "ok:1，第 1 页没有微博"), raw)
		}

		settled := false
		for i := range pg.posts {
			p := pg.posts[i]
			if p.Time.After(checkTime) {
				continue // posts after the check time never count (the audit may run days later)
			}
			if !p.Pinned {
				settled = true // the list is newest first apart from pinned posts
			}
			if best == nil || rank(p, checkTime).After(rank(*best, checkTime)) {
				best = &p
			}
		}
		last := pg.sinceID == "" || pg.sinceID == "0"
		if settled || last {
			return platforms.Observation{
				Source:    Source,
				Latest:    best,
				URL:       f.redactURL(raw),
				FetchedAt: fetched,
			}, nil
		}
		if seen[pg.sinceID] {
			// A cursor that points back to a page already read would loop until max_pages and
			// blame the account; it is the platform misbehaving.
			return platforms.Observation{}, f.seal(platforms.Faultf(platforms.ReasonBadResponse,
				"since_id %s 重复出现（翻页游标循环）", pg.sinceID), raw)
		}
		seen[pg.sinceID] = true
		sinceID = pg.sinceID
	}
}

// rank orders posts for "newest": a day-only time counts as the latest moment of its day that is
// not after T (design.md, Classification), so it is compared that way, while the Post keeps its
// 00:00 time and DayOnly flag for the classifier.
func rank(p platforms.Post, checkTime time.Time) time.Time {
	if !p.DayOnly {
		return p.Time
	}
	end := p.Time.AddDate(0, 0, 1).Add(-time.Nanosecond)
	if end.After(checkTime) {
		return checkTime
	}
	return end
}

// pageURL is the request for one page, query in the contract's order (a replayed recording is
// matched on it, and url.Values would sort it).
func (f *Fetcher) pageURL(uid, sinceID string) string {
	return f.base + pagePath(uid, sinceID)
}

func pagePath(uid, sinceID string) string {
	p := "/api/container/getIndex?type=uid&value=" + uid + "&containerid=107603" + uid
	if sinceID != "" {
		p += "&since_id=" + url.QueryEscape(sinceID)
	}
	return p
}

// get makes one page request through the pacer, retrying what the contract calls transient. It
// returns the body of a 2xx response and the fetch time relative dates resolve against.
func (f *Fetcher) get(ctx context.Context, uid, sinceID string) ([]byte, time.Time, error) {
	var (
		body    []byte
		fetched time.Time
	)
	err := f.pacer.Do(ctx, func(ctx context.Context) error {
		actx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
		defer cancel()
		resp, err := f.rc.R().
			SetContext(actx).
			SetHeaders(f.headers).
			SetHeader("Referer", referer+uid).
			Get(pagePath(uid, sinceID))
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, resty.ErrResponseBodyTooLarge) {
				return platforms.Faultf(platforms.ReasonBadResponse, "响应超过 %d 字节", maxBody)
			}
			detail := err.Error()
			if actx.Err() != nil {
				detail = fmt.Sprintf("请求超时（%v）", f.cfg.Timeout)
			}
			return platforms.Retry(&platforms.Fault{Reason: platforms.ReasonNetwork, Detail: detail})
		}
		if fault := statusFault(resp, f.pageURL(uid, sinceID)); fault != nil {
			if transient(resp.StatusCode()) {
				return platforms.Retry(fault)
			}
			return fault
		}
		body = resp.Body()
		fetched = platforms.FetchTime(resp.Header(), f.now).In(cst)
		return nil
	})
	return body, fetched, err
}

// rateLimited reports Weibo's rate-limit statuses (418, 403, 414; platforms.md Part 2 §2a), plus
// the generic 429 in case a proxy in front of base_url answers it.
func rateLimited(status int) bool {
	switch status {
	case http.StatusTeapot, http.StatusForbidden, http.StatusRequestURITooLong, http.StatusTooManyRequests:
		return true
	}
	return false
}

// transient reports whether an HTTP status is worth retrying: rate limits and server errors.
func transient(status int) bool {
	return rateLimited(status) || status >= 500
}

// statusFault classifies a response by its status (and where it ended up); nil means read the
// body.
func statusFault(resp *resty.Response, requested string) *platforms.Fault {
	status := resp.StatusCode()
	// m.weibo.cn sends callers without a valid visitor cookie to passport.weibo.cn; after the
	// redirect the body is an HTML page, but what it means is "log in", which tells the auditor
	// what to fix. (A fallback beyond the contract; either way the result is 待核查.)
	if raw := resp.RawResponse; raw != nil && raw.Request != nil && raw.Request.URL != nil &&
		raw.Request.URL.String() != requested &&
		strings.Contains(raw.Request.URL.Host+raw.Request.URL.Path, "passport") {
		return &platforms.Fault{Reason: platforms.ReasonLoginRequired, Label: labelLogin, Detail: "被重定向到登录页"}
	}
	switch {
	case status == 432:
		return &platforms.Fault{Reason: platforms.ReasonLoginRequired, Label: labelLogin, Detail: "HTTP 432"}
	case rateLimited(status):
		return &platforms.Fault{Reason: platforms.ReasonRateLimited, Label: labelRateLimited, Detail: fmt.Sprintf("HTTP %d", status)}
	case status >= 300 && status < 400:
		if strings.Contains(resp.Header().Get("Location"), "passport") {
			return &platforms.Fault{Reason: platforms.ReasonLoginRequired, Label: labelLogin, Detail: "被重定向到登录页"}
		}
		return platforms.Faultf(platforms.ReasonPlatformError, "HTTP %d", status)
	case status == http.StatusNotFound:
		// The uid travels in the query, not the path, so a 404 says the endpoint (or base_url)
		// is wrong, not that the account does not exist; "账号不存在" would be a false claim
		// about a real unit.
		return platforms.NewFault(platforms.ReasonPlatformError, "HTTP 404（接口地址不存在，请检查 base_url）")
	case status >= 400:
		return platforms.Faultf(platforms.ReasonPlatformError, "HTTP %d", status)
	case status < 200 || status >= 300:
		return platforms.Faultf(platforms.ReasonBadResponse, "HTTP %d", status)
	}
	return nil
}

// fail turns whatever get returned into the error Fetch returns.
func (f *Fetcher) fail(ctx context.Context, uid string, err error, raw string) error {
	if ctx.Err() != nil {
		return fmt.Errorf("weibo: uid %s: %w", uid, ctx.Err())
	}
	var fault *platforms.Fault
	if errors.As(err, &fault) {
		return f.seal(fault, raw)
	}
	// Nothing else is expected from get; keep it a Fault so it can never become a verdict.
	return f.seal(&platforms.Fault{Reason: platforms.ReasonNetwork, Detail: err.Error()}, raw)
}

// seal is the single exit for faults: it attaches the redacted URL and redacts everything the
// platform or the transport put in the text, so no secret leaves through an error.
func (f *Fetcher) seal(fault *platforms.Fault, raw string) *platforms.Fault {
	out := *fault
	out.URL = f.redactURL(raw)
	out.Detail = f.redact(out.Detail)
	out.Label = f.redact(out.Label)
	if out.Err != nil {
		out.Err = errors.New(f.redact(out.Err.Error()))
	}
	return &out
}

func (f *Fetcher) redact(s string) string {
	return f.own.String(f.shared.String(s)) // both are nil-safe
}

func (f *Fetcher) redactURL(raw string) string {
	if f.shared != nil {
		raw = f.shared.URL(raw)
	}
	return f.own.String(raw)
}

func joinDetail(a, b string) string {
	if a == "" {
		return b
	}
	return a + "（" + b + "）"
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// quietLogger drops resty's own log lines; everything worth saying is in the returned Fault.
type quietLogger struct{}

func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Warnf(string, ...any)  {}
func (quietLogger) Debugf(string, ...any) {}
