package wechat

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/platforms"
	"github.com/nmaudit/nmaudit/platforms/platformtest"
)

// backendHarness plays the conformance scenarios on the 公众平台 backend route, the route every
// registry account can take. The account is found by name through searchbiz, so each scenario
// also exercises the lookup. Mapping of the scenarios onto what the backend really sends:
//
//   - Recent, Stale, ExactlyWindowStart, AfterT: appmsgpublish pages of sends (newest first),
//     AfterT's second page at begin=5.
//   - PinnedOld / PinnedNewest: the backend has no pinned posts; the faithful analogue is a
//     list whose first entry is out of order (a very old send first, or the newest send first
//     followed by much older ones). The adapter takes the max over the page, so either order
//     gives the same answer.
//   - Empty: Part 1 makes an empty first page with nothing counted definitive ("never
//     posted"), so that cannot be the scenario. What the backend does send that cannot be read as
//     "no posts" is an empty publish_list whose publish_page still counts sends (total_count 37):
//     the list is being withheld. The adapter reports it as ErrEmptyList.
//   - LoginRequired: base_resp.ret 200003 (invalid session).
//   - RateLimitedThenOK / RateLimited: base_resp.ret 200013 (freq control), first request only
//     (that is searchbiz) or every request.
//   - Garbage: a gateway's HTML error page.
type backendHarness struct{}

func (backendHarness) Setup(t *testing.T, s platformtest.Scenario, T time.Time) (platforms.Fetcher, platforms.Target) {
	day := 24 * time.Hour
	rel := func(ds ...time.Duration) []time.Time {
		out := make([]time.Time, len(ds))
		for i, d := range ds {
			out[i] = T.Add(d)
		}
		return out
	}
	ok := file("searchbiz_ok.json")
	var r map[string][]reply
	switch s {
	case platformtest.Recent:
		r = routes(kSearch, ok, kPublish, body(sendsPage(37, rel(-3*day, -4*day, -6*day, -8*day, -11*day))))
	case platformtest.Stale:
		r = routes(kSearch, ok, kPublish, body(sendsPage(37, rel(-30*day, -33*day, -41*day, -50*day, -62*day))))
	case platformtest.PinnedOld:
		r = routes(kSearch, ok, kPublish, body(sendsPage(37, rel(-400*day, -2*day, -5*day, -9*day, -12*day))))
	case platformtest.PinnedNewest:
		r = routes(kSearch, ok, kPublish, body(sendsPage(37, rel(-1*day, -20*day, -24*day, -31*day, -40*day))))
	case platformtest.AfterT:
		r = routes(kSearch, ok,
			kPublish+"?begin=0", body(sendsPage(37, rel(3*day, 2*day, 30*time.Hour, day, time.Hour))),
			kPublish+"?begin=5", body(sendsPage(37, rel(-5*day, -9*day, -15*day))))
	case platformtest.ExactlyWindowStart:
		r = routes(kSearch, ok, kPublish, body(sendsPage(37, rel(-14*day, -20*day, -27*day))))
	case platformtest.Empty:
		r = routes(kSearch, ok, kPublish, file("appmsgpublish_withheld.json"))
	case platformtest.LoginRequired:
		r = routes(kSearch, file("mp_invalid_session.json"), kPublish, file("mp_invalid_session.json"))
	case platformtest.RateLimitedThenOK:
		r = routes(kSearch, seq(file("mp_freq_control.json"), ok),
			kPublish, body(sendsPage(37, rel(-3*day, -4*day, -6*day, -8*day, -11*day))))
	case platformtest.RateLimited:
		r = routes(kSearch, file("mp_freq_control.json"), kPublish, file("mp_freq_control.json"))
	case platformtest.Garbage:
		r = routes(kSearch, ok, kPublish, file("garbage.html"))
	case platformtest.NoList:
		// base_resp ret 0, but no publish_page.
		r = routes(kSearch, ok, kPublish, body(`{"base_resp":{"err_msg":"ok","ret":0}}`))
	case platformtest.EndOfList:
		// total_count says these five sends are all there is.
		r = routes(kSearch, ok, kPublish, body(sendsPage(5, rel(3*day, 2*day, 30*time.Hour, day, time.Hour))))
	case platformtest.NextPageFails:
		r = routes(kSearch, ok,
			kPublish+"?begin=0", body(sendsPage(37, rel(3*day, 2*day, 30*time.Hour, day, time.Hour))),
			kPublish+"?begin=5", status(500, "Internal Server Error"))
	case platformtest.Truncated:
		// An empty second page while total_count says there are 12: withheld, not the end.
		r = routes(kSearch, ok,
			kPublish+"?begin=0", body(sendsPage(12, rel(3*day, 2*day, 30*time.Hour, day, time.Hour))),
			kPublish+"?begin=5", body(sendsPage(12, nil)))
	case platformtest.OddMarker:
		r = routes(kSearch, ok, kPublish, body(sendsPage("很多", rel(3*day, 2*day, 30*time.Hour, day, time.Hour))))
	default:
		t.Fatalf("scenario %s not mapped", s)
	}
	srv := newFake(t, r)
	cfg := mpConfig(srv)
	return mustNew(t, cfg, testDeps(srv.srv.Client(), T.Add(10*day))), hzfb
}

func TestConformanceBackend(t *testing.T) {
	platformtest.Run(t, backendHarness{})
}

// sendsPage builds an appmsgpublish answer as the backend nests it: publish_page is a JSON
// string and each publish_info a JSON string inside it. Every send's article was written an
// hour before it went out, so a reader that took create_time would be caught.
func sendsPage(total any, sends []time.Time) string {
	type art struct {
		Aid        string `json:"aid"`
		Title      string `json:"title"`
		CreateTime int64  `json:"create_time"`
		UpdateTime int64  `json:"update_time"`
		ItemIdx    int    `json:"itemidx"`
	}
	type sent struct {
		Time      int64 `json:"time"`
		IsSendAll bool  `json:"is_send_all"`
	}
	type info struct {
		Type     int   `json:"type"`
		MsgID    int64 `json:"msgid"`
		SentInfo sent  `json:"sent_info"`
		AppMsgEx []art `json:"appmsgex"`
	}
	type entry struct {
		PublishType int    `json:"publish_type"`
		PublishInfo string `json:"publish_info"`
	}
	list := []entry{}
	for i, at := range sends {
		id := int64(2247502000 + i)
		b, _ := json.Marshal(info{Type: 9, MsgID: id, SentInfo: sent{Time: at.Unix(), IsSendAll: true},
			AppMsgEx: []art{{Aid: fmt.Sprintf("%d_1", id), Title: "第" + fmt.Sprint(i+1) + "条", CreateTime: at.Unix() - 3600,
				UpdateTime: at.Unix() - 60, ItemIdx: 1}}})
		list = append(list, entry{PublishType: 101, PublishInfo: string(b)})
	}
	page, _ := json.Marshal(map[string]any{"total_count": total, "publish_count": total, "masssend_count": 0,
		"featured_count": 0, "publish_list": list})
	out, _ := json.Marshal(map[string]any{"base_resp": map[string]any{"ret": 0, "err_msg": "ok"}, "publish_page": string(page)})
	return string(out)
}
