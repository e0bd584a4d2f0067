package audit

import (
	"net/url"
	"sort"

	"github.com/nmaudit/nmaudit/platforms"
)

// The 检查说明: at the end of every run, how many accounts each route decided, and for every
// reason accounts are 待核查 how many and what the person running the check can do about it.
// A run where almost nothing could be checked must say so, and say how to fix it, rather than
// leave an office with a column of 待核查 and no next step.

// Explanation is the 检查说明 of a run.
type Explanation struct {
	Decided int          // accounts decided 合格 or 不合格
	Routes  []RouteCount // by source, in a fixed order
	Review  int          // accounts 待核查
	Reasons []ReasonCount
}

// RouteCount is how many accounts one source decided.
type RouteCount struct {
	Source string // weibo, tieba, wechat-mp, wechat-api, wechat-article, manual, finding
	Count  int
}

// ReasonCount is how many accounts are 待核查 for one reason on one platform, with the fix.
type ReasonCount struct {
	Reason   string             // the wording, as each account's detail begins
	Code     string             // platforms.Reason or an audit review code
	Platform platforms.Platform // the accounts' platform
	Count    int
	Hint     string // what to do, naming the setting, the command or the file to fill
}

// sourceOrder is the order routes are listed in.
var sourceOrder = []string{platforms.SourceWeibo, platforms.SourceTieba, "wechat-mp", "wechat-api",
	platforms.SourceWeChatArticle, SourceManual, SourceFinding}

// sourceLabels are the Chinese names of the sources (the report's 来源 column uses them too).
var sourceLabels = map[string]string{
	platforms.SourceWeibo:         "微博接口",
	platforms.SourceTieba:         "贴吧接口",
	"wechat-mp":                   "公众平台后台",
	"wechat-api":                  "微信官方接口",
	platforms.SourceWeChatArticle: "公众号文章链接",
	SourceManual:                  "人工记录",
	SourceFinding:                 "人工检查发现",
}

// SourceLabel is a source's Chinese name ("" stays "").
func SourceLabel(source string) string {
	if l, ok := sourceLabels[source]; ok {
		return l
	}
	return source
}

// Explain builds the 检查说明 from a run's verdicts.
func Explain(r *Result) Explanation {
	var e Explanation
	routes := map[string]int{}
	type key struct {
		reason, code string
		platform     platforms.Platform
	}
	reasons := map[key]int{}
	var order []key
	for _, v := range r.Accounts {
		switch v.Status {
		case Qualified, Unqualified:
			e.Decided++
			src := v.Source
			if src == "" && len(v.Problems) > 0 {
				src = SourceFinding // a veto decided it, no post time being known
			}
			routes[src]++
		case NeedsReview:
			e.Review++
			k := key{v.Review.Label, v.Review.Code, v.Platform}
			if k.reason == "" {
				k.reason, k.code = v.Detail, string(ReviewNoObservation)
			}
			if reasons[k] == 0 {
				order = append(order, k)
			}
			reasons[k]++
		}
	}
	for _, s := range sourceOrder {
		if n := routes[s]; n > 0 {
			e.Routes = append(e.Routes, RouteCount{Source: s, Count: n})
			delete(routes, s)
		}
	}
	var rest []string
	for s := range routes {
		rest = append(rest, s)
	}
	sort.Strings(rest)
	for _, s := range rest {
		e.Routes = append(e.Routes, RouteCount{Source: s, Count: routes[s]})
	}
	for _, k := range order {
		e.Reasons = append(e.Reasons, ReasonCount{Reason: k.reason, Code: k.code, Platform: k.platform,
			Count: reasons[k], Hint: Hint(platforms.Reason(k.code), k.platform)})
	}
	sort.SliceStable(e.Reasons, func(i, j int) bool { return e.Reasons[i].Count > e.Reasons[j].Count })
	return e
}

// reviewByHand is the route that always remains: the 人工核对 worksheet, filled and read back.
const reviewByHand = "用 nmaudit review RUN -o 核对表.xlsx 生成人工核对表，填入最近更新时间或文章链接后 nmaudit recheck RUN --observations 核对表.xlsx"

// Hint is what to do about accounts of platform p that are 待核查 for reason r.
func Hint(r platforms.Reason, p platforms.Platform) string {
	switch r {
	case platforms.ReasonLoginRequired, platforms.ReasonSessionExpired:
		switch p {
		case platforms.Weibo:
			return "在浏览器登录 m.weibo.cn，复制请求头中的 Cookie，配置 platforms.weibo.cookie（或环境变量 NMAUDIT_PLATFORMS_WEIBO_COOKIE）后 nmaudit recheck"
		case platforms.Tieba:
			return "登录百度后复制 Cookie 中的 BDUSS，配置 platforms.tieba.bduss（或环境变量 NMAUDIT_PLATFORMS_TIEBA_BDUSS）后 nmaudit recheck"
		case platforms.WeChat:
			return "重新登录微信公众平台，更新 platforms.wechat.mp_token 和 mp_cookie；或" + reviewByHand
		}
	case platforms.ReasonRouteClosed:
		return "公众平台后台已不提供他人账号的文章列表：" + reviewByHand + "（文章链接会被读取并核对）；本单位账号可在 platforms.wechat.apps 配置 AppID/AppSecret"
	case platforms.ReasonNoCredentials:
		return "本单位账号在 platforms.wechat.apps 配置 AppID/AppSecret（微信官方接口）；其他账号" + reviewByHand
	case platforms.ReasonRateLimited:
		return "平台限制了请求频率：稍后用 nmaudit recheck RUN 复核，或调低 platforms.<平台>.rate；微信公众号若持续出现，多为公众平台已停止提供他人账号文章列表，" + reviewByHand
	case platforms.ReasonCaptcha:
		return "在浏览器中打开详情中的验证地址完成验证后，用 nmaudit recheck RUN 复核"
	case platforms.ReasonEmptyList, platforms.ReasonHidden:
		return "平台返回空列表或动态已隐藏，无法判断是否更新：" + reviewByHand
	case platforms.ReasonNotFound, platforms.ReasonAmbiguous:
		return "在登记表中填写准确的账号ID（微博 UID、公众号 __biz 或原始ID、贴吧用户名或吧名）后复核"
	case platforms.ReasonUnsupported:
		return "该平台暂不支持自动检查：" + reviewByHand + "，或用 --observations 提供人工记录"
	case platforms.ReasonCredentials, platforms.ReasonIPWhitelist, platforms.ReasonNoPermission, platforms.ReasonQuota:
		return "检查 platforms.wechat.apps 中的 AppID/AppSecret、本机 IP 是否在公众号 IP 白名单中、接口权限和调用次数；或" + reviewByHand
	case platforms.ReasonNetwork:
		return "检查网络连接（代理、防火墙）后用 nmaudit recheck RUN 复核"
	case platforms.ReasonIncomplete, platforms.ReasonTooManyPages:
		return "平台的列表未读完，不能判定：稍后复核，或调大 platforms.<平台>.max_pages；也可" + reviewByHand
	case platforms.ReasonNoRecording:
		return "回放记录中没有这些请求：用 --record 重新记录，或不带 --replay 联网检查"
	case platforms.ReasonTooLarge, platforms.ReasonRedirected, platforms.ReasonBadResponse, platforms.ReasonPlatformError:
		return "平台的应答无法采信：稍后用 nmaudit recheck RUN 复核；或" + reviewByHand
	case ReviewOffline:
		return "去掉 --offline 联网检查，或用 --observations 提供人工记录（" + reviewByHand + "）"
	case ReviewObservationLate, ReviewLinkOnly:
		return "提供检查窗口内的更新时间或文章链接：" + reviewByHand
	case ReviewLinkVoid:
		return "观察记录中的文章链接属于其他账号：更正链接后复核"
	case ReviewNoObservation:
		return reviewByHand
	}
	return reviewByHand
}

// WorksheetRow is one account of the 人工核对 worksheet (nmaudit review): the accounts a person
// has to look at, with where to look.
type WorksheetRow struct {
	Verdict
	// Entry is a page a person can open to find the account's newest post: the Weibo profile,
	// the Tieba home or 吧 page, for WeChat a search for the account's name.
	Entry string
}

// Worksheet lists r's 待核查 accounts, and with unqualified its 不合格 ones too (for the 复核
// before a notice names them), in report order.
func Worksheet(r *Result, unqualified bool) []WorksheetRow {
	var out []WorksheetRow
	for _, v := range r.Accounts {
		if v.Status == NeedsReview || (unqualified && v.Status == Unqualified) {
			out = append(out, WorksheetRow{Verdict: v, Entry: EntryURL(v.Account)})
		}
	}
	return out
}

// EntryURL is where a person finds an account's newest post by hand.
func EntryURL(a Account) string {
	q := url.QueryEscape
	switch a.Platform {
	case platforms.Weibo:
		if a.IDKind == platforms.IDWeiboUID && a.ID != "" {
			return "https://m.weibo.cn/u/" + a.ID
		}
		return "https://s.weibo.com/user?q=" + q(a.Name)
	case platforms.Tieba:
		switch a.IDKind {
		case platforms.IDTiebaForum:
			return "https://tieba.baidu.com/f?kw=" + q(a.ID) + "&ie=utf-8"
		case platforms.IDTiebaUserID:
			return "https://tieba.baidu.com/home/main?id=" + q(a.ID)
		case platforms.IDTiebaUser:
			return "https://tieba.baidu.com/home/main?un=" + q(a.ID) + "&ie=utf-8"
		}
		return "https://tieba.baidu.com/home/main?un=" + q(a.Name) + "&ie=utf-8"
	case platforms.WeChat:
		// No public profile page: a search for the name (Sogou's 微信 search lists accounts).
		return "https://weixin.sogou.com/weixin?type=1&ie=utf8&query=" + q(a.Name)
	}
	return "https://www.baidu.com/s?wd=" + q(a.Name+" "+a.Type)
}
