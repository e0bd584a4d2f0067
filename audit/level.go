package audit

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/nmaudit/nmaudit/platforms/names"
)

// Level inference: most registry exports carry no 层级 column, yet the quarterly sample is
// drawn by level (市级政府 / 县(区)政府 / 市级部门 / 县(区)部门及镇(街道)) and the report breaks
// its figures down the same way. A unit's name says its level in almost every case, because
// Chinese unit names are built from administrative divisions, outermost first:
//
//	[陕西省] [汉中市] [南郑区] [协税镇] 人民政府
//	 province  city     county   town     body
//
// InferLevel parses that chain without a gazetteer, using the division suffixes (市, 县/区/旗,
// 镇/乡/街道) and the length of the names in front of them, and decides:
//
//   - a town, township or street (XX镇/乡人民政府, XX街道办事处), or anything below one,
//     → 县(区)部门及镇(街道);
//   - a county or district with a government body (人民政府, 人民政府办公室, or nothing:
//     "镇巴县") → 县(区)政府; any other unit under a county (XX县XX局, 洋县人民医院, the
//     county's 融媒体中心) → 县(区)部门及镇(街道);
//   - a city with a government body → 市级政府; any other unit under the city
//     (汉中市城市管理局, 汉中市公安局网安支队, 汉中市人民政府研究室) → 市级部门.
//
// Judgement calls, each with a test:
//   - A city bureau's branch named after a place, 汉中市公安局汉台分局, does the district's
//     work and is filed by the district: 县(区)部门及镇(街道). (直属分局 stays 市级部门.)
//   - A development zone's management committee (汉中经济技术开发区管理委员会) and its offices
//     are the city government's dispatched agencies (派出机构): 市级部门. Cities that count
//     their zones with the counties say so with an override.
//   - Vertically managed offices are levelled by the place they serve:
//     国家税务总局城固县税务局 → 县(区)部门及镇(街道). Party and league prefixes (中共,
//     共青团) are read past the same way.
//   - A provincial unit (陕西省公安厅) belongs to none of the four strata: no level is inferred
//     and the registry's value, if any, is kept as written. So is any name the rules cannot
//     read. A county-level city written without its prefecture (旬阳市人民政府) reads as a city:
//     only a gazetteer could tell, so that, too, is an override.
//
// Division names are recognised by length: a county is 1–4 characters before 县 (洋县,
// 城固县), 2–4 before 区 (汉台区; one character would take 社区 and 园区 for districts), so a
// county whose name contains 镇 or 乡 (镇巴县, 西乡县) is still a county, and a city
// department whose name contains 城乡 or 市 (汉中市住房和城乡建设局, 汉中市城市管理局) is still a
// city department.

// Why InferLevel found no level.
const (
	LevelNoteProvincial = "省级单位，不属于市、县两级的抽查层级"
	LevelNoteUnknown    = "无法从单位名称判断层级"
)

// InferLevel infers the canonical level stratum of a unit from its name (开设主体). It returns
// the stratum, or "" and the reason (LevelNoteProvincial, LevelNoteUnknown) when the name does
// not place the unit in one of the four strata.
func InferLevel(owner string) (level, note string) {
	u := parseUnit(owner)
	gov := govBodies[u.body]
	switch {
	case u.town != "":
		return LevelCountyDept, ""
	case u.county != "" && gov:
		return LevelCountyGov, ""
	case u.county != "":
		return LevelCountyDept, ""
	case u.zone != "" && gov && u.body != "":
		// A "zone" with its own 人民政府 is a real district (浦东新区人民政府).
		return LevelCountyGov, ""
	case u.zone != "" && (u.city != "" || u.province == ""):
		return LevelCityDept, ""
	case u.city != "" && gov:
		return LevelCityGov, ""
	case u.city != "" && placeBranch(u.body):
		return LevelCountyDept, ""
	case u.city != "":
		return LevelCityDept, ""
	case u.province != "":
		return "", LevelNoteProvincial
	}
	return "", LevelNoteUnknown
}

// govBodies are the names of a government itself, as opposed to one of its departments: the
// level's 人民政府 and its general office. The empty body is a place named alone ("汉中市").
var govBodies = map[string]bool{
	"": true, "人民政府": true, "政府": true, "人民政府办公室": true, "人民政府办公厅": true,
	"政府办公室": true, "政府办": true, "人民政府办": true,
}

// unitName is an owner name split into its administrative chain.
type unitName struct {
	province, city, county, town, zone string
	body                               string // what follows the chain: 人民政府, 公安局网安支队, …
}

// readPast are prefixes of party, league and vertically managed units; the level is that of
// the place that follows.
var readPast = []string{"中国共产主义青年团", "中国共产党", "国家税务总局", "共青团", "中共"}

// zoneSuffixes end the names of development zones, which look like districts but are not.
var zoneSuffixes = []string{"开发区", "高新区", "新区", "园区", "示范区", "试验区", "保税区", "合作区", "产业区"}

// parseUnit splits a unit name into province, city, county, town and body.
func parseUnit(owner string) unitName {
	s := names.Compact(owner) // NFKC (（）→ ()), spaces removed
	s = trimParenthetical(s)
	for _, p := range readPast {
		if rest, ok := strings.CutPrefix(s, p); ok && rest != "" {
			s = rest
			break
		}
	}
	var u unitName
	r := []rune(s)
	// Province: 2–7 characters and 省 or 自治区, none of them a lower division's suffix (so
	// 西乡县省级自然保护区 is not a province).
	if n, ok := divisionAt(r, 2, 7, "市县区旗镇乡", "省", "自治区"); ok {
		u.province, r = string(r[:n]), r[n:]
	}
	// City: 2–5 characters and 市 (not 城固县城 + 市管理局), or an autonomous prefecture.
	if n, ok := divisionAt(r, 2, 5, "县区旗镇乡", "市"); ok {
		u.city, r = string(r[:n]), r[n:]
	} else if n, ok := divisionAt(r, 2, 10, "市县区旗镇乡", "自治州"); ok {
		u.city, r = string(r[:n]), r[n:]
	}
	// A development zone: everything up to the first 区, if that ends like a zone name and is
	// not inside a county (城固县经济开发区 is the county's).
	if i := slices.Index(r, '区'); i >= 0 && i < 14 && !containsAny(r[:i], "县旗") {
		if tok := string(r[:i+1]); hasAnySuffix(tok, zoneSuffixes) {
			u.zone, r = tok, r[i+1:]
		}
	}
	if u.zone == "" {
		if n := countyAt(r, u.city != ""); n > 0 {
			u.county, r = string(r[:n]), r[n:]
		}
	}
	// Town: 1–5 characters and 镇, 乡 or 街道. Under a county anything goes (a misread 城乡 is
	// still a county unit); elsewhere the town must be followed by a government body, so
	// 汉中市住房和城乡建设局 is not a town called 住房和城乡.
	if n, ok := divisionAt(r, 1, 5, "", "镇", "乡", "街道"); ok {
		if u.county != "" || townBody(string(r[n:])) {
			u.town, r = string(r[:n]), r[n:]
		}
	}
	u.body = string(r)
	return u
}

// countyAt returns the length of the county-level division r starts with, or 0. The first
// 县, 区 or 旗 (or, after a city, 市) decides: 1–4 characters before 县 or 旗 (洋县, 城固县),
// 2–4 before 区 (汉台区), exactly 2 before 市 (a county-level city under its prefecture), up
// to 14 before an autonomous county's 自治县/自治旗.
func countyAt(r []rune, afterCity bool) int {
	ends := "县区旗"
	if afterCity {
		ends += "市"
	}
	i := slices.IndexFunc(r, func(c rune) bool { return strings.ContainsRune(ends, c) })
	if i < 0 {
		return 0
	}
	switch c := r[i]; {
	case (c == '县' || c == '旗') && strings.HasSuffix(string(r[:i+1]), "自治"+string(c)) && i <= 14:
		return i + 1
	case (c == '县' || c == '旗') && i >= 1 && i <= 4:
		return i + 1
	case c == '区' && i >= 2 && i <= 4:
		return i + 1
	case c == '市' && i == 2:
		// County-level cities are two characters and 市 (旬阳市, 韩城市); allowing more would take
		// 数字城市 or 汉江城市 in a department's name for a city.
		return i + 1
	}
	return 0
}

// divisionAt reports whether r starts with a division name: between minLen and maxLen
// characters that contain none of the runes in forbidden, then one of the suffixes. It returns
// the length including the suffix, choosing the earliest suffix occurrence.
func divisionAt(r []rune, minLen, maxLen int, forbidden string, suffixes ...string) (int, bool) {
	s := string(r)
	best := -1
	bestLen := 0
	for _, suf := range suffixes {
		i := strings.Index(s, suf)
		if i < 0 {
			continue
		}
		n := utf8.RuneCountInString(s[:i])
		if best < 0 || n < best {
			best, bestLen = n, utf8.RuneCountInString(suf)
		}
	}
	if best < minLen || best > maxLen {
		return 0, false
	}
	if containsAny(r[:best], forbidden) {
		return 0, false
	}
	return best + bestLen, true
}

// townBody reports whether what follows a town name is the town's own government.
func townBody(rest string) bool {
	for _, b := range []string{"人民政府", "政府", "办事处", "街道办", "办", "党委", "党工委", "便民服务中心"} {
		if strings.HasPrefix(rest, b) {
			return true
		}
	}
	return rest == ""
}

// placeBranch reports whether a city department's body is a branch named after the district
// it serves: 公安局汉台分局, 生态环境局洋县分局. A 直属分局 serves the whole city.
func placeBranch(body string) bool {
	rest, ok := strings.CutSuffix(body, "分局")
	if !ok || strings.HasSuffix(rest, "直属") {
		return false
	}
	i := strings.LastIndexAny(rest, "局委")
	if i < 0 {
		return false
	}
	_, size := utf8.DecodeRuneInString(rest[i:])
	place := []rune(rest[i+size:])
	return len(place) >= 2 && len(place) <= 4
}

// trimParenthetical drops trailing parenthesised notes: 汉中市人民政府办公室(汉中市政务公开办).
func trimParenthetical(s string) string {
	for strings.HasSuffix(s, ")") {
		i := strings.LastIndex(s, "(")
		if i <= 0 {
			break
		}
		s = s[:i]
	}
	return s
}

func containsAny(r []rune, chars string) bool {
	return slices.ContainsFunc(r, func(c rune) bool { return strings.ContainsRune(chars, c) })
}

func hasAnySuffix(s string, suffixes []string) bool {
	return slices.ContainsFunc(suffixes, func(suf string) bool { return strings.HasSuffix(s, suf) })
}

// LevelResolver decides an account's level stratum: a configured override for its owner
// (config levels.overrides, exact owner name, compared after name normalisation) first, then
// the registry's level value mapped through the aliases (CanonicalLevel), then the owner-name
// inference. The override comes first because it is the user's explicit word about a unit.
// The zero value has no overrides.
type LevelResolver struct {
	overrides map[string]string // normalised owner name → canonical level
}

// NewLevelResolver validates the overrides: every value must name one of the four strata (an
// alias such as 县区政府 is accepted). The error names the offending entry.
func NewLevelResolver(overrides map[string]string) (*LevelResolver, error) {
	r := &LevelResolver{overrides: make(map[string]string, len(overrides))}
	owners := make([]string, 0, len(overrides))
	for o := range overrides {
		owners = append(owners, o)
	}
	slices.Sort(owners) // the first bad entry reported is the same every run
	for _, owner := range owners {
		l, ok := CanonicalLevel(overrides[owner])
		if !ok {
			return nil, fmt.Errorf("%s: %q 不是抽查层级（可用: %s）", owner, overrides[owner], strings.Join(CanonicalLevels, "、"))
		}
		r.overrides[NormalizeName(owner)] = l
	}
	return r, nil
}

// CanonicalLevels are the four strata in the order reports list them.
var CanonicalLevels = []string{LevelCityGov, LevelCountyGov, LevelCityDept, LevelCountyDept}

// Resolve returns the account's stratum and true, or, when none applies, the registry's level
// value as written and false (a provincial unit, an unknown wording, an unreadable name) with
// the reason in note.
func (lr *LevelResolver) Resolve(a Account) (level string, ok bool, note string) {
	if lr != nil && len(lr.overrides) > 0 {
		if l, found := lr.overrides[NormalizeName(a.Owner)]; found {
			return l, true, ""
		}
	}
	written := strings.TrimSpace(a.Level)
	if l, found := CanonicalLevel(written); found {
		return l, true, ""
	}
	l, why := InferLevel(a.Owner)
	if l != "" {
		return l, true, ""
	}
	return written, false, why
}

// LevelUndetermined is how reports name the group of accounts whose level could be decided
// neither from the registry, nor from the owner's name, nor from an override.
const LevelUndetermined = "未能确定层级"

// Group is the level every report files the account under — the one level function of the
// table, md, csv, xlsx and html reports, the inspection document and the sample, so they can
// never disagree about an account (issue: check put every account without a 层级 column under
// (未填写) while report inferred levels). It returns the canonical stratum and true when
// Resolve finds one; else the registry's value as written (a provincial 省级部门 stays that),
// or LevelUndetermined when the registry says nothing, and false. A nil resolver infers
// without overrides.
func (lr *LevelResolver) Group(a Account) (level string, canonical bool) {
	l, ok, _ := lr.Resolve(a)
	switch {
	case ok:
		return l, true
	case l == "":
		return LevelUndetermined, false
	}
	return l, false
}
