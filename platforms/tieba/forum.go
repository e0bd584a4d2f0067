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
	frsPagePath   = "/c/f/frs/page"
	frsPageSize   = 30
	frsSortCreate = "1" // sort by thread creation time (aiotieba ThreadSortType.CREATE)
)

// frsPage is c/f/frs/page's answer. last_time_int (the last reply) is deliberately not read:
// a reply by someone else bumps it, and that is not the unit posting.
type frsPage struct {
	ErrorCode *flex  `json:"error_code"`
	ErrorMsg  string `json:"error_msg"`
	Forum     struct {
		ID   flex   `json:"id"`
		Name string `json:"name"`
	} `json:"forum"`
	ThreadList []frsThread `json:"thread_list"`
}

type frsThread struct {
	ID         flex   `json:"id"`
	TID        flex   `json:"tid"`
	Title      string `json:"title"`
	CreateTime flex   `json:"create_time"`
	IsTop      flex   `json:"is_top"`
}

// fetchForum reads a forum's threads, newest created first, and takes the newest creation time
// at or before T over every thread seen, pinned ones included (platforms.md Part 1).
//
// Paging goes on while every unpinned thread on the page is after T. The contract says "every
// thread", but pinned threads sit at the top of page 1 whatever their age, so an old pinned
// thread must not stop the paging: a newer unpinned thread at or before T may be on the next
// page, and stopping would report the pinned thread's old time (a wrong 不合格).
func (f *Fetcher) fetchForum(ctx context.Context, kw string, checkTime time.Time) (platforms.Observation, error) {
	kw = strings.TrimSpace(kw)
	if kw == "" {
		return platforms.Observation{}, platforms.NewFault(platforms.ReasonNotFound, "未提供贴吧吧名")
	}
	var (
		best *platforms.Post
		last reply
	)
	for pn := 1; pn <= f.maxPage; pn++ {
		if err := ctx.Err(); err != nil {
			return platforms.Observation{}, err
		}
		form := url.Values{
			"kw":        {kw},
			"pn":        {strconv.Itoa(pn)},
			"rn":        {strconv.Itoa(frsPageSize)},
			"sort_type": {frsSortCreate},
		}
		r, err := f.post(ctx, frsPagePath, form)
		if err != nil {
			return platforms.Observation{}, err
		}
		last = r
		var page frsPage
		if err := json.Unmarshal([]byte(r.body), &page); err != nil {
			return platforms.Observation{}, f.fault(platforms.ReasonBadResponse, "", "frs/page 不是预期的 JSON: "+snippet(r.body), r.url, nil)
		}
		if err := f.checkCode(page.ErrorCode, page.ErrorMsg, r.url); err != nil {
			return platforms.Observation{}, err
		}
		if len(page.ThreadList) == 0 {
			if pn == 1 {
				// RSSHub reads an empty first page with no error as an invalid cookie
				// (platforms.md Part 2 §3c): not evidence that the forum is silent.
				return platforms.Observation{}, f.fault(platforms.ReasonEmptyList, "", "kw="+kw+" thread_list 为空", r.url, nil)
			}
			// The list ended after a first page proved it readable.
			return f.observation(r, best), nil
		}
		unpinnedInRange := false
		for _, th := range page.ThreadList {
			at, err := unixTime(th.CreateTime)
			if err != nil {
				return platforms.Observation{}, f.fault(platforms.ReasonBadResponse, "", "thread "+string(th.ID)+": "+err.Error(), r.url, nil)
			}
			if at.After(checkTime) {
				continue
			}
			pinned := th.IsTop.set()
			if !pinned {
				unpinnedInRange = true
			}
			if best == nil || at.After(best.Time) {
				id := string(th.ID)
				if id == "" {
					id = string(th.TID)
				}
				best = &platforms.Post{Time: at, Pinned: pinned, ID: id, Title: shorten(th.Title)}
			}
		}
		if unpinnedInRange {
			return f.observation(r, best), nil
		}
	}
	return platforms.Observation{}, f.fault(platforms.ReasonTooManyPages, "",
		fmt.Sprintf("读了 %d 页，未置顶的帖子全部晚于监测时间点", f.maxPage), last.url, nil)
}
