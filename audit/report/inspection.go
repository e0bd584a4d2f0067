package report

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/platforms"
)

// The inspection document (检查情况报告) is what an inspection office files after a round: the
// 总体情况 paragraph in the wording of the published notices (../shared/seed), 存在问题 grouped by
// problem, the breakdowns by level, platform and unit, the 预警 and 待核查 lists, and the 附件
// unqualified list. It is built once (inspectionDoc) and drawn as Markdown, one self-contained
// HTML file with inline SVG charts, or an xlsx workbook, so the three cannot disagree.

// Kind says which of the two rounds a check was, which decides the 总体情况 wording.
type Kind string

// Kinds of check.
const (
	// KindSample is the quarterly sample (抽查): "此次检查抽查全市政务新媒体166个，其中，…".
	KindSample Kind = "sample"
	// KindSelfCheck is a check of every registry account (自查): "…正在申请办理注销的15个；合格的
	// 464个，不合格的10个".
	KindSelfCheck Kind = "selfcheck"
)

// DetectKind tells a sample from a self-check by the result alone: a check of every registry
// account accounts for every registry row (in scope or closed), while a target list covers only
// part of the registry or names accounts it lacks (未登记). Use an explicit kind when a target
// list happened to cover the whole registry.
func DetectKind(r *audit.Result) Kind {
	s := r.Summary
	if len(r.Unregistered) > 0 || s.InScope+s.ClosedExcluded < s.RegistryRows {
		return KindSample
	}
	return KindSelfCheck
}

// InspectionOptions tune the inspection document.
type InspectionOptions struct {
	Options
	// Kind is the round's kind; "" detects it (DetectKind).
	Kind Kind
	// Area is how the document names the checked area: 全市 (default), 全区, 全县.
	Area string
	// Title replaces the default title, "2022年第三季度政务新媒体抽查情况报告".
	Title string
	// LevelLabels are the level names the document prints, keyed by canonical level (or an
	// alias); missing levels print DefaultLevelLabels (config report.level_labels). Levels
	// themselves are decided by Options.Levels, as in every other report.
	LevelLabels map[string]string
}

// DefaultLevelLabels are the level names of the seed report's 总体情况 paragraph.
var DefaultLevelLabels = map[string]string{
	audit.LevelCityGov:    "市级政府",
	audit.LevelCountyGov:  "县区政府",
	audit.LevelCityDept:   "市级部门",
	audit.LevelCountyDept: "县区镇（街道办）及县级部门",
}

// InspectionFormats are the formats of the inspection document.
var InspectionFormats = []string{"md", "html", "xlsx"}

// Inspection writes the inspection document for a check in the given format.
func Inspection(w io.Writer, format string, r *audit.Result, opt InspectionOptions) error {
	if r == nil {
		return errors.New("报告: 没有可输出的检查结果")
	}
	opt.Options = opt.Options.normalized()
	d := buildInspection(r, opt)
	switch format {
	case "md":
		return writeBuffered(w, func(bw io.Writer) error { return inspectionMarkdown(bw, d) })
	case "html":
		return writeBuffered(w, func(bw io.Writer) error { return inspectionHTML(bw, d) })
	case "xlsx":
		return inspectionXLSX(w, d, opt.Options)
	}
	return fmt.Errorf("报告格式 %q 无效（可用: %s）", format, strings.Join(InspectionFormats, ", "))
}

// Wording of the inspection document, in one place.
const (
	inspOverview     = "总体情况"
	inspProblems     = "存在问题"
	inspBreakdown    = "分类统计"
	inspWarnings     = "预警账号"
	inspReview       = "待核查账号"
	inspUnregistered = "未在信息报送系统中登记的账号"
	inspAttachment   = "附件"
	inspByLevel      = "分层级"
	inspByPlatform   = "分平台"
	inspByOwner      = "分单位"
	inspRateNote     = "注：不合格占比 = 不合格 ÷ 检查数；合格率 = 合格 ÷（检查数 − 注销中），待核查账号计入分母。"
	inspOtherLevel   = "其他"
	colPassRate      = "合格率"
	colDaysToT       = "距监测时间点天数"
	colLevelShort    = "层级"
	colPlatformName  = "平台"
)

// inspectionDoc is the document, format-independent.
type inspectionDoc struct {
	title      string
	meta       []string // 监测时间点, 更新窗口
	kind       Kind
	overview   []string       // 总体情况 paragraphs
	problems   []problemGroup // 存在问题, in catalogue order
	byLevel    []tally
	byPlatform []tally
	byOwner    []tally
	total      tally
	decimals   int
	warnings   *grid
	warnIntro  string
	review     *grid
	unreg      *grid
	attachment attachment
}

type attachment struct {
	title string
	grid  *grid
}

// problemGroup is one item of 存在问题: a heading and the accounts with that problem.
type problemGroup struct {
	heading  string // 政务新媒体内容更新不及时
	phrase   string // what follows the list: 两周内未更新内容
	label    string // the problem label as the verdicts carry it
	accounts []audit.Verdict
}

// maxNamed is how many accounts an item of 存在问题 names before it sums up the rest ("…等33个
// 政务新媒体"): the item gives examples, as notices do; the 附件 lists every account.
const maxNamed = 10

// text is the item as the notices print it: "如：汉中市林业局“汉中秦巴生态保护”微信订阅号、…两周内未更新内容。"
func (g problemGroup) text() string {
	n := min(len(g.accounts), maxNamed)
	refs := make([]string, n)
	for i, v := range g.accounts[:n] {
		refs[i] = accountRef(v)
	}
	more := ""
	if len(g.accounts) > n {
		more = fmt.Sprintf("等%d个政务新媒体", len(g.accounts))
	}
	return "如：" + strings.Join(refs, "、") + more + g.phrase + "。"
}

// accountRef names an account as notices do: unit, the account's name in quotes, its type.
func accountRef(v audit.Verdict) string {
	return strings.TrimSpace(v.Owner) + "“" + strings.TrimSpace(v.Name) + "”" + displayType(v.Type)
}

// displayType is the type as a notice prints it: the most specific part of a composite label
// (其他+百度贴吧 → 百度贴吧), else the label as written.
func displayType(label string) string {
	parts := strings.FieldsFunc(label, func(r rune) bool { return r == '+' || r == '＋' })
	if len(parts) < 2 {
		return strings.TrimSpace(label)
	}
	for i := len(parts) - 1; i >= 0; i-- {
		if p, ok := audit.ParseType(parts[i]); ok && p != platforms.Other {
			return strings.TrimSpace(parts[i])
		}
	}
	return strings.TrimSpace(label)
}

// tally counts verdicts of one group (a level, a platform, a unit).
type tally struct {
	label, level                                         string
	checked, qualified, unqualified, pending, needReview int
}

func (t *tally) add(s audit.Status) {
	t.checked++
	switch s {
	case audit.Qualified:
		t.qualified++
	case audit.Unqualified:
		t.unqualified++
	case audit.PendingReview:
		t.pending++
	case audit.NeedsReview:
		t.needReview++
	}
}

// unqualifiedRate is 不合格 ÷ 检查数, the rate of the notices (3/166 = 1.8%).
func (t tally) unqualifiedRate() float64 { return ratio(t.unqualified, t.checked) }

// passRate is 合格 ÷ (检查数 − 注销中): accounts set aside as 注销中 were not checked.
func (t tally) passRate() float64 { return ratio(t.qualified, t.checked-t.pending) }

// problemKind is a problem of the catalogue: which labels it covers, the item's heading, and
// the phrase after the list of accounts.
type problemKind struct {
	match   func(label string) bool
	heading string
	phrase  func(w audit.Window) string
}

// problemKinds is the catalogue of problems, in the order 存在问题 lists them, with the wording
// of the notices (domain.md). Labels outside it get an item of their own, after these.
var problemKinds = []problemKind{
	{isNoUpdate, "政务新媒体内容更新不及时", noUpdatePhrase},
	{labelIn("严重表述错误", "严重错误表述"), "政务新媒体存在严重表述错误", fixed("存在严重表述错误")},
	{labelIn("未提供有效互动功能"), "政务新媒体互动回应差", fixed("未提供有效互动功能")},
	{labelIn("存在商业广告"), "政务新媒体存在商业广告", fixed("存在商业广告")},
	{labelIn("错敏字", "错别字", "错敏字/错别字"), "政务新媒体存在错敏字、错别字", fixed("存在错敏字、错别字")},
	{labelIn("链接无法访问"), "政务新媒体链接无法访问", fixed("链接无法访问")},
	{labelIn("未按程序申请开通"), "政务新媒体未按程序申请开通", fixed("未按程序申请开通")},
}

func labelIn(labels ...string) func(string) bool {
	return func(l string) bool { return slices.Contains(labels, strings.TrimSpace(l)) }
}

func fixed(s string) func(audit.Window) string { return func(audit.Window) string { return s } }

// isNoUpdate recognises the update veto in any of its wordings: 监测时间点前2周内无更新 (and the
// 10天 form), 超过2周未更新, 长期未更新.
func isNoUpdate(l string) bool {
	l = strings.TrimSpace(l)
	return (strings.HasPrefix(l, "监测时间点前") && strings.HasSuffix(l, "内无更新")) ||
		strings.HasSuffix(l, "未更新") || l == "内容不更新"
}

// noUpdatePhrase follows the window: 两周内未更新内容 for 14d, 10天内未更新内容 for 10d.
func noUpdatePhrase(w audit.Window) string {
	p := w.Phrase()
	switch p {
	case "1周":
		p = "一周"
	case "2周":
		p = "两周"
	}
	return p + "内未更新内容"
}

// chineseNumbers number sections (一、) and items (（一）).
var chineseNumbers = []string{"一", "二", "三", "四", "五", "六", "七", "八", "九", "十",
	"十一", "十二", "十三", "十四", "十五", "十六", "十七", "十八", "十九", "二十"}

func chineseNumber(i int) string {
	if i >= 1 && i <= len(chineseNumbers) {
		return chineseNumbers[i-1]
	}
	return strconv.Itoa(i)
}

var quarterNames = []string{"一", "二", "三", "四"}

// buildInspection lays the document out.
func buildInspection(r *audit.Result, opt InspectionOptions) inspectionDoc {
	kind := opt.Kind
	if kind == "" {
		kind = DetectKind(r)
	}
	area := strings.TrimSpace(opt.Area)
	if area == "" {
		area = "全市"
	}
	labels := levelLabels(opt.LevelLabels)
	loc := opt.Location
	T := r.CheckTime.In(loc)
	round := fmt.Sprintf("%d年第%s季度", T.Year(), quarterNames[(int(T.Month())-1)/3])
	d := inspectionDoc{kind: kind, decimals: opt.RateDecimals}
	word := map[Kind]string{KindSample: "抽查", KindSelfCheck: "检查"}[kind]
	d.title = opt.Title
	if d.title == "" {
		d.title = round + "政务新媒体" + word + "情况报告"
	}
	d.meta = []string{
		"监测时间点：" + chineseDateTime(T),
		fmt.Sprintf("更新要求：监测时间点前%s内至少更新一次（%s）", r.Window.Phrase(), r.Window.String()),
	}

	// Levels: each account's stratum (the one level function, accountLevel), in the report's
	// wording.
	levelOf := func(v audit.Verdict) (canonical, label string) {
		l, ok := accountLevel(opt.Levels, v)
		if ok {
			return l, labels[l]
		}
		return "", l
	}

	// Breakdowns.
	levelTallies := map[string]*tally{}
	var otherLevels []string
	platformTallies := map[platforms.Platform]*tally{}
	ownerTallies := map[string]*tally{}
	var owners []string
	for _, v := range r.Accounts {
		canon, label := levelOf(v)
		key := canon
		if key == "" {
			key = "\x00" + label
		}
		lt, ok := levelTallies[key]
		if !ok {
			lt = &tally{label: label, level: canon}
			levelTallies[key] = lt
			if canon == "" {
				otherLevels = append(otherLevels, key)
			}
		}
		lt.add(v.Status)
		pt, ok := platformTallies[v.Platform]
		if !ok {
			pt = &tally{label: PlatformLabel(v.Platform)}
			platformTallies[v.Platform] = pt
		}
		pt.add(v.Status)
		ownerKey := audit.NormalizeName(v.Owner)
		ot, ok := ownerTallies[ownerKey]
		if !ok {
			ot = &tally{label: strings.TrimSpace(v.Owner), level: label}
			ownerTallies[ownerKey] = ot
			owners = append(owners, ownerKey)
		}
		ot.add(v.Status)
		d.total.add(v.Status)
	}
	d.total.label = levelTotal
	for _, l := range audit.CanonicalLevels {
		if t, ok := levelTallies[l]; ok {
			d.byLevel = append(d.byLevel, *t)
		} else {
			d.byLevel = append(d.byLevel, tally{label: labels[l], level: l})
		}
	}
	for _, k := range otherLevels {
		d.byLevel = append(d.byLevel, *levelTallies[k])
	}
	for _, p := range platformOrder {
		if t, ok := platformTallies[p]; ok {
			d.byPlatform = append(d.byPlatform, *t)
			delete(platformTallies, p)
		}
	}
	var rest []platforms.Platform
	for p := range platformTallies {
		rest = append(rest, p)
	}
	slices.Sort(rest)
	for _, p := range rest {
		d.byPlatform = append(d.byPlatform, *platformTallies[p])
	}
	// Units: by level as the document lists levels, then in the order they first appear.
	levelRank := map[string]int{}
	for i, t := range d.byLevel {
		levelRank[t.label] = i
	}
	slices.SortStableFunc(owners, func(a, b string) int {
		return levelRank[ownerTallies[a].level] - levelRank[ownerTallies[b].level]
	})
	for _, o := range owners {
		d.byOwner = append(d.byOwner, *ownerTallies[o])
	}

	d.overview = overviewParagraphs(r, d, kind, area, labels)
	d.problems = problemGroups(r)
	word2 := map[Kind]string{KindSample: "检查、抽查复核", KindSelfCheck: "检查复核"}[kind]
	d.attachment.title = round + "政务新媒体" + word2 + "不合格名单"
	d.attachment.grid = &grid{header: unqualifiedHeader}
	for _, v := range r.Accounts {
		if v.Status == audit.Unqualified {
			d.attachment.grid.rows = append(d.attachment.grid.rows, unqualifiedRow(v))
		}
	}

	if len(r.Warnings) > 0 {
		d.warnIntro = fmt.Sprintf("下列%d个账号本次检查合格，但最近一次更新距监测时间点较久，临近“%s内无更新”的单项否决线，请相关单位及时更新：",
			len(r.Warnings), r.Window.Phrase())
		d.warnings = &grid{header: []string{colName, colOwner, colType, colWarnLatest, colDaysToT},
			right: []bool{false, false, false, false, true}}
		for _, w := range r.Warnings {
			d.warnings.rows = append(d.warnings.rows, []string{w.Name, w.Owner, w.Type,
				formatTime(&w.LatestPostAt, loc, layoutMinute), strconv.Itoa(w.DaysSincePost)})
		}
	}
	review := &grid{header: []string{colName, colOwner, colType, colReason}}
	for _, v := range r.Accounts {
		if v.Status == audit.NeedsReview {
			review.rows = append(review.rows, []string{v.Name, v.Owner, v.Type, v.Detail})
		}
	}
	if len(review.rows) > 0 {
		d.review = review
	}
	if len(r.Unregistered) > 0 {
		d.unreg = &grid{header: unregisteredHeader, right: []bool{false, false, false, true}}
		for _, u := range r.Unregistered {
			d.unreg.rows = append(d.unreg.rows, []string{u.Name, u.Owner, u.Type, rowNumber(u.Row)})
		}
	}
	return d
}

// noneFound is how the document says no account failed: 未发现, or 暂未发现 while accounts
// still await review.
func noneFound(needReview int) string {
	if needReview > 0 {
		return "暂未发现"
	}
	return "未发现"
}

// overviewParagraphs is the 总体情况 text in the seed report's phrasing.
func overviewParagraphs(r *audit.Result, d inspectionDoc, kind Kind, area string, labels map[string]string) []string {
	s := r.Summary
	var out []string
	if kind == KindSelfCheck {
		p := fmt.Sprintf("此次检查%s政务新媒体%d个（以全国政务新媒体信息报送系统数据为准，不含已注销账号）。"+
			"检查结果：%s政务新媒体正在申请办理注销的%d个；合格的%d个，不合格的%d个",
			area, s.InScope, area, s.PendingClosure, s.Qualified, s.Unqualified)
		if s.NeedsReview > 0 {
			p += fmt.Sprintf("，待核查的%d个", s.NeedsReview)
		}
		out = append(out, p+"。")
	} else {
		var parts []string
		others := 0
		for _, t := range d.byLevel {
			switch {
			case t.checked == 0:
			case t.level == audit.LevelCountyDept:
				// The seed: "抽查县区镇(街道办)及县级部门69个" — these are sampled from many.
				parts = append(parts, fmt.Sprintf("抽查%s%d个", t.label, t.checked))
			case t.level != "":
				parts = append(parts, fmt.Sprintf("%s%d个", t.label, t.checked))
			default:
				others += t.checked
			}
		}
		if others > 0 {
			parts = append(parts, fmt.Sprintf("%s%d个", inspOtherLevel, others))
		}
		p := fmt.Sprintf("此次检查抽查%s政务新媒体%d个", area, s.InScope)
		if len(parts) > 0 {
			p += "，其中，" + strings.Join(parts, "，")
		}
		p += "。"
		if s.Unqualified > 0 {
			p += fmt.Sprintf("检查复核结果：存在突出问题的政务新媒体%d个，占比为%s。", s.Unqualified,
				FormatRate(ratio(s.Unqualified, s.InScope), d.decimals))
		} else {
			p += "检查复核结果：" + noneFound(s.NeedsReview) + "存在突出问题的政务新媒体。"
		}
		if s.PendingClosure > 0 {
			p += fmt.Sprintf("抽查账号中正在申请办理注销的%d个，不作检查。", s.PendingClosure)
		}
		out = append(out, p)
	}
	var extra []string
	if kind == KindSample && s.NeedsReview > 0 {
		extra = append(extra, fmt.Sprintf("另有%d个账号未能自动确定检查结果，列为待核查，需人工核实", s.NeedsReview))
	}
	if len(r.Unregistered) > 0 {
		extra = append(extra, fmt.Sprintf("检查名单中%d个账号未在全国政务新媒体信息报送系统中登记", len(r.Unregistered)))
	}
	if len(r.Warnings) > 0 {
		extra = append(extra, fmt.Sprintf("%d个合格账号临近超期未更新，列为预警", len(r.Warnings)))
	}
	if len(extra) > 0 {
		out = append(out, strings.Join(extra, "；")+"。")
	}
	return out
}

// problemGroups groups the unqualified accounts by problem, in catalogue order, then labels
// outside the catalogue in the order they first appear. An account with two problems is
// named under both.
func problemGroups(r *audit.Result) []problemGroup {
	groups := make([]problemGroup, len(problemKinds))
	for i, k := range problemKinds {
		groups[i] = problemGroup{heading: k.heading, phrase: k.phrase(r.Window)}
	}
	var extra []problemGroup
	for _, v := range r.Accounts {
		if v.Status != audit.Unqualified {
			continue
		}
		seen := map[int]bool{}
		for _, label := range v.Problems {
			i := slices.IndexFunc(problemKinds, func(k problemKind) bool { return k.match(label) })
			if i >= 0 {
				if !seen[i] {
					seen[i] = true
					groups[i].label = label
					groups[i].accounts = append(groups[i].accounts, v)
				}
				continue
			}
			label = strings.TrimSpace(label)
			j := slices.IndexFunc(extra, func(g problemGroup) bool { return g.label == label })
			if j < 0 {
				extra = append(extra, problemGroup{heading: "政务新媒体" + label, phrase: label, label: label})
				j = len(extra) - 1
			}
			extra[j].accounts = append(extra[j].accounts, v)
		}
	}
	var out []problemGroup
	for _, g := range append(groups, extra...) {
		if len(g.accounts) > 0 {
			out = append(out, g)
		}
	}
	return out
}

// levelLabels merges configured level labels (keys may be aliases) over the defaults.
func levelLabels(custom map[string]string) map[string]string {
	out := make(map[string]string, len(DefaultLevelLabels))
	for k, v := range DefaultLevelLabels {
		out[k] = v
	}
	for k, v := range custom {
		if l, ok := audit.CanonicalLevel(k); ok && strings.TrimSpace(v) != "" {
			out[l] = strings.TrimSpace(v)
		}
	}
	return out
}

// chineseDateTime prints 2022年8月22日 00:00.
func chineseDateTime(t time.Time) string {
	return fmt.Sprintf("%d年%d月%d日 %02d:%02d", t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute())
}

// tallyGrid is a breakdown as a table: label, counts, 不合格占比, 合格率.
func tallyGrid(first string, ts []tally, total *tally, decimals int, withLevel bool) *grid {
	header := []string{first}
	if withLevel {
		header = append(header, colLevelShort)
	}
	header = append(header, colChecked, audit.LabelQualified, audit.LabelUnqualified, audit.LabelPendingClosure,
		audit.LabelNeedsReview, colRate, colPassRate)
	g := &grid{header: header}
	for i := range header {
		g.right = append(g.right, i > 0 && !(withLevel && i == 1))
	}
	add := func(t tally) {
		row := []string{t.label}
		if withLevel {
			row = append(row, t.level)
		}
		row = append(row, strconv.Itoa(t.checked), strconv.Itoa(t.qualified), strconv.Itoa(t.unqualified),
			strconv.Itoa(t.pending), strconv.Itoa(t.needReview), FormatRate(t.unqualifiedRate(), decimals),
			passRateText(t, decimals))
		g.rows = append(g.rows, row)
	}
	for _, t := range ts {
		add(t)
	}
	if total != nil {
		add(*total)
	}
	return g
}

// passRateText is the pass rate, or "-" when nothing in the group was checked.
func passRateText(t tally, decimals int) string {
	if t.checked-t.pending <= 0 {
		return "-"
	}
	return FormatRate(t.passRate(), decimals)
}

// inspSection is a numbered section of the document body, as every format lays it out.
type inspSection struct {
	heading string // 一、总体情况
	paras   []para
	parts   []inspPart
	notes   []string // after the parts
}

// para is a paragraph, optionally led by a bold item heading: "（一）政务新媒体内容更新不及时。".
type para struct{ lead, text string }

// inspPart is a sub-section with a table, and in HTML a bar chart.
type inspPart struct {
	heading string // （一）分层级
	intro   string
	grid    *grid
	chart   []bar
}

// bar is one bar of a pass-rate chart.
type bar struct {
	label string
	value float64 // 0…1
	text  string  // the value as printed: 97.9%
	n     int     // accounts behind it
}

// sections lays the body out: 总体情况, 存在问题, 分类统计, then 预警, 待核查 and 未登记 when they
// have rows. The 附件 follows the body in every format.
func (d inspectionDoc) sections() []inspSection {
	var out []inspSection
	num := func(title string) string { return chineseNumber(len(out)+1) + "、" + title }

	ov := inspSection{heading: num(inspOverview)}
	for _, p := range d.overview {
		ov.paras = append(ov.paras, para{text: p})
	}
	out = append(out, ov)

	pr := inspSection{heading: num(inspProblems)}
	if len(d.problems) == 0 {
		pr.paras = []para{{text: "本次检查" + noneFound(d.total.needReview) + "存在突出问题的政务新媒体。"}}
	}
	for i, g := range d.problems {
		pr.paras = append(pr.paras, para{lead: "（" + chineseNumber(i+1) + "）" + g.heading + "。", text: g.text()})
	}
	out = append(out, pr)

	bd := inspSection{heading: num(inspBreakdown), notes: []string{inspRateNote}}
	bd.parts = []inspPart{
		{heading: "（一）" + inspByLevel, grid: tallyGrid(colLevelShort, d.byLevel, &d.total, d.decimals, false), chart: d.bars(d.byLevel)},
		{heading: "（二）" + inspByPlatform, grid: tallyGrid(colPlatformName, d.byPlatform, &d.total, d.decimals, false), chart: d.bars(d.byPlatform)},
		{heading: "（三）" + inspByOwner, grid: tallyGrid(colOwner, d.byOwner, &d.total, d.decimals, true)},
	}
	out = append(out, bd)

	if d.warnings != nil {
		out = append(out, inspSection{heading: num(inspWarnings), parts: []inspPart{{intro: d.warnIntro, grid: d.warnings}}})
	}
	if d.review != nil {
		out = append(out, inspSection{heading: num(inspReview), parts: []inspPart{{
			intro: fmt.Sprintf("下列%d个账号未能自动确定检查结果，请人工核查后补充认定：", len(d.review.rows)), grid: d.review}}})
	}
	if d.unreg != nil {
		out = append(out, inspSection{heading: num(inspUnregistered), parts: []inspPart{{
			intro: fmt.Sprintf("下列%d个账号列入检查名单，但未在全国政务新媒体信息报送系统中登记，请督促相关单位及时报送：", len(d.unreg.rows)), grid: d.unreg}}})
	}
	return out
}

// bars are the pass-rate bars of the groups that had accounts checked.
func (d inspectionDoc) bars(ts []tally) []bar {
	var out []bar
	for _, t := range ts {
		if t.checked-t.pending <= 0 {
			continue
		}
		out = append(out, bar{label: t.label, value: t.passRate(), text: FormatRate(t.passRate(), d.decimals), n: t.checked - t.pending})
	}
	return out
}

// attachmentLine is the body's last line, pointing at the 附件 (as the seed report ends).
func (d inspectionDoc) attachmentLine() string {
	return inspAttachment + "：" + d.attachment.title
}
