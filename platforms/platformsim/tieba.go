package platformsim

import (
	"crypto/md5"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Tieba's client API answers a failure with a non-zero error_code and an error_msg. The real
// codes for frequency control, a bad sign and a missing user or forum are not documented
// anywhere public (platforms.md §3c: unverified), so the simulator uses these, exported so an
// adapter's tests or a benchmark can recognise them.
const (
	TiebaRateLimitCode = "220034"
	TiebaRateLimitMsg  = "您的访问频率过快，请稍后再试"
	TiebaSignErrorCode = "110003"
	TiebaNotFoundCode  = "340006"
)

// TiebaSecurityPage is the page the web endpoint serves under risk control (百度安全验证).
const TiebaSecurityPage = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>百度安全验证</title></head>` +
	`<body><div class="timeout-title">网络不给力，请稍后重试</div><div class="timeout-button">返回首页</div>` +
	`<p>百度安全验证</p></body></html>`

// tiebaUserJSON answers GET /i/sys/user_json?un={name}&ie=utf-8 with {"creator":{id, name,
// portrait}}, or {} for an unknown name. It is served as text/html, which is how Baidu's web
// endpoints label JSON, so an adapter that trusts the Content-Type fails here as it would live.
func (s *Sim) tiebaUserJSON(w http.ResponseWriter, r *http.Request) {
	a := s.tiebaUN[r.URL.Query().Get("un")]
	if a == nil {
		writeJSON(w, "text/html; charset=utf-8", map[string]any{})
		return
	}
	writeJSON(w, "text/html; charset=utf-8", map[string]any{"creator": map[string]any{
		"id": a.numID, "name": a.Name, "name_show": a.Name, "portrait": a.portrait,
	}})
}

// tiebaUserPost answers POST /c/u/feed/userpost (form uid, pn, rn, sign, …) with the user's
// posts newest first, create_time as unix seconds in a string, paged by pn and rn.
func (s *Sim) tiebaUserPost(w http.ResponseWriter, r *http.Request) {
	form, ok := signedForm(w, r)
	if !ok {
		return
	}
	a := s.tiebaUID[form.Get("uid")]
	if a == nil {
		tiebaError(w, TiebaNotFoundCode, "用户不存在")
		return
	}
	var regular []post
	for _, p := range a.posts {
		if !p.pinned { // a user's post list has no pinned posts
			regular = append(regular, p)
		}
	}
	page := pageOf(regular, atoi(form.Get("pn"), 1), atoi(form.Get("rn"), 20))
	list := make([]any, 0, len(page))
	for _, p := range page {
		ct := strconv.FormatInt(p.at.Unix(), 10)
		pid := strconv.FormatInt(p.id*10+1, 10)
		list = append(list, map[string]any{
			"forum_id": "52" + strconv.Itoa(a.k), "forum_name": a.Name, "thread_id": strconv.FormatInt(p.id, 10),
			"post_id": pid, "is_thread": "1", "create_time": ct, "title": a.Name + "：政务信息公开",
			"user_id": strconv.FormatInt(a.numID, 10), "user_name": a.Name, "name_show": a.Name,
			"user_portrait": a.portrait, "post_type": "0", "reply_num": "3",
			"content": []any{map[string]any{
				"post_content": []any{map[string]any{"type": "0", "text": "政务信息"}},
				"create_time":  ct, "post_id": pid,
			}},
		})
	}
	writeJSON(w, "application/json; charset=utf-8", map[string]any{
		"error_code": "0", "error_msg": "", "hide_post": "0", "post_list": list,
	})
}

// tiebaForum answers POST /c/f/frs/page (form kw, pn, rn, sign, …) for the forum named after
// each Tieba account: a pinned thread years old by create_time but with a recent last reply,
// then the account's threads. The latest create_time ≤ T is the account's Latest; a thread's
// last_time_int is later than its create_time and must not be read as a post time.
func (s *Sim) tiebaForum(w http.ResponseWriter, r *http.Request) {
	form, ok := signedForm(w, r)
	if !ok {
		return
	}
	a := s.tiebaUN[form.Get("kw")]
	if a == nil {
		tiebaError(w, TiebaNotFoundCode, "该吧不存在")
		return
	}
	page := pageOf(a.posts, atoi(form.Get("pn"), 1), atoi(form.Get("rn"), 30))
	threads := make([]any, 0, len(page))
	for _, p := range page {
		id := strconv.FormatInt(p.id, 10)
		top := "0"
		title := "关于" + a.Name + "的通知"
		if p.pinned {
			top, title = "1", "【公告】本吧吧规"
		}
		threads = append(threads, map[string]any{
			"id": id, "tid": id, "title": title, "author_id": strconv.FormatInt(a.numID, 10),
			"create_time": strconv.FormatInt(p.at.Unix(), 10), "last_time_int": strconv.FormatInt(p.replyAt.Unix(), 10),
			"is_top": top, "is_good": "0", "reply_num": "5",
			"first_post_content": []any{map[string]any{"type": "0", "text": title}},
		})
	}
	writeJSON(w, "application/json; charset=utf-8", map[string]any{
		"error_code":  "0",
		"forum":       map[string]any{"id": "52" + strconv.Itoa(a.k), "name": a.Name},
		"thread_list": threads,
		"user_list":   []any{map[string]any{"id": strconv.FormatInt(a.numID, 10), "name": a.Name, "name_show": a.Name}},
	})
}

// tiebaClientRejected is the client API's answer to a client over its budget.
func tiebaClientRejected(w http.ResponseWriter, r *http.Request) {
	tiebaError(w, TiebaRateLimitCode, TiebaRateLimitMsg)
}

// tiebaWebRejected is the web endpoint's answer under risk control: the security page, HTTP 200.
func tiebaWebRejected(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	io.WriteString(w, TiebaSecurityPage)
}

func tiebaError(w http.ResponseWriter, code, msg string) {
	writeJSON(w, "application/json; charset=utf-8", map[string]any{"error_code": code, "error_msg": msg})
}

// signedForm parses the client API form and checks its sign, as the real server does: a
// request whose sign is wrong is refused, which catches an adapter that signs the wrong bytes.
func signedForm(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	if err := r.ParseForm(); err != nil {
		tiebaError(w, TiebaSignErrorCode, "参数错误")
		return nil, false
	}
	form := r.PostForm
	if r.Method != http.MethodPost {
		form = r.Form
	}
	if got := form.Get("sign"); got == "" || !strings.EqualFold(got, Sign(form)) {
		tiebaError(w, TiebaSignErrorCode, "签名错误")
		return nil, false
	}
	return form, true
}

// Sign is the Tieba client API signature (platforms.md Part 1): the lower-case hex MD5 of the
// parameters other than sign, sorted by key and joined as key=value with no separator, followed
// by "tiebaclient!!!", values as raw UTF-8.
func Sign(form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		if k != "sign" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	h := md5.New()
	for _, k := range keys {
		io.WriteString(h, k+"="+form.Get(k))
	}
	io.WriteString(h, "tiebaclient!!!")
	return hex.EncodeToString(h.Sum(nil))
}

// pageOf returns page pn (from 1) of rn items.
func pageOf[T any](all []T, pn, rn int) []T {
	if pn < 1 || rn < 1 {
		return nil
	}
	start := (pn - 1) * rn
	if start >= len(all) {
		return nil
	}
	return all[start:min(start+rn, len(all))]
}

func atoi(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}
