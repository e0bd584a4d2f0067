package platformsim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"
)

// weiboGetIndex answers GET /api/container/getIndex?type=uid&value={uid}&containerid=107603{uid}
// with the account's one page of posts: the pinned post first (isTop, mblogtype 2, title 置顶),
// then the regular posts newest first, one of them wrapped in a card_type 11 group, and for some
// accounts the newest being a repost. There is no since_id, so the page is the last one; a
// request for a later page gets the empty-list answer.
func (s *Sim) weiboGetIndex(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	uid := q.Get("value")
	a := s.weibo[uid]
	if q.Get("type") != "uid" || a == nil || q.Get("containerid") != "107603"+uid || (q.Get("since_id") != "" && q.Get("since_id") != "0") {
		writeJSON(w, "application/json; charset=utf-8", map[string]any{"ok": 0, "msg": "这里还没有内容", "data": map[string]any{"cards": []any{}}})
		return
	}
	user := map[string]any{"id": a.numID, "screen_name": a.Name, "verified": true, "verified_type": 1}
	var cards []any
	for j, p := range a.posts {
		mblog := map[string]any{
			"created_at": p.at.In(cst).Format(time.RubyDate),
			"id":         strconv.FormatInt(p.id, 10),
			"bid":        "Sim" + strconv.FormatInt(p.id, 36),
			"text":       a.Name + "发布的第" + strconv.Itoa(len(a.posts)-j) + "条微博",
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
		"ok": 1,
		"data": map[string]any{
			"cardlistInfo": map[string]any{"containerid": "107603" + a.ID, "v_p": 42, "show_style": 1, "total": len(a.posts)},
			"cards":        cards,
		},
	})
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
