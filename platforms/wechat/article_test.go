package wechat

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/platforms"
)

const (
	shortLink = "https://mp.weixin.qq.com/s/AbCdEfGh1234567890xyz"
	longLink  = "https://mp.weixin.qq.com/s?__biz=MzA5NjYxMjQ0Mg==&mid=2247501301&idx=1&sn=3f1c2b9e8d7a6f5e4d3c2b1a09f8e7d6&chksm=ab12cd34ef56#rd"
)

func articleFetcher(t *testing.T, srv *fake) *Fetcher {
	t.Helper()
	cfg := DefaultConfig()
	cfg.APIBaseURL, cfg.MPBaseURL, cfg.ArticleBaseURL = srv.srv.URL, srv.srv.URL, srv.srv.URL
	return mustNew(t, cfg, testDeps(srv.srv.Client(), at(12, 1, 9, 0, 0)))
}

func mustLink(t *testing.T, raw string) platforms.PostLink {
	t.Helper()
	l, err := platforms.ParseLink(raw)
	if err != nil {
		t.Fatalf("ParseLink(%s): %v", raw, err)
	}
	return l
}

func TestCheckLinkArticlePages(t *testing.T) {
	byName := platforms.Target{Platform: platforms.WeChat, Name: "汉中发布"}
	byBiz := platforms.Target{Platform: platforms.WeChat, Name: "汉中发布", IDKind: platforms.IDWeChatBiz, ID: hzfbFakeID}
	byGh := platforms.Target{Platform: platforms.WeChat, Name: "汉中发布", IDKind: platforms.IDWeChatGhID, ID: "gh_3d7f9a1b2c4e"}
	cases := []struct {
		name     string
		link     string
		target   platforms.Target
		page     reply
		want     time.Time
		identity string
		reason   platforms.Reason
		sentinel error
		text     string
	}{
		{name: "short link, matched by nickname; ct is the time, never svr_time or publish_time",
			link: shortLink, target: byName, page: file("article_ok.html"),
			want: time.Unix(1660903331, 0), identity: "名称"},
		{name: "long link, matched by __biz", link: longLink, target: byBiz, page: file("article_ok.html"),
			want: time.Unix(1660903331, 0), identity: "__biz"},
		{name: "matched by the original id", link: shortLink, target: byGh, page: file("article_ok.html"),
			want: time.Unix(1660903331, 0), identity: "原始ID"},
		{name: "an HTML-escaped nickname; create_time when ct is absent", link: shortLink,
			target: platforms.Target{Platform: platforms.WeChat, Name: "汉中&市发布"}, page: file("article_escaped_no_ct.html"),
			want: time.Unix(1660903331, 0)},
		{name: "another account's article, by name", link: shortLink, target: byName, page: file("article_other_account.html"),
			reason: platforms.ReasonWrongAccount, sentinel: platforms.ErrWrongAccount, text: "汉中发布服务"},
		{name: "another account's article, by __biz even if the name were the same", link: shortLink, target: byBiz,
			page:   body(strings.Replace(string(must(t, "article_other_account.html")), "汉中发布服务", "汉中发布", -1)),
			reason: platforms.ReasonWrongAccount, text: "MzI0NjEyMzQ1Ng=="},
		{name: "the captcha page (环境异常)", link: longLink, target: byBiz, page: file("article_captcha.html"),
			reason: platforms.ReasonCaptcha, sentinel: platforms.ErrCaptcha},
		{name: "a deleted article", link: shortLink, target: byName, page: file("article_deleted.html"),
			reason: platforms.ReasonDeleted, sentinel: platforms.ErrDeleted, text: "该内容已被发布者删除"},
		{name: "a page without ct or create_time", link: shortLink, target: byName,
			page:   body(`<html><script>var svr_time = "1669887254" * 1; var publish_time = "2022-08-19" || ""; var nickname = htmlDecode("汉中发布");</script></html>`),
			reason: platforms.ReasonBadResponse, text: "ct"},
		{name: "an article that quotes 环境异常 is still an article", link: shortLink, target: byName,
			page: body(strings.Replace(string(must(t, "article_ok.html")), "一、加强监测预警", "遇到“环境异常”提示请去验证", 1)),
			want: time.Unix(1660903331, 0)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := newFake(t, routes("/s/AbCdEfGh1234567890xyz", c.page, "/s", c.page))
			f := articleFetcher(t, srv)
			proof, err := f.CheckLink(context.Background(), c.target, mustLink(t, c.link), checkT)
			reqs := append(srv.requests("/s"), srv.requests("/s/AbCdEfGh1234567890xyz")...)
			if len(reqs) != 1 {
				t.Fatalf("%d article requests", len(reqs))
			}
			if reqs[0].Cookie != "" {
				t.Errorf("an article page was asked with a cookie: %q", reqs[0].Cookie)
			}
			if c.reason != "" {
				var ft *platforms.Fault
				if !errors.As(err, &ft) || ft.Reason != c.reason {
					t.Fatalf("CheckLink = %+v, %v; want reason %s", proof, err, c.reason)
				}
				if c.sentinel != nil && !errors.Is(err, c.sentinel) {
					t.Errorf("errors.Is(%v, %v) = false", err, c.sentinel)
				}
				if c.text != "" && !strings.Contains(err.Error(), c.text) {
					t.Errorf("err = %q, want it to name %q", err, c.text)
				}
				return
			}
			if err != nil {
				t.Fatalf("CheckLink: %v", err)
			}
			if !proof.Post.Time.Equal(c.want) || proof.Source != platforms.SourceWeChatArticle {
				t.Errorf("proof = %+v, want %v from %s", proof, c.want, platforms.SourceWeChatArticle)
			}
			if c.identity != "" && !strings.Contains(proof.Identity, c.identity) {
				t.Errorf("Identity = %q, want it to say %q", proof.Identity, c.identity)
			}
			if proof.Post.Title == "" {
				t.Errorf("no title")
			}
			if !strings.HasPrefix(proof.URL, srv.srv.URL+"/s") {
				t.Errorf("URL = %q: the host must be the configured article base URL", proof.URL)
			}
		})
	}
}

func TestCheckLinkCaptchaRedirect(t *testing.T) {
	// The real captcha: a 302 on the same host to /mp/wappoc_appmsgcaptcha, followed.
	srv := newFake(t, routes("/mp/wappoc_appmsgcaptcha", file("article_captcha.html")))
	mux := http.NewServeMux()
	mux.HandleFunc("/s/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/mp/wappoc_appmsgcaptcha?poc_token=abc&target_url="+r.URL.Path, http.StatusFound)
	})
	mux.Handle("/", srv.srv.Config.Handler)
	front := httptest.NewServer(mux)
	defer front.Close()
	cfg := DefaultConfig()
	cfg.ArticleBaseURL = front.URL
	f := mustNew(t, cfg, testDeps(front.Client(), at(12, 1, 9, 0, 0)))
	_, err := f.CheckLink(context.Background(), platforms.Target{Platform: platforms.WeChat, Name: "汉中发布"}, mustLink(t, shortLink), checkT)
	if !errors.Is(err, platforms.ErrCaptcha) {
		t.Fatalf("err = %v, want a captcha", err)
	}
}

func TestParseLink(t *testing.T) {
	for raw, want := range map[string]platforms.Platform{
		shortLink: platforms.WeChat, longLink: platforms.WeChat,
		"http://mp.weixin.qq.com/s?__biz=MzA5NjYxMjQ0Mg==&mid=1&idx=1&sn=x": platforms.WeChat,
		"https://m.weibo.cn/status/4804467341254127":                        platforms.Weibo,
		"https://m.weibo.cn/detail/4804467341254127":                        platforms.Weibo,
		"https://weibo.com/3512345678/LzOnlyBid":                            platforms.Weibo,
		"https://tieba.baidu.com/p/9012399999":                              platforms.Tieba,
	} {
		l, err := platforms.ParseLink(raw)
		if err != nil || l.Platform != want {
			t.Errorf("ParseLink(%s) = %+v, %v; want %s", raw, l, err, want)
		}
	}
	for _, bad := range []string{"", "mp.weixin.qq.com/s/x", "https://mp.weixin.qq.com/cgi-bin/home", "https://weibo.com/u/3512345678",
		"https://www.douyin.com/video/1", "javascript:alert(1)", "https://tieba.baidu.com/f?kw=x"} {
		if _, err := platforms.ParseLink(bad); !errors.Is(err, platforms.ErrUnsupported) {
			t.Errorf("ParseLink(%q) = %v, want unsupported", bad, err)
		}
	}
}

func must(t *testing.T, name string) []byte { return fixture(t, name) }
