package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/platforms"
)

// publishPageOf nests sends the way appmsgpublish does (publish_page and each publish_info are
// JSON strings), from publish_info documents given as maps, so each case can shape its sends
// exactly like the real ones: article sends with appmsgex[], image-and-text posts (type 10002)
// with sent_info.time 0 and appmsg_info[] instead.
func publishPageOf(total any, infos ...map[string]any) string {
	type entry struct {
		PublishType int    `json:"publish_type"`
		PublishInfo string `json:"publish_info"`
	}
	list := []entry{}
	for _, in := range infos {
		b, _ := json.Marshal(in)
		list = append(list, entry{PublishType: 101, PublishInfo: string(b)})
	}
	page, _ := json.Marshal(map[string]any{"total_count": total, "publish_count": total, "masssend_count": 0,
		"featured_count": 0, "publish_list": list})
	out, _ := json.Marshal(map[string]any{"base_resp": map[string]any{"ret": 0, "err_msg": "ok"}, "publish_page": string(page)})
	return string(out)
}

// articleSend is a 群发/发布 of articles: sent_info.time set, appmsgex[] with their own times.
func articleSend(msgid int64, sent time.Time, title string) map[string]any {
	return map[string]any{
		"type": 9, "msgid": msgid, "copy_type": 0, "new_publish": 1,
		"sent_info":   map[string]any{"time": sent.Unix(), "func_flag": 0, "is_send_all": true, "is_published": 1},
		"sent_status": map[string]any{"total": 1, "succ": 1, "fail": 0, "progress": 100},
		"appmsgex": []any{map[string]any{
			"aid": strings.TrimSpace(jsonNum(msgid)) + "_1", "appmsgid": msgid, "itemidx": 1, "title": title,
			"link":        "http://mp.weixin.qq.com/s?__biz=MzA5NjYxMjQ0Mg==&mid=" + jsonNum(msgid) + "&idx=1&sn=8f2c1e0d7b6a5948&chksm=ab12cd34#rd",
			"create_time": sent.Add(-2 * time.Hour).Unix(), "update_time": sent.Add(-time.Hour).Unix(),
			"is_deleted": false, "copyright_type": 1, "digest": "", "cover": "https://mmbiz.qpic.cn/mmbiz_jpg/x/0?wx_fmt=jpeg",
		}},
	}
}

// imagePost is an image-and-text post: type 10002, sent_info.time 0, appmsg_info[] instead of
// appmsgex[]. times, when given, are put on the appmsg_info entry (as strings, one of the forms
// the backend uses).
func imagePost(msgid int64, title string, times map[string]time.Time) map[string]any {
	info := map[string]any{"appmsgid": msgid, "itemidx": 1, "title": title, "is_deleted": false,
		"content_url": "http://mp.weixin.qq.com/s?__biz=MzA5NjYxMjQ0Mg==&mid=" + jsonNum(msgid) + "&idx=1&sn=1234#rd"}
	for k, v := range times {
		info[k] = jsonNum(v.Unix())
	}
	return map[string]any{"type": 10002, "msgid": msgid,
		"sent_info":   map[string]any{"time": 0, "func_flag": 0, "is_send_all": true},
		"appmsg_info": []any{info}}
}

func jsonNum(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestBackendRealSendShapes(t *testing.T) {
	day := 24 * time.Hour
	T := checkT
	bizT := platforms.Target{Platform: platforms.WeChat, Name: "汉中发布", IDKind: platforms.IDWeChatBiz, ID: hzfbFakeID}
	cases := []struct {
		name       string
		page       string
		want       time.Time // zero with wantNone / wantReason
		wantTitle  string
		wantNone   bool
		wantReason platforms.Reason
	}{
		{
			name: "an undated image post above a dated send in the window: the dated send proves 合格",
			page: publishPageOf(12, imagePost(2247503001, "图片消息", nil),
				articleSend(2247503000, T.Add(-3*day), "通知"), articleSend(2247502999, T.Add(-9*day), "公告")),
			want: T.Add(-3 * day), wantTitle: "通知",
		},
		{
			name:       "an undated entry above an old dated send: it could be the newest, 待核查",
			page:       publishPageOf(2, imagePost(2247503001, "图片消息", nil), articleSend(2247503000, T.Add(-20*day), "通知")),
			wantReason: platforms.ReasonBadResponse,
		},
		{
			name: "an undated entry below the newest dated send changes nothing",
			page: publishPageOf(2, articleSend(2247503000, T.Add(-20*day), "通知"), imagePost(2247502990, "图片消息", nil)),
			want: T.Add(-20 * day),
		},
		{
			name: "an image post dated by appmsg_info; its title is kept",
			page: publishPageOf(3, imagePost(2247503001, "防汛图片直播", map[string]time.Time{"create_time": T.Add(-2 * day)}),
				articleSend(2247503000, T.Add(-20*day), "通知")),
			want: T.Add(-2 * day), wantTitle: "防汛图片直播",
		},
		{
			name: "a send carrying only appmsgex[].update_time is dated by it",
			page: publishPageOf(1, map[string]any{"type": 9, "msgid": 2247503005,
				"appmsgex": []any{map[string]any{"aid": "2247503005_1", "title": "仅有更新时间", "update_time": T.Add(-4 * day).Unix()}}}),
			want: T.Add(-4 * day), wantTitle: "仅有更新时间",
		},
		{
			name: "sent_info.time wins over an article's earlier create_time",
			page: publishPageOf(1, articleSend(2247503000, T.Add(-13*day-23*time.Hour), "通知")),
			want: T.Add(-13*day - 23*time.Hour),
		},
		{
			name:     "every send after T and total_count reached: read to the end, nothing at or before T",
			page:     publishPageOf(2, articleSend(2, T.Add(2*day), "a"), imagePost(1, "b", map[string]time.Time{"create_time": T.Add(day)})),
			wantNone: true,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := newFake(t, routes(kPublish, body(c.page)))
			f := mustNew(t, mpConfig(srv), testDeps(srv.srv.Client(), T.Add(10*day)))
			obs, err := f.Fetch(context.Background(), bizT, T)
			if c.wantReason != "" {
				var ft *platforms.Fault
				if !errors.As(err, &ft) || ft.Reason != c.wantReason {
					t.Fatalf("Fetch = %+v, %v; want a fault %s", obs, err, c.wantReason)
				}
				return
			}
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if c.wantNone {
				if obs.Latest != nil {
					t.Fatalf("Latest = %+v, want nil", *obs.Latest)
				}
				return
			}
			if obs.Latest == nil || !obs.Latest.Time.Equal(c.want) {
				t.Fatalf("Latest = %+v, want %v", obs.Latest, c.want)
			}
			if c.wantTitle != "" && obs.Latest.Title != c.wantTitle {
				t.Errorf("Title = %q, want %q", obs.Latest.Title, c.wantTitle)
			}
		})
	}
}

func TestBackendClosureStopsTheRouteAfterThreeAccounts(t *testing.T) {
	srv := newFake(t, routes(kPublish, file("mp_freq_control.json")))
	var mu sync.Mutex
	var notices []string
	deps := testDeps(srv.srv.Client(), checkT.Add(10*24*time.Hour))
	deps.Notice = func(m string) { mu.Lock(); notices = append(notices, m); mu.Unlock() }
	f := mustNew(t, mpConfig(srv), deps)
	ids := []string{"MzA5NjYxMjQ0Mg==", "MzkxMjM0NTY3OA==", "MzI0NjAwMDAwMQ==", "MzI0NjAwMDAwMg==", "MzI0NjAwMDAwMw=="}
	var reasons []platforms.Reason
	for i, id := range ids {
		before := srv.count(kPublish)
		_, err := f.Fetch(context.Background(), platforms.Target{Platform: platforms.WeChat, IDKind: platforms.IDWeChatBiz, ID: id}, checkT)
		var ft *platforms.Fault
		if !errors.As(err, &ft) {
			t.Fatalf("account %d: %v, want a fault", i, err)
		}
		reasons = append(reasons, ft.Reason)
		if i >= 3 {
			if n := srv.count(kPublish) - before; n != 0 {
				t.Errorf("account %d: %d list requests after the closure was detected", i, n)
			}
			if !errors.Is(err, platforms.ErrRouteClosed) || !strings.Contains(err.Error(), "公众平台已停止提供他人账号文章列表") {
				t.Errorf("account %d: %v, want the closure", i, err)
			}
		}
	}
	if reasons[0] != platforms.ReasonRateLimited || reasons[2] != platforms.ReasonRateLimited {
		t.Errorf("reasons = %v: the first three are rate limited", reasons)
	}
	if len(notices) != 1 || !strings.Contains(notices[0], "nmaudit review") || !strings.Contains(notices[0], "platforms.wechat.apps") {
		t.Errorf("notices = %q, want one naming the routes that still work", notices)
	}
}

func TestBackendOrdinaryFreqControlIsNotTheClosure(t *testing.T) {
	// One account is read, then others hit 200013: frequency control, not the closure.
	srv := newFake(t, routes(kPublish, seq(file("appmsgpublish_page0.json"),
		file("mp_freq_control.json"))))
	f := mustNew(t, mpConfig(srv), testDeps(srv.srv.Client(), checkT.Add(10*24*time.Hour)))
	for i := range 6 {
		_, err := f.Fetch(context.Background(), platforms.Target{Platform: platforms.WeChat, IDKind: platforms.IDWeChatBiz, ID: hzfbFakeID}, checkT)
		if i > 0 && errors.Is(err, platforms.ErrRouteClosed) {
			t.Fatalf("account %d: route declared closed after a successful read", i)
		}
	}
}
