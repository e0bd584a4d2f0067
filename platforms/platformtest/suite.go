// Package platformtest is the conformance suite every platform adapter runs (restic's Suite
// idea): the same behaviours, asserted the same way, each adapter playing them from its own fake
// server shaped like its real API (../shared/platforms.md).
package platformtest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/platforms"
)

// Scenario is one behaviour every adapter must show. Times are relative to the check time T
// passed to Setup.
type Scenario string

// The scenarios. An adapter's Harness serves each from its fake server.
const (
	// Recent: newest post at T−3d (several older posts after it on the page).
	Recent Scenario = "recent"
	// Stale: newest post at T−30d; the answer is definitive.
	Stale Scenario = "stale"
	// PinnedOld: a pinned post from T−400d listed first, then regular posts, newest at T−2d.
	PinnedOld Scenario = "pinned_old"
	// PinnedNewest: a pinned post at T−1d listed first, regular posts all older than T−20d.
	// The pinned post counts with its own time.
	PinnedNewest Scenario = "pinned_newest"
	// AfterT: the first page holds only posts after T (T+1h … T+3d); the next page holds one at
	// T−5d. Expect T−5d: posts after T are ignored and paging goes on past them.
	AfterT Scenario = "after_t"
	// ExactlyWindowStart: newest post exactly at T−14d.
	ExactlyWindowStart Scenario = "exactly_window_start"
	// Empty: the platform answers with an empty or hidden list that cannot be read as "no posts"
	// → a *Fault (ErrEmptyList or ErrHidden).
	Empty Scenario = "empty"
	// LoginRequired: the platform says a login is needed or the session expired → a *Fault
	// (ErrLoginRequired or ErrSessionExpired).
	LoginRequired Scenario = "login_required"
	// RateLimitedThenOK: the first request is rate limited, the retry succeeds with the Recent
	// page → the Recent answer.
	RateLimitedThenOK Scenario = "rate_limited_then_ok"
	// RateLimited: every request is rate limited → ErrRateLimited after bounded retries.
	RateLimited Scenario = "rate_limited"
	// Garbage: the body is not JSON (an HTML error page) → a *Fault, never a verdict.
	Garbage Scenario = "garbage"
	// NoList: valid JSON with the platform's success marker but without the list field (a
	// gateway's stub, an API change) → a *Fault: an absent list is not an empty one, and read as
	// one it would make the account 不合格.
	NoList Scenario = "no_list"

	// The list-reading rule (platforms.Listing): "nothing in the window" or "never posted" is an
	// answer only when the list was read back past T−W or to its proven end. In every scenario
	// below the first page holds only unpinned posts after T (T+1h … T+3d), so nothing read so
	// far says anything about [T−W, T].

	// EndOfList: the first page is provably the platform's last (its own end marker, as Part 1
	// defines it: no cursor and no next page with every counted post seen, an empty next page…).
	// The list is read to its end: definitive, Latest nil (nothing at or before T).
	EndOfList Scenario = "end_of_list"
	// NextPageFails: the first page signals a next page, and every request for it fails
	// (HTTP 500). → a *Fault, never a verdict.
	NextPageFails Scenario = "next_page_fails"
	// Truncated: the platform signals more than it lets the adapter read — a total above what
	// was served with no way on, an empty page where more were promised, or more pages than
	// max_pages (the harness may lower max_pages to 2). → ErrIncomplete or ErrTooManyPages.
	Truncated Scenario = "truncated"
	// OddMarker: the first page's paging marker is in a form the adapter does not know (an
	// object where a cursor should be, a page number that is not a number, a has-more flag of
	// "maybe"). → a *Fault: an unknown marker can never be read as "no more pages".
	OddMarker Scenario = "odd_marker"
)

// Harness sets an adapter up against its fake server for one scenario.
type Harness interface {
	// Setup starts a fake server playing s (closed by t.Cleanup) and returns a fetcher wired to
	// it, with retries allowed (at least 2) and no real waiting between them, and the target to
	// ask for. The suite calls Fetch with checkTime T.
	Setup(t *testing.T, s Scenario, checkTime time.Time) (platforms.Fetcher, platforms.Target)
}

// T is the check time the suite uses: 2022-08-22 00:00 China time.
var T = time.Date(2022, 8, 22, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))

// Run runs every scenario against h.
func Run(t *testing.T, h Harness) {
	day := 24 * time.Hour
	want := map[Scenario]time.Time{
		Recent:             T.Add(-3 * day),
		Stale:              T.Add(-30 * day),
		PinnedOld:          T.Add(-2 * day),
		PinnedNewest:       T.Add(-1 * day),
		AfterT:             T.Add(-5 * day),
		ExactlyWindowStart: T.Add(-14 * day),
		RateLimitedThenOK:  T.Add(-3 * day),
	}
	for s, at := range want {
		t.Run(string(s), func(t *testing.T) {
			f, target := h.Setup(t, s, T)
			obs, err := f.Fetch(context.Background(), target, T)
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if obs.Latest == nil {
				t.Fatalf("Latest = nil, want %v", at)
			}
			if !obs.Latest.Time.Equal(at) {
				t.Errorf("Latest = %v, want %v", obs.Latest.Time, at)
			}
			if obs.Source == "" {
				t.Errorf("Source is empty")
			}
			if obs.URL == "" {
				t.Errorf("URL (evidence) is empty")
			}
		})
	}
	faults := map[Scenario][]error{
		Empty:         {platforms.ErrEmptyList, platforms.ErrHidden},
		LoginRequired: {platforms.ErrLoginRequired, platforms.ErrSessionExpired},
		RateLimited:   {platforms.ErrRateLimited},
		Garbage:       nil, // any *Fault
		NoList:        nil, // any *Fault
	}
	for s, wantErrs := range faults {
		t.Run(string(s), func(t *testing.T) {
			f, target := h.Setup(t, s, T)
			_, err := f.Fetch(context.Background(), target, T)
			var fault *platforms.Fault
			if !errors.As(err, &fault) {
				t.Fatalf("err = %v (%T), want a *platforms.Fault", err, err)
			}
			if len(wantErrs) == 0 {
				return
			}
			for _, w := range wantErrs {
				if errors.Is(err, w) {
					return
				}
			}
			t.Errorf("err = %v (reason %s), want one of %v", err, fault.Reason, wantErrs)
		})
	}
	t.Run(string(EndOfList), func(t *testing.T) {
		f, target := h.Setup(t, EndOfList, T)
		obs, err := f.Fetch(context.Background(), target, T)
		if err != nil {
			t.Fatalf("Fetch: %v (a list read to its proven end is an answer)", err)
		}
		if obs.Latest != nil {
			t.Errorf("Latest = %+v, want nil: every post is after T", *obs.Latest)
		}
	})
	unread := map[Scenario][]error{
		NextPageFails: nil,
		Truncated:     {platforms.ErrIncomplete, platforms.ErrTooManyPages},
		OddMarker:     nil,
	}
	for s, wantErrs := range unread {
		t.Run(string(s), func(t *testing.T) {
			f, target := h.Setup(t, s, T)
			obs, err := f.Fetch(context.Background(), target, T)
			var fault *platforms.Fault
			if !errors.As(err, &fault) {
				t.Fatalf("Fetch = %+v, %v: a list not read to its end must be a *platforms.Fault (待核查), never a verdict", obs, err)
			}
			if len(wantErrs) == 0 {
				return
			}
			for _, w := range wantErrs {
				if errors.Is(err, w) {
					return
				}
			}
			t.Errorf("err = %v (reason %s), want one of %v", err, fault.Reason, wantErrs)
		})
	}
	t.Run("canceled", func(t *testing.T) {
		f, target := h.Setup(t, Recent, T)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := f.Fetch(ctx, target, T)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
}
