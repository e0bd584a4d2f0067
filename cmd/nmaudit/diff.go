package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/audit/report"
	"github.com/nmaudit/nmaudit/audit/store"
	"github.com/nmaudit/nmaudit/platforms"
)

var diffFormats = []string{"table", "json", "md", "csv"}

func newDiffCmd(s *streams) *cobra.Command {
	var rf reportFlags
	cmd := &cobra.Command{
		Use:   "diff RUN_A RUN_B [--format table|json|md|csv] [-o FILE]",
		Short: "Compare two runs: fixed, newly failing, still failing, and counts by level and platform",
		Long: `diff compares two finished runs — last quarter's and this quarter's, or a check and its
recheck — account by account (matched by platform + account id, else by platform + normalised
name) and gives the numbers a report needs for "与上季度相比":

  fixed          不合格 in RUN_A, 合格 in RUN_B
  newly_failing  不合格 in RUN_B and not in RUN_A (including accounts RUN_A did not check)
  still_failing  不合格 in both
  resolved       待核查 in RUN_A, decided (合格 or 不合格) in RUN_B
  changed        every account whose result differs (未检查 when RUN_A did not check it)

with the counts of both runs by level and by platform.`,
		Example: `  nmaudit diff 20220601-090000-1a2b 20220825-170000-3f9a
  nmaudit diff 20220601-090000-1a2b 20220825-170000-3f9a --format json | jq '.by_level'`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := rf.validate(diffFormats); err != nil {
				return err
			}
			cfg, err := loadConfig(cmd, nil)
			if err != nil {
				return err
			}
			st, err := openStore(cmd, cfg)
			if err != nil {
				return err
			}
			defer st.Close()
			ctx := cmd.Context()
			var runs [2]*store.Run
			var results [2]*audit.Result
			for i, id := range args {
				if runs[i], err = finishedRun(ctx, st, id); err != nil {
					return err
				}
				if results[i], err = st.Result(ctx, runs[i]); err != nil {
					return err
				}
			}
			d := compareRuns(runs[0], results[0], runs[1], results[1])
			return rf.write(s.Out, func(w io.Writer) error { return writeDiff(w, rf.Format, d, cfg.Report.RateDecimals) })
		},
	}
	rf.register(cmd.Flags(), diffFormats)
	return cmd
}

// Matching accounts across runs (and a recheck's accounts with its parent's): by platform +
// id, else by platform + normalised name, as the target list is matched to the registry
// (design.md).

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

// verdictIndex finds a run's verdicts by id key and by name key (the first one of each).
type verdictIndex struct {
	byID, byName map[string]int
}

func newVerdictIndex(vs []audit.Verdict) *verdictIndex {
	ix := &verdictIndex{byID: map[string]int{}, byName: map[string]int{}}
	for i, v := range vs {
		if k := idKey(v.Account); k != "" {
			if _, ok := ix.byID[k]; !ok {
				ix.byID[k] = i
			}
		}
		k := nameKey(v.Platform, v.Type, v.Name)
		if _, ok := ix.byName[k]; !ok {
			ix.byName[k] = i
		}
	}
	return ix
}

func (ix *verdictIndex) find(a audit.Account) (int, bool) {
	if k := idKey(a); k != "" {
		if i, ok := ix.byID[k]; ok {
			return i, true
		}
	}
	i, ok := ix.byName[nameKey(a.Platform, a.Type, a.Name)]
	return i, ok
}

// labelNotChecked is the from/to of an account the other run did not check.
const labelNotChecked = "未检查"

// diffEntry is one account in a diff list; from and to are the Chinese result labels.
type diffEntry struct {
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

// countsDoc are one run's counts for a level, a platform or the whole scope.
type countsDoc struct {
	InScope         int     `json:"in_scope"`
	PendingClosure  int     `json:"pending_closure"`
	Qualified       int     `json:"qualified"`
	Unqualified     int     `json:"unqualified"`
	NeedsReview     int     `json:"needs_review"`
	UnqualifiedRate float64 `json:"unqualified_rate"`
}

func (c *countsDoc) add(s audit.Status) {
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

type fromTo struct {
	From countsDoc `json:"from"`
	To   countsDoc `json:"to"`
}

type runRef struct {
	ID        string `json:"id"`
	Kind      string `json:"kind"`
	CheckTime string `json:"check_time"`
}

// diffDoc is `diff --format json`.
type diffDoc struct {
	From         runRef             `json:"from"`
	To           runRef             `json:"to"`
	Summary      fromTo             `json:"summary"`
	Accounts     diffAccounts       `json:"accounts"`
	Fixed        []diffEntry        `json:"fixed"`
	NewlyFailing []diffEntry        `json:"newly_failing"`
	StillFailing []diffEntry        `json:"still_failing"`
	Resolved     []diffEntry        `json:"resolved"`
	Changed      []diffEntry        `json:"changed"`
	ByLevel      map[string]*fromTo `json:"by_level"`
	ByPlatform   map[string]*fromTo `json:"by_platform"`
}

// diffAccounts says how many accounts matched across the runs.
type diffAccounts struct {
	Matched    int `json:"matched"`
	OnlyInFrom int `json:"only_in_from"`
	OnlyInTo   int `json:"only_in_to"`
}

// levelKey is the canonical level stratum of an account, else its level as written.
func levelKey(v audit.Verdict) string {
	if l, ok := audit.CanonicalLevel(v.Level); ok {
		return l
	}
	if strings.TrimSpace(v.Level) == "" {
		return "(未填写)"
	}
	return v.Level
}

func compareRuns(ra *store.Run, a *audit.Result, rb *store.Run, b *audit.Result) diffDoc {
	ref := func(r *store.Run) runRef {
		return runRef{ID: r.ID, Kind: r.Kind, CheckTime: r.CheckTime.In(r.Location()).Format(time.RFC3339)}
	}
	d := diffDoc{From: ref(ra), To: ref(rb), Fixed: []diffEntry{}, NewlyFailing: []diffEntry{}, StillFailing: []diffEntry{},
		Resolved: []diffEntry{}, Changed: []diffEntry{}, ByLevel: map[string]*fromTo{}, ByPlatform: map[string]*fromTo{}}
	bucket := func(m map[string]*fromTo, k string) *fromTo {
		if m[k] == nil {
			m[k] = &fromTo{}
		}
		return m[k]
	}
	for _, v := range a.Accounts {
		d.Summary.From.add(v.Status)
		bucket(d.ByLevel, levelKey(v)).From.add(v.Status)
		bucket(d.ByPlatform, string(v.Platform)).From.add(v.Status)
	}
	ix := newVerdictIndex(a.Accounts)
	seen := map[int]bool{}
	for _, v := range b.Accounts {
		d.Summary.To.add(v.Status)
		bucket(d.ByLevel, levelKey(v)).To.add(v.Status)
		bucket(d.ByPlatform, string(v.Platform)).To.add(v.Status)

		e := diffEntry{Name: v.Name, Type: v.Type, Owner: v.Owner, Platform: string(v.Platform), AccountID: v.ID,
			Level: v.Level, From: labelNotChecked, To: v.Status.Label(), Problems: append([]string{}, v.Problems...)}
		var from audit.Status
		i, ok := ix.find(v.Account)
		if ok && !seen[i] {
			seen[i] = true
			from = a.Accounts[i].Status
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
	d.Accounts.OnlyInFrom = len(a.Accounts) - d.Accounts.Matched
	return d
}

func writeDiff(w io.Writer, format string, d diffDoc, decimals int) error {
	lists := []struct {
		title string
		list  []diffEntry
	}{
		{"已整改（不合格→合格）", d.Fixed}, {"新增不合格", d.NewlyFailing}, {"仍不合格", d.StillFailing},
		{"待核查已判定", d.Resolved}, {"结果有变化", d.Changed},
	}
	switch format {
	case "json":
		return writeJSONDoc(w, d)
	case "csv":
		if _, err := io.WriteString(w, "\uFEFF"); err != nil {
			return err
		}
		cw := csv.NewWriter(w)
		cw.UseCRLF = true
		cw.Write([]string{"类别", "账号名称", "账号类型", "开设主体", "上次结果", "本次结果", "存在的问题"})
		for _, l := range lists {
			for _, e := range l.list {
				cw.Write(csvCells([]string{l.title, e.Name, e.Type, e.Owner, e.From, e.To, strings.Join(e.Problems, "；")}))
			}
		}
		cw.Flush()
		return cw.Error()
	}
	rate := func(c countsDoc) string { return report.FormatRate(c.UnqualifiedRate, decimals) }
	doc := report.Document{Header: []string{fmt.Sprintf("对比：%s（监测时间点 %s）→ %s（监测时间点 %s）",
		d.From.ID, shortTime(d.From.CheckTime), d.To.ID, shortTime(d.To.CheckTime))}}
	num := func(a, b int) []string {
		return []string{strconv.Itoa(a), strconv.Itoa(b), signed(b - a)}
	}
	f, t := d.Summary.From, d.Summary.To
	overview := report.Section{Title: "总体对比", Columns: []string{"项目", "上次", "本次", "变化"}, Right: []bool{false, true, true, true}}
	for _, r := range []struct {
		label string
		a, b  int
	}{{"检查范围", f.InScope, t.InScope}, {audit.LabelPendingClosure, f.PendingClosure, t.PendingClosure},
		{audit.LabelQualified, f.Qualified, t.Qualified}, {audit.LabelUnqualified, f.Unqualified, t.Unqualified},
		{audit.LabelNeedsReview, f.NeedsReview, t.NeedsReview}} {
		overview.Rows = append(overview.Rows, append([]string{r.label}, num(r.a, r.b)...))
	}
	overview.Rows = append(overview.Rows, []string{"不合格占比", rate(f), rate(t), ""})
	overview.Lines = []string{fmt.Sprintf("两次均检查的账号 %d 个，仅上次 %d 个，仅本次 %d 个。", d.Accounts.Matched, d.Accounts.OnlyInFrom, d.Accounts.OnlyInTo)}
	doc.Sections = append(doc.Sections, overview)
	for _, by := range []struct {
		title, col string
		m          map[string]*fromTo
	}{{"分层级对比", "层级", d.ByLevel}, {"分平台对比", "平台", d.ByPlatform}} {
		sec := report.Section{Title: by.title, Columns: []string{by.col, "上次检查数", "上次不合格", "上次占比", "本次检查数", "本次不合格", "本次占比"},
			Right: []bool{false, true, true, true, true, true, true}}
		for _, k := range sortedKeys(by.m, by.col == "层级") {
			c := by.m[k]
			sec.Rows = append(sec.Rows, []string{k, strconv.Itoa(c.From.InScope), strconv.Itoa(c.From.Unqualified), rate(c.From),
				strconv.Itoa(c.To.InScope), strconv.Itoa(c.To.Unqualified), rate(c.To)})
		}
		doc.Sections = append(doc.Sections, sec)
	}
	for _, l := range lists {
		sec := report.Section{Title: fmt.Sprintf("%s（%d）", l.title, len(l.list))}
		if len(l.list) == 0 {
			sec.Lines = []string{"无。"}
		} else {
			sec.Columns = []string{"账号名称", "开设主体", "账号类型", "上次结果", "本次结果", "存在的问题"}
			for _, e := range l.list {
				sec.Rows = append(sec.Rows, []string{e.Name, e.Owner, e.Type, e.From, e.To, strings.Join(e.Problems, "；")})
			}
		}
		doc.Sections = append(doc.Sections, sec)
	}
	return report.WriteDocument(w, format, doc)
}

// sortedKeys orders levels as reports list them (市级政府, 县(区)政府, 市级部门, 县(区)部门及镇(街道),
// then others), anything else by name.
func sortedKeys(m map[string]*fromTo, levels bool) []string {
	rank := map[string]int{}
	if levels {
		for i, l := range []string{audit.LevelCityGov, audit.LevelCountyGov, audit.LevelCityDept, audit.LevelCountyDept} {
			rank[l] = i - 10
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if rank[keys[i]] != rank[keys[j]] {
			return rank[keys[i]] < rank[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys
}

func signed(n int) string {
	if n > 0 {
		return "+" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

func shortTime(rfc string) string {
	t, err := time.Parse(time.RFC3339, rfc)
	if err != nil {
		return rfc
	}
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02 15:04")
}
