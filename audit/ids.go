package audit

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/nmaudit/nmaudit/platforms"
)

var (
	digitsRe = regexp.MustCompile(`^[0-9]+$`)
	// A 微信号 is 6–20 letters, digits, '_' or '-', starting with a letter.
	wechatAliasRe = regexp.MustCompile(`^[A-Za-z][-_A-Za-z0-9]{5,19}$`)
	ghIDRe        = regexp.MustCompile(`^gh_[0-9a-fA-F]{12}$`)
	bizRe         = regexp.MustCompile(`^[A-Za-z0-9+/]{8,}={0,2}$`)
)

// ParseID reads an account id cell in any of the forms design.md lists for the platform
// ("Account ids") and says what kind of id it is. An empty cell is IDNone: the adapter resolves
// the account by its name. A cell that is none of the accepted forms is an error: a wrong id
// would audit the wrong account, so it is never guessed at.
func ParseID(p platforms.Platform, raw string) (platforms.IDKind, string, error) {
	s := strings.TrimSpace(compact(raw))
	if s == "" {
		return platforms.IDNone, "", nil
	}
	switch p {
	case platforms.Weibo:
		return parseWeiboID(s)
	case platforms.WeChat:
		return parseWeChatID(s)
	case platforms.Tieba:
		return parseTiebaID(s)
	}
	return platforms.IDOther, s, nil
}

// asURL parses s as a URL when it looks like one, adding the scheme people leave out.
func asURL(s string) (*url.URL, bool) {
	if !strings.Contains(s, "/") && !strings.Contains(s, "?") {
		return nil, false
	}
	if !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return nil, false
	}
	return u, true
}

func parseWeiboID(s string) (platforms.IDKind, string, error) {
	if digitsRe.MatchString(s) {
		return platforms.IDWeiboUID, s, nil
	}
	if u, ok := asURL(s); ok && strings.Contains(u.Host, "weibo.") {
		segs := strings.Split(strings.Trim(u.Path, "/"), "/")
		// weibo.com/u/UID, m.weibo.cn/u/UID, m.weibo.cn/profile/UID, weibo.com/UID
		switch {
		case len(segs) >= 2 && (segs[0] == "u" || segs[0] == "profile") && digitsRe.MatchString(segs[1]):
			return platforms.IDWeiboUID, segs[1], nil
		case len(segs) >= 1 && digitsRe.MatchString(segs[0]):
			return platforms.IDWeiboUID, segs[0], nil
		}
		if uid := u.Query().Get("uid"); digitsRe.MatchString(uid) {
			return platforms.IDWeiboUID, uid, nil
		}
		return "", "", fmt.Errorf("微博链接 %q 中没有数字 UID（请填写 https://weibo.com/u/UID 形式的主页地址或 UID）", s)
	}
	return "", "", fmt.Errorf("无法识别的微博账号 %q：应为数字 UID 或 https://weibo.com/u/UID", s)
}

func parseWeChatID(s string) (platforms.IDKind, string, error) {
	if u, ok := asURL(s); ok {
		if biz := u.Query().Get("__biz"); biz != "" {
			if isBiz(biz) {
				return platforms.IDWeChatBiz, biz, nil
			}
			return "", "", fmt.Errorf("链接中的 __biz %q 不是有效的公众号标识", biz)
		}
		return "", "", fmt.Errorf("公众号链接 %q 中没有 __biz 参数（短链接无法识别账号，请填写含 __biz= 的文章链接、原始ID或微信号）", s)
	}
	switch {
	case ghIDRe.MatchString(s):
		return platforms.IDWeChatGhID, s, nil
	case isBiz(s):
		return platforms.IDWeChatBiz, s, nil
	case wechatAliasRe.MatchString(s):
		return platforms.IDWeChatAlias, s, nil
	}
	return "", "", fmt.Errorf("无法识别的公众号标识 %q：应为 __biz、含 __biz= 的文章链接、gh_ 原始ID或微信号", s)
}

// isBiz reports whether s is a fakeid/__biz: base64 of the account's numeric biz uin.
func isBiz(s string) bool {
	if !bizRe.MatchString(s) {
		return false
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
	}
	return err == nil && len(b) > 0 && digitsRe.Match(b)
}

func parseTiebaID(s string) (platforms.IDKind, string, error) {
	if u, ok := asURL(s); ok {
		if !strings.Contains(u.Host, "tieba.baidu.com") {
			return "", "", fmt.Errorf("贴吧链接 %q 不是 tieba.baidu.com 的地址", s)
		}
		q := queryUTF8(u.RawQuery)
		switch {
		case strings.HasPrefix(u.Path, "/f") && q.Get("kw") != "":
			return platforms.IDTiebaForum, q.Get("kw"), nil
		case q.Get("un") != "":
			return platforms.IDTiebaUser, q.Get("un"), nil
		}
		return "", "", fmt.Errorf("贴吧链接 %q 中没有 un=（用户主页）或 kw=（吧）参数", s)
	}
	if digitsRe.MatchString(s) {
		return platforms.IDTiebaUserID, s, nil
	}
	return platforms.IDTiebaUser, s, nil
}

// queryUTF8 parses a query whose escaped bytes may be GBK (old tieba links use ie=gbk).
func queryUTF8(raw string) url.Values {
	q, _ := url.ParseQuery(raw)
	for k, vs := range q {
		for i, v := range vs {
			if !utf8.ValidString(v) {
				if d, err := simplifiedchinese.GB18030.NewDecoder().String(v); err == nil {
					vs[i] = d
				}
			}
		}
		q[k] = vs
	}
	return q
}
