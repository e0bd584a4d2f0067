package tieba

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/nmaudit/nmaudit/platforms"
	"github.com/nmaudit/nmaudit/platforms/names"
)

// Evidence links (platforms.md Part 1): a thread URL, tieba.baidu.com/p/{tid}, is read through
// the signed client API POST {base_url}/c/f/pb/page, form kz={tid}, pn=1, rn=2:
//
//	{"error_code":"0","forum":{"id":"…","name":"某某市"},
//	 "thread":{"id":"…","title":"…","create_time":"1660000000","author":{"id":"…","name":"…"}}, …}

const pbPagePath = "/c/f/pb/page"

type pbPage struct {
	ErrorCode *flex  `json:"error_code"`
	ErrorMsg  string `json:"error_msg"`
	Forum     struct {
		Name string `json:"name"`
	} `json:"forum"`
	Thread *struct {
		ID         flex   `json:"id"`
		Title      string `json:"title"`
		CreateTime flex   `json:"create_time"`
		Author     struct {
			ID       flex   `json:"id"`
			Name     string `json:"name"`
			NameShow string `json:"name_show"`
		} `json:"author"`
	} `json:"thread"`
}

// CheckLink reads one thread and ties it to the account: a user account when the thread's
// author is that user (by name, or by id for an account registered by its numeric id), a 吧
// account when the thread is in that 吧. It implements platforms.LinkChecker.
func (f *Fetcher) CheckLink(ctx context.Context, t platforms.Target, link platforms.PostLink, checkTime time.Time) (platforms.LinkProof, error) {
	if err := ctx.Err(); err != nil {
		return platforms.LinkProof{}, fmt.Errorf("tieba: %w", err)
	}
	r, err := f.post(ctx, pbPagePath, url.Values{"kz": {link.ID}, "pn": {"1"}, "rn": {"2"}})
	if err != nil {
		return platforms.LinkProof{}, f.finish(ctx, err)
	}
	var pb pbPage
	if err := json.Unmarshal([]byte(r.body), &pb); err != nil {
		return platforms.LinkProof{}, f.fault(platforms.ReasonBadResponse, "", "pb/page 不是预期的 JSON: "+snippet(r.body), r.url, nil)
	}
	if err := f.checkCode(pb.ErrorCode, pb.ErrorMsg, r.url); err != nil {
		if strings.Contains(pb.ErrorMsg, "删除") || strings.Contains(pb.ErrorMsg, "不存在") {
			return platforms.LinkProof{}, f.fault(platforms.ReasonDeleted, "", err.Error(), r.url, nil)
		}
		return platforms.LinkProof{}, err
	}
	if pb.Thread == nil {
		return platforms.LinkProof{}, f.fault(platforms.ReasonBadResponse, "", "pb/page 应答中没有 thread", r.url, nil)
	}
	at, err := unixTime(pb.Thread.CreateTime)
	if err != nil {
		return platforms.LinkProof{}, f.fault(platforms.ReasonBadResponse, "", "thread "+link.ID+": "+err.Error(), r.url, nil)
	}
	identity, fault := threadBelongs(pb, t)
	if fault != nil {
		return platforms.LinkProof{}, f.fault(fault.Reason, "", fault.Detail, r.url, nil)
	}
	return platforms.LinkProof{
		Source:    Source,
		Post:      platforms.Post{Time: at, ID: link.ID, Title: shorten(pb.Thread.Title)},
		URL:       r.url,
		Identity:  identity,
		FetchedAt: platforms.FetchTime(r.header, f.now),
	}, nil
}

func threadBelongs(pb pbPage, t platforms.Target) (string, *platforms.Fault) {
	wrong := func(format string, args ...any) (string, *platforms.Fault) {
		return "", &platforms.Fault{Reason: platforms.ReasonWrongAccount, Detail: fmt.Sprintf(format, args...)}
	}
	author := pb.Thread.Author
	switch t.IDKind {
	case platforms.IDTiebaForum:
		kw := strings.TrimSpace(t.ID)
		if pb.Forum.Name == "" {
			break
		}
		if names.Normalize(strings.TrimSuffix(pb.Forum.Name, "吧")) != names.Normalize(strings.TrimSuffix(kw, "吧")) {
			return wrong("帖子在“%s吧”，登记的是“%s吧”", pb.Forum.Name, kw)
		}
		return "帖子所在的吧与登记的一致（" + pb.Forum.Name + "吧）", nil
	case platforms.IDTiebaUserID:
		if author.ID == "" {
			break
		}
		if string(author.ID) != strings.TrimSpace(t.ID) {
			return wrong("帖子作者为“%s”（ID %s），登记的 ID 是 %s", author.Name, author.ID, t.ID)
		}
		return "帖子作者 ID 与登记的一致（" + t.ID + "）", nil
	default:
		un := strings.TrimSpace(t.ID)
		if t.IDKind == platforms.IDNone {
			un = strings.TrimSpace(t.Name)
		}
		if author.Name == "" || un == "" {
			break
		}
		if !strings.EqualFold(author.Name, un) {
			return wrong("帖子作者为“%s”，不是“%s”", author.Name, un)
		}
		return "帖子作者与登记的用户名一致（" + author.Name + "）", nil
	}
	return "", platforms.NewFault(platforms.ReasonBadResponse, "应答中没有作者或吧名，无法核对账号")
}
