package audit

// Reconcile compares a unit's own account list with the registry (design.md, reconcile):
// which accounts match, which are in the list but not registered (未报送), which registered
// accounts are missing from the list, and where the two disagree on status class, owner or
// platform. Names that match only after normalisation are not a difference.
func Reconcile(reg *Registry, list []Account, listFile string) *Reconciliation {
	rc := &Reconciliation{Registry: reg.File, List: listFile}
	rc.Summary.RegistryRows = len(reg.Accounts)
	rc.Summary.ListRows = len(list)
	ix := newAccountIndex(pointers(reg.Accounts))
	// Platform-free id index for the last matching tier: an id that appears once in the
	// registry under another type is the same account with its type misfiled.
	byBareID := map[string][]int{}
	for i, a := range reg.Accounts {
		if id := idKey(a); id != "" {
			byBareID[id] = append(byBareID[id], i)
		}
	}
	used := map[int]bool{}
	pick := func(rows []int) int {
		for _, i := range rows {
			if !used[i] && reg.Accounts[i].Lifecycle != Closed {
				return i
			}
		}
		for _, i := range rows {
			if !used[i] {
				return i
			}
		}
		return -1
	}
	for _, l := range list {
		i := pick(ix.find(l))
		if i < 0 && l.RawID != "" {
			if rows := byBareID[idKey(l)]; len(rows) == 1 {
				i = pick(rows)
			}
		}
		if i < 0 {
			rc.Unregistered = append(rc.Unregistered, ReconcileEntry{Name: l.Name, Type: l.Type, Owner: l.Owner,
				Platform: string(l.Platform), ListRow: l.Row, ListStatus: l.RegistryStatus, Differences: []Difference{}})
			continue
		}
		used[i] = true
		r := reg.Accounts[i]
		e := ReconcileEntry{Name: r.Name, Type: r.Type, Owner: r.Owner, Platform: string(r.Platform),
			RegistryRow: r.Row, ListRow: l.Row, RegistryStatus: r.RegistryStatus, ListStatus: l.RegistryStatus,
			Differences: []Difference{}}
		statusDiff := l.Lifecycle != "" && l.Lifecycle != r.Lifecycle
		if statusDiff {
			e.Differences = append(e.Differences, Difference{Field: "status", Registry: r.RegistryStatus, List: l.RegistryStatus})
		}
		fieldDiff := false
		if NormalizeName(l.Owner) != NormalizeName(r.Owner) {
			e.Differences = append(e.Differences, Difference{Field: "owner", Registry: r.Owner, List: l.Owner})
			fieldDiff = true
		}
		if matchPlatform(l.Platform, l.Type) != matchPlatform(r.Platform, r.Type) {
			e.Differences = append(e.Differences, Difference{Field: "platform", Registry: r.Type, List: l.Type})
			fieldDiff = true
		}
		rc.Matched = append(rc.Matched, e)
		if statusDiff {
			rc.StatusMismatch = append(rc.StatusMismatch, e)
		}
		if fieldDiff {
			rc.FieldMismatch = append(rc.FieldMismatch, e)
		}
	}
	for i, r := range reg.Accounts {
		if used[i] || r.Lifecycle == Closed {
			continue
		}
		rc.MissingFromList = append(rc.MissingFromList, ReconcileEntry{Name: r.Name, Type: r.Type, Owner: r.Owner,
			Platform: string(r.Platform), RegistryRow: r.Row, RegistryStatus: r.RegistryStatus, Differences: []Difference{}})
	}
	s := &rc.Summary
	s.Matched, s.Unregistered, s.MissingFromList = len(rc.Matched), len(rc.Unregistered), len(rc.MissingFromList)
	s.StatusMismatch, s.FieldMismatch = len(rc.StatusMismatch), len(rc.FieldMismatch)
	return rc
}
