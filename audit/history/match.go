package history

import (
	"strings"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/platforms"
)

// Accounts are matched across runs (a quarter and the next, a check and its recheck, a
// recheck's accounts and an observations sheet) by platform + id, else by platform +
// normalised name, as the target list is matched to the registry (design.md): never by row,
// since units edit the registry between rounds.

// idKey is the platform + id key of a, "" when a has no id. WeChat aliases and gh_ ids are
// case-insensitive.
func idKey(a audit.Account) string {
	id := a.ID
	switch a.IDKind {
	case platforms.IDNone:
		return ""
	case platforms.IDWeChatAlias, platforms.IDWeChatGhID:
		id = strings.ToLower(id)
	}
	if id == "" {
		return ""
	}
	return platformKey(a.Platform, a.Type) + "\x00id\x00" + string(a.IDKind) + "\x00" + id
}

// nameKey is the platform + normalised name key.
func nameKey(p platforms.Platform, typeLabel, name string) string {
	return platformKey(p, typeLabel) + "\x00name\x00" + audit.NormalizeName(name)
}

// platformKey tells unknown type labels apart by the label itself, so two unknown labels
// never match each other.
func platformKey(p platforms.Platform, typeLabel string) string {
	if p == platforms.Unknown || p == "" {
		return "unknown:" + audit.NormalizeName(typeLabel)
	}
	return string(p)
}

// accountIndex finds accounts by id key and by name key (the first one of each).
type accountIndex struct {
	byID, byName map[string]int
}

func indexAccounts(n int, at func(i int) audit.Account) *accountIndex {
	ix := &accountIndex{byID: make(map[string]int, n), byName: make(map[string]int, n)}
	for i := range n {
		a := at(i)
		if k := idKey(a); k != "" {
			if _, ok := ix.byID[k]; !ok {
				ix.byID[k] = i
			}
		}
		k := nameKey(a.Platform, a.Type, a.Name)
		if _, ok := ix.byName[k]; !ok {
			ix.byName[k] = i
		}
	}
	return ix
}

func indexVerdicts(vs []audit.Verdict) *accountIndex {
	return indexAccounts(len(vs), func(i int) audit.Account { return vs[i].Account })
}

func (ix *accountIndex) find(a audit.Account) (int, bool) {
	if k := idKey(a); k != "" {
		if i, ok := ix.byID[k]; ok {
			return i, true
		}
	}
	i, ok := ix.byName[nameKey(a.Platform, a.Type, a.Name)]
	return i, ok
}

// ForAccounts keeps the observations that match one of accts: a 复核 is usually given the
// office's whole observation sheet.
func ForAccounts(obs []audit.Observation, accts []audit.Account) []audit.Observation {
	ix := indexAccounts(len(accts), func(i int) audit.Account { return accts[i] })
	var out []audit.Observation
	for _, o := range obs {
		if _, ok := ix.find(audit.Account{Name: o.Name, Type: o.Type, Platform: o.Platform, IDKind: o.IDKind, ID: o.ID}); ok {
			out = append(out, o)
		}
	}
	return out
}
