package wechat

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
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
	TotalCount   int `json:"total_count"`
	PublishCount int `json:"publish_count"`
	PublishList  []struct {
		PublishType int    `json:"publish_type"`
		PublishInfo string `json:"publish_info"` // JSON again, or empty
	} `json:"publish_list"`
}

type publishInfo struct {
	MsgID    json.Number `json:"msgid"`
	SentInfo *struct {
		Time int64 `json:"time"`
	} `json:"sent_info"`
	AppMsgEx []struct {
		Aid        string `json:"aid"`
		Title      string `json:"title"`
		CreateTime int64  `json:"create_time"`
	} `json:"appmsgex"`
}

// fetchMP is the backend route: resolve the fakeid (unless the registry gave it), then page
// appmsgpublish until a send at or before T turns up.
func (f *Fetcher) fetchMP(ctx context.Context, t platforms.Target, checkTime time.Time) (platforms.Observation, error) {
	if f.mpExpired.Load() {
		return platforms.Observation{}, f.sessionGone()
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

	var latest *platforms.Post
	lastURL := ""
	for page := range f.cfg.MaxPages {
		q := url.Values{
			"sub": {"list"}, "search_field": {"null"}, "begin": {strconv.Itoa(page * publishPageSize)},
			"count": {strconv.Itoa(publishPageSize)}, "query": {""}, "fakeid": {fakeid}, "type": {"101_1"},
			"free_publish_type": {"1"}, "sub_action": {"list_ex"},
		}
		body, rawURL, hdr, err := f.mpGet(ctx, pathAppMsgPublish, q)
		if err != nil {
			return platforms.Observation{}, err
		}
		lastURL = rawURL
		pp, err := f.parsePublishPage(body, rawURL)
		if err != nil {
			return platforms.Observation{}, err
		}
		obs := platforms.Observation{Source: sourceMP, URL: f.redactURL(rawURL), FetchedAt: platforms.FetchTime(hdr, f.now)}
		if len(pp.PublishList) == 0 {
			if page == 0 && (pp.TotalCount > 0 || pp.PublishCount > 0) {
				// Part 1 reads an empty first page as "never posted". A page that is empty
				// while the same answer counts sends is not that: the list is being withheld
				// (the 2026 closure of cross-account lists looks like this), so it is not read
				// as a verdict either way.
				return platforms.Observation{}, f.fault(platforms.ReasonEmptyList, labelEmptyList,
					fmt.Sprintf(detailListHidden, max(pp.TotalCount, pp.PublishCount)), rawURL, nil)
			}
			// Page 0: the account has never posted. A later page: the end of the list, every
			// send seen having been after T, so nothing is known at or before T.
			obs.Latest = latest
			return obs, nil
		}
		seenBefore := false
		for i, item := range pp.PublishList {
			if item.PublishInfo == "" {
				continue // the exporter drops these too: no article behind them
			}
			post, err := f.parseSend(item.PublishInfo, page*publishPageSize+i+1, rawURL)
			if err != nil {
				return platforms.Observation{}, err
			}
			if post.Time.After(checkTime) {
				continue
			}
			seenBefore = true
			if latest == nil || post.Time.After(latest.Time) {
				latest = post
			}
		}
		if seenBefore {
			// Sends are listed newest first, so a page holding one at or before T settles it;
			// the max over the page guards against an out-of-order entry.
			obs.Latest = latest
			return obs, nil
		}
	}
	return platforms.Observation{}, f.fault(platforms.ReasonTooManyPages, "",
		fmt.Sprintf("max_pages=%d", f.cfg.MaxPages), lastURL, nil)
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
		// Checked per attempt: another worker may have hit 200003 while this one waited.
		if f.mpExpired.Load() {
			return f.sessionGone()
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
			return platforms.Retry(f.fault(platforms.ReasonRateLimited, labelRateLimited, retDetail(br.BaseResp), rawURL, nil))
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

// sessionGone is the fault for a backend account after the session expired earlier in the run.
func (f *Fetcher) sessionGone() *platforms.Fault {
	return &platforms.Fault{Reason: platforms.ReasonSessionExpired, Label: labelSessionExpired, Detail: detailSessionGone}
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

// parseSend reads one publish_info. The send's time is sent_info.time: an article's create_time
// is when it was written and can predate the send by days. create_time (the newest of the
// articles) is used only when sent_info is absent or carries no time. A send with neither is a
// fault rather than skipped, since skipping it could hide the newest send.
func (f *Fetcher) parseSend(info string, n int, rawURL string) (*platforms.Post, error) {
	var pi publishInfo
	if err := json.Unmarshal([]byte(info), &pi); err != nil {
		return nil, f.fault(platforms.ReasonBadResponse, "", fmt.Sprintf("publish_info #%d: %v", n, err), rawURL, nil)
	}
	var ts int64
	if pi.SentInfo != nil {
		ts = pi.SentInfo.Time
	}
	if ts <= 0 {
		for _, a := range pi.AppMsgEx {
			ts = max(ts, a.CreateTime)
		}
	}
	if ts <= 0 {
		return nil, f.fault(platforms.ReasonBadResponse, "", fmt.Sprintf(detailNoTime, n), rawURL, nil)
	}
	p := &platforms.Post{Time: time.Unix(ts, 0).In(cst), ID: pi.MsgID.String()}
	if len(pi.AppMsgEx) > 0 {
		p.Title = pi.AppMsgEx[0].Title
		if p.ID == "" {
			p.ID = pi.AppMsgEx[0].Aid
		}
	}
	return p, nil
}
