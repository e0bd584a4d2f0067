package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nmaudit/nmaudit/platforms"
	"github.com/nmaudit/nmaudit/platforms/names"
)

// The 公众平台 backend route (platforms.md Part 1, "WeChat, 公众平台 backend").

const (
	pathSearchBiz     = "/cgi-bin/searchbiz"
	pathAppMsgPublish = "/cgi-bin/appmsgpublish"
	publishPageSize   = 5 // the backend's own page size for appmsgpublish

	retOK             = 0
	retInvalidSession = 200003
	retFreqControl    = 200013
)

type baseResp struct {
	Ret    int    `json:"ret"`
	ErrMsg string `json:"err_msg"`
}

type bizEntry struct {
	FakeID   string `json:"fakeid"`
	Nickname string `json:"nickname"`
	Alias    string `json:"alias"`
}

type searchBizResp struct {
	List  []bizEntry `json:"list"`
	Total int        `json:"total"`
}

// appMsgPublishResp's publish_page is a JSON document inside a string.
type appMsgPublishResp struct {
	PublishPage *string `json:"publish_page"`
}

type publishPage struct {
	// TotalCount is how many sends the account has; kept raw because a count in a form nobody
	// knows must not let an empty page pass for the end of the list.
	TotalCount   json.RawMessage `json:"total_count"`
	PublishCount json.RawMessage `json:"publish_count"`
	PublishList  []struct {
		PublishType json.RawMessage `json:"publish_type"`
		PublishInfo string          `json:"publish_info"` // JSON again, or empty
	} `json:"publish_list"`
}

// publishInfo is one send. Article sends carry appmsgex[]; image-and-text posts (type 10002)
// carry appmsg_info[] instead, with sent_info.time 0. Times are read as numbers or numeric
// strings: both occur across the backend's answers.
type publishInfo struct {
	Type     json.RawMessage `json:"type"`
	MsgID    json.RawMessage `json:"msgid"`
	SentInfo *struct {
		Time flexTime `json:"time"`
	} `json:"sent_info"`
	AppMsgEx   []publishArticle `json:"appmsgex"`
	AppMsgInfo []publishArticle `json:"appmsg_info"`
}

type publishArticle struct {
	Aid        string   `json:"aid"`
	AppMsgID   flexTime `json:"appmsgid"`
	Title      string   `json:"title"`
	CreateTime flexTime `json:"create_time"`
	UpdateTime flexTime `json:"update_time"`
	SendTime   flexTime `json:"send_time"`
}

// fetchMP is the backend route: resolve the fakeid (unless the registry gave it), then page
// appmsgpublish by platforms.Listing's rule until a send at or before T turns up, the list
// provably ends, or the route turns out to be closed.
func (f *Fetcher) fetchMP(ctx context.Context, t platforms.Target, checkTime time.Time) (platforms.Observation, error) {
	if fault := f.mpGone(); fault != nil {
		return platforms.Observation{}, fault
	}
	fakeid := ""
	if t.IDKind == platforms.IDWeChatBiz && t.ID != "" {
		// The fakeid is the __biz: nothing to resolve, and one request fewer on a route whose
		// frequency control is tight.
		fakeid = t.ID
	} else {
		var err error
		if fakeid, err = f.searchBiz(ctx, t); err != nil {
			return platforms.Observation{}, err
		}
	}

	list := platforms.NewListing(checkTime, f.cfg.Window)
	total := -1
	lastURL := ""
	for page := range f.cfg.MaxPages {
		q := url.Values{
			"sub": {"list"}, "search_field": {"null"}, "begin": {strconv.Itoa(page * publishPageSize)},
			"count": {strconv.Itoa(publishPageSize)}, "query": {""}, "fakeid": {fakeid}, "type": {"101_1"},
			"free_publish_type": {"1"}, "sub_action": {"list_ex"},
		}
		body, rawURL, hdr, err := f.mpGet(ctx, pathAppMsgPublish, q)
		if page == 0 {
			f.closure.firstList(err)
		}
		if err != nil {
			if page > 0 {
				err = onPage(err, page+1)
			}
			return platforms.Observation{}, err
		}
		lastURL = rawURL
		pp, err := f.parsePublishPage(body, rawURL)
		if err != nil {
			return platforms.Observation{}, err
		}
		n, ok := count(pp.TotalCount)
		if !ok {
			return platforms.Observation{}, f.fault(platforms.ReasonIncomplete, "",
				"total_count 取值无法识别："+string(pp.TotalCount), rawURL, nil)
		}
		if n >= 0 {
			total = n
		}
		obs := platforms.Observation{Source: sourceMP, URL: f.redactURL(rawURL), FetchedAt: platforms.FetchTime(hdr, f.now)}
		if len(pp.PublishList) == 0 {
			pc, _ := count(pp.PublishCount)
			switch {
			case page == 0 && (total > 0 || pc > 0):
				// Part 1 reads an empty first page as "never posted". A page that is empty
				// while the same answer counts sends is not that: the list is being withheld,
				// so it is not read as a verdict either way.
				return platforms.Observation{}, f.fault(platforms.ReasonEmptyList, labelEmptyList,
					fmt.Sprintf(detailListHidden, max(total, pc)), rawURL, nil)
			case total > list.Seen():
				return platforms.Observation{}, f.fault(platforms.ReasonIncomplete, "",
					fmt.Sprintf(detailShortList, page+1, total, list.Seen()), rawURL, nil)
			}
			// Page 0: the account has never posted. A later page: the end of the list.
			latest, fault := list.Conclude(true, nil)
			if fault != nil {
				return platforms.Observation{}, f.fault(fault.Reason, "", fault.Detail, rawURL, nil)
			}
			obs.Latest = latest
			return obs, nil
		}
		for i, item := range pp.PublishList {
			if item.PublishInfo == "" {
				list.Skip() // the exporter drops these too: no article behind them
				continue
			}
			post, err := f.parseSend(item.PublishInfo, page*publishPageSize+i+1, rawURL)
			if err != nil {
				return platforms.Observation{}, err
			}
			if post == nil {
				list.Undated()
				continue
			}
			list.Add(*post)
		}
		if list.Done() {
			latest, fault := list.Conclude(true, nil)
			if fault != nil {
				return platforms.Observation{}, f.fault(fault.Reason, "", fault.Detail, rawURL, nil)
			}
			obs.Latest = latest
			return obs, nil
		}
		if total >= 0 && list.Seen() >= total {
			// Every send the account has was seen (and none is at or before T).
			latest, fault := list.Conclude(true, nil)
			if fault != nil {
				return platforms.Observation{}, f.fault(fault.Reason, "", fault.Detail, rawURL, nil)
			}
			obs.Latest = latest
			return obs, nil
		}
	}
	_, fault := list.Conclude(false, f.fault(platforms.ReasonTooManyPages, "",
		fmt.Sprintf("max_pages=%d，发送记录仍全部晚于监测时间点", f.cfg.MaxPages), lastURL, nil))
	return platforms.Observation{}, fault
}

// count reads total_count-like members: absent or null is -1 (unknown), a non-negative integer
// (number or string) its value; ok is false for anything else.
func count(raw json.RawMessage) (int, bool) {
	v := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	if v == "" || v == "null" {
		return -1, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// onPage names the page of a fault past the first.
func onPage(err error, page int) error {
	if fault, ok := err.(*platforms.Fault); ok {
		cp := *fault
		cp.Detail = strings.TrimSpace(cp.Detail + fmt.Sprintf("（第 %d 页）", page))
		return &cp
	}
	return err
}

// searchBiz resolves t to a fakeid with searchbiz. The query is the 微信号 when the registry
// gives one (it is unique), else the account name (a gh_ id is not searchable by itself, so its
// name is used when there is one). The match rule is Part 1's: the one entry whose nickname
// equals the name after names.Normalize, or whose alias equals the id. An alias match is
// preferred when exactly one entry has it, because an id is unique and names are not (a dormant
// namesake is the classic wrong match); a gh_ id is accepted in the alias field too, since an
// account without a 微信号 is known by its original id.
func (f *Fetcher) searchBiz(ctx context.Context, t platforms.Target) (string, error) {
	id := ""
	if t.IDKind == platforms.IDWeChatAlias || t.IDKind == platforms.IDWeChatGhID {
		id = strings.TrimSpace(t.ID)
	}
	query := strings.TrimSpace(t.Name)
	if id != "" && (t.IDKind == platforms.IDWeChatAlias || query == "") {
		query = id
	}
	if query == "" {
		return "", f.fault(platforms.ReasonNotFound, labelNotFound, detailNoQuery, "", nil)
	}
	q := url.Values{"action": {"search_biz"}, "begin": {"0"}, "count": {"5"}, "query": {query}}
	body, rawURL, _, err := f.mpGet(ctx, pathSearchBiz, q)
	if err != nil {
		return "", err
	}
	var res searchBizResp
	if err := json.Unmarshal(body, &res); err != nil {
		return "", f.fault(platforms.ReasonBadResponse, "", "searchbiz: "+err.Error(), rawURL, nil)
	}

	nameKey := names.Normalize(t.Name)
	var byAlias, byName []bizEntry
	for _, e := range res.List {
		if id != "" && strings.EqualFold(strings.TrimSpace(e.Alias), id) {
			byAlias = append(byAlias, e)
		}
		if nameKey != "" && names.Normalize(e.Nickname) == nameKey {
			byName = append(byName, e)
		}
	}
	if len(byAlias) == 1 {
		return byAlias[0].FakeID, nil
	}
	matches := uniqueByFakeID(append(byAlias, byName...))
	found := make([]string, 0, len(res.List))
	for _, e := range res.List {
		s := e.Nickname
		if e.Alias != "" {
			s += "(" + e.Alias + ")"
		}
		found = append(found, s)
	}
	detail := fmt.Sprintf(detailSearchResults, query, strings.Join(found, "、"))
	switch len(matches) {
	case 1:
		if matches[0].FakeID == "" {
			return "", f.fault(platforms.ReasonBadResponse, "", "searchbiz: fakeid 为空", rawURL, nil)
		}
		return matches[0].FakeID, nil
	case 0:
		if len(found) == 0 {
			detail = fmt.Sprintf(detailSearchResults, query, "无")
		}
		return "", f.fault(platforms.ReasonNotFound, labelNotFound, detail, rawURL, nil)
	default:
		return "", f.fault(platforms.ReasonAmbiguous, labelAmbiguous, detail, rawURL, nil)
	}
}

func uniqueByFakeID(in []bizEntry) []bizEntry {
	seen := map[string]bool{}
	var out []bizEntry
	for _, e := range in {
		if !seen[e.FakeID] {
			seen[e.FakeID] = true
			out = append(out, e)
		}
	}
	return out
}

// mpGet runs one backend GET under the pacer and checks base_resp. It returns the body, the
// full URL (with the token: redact before showing it) and the response headers.
func (f *Fetcher) mpGet(ctx context.Context, path string, q url.Values) ([]byte, string, http.Header, error) {
	q.Set("token", f.cfg.MPToken.Reveal())
	q.Set("lang", "zh_CN")
	q.Set("f", "json")
	q.Set("ajax", "1")
	rawURL := f.cfg.MPBaseURL + path + "?" + q.Encode()

	var body []byte
	var hdr http.Header
	err := f.pacer.Do(ctx, func(ctx context.Context) error {
		// Checked per attempt: another worker may have hit 200003, or seen the route closed,
		// while this one waited.
		if fault := f.mpGone(); fault != nil {
			return fault
		}
		actx, cancel := f.attemptCtx(ctx)
		defer cancel()
		resp, err := f.rc.R().SetContext(actx).SetHeader("Cookie", f.cfg.MPCookie.Reveal()).Get(rawURL)
		if err != nil {
			return f.transportErr(ctx, err, rawURL)
		}
		if resp.StatusCode() != http.StatusOK {
			return f.httpStatusErr(resp.StatusCode(), rawURL)
		}
		var br struct {
			BaseResp *baseResp `json:"base_resp"`
		}
		if err := json.Unmarshal(resp.Body(), &br); err != nil {
			return f.fault(platforms.ReasonBadResponse, "", "不是 JSON ("+resp.Header().Get("Content-Type")+")", rawURL, nil)
		}
		if br.BaseResp == nil {
			return f.fault(platforms.ReasonBadResponse, "", "缺少 base_resp", rawURL, nil)
		}
		switch br.BaseResp.Ret {
		case retOK:
			body, hdr = resp.Body(), resp.Header()
			return nil
		case retInvalidSession:
			f.mpExpired.Store(true)
			return f.fault(platforms.ReasonSessionExpired, labelSessionExpired, retDetail(br.BaseResp), rawURL, nil)
		case retFreqControl:
			ft := f.fault(platforms.ReasonRateLimited, labelRateLimited, retDetail(br.BaseResp), rawURL, nil)
			ft.Err = errFreqControl // for the closure watch; carries no request data
			return platforms.Retry(ft)
		default:
			return f.fault(platforms.ReasonPlatformError, "", retDetail(br.BaseResp), rawURL, nil)
		}
	})
	if err != nil {
		return nil, rawURL, nil, f.finish(ctx, err)
	}
	return body, rawURL, hdr, nil
}

func retDetail(b *baseResp) string {
	if b.ErrMsg == "" {
		return fmt.Sprintf("ret=%d", b.Ret)
	}
	return fmt.Sprintf("ret=%d %s", b.Ret, b.ErrMsg)
}

// mpGone is the fault every backend account gets, without a request, once the route is gone for
// the run: the session expired (200003), or the 2026 closure was detected. nil while it works.
func (f *Fetcher) mpGone() *platforms.Fault {
	if f.mpExpired.Load() {
		return &platforms.Fault{Reason: platforms.ReasonSessionExpired, Label: labelSessionExpired, Detail: detailSessionGone}
	}
	if f.closure.isClosed() {
		return &platforms.Fault{Reason: platforms.ReasonRouteClosed, Label: labelClosed, Detail: detailClosed}
	}
	return nil
}

// errFreqControl marks a fault that came from base_resp.ret 200013.
var errFreqControl = errors.New("wechat: 200013 freq control")

// closureWatch detects the 2026-07-30 closure (platforms.md Part 1): since then the backend
// answers 200013 to the first appmsgpublish for any other account, every time, while searchbiz
// still works. When the first list requests of a run for three different accounts have all
// ended in 200013 (after the pacer's retries) and none has been read, the route is stopped for
// the run like 200003: every remaining backend account is 待核查 without a request, and one
// notice says which routes still work. One list read anywhere in the run means the route works
// (ordinary frequency control), and it is never stopped.
type closureWatch struct {
	mu      sync.Mutex
	refused int
	read    bool
	closed  bool
	notify  func(string)
}

// closureAfter is how many accounts in a row must be refused.
const closureAfter = 3

// firstList records how an account's first list request ended.
func (c *closureWatch) firstList(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case err == nil:
		c.read = true
	case errors.Is(err, errFreqControl) && !c.read && !c.closed:
		c.refused++
		if c.refused >= closureAfter {
			c.closed = true
			if c.notify != nil {
				c.notify(noticeClosed)
			}
		}
	}
}

func (c *closureWatch) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

func (f *Fetcher) parsePublishPage(body []byte, rawURL string) (*publishPage, error) {
	var res appMsgPublishResp
	if err := json.Unmarshal(body, &res); err != nil {
		return nil, f.fault(platforms.ReasonBadResponse, "", "appmsgpublish: "+err.Error(), rawURL, nil)
	}
	if res.PublishPage == nil {
		return nil, f.fault(platforms.ReasonBadResponse, "", "appmsgpublish: 缺少 publish_page", rawURL, nil)
	}
	var pp publishPage
	if err := json.Unmarshal([]byte(*res.PublishPage), &pp); err != nil {
		return nil, f.fault(platforms.ReasonBadResponse, "", "publish_page: "+err.Error(), rawURL, nil)
	}
	return &pp, nil
}

// parseSend reads one publish_info. The send's time is sent_info.time when it is non-zero: an
// article's create_time is when it was written and can predate the send by days. Without it,
// the newest appmsgex[].create_time, then appmsgex[].update_time, then appmsg_info[]'s times
// (image-and-text posts carry only those). A send with none of them returns nil: it is an
// undated entry, which platforms.Listing weighs (it cannot decide by itself, and only matters
// when no dated send proves the window). The titles of appmsg_info posts are kept as evidence
// like the articles'.
func (f *Fetcher) parseSend(info string, n int, rawURL string) (*platforms.Post, error) {
	var pi publishInfo
	if err := json.Unmarshal([]byte(info), &pi); err != nil {
		return nil, f.fault(platforms.ReasonBadResponse, "", fmt.Sprintf("publish_info #%d: %v", n, err), rawURL, nil)
	}
	var ts int64
	if pi.SentInfo != nil {
		ts = int64(pi.SentInfo.Time)
	}
	newest := func(arts []publishArticle, field func(publishArticle) flexTime) int64 {
		var t int64
		for _, a := range arts {
			t = max(t, int64(field(a)))
		}
		return t
	}
	for _, try := range []func() int64{
		func() int64 { return newest(pi.AppMsgEx, func(a publishArticle) flexTime { return a.CreateTime }) },
		func() int64 { return newest(pi.AppMsgEx, func(a publishArticle) flexTime { return a.UpdateTime }) },
		func() int64 { return newest(pi.AppMsgInfo, func(a publishArticle) flexTime { return a.SendTime }) },
		func() int64 { return newest(pi.AppMsgInfo, func(a publishArticle) flexTime { return a.CreateTime }) },
		func() int64 { return newest(pi.AppMsgInfo, func(a publishArticle) flexTime { return a.UpdateTime }) },
	} {
		if ts > 0 {
			break
		}
		ts = try()
	}
	if ts <= 0 {
		return nil, nil
	}
	if ts < minSendTime || ts > maxSendTime {
		return nil, f.fault(platforms.ReasonBadResponse, "", fmt.Sprintf("publish_info #%d: 发送时间 %d 超出合理范围", n, ts), rawURL, nil)
	}
	p := &platforms.Post{Time: time.Unix(ts, 0).In(cst), ID: strings.Trim(string(pi.MsgID), `"`)}
	arts := append(append([]publishArticle(nil), pi.AppMsgEx...), pi.AppMsgInfo...)
	if len(arts) > 0 {
		p.Title = arts[0].Title
		if p.ID == "" || p.ID == "null" {
			p.ID = arts[0].Aid
		}
	}
	if p.ID == "null" {
		p.ID = ""
	}
	return p, nil
}

// Plausible send times: WeChat official accounts opened in 2012; 2100 catches milliseconds.
var (
	minSendTime = time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	maxSendTime = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
)

// flexTime reads a unix time sent as a JSON number or a numeric string; null, "" and anything
// unreadable are 0 (no time), which the caller treats as undated rather than as 1970.
type flexTime int64

func (t *flexTime) UnmarshalJSON(b []byte) error {
	v := strings.Trim(strings.TrimSpace(string(b)), `"`)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		*t = 0
		return nil
	}
	*t = flexTime(n)
	return nil
}
