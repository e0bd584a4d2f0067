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
	"strconv"
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
	// DefaultVisitorBaseURL is the visitor-cookie service of the mobile site (platforms.md Part 1).
	DefaultVisitorBaseURL = "https://visitor.passport.weibo.cn"
	// DefaultUserAgent is a mobile Safari UA: m.weibo.cn serves its JSON API to mobile browsers.
	DefaultUserAgent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 " +
		"(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)

// Config is platforms.weibo in the config file.
type Config struct {
	BaseURL   string           `mapstructure:"base_url"`   // default https://m.weibo.cn
	Cookie    platforms.Secret `mapstructure:"cookie"`     // visitor or logged-in cookie (SUB=…; SUBP=…)
	UserAgent string           `mapstructure:"user_agent"` // default: a mobile Safari UA
	// Visitor makes the adapter get a visitor cookie (genvisitor2) when Cookie is empty, so
	// Weibo works with no set-up (default true). A configured Cookie always wins.
	Visitor bool `mapstructure:"visitor"`
	// VisitorBaseURL is where the visitor handshake goes (default
	// https://visitor.passport.weibo.cn).
	VisitorBaseURL   string `mapstructure:"visitor_base_url"`
	platforms.Limits `mapstructure:",squash"`
	// CountReposts counts reposts as the account posting (platforms.md §0: they are). It is
	// the top-level count_reposts setting, set by the caller; default true.
	CountReposts bool `mapstructure:"-"`
}

// DefaultConfig returns the design.md defaults: base_url https://m.weibo.cn, rate 1, burst 1,
// timeout 15s, retries 3, backoff 1s, max_pages 10.
func DefaultConfig() Config {
	return Config{
		BaseURL:        DefaultBaseURL,
		UserAgent:      DefaultUserAgent,
		Visitor:        true,
		VisitorBaseURL: DefaultVisitorBaseURL,
		CountReposts:   true,
		Limits:         platforms.DefaultLimits(1, 1),
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

// Fetcher is the Weibo adapter; it implements platforms.Fetcher. It is safe for concurrent use.
type Fetcher struct {
	cfg     Config
	base    string // BaseURL without a trailing slash
	rc      *resty.Client
	pacer   *platforms.Pacer
	shared  *platforms.Redactor // deps.Redactor: the run's secrets
	own     *platforms.Redactor // this adapter's cookies, in case the caller's redactor lacks them
	now     func() time.Time
	notify  func(string)
	headers map[string]string // fixed headers (without Referer, which names the uid, and Cookie)
	visitor *visitor          // nil when a cookie is configured or visitor cookies are off
}

var _ platforms.Fetcher = (*Fetcher)(nil)

// New validates cfg and builds a Fetcher on deps. Empty BaseURL, VisitorBaseURL and UserAgent
// take their defaults; a nil deps.Pacer, Redactor or Now is replaced by one built from cfg / the
// wall clock.
func New(cfg Config, deps platforms.Deps) (*Fetcher, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.VisitorBaseURL == "" {
		cfg.VisitorBaseURL = DefaultVisitorBaseURL
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	base, err := baseURL("base_url", cfg.BaseURL, DefaultBaseURL)
	if err != nil {
		return nil, err
	}
	visitorBase, err := baseURL("visitor_base_url", cfg.VisitorBaseURL, DefaultVisitorBaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.Timeout <= 0 {
		return nil, fmt.Errorf("weibo: timeout 必须大于 0，当前为 %v", cfg.Timeout)
	}
	if cfg.MaxPages < 1 {
		return nil, fmt.Errorf("weibo: max_pages 至少为 1，当前为 %d", cfg.MaxPages)
	}
	// The cookie's value must never reach an error message, so only say what is wrong with it.
	if strings.ContainsAny(cfg.Cookie.Reveal(), "\r\n\x00") {
		return nil, errors.New("weibo: cookie 含有换行或 NUL 字符，请粘贴为一行")
	}
	if strings.ContainsAny(cfg.UserAgent, "\r\n\x00") {
		return nil, errors.New("weibo: user_agent 含有换行或 NUL 字符")
	}

	// platforms.Client copies the shared client (resty would otherwise write into it) and sets
	// the redirect policy: a redirect off m.weibo.cn — to passport, or to a forger — comes back
	// as an answer instead of being followed with the cookie.
	rc := resty.NewWithClient(platforms.Client(deps)).
		SetLogger(quietLogger{}). // errors are reported as Faults; resty must not print on its own
		SetResponseBodyLimit(platforms.MaxBody)

	pacer := deps.Pacer
	if pacer == nil {
		pacer = platforms.NewPacer(cfg.Limits)
	}
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	f := &Fetcher{
		cfg:    cfg,
		base:   base,
		rc:     rc,
		pacer:  pacer,
		shared: deps.Redactor,
		own:    platforms.NewRedactor(cfg.Cookie),
		now:    now,
		notify: deps.Notify,
		headers: map[string]string{
			"MWeibo-Pwa":       "1",
			"X-Requested-With": "XMLHttpRequest",
			"User-Agent":       cfg.UserAgent,
			"Accept":           "application/json, text/plain, */*",
		},
	}
	if cfg.Cookie == "" && cfg.Visitor {
		f.visitor = &visitor{base: visitorBase}
	}
	return f, nil
}

func baseURL(key, raw, example string) (string, error) {
	base := strings.TrimRight(raw, "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("weibo: %s %q 不是有效的 http(s) 地址（不含查询参数），例如 %s", key, raw, example)
	}
	return base, nil
}

// Fetch returns the account's newest post at or before checkTime.
//
// Pages are read by platforms.Listing's rule: while every unpinned post seen is after checkTime,
// the next page is asked for — by since_id, or by page number when the answer pages that way
// (both occur today) — and reading stops at the first page holding an unpinned post at or
// before it; the answer is then the newest post ≤ checkTime over everything seen, pinned posts
// included. A page with no way on ends the list only when it does not claim more posts
// (cardlistInfo.total) than were seen; otherwise, like a marker in an unknown form or the page
// budget running out, it is 待核查 (列表未读完).
//
// Errors: every failure to answer is a *platforms.Fault (returned bare, so its Error() is the
// report's detail text; its URL names the request): no uid → ReasonNotFound; ok:0
// "这里还没有内容" or an empty first page → ReasonEmptyList; ok:-100 with a captcha URL, or a
// JSON body with a url and no data → ReasonCaptcha; other ok:-100, HTTP 432 or a redirect to
// passport → ReasonLoginRequired (after one visitor-cookie renewal per run, when visitor
// cookies are in use); HTTP 418/403/414 (or 429) after retries → ReasonRateLimited; other ok:0,
// 5xx after retries, other HTTP errors (404 included) → ReasonPlatformError; a redirect to
// another site → ReasonRedirected; unreadable bodies and created_at values → ReasonBadResponse;
// a body over platforms.MaxBody → ReasonTooLarge; transport errors after retries →
// ReasonNetwork; an unread next page → ReasonIncomplete or ReasonTooManyPages.
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

	list := platforms.NewListing(checkTime, 0)
	var (
		next    cursor
		seen    = map[string]bool{} // since_ids already followed
		total   = -1
		raw     string
		fetched time.Time
	)
	for n := 1; ; n++ {
		if n > f.cfg.MaxPages {
			_, fault := list.Conclude(false, platforms.Faultf(platforms.ReasonTooManyPages,
				"已读 %d 页，未置顶的微博仍全部晚于监测时间点", f.cfg.MaxPages))
			return platforms.Observation{}, f.seal(fault, raw)
		}
		path := pagePath(uid, next)
		raw = f.base + path
		pg, at, err := f.page(ctx, uid, path)
		if err != nil {
			err = f.fail(ctx, uid, err, raw)
			if fault, ok := err.(*platforms.Fault); ok && n > 1 {
				fault.Detail = joinDetail(fault.Detail, fmt.Sprintf("第 %d 页", n))
			}
			return platforms.Observation{}, err
		}
		fetched = at
		if n == 1 && pg.cards == 0 {
			// ok:1 with nothing on the first page reads like "never posted" but Weibo answers the
			// same way for hidden or login-walled lists, so it cannot be a verdict.
			return platforms.Observation{}, f.seal(platforms.NewFault(platforms.ReasonEmptyList, "ok:1，第 1 页没有微博"), raw)
		}
		for _, p := range pg.posts {
			list.Add(p)
		}
		for range pg.cards - len(pg.posts) {
			list.Skip() // reposts left out by count_reposts: false still count against total
		}
		if pg.total >= 0 {
			total = pg.total
		}
		if list.Done() {
			break
		}
		if pg.next.none() {
			ended := total < 0 || list.Seen() >= total
			if !ended {
				_, fault := list.Conclude(false, platforms.Incomplete(
					"第 %d 页没有下一页标记，但平台称共有 %d 条微博，只读到 %d 条", n, total, list.Seen()))
				return platforms.Observation{}, f.seal(fault, raw)
			}
			break
		}
		if pg.next.sinceID != "" {
			if seen[pg.next.sinceID] {
				// A cursor that points back to a page already read would loop until max_pages;
				// it is the platform misbehaving, and the list is not read.
				return platforms.Observation{}, f.seal(platforms.Incomplete(
					"since_id %s 重复出现（翻页游标循环）", pg.next.sinceID), raw)
			}
			seen[pg.next.sinceID] = true
		} else if pg.next.page <= max(next.page, 1) {
			return platforms.Observation{}, f.seal(platforms.Incomplete(
				"下一页页码 %d 不大于当前页（翻页循环）", pg.next.page), raw)
		}
		next = pg.next
	}
	latest, fault := list.Conclude(true, nil)
	if fault != nil {
		return platforms.Observation{}, f.seal(fault, raw)
	}
	return platforms.Observation{Source: Source, Latest: latest, URL: f.redactURL(raw), FetchedAt: fetched}, nil
}

// page fetches and parses one page. A login answer (HTTP 432, ok:-100) while a visitor cookie is
// in use gets the cookie renewed — once per run, for every worker — and the same page asked
// again.
func (f *Fetcher) page(ctx context.Context, uid, path string) (page, time.Time, error) {
	cookie, err := f.cookie(ctx)
	if err != nil {
		return page{}, time.Time{}, err
	}
	for renewed := false; ; renewed = true {
		body, fetched, err := f.get(ctx, uid, path, cookie)
		var pg page
		var fault *platforms.Fault
		if err == nil {
			pg, fault = parsePage(body, fetched, !f.cfg.CountReposts)
			if fault == nil {
				return pg, fetched, nil
			}
			err = fault
		}
		if !errors.Is(err, platforms.ErrLoginRequired) || f.visitor == nil || renewed {
			return page{}, time.Time{}, f.loginLabel(err, renewed)
		}
		if cookie, err = f.renewCookie(ctx, cookie); err != nil {
			return page{}, time.Time{}, err
		}
	}
}

// loginLabel words a login fault for what was sent: a configured cookie that is refused has
// expired; a visitor cookie refused even after its renewal needs a real cookie; no cookie at all
// (visitor cookies turned off) needs one configured.
func (f *Fetcher) loginLabel(err error, renewed bool) error {
	fault, ok := err.(*platforms.Fault)
	if !ok || fault.Reason != platforms.ReasonLoginRequired {
		return err
	}
	out := *fault
	switch {
	case f.cfg.Cookie != "":
		out.Label = labelLogin
	case f.visitor != nil:
		out.Label = platforms.ReasonLoginRequired.Label()
		if renewed {
			out.Detail = joinDetail(out.Detail, "访客 Cookie 更换后仍被拒绝，请配置 platforms.weibo.cookie")
		}
	default:
		out.Label = platforms.ReasonLoginRequired.Label()
		out.Detail = joinDetail(out.Detail, "未配置 Cookie（platforms.weibo.cookie）")
	}
	return &out
}

// pagePath is the request for one page, query in the contract's order (a replayed recording is
// matched on it, and url.Values would sort it).
func pagePath(uid string, next cursor) string {
	p := "/api/container/getIndex?type=uid&value=" + uid + "&containerid=107603" + uid
	switch {
	case next.sinceID != "":
		p += "&since_id=" + url.QueryEscape(next.sinceID)
	case next.page > 0:
		p += "&page=" + strconv.Itoa(next.page)
	}
	return p
}

// get makes one request through the pacer, retrying what the contract calls transient. It
// returns the body of a 2xx response and the fetch time relative dates resolve against.
func (f *Fetcher) get(ctx context.Context, uid, path, cookie string) ([]byte, time.Time, error) {
	var (
		body    []byte
		fetched time.Time
	)
	err := f.pacer.Do(ctx, func(ctx context.Context) error {
		actx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
		defer cancel()
		req := f.rc.R().
			SetContext(actx).
			SetHeaders(f.headers).
			SetHeader("Referer", referer+uid)
		if cookie != "" {
			req.SetHeader("Cookie", cookie) // the one place a cookie is revealed: on the wire
		}
		resp, err := req.Get(f.base + path)
		if err != nil {
			return f.transportFault(ctx, actx, err)
		}
		if fault := statusFault(resp); fault != nil {
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

// transportFault classifies a request that got no usable response: the caller's cancellation;
// an answer the transport already knew (a body over the cap, a replay without the exchange),
// which is passed on and not retried; otherwise a network error, retried.
func (f *Fetcher) transportFault(ctx, actx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if fault, ok := platforms.AsFault(err); ok {
		cp := *fault
		return &cp
	}
	if errors.Is(err, resty.ErrResponseBodyTooLarge) {
		return platforms.TooLarge(platforms.MaxBody)
	}
	detail := err.Error()
	if actx.Err() != nil {
		detail = fmt.Sprintf("请求超时（%v）", f.cfg.Timeout)
	}
	return platforms.Retry(&platforms.Fault{Reason: platforms.ReasonNetwork, Detail: detail})
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

// statusFault classifies a response by its status; nil means read the body. A 3xx reaching
// here was not followed (platforms.Client follows redirects only on the same site): a redirect
// to passport means "log in", which tells the auditor what to fix; any other is refused.
func statusFault(resp *resty.Response) *platforms.Fault {
	status := resp.StatusCode()
	// A same-site redirect was followed; if it ended on a login page, that is the answer.
	if raw := resp.RawResponse; raw != nil && raw.Request != nil && raw.Request.URL != nil &&
		raw.Request.URL.Path != "/api/container/getIndex" && loginPage(raw.Request.URL.Host+raw.Request.URL.Path) {
		return &platforms.Fault{Reason: platforms.ReasonLoginRequired, Label: labelLogin, Detail: "被重定向到登录页"}
	}
	switch {
	case status == 432:
		return &platforms.Fault{Reason: platforms.ReasonLoginRequired, Label: labelLogin, Detail: "HTTP 432"}
	case rateLimited(status):
		return &platforms.Fault{Reason: platforms.ReasonRateLimited, Label: labelRateLimited, Detail: fmt.Sprintf("HTTP %d", status)}
	case status >= 300 && status < 400:
		to := platforms.Redirected(resp.RawResponse)
		switch {
		case loginPage(to):
			return &platforms.Fault{Reason: platforms.ReasonLoginRequired, Label: labelLogin, Detail: "被重定向到登录页"}
		case strings.Contains(to, "captcha"):
			return platforms.Faultf(platforms.ReasonCaptcha, "被重定向到验证页：%s", to)
		case to != "":
			return platforms.Faultf(platforms.ReasonRedirected, "HTTP %d → %s（未跟随）", status, to)
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

// loginPage recognises where Weibo sends callers without a valid cookie.
func loginPage(u string) bool {
	return strings.Contains(u, "passport") || strings.Contains(u, "/signin") || strings.Contains(u, "/login")
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
