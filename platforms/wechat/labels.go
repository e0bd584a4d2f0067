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

	detailNoQuery       = "缺少账号名称和微信号，无法搜索"
	detailSessionGone   = "本次运行中公众平台已返回 200003，不再请求"
	detailListHidden    = "列表为空，但平台称共有 %d 条"
	detailSearchResults = "搜索“%s”得到: %s"
	detailNoTime        = "第 %d 条缺少发送时间"
)
