package platforms

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Evidence links (../shared/platforms.md Part 1, "Evidence links"): the URL of one post, given
// by a person in an observations file or the 人工核对 worksheet. Reading that one post proves that
// the account posted at the post's time — and never that it did not post — so a link can make an
// account 合格 but never 不合格.

// PostLink is a post URL, recognised: which platform it is on and what identifies the post.
type PostLink struct {
	Platform Platform
	Raw      string // as given
	// Path and Query are what is asked of the configured base URL: the host of the given URL is
	// replaced (a link pasted from a browser names the real host; tests and proxies name another).
	Path, Query string
	// Biz is a WeChat long link's __biz; UID the Weibo uid of a weibo.com/{uid}/{bid} link.
	Biz, UID string
	// ID is the post: a Weibo mid or bid, a Tieba thread id; for a WeChat short link the token.
	ID string
}

// Sources of verified links (the Observation source a link becomes; design.md, source).
const (
	SourceWeChatArticle = "wechat-article"
	SourceWeibo         = "weibo"
	SourceTieba         = "tieba"
)

var (
	weiboStatusPath = regexp.MustCompile(`^/(?:status|detail)/([0-9A-Za-z]+)/?$`)
	weiboUIDBidPath = regexp.MustCompile(`^/(?:u/)?([0-9]{5,12})/([0-9A-Za-z]{6,20})/?$`)
	tiebaThreadPath = regexp.MustCompile(`^/p/([0-9]{5,20})/?$`)
	wechatShortPath = regexp.MustCompile(`^/s/([0-9A-Za-z_-]{8,64})/?$`)
)

// notALink is the detail of a URL that is not a post link nmaudit can read.
const notALink = "不是可核验的文章链接（支持公众号文章 mp.weixin.qq.com/s/…、微博 m.weibo.cn/status/…、weibo.com/UID/…、贴吧帖子 tieba.baidu.com/p/…）"

// ParseLink recognises a post URL. A URL that is not one (another site, a profile page, a
// search) is a *Fault with ReasonUnsupported: the link cannot be checked, which leaves the row's
// typed time, if any, as it is.
func ParseLink(raw string) (PostLink, error) {
	s := strings.TrimSpace(raw)
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return PostLink{}, &Fault{Reason: ReasonUnsupported, Label: "链接无法核验", Detail: notALink}
	}
	host := strings.ToLower(u.Hostname())
	l := PostLink{Raw: s, Path: u.EscapedPath(), Query: u.RawQuery}
	switch {
	case host == "mp.weixin.qq.com":
		q := u.Query()
		switch {
		case u.Path == "/s" && q.Get("__biz") != "":
			l.Platform, l.Biz = WeChat, q.Get("__biz")
			l.ID = q.Get("mid") + "_" + q.Get("idx")
		case wechatShortPath.MatchString(u.Path):
			l.Platform, l.ID = WeChat, wechatShortPath.FindStringSubmatch(u.Path)[1]
			l.Query = "" // a short link needs no query; tracking parameters would only vary
		}
	case host == "m.weibo.cn" || host == "weibo.cn":
		if m := weiboStatusPath.FindStringSubmatch(u.Path); m != nil {
			l.Platform, l.ID = Weibo, m[1]
		}
	case host == "weibo.com" || host == "www.weibo.com":
		if m := weiboUIDBidPath.FindStringSubmatch(u.Path); m != nil {
			l.Platform, l.UID, l.ID = Weibo, m[1], m[2]
		} else if m := weiboStatusPath.FindStringSubmatch(u.Path); m != nil {
			l.Platform, l.ID = Weibo, m[1]
		}
	case host == "tieba.baidu.com" || host == "jump2.bdimg.com":
		if m := tiebaThreadPath.FindStringSubmatch(u.Path); m != nil {
			l.Platform, l.ID = Tieba, m[1]
		}
	}
	if l.Platform == "" {
		return PostLink{}, &Fault{Reason: ReasonUnsupported, Label: "链接无法核验", Detail: notALink}
	}
	return l, nil
}

// LinkProof is a post read from its link and tied to the account.
type LinkProof struct {
	Source    string // SourceWeChatArticle, SourceWeibo or SourceTieba
	Post      Post
	URL       string // the request that read it, secrets removed
	Identity  string // how the post was tied to the account, for the person reading the evidence
	FetchedAt time.Time
}

// LinkChecker is the optional ability of an adapter to read one post from its link.
//
// Error contract, as Fetcher's: every failure is a *Fault. A link to another account's post is
// ReasonWrongAccount (the row it came from is void); a deleted post ReasonDeleted; a captcha
// ReasonCaptcha; a page without the post's time ReasonBadResponse.
type LinkChecker interface {
	CheckLink(ctx context.Context, t Target, link PostLink, checkTime time.Time) (LinkProof, error)
}

// CheckLink finds the adapter of the link's platform and asks it. A link on another platform
// than the account's belongs to another account; a platform whose adapter cannot read links, or
// has none, is ReasonUnsupported.
func (r *Registry) CheckLink(ctx context.Context, t Target, link PostLink, checkTime time.Time) (LinkProof, error) {
	if link.Platform != t.Platform {
		return LinkProof{}, &Fault{Reason: ReasonWrongAccount,
			Detail: fmt.Sprintf("链接是%s的内容，账号是%s", platformWord(link.Platform), platformWord(t.Platform))}
	}
	f, ok := r.fetchers[t.Platform]
	if !ok {
		return LinkProof{}, NewFault(ReasonUnsupported, "")
	}
	lc, ok := f.(LinkChecker)
	if !ok {
		return LinkProof{}, &Fault{Reason: ReasonUnsupported, Label: "链接无法核验", Detail: "该平台不支持读取文章链接"}
	}
	return lc.CheckLink(ctx, t, link, checkTime)
}

func platformWord(p Platform) string {
	switch p {
	case WeChat:
		return "微信公众号"
	case Weibo:
		return "新浪微博"
	case Tieba:
		return "百度贴吧"
	}
	return string(p)
}
