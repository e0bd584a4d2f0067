package weibo

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/nmaudit/nmaudit/platforms"
)

// The visitor cookie (platforms.md Part 1, "Visitor cookie"): with no cookie configured,
// m.weibo.cn answers HTTP 432 to every API call. A visitor cookie from passport's genvisitor2
// handshake is enough for the post list, so Weibo works on a fresh install with no set-up.
//
// One handshake per run, before the first Weibo request, shared by every worker; on a 432 or a
// login ok:-100 the cookie is renewed once per run (not per account) and the request asked again.
// The cookie is a secret like a configured one: it goes on the wire only to base_url, and is
// added to the run's redactor before anything that holds it could be printed.

const (
	visitorPath  = "/visitor/genvisitor2"
	visitorForm  = "cb=visitor_gray_callback&tid=&from=weibo"
	visitorOK    = 20000000
	labelVisitor = "需要登录"
	// noticeVisitor is printed once per run when the handshake fails; it names the fix.
	noticeVisitor = "微博访客 Cookie 获取失败（%s），本次所有微博账号为待核查。请在浏览器中登录 m.weibo.cn，" +
		"复制请求头中的 Cookie，配置 platforms.weibo.cookie（或环境变量 NMAUDIT_PLATFORMS_WEIBO_COOKIE）后复核"
)

// visitor holds the run's visitor cookie.
type visitor struct {
	base string // visitor_base_url

	mu      sync.Mutex
	cookie  string
	err     *platforms.Fault // the handshake failed: every account gets this fault
	renewed bool             // the one renewal of the run has been made
}

// cookie is the Cookie header to send: the configured one, the run's visitor cookie (getting it
// on first use), or "" when visitor cookies are off.
func (f *Fetcher) cookie(ctx context.Context) (string, error) {
	if f.cfg.Cookie != "" {
		return f.cfg.Cookie.Reveal(), nil
	}
	v := f.visitor
	if v == nil {
		return "", nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.cookie == "" && v.err == nil {
		cookie, fault := f.handshake(ctx)
		switch {
		case ctx.Err() != nil:
			return "", ctx.Err()
		case fault == nil:
			v.cookie = cookie
		case fault.Reason == platforms.ReasonNetwork:
			// The service could not be reached (after the pacer's retries): this account is
			// 待核查 (网络错误) and the next one tries again — a network blip must not cost the
			// whole run its Weibo accounts.
			return "", fault
		default:
			// The service answered, and not with a cookie: that holds for the whole run.
			v.err = fault
			f.notify(fmt.Sprintf(noticeVisitor, fault.Detail))
		}
	}
	if v.err != nil {
		return "", v.err
	}
	return v.cookie, nil
}

// renewCookie replaces the visitor cookie used after it was refused. Workers that were refused
// with the same cookie share one renewal; a second refusal in the run is final.
func (f *Fetcher) renewCookie(ctx context.Context, used string) (string, error) {
	v := f.visitor
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.err != nil {
		return "", v.err
	}
	if v.cookie != used {
		return v.cookie, nil // another worker renewed it already
	}
	if v.renewed {
		return "", &platforms.Fault{Reason: platforms.ReasonLoginRequired, Label: labelVisitor,
			Detail: "访客 Cookie 更换后仍被拒绝，请配置 platforms.weibo.cookie"}
	}
	v.renewed = true
	cookie, fault := f.handshake(ctx)
	if fault != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fault
	}
	v.cookie = cookie
	return cookie, nil
}

// handshake is one genvisitor2 call. Its answer is JSONP,
//
//	window.visitor_gray_callback && visitor_gray_callback({"retcode":20000000,"msg":"succ",
//	  "data":{"sub":"_2A…","subp":"0033…","tid":"…"}});
//
// and it may also set cookies; the cookie sent afterwards is SUB and SUBP from data with every
// cookie the answer set (keeping only SUB was a known cause of 432s with visitor cookies).
func (f *Fetcher) handshake(ctx context.Context) (string, *platforms.Fault) {
	raw := f.visitor.base + visitorPath
	var (
		body    []byte
		cookies []*http.Cookie
	)
	err := f.pacer.Do(ctx, func(ctx context.Context) error {
		actx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
		defer cancel()
		resp, err := f.rc.R().
			SetContext(actx).
			SetHeader("User-Agent", f.cfg.UserAgent).
			SetHeader("Content-Type", "application/x-www-form-urlencoded").
			SetHeader("Referer", f.visitor.base+"/visitor/visitor?a=enter").
			SetBody(visitorForm).
			Post(raw)
		if err != nil {
			return f.transportFault(ctx, actx, err)
		}
		if s := resp.StatusCode(); s != http.StatusOK {
			fault := platforms.Faultf(platforms.ReasonLoginRequired, "HTTP %d", s)
			if s >= 500 || rateLimited(s) {
				return platforms.Retry(fault)
			}
			return fault
		}
		body, cookies = resp.Body(), resp.Cookies()
		return nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return "", platforms.NewFault(platforms.ReasonNetwork, ctx.Err().Error())
		}
		fault, ok := platforms.AsFault(err)
		if !ok {
			fault = platforms.NewFault(platforms.ReasonNetwork, err.Error())
		}
		if fault.Reason == platforms.ReasonNetwork {
			return "", f.seal(&platforms.Fault{Reason: platforms.ReasonNetwork,
				Detail: "获取微博访客 Cookie 时：" + fault.Detail}, raw)
		}
		return "", f.visitorFault(fault.Error(), raw)
	}
	sub, subp, why := parseVisitor(body)
	if why != "" {
		return "", f.visitorFault(why, raw)
	}
	cookie := joinCookies(sub, subp, cookies)
	f.own.Add(platforms.Secret(cookie), platforms.Secret(sub), platforms.Secret(subp))
	f.shared.Add(platforms.Secret(cookie), platforms.Secret(sub), platforms.Secret(subp))
	return cookie, nil
}

func (f *Fetcher) visitorFault(why, raw string) *platforms.Fault {
	return f.seal(&platforms.Fault{Reason: platforms.ReasonLoginRequired, Label: labelVisitor,
		Detail: "访客 Cookie 获取失败：" + why}, raw)
}

// parseVisitor reads genvisitor2's JSONP. why is "" on success, else what was wrong.
func parseVisitor(body []byte) (sub, subp, why string) {
	s := string(body)
	i, j := strings.Index(s, "{"), strings.LastIndex(s, "}")
	if i < 0 || j < i {
		return "", "", "应答不是访客接口的 JSONP：" + snippet(body)
	}
	var v struct {
		Retcode json.Number `json:"retcode"`
		Msg     string      `json:"msg"`
		Data    *struct {
			Sub  string `json:"sub"`
			Subp string `json:"subp"`
		} `json:"data"`
	}
	d := json.NewDecoder(strings.NewReader(s[i : j+1]))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return "", "", "访客接口应答无法解析：" + err.Error()
	}
	if v.Retcode.String() != fmt.Sprint(visitorOK) {
		return "", "", fmt.Sprintf("retcode %s %s", v.Retcode, v.Msg)
	}
	if v.Data == nil || strings.TrimSpace(v.Data.Sub) == "" {
		return "", "", "应答中没有 sub"
	}
	if strings.ContainsAny(v.Data.Sub+v.Data.Subp, ";\r\n\x00") {
		return "", "", "sub/subp 含有非法字符"
	}
	return v.Data.Sub, v.Data.Subp, ""
}

// joinCookies builds the Cookie header: SUB and SUBP from the answer's data, then every other
// cookie the answer set, in the order it set them.
func joinCookies(sub, subp string, set []*http.Cookie) string {
	parts := []string{"SUB=" + sub}
	if subp != "" {
		parts = append(parts, "SUBP="+subp)
	}
	for _, c := range set {
		if c.Name == "SUB" || c.Name == "SUBP" || c.Value == "" || strings.ContainsAny(c.Value, ";\r\n") {
			continue
		}
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}
