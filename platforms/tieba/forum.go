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
	Page *struct {
		HasMore *flex `json:"has_more"`
	} `json:"page"`
	ThreadList []frsThread `json:"thread_list"`
	// PageData is the layout clients from 12.65 on get (page_data.feed_list[].feed.business_info
	// key/value pairs, with no creation time). It is only detected, never read as a list.
	PageData *struct {
		FeedList json.RawMessage `json:"feed_list"`
	} `json:"page_data"`
}

type frsThread struct {
	ID         flex   `json:"id"`
	TID        flex   `json:"tid"`
	Title      string `json:"title"`
	CreateTime flex   `json:"create_time"`
	IsTop      flex   `json:"is_top"`
}

// fetchForum reads a forum's threads, newest created first, and takes the newest creation time
// at or before T over every thread seen, pinned ones included (platforms.md Part 1), by
// platforms.Listing's rule.
//
// Paging goes on while every unpinned thread on the page is after T. Pinned threads sit at the
// top of page 1 whatever their age, so an old pinned thread must not stop the paging: a newer
// unpinned thread at or before T may be on the next page, and stopping would report the pinned
// thread's old time (a wrong 不合格). The list ends at page.has_more 0, or at an empty page when
// the answer carries no has_more; has_more 1 with an empty page is a list withheld, and a
// has_more in any other form is not read as an end.
func (f *Fetcher) fetchForum(ctx context.Context, kw string, checkTime time.Time) (platforms.Observation, error) {
	kw = strings.TrimSpace(kw)
	if kw == "" {
		return platforms.Observation{}, platforms.NewFault(platforms.ReasonNotFound, "未提供贴吧吧名")
	}
	list := platforms.NewListing(checkTime, 0)
	var last reply
	for pn := 1; ; pn++ {
		if pn > f.maxPage {
			_, fault := list.Conclude(false, f.fault(platforms.ReasonTooManyPages, "",
				fmt.Sprintf("读了 %d 页，未置顶的帖子全部晚于监测时间点", f.maxPage), last.url, nil))
			return platforms.Observation{}, fault
		}
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
			return platforms.Observation{}, pageErr(err, pn)
		}
		last = r
		var page frsPage
		if err := json.Unmarshal([]byte(r.body), &page); err != nil {
			return platforms.Observation{}, f.fault(platforms.ReasonBadResponse, "", "frs/page 不是预期的 JSON: "+snippet(r.body), r.url, nil)
		}
		if err := f.checkCode(page.ErrorCode, page.ErrorMsg, r.url); err != nil {
			return platforms.Observation{}, pageErr(err, pn)
		}
		if len(page.ThreadList) == 0 && page.PageData != nil && len(page.PageData.FeedList) > 0 &&
			string(page.PageData.FeedList) != "null" && string(page.PageData.FeedList) != "[]" {
			return platforms.Observation{}, f.fault(platforms.ReasonBadResponse, "", detailFeedList, r.url, nil)
		}
		more, fault := hasMore(page)
		if fault != "" {
			return platforms.Observation{}, pageErr(f.fault(platforms.ReasonIncomplete, "", fault, r.url, nil), pn)
		}
		if len(page.ThreadList) == 0 {
			switch {
			case pn == 1:
				// RSSHub reads an empty first page with no error as an invalid cookie
				// (platforms.md Part 2 §3c): not evidence that the forum is silent.
				return platforms.Observation{}, f.fault(platforms.ReasonEmptyList, "", "kw="+kw+" thread_list 为空", r.url, nil)
			case more == moreYes:
				return platforms.Observation{}, f.fault(platforms.ReasonIncomplete, "",
					fmt.Sprintf("第 %d 页为空，但上一页称还有更多（has_more=1）", pn), r.url, nil)
			}
			latest, fault := list.Conclude(true, nil)
			if fault != nil {
				return platforms.Observation{}, f.fault(fault.Reason, fault.Label, fault.Detail, r.url, nil)
			}
			return f.observation(r, latest), nil
		}
		for _, th := range page.ThreadList {
			at, err := unixTime(th.CreateTime)
			if err != nil {
				return platforms.Observation{}, f.fault(platforms.ReasonBadResponse, "", "thread "+string(th.ID)+": "+err.Error(), r.url, nil)
			}
			id := string(th.ID)
			if id == "" {
				id = string(th.TID)
			}
			list.Add(platforms.Post{Time: at, Pinned: th.IsTop.set(), ID: id, Title: shorten(th.Title)})
		}
		if list.Done() || more == moreNo {
			latest, fault := list.Conclude(true, nil)
			if fault != nil {
				return platforms.Observation{}, f.fault(fault.Reason, fault.Label, fault.Detail, r.url, nil)
			}
			return f.observation(r, latest), nil
		}
	}
}

const detailFeedList = "新版列表格式（page_data.feed_list，没有发帖时间），请保持 _client_version 为 12.64.1.1"

type moreFlag int

const (
	moreUnknown moreFlag = iota // no page.has_more: an empty page ends the list
	moreNo
	moreYes
)

// hasMore reads page.has_more: 0/"0" the last page, 1/"1" more to come, absent unknown; any
// other value is a marker nobody knows (the returned text says so).
func hasMore(p frsPage) (moreFlag, string) {
	if p.Page == nil || p.Page.HasMore == nil || *p.Page.HasMore == "" {
		return moreUnknown, ""
	}
	switch {
	case p.Page.HasMore.isZero():
		return moreNo, ""
	case p.Page.HasMore.isOne():
		return moreYes, ""
	}
	return moreUnknown, fmt.Sprintf("翻页标记 has_more 无法识别：%q", string(*p.Page.HasMore))
}
