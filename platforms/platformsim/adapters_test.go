package platformsim_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/platforms"
	"github.com/nmaudit/nmaudit/platforms/platformsim"
	"github.com/nmaudit/nmaudit/platforms/tieba"
	"github.com/nmaudit/nmaudit/platforms/wechat"
	"github.com/nmaudit/nmaudit/platforms/weibo"
)

// fetchers wires the real adapters to the simulator, as cmd/nmaudit does, with no Weibo cookie
// configured (a fresh install: the visitor cookie is obtained from the simulator).
func fetchers(t *testing.T, s *platformsim.Sim, notice func(string)) map[platforms.Platform]platforms.Fetcher {
	t.Helper()
	deps := func() platforms.Deps {
		p := platforms.NewPacer(platforms.Limits{Retries: 1})
		p.Sleep = func(context.Context, time.Duration) error { return nil }
		return platforms.Deps{Client: s.Client(), Pacer: p, Redactor: platforms.NewRedactor(), Notice: notice}
	}
	wc := weibo.DefaultConfig()
	wc.BaseURL, wc.VisitorBaseURL = s.URL, s.URL
	wb, err := weibo.New(wc, deps())
	if err != nil {
		t.Fatal(err)
	}
	tc := tieba.DefaultConfig()
	tc.BaseURL, tc.WebBaseURL = s.URL, s.URL
	tb, err := tieba.New(tc, deps())
	if err != nil {
		t.Fatal(err)
	}
	mc := wechat.DefaultConfig()
	mc.MPBaseURL, mc.APIBaseURL, mc.ArticleBaseURL = s.URL, s.URL, s.URL
	mc.MPToken, mc.MPCookie = "608398971", "slave_sid=simsession"
	mp, err := wechat.New(mc, deps())
	if err != nil {
		t.Fatal(err)
	}
	return map[platforms.Platform]platforms.Fetcher{platforms.Weibo: wb, platforms.Tieba: tb, platforms.WeChat: mp}
}

// Every simulated account — Weibo paging by since_id and by page number past posts made after
// T, behind a visitor cookie; WeChat sends that are image posts, dated or not — is answered with
// the newest post the simulator knows, through one visitor handshake.
func TestAdaptersReachEveryAccountsAnswer(t *testing.T) {
	s := platformsim.Start(platformsim.Options{Seed: 11, Accounts: 60})
	defer s.Close()
	f := fetchers(t, s, nil)
	var wg sync.WaitGroup
	for _, a := range s.Accounts() {
		wg.Go(func() {
			obs, err := f[a.Platform].Fetch(context.Background(), a.Target(), platformsim.DefaultCheckTime)
			if err != nil {
				t.Errorf("%s: %v", a.Name, err)
				return
			}
			if obs.Latest == nil || !obs.Latest.Time.Equal(a.Latest) {
				t.Errorf("%s: Latest %+v, want %v", a.Name, obs.Latest, a.Latest)
			}
		})
	}
	wg.Wait()
	if n := s.Visitors(); n != 1 {
		t.Errorf("%d visitor handshakes for the run, want 1", n)
	}
}

// After the 2026-07-30 closure every backend account ends 待核查, the route is stopped after three
// refused accounts, and one notice names what still works.
func TestAdaptersSeeTheWeChatClosure(t *testing.T) {
	s := platformsim.Start(platformsim.Options{Seed: 12, Accounts: 30, WeChatClosed: true})
	defer s.Close()
	var mu sync.Mutex
	var notices []string
	f := fetchers(t, s, func(m string) { mu.Lock(); notices = append(notices, m); mu.Unlock() })
	closed := 0
	for _, a := range s.Accounts() {
		if a.Platform != platforms.WeChat {
			continue
		}
		_, err := f[a.Platform].Fetch(context.Background(), a.Target(), platformsim.DefaultCheckTime)
		var ft *platforms.Fault
		if !errors.As(err, &ft) {
			t.Fatalf("%s: %v, want 待核查", a.Name, err)
		}
		if errors.Is(err, platforms.ErrRouteClosed) {
			closed++
		}
	}
	if closed != 10-3 {
		t.Errorf("%d accounts got the closure, want every account after the first three", closed)
	}
	if len(notices) != 1 || !strings.Contains(notices[0], "200013") {
		t.Errorf("notices = %q", notices)
	}
	// The route was asked only by the first three accounts (1 + retries each).
	if got := s.Stats()[platformsim.WeChatMP].Requests; got > 3*(1+1)+10 {
		t.Errorf("%d requests to the 公众平台 after the closure", got)
	}
}

// Article pages answer when the lists are closed: the newest send's link proves its time, and
// a link to another account's article is named as such.
func TestArticleLinksThroughTheWeChatAdapter(t *testing.T) {
	s := platformsim.Start(platformsim.Options{Seed: 13, Accounts: 12, WeChatClosed: true})
	defer s.Close()
	f := fetchers(t, s, nil)
	lc := f[platforms.WeChat].(platforms.LinkChecker)
	var wechats []platformsim.Account
	for _, a := range s.Accounts() {
		if a.Platform == platforms.WeChat {
			wechats = append(wechats, a)
		}
	}
	for i, a := range wechats {
		links := s.ArticleLinks(a)
		if len(links) == 0 {
			t.Fatalf("%s: no article links", a.Name)
		}
		l, err := platforms.ParseLink(links[0])
		if err != nil {
			t.Fatal(err)
		}
		proof, err := lc.CheckLink(context.Background(), a.Target(), l, platformsim.DefaultCheckTime)
		if err != nil || !proof.Post.Time.Equal(a.Latest) {
			t.Errorf("%s: %+v, %v; want %v", a.Name, proof, err, a.Latest)
		}
		other := wechats[(i+1)%len(wechats)]
		_, err = lc.CheckLink(context.Background(), other.Target(), l, platformsim.DefaultCheckTime)
		if !errors.Is(err, platforms.ErrWrongAccount) {
			t.Errorf("%s's link checked against %s: %v", a.Name, other.Name, err)
		}
	}
}
