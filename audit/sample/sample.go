// Package sample draws the quarterly sample (季度抽查) from a registry export: the accounts are
// grouped into strata — by level (市级政府 / 县(区)政府 / 市级部门 / 县(区)部门及镇(街道)), region
// or platform — and each stratum gives a count, a percentage or "all" (design.md, "Later
// commands"). The drawn accounts are written with the registry's own columns and cells, so
// `nmaudit check --accounts` takes the sample as it is, together with the plan and the seed,
// so anyone can draw the same sample again and see that it was not picked by hand.
//
// The draw depends only on the registry's rows, the plan and the seed:
//
//  1. Accounts that are closed or pending closure are never drawn. Every other account is put
//     in its stratum: its level (audit.LevelResolver: config override, registry value, or the
//     owner-name inference), its region as written, or its canonical platform.
//  2. Each stratum's candidates are taken in registry row order. The stratum gets its own
//     random stream: a PCG generator (math/rand/v2's PCG, pcg-dxsm) seeded with the seed and
//     the FNV-1a hash of "by", a NUL and the stratum's canonical name. A stratum's draw is
//     therefore independent of which other strata the plan lists and in what order — a YAML
//     map's key order cannot matter.
//  3. k accounts are drawn by a partial Fisher–Yates shuffle: for i = 0…k−1, swap candidate i
//     with candidate i + u, u uniform in [0, n−i) by rejection sampling on the generator's
//     64-bit outputs (not a library's bounded-int helper, whose algorithm may change between
//     Go releases). The first k candidates are the sample, output in registry order.
//
// k is the stratum's count; "all" is every candidate; a percentage P gives
// floor(P × n / 100 + 1/2) (rounded half up), at least 1 for a non-empty stratum. A count larger
// than the stratum is an error naming the stratum, the count and what is available.
package sample

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/audit/sheet"
	"github.com/nmaudit/nmaudit/platforms"
	"github.com/nmaudit/nmaudit/platforms/names"
)

// Options are what Draw needs besides the plan.
type Options struct {
	Load   audit.LoadOptions    // how to read the registry (sheet, extra header aliases)
	Levels *audit.LevelResolver // level overrides; nil means none
}

// Sample is a drawn sample: the record of how it was drawn, and the drawn rows.
type Sample struct {
	Seed           uint64
	RegistryFile   string // base name, as recorded
	RegistrySHA256 string // hex digest of the registry file's bytes
	By             By
	Strata         []StratumResult // in the plan's fixed order
	Header         []string        // the registry's header row, as written
	Rows           []sheet.Row     // the drawn rows with the registry's cells, in registry order
	// Notices are things the user should know: accounts that fell in no stratum (a level that
	// could not be determined, a region or platform the plan does not list).
	Notices []string
}

// StratumResult records one stratum of the draw.
type StratumResult struct {
	Name      string `json:"name"`      // canonical name
	Requested string `json:"requested"` // the quota as written: all, 89, 15%
	Available int    `json:"available"` // eligible accounts (not closed, not pending closure)
	Drawn     int    `json:"drawn"`
}

// Total is the number of accounts drawn.
func (s *Sample) Total() int { return len(s.Rows) }

// Draw draws a sample from the registry at path.
func Draw(path string, plan Plan, seed uint64, opt Options) (*Sample, error) {
	reg, err := audit.LoadRegistry(path, opt.Load)
	if err != nil {
		return nil, err
	}
	picked, results, notices, err := Select(reg.Accounts, plan, seed, opt.Levels)
	if errors.Is(err, errNoRegions) {
		return nil, noRegionError(path, opt.Load.Sheet, reg)
	}
	if err != nil {
		return nil, err
	}
	s := &Sample{Seed: seed, RegistryFile: filepath.Base(path), By: plan.By, Strata: results, Notices: notices}
	if s.RegistrySHA256, err = audit.FileSHA256(path); err != nil {
		return nil, err
	}
	rows := make(map[int]bool, len(picked))
	for _, a := range picked {
		rows[a.Row] = true
	}
	firstRow := 0
	if len(reg.Accounts) > 0 {
		firstRow = reg.Accounts[0].Row
	}
	if s.Header, s.Rows, err = rawRows(path, reg.Sheet, firstRow, rows); err != nil {
		return nil, err
	}
	if len(s.Rows) != len(picked) {
		// The file changed between the two reads.
		return nil, fmt.Errorf("%s: 读取期间文件被修改，请重新抽样", path)
	}
	return s, nil
}

// Select draws from parsed registry accounts and returns the drawn accounts in registry order,
// the per-stratum record in the plan's fixed order, and notices.
func Select(accounts []audit.Account, plan Plan, seed uint64, levels *audit.LevelResolver) ([]audit.Account, []StratumResult, []string, error) {
	if len(plan.Strata) == 0 {
		return nil, nil, nil, &PlanError{Msg: "没有分层：请用 --plan FILE 给出抽样方案，或至少给一个 --stratum NAME=QUOTA"}
	}
	by := plan.By
	if by == "" {
		by = ByLevel
	}
	g := grouper{by: by, levels: levels}
	// Group the eligible accounts; keep the strata in the order they first appear, which for
	// levels is then replaced by the canonical order.
	groups := map[string][]audit.Account{}
	var seen []string
	known := map[string]string{} // normalised key → canonical name, every stratum the registry has
	unplaced := 0
	var unplacedNotes []string
	for _, a := range accounts {
		key, ok, note := g.key(a)
		if ok {
			nk := g.norm(key)
			if first, dup := known[nk]; dup {
				key = first // one stratum, however its name is spelt
			} else {
				known[nk] = key
				seen = append(seen, key)
			}
		}
		if a.Lifecycle != audit.Active {
			continue // closed and pending-closure accounts are never drawn
		}
		if !ok {
			unplaced++
			if len(unplacedNotes) < 5 {
				unplacedNotes = append(unplacedNotes, fmt.Sprintf("第%d行 %s（%s）", a.Row, a.Owner, note))
			}
			continue
		}
		groups[key] = append(groups[key], a)
	}

	// Map the plan's strata onto the registry's.
	type planned struct {
		Stratum
		name string
	}
	byName := map[string]planned{}
	for _, st := range plan.Strata {
		name, err := g.canonical(st.Name, known)
		if err != nil {
			return nil, nil, nil, &PlanError{Where: st.where, Msg: err.Error(), err: err}
		}
		if prev, dup := byName[name]; dup {
			return nil, nil, nil, &PlanError{Where: st.where, Msg: fmt.Sprintf("分层 %s 重复列出（%s 和 %s）", name, prev.Name, st.Name)}
		}
		byName[name] = planned{st, name}
	}

	// The fixed order: the canonical levels; else the registry's order of first appearance,
	// then strata the plan names that the registry lacks (platforms with no account), sorted.
	order := seen
	if by == ByLevel {
		order = audit.CanonicalLevels
	} else {
		var missing []string
		for name := range byName {
			if !slices.Contains(seen, name) {
				missing = append(missing, name)
			}
		}
		slices.Sort(missing)
		order = append(slices.Clone(seen), missing...)
	}

	var picked []audit.Account
	var results []StratumResult
	var refused []string
	for _, name := range order {
		st, ok := byName[name]
		if !ok {
			continue
		}
		cands := groups[name]
		k := st.Quota.count(len(cands))
		switch {
		case len(cands) == 0:
			// An empty stratum would give a sample that silently lacks a part of the plan.
			refused = append(refused, fmt.Sprintf("分层 %s 没有可抽取的账号", name))
			continue
		case k > len(cands):
			refused = append(refused, fmt.Sprintf("分层 %s 要求抽取 %d 个账号，但只有 %d 个可抽", name, k, len(cands)))
			continue
		}
		picked = append(picked, draw(cands, k, streamSeed(seed, by, name))...)
		results = append(results, StratumResult{Name: name, Requested: st.Quota.Text, Available: len(cands), Drawn: k})
	}
	if len(refused) > 0 {
		return nil, nil, nil, &PlanError{Msg: strings.Join(refused, "；") + "（已注销、注销中的账号不参与抽样）"}
	}
	slices.SortFunc(picked, func(a, b audit.Account) int { return a.Row - b.Row })

	var notices []string
	if unplaced > 0 {
		what := map[By]string{ByLevel: "无法确定层级", ByRegion: "未填写所属地区", ByPlatform: "账号类型无法识别"}[by]
		examples := strings.Join(unplacedNotes, "；")
		if unplaced > len(unplacedNotes) {
			examples += "…"
		}
		notices = append(notices, fmt.Sprintf("%d个账号%s，未参与抽样：%s", unplaced, what, examples))
	}
	var left []string
	for _, name := range order {
		if _, ok := byName[name]; !ok && len(groups[name]) > 0 {
			left = append(left, fmt.Sprintf("%s %d个", name, len(groups[name])))
		}
	}
	if len(left) > 0 {
		notices = append(notices, "抽样方案未列出这些分层，其账号未参与抽样："+strings.Join(left, "、"))
	}
	return picked, results, notices, nil
}

// grouper puts accounts into strata.
type grouper struct {
	by     By
	levels *audit.LevelResolver
}

// key is the account's stratum (canonical name) and whether it has one, with the reason when
// it has none.
func (g grouper) key(a audit.Account) (string, bool, string) {
	switch g.by {
	case ByRegion:
		r := strings.TrimSpace(a.Region)
		return r, r != "", "未填写所属地区"
	case ByPlatform:
		if a.Platform == platforms.Unknown {
			return "", false, "账号类型无法识别"
		}
		return string(a.Platform), true, ""
	}
	l, ok, note := g.levels.Resolve(a)
	if !ok && note == "" {
		note = "层级“" + l + "”不是四个抽查层级之一"
	}
	return l, ok, note
}

// norm is the key under which stratum names compare: regions as names are compared
// (full-width, spaces, traditional characters folded).
func (g grouper) norm(name string) string {
	if g.by == ByRegion {
		return names.Normalize(name)
	}
	return name
}

// canonical maps a plan's stratum name onto a stratum of the registry, or explains why it
// cannot.
func (g grouper) canonical(name string, known map[string]string) (string, error) {
	switch g.by {
	case ByLevel:
		if l, ok := audit.CanonicalLevel(name); ok {
			return l, nil
		}
		return "", fmt.Errorf("未知分层 %q：按层级抽样的分层是 %s", name, strings.Join(audit.CanonicalLevels, "、"))
	case ByPlatform:
		p := platforms.Platform(strings.ToLower(strings.TrimSpace(name)))
		if !slices.Contains(knownPlatforms, p) {
			var ok bool
			if p, ok = audit.ParseType(name); !ok {
				return "", fmt.Errorf("未知分层 %q：按平台抽样的分层是平台代码（%s）或账号类型（微信公众号、新浪微博等）", name, joinPlatforms())
			}
		}
		return string(p), nil
	}
	if r, ok := known[g.norm(name)]; ok {
		return r, nil
	}
	if len(known) == 0 {
		return "", errNoRegions
	}
	regions := make([]string, 0, len(known))
	for _, r := range known {
		regions = append(regions, r)
	}
	slices.Sort(regions)
	if len(regions) > 12 {
		regions = append(regions[:12], "…")
	}
	return "", fmt.Errorf("未知分层 %q：信息报送系统导出中没有账号的所属地区是它（已有的地区：%s）", name, strings.Join(regions, "、"))
}

// errNoRegions is a by-region plan on a registry where no account has a 所属地区: Draw adds the
// columns the file does have, so the user can see whether the column is missing or misnamed.
var errNoRegions = errors.New("按所属地区抽样，但信息报送系统导出中没有任何账号填写了所属地区")

var knownPlatforms = []platforms.Platform{
	platforms.WeChat, platforms.Weibo, platforms.Tieba, platforms.Douyin, platforms.Toutiao, platforms.Kuaishou,
	platforms.Channels, platforms.MiniProgram, platforms.App, platforms.Baijiahao, platforms.Qiehao, platforms.Dayu,
	platforms.Xiaohongshu, platforms.Bilibili, platforms.Renminhao, platforms.Wangyihao, platforms.Other,
}

func joinPlatforms() string {
	s := make([]string, len(knownPlatforms))
	for i, p := range knownPlatforms {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}

// streamSeed is the second PCG seed word of a stratum: FNV-1a of by, NUL, name.
func streamSeed(seed uint64, by By, name string) *rand.PCG {
	h := fnv.New64a()
	h.Write([]byte(string(by) + "\x00" + name))
	return rand.NewPCG(seed, h.Sum64())
}

// draw picks k of cands (registry order) by a partial Fisher–Yates shuffle.
func draw(cands []audit.Account, k int, src *rand.PCG) []audit.Account {
	c := slices.Clone(cands)
	for i := range k {
		j := i + int(uniform(src, uint64(len(c)-i)))
		c[i], c[j] = c[j], c[i]
	}
	return c[:k]
}

// uniform returns a uniform integer in [0, n) from src by rejection: values in the last,
// incomplete block of n are redrawn, so every result is equally likely.
func uniform(src *rand.PCG, n uint64) uint64 {
	limit := -n % n // = 2^64 mod n: the size of the incomplete block at the bottom
	for {
		if v := src.Uint64(); v >= limit {
			return v % n
		}
	}
}

// noRegionError says that no account has a 所属地区 and which columns the registry does have,
// so a user whose region sits under another header can add it (registry.columns.region).
func noRegionError(path, sheetName string, reg *audit.Registry) error {
	firstRow := 0
	if len(reg.Accounts) > 0 {
		firstRow = reg.Accounts[0].Row
	}
	header, _, err := rawRows(path, sheetName, firstRow, nil)
	if err != nil {
		return err
	}
	var cols []string
	for _, h := range header {
		if h = strings.TrimSpace(h); h != "" {
			cols = append(cols, h)
		}
	}
	msg := errNoRegions.Error() + "。"
	if len(cols) > 0 {
		msg += "该表的列为：" + strings.Join(cols, "、") + "。"
	}
	msg += "若地区写在其中某一列，请用配置 registry.columns.region 添加该列的表头"
	return &PlanError{Where: filepath.Base(path), Msg: msg}
}

// rawRows reads the registry's header row (the last non-blank row above the first account row,
// which is the row the registry import took as header) and the rows whose numbers are in want,
// with their cells as written.
func rawRows(path, sheetName string, firstRow int, want map[int]bool) ([]string, []sheet.Row, error) {
	f, err := sheet.Open(path, sheet.Options{Sheet: sheetName})
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	var header []string
	var rows []sheet.Row
	for {
		r, err := f.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		switch {
		case r.Num < firstRow:
			header = r.Cells
		case want[r.Num]:
			rows = append(rows, r)
		}
	}
	return header, rows, nil
}
