// Package platforms declares what nmaudit asks of a social-media platform — the newest post an
// account made at or before the check time — and the shared HTTP plumbing the per-platform
// adapters use (rate limiting, bounded retries, record/replay of evidence).
//
// The adapters live in sub-packages (weibo, tieba, wechat), one per platform, each talking to the
// endpoints in ../shared/platforms.md Part 1. They are wired together explicitly by the caller
// (see Registry); this package has no init side effects and no mutable package state.
package platforms

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Platform is a canonical platform name, as printed in the JSON report's "platform" field.
type Platform string

// Canonical platforms. Only WeChat, Weibo and Tieba have adapters; the others are known labels
// that are audited from observations or marked 平台暂不支持自动检查.
const (
	WeChat      Platform = "wechat"
	Weibo       Platform = "weibo"
	Tieba       Platform = "tieba"
	Douyin      Platform = "douyin"
	Toutiao     Platform = "toutiao"
	Kuaishou    Platform = "kuaishou"
	Channels    Platform = "wechat-channels"
	MiniProgram Platform = "wechat-miniprogram"
	App         Platform = "app"
	Baijiahao   Platform = "baijiahao"
	Qiehao      Platform = "qiehao"
	Dayu        Platform = "dayu"
	Xiaohongshu Platform = "xiaohongshu"
	Bilibili    Platform = "bilibili"
	Renminhao   Platform = "renminhao"
	Wangyihao   Platform = "wangyihao"
	Other       Platform = "other"
	// Unknown marks a type label nmaudit does not recognise. The account stays in scope (待核查)
	// and the label is named in a warning; it is never mapped to a platform by guesswork.
	Unknown Platform = "unknown"
)

// IDKind says what an account identifier is, as parsed from the registry's id column.
type IDKind string

// Identifier kinds, per platform (design.md, "Account ids").
const (
	IDNone        IDKind = ""        // no id: the adapter resolves the account by its name
	IDWeiboUID    IDKind = "uid"     // Weibo numeric uid
	IDWeChatBiz   IDKind = "fakeid"  // WeChat fakeid, the same string as __biz in article URLs
	IDWeChatGhID  IDKind = "gh"      // WeChat original id gh_…, resolved by search
	IDWeChatAlias IDKind = "alias"   // WeChat 微信号, resolved by search
	IDTiebaUser   IDKind = "un"      // Tieba user name
	IDTiebaUserID IDKind = "user_id" // Tieba numeric user id
	IDTiebaForum  IDKind = "forum"   // Tieba forum (吧) name, kw
	IDOther       IDKind = "raw"     // an id for a platform without an adapter, kept as written
)

// Target is what an adapter needs to find one account.
type Target struct {
	Platform Platform
	Name     string // 账号名称 as registered, used to resolve accounts without an id
	IDKind   IDKind
	ID       string
}

// Post is one post's evidence.
type Post struct {
	Time    time.Time
	DayOnly bool // only the day is known (e.g. a Weibo "2022-08-08" or a mass-send's ref_date)
	Pinned  bool
	ID      string // post id, article id or msgid
	Title   string // title or the start of the text, for people checking the verdict
}

// Observation is a definitive answer from one source: the newest post at or before the check
// time that the source knows of. Latest is nil when the source answered and knows of none (an
// account that never posted, or nothing in the part of the history that had to be asked).
type Observation struct {
	Source    string // weibo, tieba, wechat-mp, wechat-api, manual
	Latest    *Post
	URL       string // the request that settled the answer, secrets removed
	FetchedAt time.Time
}

// Fetcher finds an account's newest post at or before checkTime.
//
// Error contract: a definitive answer is an Observation and a nil error. Every way the platform
// can fail to answer definitively (empty or hidden list, login needed, expired session, rate
// limit after retries, captcha, not found, ambiguous name, missing credentials) is a *Fault,
// matched with errors.As or errors.Is against the Reason sentinels below. Context cancellation
// is returned as ctx.Err(), wrapped.
type Fetcher interface {
	Fetch(ctx context.Context, t Target, checkTime time.Time) (Observation, error)
}

// Reason is a machine-readable code for why a platform could not answer; Label gives the
// Chinese wording printed in reports (the 待核查 detail).
type Reason string

// Reasons for 待核查. The labels are the ones design.md and platforms.md use.
const (
	ReasonEmptyList      Reason = "empty_list"
	ReasonHidden         Reason = "hidden"
	ReasonLoginRequired  Reason = "login_required"
	ReasonSessionExpired Reason = "session_expired"
	ReasonRateLimited    Reason = "rate_limited"
	ReasonCaptcha        Reason = "captcha"
	ReasonNotFound       Reason = "not_found"
	ReasonAmbiguous      Reason = "ambiguous"
	ReasonNoCredentials  Reason = "no_credentials"
	ReasonUnsupported    Reason = "unsupported"
	ReasonCredentials    Reason = "bad_credentials"
	ReasonIPWhitelist    Reason = "ip_whitelist"
	ReasonNoPermission   Reason = "no_permission"
	ReasonQuota          Reason = "quota"
	ReasonPlatformError  Reason = "platform_error"
	ReasonBadResponse    Reason = "bad_response"
	ReasonNetwork        Reason = "network"
	ReasonTooManyPages   Reason = "too_many_pages"
	ReasonNoRecording    Reason = "no_recording"
	// ReasonIncomplete: the list signalled more (a cursor, a next page, a total above what was
	// seen) that was not read, so "nothing in the window" is unproven.
	ReasonIncomplete Reason = "incomplete"
	// ReasonTooLarge: a response body over MaxBody; never read as an answer.
	ReasonTooLarge Reason = "too_large"
	// ReasonRouteClosed: the platform no longer serves this route at all (WeChat's 2026-07-30
	// closure of other accounts' article lists); no request can answer it this run.
	ReasonRouteClosed Reason = "route_closed"
	// ReasonRedirected: the server sent the request to another site, which is never followed
	// (a forged answer could come from there, and credentials must not travel there).
	ReasonRedirected Reason = "redirected"
	// ReasonWrongAccount: an evidence link shows another account's post; the row it came from
	// is void. ReasonDeleted: the linked post is gone.
	ReasonWrongAccount Reason = "wrong_account"
	ReasonDeleted      Reason = "deleted"
)

var reasonLabels = map[Reason]string{
	ReasonEmptyList:      "平台返回空列表",
	ReasonHidden:         "动态已隐藏",
	ReasonLoginRequired:  "需要登录",
	ReasonSessionExpired: "登录已失效",
	ReasonRateLimited:    "触发频率限制",
	ReasonCaptcha:        "触发安全验证",
	ReasonNotFound:       "账号不存在",
	ReasonAmbiguous:      "账号匹配不唯一",
	ReasonNoCredentials:  "未配置查询凭据",
	ReasonUnsupported:    "平台暂不支持自动检查",
	ReasonCredentials:    "AppID/AppSecret 错误",
	ReasonIPWhitelist:    "IP 不在白名单",
	ReasonNoPermission:   "无接口权限",
	ReasonQuota:          "调用次数超限",
	ReasonPlatformError:  "平台返回错误",
	ReasonBadResponse:    "平台返回内容无法解析",
	ReasonNetwork:        "网络错误",
	ReasonTooManyPages:   "翻页超过上限仍未找到监测时间点前的内容",
	ReasonNoRecording:    "回放记录中没有该请求",
	ReasonIncomplete:     "列表未读完",
	ReasonTooLarge:       "平台返回内容过大",
	ReasonRouteClosed:    "平台已关闭该查询途径",
	ReasonRedirected:     "平台将请求重定向到其他网站",
	ReasonWrongAccount:   "链接不属于该账号",
	ReasonDeleted:        "链接文章已删除",
}

// Label is the Chinese wording for r.
func (r Reason) Label() string {
	if l, ok := reasonLabels[r]; ok {
		return l
	}
	return string(r)
}

// Fault is a platform's failure to answer definitively for one account. Label, when set,
// replaces the reason's generic wording with the platform's own (e.g. "公众平台登录已失效",
// "用户不存在"); Detail carries what the platform said (a msg, an errcode), never a secret.
type Fault struct {
	Reason Reason
	Label  string
	Detail string
	URL    string // the request that failed, secrets removed
	Err    error  // underlying error, if any (already redacted)
}

// Error implements error. It is what the report's detail column shows.
func (f *Fault) Error() string {
	s := f.Label
	if s == "" {
		s = f.Reason.Label()
	}
	if f.Detail != "" {
		s += ": " + f.Detail
	}
	return s
}

func (f *Fault) Unwrap() error { return f.Err }

// Is makes errors.Is(err, platforms.ErrRateLimited) and friends work on a *Fault.
func (f *Fault) Is(target error) bool {
	var s *sentinel
	if errors.As(target, &s) {
		return s.reason == f.Reason
	}
	return false
}

type sentinel struct{ reason Reason }

func (s *sentinel) Error() string { return s.reason.Label() }

// Sentinels for errors.Is against a *Fault's reason.
var (
	ErrEmptyList      error = &sentinel{ReasonEmptyList}
	ErrHidden         error = &sentinel{ReasonHidden}
	ErrLoginRequired  error = &sentinel{ReasonLoginRequired}
	ErrSessionExpired error = &sentinel{ReasonSessionExpired}
	ErrRateLimited    error = &sentinel{ReasonRateLimited}
	ErrCaptcha        error = &sentinel{ReasonCaptcha}
	ErrNotFound       error = &sentinel{ReasonNotFound}
	ErrAmbiguous      error = &sentinel{ReasonAmbiguous}
	ErrNoCredentials  error = &sentinel{ReasonNoCredentials}
	ErrUnsupported    error = &sentinel{ReasonUnsupported}
	ErrIncomplete     error = &sentinel{ReasonIncomplete}
	ErrTooManyPages   error = &sentinel{ReasonTooManyPages}
	ErrTooLarge       error = &sentinel{ReasonTooLarge}
	ErrRouteClosed    error = &sentinel{ReasonRouteClosed}
	ErrRedirected     error = &sentinel{ReasonRedirected}
	ErrBadResponse    error = &sentinel{ReasonBadResponse}
	ErrPlatformError  error = &sentinel{ReasonPlatformError}
	ErrNetwork        error = &sentinel{ReasonNetwork}
	ErrWrongAccount   error = &sentinel{ReasonWrongAccount}
	ErrDeleted        error = &sentinel{ReasonDeleted}
)

// AsFault returns the *Fault in err's chain, if any. Transports report answers they already
// know (a replay without the exchange, a body over MaxBody) as a *Fault inside the transport
// error; adapters pass such a fault on as it is instead of calling it a network error.
func AsFault(err error) (*Fault, bool) {
	var f *Fault
	if errors.As(err, &f) {
		return f, true
	}
	return nil, false
}

// NewFault builds a *Fault; detail may be empty.
func NewFault(r Reason, detail string) *Fault { return &Fault{Reason: r, Detail: detail} }

// Faultf builds a *Fault with a formatted detail.
func Faultf(r Reason, format string, args ...any) *Fault {
	return &Fault{Reason: r, Detail: fmt.Sprintf(format, args...)}
}
