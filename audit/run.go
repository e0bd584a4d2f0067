package audit

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nmaudit/nmaudit/platforms"
)

// FetchFunc asks an account's platform for its newest post at or before T
// (platforms.Registry.Fetch in production).
type FetchFunc func(ctx context.Context, t platforms.Target, checkTime time.Time) (platforms.Observation, error)

// LinkFunc reads one evidence link for an account (platforms.Registry.CheckLink).
type LinkFunc func(ctx context.Context, t platforms.Target, link platforms.PostLink, checkTime time.Time) (platforms.LinkProof, error)

// Check is one inspection run: its inputs and how to fetch.
type Check struct {
	Params       Params
	Registry     *Registry
	Targets      []Account // nil: every registry account
	TargetFile   string
	Observations []Observation
	Findings     []Finding
	// Fetch is nil in --offline mode: accounts are then decided from observations only.
	Fetch FetchFunc
	// CheckLink reads an observation row's evidence link and ties it to the account
	// (platforms.Registry.CheckLink in production). Nil leaves links unverified (--offline):
	// they are kept in the evidence and the typed times decide.
	CheckLink LinkFunc
	// ObservationsFile names the observations file in notices (a row voided by its link).
	ObservationsFile string
	// Concurrency is the number of parallel fetches per platform; each platform still obeys
	// its own rate limiter, so more workers only help while requests are waiting on the network.
	Concurrency int
	// Progress, when set, is called after each account is decided (from one goroutine at a time).
	Progress func(done, total int)
	// Started, when set, is called with the scope's accounts once they are known and before any
	// is decided (a history store records the run then, and a resumed run checks its saved
	// verdicts against them, without building the scope a second time); an error stops the run.
	Started func(accounts []*Account) error
	// Decided, when set, returns a verdict already reached for the account (a resumed run); the
	// account is then not fetched again.
	Decided func(a Account) (Verdict, bool)
	// OnVerdict, when set, is called as each account is decided, before the run ends (from one
	// goroutine at a time), so a store can keep verdicts a killed run has reached.
	OnVerdict func(index int, v Verdict) error
}

// Run performs the check. It returns an error only when the run itself fails (a cancelled
// context, a store that cannot keep a verdict); every per-account fault ends up in that
// account's verdict.
func (c *Check) Run(ctx context.Context) (*Result, error) {
	scope := BuildScope(c.Registry, c.Targets, c.TargetFile)
	// Duplicates feed only the report: found on the side while accounts are classified (the
	// channel is buffered, so a run that fails early leaves no goroutine behind).
	dups := make(chan []Duplicate, 1)
	go func() { dups <- FindDuplicates(c.Registry.Accounts) }()
	if c.Started != nil {
		if err := c.Started(scope.Accounts); err != nil {
			return nil, err
		}
	}
	res := &Result{CheckTime: c.Params.CheckTime, Window: c.Params.Window, Notices: scope.Notices,
		Unregistered: scope.Unregistered}
	res.Summary.RegistryRows = scope.RegistryRows
	res.Summary.ClosedExcluded = scope.ClosedExcluded

	manual, findings, notices := c.MatchManual(scope.Accounts)
	res.Notices = append(res.Notices, notices...)

	verdicts := make([]Verdict, len(scope.Accounts))
	var mu sync.Mutex
	var linkNotices []string
	note := func(msg string) {
		mu.Lock()
		linkNotices = append(linkNotices, msg)
		mu.Unlock()
	}
	done := 0
	var saveErr error
	decide := func(i int, v Verdict) {
		mu.Lock()
		defer mu.Unlock()
		verdicts[i] = v
		done++
		if c.OnVerdict != nil && saveErr == nil {
			saveErr = c.OnVerdict(i, v)
		}
		if c.Progress != nil {
			c.Progress(done, len(verdicts))
		}
	}

	// Accounts that need their platform are queued per platform, so a slow platform's rate
	// limit never holds up another's workers.
	queues := map[platforms.Platform][]int{}
	var order []platforms.Platform
	for i, ap := range scope.Accounts {
		a := *ap
		if c.Decided != nil {
			if v, ok := c.Decided(a); ok {
				mu.Lock()
				verdicts[i] = v
				done++
				mu.Unlock()
				continue
			}
		}
		if c.Local(a) || c.Fetch == nil {
			v, _ := c.Decide(ctx, a, manual[i], findings[i], note)
			decide(i, v)
			continue
		}
		if _, ok := queues[a.Platform]; !ok {
			order = append(order, a.Platform)
		}
		queues[a.Platform] = append(queues[a.Platform], i)
	}

	workers := c.Concurrency
	if workers < 1 {
		workers = 1
	}
	var wg sync.WaitGroup
	for _, p := range order {
		jobs := make(chan int)
		n := min(workers, len(queues[p]))
		for range n {
			wg.Go(func() {
				for i := range jobs {
					v, err := c.Decide(ctx, *scope.Accounts[i], manual[i], findings[i], note)
					if err != nil {
						continue // cancelled: the run is abandoned, not decided
					}
					decide(i, v)
				}
			})
		}
		wg.Go(func() {
			defer close(jobs)
			for _, i := range queues[p] {
				select {
				case jobs <- i:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if saveErr != nil {
		return nil, saveErr
	}
	res.Accounts = verdicts
	res.Duplicates = <-dups
	sort.Strings(linkNotices) // workers finish in any order; the notices read in row order
	res.Notices = append(res.Notices, linkNotices...)
	res.Summarize(c.Params)
	return res, nil
}

// Local reports whether a is decided without its platform: an account set aside under the
// pending-closure policy, or one on a platform nmaudit cannot read. A distributed run decides
// these on the coordinator and queues only the others for workers.
func (c *Check) Local(a Account) bool { return !c.Params.Checked(a) || !Supported(a.Platform) }

// Decide decides one in-scope account, as Run does for each: from its platform's answer (c.Fetch,
// and c.CheckLink for the evidence links of its observation rows), the observation and finding
// rows matched to it (MatchManual) and the run's parameters, through Classify. It is the one
// decision every front end shares: Run's workers call it, and so does a distributed run's
// worker on another machine (audit/distributed), so both give the same verdict. note receives
// what deciding it tells the run (an evidence link that belongs to another account voids its
// row). The only error is ctx's, when the run was cancelled before the account was decided.
func (c *Check) Decide(ctx context.Context, a Account, manual []Observation, findings []Finding, note func(string)) (Verdict, error) {
	switch {
	case !c.Params.Checked(a):
		return Classify(a, Answer{}, nil, nil, c.Params), nil
	case !Supported(a.Platform):
		return Classify(a, Answer{Err: ErrUnsupported}, manual, findings, c.Params), nil
	case c.Fetch == nil:
		return Classify(a, Answer{Err: ErrOffline}, manual, findings, c.Params), nil
	}
	obs, err := c.Fetch(ctx, a.Target(), c.Params.CheckTime)
	if ctx.Err() != nil {
		return Verdict{}, ctx.Err()
	}
	ans := Answer{Err: err}
	if err == nil {
		ans = Answer{Obs: &obs}
	}
	if note == nil {
		note = func(string) {}
	}
	ans.Links = c.checkLinks(ctx, a, manual, note)
	if ctx.Err() != nil {
		return Verdict{}, ctx.Err()
	}
	return Classify(a, ans, manual, findings, c.Params), nil
}

// checkLinks reads the evidence links of an account's observation rows (none when the run is
// offline). A link to another account's post is said in a notice naming the file and the row,
// since the row is void.
func (c *Check) checkLinks(ctx context.Context, a Account, rows []Observation, note func(string)) map[int]LinkCheck {
	if c.CheckLink == nil {
		return nil
	}
	var out map[int]LinkCheck
	for _, o := range rows {
		if o.Link == "" || ctx.Err() != nil {
			continue
		}
		if out == nil {
			out = map[int]LinkCheck{}
		}
		link, err := platforms.ParseLink(o.Link)
		if err != nil {
			out[o.Row] = LinkCheck{Err: err}
			continue
		}
		proof, err := c.CheckLink(ctx, a.Target(), link, c.Params.CheckTime)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			out[o.Row] = LinkCheck{Err: err}
			if errors.Is(err, platforms.ErrWrongAccount) {
				note(fmt.Sprintf("%s 第%d行（%s %s）：%s，该行作废", obsFile(c.ObservationsFile), o.Row, o.Name, o.Type, faultText(err)))
			}
			continue
		}
		out[o.Row] = LinkCheck{Proof: &proof}
	}
	return out
}

func obsFile(path string) string {
	if path == "" {
		return "观察记录"
	}
	return "观察记录 " + filepath.Base(path)
}

// Summarize fills the counts, the rate and the 预警 list from the verdicts.
func (r *Result) Summarize(p Params) {
	s := &r.Summary
	s.InScope, s.PendingClosure, s.Qualified, s.Unqualified, s.NeedsReview = len(r.Accounts), 0, 0, 0, 0
	r.Warnings = nil
	for _, v := range r.Accounts {
		switch v.Status {
		case PendingReview:
			s.PendingClosure++
		case Qualified:
			s.Qualified++
			if w, ok := warning(v, p); ok {
				r.Warnings = append(r.Warnings, w)
			}
		case Unqualified:
			s.Unqualified++
		case NeedsReview:
			s.NeedsReview++
		}
	}
	s.UnqualifiedRate = 0
	if s.InScope > 0 {
		s.UnqualifiedRate = float64(s.Unqualified) / float64(s.InScope)
	}
}

// warning reports a 预警: a 合格 account whose newest post is strictly older than T − WarnAfter.
func warning(v Verdict, p Params) (Warning, bool) {
	if p.WarnAfter <= 0 || v.LatestPostAt == nil {
		return Warning{}, false
	}
	age := p.CheckTime.Sub(*v.LatestPostAt)
	if age <= p.WarnAfter {
		return Warning{}, false
	}
	return Warning{Name: v.Name, Type: v.Type, Owner: v.Owner, LatestPostAt: *v.LatestPostAt,
		DaysSincePost: int(age / (24 * time.Hour))}, true
}

// MatchManual assigns observation and finding rows to in-scope accounts (by platform + id, else
// platform + normalised name), by position in accts. Rows that match no in-scope account are
// named in notices, never silently dropped.
func (c *Check) MatchManual(accts []*Account) (map[int][]Observation, map[int][]Finding, []string) {
	manual := map[int][]Observation{}
	findings := map[int][]Finding{}
	var notices []string
	if len(c.Observations) == 0 && len(c.Findings) == 0 {
		return manual, findings, nil
	}
	ix := newAccountIndex(accts)
	var unusedObs, unusedFindings []unused
	for _, o := range c.Observations {
		key := Account{Name: o.Name, Type: o.Type, Platform: o.Platform, IDKind: o.IDKind, ID: o.ID}
		rows := ix.find(key)
		if len(rows) == 0 {
			unusedObs = append(unusedObs, unused{o.Row, o.Name + " " + o.Type})
			continue
		}
		for _, i := range rows {
			manual[i] = append(manual[i], o)
		}
	}
	for _, f := range c.Findings {
		rows := ix.find(Account{Name: f.Name, Type: f.Type, Platform: f.Platform})
		if len(rows) == 0 {
			unusedFindings = append(unusedFindings, unused{f.Row, f.Name + " " + f.Type + "：" + f.Problem})
			continue
		}
		for _, i := range rows {
			findings[i] = append(findings[i], f)
		}
	}
	notices = append(notices, unusedNotice(obsFile(c.ObservationsFile), unusedObs)...)
	notices = append(notices, unusedNotice("检查发现", unusedFindings)...)
	return manual, findings, notices
}

// unused is a row that matched no in-scope account.
type unused struct {
	row  int
	what string
}

// unusedNotices says which rows were not used: each one while they are few, one summary line
// when there are many (a province-wide observations file checked against one district's list
// would otherwise print thousands of lines).
func unusedNotice(file string, rows []unused) []string {
	const listed = 5
	if len(rows) == 0 {
		return nil
	}
	if len(rows) <= listed {
		out := make([]string, len(rows))
		for i, u := range rows {
			out[i] = fmt.Sprintf("%s 第%d行（%s）未匹配到检查范围内的账号，未使用", file, u.row, u.what)
		}
		return out
	}
	nums := make([]string, 0, listed)
	for _, u := range rows[:listed] {
		nums = append(nums, strconv.Itoa(u.row))
	}
	return []string{fmt.Sprintf("%s 中有 %d 行未匹配到检查范围内的账号，未使用（第 %s 行等）", file, len(rows), strings.Join(nums, "、"))}
}
