package weibo

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/platforms"
)

// statusShow is a statuses/show answer shaped like the real one (many more fields than read).
func statusShow(created, id string, uid int64, name string) string {
	return `{"ok":1,"data":{"visible":{"type":0,"list_id":0},"created_at":"` + created + `","id":"` + id +
		`","mid":"` + id + `","bid":"LzOnlyBid","can_edit":false,"text":"【防汛】市防汛抗旱指挥部发布暴雨蓝色预警<br />请市民注意出行安全",` +
		`"source":"微博 weibo.com","favorited":false,"pic_ids":[],"is_paid":false,"mblog_vip_type":0,` +
		`"user":{"id":` + jsonInt(uid) + `,"screen_name":"` + name + `","profile_image_url":"https://tvax1.sinaimg.cn/crop.0.0.180.180.180/x.jpg",` +
		`"verified":true,"verified_type":1,"followers_count":"12.3万"},"reposts_count":3,"comments_count":1,"attitudes_count":8,` +
		`"pending_approval_count":0,"isLongText":false,"mblogtype":0}}`
}

func jsonInt(n int64) string { return strconv.FormatInt(n, 10) }

func TestCheckLinkStatusShow(t *testing.T) {
	cases := []struct {
		name   string
		link   string
		target platforms.Target
		answer string
		want   time.Time
		reason platforms.Reason
		reqs   int
	}{
		{name: "m.weibo.cn/status, author uid matches", link: "https://m.weibo.cn/status/4804467341254127", target: target(),
			answer: statusShow("Sun Aug 21 10:00:00 +0800 2022", "4804467341254127", 3512345678, "示例市发布"),
			want:   cstAt(2022, 8, 21, 10, 0, 0), reqs: 1},
		{name: "weibo.com/{uid}/{bid}", link: "https://weibo.com/3512345678/LzOnlyBid", target: target(),
			answer: statusShow("Sat Aug 20 08:00:00 +0800 2022", "4804467341254127", 3512345678, "示例市发布"),
			want:   cstAt(2022, 8, 20, 8, 0, 0), reqs: 1},
		{name: "no uid registered: matched by screen_name", link: "https://m.weibo.cn/detail/4804467341254127",
			target: platforms.Target{Platform: platforms.Weibo, Name: "示例市发布"},
			answer: statusShow("Sat Aug 20 08:00:00 +0800 2022", "4804467341254127", 3512345678, "示例市发布"),
			want:   cstAt(2022, 8, 20, 8, 0, 0), reqs: 1},
		{name: "another account's post", link: "https://m.weibo.cn/status/4804467341254127", target: target(),
			answer: statusShow("Sun Aug 21 10:00:00 +0800 2022", "4804467341254127", 1111111111, "别的账号"),
			reason: platforms.ReasonWrongAccount, reqs: 1},
		{name: "the link's own uid is another account's: no request", link: "https://weibo.com/1111111111/LzOnlyBid", target: target(),
			reason: platforms.ReasonWrongAccount, reqs: 0},
		{name: "a deleted post", link: "https://m.weibo.cn/status/4804467341254127", target: target(),
			answer: `{"ok":0,"msg":"该微博不存在","errno":"20101"}`, reason: platforms.ReasonDeleted, reqs: 1},
		{name: "a captcha", link: "https://m.weibo.cn/status/4804467341254127", target: target(),
			answer: `{"ok":-100,"url":"https://m.weibo.cn/captcha?scene=limit"}`, reason: platforms.ReasonCaptcha, reqs: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fw := newFake(t, map[string][]reply{})
			var shown []string
			fw.extra = func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/statuses/show" {
					t.Errorf("unexpected %s", r.URL)
					return
				}
				shown = append(shown, r.URL.Query().Get("id")+" cookie="+r.Header.Get("Cookie"))
				w.Header().Set("Date", fixedDate)
				w.Write([]byte(c.answer))
			}
			f := newTestFetcher(t, fw, withCookie)
			l, err := platforms.ParseLink(c.link)
			if err != nil {
				t.Fatal(err)
			}
			proof, err := f.CheckLink(context.Background(), c.target, l, T)
			if len(shown) != c.reqs {
				t.Errorf("%d statuses/show requests, want %d", len(shown), c.reqs)
			}
			if c.reason != "" {
				var ft *platforms.Fault
				if !errors.As(err, &ft) || ft.Reason != c.reason {
					t.Fatalf("CheckLink = %+v, %v; want %s", proof, err, c.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("CheckLink: %v", err)
			}
			if !proof.Post.Time.Equal(c.want) || proof.Source != "weibo" || proof.Identity == "" {
				t.Errorf("proof = %+v, want %v", proof, c.want)
			}
			if !strings.Contains(shown[0], "cookie=SUB=_2A25J0xConfiguredCookie") {
				t.Errorf("statuses/show sent %s, want the configured cookie", shown[0])
			}
		})
	}
}
