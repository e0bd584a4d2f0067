package audit

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/nmaudit/nmaudit/platforms"
)

// matchPlatform is the platform part of a matching key. Accounts whose type label is not
// recognised are told apart by the label itself, so two unknown labels never match each other.
func matchPlatform(p platforms.Platform, typeLabel string) string {
	if p == platforms.Unknown {
		return "unknown:" + NormalizeName(typeLabel)
	}
	return string(p)
}

// idKey normalises an id for matching: WeChat aliases and gh_ ids are case-insensitive.
func idKey(a Account) string {
	switch a.IDKind {
	case platforms.IDNone:
		return ""
	case platforms.IDWeChatAlias, platforms.IDWeChatGhID:
		return strings.ToLower(a.ID)
	}
	return a.ID
}

type matchKey struct{ platform, value string }

// accountIndex finds registry accounts by platform + id and by platform + normalised name.
type accountIndex struct {
	accounts []*Account
	byID     map[matchKey][]int
	byName   map[matchKey][]int
}

func newAccountIndex(accts []*Account) *accountIndex {
	ix := &accountIndex{accounts: accts, byID: map[matchKey][]int{}, byName: map[matchKey][]int{}}
	for i, a := range accts {
		p := matchPlatform(a.Platform, a.Type)
		if id := idKey(*a); id != "" {
			k := matchKey{p, id}
			ix.byID[k] = append(ix.byID[k], i)
		}
		k := matchKey{p, NormalizeName(a.Name)}
		ix.byName[k] = append(ix.byName[k], i)
	}
	return ix
}

// find returns the registry rows matching a: by platform + id when a has an id that is
// registered, else by platform + normalised name (design.md, "Target list").
func (ix *accountIndex) find(a Account) []int {
	p := matchPlatform(a.Platform, a.Type)
	if id := idKey(a); id != "" {
		if rows := ix.byID[matchKey{p, id}]; len(rows) > 0 {
			return rows
		}
	}
	return ix.byName[matchKey{p, NormalizeName(a.Name)}]
}

// preferActive picks, among registry rows describing one account, the one that is not closed
// (a re-registered account keeps its closed predecessor in the export).
func (ix *accountIndex) preferActive(rows []int) int {
	for _, i := range rows {
		if ix.accounts[i].Lifecycle != Closed {
			return i
		}
	}
	return rows[0]
}

// Scope is the set of accounts an inspection covers.
type Scope struct {
	RegistryRows   int
	ClosedExcluded int
	// Accounts are the accounts checked: not closed, in registry order (target-list order with
	// a list). They point into the registry rather than copy it: a provincial registry has
	// 10^5 rows and every copy of them costs tens of megabytes.
	Accounts     []*Account
	Unregistered []Unregistered
	Notices      []string
}

// BuildScope works out which accounts a check covers: every registry account, or with a target
// list the registry accounts it names. Closed accounts are counted and left out; target rows
// with no registry account are reported as 未在信息报送系统中登记. Duplicate registry rows are
// the caller's to find (FindDuplicates): they feed only the report, so a run finds them while it
// classifies.
func BuildScope(reg *Registry, targets []Account, targetFile string) Scope {
	s := Scope{RegistryRows: len(reg.Accounts), Notices: append([]string(nil), reg.Notices...)}
	if targets == nil {
		s.Accounts = make([]*Account, 0, len(reg.Accounts))
		for i := range reg.Accounts {
			if reg.Accounts[i].Lifecycle == Closed {
				s.ClosedExcluded++
				continue
			}
			s.Accounts = append(s.Accounts, &reg.Accounts[i])
		}
		return s
	}
	ix := newAccountIndex(pointers(reg.Accounts))
	chosen := map[int]int{} // registry index → target row that chose it
	for _, t := range targets {
		rows := ix.find(t)
		if len(rows) == 0 {
			s.Unregistered = append(s.Unregistered, Unregistered{Name: t.Name, Type: t.Type, Owner: t.Owner, Row: t.Row})
			continue
		}
		i := ix.preferActive(rows)
		if first, dup := chosen[i]; dup {
			s.Notices = append(s.Notices, fmt.Sprintf("%s: 第%d行与第%d行是同一账号（%s %s），只检查一次", filepath.Base(targetFile), t.Row, first, t.Name, t.Type))
			continue
		}
		chosen[i] = t.Row
		a := &reg.Accounts[i]
		if a.Lifecycle == Closed {
			s.ClosedExcluded++
			continue
		}
		s.Accounts = append(s.Accounts, a)
	}
	return s
}

// pointers lists pointers to every element of accts.
func pointers(accts []Account) []*Account {
	out := make([]*Account, len(accts))
	for i := range accts {
		out[i] = &accts[i]
	}
	return out
}

// FindDuplicates reports registry rows that describe the same account: same platform and id, or
// same platform and normalised name. Closed rows are left out: a closed account re-registered
// under the same name is the normal life of an account, not a duplicate.
func FindDuplicates(accts []Account) []Duplicate {
	parent := make([]int, len(accts))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	union := func(a, b int) {
		ra, rb := find(a), find(b)
		if ra == rb {
			return
		}
		if ra < rb {
			parent[rb] = ra
		} else {
			parent[ra] = rb
		}
	}
	firstByID := make(map[matchKey]int, len(accts))
	firstByName := make(map[matchKey]int, len(accts))
	for i, a := range accts {
		if a.Lifecycle == Closed {
			continue
		}
		p := matchPlatform(a.Platform, a.Type)
		if id := idKey(a); id != "" {
			k := matchKey{p, id}
			if j, ok := firstByID[k]; ok {
				union(j, i)
			} else {
				firstByID[k] = i
			}
		}
		k := matchKey{p, NormalizeName(a.Name)}
		if j, ok := firstByName[k]; ok {
			union(j, i)
		} else {
			firstByName[k] = i
		}
	}
	groups := map[int][]int{}
	var roots []int
	for i, a := range accts {
		if a.Lifecycle == Closed {
			continue
		}
		r := find(i)
		if _, ok := groups[r]; !ok {
			roots = append(roots, r)
		}
		groups[r] = append(groups[r], i)
	}
	var out []Duplicate
	for _, r := range roots {
		g := groups[r]
		if len(g) < 2 {
			continue
		}
		d := Duplicate{Name: accts[g[0]].Name, Type: accts[g[0]].Type}
		for _, i := range g {
			d.Rows = append(d.Rows, accts[i].Row)
		}
		out = append(out, d)
	}
	return out
}
