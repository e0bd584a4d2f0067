package wechat

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/nmaudit/nmaudit/platforms"
	"github.com/nmaudit/nmaudit/platforms/names"
)

// Article pages (platforms.md Part 1, "Evidence links"; platforms-2026.md §1.6): since the 2026
// closure of the backend's article lists, reading one article page is what still works without a
// login. The page is public HTML whose inline scripts carry the publish time and the account:
//
//	var ct = "1687096896";                      publish time, unix seconds (the one to trust)
//	var create_time = "1687096896" * 1;         the same, on older pages
//	var biz = "MzA…==" || "";                   the account (= fakeid, __biz)
//	var user_name = "gh_xxxxxxxx";              its original id
//	var nickname = htmlDecode("XX发布");         its name (also the text of #js_name)
//
// svr_time (when the page was served) and the day-only publish_time are never the post's time.

// articleUA is a desktop browser's: the page is served to browsers, and one fixed set of headers
// for every link keeps the requests alike (varying them does not avoid the captcha).
const articleUA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"

var (
	ctRe         = regexp.MustCompile(`var\s+ct\s*=\s*"(\d{9,11})"`)
	createTimeRe = regexp.MustCompile(`var\s+create_time\s*=\s*"(\d{9,11})"\s*\*\s*1`)
	bizRe        = regexp.MustCompile(`var\s+biz\s*=\s*"([^"]*)"`)
	userNameRe   = regexp.MustCompile(`var\s+user_name\s*=\s*"([^"]*)"`)
	nicknameRe   = regexp.MustCompile(`var\s+nickname\s*=\s*(?:htmlDecode\(\s*)?"((?:[^"\\]|\\.)*)"`)
	jsNameRe     = regexp.MustCompile(`(?s)id="js_name"[^>]*>(.*?)</`)
	ogTitleRe    = regexp.MustCompile(`<meta\s+property="og:title"\s+content="([^"]*)"`)
	msgTitleRe   = regexp.MustCompile(`var\s+msg_title\s*=\s*'((?:[^'\\]|\\.)*)'`)
	tagRe        = regexp.MustCompile(`<[^>]*>`)
)

// The page's own words for a captcha and a deleted article (RSSHub wechat-mp.ts and test
// reports): a captcha page says 环境异常 and offers 去验证; deleted articles say so in one of
// three ways.
var (
	captchaMarks = []string{"wappoc_appmsgcaptcha", "环境异常", "去验证", "tcaptcha_iframe"}
	deletedMarks = []string{"该内容已被发布者删除", "此内容已被删除", "此内容因违规无法查看", "此内容被投诉且经审核涉嫌侵权"}
)

// CheckLink reads one article page and ties it to the account t. It implements
// platforms.LinkChecker.
//
// The link belongs to the account when the page's biz (or the link's __biz) equals the
// account's fakeid, or its user_name the account's gh_ id, or — when the registry gives neither
// — its nickname, normalised like names, equals the registered name. An id that is given and
// differs decides against the link whatever the nickname says (a namesake is the classic wrong
// match). A page with nothing to compare is not proof.
func (f *Fetcher) CheckLink(ctx context.Context, t platforms.Target, link platforms.PostLink, checkTime time.Time) (platforms.LinkProof, error) {
	if err := ctx.Err(); err != nil {
		return platforms.LinkProof{}, fmt.Errorf("wechat: %w", err)
	}
	rawURL := strings.TrimRight(f.cfg.ArticleBaseURL, "/") + link.Path
	if link.Query != "" {
		rawURL += "?" + link.Query
	}
	var (
		page  string
		final string
		hdr   http.Header
	)
	err := f.pacer.Do(ctx, func(ctx context.Context) error {
		actx, cancel := f.attemptCtx(ctx)
		defer cancel()
		resp, err := f.rc.R().SetContext(actx).
			SetHeader("User-Agent", articleUA).
			SetHeader("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8").
			SetHeader("Accept-Language", "zh-CN,zh;q=0.9").
			SetHeader("Referer", "").
			Get(rawURL)
		if err != nil {
			return f.transportErr(ctx, err, rawURL)
		}
		if s := resp.StatusCode(); s >= 300 && s < 400 {
			to := platforms.Redirected(resp.RawResponse)
			if strings.Contains(to, "captcha") {
				return f.fault(platforms.ReasonCaptcha, "", "被重定向到验证页（wappoc_appmsgcaptcha），请在浏览器中打开链接完成验证", rawURL, nil)
			}
			return f.fault(platforms.ReasonRedirected, "", fmt.Sprintf("HTTP %d → %s（未跟随）", s, to), rawURL, nil)
		}
		if resp.StatusCode() != http.StatusOK {
			return f.httpStatusErr(resp.StatusCode(), rawURL)
		}
		page, hdr = string(resp.Body()), resp.Header()
		if raw := resp.RawResponse; raw != nil && raw.Request != nil && raw.Request.URL != nil {
			final = raw.Request.URL.String()
		}
		return nil
	})
	if err != nil {
		return platforms.LinkProof{}, f.finish(ctx, err)
	}
	art, fault := parseArticle(page, final)
	if fault != nil {
		return platforms.LinkProof{}, f.fault(fault.Reason, fault.Label, fault.Detail, rawURL, nil)
	}
	if art.biz == "" {
		art.biz = link.Biz
	}
	identity, fault := belongs(art, t)
	if fault != nil {
		return platforms.LinkProof{}, f.fault(fault.Reason, fault.Label, fault.Detail, rawURL, nil)
	}
	return platforms.LinkProof{
		Source:    platforms.SourceWeChatArticle,
		Post:      platforms.Post{Time: art.at, ID: link.ID, Title: art.title},
		URL:       f.redactURL(rawURL),
		Identity:  identity,
		FetchedAt: platforms.FetchTime(hdr, f.now),
	}, nil
}

// article is what an article page says about itself.
type article struct {
	at                      time.Time
	biz, userName, nickname string
	title                   string
}

// parseArticle reads an article page; final is the URL it was served from after same-site
// redirects (a captcha redirect lands on /mp/wappoc_appmsgcaptcha).
func parseArticle(page, final string) (article, *platforms.Fault) {
	if strings.Contains(final, "wappoc_appmsgcaptcha") {
		return article{}, platforms.NewFault(platforms.ReasonCaptcha, "被重定向到验证页，请在浏览器中打开链接完成验证")
	}
	m := ctRe.FindStringSubmatch(page)
	if m == nil {
		m = createTimeRe.FindStringSubmatch(page)
	}
	if m == nil {
		// Only a page without the article is checked for the block and deletion words: an
		// article may quote them.
		for _, mark := range captchaMarks {
			if strings.Contains(page, mark) {
				return article{}, platforms.NewFault(platforms.ReasonCaptcha, "文章页显示“环境异常”，请在浏览器中打开链接完成验证")
			}
		}
		for _, mark := range deletedMarks {
			if strings.Contains(page, mark) {
				return article{}, platforms.NewFault(platforms.ReasonDeleted, mark)
			}
		}
		return article{}, platforms.NewFault(platforms.ReasonBadResponse, "文章页中没有发布时间（ct / create_time）")
	}
	sec, _ := strconv.ParseInt(m[1], 10, 64)
	if sec < minSendTime || sec > maxSendTime {
		return article{}, platforms.Faultf(platforms.ReasonBadResponse, "发布时间 %s 超出合理范围", m[1])
	}
	a := article{at: time.Unix(sec, 0).In(cst)}
	if m := bizRe.FindStringSubmatch(page); m != nil {
		a.biz = strings.TrimSpace(m[1])
	}
	if m := userNameRe.FindStringSubmatch(page); m != nil {
		a.userName = strings.TrimSpace(m[1])
	}
	if m := nicknameRe.FindStringSubmatch(page); m != nil {
		a.nickname = jsString(m[1])
	}
	if a.nickname == "" {
		if m := jsNameRe.FindStringSubmatch(page); m != nil {
			a.nickname = strings.TrimSpace(html.UnescapeString(tagRe.ReplaceAllString(m[1], "")))
		}
	}
	if m := ogTitleRe.FindStringSubmatch(page); m != nil {
		a.title = html.UnescapeString(m[1])
	} else if m := msgTitleRe.FindStringSubmatch(page); m != nil {
		a.title = jsString(m[1])
	}
	return a, nil
}

// jsString undoes the escapes a JS string literal in the page may carry (\x26, \u4e2d, \") and
// then the HTML entities htmlDecode would.
func jsString(s string) string {
	if strings.Contains(s, `\`) {
		if u, err := strconv.Unquote(`"` + strings.ReplaceAll(s, `\'`, `'`) + `"`); err == nil {
			s = u
		}
	}
	return strings.TrimSpace(html.UnescapeString(s))
}

// belongs ties an article to the account, or says whose it is.
func belongs(a article, t platforms.Target) (string, *platforms.Fault) {
	wrong := func(format string, args ...any) (string, *platforms.Fault) {
		return "", &platforms.Fault{Reason: platforms.ReasonWrongAccount, Detail: fmt.Sprintf(format, args...)}
	}
	switch {
	case t.IDKind == platforms.IDWeChatBiz && t.ID != "" && a.biz != "":
		if a.biz != t.ID {
			return wrong("文章的 __biz 为 %s，登记的是 %s（公众号“%s”）", a.biz, t.ID, a.nickname)
		}
		return "文章的 __biz 与登记的一致（" + a.biz + "）", nil
	case t.IDKind == platforms.IDWeChatGhID && t.ID != "" && a.userName != "":
		if !strings.EqualFold(a.userName, t.ID) {
			return wrong("文章的原始ID为 %s，登记的是 %s（公众号“%s”）", a.userName, t.ID, a.nickname)
		}
		return "文章的原始ID与登记的一致（" + a.userName + "）", nil
	case a.nickname != "" && names.Normalize(t.Name) != "":
		if names.Normalize(a.nickname) != names.Normalize(t.Name) {
			return wrong("文章来自公众号“%s”，不是“%s”", a.nickname, t.Name)
		}
		return "文章的公众号名称与登记名称一致（" + a.nickname + "）", nil
	}
	return "", platforms.NewFault(platforms.ReasonBadResponse, "文章页中没有可与登记信息核对的账号标识（biz、原始ID、公众号名称）")
}
