package audit

import (
	"testing"

	"github.com/nmaudit/nmaudit/platforms"
)

func TestParseStatusEveryLabel(t *testing.T) {
	cases := map[string]Lifecycle{
		"正常": Active, "正常运行": Active, "运行中": Active, " 正常运行 ": Active, "正常　运行": Active,
		"注销中": PendingClosure, "正在注销中": PendingClosure, "正在申请办理注销": PendingClosure, "申请注销中": PendingClosure,
		"已注销": Closed, "注销": Closed, "已关停": Closed, "关停": Closed,
	}
	for label, want := range cases {
		got, ok := ParseStatus(label)
		if !ok || got != want {
			t.Errorf("ParseStatus(%q) = %q, %v; want %q", label, got, ok, want)
		}
	}
	for _, bad := range []string{"", "暂停", "停用", "正常吧", "active"} {
		if got, ok := ParseStatus(bad); ok {
			t.Errorf("ParseStatus(%q) = %q, want unknown", bad, got)
		}
	}
}

func TestParseTypeEveryLabel(t *testing.T) {
	cases := map[string]platforms.Platform{
		"微信订阅号": platforms.WeChat, "订阅号": platforms.WeChat, "微信服务号": platforms.WeChat, "服务号": platforms.WeChat,
		"微信公众号": platforms.WeChat, "微信": platforms.WeChat,
		"新浪微博": platforms.Weibo, "微博": platforms.Weibo, "微博账号": platforms.Weibo,
		"百度贴吧": platforms.Tieba, "贴吧": platforms.Tieba, "其他+百度贴吧": platforms.Tieba, "其他＋百度贴吧": platforms.Tieba,
		"百度贴吧+其他": platforms.Tieba, "其它+新浪微博": platforms.Weibo, "其他+论坛": platforms.Other,
		"抖音": platforms.Douyin, "抖音号": platforms.Douyin, "抖音短视频": platforms.Douyin,
		"今日头条": platforms.Toutiao, "头条号": platforms.Toutiao,
		"快手": platforms.Kuaishou, "快手短视频": platforms.Kuaishou,
		"微信视频号": platforms.Channels, "视频号": platforms.Channels,
		"微信小程序": platforms.MiniProgram, "APP": platforms.App, "移动客户端": platforms.App,
		"百家号": platforms.Baijiahao, "企鹅号": platforms.Qiehao, "大鱼号": platforms.Dayu, "小红书": platforms.Xiaohongshu,
		"哔哩哔哩": platforms.Bilibili, "人民号": platforms.Renminhao, "网易号": platforms.Wangyihao, "其他": platforms.Other,
		" 新浪 微博 ": platforms.Weibo,
	}
	for label, want := range cases {
		got, ok := ParseType(label)
		if !ok || got != want {
			t.Errorf("ParseType(%q) = %q, %v; want %q", label, got, ok, want)
		}
	}
	for _, bad := range []string{"", "微信群", "网站", "论坛+网站"} {
		if got, ok := ParseType(bad); ok || got != platforms.Unknown {
			t.Errorf("ParseType(%q) = %q, %v; want unknown", bad, got, ok)
		}
	}
}

func TestCanonicalLevel(t *testing.T) {
	cases := map[string]string{
		"市级政府": LevelCityGov, "县区政府": LevelCountyGov, "县级政府": LevelCountyGov, "县（区）政府": LevelCountyGov,
		"市直部门": LevelCityDept, "市级部门": LevelCityDept,
		"县区部门": LevelCountyDept, "县级部门": LevelCountyDept, "乡镇": LevelCountyDept, "镇街": LevelCountyDept, "街道": LevelCountyDept,
	}
	for in, want := range cases {
		if got, ok := CanonicalLevel(in); !ok || got != want {
			t.Errorf("CanonicalLevel(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if _, ok := CanonicalLevel("省级部门"); ok {
		t.Errorf("省级部门 should not map")
	}
}
