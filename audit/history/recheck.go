package history

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/audit/store"
)

// RecheckPlan is a 复核 of a finished run: the accounts it covers — the parent's 不合格 and
// 待核查 accounts — and the parent's veto findings on them, which stay in force until the
// office gives findings of its own.
type RecheckPlan struct {
	Parent  *Recorded
	Targets []audit.Account
	Carried []audit.Finding
}

// PlanRecheck plans the recheck of run id. A plan with no targets means there is nothing to
// re-check.
func PlanRecheck(ctx context.Context, st *store.Store, id string) (*RecheckPlan, error) {
	parent, err := FinishedRun(ctx, st, id)
	if err != nil {
		return nil, err
	}
	p := &RecheckPlan{Parent: parent}
	for _, v := range parent.Result.Accounts {
		if v.Status != audit.Unqualified && v.Status != audit.NeedsReview {
			continue
		}
		p.Targets = append(p.Targets, v.Account)
		for _, e := range v.Evidence {
			if e.Source == audit.SourceFinding {
				p.Carried = append(p.Carried, audit.Finding{Row: e.Row, Name: v.Name, Type: v.Type, Platform: v.Platform,
					Problem: e.Title, Veto: slices.Contains(v.Problems, e.Title)})
			}
		}
	}
	return p, nil
}

// Params are the re-check's rules: the parent's window, pending-closure policy, warning
// threshold and zone — a 复核 judges by the rules the check used — at check time at.
func (p *RecheckPlan) Params(at time.Time) (audit.Params, error) {
	params, err := p.Parent.Run.Params()
	if err != nil {
		return audit.Params{}, err
	}
	params.CheckTime = at.In(p.Parent.Run.Location())
	return params, nil
}

// RegistryFile says which registry the re-check reads: given, else the parent's own file and
// sheet. The parent's file having changed since is no error — units update the registry as
// part of their rectification, and accounts are matched by id or name, never by row — but the
// notice says so.
func (p *RecheckPlan) RegistryFile(given string) (path, sheet, notice string, err error) {
	if given != "" {
		return given, "", "", nil
	}
	r := p.Parent.Run
	sum, err := audit.FileSHA256(r.Registry.Path)
	if err != nil {
		return "", "", "", inputErrorf("运行 %s 使用的信息报送系统导出 %s 无法读取（%v）；请用 --registry 指定", r.ID, r.Registry.Path, pathCause(err))
	}
	if sum != r.Registry.SHA256 {
		notice = fmt.Sprintf("信息报送系统导出 %s 在运行 %s 之后已更改；账号按平台+账号ID或名称匹配，已注销或已删除的账号单独列出", r.Registry.Path, r.ID)
	}
	return r.Registry.Path, r.Sheet, notice, nil
}

// RecheckInputs are what the re-check read besides the parent run.
type RecheckInputs struct {
	Registry         *audit.Registry
	Observations     []audit.Observation // the whole file, as loaded
	ObservationsFile string
	Findings         []audit.Finding
	FindingsGiven    bool // a findings file replaces the parent's findings
	Concurrency      int
}

// Check builds the re-check of the plan's targets under params, with what it records as its
// carried findings (nil when a findings file replaced them) and the notices the user should
// see: observation rows for accounts not re-checked (counted, not named one by one) and the
// findings carried over.
func (p *RecheckPlan) Check(params audit.Params, in RecheckInputs) (c *audit.Check, carried []audit.Finding, notices []string) {
	c = &audit.Check{Params: params, Registry: in.Registry, Targets: p.Targets, TargetFile: RecheckTargetName(p.Parent.Run.ID),
		ObservationsFile: in.ObservationsFile, Concurrency: in.Concurrency}
	if in.Observations != nil {
		c.Observations = ForAccounts(in.Observations, p.Targets)
		if n := len(in.Observations) - len(c.Observations); n > 0 {
			notices = append(notices, fmt.Sprintf("观察记录中 %d 行不属于本次复核的账号，未使用", n))
		}
	}
	switch {
	case in.FindingsGiven:
		c.Findings = in.Findings
	case len(p.Carried) > 0:
		c.Findings, carried = p.Carried, p.Carried
		notices = append(notices, fmt.Sprintf("沿用运行 %s 的 %d 条人工检查发现；整改核实后请用 --findings 提供最新的检查发现", p.Parent.Run.ID, len(p.Carried)))
	}
	return c, carried, notices
}

// Spec is what the re-check's run records: a recheck of the parent, in the parent's zone, its
// targets and the findings it carried (the caller adds its version and rate decimals).
func (p *RecheckPlan) Spec(carried []audit.Finding) Spec {
	return Spec{Kind: store.KindRecheck, ParentID: p.Parent.Run.ID, TargetAccounts: p.Targets, CarriedFindings: carried,
		Timezone: p.Parent.Run.Timezone}
}

// Labels for accounts a recheck could not check again.
const (
	LabelClosedSince = "已注销（不再检查）"
	LabelNotInScope  = audit.LabelUnregistered
)

// RecheckEntry is one re-checked account: its result in the parent run and now.
type RecheckEntry struct {
	Name     string   `json:"name"`
	Type     string   `json:"type"`
	Owner    string   `json:"owner"`
	From     string   `json:"from"`
	To       string   `json:"to"`
	Problems []string `json:"problems"`
	Detail   string   `json:"detail"`
}

// RecheckOutcome is the 复核结果: the parent run's failing accounts by what the re-check found.
// Its JSON keys are the ones the recheck report adds to the check JSON.
type RecheckOutcome struct {
	ParentRunID      string         `json:"parent_run_id"`
	Fixed            []RecheckEntry `json:"fixed"`
	StillFailing     []RecheckEntry `json:"still_failing"`
	StillNeedsReview []RecheckEntry `json:"still_needs_review"`
	// NowPendingClosure are accounts whose closure is now under way (注销中): set aside.
	NowPendingClosure []RecheckEntry `json:"now_pending_closure"`
	// NotRechecked are accounts no longer in the registry's scope (closed, or gone).
	NotRechecked []RecheckEntry `json:"not_rechecked"`
}

// Outcome sorts the parent's 不合格 and 待核查 accounts by their verdict in the recheck.
func Outcome(parentID string, before, after *audit.Result) RecheckOutcome {
	out := RecheckOutcome{ParentRunID: parentID, Fixed: []RecheckEntry{}, StillFailing: []RecheckEntry{},
		StillNeedsReview: []RecheckEntry{}, NowPendingClosure: []RecheckEntry{}, NotRechecked: []RecheckEntry{}}
	ix := indexVerdicts(after.Accounts)
	unreg := map[string]bool{}
	for _, u := range after.Unregistered {
		p, _ := audit.ParseType(u.Type)
		unreg[nameKey(p, u.Type, u.Name)] = true
	}
	for _, b := range before.Accounts {
		if b.Status != audit.Unqualified && b.Status != audit.NeedsReview {
			continue
		}
		e := RecheckEntry{Name: b.Name, Type: b.Type, Owner: b.Owner, From: b.Status.Label(), Problems: []string{}}
		i, ok := ix.find(b.Account)
		if !ok {
			e.To = LabelClosedSince
			if unreg[nameKey(b.Platform, b.Type, b.Name)] {
				e.To = LabelNotInScope
			}
			out.NotRechecked = append(out.NotRechecked, e)
			continue
		}
		a := after.Accounts[i]
		e.To, e.Problems, e.Detail = a.Status.Label(), append([]string{}, a.Problems...), a.Detail
		switch a.Status {
		case audit.Qualified:
			out.Fixed = append(out.Fixed, e)
		case audit.Unqualified:
			out.StillFailing = append(out.StillFailing, e)
		case audit.NeedsReview:
			out.StillNeedsReview = append(out.StillNeedsReview, e)
		default:
			out.NowPendingClosure = append(out.NowPendingClosure, e)
		}
	}
	return out
}

// Total is how many of the parent's accounts the outcome covers.
func (o RecheckOutcome) Total() int {
	return len(o.Fixed) + len(o.StillFailing) + len(o.StillNeedsReview) + len(o.NowPendingClosure) + len(o.NotRechecked)
}

// Entries are every entry, in the order the 复核结果 lists them: fixed, still failing, still
// to be reviewed, now pending closure, not re-checked.
func (o RecheckOutcome) Entries() []RecheckEntry {
	return slices.Concat(o.Fixed, o.StillFailing, o.StillNeedsReview, o.NowPendingClosure, o.NotRechecked)
}

// Summary is the 复核结果's one-line summary. An account that was 待核查 and is now 合格 was not
// rectified (整改) but verified, and one now 不合格 did not "remain" failing: the line counts them
// apart, as an office reports them.
func (o RecheckOutcome) Summary() string {
	from := func(es []RecheckEntry, label string) int {
		n := 0
		for _, e := range es {
			if e.From == label {
				n++
			}
		}
		return n
	}
	failed, review := audit.Unqualified.Label(), audit.NeedsReview.Label()
	line := fmt.Sprintf("复核运行 %s 的 %d 个不合格、待核查账号：已整改（现合格）%d 个，仍不合格 %d 个",
		o.ParentRunID, o.Total(), from(o.Fixed, failed), from(o.StillFailing, failed))
	if n := from(o.StillNeedsReview, failed); n > 0 {
		line += fmt.Sprintf("，不合格转待核查 %d 个", n)
	}
	line += fmt.Sprintf("；待核查账号核实合格 %d 个、核实不合格 %d 个，仍待核查 %d 个",
		from(o.Fixed, review), from(o.StillFailing, review), from(o.StillNeedsReview, review))
	if n := len(o.NowPendingClosure); n > 0 {
		line += fmt.Sprintf("，注销中 %d 个", n)
	}
	if n := len(o.NotRechecked); n > 0 {
		line += fmt.Sprintf("，已不在检查范围 %d 个", n)
	}
	return line + "。"
}
