package report

import (
	"strings"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/platforms"
)

// The Chinese words the reports print — section titles, column headers, summary labels — live
// here, one place per concept (conventions.md), so the table, md, csv and xlsx reports cannot
// disagree. Verdict labels (合格 …) and canonical levels come from package audit.

// Column headers.
const (
	colName           = "账号名称"
	colOwner          = "开设主体"
	colType           = "账号类型"
	colResult         = "检查结果"
	colProblems       = "存在的严重问题" // the seed report's wording
	colPlatform       = "平台"
	colAccountID      = "账号ID"
	colLevel          = "层级"
	colRegion         = "所属地区"
	colRegistryStatus = "运行状态"
	colLatestPost     = "最近更新时间"
	colSource         = "来源"
	colDetail         = "说明"
	colReason         = "原因"
	colWarnLatest     = "最近更新"
	colDaysSince      = "距今天数"
	colListRow        = "清单行"
	colRegistryRow    = "系统行"
	colDifference     = "差异"
	colCategory       = "类别"
	colRegistryState  = "系统状态"
	colListState      = "清单状态"
	colItem           = "项目"
	colValue          = "数值"

	colChecked = "检查数"
	colRate    = "不合格占比"
)

// Section titles (md headings, table captions, xlsx sheet names where they fit).
const (
	titleOverview     = "检查概况"
	titleByLevel      = "分层级统计"
	titleUnqualified  = "不合格名单"
	titleNeedsReview  = "待核查名单"
	titleWarnings     = "预警（合格，但临近超期未更新）"
	titleUnregistered = audit.LabelUnregistered
	titleDuplicates   = "重复登记"
	titleReconcile    = "登记核对概况"
)

// Check summary labels, in the order the summary prints them.
const (
	sumRegistryRows = "信息报送系统账号"
	sumClosed       = "已注销(不计入)"
	sumInScope      = "检查范围"
	sumRate         = "不合格占比"
	headCheckTime   = "检查时间"
	headWindow      = "更新窗口"
	noneLine        = "无。"
	levelTotal      = "合计"
	problemsSep     = "；" // joins several problems in one cell, as Chinese lists do
	rowsSep         = "、" // joins row numbers
)

// xlsx sheet names (≤ 31 characters, none of []:*?/\).
const (
	sheetSummary      = "汇总"
	sheetUnqualified  = "不合格名单"
	sheetAll          = "全部账号"
	sheetNeedsReview  = "待核查"
	sheetWarnings     = "预警"
	sheetUnregistered = "未登记"
	sheetDuplicates   = "重复登记"
)

// Reconciliation wording.
const (
	recRegistryRows = "信息报送系统账号"
	recListRows     = "单位清单账号"
	recRegistryFile = "信息报送系统导出"
	recListFile     = "单位清单"
	recListPrefix   = "清单: "
	recRegPrefix    = "系统: "
)

// fieldLabels names the compared fields of a reconciliation difference.
var fieldLabels = map[string]string{
	"status":   "状态",
	"owner":    colOwner,
	"platform": colPlatform,
}

// reconcileCategory is one list of a reconciliation with every name it goes by.
type reconcileCategory struct {
	key     string // JSON key
	title   string // section title (table, md)
	short   string // 类别 column (csv) and sheet name (xlsx)
	summary string // label in the summary block
	count   func(audit.ReconcileSummary) int
	entries func(*audit.Reconciliation) []audit.ReconcileEntry
}

// reconcileCategories lists the reconciliation's lists in the contract's order (JSON, csv,
// xlsx). The table and md reports print the matched list last (see reconcileDocument).
var reconcileCategories = []reconcileCategory{
	{
		key: "matched", title: "匹配", short: "匹配", summary: "匹配",
		count:   func(s audit.ReconcileSummary) int { return s.Matched },
		entries: func(r *audit.Reconciliation) []audit.ReconcileEntry { return r.Matched },
	},
	{
		key: "unregistered", title: audit.LabelUnregistered + "（未报送）", short: "未报送", summary: "未报送(清单有、系统无)",
		count:   func(s audit.ReconcileSummary) int { return s.Unregistered },
		entries: func(r *audit.Reconciliation) []audit.ReconcileEntry { return r.Unregistered },
	},
	{
		key: "missing_from_list", title: "清单遗漏（系统有、清单无）", short: "清单遗漏", summary: "清单遗漏(系统有、清单无)",
		count:   func(s audit.ReconcileSummary) int { return s.MissingFromList },
		entries: func(r *audit.Reconciliation) []audit.ReconcileEntry { return r.MissingFromList },
	},
	{
		key: "status_mismatch", title: "状态不一致", short: "状态不一致", summary: "状态不一致",
		count:   func(s audit.ReconcileSummary) int { return s.StatusMismatch },
		entries: func(r *audit.Reconciliation) []audit.ReconcileEntry { return r.StatusMismatch },
	},
	{
		key: "field_mismatch", title: "信息不一致", short: "信息不一致", summary: "信息不一致",
		count:   func(s audit.ReconcileSummary) int { return s.FieldMismatch },
		entries: func(r *audit.Reconciliation) []audit.ReconcileEntry { return r.FieldMismatch },
	},
}

// platformOrder is the order of the platform breakdown: the platforms nmaudit reads first.
var platformOrder = []platforms.Platform{
	platforms.WeChat, platforms.Weibo, platforms.Tieba, platforms.Douyin, platforms.Toutiao, platforms.Kuaishou,
	platforms.Channels, platforms.MiniProgram, platforms.App, platforms.Baijiahao, platforms.Qiehao, platforms.Dayu,
	platforms.Xiaohongshu, platforms.Bilibili, platforms.Renminhao, platforms.Wangyihao, platforms.Other, platforms.Unknown,
}

// platformLabels are the platforms' Chinese names, shown wherever a person reads the platform
// (the 平台 column of csv and xlsx, the breakdowns, diff); JSON keeps the codes.
var platformLabels = map[platforms.Platform]string{
	platforms.WeChat: "微信公众号", platforms.Weibo: "新浪微博", platforms.Tieba: "百度贴吧",
	platforms.Douyin: "抖音", platforms.Toutiao: "今日头条", platforms.Kuaishou: "快手",
	platforms.Channels: "微信视频号", platforms.MiniProgram: "微信小程序", platforms.App: "移动客户端",
	platforms.Baijiahao: "百家号", platforms.Qiehao: "企鹅号", platforms.Dayu: "大鱼号",
	platforms.Xiaohongshu: "小红书", platforms.Bilibili: "哔哩哔哩", platforms.Renminhao: "人民号",
	platforms.Wangyihao: "网易号", platforms.Other: "其他", platforms.Unknown: "未识别的账号类型",
}

// PlatformLabel is a platform's Chinese name: wechat → 微信公众号, wechat-channels → 微信视频号.
// A code without a label (a platform added later) prints as the code rather than as nothing.
func PlatformLabel(p platforms.Platform) string {
	if l, ok := platformLabels[p]; ok {
		return l
	}
	return string(p)
}

// sourceLabels name where a latest-post time came from (the JSON "source" codes, design.md),
// as the 来源 column of csv and xlsx prints it.
var sourceLabels = map[string]string{
	"weibo":          "微博接口",
	"tieba":          "贴吧接口",
	"wechat-mp":      "公众平台后台",
	"wechat-api":     "微信官方接口",
	"wechat-article": "公众号文章链接",
	"manual":         "人工记录",
	"finding":        "人工检查发现",
}

// SourceLabel is a source code's Chinese name: manual → 人工记录, wechat-article → 公众号文章链接.
// "" (no source knew a post) stays empty; an unknown code prints as written.
func SourceLabel(source string) string {
	if l, ok := sourceLabels[strings.TrimSpace(source)]; ok {
		return l
	}
	return source
}
