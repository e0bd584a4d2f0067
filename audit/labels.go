package audit

import (
	"strings"

	"github.com/nmaudit/nmaudit/platforms"
)

// The Chinese wording users see for verdicts and report sections, in one place.
const (
	LabelQualified      = "合格"
	LabelUnqualified    = "不合格"
	LabelPendingClosure = "注销中"
	LabelNeedsReview    = "待核查"
	LabelUnregistered   = "未在信息报送系统中登记"
	LabelUnsupported    = "平台暂不支持自动检查"
	LabelNoObservation  = "无平台结果且无人工观察记录"
)

// Canonical level labels (design.md sample strata; domain.md sample breakdown).
const (
	LevelCityGov    = "市级政府"
	LevelCountyGov  = "县(区)政府"
	LevelCityDept   = "市级部门"
	LevelCountyDept = "县(区)部门及镇(街道)"
)

// statusLabels maps every registry status wording to its class (design.md, "Status values").
var statusLabels = map[string]Lifecycle{
	"正常": Active, "正常运行": Active, "运行中": Active,
	"注销中": PendingClosure, "正在注销中": PendingClosure, "正在申请办理注销": PendingClosure, "申请注销中": PendingClosure,
	"已注销": Closed, "注销": Closed, "已关停": Closed, "关停": Closed,
}

// ParseStatus maps a registry status label to its class. Full-width characters and spaces are
// tolerated; anything else is unknown (ok=false), which callers report as bad input.
func ParseStatus(label string) (Lifecycle, bool) {
	l, ok := statusLabels[compact(label)]
	return l, ok
}

// typeLabels maps account-type labels (domain.md) to platforms.
var typeLabels = map[string]platforms.Platform{
	"微信订阅号": platforms.WeChat, "订阅号": platforms.WeChat,
	"微信服务号": platforms.WeChat, "服务号": platforms.WeChat,
	"微信公众号": platforms.WeChat, "微信": platforms.WeChat, "公众号": platforms.WeChat,
	"新浪微博": platforms.Weibo, "微博": platforms.Weibo, "微博账号": platforms.Weibo,
	"百度贴吧": platforms.Tieba, "贴吧": platforms.Tieba,
	"抖音": platforms.Douyin, "抖音号": platforms.Douyin, "抖音短视频": platforms.Douyin,
	"今日头条": platforms.Toutiao, "头条号": platforms.Toutiao, "头条": platforms.Toutiao,
	"快手": platforms.Kuaishou, "快手短视频": platforms.Kuaishou, "快手号": platforms.Kuaishou,
	"微信视频号": platforms.Channels, "视频号": platforms.Channels,
	"微信小程序": platforms.MiniProgram, "小程序": platforms.MiniProgram,
	"app": platforms.App, "移动客户端": platforms.App, "客户端": platforms.App,
	"百家号": platforms.Baijiahao, "企鹅号": platforms.Qiehao, "大鱼号": platforms.Dayu,
	"小红书": platforms.Xiaohongshu, "哔哩哔哩": platforms.Bilibili, "b站": platforms.Bilibili, "bilibili": platforms.Bilibili,
	"人民号": platforms.Renminhao, "网易号": platforms.Wangyihao,
	"其他": platforms.Other, "其它": platforms.Other,
}

// ParseType maps an account-type label to a platform. Composite labels join a category and a
// platform with "+" (其他+百度贴吧): the most specific known part wins, i.e. any part naming a
// real platform beats 其他. ok=false means the label is unknown (platform Unknown).
func ParseType(label string) (platforms.Platform, bool) {
	key := strings.ToLower(compact(label))
	if p, ok := typeLabels[key]; ok {
		return p, true
	}
	parts := strings.FieldsFunc(key, func(r rune) bool { return r == '+' || r == '/' || r == '、' || r == '-' })
	if len(parts) > 1 {
		best, found := platforms.Platform(""), false
		for _, part := range parts {
			p, ok := typeLabels[part]
			if !ok {
				continue
			}
			if !found || best == platforms.Other {
				best, found = p, true
			}
		}
		if found {
			return best, true
		}
	}
	return platforms.Unknown, false
}

// Supported reports whether nmaudit has an adapter for p.
func Supported(p platforms.Platform) bool {
	return p == platforms.WeChat || p == platforms.Weibo || p == platforms.Tieba
}

// levelAliases maps registry level wordings onto the four canonical strata (design.md).
var levelAliases = map[string]string{
	"市级政府": LevelCityGov, "市政府": LevelCityGov,
	"县(区)政府": LevelCountyGov, "县区政府": LevelCountyGov, "县级政府": LevelCountyGov, "区县政府": LevelCountyGov, "县政府": LevelCountyGov, "区政府": LevelCountyGov,
	"市级部门": LevelCityDept, "市直部门": LevelCityDept, "市直单位": LevelCityDept,
	"县(区)部门及镇(街道)": LevelCountyDept, "县区部门": LevelCountyDept, "县级部门": LevelCountyDept,
	"乡镇": LevelCountyDept, "镇街": LevelCountyDept, "街道": LevelCountyDept, "镇(街道)": LevelCountyDept,
	"县区镇(街道办)及县级部门": LevelCountyDept, "县(区)部门": LevelCountyDept,
}

// CanonicalLevel maps a registry level value onto a canonical stratum; ok=false when the value
// is not one of the known wordings (callers then keep the value as written).
func CanonicalLevel(v string) (string, bool) {
	c := compact(v)
	c = strings.NewReplacer("（", "(", "）", ")").Replace(c)
	l, ok := levelAliases[c]
	return l, ok
}
