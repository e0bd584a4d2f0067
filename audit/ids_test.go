package audit

import (
	"testing"

	"github.com/nmaudit/nmaudit/platforms"
)

func TestParseIDEveryForm(t *testing.T) {
	cases := []struct {
		p        platforms.Platform
		raw      string
		wantKind platforms.IDKind
		wantID   string
	}{
		{platforms.Weibo, "1234567890", platforms.IDWeiboUID, "1234567890"},
		{platforms.Weibo, " 1234567890 ", platforms.IDWeiboUID, "1234567890"},
		{platforms.Weibo, "１２３４５６７８９０", platforms.IDWeiboUID, "1234567890"},
		{platforms.Weibo, "https://weibo.com/u/1234567890", platforms.IDWeiboUID, "1234567890"},
		{platforms.Weibo, "https://m.weibo.cn/u/1234567890?from=x", platforms.IDWeiboUID, "1234567890"},
		{platforms.Weibo, "https://weibo.com/1234567890", platforms.IDWeiboUID, "1234567890"},
		{platforms.Weibo, "weibo.com/u/1234567890", platforms.IDWeiboUID, "1234567890"},
		{platforms.Weibo, "https://m.weibo.cn/profile/1234567890", platforms.IDWeiboUID, "1234567890"},
		{platforms.Weibo, "", platforms.IDNone, ""},
		{platforms.WeChat, "MzA5NjYxMjQ0Mg==", platforms.IDWeChatBiz, "MzA5NjYxMjQ0Mg=="},
		{platforms.WeChat, "https://mp.weixin.qq.com/s?__biz=MzA5NjYxMjQ0Mg==&mid=2650000001&idx=1&sn=abc#rd", platforms.IDWeChatBiz, "MzA5NjYxMjQ0Mg=="},
		{platforms.WeChat, "http://mp.weixin.qq.com/s?__biz=MzA5NjYxMjQ0Mg%3D%3D&mid=1", platforms.IDWeChatBiz, "MzA5NjYxMjQ0Mg=="},
		{platforms.WeChat, "gh_0123456789ab", platforms.IDWeChatGhID, "gh_0123456789ab"},
		{platforms.WeChat, "hanzhongfabu", platforms.IDWeChatAlias, "hanzhongfabu"},
		{platforms.WeChat, "hz-gov_2022", platforms.IDWeChatAlias, "hz-gov_2022"},
		{platforms.WeChat, "", platforms.IDNone, ""},
		{platforms.Tieba, "汉中网警巡查执法", platforms.IDTiebaUser, "汉中网警巡查执法"},
		{platforms.Tieba, "https://tieba.baidu.com/home/main?un=%E6%B1%89%E4%B8%AD%E7%BD%91%E8%AD%A6&ie=utf-8", platforms.IDTiebaUser, "汉中网警"},
		{platforms.Tieba, "https://tieba.baidu.com/home/main?un=%BA%BA%D6%D0&ie=gbk", platforms.IDTiebaUser, "汉中"},
		{platforms.Tieba, "123456789", platforms.IDTiebaUserID, "123456789"},
		{platforms.Tieba, "https://tieba.baidu.com/f?kw=%E6%B1%89%E4%B8%AD&ie=utf-8", platforms.IDTiebaForum, "汉中"},
		{platforms.Tieba, "tieba.baidu.com/f?ie=utf-8&kw=汉中", platforms.IDTiebaForum, "汉中"},
		{platforms.Douyin, "MS4wLjABAAAAxyz", platforms.IDOther, "MS4wLjABAAAAxyz"},
	}
	for _, c := range cases {
		kind, id, err := ParseID(c.p, c.raw)
		if err != nil || kind != c.wantKind || id != c.wantID {
			t.Errorf("ParseID(%s, %q) = %q, %q, %v; want %q, %q", c.p, c.raw, kind, id, err, c.wantKind, c.wantID)
		}
	}
}

func TestParseIDRejects(t *testing.T) {
	cases := []struct {
		p   platforms.Platform
		raw string
	}{
		{platforms.Weibo, "汉中公安"},
		{platforms.Weibo, "https://weibo.com/hanzhonggongan"},
		{platforms.WeChat, "https://mp.weixin.qq.com/s/AbCdEf123"},
		{platforms.WeChat, "汉中发布"},
		{platforms.WeChat, "12345"},
		{platforms.Tieba, "https://www.baidu.com/s?wd=x"},
		{platforms.Tieba, "https://tieba.baidu.com/p/123456"},
	}
	for _, c := range cases {
		if kind, id, err := ParseID(c.p, c.raw); err == nil {
			t.Errorf("ParseID(%s, %q) = %q, %q; want an error", c.p, c.raw, kind, id)
		}
	}
}
