package history

import (
	"math"
	"slices"
	"time"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/audit/store"
)

// NotChecked is the from/to of an account the other run did not check.
const NotChecked = "未检查"

// DiffEntry is one account in a diff list; From and To are the Chinese result labels.
type DiffEntry struct {
	Name      string   `json:"name"`
	Type      string   `json:"type"`
	Owner     string   `json:"owner"`
	Platform  string   `json:"platform"`
	AccountID string   `json:"account_id"`
	Level     string   `json:"level"`
	From      string   `json:"from"`
	To        string   `json:"to"`
	Problems  []string `json:"problems"` // RUN_B's problems
}

// Counts are one run's counts for a level, a platform or the whole scope.
type Counts struct {
	InScope         int     `json:"in_scope"`
	PendingClosure  int     `json:"pending_closure"`
	Qualified       int     `json:"qualified"`
	Unqualified     int     `json:"unqualified"`
	NeedsReview     int     `json:"needs_review"`
	UnqualifiedRate float64 `json:"unqualified_rate"`
}

func (c *Counts) add(s audit.Status) {
	c.InScope++
	switch s {
	case audit.PendingReview:
		c.PendingClosure++
	case audit.Qualified:
		c.Qualified++
	case audit.Unqualified:
		c.Unqualified++
	case audit.NeedsReview:
		c.NeedsReview++
	}
	c.UnqualifiedRate = math.Round(float64(c.Unqualified)/float64(c.InScope)*1e4) / 1e4
}

// FromTo are a group's counts in both runs.
type FromTo struct {
	From Counts `json:"from"`
	To   Counts `json:"to"`
}

// RunRef names a compared run.
type RunRef struct {
	ID        string `json:"id"`
	Kind      string `json:"kind"`
	CheckTime string `json:"check_time"`
}

// Diff is `diff RUN_A RUN_B` (design.md): fixed = 不合格→合格, newly_failing = →不合格 from
// anything else (including accounts RUN_A did not check), still_failing = 不合格 in both,
// resolved = 待核查→decided, changed = any status change; with both runs' counts by level and
// by platform (keyed by platform code: JSON keeps the codes, human formats print labels).
type Diff struct {
	From         RunRef             `json:"from"`
	To           RunRef             `json:"to"`
	Summary      FromTo             `json:"summary"`
	Accounts     DiffAccounts       `json:"accounts"`
	Fixed        []DiffEntry        `json:"fixed"`
	NewlyFailing []DiffEntry        `json:"newly_failing"`
	StillFailing []DiffEntry        `json:"still_failing"`
	Resolved     []DiffEntry        `json:"resolved"`
	Changed      []DiffEntry        `json:"changed"`
	ByLevel      map[string]*FromTo `json:"by_level"`
	ByPlatform   map[string]*FromTo `json:"by_platform"`
}

// DiffAccounts says how many accounts matched across the runs.
type DiffAccounts struct {
	Matched    int `json:"matched"`
	OnlyInFrom int `json:"only_in_from"`
	OnlyInTo   int `json:"only_in_to"`
}

// Compare compares two finished runs account by account. levels is the one level function of
// every report (nil: inferred without overrides), so diff's 分层级对比 files each account where
// the check report does.
func Compare(a, b *Recorded, levels *audit.LevelResolver) *Diff {
	ref := func(r *store.Run) RunRef {
		return RunRef{ID: r.ID, Kind: r.Kind, CheckTime: r.CheckTime.In(r.Location()).Format(time.RFC3339)}
	}
	d := &Diff{From: ref(a.Run), To: ref(b.Run), Fixed: []DiffEntry{}, NewlyFailing: []DiffEntry{}, StillFailing: []DiffEntry{},
		Resolved: []DiffEntry{}, Changed: []DiffEntry{}, ByLevel: map[string]*FromTo{}, ByPlatform: map[string]*FromTo{}}
	bucket := func(m map[string]*FromTo, k string) *FromTo {
		if m[k] == nil {
			m[k] = &FromTo{}
		}
		return m[k]
	}
	level := func(v audit.Verdict) string {
		l, _ := levels.Group(v.Account)
		return l
	}
	before, after := a.Result.Accounts, b.Result.Accounts
	for _, v := range before {
		d.Summary.From.add(v.Status)
		bucket(d.ByLevel, level(v)).From.add(v.Status)
		bucket(d.ByPlatform, string(v.Platform)).From.add(v.Status)
	}
	ix := indexVerdicts(before)
	seen := map[int]bool{}
	for _, v := range after {
		d.Summary.To.add(v.Status)
		bucket(d.ByLevel, level(v)).To.add(v.Status)
		bucket(d.ByPlatform, string(v.Platform)).To.add(v.Status)

		e := DiffEntry{Name: v.Name, Type: v.Type, Owner: v.Owner, Platform: string(v.Platform), AccountID: v.ID,
			Level: v.Level, From: NotChecked, To: v.Status.Label(), Problems: append([]string{}, v.Problems...)}
		var from audit.Status
		i, ok := ix.find(v.Account)
		if ok && !seen[i] {
			seen[i] = true
			from = before[i].Status
			e.From = from.Label()
			d.Accounts.Matched++
		} else {
			ok = false
			d.Accounts.OnlyInTo++
		}
		switch {
		case from == audit.Unqualified && v.Status == audit.Qualified:
			d.Fixed = append(d.Fixed, e)
		case from == audit.Unqualified && v.Status == audit.Unqualified:
			d.StillFailing = append(d.StillFailing, e)
		case v.Status == audit.Unqualified:
			d.NewlyFailing = append(d.NewlyFailing, e)
		}
		if from == audit.NeedsReview && (v.Status == audit.Qualified || v.Status == audit.Unqualified) {
			d.Resolved = append(d.Resolved, e)
		}
		if !ok || from != v.Status {
			d.Changed = append(d.Changed, e)
		}
	}
	d.Accounts.OnlyInFrom = len(before) - d.Accounts.Matched
	return d
}

// LevelOrder lists the by_level keys as reports list levels: the four strata in their order,
// then any other value by name.
func (d *Diff) LevelOrder() []string {
	return orderKeys(d.ByLevel, audit.CanonicalLevels)
}

// PlatformOrder lists the by_platform keys by code.
func (d *Diff) PlatformOrder() []string { return orderKeys(d.ByPlatform, nil) }

// orderKeys sorts m's keys: those in first, in its order, then the rest by name.
func orderKeys(m map[string]*FromTo, first []string) []string {
	rank := map[string]int{}
	for i, k := range first {
		rank[k] = i - len(first)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if rank[a] != rank[b] {
			return rank[a] - rank[b]
		}
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	})
	return keys
}
