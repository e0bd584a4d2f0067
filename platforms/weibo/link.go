package weibo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/nmaudit/nmaudit/platforms"
	"github.com/nmaudit/nmaudit/platforms/names"
)

// Evidence links (platforms.md Part 1): a Weibo post URL — m.weibo.cn/status/{id},
// m.weibo.cn/detail/{id} or weibo.com/{uid}/{bid} — is read through
// GET {base_url}/statuses/show?id={id or bid}, with the same headers and cookie as the post list:
//
//	{"ok":1,"data":{"created_at":"Sun Aug 21 10:00:00 +0800 2022","id":"…","bid":"…",
//	  "user":{"id":3512345678,"screen_name":"…"}}}

// CheckLink reads one post and ties it to the account: its user.id must be the registered uid
// (or, when the registry gives no uid, its screen_name the registered name). It implements
// platforms.LinkChecker. Faults are as for the post list; a post Weibo says does not exist is
// ReasonDeleted.
func (f *Fetcher) CheckLink(ctx context.Context, t platforms.Target, link platforms.PostLink, checkTime time.Time) (platforms.LinkProof, error) {
	uid := ""
	if t.IDKind == platforms.IDWeiboUID {
		uid = strings.TrimSpace(t.ID)
	}
	if link.UID != "" && uid != "" && link.UID != uid {
		// weibo.com/{uid}/{bid} names its author: no request needed to see it is someone else's.
		return platforms.LinkProof{}, &platforms.Fault{Reason: platforms.ReasonWrongAccount,
			Detail: fmt.Sprintf("链接中的 UID 为 %s，登记的是 %s", link.UID, uid)}
	}
	path := "/statuses/show?id=" + url.QueryEscape(link.ID)
	raw := f.base + path
	cookie, err := f.cookie(ctx)
	if err != nil {
		return platforms.LinkProof{}, f.fail(ctx, uid, err, raw)
	}
	var (
		body    []byte
		fetched time.Time
	)
	for renewed := false; ; renewed = true {
		body, fetched, err = f.get(ctx, uid, path, cookie)
		if err == nil {
			var fault *platforms.Fault
			if fault = statusLoginOrOK(body); fault == nil {
				break
			}
			err = fault
		}
		if !isLogin(err) || f.visitor == nil || renewed {
			return platforms.LinkProof{}, f.fail(ctx, uid, f.loginLabel(err, renewed), raw)
		}
		if cookie, err = f.renewCookie(ctx, cookie); err != nil {
			return platforms.LinkProof{}, f.fail(ctx, uid, err, raw)
		}
	}
	p, author, name, fault := parseStatus(body, fetched)
	if fault != nil {
		return platforms.LinkProof{}, f.seal(fault, raw)
	}
	identity := ""
	switch {
	case uid != "" && author != "":
		if author != uid {
			return platforms.LinkProof{}, f.seal(&platforms.Fault{Reason: platforms.ReasonWrongAccount,
				Detail: fmt.Sprintf("微博作者为“%s”（UID %s），登记的 UID 是 %s", name, author, uid)}, raw)
		}
		identity = "微博作者 UID 与登记的一致（" + uid + "）"
	case name != "" && names.Normalize(t.Name) != "":
		if names.Normalize(name) != names.Normalize(t.Name) {
			return platforms.LinkProof{}, f.seal(&platforms.Fault{Reason: platforms.ReasonWrongAccount,
				Detail: fmt.Sprintf("微博作者为“%s”，不是“%s”", name, t.Name)}, raw)
		}
		identity = "微博作者昵称与登记名称一致（" + name + "）"
	default:
		return platforms.LinkProof{}, f.seal(platforms.NewFault(platforms.ReasonBadResponse, "应答中没有作者信息，无法核对账号"), raw)
	}
	return platforms.LinkProof{Source: Source, Post: p, URL: f.redactURL(raw), Identity: identity, FetchedAt: fetched}, nil
}

func isLogin(err error) bool {
	fault, ok := err.(*platforms.Fault)
	return ok && fault.Reason == platforms.ReasonLoginRequired
}

// statusLoginOrOK applies the getIndex outcomes to a statuses/show body: nil means read it.
func statusLoginOrOK(body []byte) *platforms.Fault {
	b := bytes.TrimSpace(bytes.TrimPrefix(body, utf8BOM))
	if len(b) == 0 || b[0] != '{' {
		return platforms.Faultf(platforms.ReasonBadResponse, "响应不是 JSON（开头：%s）", snippet(b))
	}
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return platforms.Faultf(platforms.ReasonBadResponse, "响应不是有效的 JSON：%v", err)
	}
	msg := strings.TrimSpace(string(env.Msg))
	noData := len(env.Data) == 0 || string(env.Data) == "null"
	switch {
	case env.OK != nil && *env.OK == -100 && strings.Contains(strings.ToLower(string(env.URL)), "captcha"):
		return platforms.Faultf(platforms.ReasonCaptcha, "ok:-100，请在浏览器中打开验证地址完成验证：%s", string(env.URL))
	case env.OK != nil && *env.OK == -100:
		return &platforms.Fault{Reason: platforms.ReasonLoginRequired, Label: labelLogin, Detail: okDetail(-100, msg)}
	case env.URL != "" && noData:
		return platforms.Faultf(platforms.ReasonCaptcha, "请在浏览器中打开验证地址完成验证：%s", string(env.URL))
	case env.OK == nil:
		return platforms.NewFault(platforms.ReasonBadResponse, "JSON 中没有 ok 字段")
	case *env.OK == 0 && (strings.Contains(msg, "不存在") || strings.Contains(msg, "删除")):
		return platforms.NewFault(platforms.ReasonDeleted, okDetail(0, msg))
	case *env.OK != 1:
		return platforms.NewFault(platforms.ReasonPlatformError, okDetail(int(*env.OK), msg))
	case noData:
		return platforms.NewFault(platforms.ReasonBadResponse, "ok:1 但没有 data")
	}
	return nil
}

// parseStatus reads statuses/show's data: the post and its author's uid and screen name.
func parseStatus(body []byte, fetched time.Time) (platforms.Post, string, string, *platforms.Fault) {
	var env struct {
		Data struct {
			mblog
			User *struct {
				ID         flexString `json:"id"`
				ScreenName string     `json:"screen_name"`
			} `json:"user"`
		} `json:"data"`
	}
	if err := json.Unmarshal(bytes.TrimPrefix(bytes.TrimSpace(body), utf8BOM), &env); err != nil {
		return platforms.Post{}, "", "", platforms.Faultf(platforms.ReasonBadResponse, "data 无法解析：%v", err)
	}
	m := env.Data.mblog
	id := string(m.ID)
	if id == "" {
		id = string(m.BID)
	}
	t, dayOnly, err := parseCreatedAt(m.CreatedAt, fetched)
	if err != nil {
		return platforms.Post{}, "", "", platforms.Faultf(platforms.ReasonBadResponse, "无法解析发布时间 created_at %q（微博 %s）", m.CreatedAt, id)
	}
	p := platforms.Post{Time: t, DayOnly: dayOnly, ID: id, Title: title(m.Text)}
	if env.Data.User == nil {
		return p, "", "", nil
	}
	return p, strings.TrimSpace(string(env.Data.User.ID)), strings.TrimSpace(env.Data.User.ScreenName), nil
}
