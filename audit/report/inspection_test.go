package report

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/net/html"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/platforms"
)

func renderInspection(t testing.TB, format string, r *audit.Result, opt InspectionOptions) []byte {
	t.Helper()
	if opt.Location == nil {
		opt.Options = testOptions(t)
	}
	var b bytes.Buffer
	if err := Inspection(&b, format, r, opt); err != nil {
		t.Fatalf("Inspection(%s): %v", format, err)
	}
	return b.Bytes()
}

func TestInspectionGolden(t *testing.T) {
	for _, format := range []string{"md", "html"} {
		t.Run(format, func(t *testing.T) {
			golden(t, "inspection_"+format+".golden", renderInspection(t, format, fixtureResult(t), InspectionOptions{}))
		})
	}
}

// seedSample is the seed report's quarterly sample: 166 accounts, 2 + 6 + 89 + 69 by level, of
// which the three accounts the seed names failed the update rule. No account has a level
// value: every level comes from the owner's name.
func seedSample(t testing.TB, window time.Duration) *audit.Result {
	T := *at(t, "2022-08-22 00:00:00")
	var vs []audit.Verdict
	add := func(name, typ string, p platforms.Platform, owner string, st audit.Status) {
		v := audit.Verdict{Account: audit.Account{Row: len(vs) + 2, Name: name, Type: typ, Platform: p, Owner: owner,
			RegistryStatus: "正常运行", Lifecycle: audit.Active}, Status: st, Problems: []string{}}
		if st == audit.Unqualified {
			v.Problems = []string{audit.Window{D: window}.NoUpdateProblem()}
		}
		vs = append(vs, v)
	}
	add("汉中发布", "微信订阅号", platforms.WeChat, "汉中市人民政府办公室", audit.Qualified)
	add("汉中发布", "新浪微博", platforms.Weibo, "汉中市人民政府办公室", audit.Qualified)
	for _, c := range []string{"汉台区", "南郑区", "城固县", "洋县", "西乡县", "镇巴县"} {
		add(strings.TrimRight(c, "区县")+"发布", "微信订阅号", platforms.WeChat, "汉中市"+c+"人民政府", audit.Qualified)
	}
	add("汉中秦巴生态保护", "微信订阅号", platforms.WeChat, "汉中市林业局", audit.Unqualified)
	add("汉中网警巡查执法", "其他+百度贴吧", platforms.Tieba, "汉中市公安局网安支队", audit.Unqualified)
	add("汉中公安", "新浪微博", platforms.Weibo, "汉中市公安局", audit.Unqualified)
	for i := range 86 {
		add(fmt.Sprintf("汉中部门%02d", i), "微信订阅号", platforms.WeChat, fmt.Sprintf("汉中市第%d局", i), audit.Qualified)
	}
	for i := range 69 {
		owner := []string{"勉县武侯镇人民政府", "城固县博望街道办事处", "宁强县教育体育局", "汉中市公安局汉台分局"}[i%4]
		add(fmt.Sprintf("县区账号%02d", i), "新浪微博", platforms.Weibo, owner, audit.Qualified)
	}
	r := &audit.Result{CheckTime: T, Window: audit.Window{D: window}, Accounts: vs,
		Warnings: []audit.Warning{}, Unregistered: []audit.Unregistered{}}
	r.Summarize(audit.Params{CheckTime: T, Window: r.Window})
	r.Summary.RegistryRows = 1203 // a sample: the registry holds far more than the 166 drawn
	return r
}

func TestInspectionSeedSampleSentence(t *testing.T) {
	r := seedSample(t, 14*24*time.Hour)
	if r.Summary.InScope != 166 || r.Summary.Unqualified != 3 {
		t.Fatalf("fixture: %+v", r.Summary)
	}
	if DetectKind(r) != KindSample {
		t.Errorf("kind %s", DetectKind(r))
	}
	d := buildInspection(r, InspectionOptions{Options: testOptions(t)})
	want := "此次检查抽查全市政务新媒体166个，其中，市级政府2个，县区政府6个，市级部门89个，抽查县区镇（街道办）及县级部门69个。" +
		"检查复核结果：存在突出问题的政务新媒体3个，占比为1.8%。"
	if d.overview[0] != want {
		t.Errorf("总体情况\n got: %s\nwant: %s", d.overview[0], want)
	}
	if len(d.overview) != 1 {
		t.Errorf("extra paragraphs: %q", d.overview[1:])
	}
	wantProblem := "如：汉中市林业局“汉中秦巴生态保护”微信订阅号、汉中市公安局网安支队“汉中网警巡查执法”百度贴吧、汉中市公安局“汉中公安”新浪微博两周内未更新内容。"
	if len(d.problems) != 1 || d.problems[0].heading != "政务新媒体内容更新不及时" || d.problems[0].text() != wantProblem {
		t.Errorf("存在问题 = %+v\nwant %s", d.problems, wantProblem)
	}
	md := string(renderInspection(t, "md", r, InspectionOptions{}))
	for _, w := range []string{want, "**（一）政务新媒体内容更新不及时。**" + wantProblem, "2022年第三季度政务新媒体抽查情况报告",
		"| 汉中网警巡查执法 | 汉中市公安局网安支队 | 其他+百度贴吧 | 不合格 | 监测时间点前2周内无更新 |"} {
		if !strings.Contains(md, w) {
			t.Errorf("md lacks %q", w)
		}
	}

	// The phrase after the list follows the window; rate decimals and level labels follow the
	// config.
	r10 := seedSample(t, 10*24*time.Hour)
	d = buildInspection(r10, InspectionOptions{Options: Options{RateDecimals: 2, Location: mustLoc(t)},
		LevelLabels: map[string]string{"县区部门": "县区部门及镇街", audit.LevelCityGov: "市政府"}, Area: "全区"})
	want10 := "此次检查抽查全区政务新媒体166个，其中，市政府2个，县区政府6个，市级部门89个，抽查县区部门及镇街69个。" +
		"检查复核结果：存在突出问题的政务新媒体3个，占比为1.81%。"
	if d.overview[0] != want10 {
		t.Errorf("10d 总体情况\n got: %s\nwant: %s", d.overview[0], want10)
	}
	if !strings.HasSuffix(d.problems[0].text(), "新浪微博10天内未更新内容。") {
		t.Errorf("10d phrase: %s", d.problems[0].text())
	}
}

// seedSelfCheck is the seed's district self-check: 489 accounts (520 registry rows, 31
// closed), 15 pending closure, 464 qualified, 10 unqualified.
func seedSelfCheck(t testing.TB) *audit.Result {
	T := *at(t, "2022-08-22 00:00:00")
	var vs []audit.Verdict
	for i := range 489 {
		st := audit.Qualified
		switch {
		case i < 15:
			st = audit.PendingReview
		case i < 25:
			st = audit.Unqualified
		}
		v := audit.Verdict{Account: audit.Account{Row: i + 2, Name: fmt.Sprintf("汉台账号%03d", i), Type: "微信订阅号",
			Platform: platforms.WeChat, Owner: "汉中市汉台区龙江街道办事处", Level: "镇(街道)"}, Status: st, Problems: []string{}}
		if st == audit.Unqualified {
			v.Problems = []string{"监测时间点前2周内无更新"}
		}
		vs = append(vs, v)
	}
	r := &audit.Result{CheckTime: T, Window: audit.Window{D: 14 * 24 * time.Hour}, Accounts: vs}
	r.Summarize(audit.Params{CheckTime: T, Window: r.Window})
	r.Summary.RegistryRows, r.Summary.ClosedExcluded = 520, 31
	return r
}

func TestInspectionSeedSelfCheckSentence(t *testing.T) {
	r := seedSelfCheck(t)
	if DetectKind(r) != KindSelfCheck {
		t.Fatalf("kind %s", DetectKind(r))
	}
	d := buildInspection(r, InspectionOptions{Options: testOptions(t)})
	want := "此次检查全市政务新媒体489个（以全国政务新媒体信息报送系统数据为准，不含已注销账号）。" +
		"检查结果：全市政务新媒体正在申请办理注销的15个；合格的464个，不合格的10个。"
	if d.overview[0] != want {
		t.Errorf("self-check\n got: %s\nwant: %s", d.overview[0], want)
	}
	if !strings.Contains(d.title, "检查情况报告") || strings.Contains(d.title, "抽查") {
		t.Errorf("title %s", d.title)
	}
	// The same result reported as a sample, when the user says it was one.
	d = buildInspection(r, InspectionOptions{Options: testOptions(t), Kind: KindSample})
	if !strings.HasPrefix(d.overview[0], "此次检查抽查全市政务新媒体489个，其中，抽查县区镇（街道办）及县级部门489个。") {
		t.Errorf("as sample: %s", d.overview[0])
	}
}

func TestDetectKind(t *testing.T) {
	r := seedSelfCheck(t)
	r.Unregistered = []audit.Unregistered{{Name: "x", Row: 3}}
	if DetectKind(r) != KindSample {
		t.Errorf("a target list naming unregistered accounts is a sample")
	}
}

func TestInspectionBreakdownsInferLevels(t *testing.T) {
	d := buildInspection(seedSample(t, 14*24*time.Hour), InspectionOptions{Options: testOptions(t)})
	var got []string
	for _, l := range d.byLevel {
		got = append(got, fmt.Sprintf("%s=%d/%d", l.label, l.checked, l.unqualified))
	}
	want := []string{"市级政府=2/0", "县区政府=6/0", "市级部门=89/3", "县区镇（街道办）及县级部门=69/0"}
	if !slices.Equal(got, want) {
		t.Errorf("by level %v, want %v", got, want)
	}
	got = nil
	for _, p := range d.byPlatform {
		got = append(got, fmt.Sprintf("%s=%d/%d", p.label, p.checked, p.unqualified))
	}
	if want := []string{"微信公众号=94/1", "新浪微博=71/1", "百度贴吧=1/1"}; !slices.Equal(got, want) {
		t.Errorf("by platform %v, want %v", got, want)
	}
	// Units are listed by level, then in the order they first appear.
	if d.byOwner[0].label != "汉中市人民政府办公室" || d.byOwner[0].checked != 2 || d.byOwner[len(d.byOwner)-1].level != "县区镇（街道办）及县级部门" {
		t.Errorf("by owner starts %+v ends %+v", d.byOwner[0], d.byOwner[len(d.byOwner)-1])
	}
	// An override moves a unit.
	lr, err := audit.NewLevelResolver(map[string]string{"汉中市公安局汉台分局": audit.LevelCityDept})
	if err != nil {
		t.Fatal(err)
	}
	opt := testOptions(t)
	opt.Levels = lr
	d = buildInspection(seedSample(t, 14*24*time.Hour), InspectionOptions{Options: opt})
	if d.byLevel[2].checked != 89+17 || d.byLevel[3].checked != 69-17 {
		t.Errorf("override: %+v", d.byLevel)
	}
}

func TestInspectionProblemGroups(t *testing.T) {
	r := fixtureResult(t)
	r.Accounts[1].Problems = []string{"监测时间点前2周内无更新", "未提供有效互动功能", "认证主体与登记主体不一致"}
	d := buildInspection(r, InspectionOptions{Options: testOptions(t)})
	var got []string
	for _, g := range d.problems {
		got = append(got, fmt.Sprintf("%s:%d", g.heading, len(g.accounts)))
	}
	want := []string{"政务新媒体内容更新不及时:3", "政务新媒体存在严重表述错误:1", "政务新媒体互动回应差:1", "政务新媒体认证主体与登记主体不一致:1"}
	if !slices.Equal(got, want) {
		t.Errorf("groups %v, want %v", got, want)
	}
	if d.problems[2].text() != "如：汉中市林业局“汉中秦巴生态保护”微信订阅号未提供有效互动功能。" {
		t.Errorf("item %s", d.problems[2].text())
	}
	// A long list names ten accounts and counts the rest.
	long := problemGroup{phrase: "两周内未更新内容", accounts: slices.Repeat([]audit.Verdict{r.Accounts[1]}, 33)}
	if txt := long.text(); strings.Count(txt, "汉中秦巴生态保护") != 10 || !strings.HasSuffix(txt, "微信订阅号等33个政务新媒体两周内未更新内容。") {
		t.Errorf("long item: %s", txt)
	}
	// No unqualified account: the section says so.
	for i := range r.Accounts {
		if r.Accounts[i].Status == audit.Unqualified {
			r.Accounts[i].Status = audit.Qualified
		}
	}
	r.Summarize(audit.Params{CheckTime: r.CheckTime, Window: r.Window})
	md := string(renderInspection(t, "md", r, InspectionOptions{})) // 2 accounts still 待核查
	if !strings.Contains(md, "## 二、存在问题\n\n本次检查暂未发现存在突出问题的政务新媒体。") || !strings.Contains(md, "检查复核结果：暂未发现存在突出问题的政务新媒体。") {
		t.Errorf("no-problem wording missing:\n%s", md)
	}
	for i := range r.Accounts {
		if r.Accounts[i].Status == audit.NeedsReview {
			r.Accounts[i].Status = audit.Qualified
		}
	}
	r.Summarize(audit.Params{CheckTime: r.CheckTime, Window: r.Window})
	d = buildInspection(r, InspectionOptions{Options: testOptions(t)})
	if !strings.HasSuffix(d.overview[0], "检查复核结果：未发现存在突出问题的政务新媒体。抽查账号中正在申请办理注销的1个，不作检查。") {
		t.Errorf("all decided: %s", d.overview[0])
	}
}

// The HTML is one self-contained file: no script, no stylesheet, image, font or frame loaded
// from anywhere, and no URL outside text the document prints (a 待核查 reason may quote one).
func TestInspectionHTMLSelfContained(t *testing.T) {
	r := fixtureResult(t)
	r.Accounts[8].Detail = "平台返回错误：https://m.weibo.cn/api/container/getIndex 返回 432"
	r.Accounts[8].Name = `佛坪发布<script src="http://evil.example/x.js"></script>`
	page := renderInspection(t, "html", r, InspectionOptions{})
	z := html.NewTokenizer(bytes.NewReader(page))
	inStyle := false
	texts := 0
	urlRe := regexp.MustCompile(`(?i)(https?:|//|url\(|@import)`)
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		tok := z.Token()
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken:
			switch tok.Data {
			case "script", "link", "img", "iframe", "object", "embed", "image", "use", "base":
				t.Errorf("element <%s> in the page", tok.Data)
			case "style":
				inStyle = true
			}
			for _, a := range tok.Attr {
				if urlRe.MatchString(a.Val) || strings.HasPrefix(a.Key, "on") || a.Key == "href" || a.Key == "src" || a.Key == "xmlns" {
					t.Errorf("<%s %s=%q>: a reference in an attribute", tok.Data, a.Key, a.Val)
				}
			}
		case html.EndTagToken:
			if tok.Data == "style" {
				inStyle = false
			}
		case html.TextToken:
			if inStyle && urlRe.MatchString(tok.Data) {
				t.Errorf("stylesheet loads something: %q", urlRe.FindString(tok.Data))
			}
			if strings.Contains(tok.Data, "https://m.weibo.cn/api") || strings.Contains(tok.Data, "evil.example") {
				texts++
			}
		}
	}
	if texts < 2 {
		t.Errorf("the quoted URL and the escaped name should appear as text (%d)", texts)
	}
	// Two charts (by level, by platform), one bar per group with accounts checked, each as wide
	// as its pass rate.
	bars := regexp.MustCompile(`<rect class="bar" x="\d+" y="\d+" width="([0-9.]+)" height="\d+" fill="#[0-9a-f]+" data-rate="([0-9.]+)">`).FindAllStringSubmatch(string(page), -1)
	if len(bars) != 4+5 {
		t.Fatalf("%d bars, want 9", len(bars))
	}
	for _, b := range bars {
		w, _ := strconv.ParseFloat(b[1], 64)
		rate, _ := strconv.ParseFloat(b[2], 64)
		if diff := w - rate*chartBarW; diff > 0.06 || diff < -0.06 {
			t.Errorf("bar width %s for rate %s", b[1], b[2])
		}
	}
	if strings.Count(string(page), "<svg ") != 2 {
		t.Errorf("want 2 charts")
	}
}

func TestInspectionXLSX(t *testing.T) {
	raw := renderInspection(t, "xlsx", fixtureResult(t), InspectionOptions{})
	f, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := []string{"总体情况", "存在问题", "附件", "分层级", "分平台", "分单位", "预警", "待核查", "未登记"}
	if got := f.GetSheetList(); !slices.Equal(got, want) {
		t.Errorf("sheets %v, want %v", got, want)
	}
	a1, _ := f.GetCellValue("总体情况", "A1")
	if a1 != "2022年第三季度政务新媒体抽查情况报告" {
		t.Errorf("title %q", a1)
	}
	rows, _ := f.GetRows("总体情况")
	joined := ""
	for _, r := range rows {
		joined += strings.Join(r, "|") + "\n"
	}
	if !strings.Contains(joined, "此次检查抽查全市政务新媒体10个，其中，市级政府1个") {
		t.Errorf("总体情况 lacks the paragraph:\n%s", joined)
	}
	att, _ := f.GetRows("附件")
	if !slices.Equal(att[0], unqualifiedHeader) || len(att) != 4 || att[3][2] != "其他+百度贴吧" {
		t.Errorf("附件 %v", att)
	}
	prob, _ := f.GetRows("存在问题")
	if len(prob) != 5 || prob[4][1] != "（二）政务新媒体存在严重表述错误" || prob[4][2] != "汉中公安" {
		t.Errorf("存在问题 %v", prob)
	}
	// Counts are numbers and rates are percentage cells holding the ratio.
	level, _ := f.GetRows("分层级")
	if level[3][0] != "市级部门" || level[3][3] != "3" {
		t.Errorf("分层级 %v", level[3])
	}
	v, _ := f.GetCellValue("分层级", "G4", excelize.Options{RawCellValue: true})
	if x, err := strconv.ParseFloat(v, 64); err != nil || x != 0.75 {
		t.Errorf("市级部门 不合格占比 cell %q", v)
	}
	shown, _ := f.GetCellValue("分层级", "G4")
	if shown != "75.0%" {
		t.Errorf("shown as %q", shown)
	}
}

// ReadCheckJSON gives back what `check --format json` wrote: the document rendered from the
// JSON equals the one rendered from the result itself.
func TestReadCheckJSONRoundTrip(t *testing.T) {
	r := fixtureResult(t)
	js := renderCheck(t, "json", r, testOptions(t))
	back, err := ReadCheckJSON(bytes.NewReader(js), "run.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"md", "html"} {
		a := renderInspection(t, f, r, InspectionOptions{})
		b := renderInspection(t, f, back, InspectionOptions{})
		if !bytes.Equal(a, b) {
			t.Errorf("%s from JSON differs from %s from the result", f, f)
		}
	}
	if back.Summary != r.Summary {
		t.Errorf("summary %+v, want %+v", back.Summary, r.Summary)
	}
	if !back.CheckTime.Equal(r.CheckTime) || back.Window != r.Window || len(back.Accounts) != len(r.Accounts) {
		t.Errorf("header fields differ")
	}
	if v := back.Accounts[2]; v.Platform != platforms.Weibo || v.Status != audit.Unqualified || v.LatestPostAt == nil ||
		!v.LatestPostAt.Equal(*r.Accounts[2].LatestPostAt) || len(v.Evidence) != 2 {
		t.Errorf("account read back as %+v", v)
	}
}

func TestReadCheckJSONErrors(t *testing.T) {
	js := string(renderCheck(t, "json", fixtureResult(t), testOptions(t)))
	cases := []struct{ doc, want string }{
		{"not json", "不是 check 的 JSON 报告"},
		{`{"accounts": "many"}`, "类型不对"},
		{`{"window": "14d"}`, "check_time: 缺少此项"},
		{strings.Replace(js, `"window": "14d"`, `"window": "fortnight"`, 1), "window"},
		{strings.Replace(js, `"unqualified": 3`, `"unqualified": 2`, 1), "summary.unqualified: 为 2，但 accounts 列表中有 3 个"},
		{strings.Replace(js, `"status": "qualified"`, `"status": "passed"`, 1), `accounts[0].status: "passed"`},
		{strings.Replace(js, `"latest_post_at": "2022-08-21T17:30:00+08:00"`, `"latest_post_at": "yesterday"`, 1), "accounts[0].latest_post_at"},
	}
	for _, c := range cases {
		_, err := ReadCheckJSON(strings.NewReader(c.doc), "run.json")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "run.json: ") {
			t.Errorf("%.40q: err = %v, want %q", c.doc, err, c.want)
		}
	}
}
