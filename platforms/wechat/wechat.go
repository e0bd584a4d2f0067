// Package wechat finds the newest post a WeChat official account (公众号) made at or before the
// check time. It talks to two APIs, exactly as ../shared/platforms.md Part 1 describes them
// ("WeChat, 公众平台 backend" and "WeChat, official API"):
//
//   - the 公众平台 backend, https://mp.weixin.qq.com (cgi-bin/searchbiz and cgi-bin/appmsgpublish),
//     with the auditor's own logged-in session (mp_token in the query, mp_cookie in Cookie). It can
//     look at any account. Source "wechat-mp".
//   - the official API, https://api.weixin.qq.com (cgi-bin/token, cgi-bin/freepublish/batchget,
//     datacube/getarticletotal), through github.com/silenceper/wechat/v2, for the accounts whose
//     AppID/AppSecret are configured. Source "wechat-api". Official docs:
//     https://developers.weixin.qq.com/doc/service/api/public/api_freepublish_batchget.html and
//     https://developers.weixin.qq.com/doc/offiaccount/Analytics/Graphic_Analysis_Data_Interface.html
//
// An account with a configured app always goes through the official API; any other account goes
// through the backend when a session is configured, and is otherwise a ReasonNoCredentials fault
// without a request.
//
// Process-wide state: silenceper/wechat only lets a program redirect its requests through two
// package variables (util.SetURIModifier, util.DefaultHTTPClient). New sets both when the config
// has apps, so only one wechat Fetcher with apps per process is supported — the last one built
// wins — and tests that build such Fetchers must not run in parallel. Everything else lives on
// the Fetcher.
package wechat

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-resty/resty/v2"
	"github.com/silenceper/wechat/v2/util"

	"github.com/nmaudit/nmaudit/platforms"
	"github.com/nmaudit/nmaudit/platforms/names"
)

// App is one account whose AppID/AppSecret the auditor holds (config platforms.wechat.apps).
type App struct {
	// Account names the account this app belongs to: its 账号名称 as registered (matched after
	// names.Normalize), or its id exactly as the registry gives it (fakeid, gh_ id or 微信号).
	Account   string           `mapstructure:"account"`
	AppID     string           `mapstructure:"app_id"`
	AppSecret platforms.Secret `mapstructure:"app_secret"`
}

// Config is platforms.wechat (design.md, Config).
type Config struct {
	APIBaseURL string           `mapstructure:"api_base_url"` // default https://api.weixin.qq.com
	MPBaseURL  string           `mapstructure:"mp_base_url"`  // default https://mp.weixin.qq.com
	MPToken    platforms.Secret `mapstructure:"mp_token"`
	MPCookie   platforms.Secret `mapstructure:"mp_cookie"`
	// ArticleBaseURL is where article links (evidence links, /s/… and /s?__biz=…) are read:
	// public pages, fetched without any login (default https://mp.weixin.qq.com).
	ArticleBaseURL string `mapstructure:"article_base_url"`
	Apps           []App  `mapstructure:"apps"`
	// Window is the update window W of the run (design.md: window, default 14d). It is not a
	// platforms.wechat key — the caller copies the run's window here — because Fetch's signature
	// carries only the check time, and the official route must know which days to ask
	// datacube/getarticletotal for (from T−W's date on). Zero means 14 days.
	Window           time.Duration `mapstructure:"-"`
	platforms.Limits `mapstructure:",squash"`
}

const (
	defaultAPIBaseURL = "https://api.weixin.qq.com"
	defaultMPBaseURL  = "https://mp.weixin.qq.com"
	defaultWindow     = 14 * 24 * time.Hour

	// officialPrefix is what silenceper hard-codes in front of every official API path; the URI
	// modifier swaps it for Config.APIBaseURL.
	officialPrefix = "https://api.weixin.qq.com"
)

// DefaultConfig is the design.md default: rate 0.5, burst 1, timeout 15s, retries 3, backoff 1s,
// max_pages 10, a 14-day window.
func DefaultConfig() Config {
	return Config{
		APIBaseURL:     defaultAPIBaseURL,
		MPBaseURL:      defaultMPBaseURL,
		ArticleBaseURL: defaultMPBaseURL,
		Window:         defaultWindow,
		Limits:         platforms.DefaultLimits(0.5, 1),
	}
}

// Fetcher implements platforms.Fetcher for WeChat. It is safe for concurrent use.
type Fetcher struct {
	cfg      Config
	client   *http.Client
	rc       *resty.Client
	pacer    *platforms.Pacer
	redactor *platforms.Redactor // the caller's; may be nil
	now      func() time.Time
	rewrite  func(string) string // silenceper's URI → the URI actually requested

	apps   []*app
	byName map[string]*app // names.Normalize(App.Account)
	byID   map[string]*app // App.Account as written

	// mpExpired is set once the backend answers 200003: the session is gone for the whole run,
	// so every later backend account gets the same fault without a request (platforms.md).
	mpExpired atomic.Bool
	// closure watches for the 2026 closure of other accounts' article lists (mp.go).
	closure closureWatch

	mu     sync.RWMutex
	tokens []platforms.Secret  // access tokens obtained so far
	own    *platforms.Redactor // every secret this Fetcher knows, rebuilt when a token arrives
}

// New validates cfg and builds the Fetcher. Every app needs account, app_id and app_secret, and
// no account may be configured twice. Empty base URLs, window, max_pages and timeout take their
// defaults; a nil deps.Pacer is built from cfg's limits.
func New(cfg Config, deps platforms.Deps) (*Fetcher, error) {
	def := DefaultConfig()
	if cfg.APIBaseURL == "" {
		cfg.APIBaseURL = def.APIBaseURL
	}
	if cfg.MPBaseURL == "" {
		cfg.MPBaseURL = def.MPBaseURL
	}
	if cfg.Window <= 0 {
		cfg.Window = def.Window
	}
	if cfg.MaxPages <= 0 {
		cfg.MaxPages = def.MaxPages
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = def.Timeout
	}
	for _, b := range []struct{ key, val string }{{"api_base_url", cfg.APIBaseURL}, {"mp_base_url", cfg.MPBaseURL}} {
		u, err := url.Parse(b.val)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("wechat: %s %q 不是有效的 http(s) 地址，例如 https://mp.weixin.qq.com", b.key, b.val)
		}
	}
	cfg.APIBaseURL = strings.TrimRight(cfg.APIBaseURL, "/")
	cfg.MPBaseURL = strings.TrimRight(cfg.MPBaseURL, "/")

	f := &Fetcher{
		cfg:      cfg,
		client:   platforms.Client(deps),
		pacer:    deps.Pacer,
		redactor: deps.Redactor,
		now:      deps.Now,
		rewrite:  rewriter(cfg.APIBaseURL),
		byName:   map[string]*app{},
		byID:     map[string]*app{},
	}
	f.closure.notify = deps.Notice
	if f.pacer == nil {
		f.pacer = platforms.NewPacer(cfg.Limits)
	}
	if f.now == nil {
		f.now = time.Now
	}

	seen := map[string]int{}
	for i, a := range cfg.Apps {
		key := names.Normalize(a.Account)
		switch {
		case key == "":
			return nil, fmt.Errorf("wechat: apps[%d]：必须填写 account（公众号名称）", i)
		case strings.TrimSpace(a.AppID) == "":
			return nil, fmt.Errorf("wechat: apps[%d]（%s）：必须填写 app_id", i, a.Account)
		case strings.TrimSpace(a.AppSecret.Reveal()) == "":
			return nil, fmt.Errorf("wechat: apps[%d]（%s）：必须填写 app_secret", i, a.Account)
		}
		if j, dup := seen[key]; dup {
			return nil, fmt.Errorf("wechat: apps[%d]：公众号 %q 已在 apps[%d] 中配置", i, a.Account, j)
		}
		seen[key] = i
		ap := newApp(a)
		f.apps = append(f.apps, ap)
		f.byName[key] = ap
		f.byID[a.Account] = ap
	}
	f.rebuildRedactor()

	// resty gets a copy of the client: createClient fills in a nil Transport, and the caller's
	// client is shared with silenceper and perhaps other adapters, so it must not be written to.
	hc := *f.client
	f.rc = resty.NewWithClient(&hc).
		SetResponseBodyLimit(platforms.MaxBody).
		SetLogger(quietLogger{}).
		SetHeader("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36").
		SetHeader("Referer", cfg.MPBaseURL+"/")

	if len(f.apps) > 0 {
		// Process-wide: see the package comment. Only set when this Fetcher will use them, so a
		// backend-only Fetcher does not re-point an earlier one's official API calls.
		util.SetURIModifier(f.rewrite)
		util.DefaultHTTPClient = f.client
	}
	return f, nil
}

// rewriter maps silenceper's hard-coded official API URIs onto base.
func rewriter(base string) func(string) string {
	return func(uri string) string {
		if rest, ok := strings.CutPrefix(uri, officialPrefix); ok {
			return base + rest
		}
		return uri
	}
}

// Fetch finds t's newest post at or before checkTime; see the package comment for the route.
// Every failure is a *platforms.Fault (redacted); a canceled ctx is returned as ctx.Err(), wrapped.
func (f *Fetcher) Fetch(ctx context.Context, t platforms.Target, checkTime time.Time) (platforms.Observation, error) {
	if err := ctx.Err(); err != nil {
		return platforms.Observation{}, fmt.Errorf("wechat: %w", err)
	}
	if a := f.appFor(t); a != nil {
		return f.fetchAPI(ctx, a, checkTime)
	}
	if f.cfg.MPToken.Reveal() != "" && f.cfg.MPCookie.Reveal() != "" {
		return f.fetchMP(ctx, t, checkTime)
	}
	return platforms.Observation{}, &platforms.Fault{Reason: platforms.ReasonNoCredentials, Label: labelNoCredentials}
}

// appFor is the configured app for t, if any: an app wins over the backend session because the
// official API reads the account's own data instead of a search result.
func (f *Fetcher) appFor(t platforms.Target) *app {
	if t.ID != "" {
		if a, ok := f.byID[t.ID]; ok {
			return a
		}
	}
	if key := names.Normalize(t.Name); key != "" {
		if a, ok := f.byName[key]; ok {
			return a
		}
	}
	return nil
}

// Secrets lists every secret the Fetcher knows or has obtained — app secrets, the backend token
// and cookie, and the access tokens handed out so far — so the caller's redactor can cover them.
// Access tokens appear only after the calls that obtain them; call again after a run.
func (f *Fetcher) Secrets() []platforms.Secret {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return append(f.staticSecrets(), f.tokens...)
}

func (f *Fetcher) staticSecrets() []platforms.Secret {
	var out []platforms.Secret
	for _, a := range f.cfg.Apps {
		out = append(out, a.AppSecret)
	}
	for _, s := range []platforms.Secret{f.cfg.MPToken, f.cfg.MPCookie} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// addToken records an access token obtained at run time. The caller's Redactor is not told
// directly: its Add is not safe against concurrent String calls from other workers, so the
// Fetcher redacts with its own copy and exposes the token through Secrets.
func (f *Fetcher) addToken(tok string) {
	if tok == "" {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.tokens {
		if s.Reveal() == tok {
			return
		}
	}
	f.tokens = append(f.tokens, platforms.Secret(tok))
	f.own = platforms.NewRedactor(append(f.staticSecrets(), f.tokens...)...)
}

func (f *Fetcher) rebuildRedactor() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.own = platforms.NewRedactor(append(f.staticSecrets(), f.tokens...)...)
}

func (f *Fetcher) ownRedactor() *platforms.Redactor {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.own
}

// urlInText finds URLs inside error text: silenceper's and net/http's errors embed the full
// request URI, access_token and secret included.
var urlInText = regexp.MustCompile(`https?://[^\s"'<>]+`)

// redact removes every known secret, and every credential query parameter of embedded URLs,
// from s. It applies the caller's Redactor and the Fetcher's own, so nothing depends on the
// caller having registered Secrets().
func (f *Fetcher) redact(s string) string {
	own := f.ownRedactor()
	s = urlInText.ReplaceAllStringFunc(s, func(u string) string { return own.URL(f.redactor.URL(u)) })
	return own.String(f.redactor.String(s))
}

// redactURL is redact for a URL on its own (Fault.URL, Observation.URL).
func (f *Fetcher) redactURL(u string) string {
	if u == "" {
		return ""
	}
	return f.ownRedactor().URL(f.redactor.URL(u))
}

// fault builds a redacted *platforms.Fault. err, when given, is kept as text only: its chain may
// hold the raw request.
func (f *Fetcher) fault(r platforms.Reason, label, detail, rawURL string, err error) *platforms.Fault {
	ft := &platforms.Fault{Reason: r, Label: label, Detail: f.redact(detail), URL: f.redactURL(rawURL)}
	if err != nil {
		ft.Err = errors.New(f.redact(err.Error()))
	}
	return ft
}

// attemptCtx bounds one request by the per-request timeout. It is done per attempt rather than
// with http.Client.Timeout because the client is shared (with silenceper and the recorder).
func (f *Fetcher) attemptCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	if f.cfg.Timeout > 0 {
		return context.WithTimeout(ctx, f.cfg.Timeout)
	}
	return context.WithCancel(ctx)
}

// transportErr classifies a failed round trip: the caller's cancellation ends the fetch; a
// network error or per-request timeout is transient.
func (f *Fetcher) transportErr(ctx context.Context, err error, rawURL string) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if ft, ok := platforms.AsFault(err); ok {
		return f.fault(ft.Reason, ft.Label, ft.Detail, rawURL, nil)
	}
	if errors.Is(err, resty.ErrResponseBodyTooLarge) {
		tl := platforms.TooLarge(platforms.MaxBody)
		return f.fault(tl.Reason, "", tl.Detail, rawURL, nil)
	}
	// The detail is the cause alone ("EOF", "connection refused"): the URL is in Fault.URL, and
	// the whole (redacted) error in Fault.Err.
	detail := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		detail = ue.Err.Error()
	}
	return platforms.Retry(f.fault(platforms.ReasonNetwork, "", detail, rawURL, err))
}

// httpStatusErr classifies a non-200 answer: 5xx and 429 are retried, then reported; a 3xx
// here was not followed (platforms.Client stays on the site) and is refused.
func (f *Fetcher) httpStatusErr(code int, rawURL string) error {
	if code >= 300 && code < 400 {
		return f.fault(platforms.ReasonRedirected, "", fmt.Sprintf("HTTP %d（重定向到其他网站，未跟随）", code), rawURL, nil)
	}
	ft := f.fault(platforms.ReasonPlatformError, "", fmt.Sprintf("HTTP %d", code), rawURL, nil)
	if code >= 500 || code == http.StatusTooManyRequests {
		return platforms.Retry(ft)
	}
	return ft
}

// finish turns what Pacer.Do returned into Fetch's error contract: the caller's cancellation as a
// wrapped ctx.Err(), everything else a *platforms.Fault.
func (f *Fetcher) finish(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("wechat: %w", ctx.Err())
	}
	var ft *platforms.Fault
	if errors.As(err, &ft) {
		return ft
	}
	return f.fault(platforms.ReasonPlatformError, "", err.Error(), "", err)
}

// quietLogger drops resty's own log lines, which would bypass the redactor.
type quietLogger struct{}

func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Warnf(string, ...any)  {}
func (quietLogger) Debugf(string, ...any) {}

// cst is China time; China has had no daylight saving since 1991, so a fixed zone is exact and
// needs no tzdata.
var cst = time.FixedZone("CST", 8*3600)
