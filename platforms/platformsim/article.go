package platformsim

import (
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nmaudit/nmaudit/platforms"
)

// Article pages (platforms.md Part 1, "Evidence links"): every simulated WeChat send has a public
// article page, at a short link /s/{token} and a long one /s?__biz=…&mid=…&idx=1&sn=…, whose
// inline scripts carry the publish time (var ct), the account (var biz, var user_name) and its
// name (var nickname = htmlDecode(…)), among the other variables a real page has. Pages answer
// even when the 公众平台's lists are closed, as real ones do.

// msgID is the send's message id, as the 公众平台 lists it.
func msgID(p post) int64 { return 2247000000 + p.id%100000000 }

// articleToken is a send's short-link token.
func articleToken(p post) string { return "SimArt" + strconv.FormatInt(msgID(p), 36) + "xYz" }

// ArticleLinks lists the short links of a WeChat account's sends, newest first; nil for an
// account on another platform. The first one dated at or before the check time is the link a
// person checking the account would paste into the worksheet.
func (s *Sim) ArticleLinks(a Account) []string {
	acc := s.wechat[a.ID]
	if acc == nil || a.Platform != platforms.WeChat {
		return nil
	}
	var out []string
	for _, p := range acc.posts {
		if p.undated {
			continue
		}
		out = append(out, "https://mp.weixin.qq.com/s/"+articleToken(p))
	}
	return out
}

// wechatArticle answers GET /s/{token} and GET /s?__biz=…&mid=…&idx=1&sn=….
func (s *Sim) wechatArticle(w http.ResponseWriter, r *http.Request) {
	var (
		acc *account
		p   *post
	)
	if tok, ok := strings.CutPrefix(r.URL.Path, "/s/"); ok {
		for _, a := range s.wechats {
			for i := range a.posts {
				if !a.posts[i].undated && articleToken(a.posts[i]) == tok {
					acc, p = a, &a.posts[i]
				}
			}
		}
	} else if a := s.wechat[r.URL.Query().Get("__biz")]; a != nil {
		mid := r.URL.Query().Get("mid")
		for i := range a.posts {
			if !a.posts[i].undated && strconv.FormatInt(msgID(a.posts[i]), 10) == mid {
				acc, p = a, &a.posts[i]
			}
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if acc == nil {
		w.Write([]byte(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>微信公众平台</title></head><body><div class="weui-msg"><h2 class="weui-msg__title">该内容已被发布者删除</h2></div><script nonce="1">var svr_time = "` +
			strconv.FormatInt(time.Now().Unix(), 10) + `" * 1;</script></body></html>`))
		return
	}
	mid := strconv.FormatInt(msgID(*p), 10)
	title := acc.Name + "：政务信息公开"
	fmt.Fprintf(w, articlePage, html.EscapeString(title), acc.ID, mid, html.EscapeString(acc.Name),
		html.EscapeString(acc.Name), p.at.Unix(), p.at.In(cst).Format("2006-01-02"), fmt.Sprintf("gh_sim%08d", acc.k),
		title, acc.ID, mid, p.at.Unix(), acc.ID, mid, p.at.Unix())
}

const articlePage = `<!DOCTYPE html>
<html class="">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1.0,maximum-scale=1.0,user-scalable=0,viewport-fit=cover">
<meta property="og:title" content="%s" />
<meta property="og:url" content="http://mp.weixin.qq.com/s?__biz=%s&amp;mid=%s&amp;idx=1&amp;sn=sim#rd" />
<meta property="og:site_name" content="微信公众平台" />
<script nonce="1762981443" reportloaderror>
  var svr_time = "1669887254" * 1;
  var write_sceen_time = (+new Date());
</script>
</head>
<body id="activity-detail" class="zh_CN wx_wap_page mm_appmsg">
<div id="js_article" class="rich_media"><div id="page-content" class="rich_media_area_primary">
<h1 class="rich_media_title" id="activity-name">政务信息公开</h1>
<div id="meta_content" class="rich_media_meta_list">
<a href="javascript:void(0);" class="wx_tap_link js_wx_tap_highlight weui-wa-hotarea" id="js_name">%s</a>
<em id="publish_time" class="rich_media_meta rich_media_meta_text"></em>
</div>
<div class="rich_media_content js_underline_content" id="js_content"><p>正文</p></div>
</div></div>
<script nonce="1762981443" type="text/javascript">
    var real_item_show_type = "0";
    var nickname = htmlDecode("%s");
    var appmsg_type = "9";
    var ct = "%d";
    var publish_time = "%s" || "";
    var user_name = "%s";
    var msg_title = '%s'.html(false);
    var biz = "%s" || "";
    var mid = "%s" || "" || "";
    var idx = "1" || "" || "";
    var create_time = "%d" * 1;
</script>
<script nonce="1762981443">window.cgiDataNew = { bizuin: '%s', mid: '%s', idx: '1', ori_create_time: '%d' };</script>
</body>
</html>
`
