package tieba

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nmaudit/nmaudit/platforms"
)

const (
	userJSONPath = "/i/sys/user_json"
	userPostPath = "/c/u/feed/userpost"
	userPageSize = 20
)

// userJSON is i/sys/user_json's answer: {"creator":{"id":…,"name":…,"portrait":…}}.
type userJSON struct {
	Creator *struct {
		ID       flex   `json:"id"`
		Name     string `json:"name"`
		Portrait string `json:"portrait"`
	} `json:"creator"`
}

// fetchUserByName resolves a user name to its id, then reads the user's posts.
func (f *Fetcher) fetchUserByName(ctx context.Context, name string, checkTime time.Time) (platforms.Observation, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return platforms.Observation{}, &platforms.Fault{Reason: platforms.ReasonNotFound, Label: labelUserNotFound,
			Detail: "未提供贴吧用户名"}
	}
	uid, err := f.resolveUser(ctx, name)
	if err != nil {
		return platforms.Observation{}, err
	}
	return f.fetchUserPosts(ctx, uid, checkTime)
}

// resolveUser asks user_json for name's numeric id.
func (f *Fetcher) resolveUser(ctx context.Context, name string) (string, error) {
	q := url.Values{"un": {name}, "ie": {"utf-8"}}
	r, err := f.get(ctx, userJSONPath, q)
	if err != nil {
		return "", err
	}
	var v userJSON
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		return "", f.fault(platforms.ReasonBadResponse, "", "user_json 不是 JSON: "+snippet(r.body), r.url, nil)
	}
	if v.Creator == nil || v.Creator.ID == "" || v.Creator.ID.isZero() {
		return "", f.fault(platforms.ReasonNotFound, labelUserNotFound, "un="+name, r.url, nil)
	}
	id := string(v.Creator.ID)
	if !isUserID(id) {
		return "", f.fault(platforms.ReasonBadResponse, "", fmt.Sprintf("user_json 返回的 id %q 不是数字", id), r.url, nil)
	}
	// user_json looks a name up exactly, so a different name back means the answer is about
	// someone else, or the body was decoded wrongly (a GBK reply read as UTF-8). Either way
	// the posts that follow could be another account's, which must never reach a verdict.
	// Letter case alone is let through: registries often retype Latin names.
	if v.Creator.Name != "" && !strings.EqualFold(v.Creator.Name, name) {
		return "", f.fault(platforms.ReasonNotFound, labelUserNotFound,
			fmt.Sprintf("user_json 返回的用户名 %q 与查询的 %q 不一致", v.Creator.Name, name), r.url, nil)
	}
	return id, nil
}

// userPostPage is c/u/feed/userpost's answer (field names from TiebaLite's UserPostBean).
type userPostPage struct {
	ErrorCode *flex    `json:"error_code"`
	ErrorMsg  string   `json:"error_msg"`
	HidePost  *flex    `json:"hide_post"`
	PostList  []upPost `json:"post_list"`
}

type upPost struct {
	ForumName  string `json:"forum_name"`
	ThreadID   flex   `json:"thread_id"`
	PostID     flex   `json:"post_id"`
	CreateTime flex   `json:"create_time"`
	Title      string `json:"title"`
	Content    []struct {
		PostContent []struct {
			Text string `json:"text"`
		} `json:"post_content"`
	} `json:"content"`
}

// fetchUserPosts reads uid's posts page by page (platforms.md Part 1) by platforms.Listing's
// rule: the list is newest first, so once a page holds a post at or before T the newest such
// post is on it; while every post on a page is after T the next page is asked (pn+1), at most
// max_pages pages. The list's only end marker is an empty page with hide_post exactly "0": on
// the first page that means the user never posted, later it is the end of the list.
func (f *Fetcher) fetchUserPosts(ctx context.Context, uid string, checkTime time.Time) (platforms.Observation, error) {
	list := platforms.NewListing(checkTime, 0)
	var last reply
	for pn := 1; ; pn++ {
		if pn > f.maxPage {
			_, fault := list.Conclude(false, f.fault(platforms.ReasonTooManyPages, "",
				fmt.Sprintf("读了 %d 页，全部晚于监测时间点", f.maxPage), last.url, nil))
			return platforms.Observation{}, fault
		}
		if err := ctx.Err(); err != nil {
			return platforms.Observation{}, err
		}
		form := url.Values{
			"uid":          {uid},
			"pn":           {strconv.Itoa(pn)},
			"rn":           {strconv.Itoa(userPageSize)},
			"is_thread":    {"0"}, // replies count too: a unit answering the public is the unit posting
			"need_content": {"1"},
		}
		r, err := f.post(ctx, userPostPath, form)
		if err != nil {
			return platforms.Observation{}, pageErr(err, pn)
		}
		last = r
		var page userPostPage
		if err := json.Unmarshal([]byte(r.body), &page); err != nil {
			return platforms.Observation{}, f.fault(platforms.ReasonBadResponse, "", "userpost 不是预期的 JSON: "+snippet(r.body), r.url, nil)
		}
		if err := f.checkCode(page.ErrorCode, page.ErrorMsg, r.url); err != nil {
			return platforms.Observation{}, pageErr(err, pn)
		}
		// hide_post "1" is a fault even when some posts come back: the contract makes it 待核查,
		// and a partly visible history cannot prove what the hidden part holds. Only 0/"0" and
		// 1/"1" are values the contract names; any other is not read either way.
		switch {
		case page.HidePost != nil && page.HidePost.isOne():
			return platforms.Observation{}, f.fault(platforms.ReasonHidden, labelHidden, "hide_post=1", r.url, nil)
		case page.HidePost != nil && !page.HidePost.isZero() && *page.HidePost != "":
			return platforms.Observation{}, f.fault(platforms.ReasonBadResponse, "",
				fmt.Sprintf("hide_post 取值无法识别：%q", string(*page.HidePost)), r.url, nil)
		}
		if page.PostList == nil {
			// Absent or null, not []: an answer that lacks the list says nothing about the
			// posts, and read as an empty one it would make the account 不合格.
			return platforms.Observation{}, pageErr(f.fault(platforms.ReasonBadResponse, "", "userpost 缺少 post_list", r.url, nil), pn)
		}
		if len(page.PostList) == 0 {
			if page.HidePost == nil || !page.HidePost.isZero() {
				// Only an explicit hide_post "0" makes an empty page mean "no (more) posts".
				return platforms.Observation{}, f.fault(platforms.ReasonEmptyList, "", "post_list 为空且未说明 hide_post", r.url, nil)
			}
			latest, fault := list.Conclude(true, nil)
			if fault != nil {
				return platforms.Observation{}, f.fault(fault.Reason, fault.Label, fault.Detail, r.url, nil)
			}
			return f.observation(r, latest), nil
		}
		for _, p := range page.PostList {
			post, err := f.userPost(p, r.url)
			if err != nil {
				return platforms.Observation{}, err
			}
			list.Add(post)
		}
		if list.Done() {
			latest, _ := list.Conclude(true, nil)
			return f.observation(r, latest), nil
		}
	}
}

// userPost reads one post. A post whose time cannot be read fails the page: it might be the
// newest one.
func (f *Fetcher) userPost(p upPost, rawURL string) (platforms.Post, error) {
	at, err := unixTime(p.CreateTime)
	if err != nil {
		return platforms.Post{}, f.fault(platforms.ReasonBadResponse, "", "post_id "+string(p.PostID)+": "+err.Error(), rawURL, nil)
	}
	id := string(p.PostID)
	if id == "" {
		id = string(p.ThreadID)
	}
	return platforms.Post{Time: at, ID: id, Title: postTitle(p)}, nil
}

// pageErr names the page of a fault past the first, so a person sees that page 1 was read.
func pageErr(err error, pn int) error {
	if pn > 1 {
		if fault, ok := err.(*platforms.Fault); ok {
			cp := *fault
			cp.Detail = strings.TrimSpace(cp.Detail + fmt.Sprintf("（第 %d 页）", pn))
			return &cp
		}
	}
	return err
}

// postTitle is the thread title, or for a reply (which has none) the start of its text.
func postTitle(p upPost) string {
	if t := strings.TrimSpace(p.Title); t != "" {
		return shorten(t)
	}
	var b strings.Builder
	for _, c := range p.Content {
		for _, pc := range c.PostContent {
			b.WriteString(pc.Text)
		}
	}
	return shorten(b.String())
}

func (f *Fetcher) observation(r reply, latest *platforms.Post) platforms.Observation {
	return platforms.Observation{
		Source:    Source,
		Latest:    latest,
		URL:       r.url,
		FetchedAt: platforms.FetchTime(r.header, f.now),
	}
}
