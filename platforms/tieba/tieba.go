// Package tieba finds the newest post a Baidu Tieba (百度贴吧) account made at or before the
// check time.
//
// It talks to three Tieba endpoints, exactly as ../shared/platforms.md Part 1 ("Baidu Tieba")
// fixes them (Part 2 §3 holds the background and sources):
//
//   - the web endpoint GET {web_base_url}/i/sys/user_json?un=NAME&ie=utf-8, to turn a user name
//     into the numeric user id the client API wants;
//   - the client API POST {base_url}/c/u/feed/userpost, a user's posts (signed form, see Sign);
//   - the client API POST {base_url}/c/f/frs/page, a forum's (吧) threads by creation time.
//
// Which route runs depends on the Target's IDKind:
//
//	IDTiebaUser    user name → user_json → userpost
//	IDTiebaUserID  numeric user id → userpost (no user_json call)
//	IDTiebaForum   forum name (kw) → frs/page
//	IDNone         Target.Name is taken as a user name (a unit's Tieba presence is far more
//	               often a user than a forum, and a forum is always registered by its URL/kw)
//
// Every way Tieba can fail to answer definitively is a *platforms.Fault; the adapter never turns
// a fault into "no posts". The only definitive "no posts" answers are the ones the contract
// names: userpost's empty list with hide_post "0" on the first page, and a later page that comes
// back empty after every earlier post was after the check time.
package tieba

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/nmaudit/nmaudit/platforms"
)

// Source is the Observation.Source this adapter reports.
const Source = "tieba"

// Config is the platforms.tieba section of the config file.
type Config struct {
	BaseURL          string           `mapstructure:"base_url"`       // client API, default http://c.tieba.baidu.com
	WebBaseURL       string           `mapstructure:"web_base_url"`   // web endpoints, default https://tieba.baidu.com
	BDUSS            platforms.Secret `mapstructure:"bduss"`          // optional login cookie value
	ClientVersion    string           `mapstructure:"client_version"` // _client_version, default 12.64.1.1
	platforms.Limits `mapstructure:",squash"`
}

// Defaults (platforms.md Part 1; design.md "Config").
const (
	// DefaultBaseURL is the client API over https: the app host aiotieba calls with TLS, so
	// BDUSS never travels in clear text (c.tieba.baidu.com answers plain http).
	DefaultBaseURL       = "https://tiebac.baidu.com"
	DefaultWebBaseURL    = "https://tieba.baidu.com"
	DefaultClientVersion = "12.64.1.1"
)

// DefaultConfig is the documented default: rate 2/s, burst 1, timeout 15s, 3 retries from 1s
// backoff, 10 pages.
func DefaultConfig() Config {
	return Config{
		BaseURL:       DefaultBaseURL,
		WebBaseURL:    DefaultWebBaseURL,
		ClientVersion: DefaultClientVersion,
		Limits:        platforms.DefaultLimits(2, 1),
	}
}

// Fetcher is the Tieba adapter; it implements platforms.Fetcher and is safe for concurrent use.
type Fetcher struct {
	cfg     Config
	base    *url.URL
	web     *url.URL
	rc      *resty.Client
	pacer   *platforms.Pacer
	shared  *platforms.Redactor // the run's redactor (deps), may be nil
	own     *platforms.Redactor // BDUSS, always applied, so a deps redactor built without it still can't leak it
	now     func() time.Time
	maxPage int
}

var _ platforms.Fetcher = (*Fetcher)(nil)

// New validates cfg and builds a Fetcher on deps.
//
// Zero-valued fields of cfg (empty URLs or client version, zero timeout or max_pages) take
// DefaultConfig's values, so a hand-built Config{BDUSS: …} works; negative limits and URLs that
// are not absolute http(s) URLs are errors. deps.Pacer is normally the platform's shared pacer;
// when nil one is built from cfg.Limits. deps.Client is copied, not modified: resty would
// otherwise write this platform's timeout into a client other platforms may share.
func New(cfg Config, deps platforms.Deps) (*Fetcher, error) {
	def := DefaultConfig()
	if cfg.BaseURL == "" {
		cfg.BaseURL = def.BaseURL
	}
	if cfg.WebBaseURL == "" {
		cfg.WebBaseURL = def.WebBaseURL
	}
	if cfg.ClientVersion == "" {
		cfg.ClientVersion = def.ClientVersion
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = def.Timeout
	}
	if cfg.MaxPages == 0 {
		cfg.MaxPages = def.MaxPages
	}
	if cfg.Timeout < 0 || cfg.MaxPages < 0 || cfg.Retries < 0 || cfg.Backoff < 0 || cfg.Rate < 0 || cfg.Burst < 0 {
		return nil, errors.New("tieba: timeout、max_pages、retries、backoff、rate 和 burst 都不能为负数")
	}
	base, err := parseBase("base_url", cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	web, err := parseBase("web_base_url", cfg.WebBaseURL)
	if err != nil {
		return nil, err
	}

	// platforms.Client: a copy of the shared client that follows redirects only on the same
	// site, so a 307 can never carry the signed form (BDUSS in it) to another host.
	rc := resty.NewWithClient(platforms.Client(deps)).
		SetTimeout(cfg.Timeout).
		SetLogger(quietLogger{}). // resty's own log lines would bypass the redactor
		SetResponseBodyLimit(platforms.MaxBody)

	pacer := deps.Pacer
	if pacer == nil {
		pacer = platforms.NewPacer(cfg.Limits)
	}
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	return &Fetcher{
		cfg:     cfg,
		base:    base,
		web:     web,
		rc:      rc,
		pacer:   pacer,
		shared:  deps.Redactor,
		own:     platforms.NewRedactor(cfg.BDUSS),
		now:     now,
		maxPage: cfg.MaxPages,
	}, nil
}

func parseBase(key, raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("tieba: %s %q 不是有效的 http(s) 地址，例如 https://tiebac.baidu.com", key, raw)
	}
	return u, nil
}

// Fetch finds t's newest post at or before checkTime. See the package comment for the routes
// and platforms.Fetcher for the error contract: faults are returned as the *platforms.Fault
// itself (its Error text is the report's detail), cancellation as a wrapped ctx.Err().
func (f *Fetcher) Fetch(ctx context.Context, t platforms.Target, checkTime time.Time) (platforms.Observation, error) {
	if err := ctx.Err(); err != nil {
		return platforms.Observation{}, fmt.Errorf("tieba: %w", err)
	}
	var (
		obs platforms.Observation
		err error
	)
	switch t.IDKind {
	case platforms.IDTiebaUser:
		obs, err = f.fetchUserByName(ctx, t.ID, checkTime)
	case platforms.IDNone:
		obs, err = f.fetchUserByName(ctx, t.Name, checkTime)
	case platforms.IDTiebaUserID:
		uid := strings.TrimSpace(t.ID)
		if !isUserID(uid) {
			return obs, &platforms.Fault{Reason: platforms.ReasonNotFound, Label: labelUserNotFound,
				Detail: fmt.Sprintf("贴吧用户 ID %q 不是数字", uid)}
		}
		obs, err = f.fetchUserPosts(ctx, uid, checkTime)
	case platforms.IDTiebaForum:
		obs, err = f.fetchForum(ctx, t.ID, checkTime)
	default:
		return obs, platforms.Faultf(platforms.ReasonUnsupported, "贴吧不支持的账号标识类型 %q", t.IDKind)
	}
	return obs, f.finish(ctx, err)
}

// finish gives every error Fetch returns its contract shape: a *Fault as is, a cancellation as
// a wrapped ctx.Err().
func (f *Fetcher) finish(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var fault *platforms.Fault
	if errors.As(err, &fault) {
		return fault
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("tieba: %w", ctxErr)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("tieba: %w", err)
	}
	// The only other source is the rate limiter refusing to wait past the caller's deadline:
	// that is the caller's deadline, so report it as one rather than as a platform fault.
	return fmt.Errorf("tieba: %w: %s", context.DeadlineExceeded, f.redact(err.Error()))
}

func isUserID(s string) bool {
	if s == "" || strings.TrimLeft(s, "0") == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// redact removes credentials from free text (details, error messages).
func (f *Fetcher) redact(s string) string { return f.own.String(f.shared.String(s)) }

// redactURL removes credentials from a URL.
func (f *Fetcher) redactURL(u string) string { return f.own.URL(f.shared.URL(u)) }

// fault builds a Fault whose every text field has been through the redactors.
func (f *Fetcher) fault(r platforms.Reason, label, detail, rawURL string, err error) *platforms.Fault {
	fl := &platforms.Fault{Reason: r, Label: label, Detail: f.redact(detail), URL: f.redactURL(rawURL)}
	if err != nil {
		// Not wrapped: the original (a *url.Error, say) would keep the unredacted text reachable.
		fl.Err = errors.New(f.redact(err.Error()))
	}
	return fl
}

type quietLogger struct{}

func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Warnf(string, ...any)  {}
func (quietLogger) Debugf(string, ...any) {}
