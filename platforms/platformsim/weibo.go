package platformsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// weiboGetIndex answers GET /api/container/getIndex?type=uid&value={uid}&containerid=107603{uid}
// with the account's posts: the pinned post first (isTop, mblogtype 2, title 置顶), then the
// regular posts newest first, one of them wrapped in a card_type 11 group, and for some accounts
// the newest being a repost. Accounts page in one of the three ways real answers do (weiboPaging):
// one page; page 1 holding the pinned post and two posts made after the check time, then
// since_id; or the same with cardlistInfo.page = 2 and no since_id. cardlistInfo.total counts
// every post. A request without a SUB cookie gets HTTP 432, as m.weibo.cn answers anonymous
// callers; an unknown uid or a page past the last gets the empty-list answer.
func (s *Sim) weiboGetIndex(w http.ResponseWriter, r *http.Request) {
	if !strings.Contains(r.Header.Get("Cookie"), "SUB=") {
		w.WriteHeader(432)
		return
	}
	q := r.URL.Query()
	uid := q.Get("value")
	a := s.weibo[uid]
	empty := map[string]any{"ok": 0, "msg": "这里还没有内容", "data": map[string]any{"cards": []any{}}}
	if q.Get("type") != "uid" || a == nil || q.Get("containerid") != "107603"+uid {
		writeJSON(w, "application/json; charset=utf-8", empty)
		return
	}
	first := q.Get("since_id") == "" && q.Get("page") == ""
	second := (a.paging == bySinceID && q.Get("since_id") == a.sinceID()) || (a.paging == byPage && q.Get("page") == "2")
	var posts []post
	info := map[string]any{"containerid": "107603" + a.ID, "v_p": 42, "show_style": 1,
		"total": len(a.posts) + len(a.afterT)}
	switch {
	case first && a.paging == onePage:
		posts = a.posts
	case first:
		posts = append([]post{a.posts[0]}, a.afterT...)
		if a.paging == bySinceID {
			info["since_id"] = json.Number(a.sinceID()) // a number, as in real answers
		} else {
			info["page"] = 2
		}
	case second:
		posts = a.posts[1:]
	default:
		writeJSON(w, "application/json; charset=utf-8", empty)
		return
	}
	user := map[string]any{"id": a.numID, "screen_name": a.Name, "verified": true, "verified_type": 1}
	var cards []any
	for j, p := range posts {
		mblog := map[string]any{
			"created_at": p.at.In(cst).Format(time.RubyDate),
			"id":         strconv.FormatInt(p.id, 10),
			"bid":        "Sim" + strconv.FormatInt(p.id, 36),
			"text":       a.Name + "发布的微博 " + strconv.FormatInt(p.id%1000, 10),
			"source":     "微博 weibo.com",
			"mblogtype":  0,
			"user":       user,
		}
		if p.pinned {
			mblog["isTop"] = 1
			mblog["mblogtype"] = 2
			mblog["title"] = map[string]any{"text": "置顶", "base_color": 1}
		}
		if p.repost {
			mblog["text"] = "转发微博"
			mblog["retweeted_status"] = map[string]any{
				"created_at": p.at.Add(-5 * 24 * time.Hour).In(cst).Format(time.RubyDate),
				"id":         strconv.FormatInt(p.id-1000, 10),
				"text":       "原微博",
				"user":       map[string]any{"id": 1000000001, "screen_name": "中国政府网"},
			}
		}
		card := map[string]any{
			"card_type": 9,
			"itemid":    "107603" + a.ID + "_-_" + strconv.FormatInt(p.id, 10),
			"scheme":    "https://m.weibo.cn/status/" + strconv.FormatInt(p.id, 10),
			"mblog":     mblog,
		}
		if j == 3 {
			cards = append(cards, map[string]any{"card_type": 11, "card_group": []any{card}})
			continue
		}
		cards = append(cards, card)
	}
	writeJSON(w, "application/json; charset=utf-8", map[string]any{
		"ok":   1,
		"data": map[string]any{"cardlistInfo": info, "cards": cards},
	})
}

// sinceID is the cursor of an account's second page.
func (a *account) sinceID() string { return strconv.FormatInt(a.posts[0].id+1, 10) }

// weiboVisitor answers POST /visitor/genvisitor2 (visitor.passport.weibo.cn) with a visitor cookie,
// as JSONP and as Set-Cookie, the way the real service does. Each handshake gets a new cookie.
func (s *Sim) weiboVisitor(w http.ResponseWriter, r *http.Request) {
	n := s.visitors.Add(1)
	if r.Method != http.MethodPost {
		http.Error(w, "method", http.StatusMethodNotAllowed)
		return
	}
	sub := fmt.Sprintf("_2AkMSimVisitor%06dSUB", n)
	subp := fmt.Sprintf("0033WrSXqPxfM72-Ws9jqgMF55529P9D9Sim%06d", n)
	http.SetCookie(w, &http.Cookie{Name: "SUB", Value: sub, Path: "/", Domain: ".weibo.cn"})
	http.SetCookie(w, &http.Cookie{Name: "SUBP", Value: subp, Path: "/", Domain: ".weibo.cn"})
	w.Header().Set("Content-Type", "application/javascript; charset=utf-8")
	fmt.Fprintf(w, `window.visitor_gray_callback && visitor_gray_callback({"retcode":20000000,"msg":"succ","data":{"sub":%q,"subp":%q,"tid":"simtid%06d","new_tid":false,"alt":""}});`, sub, subp, n)
}

// weiboRejected is Weibo's answer to a client over its budget: HTTP 418 with an HTML body.
func (s *Sim) weiboRejected(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(http.StatusTeapot)
	io.WriteString(w, "<html><head><title>418 I'm a teapot</title></head><body><center><h1>418 I'm a teapot</h1></center></body></html>")
}

// writeJSON writes v as JSON, Chinese unescaped, as the platforms do.
func writeJSON(w http.ResponseWriter, contentType string, v any) {
	b, err := marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Write(b)
}

// marshal encodes without HTML escaping, so links keep their & as the real APIs send them.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
