package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/officialaccount"
	offConfig "github.com/silenceper/wechat/v2/officialaccount/config"
	"github.com/silenceper/wechat/v2/officialaccount/datacube"
	"github.com/silenceper/wechat/v2/officialaccount/freepublish"
	"github.com/silenceper/wechat/v2/util"

	"github.com/nmaudit/nmaudit/platforms"
)

// The official API route (platforms.md Part 1, "WeChat, official API").
//
// silenceper/wechat carries the plumbing: the access token (its credential handle and cache),
// the HTTP calls (util.PostJSONContext, which applies the URI modifier and DefaultHTTPClient),
// the error decoding (util.DecodeWithError → *util.CommonError) and the response types
// (freepublish.ArticleList, datacube.ResArticleTotal). The two data calls are issued with
// util.PostJSONContext rather than FreePublish.Paginate / DataCube.GetArticleTotal because those
// methods take no context (so a canceled run or a per-request timeout could not stop them),
// Paginate sends no_content as a JSON bool where the contract has the number 1, and the raw body
// is needed to read update_time where a real capture may put it (inside content).

const (
	urlToken        = officialPrefix + "/cgi-bin/token"
	urlFreePublish  = officialPrefix + "/cgi-bin/freepublish/batchget"
	urlArticleTotal = officialPrefix + "/datacube/getarticletotal"

	freePublishCount = 20 // the API's maximum

	errSystem         = -1
	errInvalidToken   = 40001
	errTokenExpired   = 42001
	errInvalidAppID   = 40013
	errInvalidSecret  = 40125
	errIPNotWhitelist = 40164
	errQuota          = 45009
	errUnauthorized   = 48001
)

// app is one configured account with its own silenceper client. Fetches for one app are
// serialised: a token refresh must not race another fetch that still uses the old token.
type app struct {
	App
	oa    *officialaccount.OfficialAccount
	cache *tokenCache
	mu    sync.Mutex
}

func newApp(a App) *app {
	c := &tokenCache{mem: cache.NewMemory(), keys: map[string]bool{}}
	oa := officialaccount.NewOfficialAccount(&offConfig.Config{AppID: a.AppID, AppSecret: a.AppSecret.Reveal(), Cache: c})
	return &app{App: a, oa: oa, cache: c}
}

// tokenCache wraps silenceper's in-memory cache (which the library requires). cache.Memory reads
// its map without its lock, so the wrapper serialises every access; it also remembers the keys
// silenceper wrote, so a rejected token (40001/42001) can be dropped without depending on the
// library's key format.
type tokenCache struct {
	mu   sync.Mutex
	mem  *cache.Memory
	keys map[string]bool
}

var _ cache.Cache = (*tokenCache)(nil)

func (c *tokenCache) Get(key string) any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mem.Get(key)
}

func (c *tokenCache) Set(key string, val any, timeout time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keys[key] = true
	return c.mem.Set(key, val, timeout)
}

func (c *tokenCache) IsExist(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mem.IsExist(key)
}

func (c *tokenCache) Delete(key string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.keys, key)
	return c.mem.Delete(key)
}

// cached reports whether a live token is held, i.e. whether getting it needs no request.
func (c *tokenCache) cached() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.keys {
		if s, ok := c.mem.Get(k).(string); ok && s != "" {
			return true
		}
	}
	return false
}

// flush forgets every token, so the next GetAccessTokenContext asks the server.
func (c *tokenCache) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.keys {
		_ = c.mem.Delete(k)
	}
	clear(c.keys)
}

// fetchAPI: the newest post ≤ T is the max over freepublish (发布) and getarticletotal (群发,
// which freepublish does not list). "Nothing in the window" needs both calls to answer; a post
// in the window from either call is proof on its own, whatever the other call did (Part 1): a
// freepublish item in [T−W, T] stands when getarticletotal answers 48001, and a mass-send day
// in the window stands when freepublish fails.
func (f *Fetcher) fetchAPI(ctx context.Context, a *app, checkTime time.Time) (platforms.Observation, error) {
	a.mu.Lock()
	defer a.mu.Unlock()

	// The token first: without one neither call can be made, and asking for it again for the
	// second call would only repeat the refusal.
	if _, err := f.token(ctx, a); err != nil {
		return platforms.Observation{}, err
	}
	pub, pubURL, pubErr := f.published(ctx, a, checkTime)
	if ctx.Err() != nil {
		return platforms.Observation{}, f.finish(ctx, ctx.Err())
	}
	if appWide(pubErr) {
		// The app itself was refused (AppSecret, IP whitelist, daily quota): the other call
		// would be refused the same way.
		return platforms.Observation{}, pubErr
	}
	floor := pub
	if pubErr != nil {
		floor = nil // every day of the window has to be asked: nothing is known from freepublish
	}
	mass, massURL, massErr := f.massSends(ctx, a, checkTime, floor)
	if ctx.Err() != nil {
		return platforms.Observation{}, f.finish(ctx, ctx.Err())
	}
	obs := func(p *platforms.Post, u string) platforms.Observation {
		return platforms.Observation{Source: sourceAPI, Latest: p, URL: f.redactURL(u), FetchedAt: f.now()}
	}
	switch {
	case pubErr == nil && massErr == nil:
		if mass != nil && (pub == nil || mass.Time.After(pub.Time)) {
			return obs(mass, massURL), nil
		}
		return obs(pub, pubURL), nil
	case pubErr != nil && massErr == nil && f.inWindow(mass, checkTime):
		return obs(mass, massURL), nil
	case massErr != nil && pubErr == nil && f.inWindow(pub, checkTime):
		return obs(pub, pubURL), nil
	case pubErr != nil:
		return platforms.Observation{}, pubErr
	default:
		return platforms.Observation{}, massErr
	}
}

// appWide reports a failure that holds for every call of the app, not one endpoint.
func appWide(err error) bool {
	var ft *platforms.Fault
	if !errors.As(err, &ft) {
		return false
	}
	switch ft.Reason {
	case platforms.ReasonCredentials, platforms.ReasonIPWhitelist, platforms.ReasonQuota:
		return true
	}
	return errors.Is(err, errTokenRejected)
}

// errTokenRejected marks a token the API refused even after one refresh (40001/42001 twice).
var errTokenRejected = errors.New("wechat: access_token rejected after a refresh")

// inWindow reports whether p proves an update in [T−W, T].
func (f *Fetcher) inWindow(p *platforms.Post, checkTime time.Time) bool {
	if p == nil {
		return false
	}
	t, ok := platforms.EffectiveTime(*p, checkTime)
	return ok && !t.Before(checkTime.Add(-f.cfg.Window))
}

type freePublishReq struct {
	Offset    int `json:"offset"`
	Count     int `json:"count"`
	NoContent int `json:"no_content"` // a number, as the official doc types it
}

// freePublishNested reads update_time one level down, where a community report says the real
// response puts it (platforms.md §1a); silenceper's ArticleList only reads item[].update_time.
type freePublishNested struct {
	Item []struct {
		Content struct {
			UpdateTime int64 `json:"update_time"`
		} `json:"content"`
	} `json:"item"`
}

// published reads freepublish/batchget from offset 0. An item's time is item.update_time, or
// item.content.update_time when the former is missing. Items after T are ignored; like the
// backend, the list is paged on (bounded by max_pages) while every item seen is after T, since
// an audit run long after T would otherwise see only newer items and miss the one that counts.
func (f *Fetcher) published(ctx context.Context, a *app, checkTime time.Time) (*platforms.Post, string, error) {
	var latest *platforms.Post
	lastURL := ""
	for page := range f.cfg.MaxPages {
		offset := page * freePublishCount
		list, raw, rawURL, err := postJSON[freepublish.ArticleList](ctx, f, a, urlFreePublish,
			freePublishReq{Offset: offset, Count: freePublishCount, NoContent: 1}, "PaginateFreePublish")
		if err != nil {
			return nil, rawURL, err
		}
		lastURL = rawURL
		if err := requireFields(raw, "total_count", "item"); err != nil {
			return nil, rawURL, f.fault(platforms.ReasonBadResponse, "", "freepublish/batchget: "+err.Error(), rawURL, nil)
		}
		var nested freePublishNested
		_ = json.Unmarshal(raw, &nested) // best effort: the same body already decoded as ArticleList
		if len(list.Item) == 0 {
			if page == 0 && list.TotalCount > 0 {
				// An empty list that says it has items is being withheld, not empty.
				return nil, rawURL, f.fault(platforms.ReasonEmptyList, labelEmptyList,
					fmt.Sprintf(detailListHidden, list.TotalCount), rawURL, nil)
			}
			// total_count 0 (the account never 发布-published; 群发 is asked separately), or
			// the end of the list with every item after T.
			return latest, rawURL, nil
		}
		seenBefore := false
		for i, it := range list.Item {
			ts := it.UpdateTime
			if ts <= 0 && i < len(nested.Item) {
				ts = nested.Item[i].Content.UpdateTime
			}
			if ts <= 0 {
				return nil, rawURL, f.fault(platforms.ReasonBadResponse, "",
					fmt.Sprintf("freepublish item #%d: 缺少 update_time", offset+i+1), rawURL, nil)
			}
			t := time.Unix(ts, 0).In(cst)
			if t.After(checkTime) {
				continue
			}
			seenBefore = true
			if latest == nil || t.After(latest.Time) {
				latest = &platforms.Post{Time: t, ID: it.ArticleID}
				if len(it.Content.NewsItem) > 0 {
					latest.Title = it.Content.NewsItem[0].Title
				}
			}
		}
		if seenBefore || int64(offset+len(list.Item)) >= list.TotalCount {
			return latest, rawURL, nil
		}
	}
	return nil, lastURL, f.fault(platforms.ReasonTooManyPages, "", fmt.Sprintf("max_pages=%d", f.cfg.MaxPages), lastURL, nil)
}

type reqDate struct {
	BeginDate string `json:"begin_date"`
	EndDate   string `json:"end_date"`
}

// massSends asks getarticletotal one day per call, newest day first, from the day of T — or
// yesterday by the fetch clock, whichever is earlier, since the statistics exist only up to
// yesterday — back to the window's first day (T−W's date). Older days need not be asked: they
// cannot put a post in the window. It stops at the first day with a mass-send (the newest one),
// and never asks days before the freepublish post's day, which could not beat it.
//
// A mass-send is known only to the day; its Post.Time is the latest moment of that day not after
// T (23:59:59 China time, or T itself on T's day), with DayOnly set — the same rule design.md
// gives the classifier, so the value is right whether or not the reader re-applies it.
func (f *Fetcher) massSends(ctx context.Context, a *app, checkTime time.Time, pub *platforms.Post) (*platforms.Post, string, error) {
	first := dayStart(checkTime.Add(-f.cfg.Window))
	last := dayStart(checkTime)
	if y := dayStart(f.now()).AddDate(0, 0, -1); y.Before(last) {
		last = y
	}
	lastURL := ""
	for d := last; !d.Before(first); d = d.AddDate(0, 0, -1) {
		if pub != nil && d.Before(dayStart(pub.Time)) {
			break
		}
		date := d.Format(time.DateOnly)
		res, raw, rawURL, err := postJSON[datacube.ResArticleTotal](ctx, f, a, urlArticleTotal,
			reqDate{BeginDate: date, EndDate: date}, "GetArticleTotal")
		if err != nil {
			return nil, rawURL, err
		}
		lastURL = rawURL
		if err := requireFields(raw, "list"); err != nil {
			return nil, rawURL, f.fault(platforms.ReasonBadResponse, "", "datacube/getarticletotal: "+err.Error(), rawURL, nil)
		}
		if len(res.List) > 0 {
			end := d.Add(24*time.Hour - time.Second)
			if end.After(checkTime) {
				end = checkTime.In(cst)
			}
			return &platforms.Post{Time: end, DayOnly: true, ID: res.List[0].MsgID, Title: res.List[0].Title}, rawURL, nil
		}
	}
	return nil, lastURL, nil
}

// requireFields reports a body that lacks any of the named top-level fields. Only an answer
// carrying the fields the contract names is definitive: "{}" has no list at all, and reading it
// as an empty one would make an account 不合格 on a malformed answer.
func requireFields(raw []byte, names ...string) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return fmt.Errorf("返回内容不是 JSON 对象：%w", err)
	}
	for _, n := range names {
		if v, ok := top[n]; !ok || string(v) == "null" {
			return fmt.Errorf("缺少字段 %s", n)
		}
	}
	return nil
}

func dayStart(t time.Time) time.Time {
	y, m, d := t.In(cst).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, cst)
}

// postJSON calls one official endpoint with the app's token through silenceper's HTTP plumbing
// and decodes the answer into T (a silenceper response type embedding util.CommonError). It
// returns the value, the raw body and the URI requested (with the token: redact before showing).
// A 40001/42001 drops the cached token and retries once with a fresh one.
func postJSON[T any](ctx context.Context, f *Fetcher, a *app, endpoint string, body any, apiName string) (T, []byte, string, error) {
	var zero T
	for refreshed := false; ; refreshed = true {
		tok, err := f.token(ctx, a)
		if err != nil {
			return zero, nil, "", err
		}
		uri := endpoint + "?access_token=" + url.QueryEscape(tok)
		rawURL := f.rewrite(uri)
		var out T
		var raw []byte
		expired := false
		err = f.pacer.Do(ctx, func(ctx context.Context) error {
			out, expired = *new(T), false // a failed attempt's errcode must not linger
			actx, cancel := f.attemptCtx(ctx)
			defer cancel()
			b, err := util.PostJSONContext(actx, uri, body)
			if err != nil {
				return f.libErr(ctx, err, rawURL)
			}
			if err := util.DecodeWithError(b, &out, apiName); err != nil {
				var ce *util.CommonError
				if !errors.As(err, &ce) {
					return f.fault(platforms.ReasonBadResponse, "", apiName+": "+err.Error(), rawURL, nil)
				}
				if ce.ErrCode == errInvalidToken || ce.ErrCode == errTokenExpired {
					expired = true
					return f.fault(platforms.ReasonPlatformError, labelTokenInvalid, codeDetail(ce.ErrCode, ce.ErrMsg), rawURL, nil)
				}
				return f.codeErr(ce.ErrCode, ce.ErrMsg, rawURL)
			}
			raw = b
			return nil
		})
		if expired && !refreshed && ctx.Err() == nil {
			a.cache.flush()
			continue
		}
		if err != nil {
			err = f.finish(ctx, err)
			if expired {
				if ft, ok := err.(*platforms.Fault); ok {
					ft.Err = errTokenRejected
				}
			}
			return zero, nil, rawURL, err
		}
		return out, raw, rawURL, nil
	}
}

// token gets the app's access token through silenceper's credential handle. A cached token
// needs no request, so it does not wait for the pacer.
func (f *Fetcher) token(ctx context.Context, a *app) (string, error) {
	if a.cache.cached() {
		if tok, err := a.oa.GetAccessTokenContext(ctx); err == nil && tok != "" {
			f.addToken(tok)
			return tok, nil
		}
	}
	tokenURL := f.rewrite(urlToken + "?grant_type=client_credential&appid=" + url.QueryEscape(a.AppID))
	var tok string
	err := f.pacer.Do(ctx, func(ctx context.Context) error {
		actx, cancel := f.attemptCtx(ctx)
		defer cancel()
		v, err := a.oa.GetAccessTokenContext(actx)
		if err != nil {
			return f.libErr(ctx, err, tokenURL)
		}
		if v == "" {
			return f.fault(platforms.ReasonBadResponse, "", "access_token 为空", tokenURL, nil)
		}
		f.addToken(v)
		tok = v
		return nil
	})
	return tok, f.finish(ctx, err)
}

var (
	// silenceper reports token errors as plain text: "get access_token error : errcode=40164 ,
	// errormsg=invalid ip …" (and "get stable access_token error : …").
	tokenErrRe = regexp.MustCompile(`errcode=(-?\d+)\s*,\s*errormsg=(.*)$`)
	// and HTTP failures as "http get error : uri=… , statusCode=502".
	statusErrRe = regexp.MustCompile(`statusCode=(\d+)`)
)

// libErr classifies an error silenceper returned as a plain error value.
func (f *Fetcher) libErr(ctx context.Context, err error, rawURL string) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if ft, ok := platforms.AsFault(err); ok {
		// The transport already knew the answer (a body over the cap, a replay without the
		// exchange): pass it on, not retried.
		return f.fault(ft.Reason, ft.Label, ft.Detail, rawURL, nil)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return f.transportErr(ctx, err, rawURL)
	}
	var ce *util.CommonError
	if errors.As(err, &ce) {
		return f.codeErr(ce.ErrCode, ce.ErrMsg, rawURL)
	}
	msg := err.Error()
	if m := tokenErrRe.FindStringSubmatch(msg); m != nil {
		code, _ := strconv.ParseInt(m[1], 10, 64)
		return f.codeErr(code, m[2], rawURL)
	}
	if m := statusErrRe.FindStringSubmatch(msg); m != nil {
		code, _ := strconv.Atoi(m[1])
		return f.httpStatusErr(code, rawURL)
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	if errors.As(err, &se) || errors.As(err, &te) {
		return f.fault(platforms.ReasonBadResponse, "", err.Error(), rawURL, nil)
	}
	return f.fault(platforms.ReasonPlatformError, "", msg, rawURL, err)
}

// codeErr maps an errcode (Part 1's table). Compare on the code, never on errmsg, whose tail
// ("rid: …") changes on every call.
func (f *Fetcher) codeErr(code int64, msg, rawURL string) error {
	detail := codeDetail(code, msg)
	switch code {
	case errSystem:
		return platforms.Retry(f.fault(platforms.ReasonPlatformError, "", detail, rawURL, nil))
	case errIPNotWhitelist:
		return f.fault(platforms.ReasonIPWhitelist, labelIPWhitelist, detail, rawURL, nil)
	case errInvalidAppID, errInvalidSecret:
		return f.fault(platforms.ReasonCredentials, labelCredentials, detail, rawURL, nil)
	case errUnauthorized:
		return f.fault(platforms.ReasonNoPermission, labelNoPermission, detail, rawURL, nil)
	case errQuota:
		return f.fault(platforms.ReasonQuota, labelQuota, detail, rawURL, nil)
	}
	return f.fault(platforms.ReasonPlatformError, "", detail, rawURL, nil)
}

func codeDetail(code int64, msg string) string {
	if msg == "" {
		return fmt.Sprintf("errcode=%d", code)
	}
	return fmt.Sprintf("errcode=%d %s", code, msg)
}
