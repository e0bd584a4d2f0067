package weibo

import (
	"net/http"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/platforms"
	"github.com/nmaudit/nmaudit/platforms/platformtest"
)

// harness plays the conformance scenarios from a fake m.weibo.cn.
type harness struct{}

func (harness) Setup(t *testing.T, s platformtest.Scenario, T time.Time) (platforms.Fetcher, platforms.Target) {
	day := 24 * time.Hour
	at := func(d time.Duration) gp { return gp{at: T.Add(d)} }
	recent := genPage(4790000000000001, at(-3*day), at(-5*day), at(-9*day), at(-20*day))
	var pages map[string][]reply
	switch s {
	case platformtest.Recent:
		pages = map[string][]reply{"": {recent}}
	case platformtest.Stale:
		pages = map[string][]reply{"": {genPage(4790000000000001, at(-30*day), at(-45*day), at(-60*day))}}
	case platformtest.PinnedOld:
		pages = map[string][]reply{"": {genPage(4790000000000001,
			gp{at: T.Add(-400 * day), flags: pin}, at(-2*day), at(-6*day))}}
	case platformtest.PinnedNewest:
		pages = map[string][]reply{"": {genPage(4790000000000001,
			gp{at: T.Add(-1 * day), flags: pin}, at(-20*day), at(-25*day))}}
	case platformtest.AfterT:
		pages = map[string][]reply{
			"":                 {genPage("4806000000000001", at(3*day), at(day), at(time.Hour))},
			"4806000000000001": {genPage(4790000000000001, at(-5*day), at(-8*day))},
		}
	case platformtest.ExactlyWindowStart:
		pages = map[string][]reply{"": {genPage(4790000000000001, at(-14*day), at(-20*day))}}
	case platformtest.Empty:
		pages = map[string][]reply{"": {file("empty.json")}}
	case platformtest.LoginRequired:
		pages = map[string][]reply{"": {file("login_required.json")}}
	case platformtest.RateLimitedThenOK:
		pages = map[string][]reply{"": {status(http.StatusTeapot, "teapot_418.html"), recent}}
	case platformtest.RateLimited:
		pages = map[string][]reply{"": {status(http.StatusTeapot, "teapot_418.html")}}
	case platformtest.Garbage:
		pages = map[string][]reply{"": {file("garbage.html")}}
	case platformtest.NoList:
		// ok:1 and a cardlistInfo as real pages carry it, but no cards at all.
		pages = map[string][]reply{"": {{body: `{"ok":1,"data":{"cardlistInfo":{"containerid":"1076031234567890","v_p":42,"show_style":1,"can_shared":0}}}`}}}
	case platformtest.EndOfList:
		// No since_id, no page, and total equals what the page holds: the real last page.
		pages = map[string][]reply{"": {info(genPage(nil, at(3*day), at(day), at(time.Hour)), "total", 3)}}
	case platformtest.NextPageFails:
		pages = map[string][]reply{
			"":       {info(genPage(nil, at(3*day), at(time.Hour)), "page", 2)},
			"page=2": {{status: http.StatusInternalServerError, body: "Internal Server Error"}},
		}
	case platformtest.Truncated:
		// The shape that made active accounts 不合格: page paging's "no since_id" is not an end
		// when total says the account has 259 posts.
		pages = map[string][]reply{"": {info(genPage(nil, at(3*day), at(time.Hour)), "total", 259)}}
	case platformtest.OddMarker:
		pages = map[string][]reply{"": {info(genPage(nil, at(3*day), at(time.Hour)), "page", map[string]any{"next": 2})}}
	default:
		t.Fatalf("scenario %q not played by the weibo harness", s)
	}
	fw := newFake(t, pages)
	return newTestFetcher(t, fw, nil), target()
}

func TestConformance(t *testing.T) {
	platformtest.Run(t, harness{})
}
