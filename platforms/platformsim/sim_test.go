package platformsim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/platforms"
)

// get asks u with a visitor-style SUB cookie (m.weibo.cn answers 432 without one; the other
// endpoints ignore it).
func get(t *testing.T, u string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Cookie", "SUB=_2AkMtestVisitor")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

func postForm(t *testing.T, u string, form url.Values) []byte {
	t.Helper()
	resp, err := http.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decode(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%v in %s", err, b)
	}
}

func signed(f url.Values) url.Values {
	f.Set("sign", Sign(f))
	return f
}

func byPlatform(s *Sim, p platforms.Platform) []Account {
	var out []Account
	for _, a := range s.Accounts() {
		if a.Platform == p {
			out = append(out, a)
		}
	}
	return out
}

func TestAccountsAreDeterministicAndMixed(t *testing.T) {
	a := Start(Options{Seed: 7, Accounts: 45})
	defer a.Close()
	b := Start(Options{Seed: 7, Accounts: 45})
	defer b.Close()
	c := Start(Options{Seed: 8, Accounts: 45})
	defer c.Close()
	if !reflect.DeepEqual(a.Accounts(), b.Accounts()) {
		t.Fatal("same options gave different accounts")
	}
	if reflect.DeepEqual(a.Accounts(), c.Accounts()) {
		t.Fatal("the seed changes nothing")
	}
	T := DefaultCheckTime
	start := T.Add(-14 * 24 * time.Hour)
	for _, p := range []platforms.Platform{platforms.Weibo, platforms.Tieba, platforms.WeChat} {
		fresh, stale := 0, 0
		for _, acc := range byPlatform(a, p) {
			in := !acc.Latest.Before(start) && !acc.Latest.After(T)
			if in != acc.Fresh {
				t.Errorf("%s: Latest %v, Fresh %v", acc.Name, acc.Latest, acc.Fresh)
			}
			if acc.Fresh {
				fresh++
			} else {
				stale++
			}
		}
		if fresh == 0 || stale == 0 || fresh+stale != 15 {
			t.Errorf("%s: %d fresh, %d stale", p, fresh, stale)
		}
	}
}

// weiboPage is the part of getIndex a Weibo adapter reads.
type weiboPage struct {
	OK   int    `json:"ok"`
	Msg  string `json:"msg"`
	Data struct {
		CardlistInfo struct {
			SinceID json.Number `json:"since_id"`
			Page    int         `json:"page"`
			Total   int         `json:"total"`
		} `json:"cardlistInfo"`
		Cards []weiboCard `json:"cards"`
	} `json:"data"`
}

type weiboCard struct {
	CardType  int         `json:"card_type"`
	CardGroup []weiboCard `json:"card_group"`
	Mblog     *struct {
		CreatedAt string `json:"created_at"`
		IsTop     int    `json:"isTop"`
		MblogType int    `json:"mblogtype"`
		Retweeted *struct {
			CreatedAt string `json:"created_at"`
		} `json:"retweeted_status"`
	} `json:"mblog"`
}

func TestWeiboShape(t *testing.T) {
	s := Start(Options{Seed: 1, Accounts: 36})
	defer s.Close()
	T := DefaultCheckTime
	reposts, pinnedNewest := 0, 0
	pagings := map[string]int{}
	for _, a := range byPlatform(s, platforms.Weibo) {
		base := s.URL + "/api/container/getIndex?type=uid&value=" + a.ID + "&containerid=107603" + a.ID
		var cards []weiboCard
		next, pagesRead := base, 0
		for next != "" {
			status, h, b := get(t, next)
			if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
				t.Fatalf("%s: %d %s", a.Name, status, h.Get("Content-Type"))
			}
			var page weiboPage
			decode(t, b, &page)
			if page.OK != 1 {
				t.Fatalf("%s: ok %d", a.Name, page.OK)
			}
			pagesRead++
			var pageCards []weiboCard
			for _, c := range page.Data.Cards {
				if c.CardType == 11 {
					pageCards = append(pageCards, c.CardGroup...)
				} else {
					pageCards = append(pageCards, c)
				}
			}
			for i, c := range pageCards {
				pinned := c.Mblog != nil && c.Mblog.IsTop == 1 && c.Mblog.MblogType == 2
				if pinned != (pagesRead == 1 && i == 0) {
					t.Errorf("%s: page %d card %d pinned=%v", a.Name, pagesRead, i, pinned)
				}
			}
			cards = append(cards, pageCards...)
			ci := page.Data.CardlistInfo
			switch {
			case ci.SinceID != "":
				next = base + "&since_id=" + ci.SinceID.String()
				pagings["since_id"]++
			case ci.Page != 0:
				next = base + "&page=" + strconv.Itoa(ci.Page)
				pagings["page"]++
			default:
				next = ""
				if ci.Total != len(cards) {
					t.Errorf("%s: last page with total %d after %d posts", a.Name, ci.Total, len(cards))
				}
			}
		}
		var newest time.Time
		for i, c := range cards {
			if c.CardType != 9 || c.Mblog == nil {
				t.Fatalf("%s: card %d is not a post", a.Name, i)
			}
			at, err := time.Parse(time.RubyDate, c.Mblog.CreatedAt)
			if err != nil {
				t.Fatal(err)
			}
			pinned := c.Mblog.IsTop == 1 && c.Mblog.MblogType == 2
			if !at.After(T) && at.After(newest) {
				newest = at
				if pinned {
					pinnedNewest++
				}
			}
			if c.Mblog.Retweeted != nil {
				rt, _ := time.Parse(time.RubyDate, c.Mblog.Retweeted.CreatedAt)
				if !rt.Before(at) {
					t.Errorf("%s: retweeted original not older than the repost", a.Name)
				}
				if at.Equal(a.Latest) {
					reposts++
				}
			}
		}
		if !newest.Equal(a.Latest) {
			t.Errorf("%s: newest post ≤ T %v, Latest %v", a.Name, newest, a.Latest)
		}
	}
	if reposts == 0 || pinnedNewest == 0 {
		t.Errorf("no account whose newest post is a repost (%d) or pinned (%d)", reposts, pinnedNewest)
	}
	if pagings["since_id"] == 0 || pagings["page"] == 0 {
		t.Errorf("both ways of paging must occur: %v", pagings)
	}

	// Unknown uid: the empty-list answer. No cookie: HTTP 432.
	_, _, b := get(t, s.URL+"/api/container/getIndex?type=uid&value=1&containerid=1076031")
	var page weiboPage
	decode(t, b, &page)
	if page.OK != 0 || page.Msg != "这里还没有内容" {
		t.Errorf("unknown uid: %s", b)
	}
	resp, err := http.Get(s.URL + "/api/container/getIndex?type=uid&value=" + byPlatform(s, platforms.Weibo)[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 432 {
		t.Errorf("no cookie: HTTP %d, want 432", resp.StatusCode)
	}
	// The visitor handshake hands out a cookie as JSONP and Set-Cookie.
	vr, err := http.PostForm(s.URL+"/visitor/genvisitor2", url.Values{"cb": {"visitor_gray_callback"}, "tid": {""}, "from": {"weibo"}})
	if err != nil {
		t.Fatal(err)
	}
	vb, _ := io.ReadAll(vr.Body)
	vr.Body.Close()
	if !strings.Contains(string(vb), `"retcode":20000000`) || len(vr.Cookies()) < 2 || s.Visitors() != 1 {
		t.Errorf("genvisitor2: %s, cookies %v", vb, vr.Cookies())
	}
}

func TestTiebaShape(t *testing.T) {
	if got := Sign(url.Values{"hello_cosmic": {"你好42"}, "reverse": {"1999"}}); got != "0be9991d2f8371952ab0b9cb14363bc2" {
		t.Fatalf("Sign test vector: %s", got)
	}
	s := Start(Options{Seed: 2, Accounts: 30})
	defer s.Close()
	for _, a := range byPlatform(s, platforms.Tieba) {
		_, h, b := get(t, s.URL+"/i/sys/user_json?un="+url.QueryEscape(a.ID)+"&ie=utf-8")
		var uj struct {
			Creator *struct {
				ID       int64  `json:"id"`
				Name     string `json:"name"`
				Portrait string `json:"portrait"`
			} `json:"creator"`
		}
		decode(t, b, &uj)
		if uj.Creator == nil || uj.Creator.ID == 0 || uj.Creator.Name != a.Name || !strings.HasPrefix(uj.Creator.Portrait, "tb.1.") {
			t.Fatalf("user_json %s: %s", a.Name, b)
		}
		if !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			t.Errorf("user_json Content-Type %q", h.Get("Content-Type"))
		}

		b = postForm(t, s.URL+"/c/u/feed/userpost", signed(url.Values{
			"_client_type": {"2"}, "_client_version": {"12.64.1.1"}, "uid": {strconv.FormatInt(uj.Creator.ID, 10)},
			"pn": {"1"}, "rn": {"20"}, "is_thread": {"0"}, "need_content": {"1"}, "BDUSS": {"x"},
		}))
		var up struct {
			ErrorCode string `json:"error_code"`
			HidePost  string `json:"hide_post"`
			PostList  []struct {
				CreateTime string `json:"create_time"`
			} `json:"post_list"`
		}
		decode(t, b, &up)
		if up.ErrorCode != "0" || up.HidePost != "0" || len(up.PostList) == 0 {
			t.Fatalf("userpost %s: %s", a.Name, b)
		}
		if newest := maxUnix(t, up.PostList[0].CreateTime); !newest.Equal(a.Latest) {
			t.Errorf("userpost %s: first post %v, Latest %v", a.Name, newest, a.Latest)
		}

		b = postForm(t, s.URL+"/c/f/frs/page", signed(url.Values{
			"kw": {a.Name}, "pn": {"1"}, "rn": {"30"}, "sort_type": {"1"}, "_client_type": {"2"}, "_client_version": {"12.64.1.1"},
		}))
		var frs struct {
			ErrorCode  string `json:"error_code"`
			ThreadList []struct {
				CreateTime  string `json:"create_time"`
				LastTimeInt string `json:"last_time_int"`
				IsTop       string `json:"is_top"`
			} `json:"thread_list"`
		}
		decode(t, b, &frs)
		if frs.ErrorCode != "0" || len(frs.ThreadList) < 2 || frs.ThreadList[0].IsTop != "1" {
			t.Fatalf("frs %s: %s", a.Name, b)
		}
		var newest, newestReply time.Time
		for _, th := range frs.ThreadList {
			ct, lt := maxUnix(t, th.CreateTime), maxUnix(t, th.LastTimeInt)
			if lt.Before(ct) {
				t.Errorf("frs %s: reply before creation", a.Name)
			}
			if ct.After(newest) {
				newest = ct
			}
			if lt.After(newestReply) {
				newestReply = lt
			}
		}
		if !newest.Equal(a.Latest) || !newestReply.After(a.Latest) {
			t.Errorf("frs %s: newest thread %v, newest reply %v, Latest %v", a.Name, newest, newestReply, a.Latest)
		}
	}

	// A wrong sign is refused; unknown names are not found.
	b := postForm(t, s.URL+"/c/u/feed/userpost", url.Values{"uid": {"100000000"}, "sign": {"00"}})
	if !strings.Contains(string(b), `"error_code":"`+TiebaSignErrorCode+`"`) {
		t.Errorf("bad sign: %s", b)
	}
	_, _, b = get(t, s.URL+"/i/sys/user_json?un=nobody&ie=utf-8")
	if string(b) != "{}" {
		t.Errorf("unknown user: %s", b)
	}
}

func maxUnix(t *testing.T, s string) time.Time {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("unix time %q: %v", s, err)
	}
	return time.Unix(n, 0)
}

type mpResp struct {
	BaseResp struct {
		Ret    int    `json:"ret"`
		ErrMsg string `json:"err_msg"`
	} `json:"base_resp"`
	List []struct {
		FakeID   string `json:"fakeid"`
		Nickname string `json:"nickname"`
		Alias    string `json:"alias"`
	} `json:"list"`
	PublishPage string `json:"publish_page"`
}

func TestWeChatShape(t *testing.T) {
	s := Start(Options{Seed: 3, Accounts: 60})
	defer s.Close()
	mp := func(path string, q url.Values) mpResp {
		q.Set("token", "608398971")
		q.Set("lang", "zh_CN")
		q.Set("f", "json")
		q.Set("ajax", "1")
		_, _, b := get(t, s.URL+path+"?"+q.Encode())
		var r mpResp
		decode(t, b, &r)
		return r
	}
	images := 0
	for _, a := range byPlatform(s, platforms.WeChat) {
		r := mp("/cgi-bin/searchbiz", url.Values{"action": {"search_biz"}, "begin": {"0"}, "count": {"5"}, "query": {a.Name}})
		found := 0
		for _, e := range r.List {
			if e.Nickname == a.Name && e.FakeID == a.ID {
				found++
			}
		}
		if r.BaseResp.Ret != 0 || found != 1 {
			t.Fatalf("searchbiz %s: %+v", a.Name, r)
		}

		var newest time.Time
		sends, empties := 0, 0
		for begin := 0; ; begin += 5 {
			r := mp("/cgi-bin/appmsgpublish", url.Values{"sub": {"list"}, "search_field": {"null"}, "begin": {strconv.Itoa(begin)},
				"count": {"5"}, "query": {""}, "fakeid": {a.ID}, "type": {"101_1"}, "free_publish_type": {"1"}, "sub_action": {"list_ex"}})
			if r.BaseResp.Ret != 0 {
				t.Fatalf("appmsgpublish %s: ret %d", a.Name, r.BaseResp.Ret)
			}
			var page struct {
				PublishList []struct {
					PublishInfo string `json:"publish_info"`
				} `json:"publish_list"`
			}
			decode(t, []byte(r.PublishPage), &page)
			if len(page.PublishList) == 0 {
				break
			}
			for _, e := range page.PublishList {
				if e.PublishInfo == "" {
					empties++
					continue
				}
				var info struct {
					Type     int `json:"type"`
					SentInfo struct {
						Time int64 `json:"time"`
					} `json:"sent_info"`
					Appmsgex []struct {
						CreateTime int64 `json:"create_time"`
					} `json:"appmsgex"`
					AppMsgInfo []struct {
						CreateTime string `json:"create_time"`
					} `json:"appmsg_info"`
				}
				decode(t, []byte(e.PublishInfo), &info)
				sent := time.Unix(info.SentInfo.Time, 0)
				if info.Type == 10002 {
					// An image post: no sent time, dated (if at all) through appmsg_info.
					images++
					if info.SentInfo.Time != 0 || len(info.AppMsgInfo) != 1 || len(info.Appmsgex) != 0 {
						t.Errorf("%s: image post shape %s", a.Name, e.PublishInfo)
					}
					ct, _ := strconv.ParseInt(info.AppMsgInfo[0].CreateTime, 10, 64)
					sent = time.Unix(ct, 0)
				} else if len(info.Appmsgex) == 0 || info.Appmsgex[0].CreateTime >= info.SentInfo.Time {
					t.Errorf("%s: article create_time should predate its send", a.Name)
				}
				if sent.After(newest) {
					newest = sent
				}
				sends++
			}
		}
		if !newest.Equal(a.Latest) || sends < 5 || empties != 1 {
			t.Errorf("%s: newest send %v (Latest %v), %d sends, %d empty", a.Name, newest, a.Latest, sends, empties)
		}
	}
	if images == 0 {
		t.Errorf("no image posts")
	}

	// A prefix name finds its namesakes too (模拟政务公众号0001 also matches …00010).
	if r := mp("/cgi-bin/searchbiz", url.Values{"begin": {"0"}, "count": {"5"}, "query": {"模拟政务公众号001"}}); len(r.List) < 2 {
		t.Errorf("search by prefix: %+v", r.List)
	}
	// No session token: invalid session.
	_, _, b := get(t, s.URL+"/cgi-bin/appmsgpublish?fakeid="+byPlatform(s, platforms.WeChat)[0].ID)
	if !strings.Contains(string(b), `"ret":200003`) {
		t.Errorf("no token: %s", b)
	}
}

func TestRateLimitsAnswerLikeEachPlatform(t *testing.T) {
	s := Start(Options{Seed: 4, Accounts: 3, Rates: map[string]float64{Weibo: 1, Tieba: 1, WeChatMP: 1}})
	defer s.Close()
	wb, tb, wc := s.Accounts()[0], s.Accounts()[1], s.Accounts()[2]

	weibo := s.URL + "/api/container/getIndex?type=uid&value=" + wb.ID + "&containerid=107603" + wb.ID
	if status, _, _ := get(t, weibo); status != 200 {
		t.Fatalf("first Weibo request: %d", status)
	}
	if status, _, b := get(t, weibo); status != http.StatusTeapot || !strings.Contains(string(b), "418") {
		t.Errorf("second Weibo request within a second: %d %s", status, b)
	}

	userJSON := s.URL + "/i/sys/user_json?un=" + url.QueryEscape(tb.ID)
	if _, _, b := get(t, userJSON); !strings.Contains(string(b), `"creator"`) {
		t.Fatalf("first Tieba request: %s", b)
	}
	if _, _, b := get(t, userJSON); !strings.Contains(string(b), "百度安全验证") {
		t.Errorf("Tieba web over budget: %s", b)
	}
	b := postForm(t, s.URL+"/c/f/frs/page", signed(url.Values{"kw": {tb.Name}, "pn": {"1"}, "rn": {"30"}}))
	if !strings.Contains(string(b), `"error_code":"`+TiebaRateLimitCode+`"`) || !strings.Contains(string(b), "频率") {
		t.Errorf("Tieba client API over budget: %s", b)
	}

	mp := s.URL + "/cgi-bin/appmsgpublish?sub=list&begin=0&count=5&fakeid=" + url.QueryEscape(wc.ID) + "&token=1"
	if _, _, b := get(t, mp); !strings.Contains(string(b), `"ret":0`) {
		t.Fatalf("first WeChat request: %s", b)
	}
	if _, _, b := get(t, mp); !strings.Contains(string(b), `"ret":200013`) || !strings.Contains(string(b), "freq control") {
		t.Errorf("WeChat over budget: %s", b)
	}

	want := map[string]Stats{Weibo: {2, 1}, Tieba: {3, 2}, WeChatMP: {2, 1}}
	if got := s.Stats(); !reflect.DeepEqual(got, want) {
		t.Errorf("stats %+v, want %+v", got, want)
	}

	// The budget refills at the configured rate.
	time.Sleep(1100 * time.Millisecond)
	if status, _, _ := get(t, weibo); status != 200 {
		t.Errorf("Weibo after a second: %d", status)
	}
}

func TestUnlimitedAndBurst(t *testing.T) {
	s := Start(Options{Accounts: 3, Rates: map[string]float64{Weibo: 0.5}, Burst: 3})
	defer s.Close()
	wb, tb := s.Accounts()[0], s.Accounts()[1]
	for i := range 10 {
		_, _, b := get(t, s.URL+"/i/sys/user_json?un="+url.QueryEscape(tb.ID))
		if !strings.Contains(string(b), `"creator"`) {
			t.Fatalf("unlimited Tieba request %d: %s", i, b)
		}
	}
	codes := []int{}
	for range 4 {
		status, _, _ := get(t, s.URL+"/api/container/getIndex?type=uid&value="+wb.ID+"&containerid=107603"+wb.ID)
		codes = append(codes, status)
	}
	if !reflect.DeepEqual(codes, []int{200, 200, 200, 418}) {
		t.Errorf("burst 3: %v", codes)
	}
	if st := s.Stats()[Tieba]; st.Requests != 10 || st.Rejected != 0 {
		t.Errorf("tieba stats %+v", st)
	}
}

func TestLatencyIsPerRequest(t *testing.T) {
	const lat = 100 * time.Millisecond
	s := Start(Options{Accounts: 3, Latency: lat})
	defer s.Close()
	wb := s.Accounts()[0]
	u := s.URL + "/api/container/getIndex?type=uid&value=" + wb.ID + "&containerid=107603" + wb.ID
	start := time.Now()
	get(t, u)
	if d := time.Since(start); d < lat {
		t.Fatalf("one request took %v, latency %v", d, lat)
	}
	// Latency delays each answer but does not serialise them: 8 at once take about one latency.
	start = time.Now()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			resp, err := http.Get(u)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		})
	}
	wg.Wait()
	if d := time.Since(start); d < lat || d > 4*lat {
		t.Errorf("8 concurrent requests took %v with latency %v", d, lat)
	}
}

// PerCredential gives each credential its own budget: two sessions at the rate each are both
// served, while one session at twice the rate is cut back.
func TestPerCredentialRates(t *testing.T) {
	s := Start(Options{Accounts: 3, Rates: map[string]float64{Weibo: 1}, Burst: 1, PerCredential: true})
	defer s.Close()
	uid := s.Accounts()[0].ID
	get := func(cookie string) int {
		req, _ := http.NewRequest("GET", s.URL+"/api/container/getIndex?type=uid&value="+uid+"&containerid=107603"+uid, nil)
		req.Header.Set("Cookie", cookie)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if a, b := get("SUB=a"), get("SUB=b"); a != 200 || b != 200 {
		t.Errorf("two credentials, one request each: %d %d", a, b)
	}
	if c := get("SUB=a"); c != 418 {
		t.Errorf("a credential's second request within its budget's second: %d, want 418", c)
	}
	if n := s.Credentials(Weibo); n != 2 {
		t.Errorf("%d credentials seen", n)
	}
}
