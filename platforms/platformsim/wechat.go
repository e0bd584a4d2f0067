package platformsim

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// WeChat 公众平台 base_resp.ret codes the simulator answers with (platforms.md §1b).
const (
	WeChatInvalidSession = 200003 // no token in the query: the session is missing or expired
	WeChatInvalidArgs    = 200002 // an unknown fakeid
	WeChatFreqControl    = 200013 // over the budget
)

const wechatJSON = "application/json; charset=UTF-8"

func baseResp(ret int, msg string) map[string]any {
	return map[string]any{"ret": ret, "err_msg": msg}
}

// session checks the 公众平台 session the adapter must send (mp_token in the query). The
// simulator does not check the cookie, which a benchmark would otherwise have to invent.
func session(w http.ResponseWriter, r *http.Request) bool {
	if r.URL.Query().Get("token") == "" {
		writeJSON(w, wechatJSON, map[string]any{"base_resp": baseResp(WeChatInvalidSession, "invalid session")})
		return false
	}
	return true
}

// wechatSearch answers GET /cgi-bin/searchbiz?action=search_biz&begin&count&query&token… with
// the accounts whose nickname contains the query or whose alias equals it, paged by begin and
// count. A name that is a prefix of others (模拟政务公众号0001 and …00010) returns all of them, so
// an adapter must pick the exact nickname as it must live.
func (s *Sim) wechatSearch(w http.ResponseWriter, r *http.Request) {
	if !session(w, r) {
		return
	}
	q := r.URL.Query()
	query := strings.TrimSpace(q.Get("query"))
	var hits []*account
	if query != "" {
		for _, a := range s.wechats {
			if strings.Contains(a.Name, query) || a.alias == query {
				hits = append(hits, a)
			}
		}
	}
	count := atoi(q.Get("count"), 5)
	begin := atoi(q.Get("begin"), 0)
	list := make([]any, 0, max(count, 0))
	for _, a := range span(hits, begin, count) {
		list = append(list, map[string]any{
			"fakeid": a.ID, "nickname": a.Name, "alias": a.alias,
			"round_head_img": "http://mmbiz.qpic.cn/mmbiz_png/sim" + strconv.Itoa(a.k) + "/0?wx_fmt=png",
			"service_type":   1 + a.k%2, "signature": a.Name + "官方公众号",
		})
	}
	writeJSON(w, wechatJSON, map[string]any{"base_resp": baseResp(0, "ok"), "list": list, "total": len(hits)})
}

// wechatPublished answers GET /cgi-bin/appmsgpublish?sub=list&begin&count&fakeid&token… with the
// account's sends newest first. As the real API does, publish_page is a JSON string and each
// publish_info a JSON string inside it; one entry has an empty publish_info; an article's
// create_time is earlier than its send's sent_info.time, which is the send's time.
func (s *Sim) wechatPublished(w http.ResponseWriter, r *http.Request) {
	if !session(w, r) {
		return
	}
	if s.opts.WeChatClosed {
		writeJSON(w, wechatJSON, map[string]any{"base_resp": baseResp(WeChatFreqControl, "freq control")})
		return
	}
	q := r.URL.Query()
	a := s.wechat[q.Get("fakeid")]
	if a == nil {
		writeJSON(w, wechatJSON, map[string]any{"base_resp": baseResp(WeChatInvalidArgs, "invalid args")})
		return
	}
	type entry struct {
		p     *post
		empty bool
	}
	var all []entry
	for i := range a.posts {
		all = append(all, entry{p: &a.posts[i]})
		if i == 1 {
			all = append(all, entry{empty: true})
		}
	}
	count := atoi(q.Get("count"), 5)
	begin := atoi(q.Get("begin"), 0)
	page := span(all, begin, count)
	list := make([]any, 0, len(page))
	for _, e := range page {
		if e.empty {
			list = append(list, map[string]any{"publish_type": 101, "publish_info": ""})
			continue
		}
		msgid := msgID(*e.p)
		sent := e.p.at.Unix()
		created := e.p.at.Add(-time.Duration(1+msgid%48) * time.Hour).Unix()
		link := "http://mp.weixin.qq.com/s?__biz=" + a.ID + "&mid=" + strconv.FormatInt(msgid, 10) + "&idx=1&sn=sim#rd"
		send := map[string]any{
			"type":      9,
			"msgid":     msgid,
			"sent_info": map[string]any{"time": sent, "is_send_all": true, "is_published": 1, "func_flag": 0},
			"appmsgex": []any{map[string]any{
				"aid": strconv.FormatInt(msgid, 10) + "_1", "title": a.Name + "：政务信息公开", "link": link,
				"create_time": created, "update_time": created - 10, "is_deleted": false, "itemidx": 1,
			}},
		}
		if e.p.image {
			// An image-and-text post: type 10002, sent_info.time 0, appmsg_info[] (times as
			// strings) instead of appmsgex[].
			item := map[string]any{"appmsgid": msgid, "itemidx": 1, "title": a.Name + "：图片消息",
				"content_url": link, "is_deleted": false}
			if !e.p.undated {
				item["create_time"] = strconv.FormatInt(sent, 10)
			}
			send = map[string]any{"type": 10002, "msgid": msgid,
				"sent_info":   map[string]any{"time": 0, "is_send_all": true, "func_flag": 0},
				"appmsg_info": []any{item}}
		}
		info, err := marshal(send)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		list = append(list, map[string]any{"publish_type": 101, "publish_info": string(info)})
	}
	pageJSON, err := marshal(map[string]any{
		"total_count": len(a.posts), "publish_count": len(a.posts), "masssend_count": 0, "featured_count": 0,
		"publish_list": list,
	})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, wechatJSON, map[string]any{"base_resp": baseResp(0, "ok"), "publish_page": string(pageJSON)})
}

// wechatRejected is the 公众平台's answer to a client over its budget.
func wechatRejected(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, wechatJSON, map[string]any{"base_resp": baseResp(WeChatFreqControl, "freq control")})
}

// span returns count items from offset begin, as the 公众平台's begin/count paging does.
func span[T any](all []T, begin, count int) []T {
	if begin < 0 || count < 1 || begin >= len(all) {
		return nil
	}
	return all[begin:min(begin+count, len(all))]
}
