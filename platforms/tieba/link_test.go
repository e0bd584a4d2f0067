package tieba

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/platforms"
)

// pbJSON is a c/f/pb/page answer with the fields a real one carries around those read.
func pbJSON(created any, author, forum string) string {
	ct := ""
	switch v := created.(type) {
	case string:
		ct = `"` + v + `"`
	case int64:
		ct = strconv.FormatInt(v, 10)
	}
	return `{"error_code":"0","error_msg":"","server_time":"85021","time":1669887254,"ctime":0,"logid":3981563012,` +
		`"forum":{"id":"2345678","name":"` + forum + `","first_class":"地区","second_class":"城市","is_exists":"1"},` +
		`"thread":{"id":"9012399999","tid":"9012399999","title":"7月1日起部分公交线路调整","reply_num":"21",` +
		`"create_time":` + ct + `,"last_time_int":"1719900000","is_top":"0",` +
		`"author":{"id":"1234567890","name":"` + author + `","name_show":"` + author + `","portrait":"tb.1.7f3a2c1d.8bQx"}},` +
		`"post_list":[{"id":"150000000001","floor":"1","time":"1719600000","content":[{"type":"0","text":"为方便市民出行……"}]}],` +
		`"page":{"total_page":"1","current_page":"1","has_more":"0"}}`
}

func TestCheckLinkThread(t *testing.T) {
	link, err := platforms.ParseLink("https://tieba.baidu.com/p/9012399999?share=9105&fr=sharewise")
	if err != nil {
		t.Fatal(err)
	}
	forum := platforms.Target{Platform: platforms.Tieba, Name: "某某市吧", IDKind: platforms.IDTiebaForum, ID: "某某市"}
	cases := []struct {
		name   string
		target platforms.Target
		answer string
		want   time.Time
		reason platforms.Reason
	}{
		{"a user account: the thread's author", byName, pbJSON("1719600000", "某某市发布", "某某市"), time.Unix(1719600000, 0), ""},
		{"create_time as a number", byName, pbJSON(int64(1719600000), "某某市发布", "某某市"), time.Unix(1719600000, 0), ""},
		{"a 吧 account: the thread is in that 吧", forum, pbJSON("1719600000", "路过的市民", "某某市"), time.Unix(1719600000, 0), ""},
		{"another user's thread", byName, pbJSON("1719600000", "路过的市民", "某某市"), time.Time{}, platforms.ReasonWrongAccount},
		{"a thread in another 吧", forum, pbJSON("1719600000", "某某市发布", "别的市"), time.Time{}, platforms.ReasonWrongAccount},
		{"a deleted thread", byName, `{"error_code":"4","error_msg":"贴子可能已被删除"}`, time.Time{}, platforms.ReasonDeleted},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newFake(t)
			s.pbPage = body(c.answer)
			f := newFetcher(t, s, func(c *Config) { c.BDUSS = "bdussSECRETvalue0123456789" })
			proof, err := f.CheckLink(context.Background(), c.target, link, time.Now())
			if got := s.reqs; len(got) != 1 || got[0].form.Get("kz") != "9012399999" || got[0].form.Get("rn") != "2" || got[0].form.Get("pn") != "1" {
				t.Fatalf("requests = %+v", got)
			}
			if c.reason != "" {
				var ft *platforms.Fault
				if !errors.As(err, &ft) || ft.Reason != c.reason {
					t.Fatalf("CheckLink = %+v, %v; want %s", proof, err, c.reason)
				}
				if strings.Contains(err.Error(), "SECRET") {
					t.Errorf("fault leaks BDUSS: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("CheckLink: %v", err)
			}
			if !proof.Post.Time.Equal(c.want) || proof.Source != "tieba" || proof.Identity == "" {
				t.Errorf("proof = %+v", proof)
			}
		})
	}
}
