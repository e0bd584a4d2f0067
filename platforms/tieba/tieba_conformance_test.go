package tieba

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/platforms"
	"github.com/nmaudit/nmaudit/platforms/platformtest"
)

// harness plays the conformance scenarios on the user route: user name → user_json → userpost.
type harness struct{}

func TestConformance(t *testing.T) { platformtest.Run(t, harness{}) }

func (harness) Setup(t *testing.T, sc platformtest.Scenario, at time.Time) (platforms.Fetcher, platforms.Target) {
	s := newFake(t)
	s.userJSON = file(t, "user_json.json")
	rel := func(ds ...time.Duration) []post {
		out := make([]post, len(ds))
		for i, d := range ds {
			out[i] = post{at: at.Add(d)}
		}
		return out
	}
	page := func(ds ...time.Duration) string { return userPostJSON(rel(ds...)...) }
	empty := `{"error_code":"0","error_msg":"","hide_post":"0","post_list":[]}`
	recent := page(-3*day, -4*day, -6*day, -9*day)

	switch sc {
	case platformtest.Recent:
		s.userPost = body(recent)
	case platformtest.Stale:
		s.userPost = body(page(-30*day, -41*day))
	case platformtest.PinnedOld:
		// userpost has no pinned flag; an old post listed first is the same trap.
		s.userPost = body(page(-400*day, -2*day, -5*day))
	case platformtest.PinnedNewest:
		s.userPost = body(page(-1*day, -20*day, -25*day))
	case platformtest.AfterT:
		s.userPost = pages(t, empty, page(3*day, 26*time.Hour, time.Hour), page(-5*day))
	case platformtest.ExactlyWindowStart:
		s.userPost = body(page(-14*day, -20*day))
	case platformtest.Empty:
		s.userPost = formFile(t, "userpost_hidden.json")
	case platformtest.LoginRequired:
		s.userPost = formFile(t, "userpost_not_logged_in.json")
	case platformtest.RateLimitedThenOK:
		s.userPost = failFirst(1, status(http.StatusTooManyRequests, ""), body(recent))
	case platformtest.RateLimited:
		s.userPost = failFirst(1<<30, status(http.StatusTooManyRequests, ""), nil)
	case platformtest.Garbage:
		s.userPost = func(w http.ResponseWriter, _ *http.Request, _ url.Values, _ int) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"))
		}
	case platformtest.NoList:
		// error_code "0" with the envelope's other fields, but no post_list.
		s.userPost = body(`{"error_code":"0","error_msg":"","hide_post":"0","server_time":"38712","time":1661140800,"ctime":0,"logid":1829330911}`)
	case platformtest.EndOfList:
		// The user route's end marker: an empty page with hide_post "0".
		s.userPost = pages(t, empty, page(3*day, time.Hour))
	case platformtest.NextPageFails:
		s.userPost = func(w http.ResponseWriter, r *http.Request, form url.Values, n int) {
			if form.Get("pn") == "1" {
				writeJSON(w, page(3*day, time.Hour))
				return
			}
			status(http.StatusInternalServerError, "Internal Server Error")(w, r)
		}
	case platformtest.Truncated:
		// userpost has no total: a list that keeps going past the page budget is the way it
		// can be cut short.
		s.userPost = body(page(3*day, 2*day, time.Hour))
		return newFetcher(t, s, func(c *Config) { c.MaxPages = 2 }), byName
	case platformtest.OddMarker:
		// The forum route has a marker: page.has_more. One of "maybe" is not an end.
		s.userJSON = nil
		s.frsPage = body(withHasMore(frsJSON(thread{at: at.Add(3 * day)}, thread{at: at.Add(time.Hour)}), "maybe"))
		return newFetcher(t, s, nil), byForum
	default:
		t.Fatalf("unknown scenario %s", sc)
	}
	return newFetcher(t, s, nil), byName
}

// withHasMore adds page.has_more to an frs/page answer, as the real one carries it.
func withHasMore(page string, v any) string {
	var doc map[string]any
	if err := json.Unmarshal([]byte(page), &doc); err != nil {
		panic(err)
	}
	doc["page"] = map[string]any{"page_size": "30", "offset": "0", "current_page": "1", "has_more": v, "has_prev": "0"}
	b, _ := json.Marshal(doc)
	return string(b)
}
