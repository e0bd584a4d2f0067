package tieba

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/nmaudit/nmaudit/platforms"
)

const day = 24 * time.Hour

// Times in the literal fixtures (unix seconds, China time).
var (
	tp1 = time.Unix(1719800000, 0) // userpost.json newest: 2024-07-01 10:13:20
	tp2 = time.Unix(1719712800, 0) // userpost.json second:  2024-06-30 10:00
	// tLit is the check time the literal-fixture cases use: an hour after the newest post.
	tLit = tp1.Add(time.Hour)
	// tRel is the check time of the time-relative cases.
	tRel = time.Date(2022, 8, 22, 0, 0, 0, 0, chinaTime)
)

var (
	byName  = platforms.Target{Platform: platforms.Tieba, Name: "某某市发布", IDKind: platforms.IDTiebaUser, ID: "某某市发布"}
	byID    = platforms.Target{Platform: platforms.Tieba, Name: "某某市发布", IDKind: platforms.IDTiebaUserID, ID: "1234567890"}
	byForum = platforms.Target{Platform: platforms.Tieba, Name: "某某市吧", IDKind: platforms.IDTiebaForum, ID: "某某市"}
)

type check func(t *testing.T, s *fake, obs platforms.Observation, err error)

func all(cs ...check) check {
	return func(t *testing.T, s *fake, obs platforms.Observation, err error) {
		t.Helper()
		for _, c := range cs {
			c(t, s, obs, err)
		}
	}
}

// latest wants a definitive answer whose newest post is at.
func latest(at time.Time) check {
	return func(t *testing.T, _ *fake, obs platforms.Observation, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("Fetch: %v", err)
		}
		if obs.Latest == nil {
			t.Fatalf("Latest = nil, want %v", at)
		}
		if !obs.Latest.Time.Equal(at) {
			t.Errorf("Latest.Time = %v, want %v", obs.Latest.Time, at)
		}
		if obs.Source != "tieba" {
			t.Errorf("Source = %q, want tieba", obs.Source)
		}
	}
}

// none wants a definitive answer with no post at or before T.
func none(t *testing.T, _ *fake, obs platforms.Observation, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("Fetch: %v, want a definitive answer", err)
	}
	if obs.Latest != nil {
		t.Fatalf("Latest = %+v, want nil", obs.Latest)
	}
	if obs.URL == "" || obs.Source != "tieba" {
		t.Errorf("evidence missing: %+v", obs)
	}
}

func post0(pinned bool, id, title string) check {
	return func(t *testing.T, _ *fake, obs platforms.Observation, _ error) {
		t.Helper()
		if obs.Latest == nil {
			return
		}
		if obs.Latest.Pinned != pinned || obs.Latest.ID != id || (title != "" && obs.Latest.Title != title) {
			t.Errorf("Latest = %+v, want pinned=%v id=%s title=%q", *obs.Latest, pinned, id, title)
		}
	}
}

// fault wants a *Fault matching the sentinel or, for reasons without one, the reason.
func fault(r platforms.Reason, sentinel error, contains ...string) check {
	return func(t *testing.T, _ *fake, obs platforms.Observation, err error) {
		t.Helper()
		var f *platforms.Fault
		if !errors.As(err, &f) {
			t.Fatalf("err = %v (%T), obs = %+v; want a *Fault %s", err, err, obs, r)
		}
		if f.Reason != r {
			t.Errorf("Reason = %s (%v), want %s", f.Reason, err, r)
		}
		if sentinel != nil && !errors.Is(err, sentinel) {
			t.Errorf("errors.Is(%v, %v) = false", err, sentinel)
		}
		for _, c := range contains {
			if !strings.Contains(err.Error(), c) {
				t.Errorf("err %q does not contain %q", err, c)
			}
		}
		if f.URL == "" {
			t.Errorf("Fault.URL is empty")
		}
	}
}

func nCalls(path string, n int) check {
	return func(t *testing.T, s *fake, _ platforms.Observation, _ error) {
		t.Helper()
		if got := len(s.calls(path)); got != n {
			t.Errorf("%d calls to %s, want %d", got, path, n)
		}
	}
}

// formHas wants call i (0-based) to path to carry these form values.
func formHas(path string, i int, kv ...string) check {
	return func(t *testing.T, s *fake, _ platforms.Observation, _ error) {
		t.Helper()
		calls := s.calls(path)
		if i >= len(calls) {
			t.Fatalf("no call %d to %s", i, path)
		}
		for j := 0; j+1 < len(kv); j += 2 {
			if got := calls[i].form[kv[j]]; len(got) != 1 || got[0] != kv[j+1] {
				t.Errorf("%s call %d: %s = %q, want %q", path, i, kv[j], got, kv[j+1])
			}
		}
	}
}

func TestFetch(t *testing.T) {
	gbkUserJSON, err := simplifiedchinese.GBK.NewEncoder().Bytes(fixture(t, "user_json.json"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(gbkUserJSON, fixture(t, "user_json.json")) {
		t.Fatal("GBK fixture is identical to the UTF-8 one; the case would prove nothing")
	}
	after := func(d time.Duration) post { return post{at: tRel.Add(d)} }

	tests := []struct {
		name     string
		cfg      func(*Config)
		target   platforms.Target
		at       time.Time
		userJSON func(http.ResponseWriter, *http.Request, int)
		userPost func(http.ResponseWriter, *http.Request, url.Values, int)
		frsPage  func(http.ResponseWriter, *http.Request, url.Values, int)
		check    check
	}{
		{
			name: "user name resolves to id then posts", target: byName, at: tLit,
			userJSON: file(t, "user_json.json"), userPost: formFile(t, "userpost.json"),
			check: all(latest(tp1), post0(false, "150123456789", "关于2024年防汛工作的通告"),
				nCalls(userJSONPath, 1), nCalls(userPostPath, 1),
				formHas(userPostPath, 0, "uid", "1234567890", "pn", "1", "rn", "20", "is_thread", "0",
					"need_content", "1", "_client_type", "2", "_client_version", "12.64.1.1"),
				func(t *testing.T, s *fake, obs platforms.Observation, _ error) {
					q := s.calls(userJSONPath)[0].query
					if q.Get("un") != "某某市发布" || q.Get("ie") != "utf-8" {
						t.Errorf("user_json query = %v", q)
					}
					if ua := s.calls(userJSONPath)[0].ua; !strings.Contains(ua, "Windows") {
						t.Errorf("user_json UA %q is not a desktop browser's", ua)
					}
					if want := s.srv.URL + userPostPath; obs.URL != want {
						t.Errorf("URL = %q, want %q", obs.URL, want)
					}
					if want, _ := http.ParseTime(fakeDate); !obs.FetchedAt.Equal(want) {
						t.Errorf("FetchedAt = %v, want the Date header %v", obs.FetchedAt, want)
					}
				}),
		},
		{
			name: "numeric user id skips resolution", target: byID, at: tLit,
			userPost: formFile(t, "userpost.json"),
			check:    all(latest(tp1), nCalls(userJSONPath, 0), formHas(userPostPath, 0, "uid", "1234567890")),
		},
		{
			name: "no id resolves Target.Name as a user name", at: tLit,
			target:   platforms.Target{Platform: platforms.Tieba, Name: "某某市发布"},
			userJSON: file(t, "user_json.json"), userPost: formFile(t, "userpost.json"),
			check: all(latest(tp1), nCalls(userJSONPath, 1)),
		},
		{
			name: "reply without a title takes its text", target: byID, at: tp2,
			userPost: formFile(t, "userpost.json"),
			check:    all(latest(tp2), post0(false, "150111111112", "您好，您反映的路灯问题已转交市城管局办理。")),
		},
		{
			name: "user not found: no creator", target: byName, at: tLit,
			userJSON: file(t, "user_json_not_found.json"),
			check:    all(fault(platforms.ReasonNotFound, platforms.ErrNotFound, "用户不存在"), nCalls(userPostPath, 0)),
		},
		{
			name: "user not found: creator id 0", target: byName, at: tLit,
			userJSON: func(w http.ResponseWriter, _ *http.Request, _ int) {
				writeJSON(w, `{"creator":{"id":0,"name":"","portrait":""}}`)
			},
			check: all(fault(platforms.ReasonNotFound, platforms.ErrNotFound, "用户不存在"), nCalls(userPostPath, 0)),
		},
		{
			name: "user_json naming another user is not trusted", target: byName, at: tLit,
			userJSON: func(w http.ResponseWriter, _ *http.Request, _ int) {
				writeJSON(w, `{"creator":{"id":987654321,"name":"另一个用户","portrait":"tb.1.x"}}`)
			},
			check: all(fault(platforms.ReasonNotFound, platforms.ErrNotFound), nCalls(userPostPath, 0)),
		},
		{
			name: "GBK user_json is decoded", target: byName, at: tLit,
			userJSON: func(w http.ResponseWriter, _ *http.Request, _ int) {
				w.Header().Set("Content-Type", "text/html; charset=GBK")
				_, _ = w.Write(gbkUserJSON)
			},
			userPost: formFile(t, "userpost.json"),
			check:    all(latest(tp1), formHas(userPostPath, 0, "uid", "1234567890")),
		},
		{
			name: "hide_post 1 is hidden, not silence", target: byID, at: tLit,
			userPost: formFile(t, "userpost_hidden.json"),
			check:    fault(platforms.ReasonHidden, platforms.ErrHidden, "动态已隐藏"),
		},
		{
			name: "hide_post 1 with posts is still hidden", target: byID, at: tLit,
			userPost: body(strings.Replace(string(fixture(t, "userpost.json")), `"hide_post":"0"`, `"hide_post":"1"`, 1)),
			check:    fault(platforms.ReasonHidden, platforms.ErrHidden),
		},
		{
			name: "empty list with hide_post 0 is definitive: no posts", target: byID, at: tLit,
			userPost: formFile(t, "userpost_empty.json"),
			check:    all(none, nCalls(userPostPath, 1)),
		},
		{
			name: "empty list without hide_post is not definitive", target: byID, at: tLit,
			userPost: body(`{"error_code":"0","error_msg":"","post_list":[]}`),
			check:    fault(platforms.ReasonEmptyList, platforms.ErrEmptyList),
		},
		{
			name: "create_time as a number", target: byID, at: tLit,
			userPost: formFile(t, "userpost_numeric_time.json"),
			check:    all(latest(tp1), post0(false, "150123456789", "")),
		},
		{
			name: "paging past posts after T", target: byID, at: tRel,
			userPost: pages(t, `{"error_code":"0","hide_post":"0","post_list":[]}`,
				userPostJSON(after(3*day), after(26*time.Hour), after(time.Hour)),
				userPostJSON(after(-5*day), after(-9*day))),
			check: all(latest(tRel.Add(-5*day)), nCalls(userPostPath, 2),
				formHas(userPostPath, 0, "pn", "1"), formHas(userPostPath, 1, "pn", "2", "uid", "1234567890")),
		},
		{
			name: "an empty later page ends the list: nothing at or before T", target: byID, at: tRel,
			userPost: pages(t, `{"error_code":"0","error_msg":"","hide_post":"0","post_list":[]}`,
				userPostJSON(after(2*day), after(time.Hour))),
			check: all(none, nCalls(userPostPath, 2)),
		},
		{
			name: "max_pages reached with every post after T", target: byID, at: tRel,
			cfg:      func(c *Config) { c.MaxPages = 3 },
			userPost: body(userPostJSON(after(3*day), after(2*day))),
			check:    all(fault(platforms.ReasonTooManyPages, nil), nCalls(userPostPath, 3), formHas(userPostPath, 2, "pn", "3")),
		},
		{
			name: "a post exactly at T counts", target: byID, at: tRel,
			userPost: body(userPostJSON(post{at: tRel, id: "at-T"}, after(-3*day))),
			check:    all(latest(tRel), post0(false, "at-T", "")),
		},
		{
			name: "a post at T+1s is ignored", target: byID, at: tRel,
			userPost: body(userPostJSON(post{at: tRel.Add(time.Second), id: "late"}, post{at: tRel.Add(-time.Hour), id: "ok"})),
			check:    all(latest(tRel.Add(-time.Hour)), post0(false, "ok", "")),
		},
		{
			name: "error_code non-zero carries error_msg", target: byID, at: tLit,
			userPost: formFile(t, "userpost_error.json"),
			check:    fault(platforms.ReasonPlatformError, nil, "error_code 2", "参数错误"),
		},
		{
			name: "error_code 1 (用户未登录) is login required", target: byID, at: tLit,
			userPost: formFile(t, "userpost_not_logged_in.json"),
			check:    fault(platforms.ReasonLoginRequired, platforms.ErrLoginRequired, "用户未登录"),
		},
		{
			name: "error_code 110000 as a number is login required", target: byID, at: tLit,
			userPost: body(`{"error_code":110000,"error_msg":"请先登录"}`),
			check:    fault(platforms.ReasonLoginRequired, platforms.ErrLoginRequired, "请先登录"),
		},
		{
			name: "a body without error_code is not trusted", target: byID, at: tLit,
			userPost: body(`{"hide_post":"0","post_list":[]}`),
			check:    fault(platforms.ReasonBadResponse, nil),
		},
		{
			name: "create_time in milliseconds is a bad response, not a date", target: byID, at: tLit,
			userPost: body(`{"error_code":"0","hide_post":"0","post_list":[{"post_id":"1","create_time":"1719800000000"}]}`),
			check:    fault(platforms.ReasonBadResponse, nil),
		},
		{
			name: "a post without create_time is a bad response", target: byID, at: tLit,
			userPost: body(`{"error_code":"0","hide_post":"0","post_list":[{"post_id":"1","title":"x"}]}`),
			check:    fault(platforms.ReasonBadResponse, nil),
		},
		{
			name: "forum: old pinned thread and newer threads", target: byForum, at: tLit,
			frsPage: formFile(t, "frs_page.json"),
			check: all(latest(time.Unix(1719750000, 0)), post0(false, "9012399999", "请问市民卡补办要带什么材料"),
				nCalls(frsPagePath, 1),
				formHas(frsPagePath, 0, "kw", "某某市", "pn", "1", "rn", "30", "sort_type", "1",
					"_client_type", "2", "_client_version", "12.64.1.1")),
		},
		{
			name: "forum: last_time_int is not a post time", target: byForum, at: time.Unix(1719700000, 0),
			frsPage: formFile(t, "frs_page.json"),
			// the pinned thread's last reply (1719800000) and the question's are after or near T;
			// only creation times count, so the answer is the 1719600000 thread.
			check: all(latest(time.Unix(1719600000, 0)), post0(false, "9012300000", "")),
		},
		{
			name: "forum: the newest thread is pinned", target: byForum, at: tLit,
			frsPage: formFile(t, "frs_page_pinned_newest.json"),
			check:   all(latest(time.Unix(1719750000, 0)), post0(true, "9012400000", "【置顶】防汛应急避险须知")),
		},
		{
			name: "forum: an old pinned thread does not stop paging", target: byForum, at: tRel,
			frsPage: pages(t, frsJSON(),
				frsJSON(thread{at: tRel.Add(-400 * day), pinned: true, id: "pin"}, thread{at: tRel.Add(2 * day)}, thread{at: tRel.Add(time.Hour)}),
				frsJSON(thread{at: tRel.Add(-6 * day), id: "p2"}, thread{at: tRel.Add(-8 * day)})),
			check: all(latest(tRel.Add(-6*day)), post0(false, "p2", ""), nCalls(frsPagePath, 2), formHas(frsPagePath, 1, "pn", "2")),
		},
		{
			name: "forum: list ends after the pinned thread", target: byForum, at: tRel,
			frsPage: pages(t, frsJSON(),
				frsJSON(thread{at: tRel.Add(-400 * day), pinned: true, id: "pin"}, thread{at: tRel.Add(2 * day)})),
			check: all(latest(tRel.Add(-400*day)), post0(true, "pin", ""), nCalls(frsPagePath, 2)),
		},
		{
			name: "forum: empty thread_list is not silence", target: byForum, at: tLit,
			frsPage: formFile(t, "frs_page_empty.json"),
			check:   fault(platforms.ReasonEmptyList, platforms.ErrEmptyList),
		},
		{
			name: "forum: error_code", target: byForum, at: tLit,
			frsPage: formFile(t, "frs_page_error.json"),
			check:   fault(platforms.ReasonPlatformError, nil, "该贴吧不存在"),
		},
		// Only the values the contract names are definitive (issue: hide_post "0.0" read as
		// "not hidden" made an empty list 不合格).
		{
			name: "hide_post 0.0 with an empty list is not read as no posts", target: byID, at: tLit,
			userPost: body(`{"error_code":"0","error_msg":"","hide_post":"0.0","post_list":[]}`),
			check:    fault(platforms.ReasonBadResponse, nil, "hide_post"),
		},
		{
			name: "hide_post true is not a value the contract names", target: byID, at: tLit,
			userPost: body(`{"error_code":0,"hide_post":"yes","post_list":[]}`),
			check:    fault(platforms.ReasonBadResponse, nil, "hide_post"),
		},
		{
			name: "hide_post and error_code as numbers", target: byID, at: tLit,
			userPost: body(`{"error_code":0,"error_msg":"","hide_post":0,"post_list":[]}`),
			check:    none,
		},
		{
			name: "error_code 0.0 is not success", target: byID, at: tLit,
			userPost: body(`{"error_code":"0.0","hide_post":"0","post_list":[]}`),
			check:    fault(platforms.ReasonBadResponse, nil, "error_code"),
		},
		{
			name: "forum: the feed_list layout of newer clients is not an empty list", target: byForum, at: tLit,
			frsPage: body(`{"error_code":"0","error_msg":"","forum":{"id":"2345678","name":"某某市"},"page_data":{"feed_list":[{"feed":{"business_info":[{"key":"thread_id","value":"9012399999"},{"key":"title","value":"请问市民卡补办要带什么材料"},{"key":"forum_name","value":"某某市"}]}}],"has_more":1}}`),
			check:   fault(platforms.ReasonBadResponse, nil, "新版列表格式"),
		},
		{
			name: "forum: has_more 0 on a page of threads after T ends the list", target: byForum, at: tRel,
			frsPage: body(withHasMore(frsJSON(thread{at: tRel.Add(2 * day)}, thread{at: tRel.Add(time.Hour)}), 0)),
			check:   all(none, nCalls(frsPagePath, 1)),
		},
		{
			name: "forum: has_more 1 then an empty page is a list withheld", target: byForum, at: tRel,
			frsPage: pages(t, withHasMore(frsJSON(), 1),
				withHasMore(frsJSON(thread{at: tRel.Add(2 * day)}), "1")),
			check: all(fault(platforms.ReasonIncomplete, platforms.ErrIncomplete, "has_more"), nCalls(frsPagePath, 2)),
		},
		{
			name: "userpost: the next page fails, page 1 is not an answer", target: byID, at: tRel,
			userPost: func(w http.ResponseWriter, r *http.Request, form url.Values, n int) {
				if form.Get("pn") == "1" {
					writeJSON(w, userPostJSON(post{at: tRel.Add(day)}))
					return
				}
				writeJSON(w, `{"error_code":"110","error_msg":"服务繁忙"}`)
			},
			check: fault(platforms.ReasonPlatformError, nil, "第 2 页"),
		},
		{
			name: "security check page on userpost", target: byID, at: tLit,
			userPost: func(w http.ResponseWriter, _ *http.Request, _ url.Values, _ int) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				_, _ = w.Write(fixture(t, "security_check.html"))
			},
			check: all(fault(platforms.ReasonCaptcha, platforms.ErrCaptcha, "触发安全验证"), nCalls(userPostPath, 1)),
		},
		{
			name: "security check page on user_json", target: byName, at: tLit,
			userJSON: func(w http.ResponseWriter, _ *http.Request, _ int) {
				w.Header().Set("Content-Type", "text/html")
				_, _ = w.Write(fixture(t, "security_check.html"))
			},
			check: all(fault(platforms.ReasonCaptcha, platforms.ErrCaptcha), nCalls(userPostPath, 0)),
		},
		{
			name: "a post that mentions 安全验证 is a post, not a captcha", target: byID, at: tRel,
			userPost: body(userPostJSON(post{at: tRel.Add(-day), title: "百度安全验证升级通知"})),
			check:    latest(tRel.Add(-day)),
		},
		{
			name: "500 then success", target: byID, at: tLit,
			userPost: failFirst(1, status(500, "<html>Internal Server Error</html>"), formFile(t, "userpost.json")),
			check:    all(latest(tp1), nCalls(userPostPath, 2)),
		},
		{
			name: "500 every time is a platform error after retries", target: byID, at: tLit,
			userPost: failFirst(99, status(502, "bad gateway"), nil),
			check:    all(fault(platforms.ReasonPlatformError, nil, "HTTP 502"), nCalls(userPostPath, 3)),
		},
		{
			name: "network error then success", target: byID, at: tLit,
			userPost: failFirst(1, dropConn(t), formFile(t, "userpost.json")),
			check:    all(latest(tp1), nCalls(userPostPath, 2)),
		},
		{
			name: "network error every time", target: byID, at: tLit,
			userPost: failFirst(99, dropConn(t), nil),
			check:    all(fault(platforms.ReasonNetwork, nil), nCalls(userPostPath, 3)),
		},
		{
			name: "timeout then success", target: byID, at: tLit,
			cfg: func(c *Config) { c.Timeout = 100 * time.Millisecond },
			userPost: failFirst(1, func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-time.After(2 * time.Second):
				}
			}, formFile(t, "userpost.json")),
			check: all(latest(tp1), nCalls(userPostPath, 2)),
		},
		{
			name: "429 every time is rate limited", target: byID, at: tLit,
			userPost: failFirst(99, status(http.StatusTooManyRequests, ""), nil),
			check:    all(fault(platforms.ReasonRateLimited, platforms.ErrRateLimited), nCalls(userPostPath, 3)),
		},
		{
			name: "403 then success", target: byID, at: tLit,
			userPost: failFirst(1, status(http.StatusForbidden, "Forbidden"), formFile(t, "userpost.json")),
			check:    all(latest(tp1), nCalls(userPostPath, 2)),
		},
		{
			name: "404 is a platform error, not retried", target: byID, at: tLit,
			userPost: failFirst(99, status(http.StatusNotFound, "not found"), nil),
			check:    all(fault(platforms.ReasonPlatformError, nil, "HTTP 404"), nCalls(userPostPath, 1)),
		},
		{
			name: "non-JSON body is a bad response", target: byID, at: tLit,
			userPost: body("<html><body>服务暂时不可用</body></html>"),
			check:    all(fault(platforms.ReasonBadResponse, nil), nCalls(userPostPath, 1)),
		},
		{
			name: "BDUSS goes in the signed form when configured", target: byID, at: tLit,
			cfg:      func(c *Config) { c.BDUSS = "bduss-value-~for_the-form" },
			userPost: formFile(t, "userpost.json"),
			check:    all(latest(tp1), formHas(userPostPath, 0, "BDUSS", "bduss-value-~for_the-form")),
		},
		{
			name: "no BDUSS in the form when none is configured", target: byForum, at: tLit,
			frsPage: formFile(t, "frs_page.json"),
			check: func(t *testing.T, s *fake, _ platforms.Observation, _ error) {
				if _, ok := s.calls(frsPagePath)[0].form["BDUSS"]; ok {
					t.Errorf("BDUSS sent without being configured")
				}
			},
		},
		{
			name: "client_version is configurable and signed", target: byID, at: tLit,
			cfg:      func(c *Config) { c.ClientVersion = "12.20.1.0" },
			userPost: formFile(t, "userpost.json"),
			check:    all(latest(tp1), formHas(userPostPath, 0, "_client_version", "12.20.1.0")),
		},
		{
			name: "non-numeric user id", at: tLit,
			target: platforms.Target{Platform: platforms.Tieba, IDKind: platforms.IDTiebaUserID, ID: "12ab"},
			check: func(t *testing.T, s *fake, _ platforms.Observation, err error) {
				if !errors.Is(err, platforms.ErrNotFound) {
					t.Errorf("err = %v, want ErrNotFound", err)
				}
			},
		},
		{
			name: "an id kind from another platform", at: tLit,
			target: platforms.Target{Platform: platforms.Tieba, IDKind: platforms.IDWeiboUID, ID: "123"},
			check: func(t *testing.T, s *fake, _ platforms.Observation, err error) {
				if !errors.Is(err, platforms.ErrUnsupported) {
					t.Errorf("err = %v, want ErrUnsupported", err)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newFake(t)
			s.userJSON, s.userPost, s.frsPage = tc.userJSON, tc.userPost, tc.frsPage
			f := newFetcher(t, s, tc.cfg)
			obs, err := f.Fetch(context.Background(), tc.target, tc.at)
			tc.check(t, s, obs, err)
		})
	}
}

func TestFakeRejectsBadSign(t *testing.T) {
	s := newFake(t)
	var reported atomic.Bool
	s.errorf = func(string, ...any) { reported.Store(true) }
	s.userPost = body(`{"error_code":"0"}`)
	resp, err := http.PostForm(s.srv.URL+userPostPath, url.Values{"uid": {"1"}, "sign": {"0000"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	if !strings.Contains(b.String(), `"error_code":"220034"`) || !reported.Load() {
		t.Errorf("bad sign answered %q (reported %v), want a Tieba error and a test failure", b.String(), reported.Load())
	}
}

// TestNoSecretLeaks configures a BDUSS, has the server echo it back, and triggers every failure:
// the BDUSS must be in no error text, URL, detail or evidence.
func TestNoSecretLeaks(t *testing.T) {
	const bduss = "SECRETbdussVALUE-~abc123xyz"
	echo := func(w http.ResponseWriter, r *http.Request, form url.Values, _ int) {
		writeJSON(w, fmt.Sprintf(`{"error_code":"2","error_msg":"BDUSS %s 无效 %s"}`, form.Get("BDUSS"), url.QueryEscape(form.Get("BDUSS"))))
	}
	failures := map[string]func(w http.ResponseWriter, r *http.Request, form url.Values, n int){
		"echoed in error_msg": echo,
		"login":               body(`{"error_code":"1","error_msg":"用户未登录 ` + bduss + `"}`),
		"hidden":              formFile(t, "userpost_hidden.json"),
		"empty":               body(`{"error_code":"0","post_list":[]}`),
		"500":                 failFirst(99, status(500, bduss), nil),
		"429":                 failFirst(99, status(429, bduss), nil),
		"network":             failFirst(99, dropConn(t), nil),
		"captcha":             failFirst(99, status(200, "<html>百度安全验证 "+bduss+"</html>"), nil),
		"garbage":             body("<html>" + bduss + "</html>"),
		"bad time":            body(`{"error_code":"0","hide_post":"0","post_list":[{"post_id":"` + bduss + `","create_time":"x"}]}`),
		"too many pages":      body(userPostJSON(post{at: tRel.Add(day)})),
	}
	for name, h := range failures {
		t.Run(name, func(t *testing.T) {
			s := newFake(t)
			s.userPost = h
			f := newFetcher(t, s, func(c *Config) { c.BDUSS = bduss; c.MaxPages = 2 })
			_, err := f.Fetch(context.Background(), byID, tRel)
			var fl *platforms.Fault
			if !errors.As(err, &fl) {
				t.Fatalf("err = %v, want a *Fault", err)
			}
			texts := []string{err.Error(), fl.URL, fl.Detail, fmt.Sprintf("%+v %#v", err, fl)}
			if fl.Err != nil {
				texts = append(texts, fl.Err.Error())
			}
			for _, txt := range texts {
				if strings.Contains(txt, bduss) || strings.Contains(txt, url.QueryEscape(bduss)) {
					t.Errorf("BDUSS leaked: %q", txt)
				}
			}
			if got := s.calls(userPostPath); len(got) == 0 || got[0].form.Get("BDUSS") != bduss {
				t.Errorf("BDUSS was not sent, so the case proves nothing")
			}
		})
	}
	t.Run("user_json failure with BDUSS configured", func(t *testing.T) {
		s := newFake(t)
		s.userJSON = func(w http.ResponseWriter, _ *http.Request, _ int) { writeJSON(w, "not json "+bduss) }
		f := newFetcher(t, s, func(c *Config) { c.BDUSS = bduss })
		_, err := f.Fetch(context.Background(), byName, tRel)
		if err == nil || strings.Contains(err.Error(), bduss) {
			t.Errorf("err = %v", err)
		}
	})
}

// faultTransport fails every request the way the --replay transport does for a request it has
// no recording of.
type faultTransport struct{ n atomic.Int32 }

func (ft *faultTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ft.n.Add(1)
	return nil, fmt.Errorf("replay: %w", &platforms.Fault{Reason: platforms.ReasonNoRecording, Detail: "POST " + req.URL.Path})
}

func TestTransportFaultPassesThrough(t *testing.T) {
	ft := &faultTransport{}
	f, err := New(Config{BaseURL: "http://tieba.invalid", WebBaseURL: "http://tieba.invalid"},
		platforms.Deps{Client: &http.Client{Transport: ft}, Pacer: testPacer()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Fetch(context.Background(), byID, tLit)
	var fl *platforms.Fault
	if !errors.As(err, &fl) || fl.Reason != platforms.ReasonNoRecording {
		t.Fatalf("err = %v, want the transport's ReasonNoRecording fault", err)
	}
	if !strings.Contains(fl.Detail, userPostPath) || fl.URL != "http://tieba.invalid"+userPostPath {
		t.Errorf("fault = %+v", fl)
	}
	if n := ft.n.Load(); n != 1 {
		t.Errorf("%d attempts, want 1: a missing recording is not retried", n)
	}
}

func TestCancel(t *testing.T) {
	t.Run("before the call", func(t *testing.T) {
		s := newFake(t)
		f := newFetcher(t, s, nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := f.Fetch(ctx, byName, tRel)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if n := len(s.calls(userJSONPath)) + len(s.calls(userPostPath)); n != 0 {
			t.Errorf("%d requests made after cancellation", n)
		}
	})
	t.Run("during a request", func(t *testing.T) {
		s := newFake(t)
		release := make(chan struct{})
		defer close(release)
		s.userPost = func(w http.ResponseWriter, r *http.Request, _ url.Values, _ int) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}
		f := newFetcher(t, s, nil)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		_, err := f.Fetch(ctx, byID, tRel)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		var fl *platforms.Fault
		if errors.As(err, &fl) {
			t.Errorf("cancellation reported as a fault: %v", fl)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("took %v to return after cancellation", d)
		}
	})
}

func TestNew(t *testing.T) {
	d := DefaultConfig()
	if d.BaseURL != "https://tiebac.baidu.com" || d.WebBaseURL != "https://tieba.baidu.com" || d.ClientVersion != "12.64.1.1" {
		t.Errorf("DefaultConfig URLs/version = %+v", d)
	}
	if d.Rate != 2 || d.Burst != 1 || d.Timeout != 15*time.Second || d.Retries != 3 || d.Backoff != time.Second || d.MaxPages != 10 {
		t.Errorf("DefaultConfig limits = %+v", d.Limits)
	}

	hc := &http.Client{}
	f, err := New(Config{}, platforms.Deps{Client: hc})
	if err != nil {
		t.Fatalf("New(zero config): %v", err)
	}
	if f.base.String() != DefaultBaseURL || f.web.String() != DefaultWebBaseURL || f.maxPage != 10 || f.cfg.ClientVersion != DefaultClientVersion {
		t.Errorf("zero config did not take defaults: base %s web %s pages %d", f.base, f.web, f.maxPage)
	}
	if hc.Timeout != 0 || hc.Transport != nil {
		t.Errorf("New modified the shared http.Client: %+v", hc)
	}

	for _, bad := range []Config{
		{BaseURL: "c.tieba.baidu.com"},
		{WebBaseURL: "ftp://tieba.baidu.com"},
		{Limits: platforms.Limits{MaxPages: -1}},
		{Limits: platforms.Limits{Timeout: -time.Second}},
	} {
		if _, err := New(bad, platforms.Deps{}); err == nil {
			t.Errorf("New(%+v) accepted a bad config", bad)
		}
	}
}
