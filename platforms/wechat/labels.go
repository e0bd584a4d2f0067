package wechat

// Sources, as printed in the report's "source" field (design.md, JSON report).
const (
	sourceMP  = "wechat-mp"
	sourceAPI = "wechat-api"
)

// Chinese wording users see in the 待核查 detail. Kept in one place so the report reads the same
// whichever route or call produced the fault.
const (
	labelNoCredentials  = "未配置微信查询凭据"
	labelAmbiguous      = "公众号匹配不唯一"
	labelNotFound       = "未找到公众号"
	labelSessionExpired = "公众平台登录已失效"
	labelRateLimited    = "触发频率限制"
	labelEmptyList      = "平台返回空列表"
	labelIPWhitelist    = "IP 不在白名单"
	labelCredentials    = "AppID/AppSecret 错误"
	labelNoPermission   = "无接口权限"
	labelQuota          = "调用次数超限"
	labelTokenInvalid   = "access_token 刷新后仍无效"
	labelClosed         = "公众平台已停止提供他人账号文章列表"

	detailNoQuery       = "缺少账号名称和微信号，无法搜索"
	detailSessionGone   = "本次运行中公众平台已返回 200003，不再请求"
	detailListHidden    = "列表为空，但平台称共有 %d 条"
	detailSearchResults = "搜索“%s”得到: %s"
	detailShortList     = "第 %d 页为空，但平台称共有 %d 条发送记录，只读到 %d 条"
	detailClosed        = "2026-07-30 起公众平台对他人账号的文章列表一律返回 200013，本次不再请求"

	// noticeClosed is printed once, when the closure is detected; it names what still works.
	noticeClosed = "公众平台后台自 2026-07-30 起不再提供他人账号的文章列表（本次连续 3 个账号的首次列表请求均返回 200013 freq control），" +
		"其余公众平台账号不再请求，记为待核查。仍可用的途径：① 文章链接——用 nmaudit review 生成核对表，填入各账号最近一篇文章的链接后 " +
		"nmaudit recheck --observations 核对表.xlsx，nmaudit 会读取文章页核对发布时间和账号；② 本单位账号在 platforms.wechat.apps 中配置 " +
		"AppID/AppSecret，走微信官方接口；③ 人工填写最近更新时间（--observations）。"
)
