package history

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/audit/store"
	"github.com/nmaudit/nmaudit/platforms"
)

var shanghai = time.FixedZone("CST", 8*3600)

func TestProblemCategory(t *testing.T) {
	w10, _ := audit.ParseWindow("10d")
	for p, want := range map[string]string{
		"监测时间点前2周内无更新": CategoryNoUpdate, "监测时间点前10天内无更新": CategoryNoUpdate, "超过2周未更新": CategoryNoUpdate, "长期未更新": CategoryNoUpdate,
		"严重表述错误": CategorySerious, "严重错误表述": CategorySerious, "泄密": CategorySerious,
		"未提供有效互动功能": CategoryInteraction,
		"存在商业广告":    CategoryOther, "链接无法访问": CategoryOther, "错敏字/错别字": CategoryOther,
	} {
		if got := ProblemCategory(p, w10); got != want {
			t.Errorf("%s: %s, want %s", p, got, want)
		}
	}
}

// --deadline takes a date the way every input's dates are written, and nothing else.
func TestParseDeadline(t *testing.T) {
	for _, s := range []string{"2022-09-30", "2022/9/30", "2022年9月30日", " 2022.09.30 "} {
		d, err := ParseDeadline(s, shanghai)
		if err != nil || d.Format("2006-01-02") != "2022-09-30" {
			t.Errorf("%q: %v %v", s, d, err)
		}
	}
	for _, s := range []string{"2022-9-31", "9月30日", "2022-09-30 18:00", "next friday", ""} {
		var ie *InputError
		if _, err := ParseDeadline(s, shanghai); !errors.As(err, &ie) || !strings.Contains(err.Error(), "--deadline") {
			t.Errorf("%q: %v, want an input error naming --deadline", s, err)
		}
	}
}

func TestLocate(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_DATA_HOME", filepath.Join(home, "data"))
	const pg = "postgres://audit:s3cret@db.example.gov.cn/nmaudit"
	for _, c := range []struct {
		flag, url, configured string
		want                  string
		named                 bool
	}{
		{"/srv/a.db", pg, "~/b.db", "/srv/a.db", true},
		{"", "", "~/审计/b.db", filepath.Join(home, "审计", "b.db"), true},
		{"", "", "", filepath.Join(home, "data", "nmaudit", "nmaudit.db"), false},
		// store.url wins over store.path; a --db URL over both; a URL is never a home path.
		{"", pg, "~/b.db", pg, true},
		{" postgresql://u@h/db ", "", "~/b.db", "postgresql://u@h/db", true},
	} {
		loc, err := Locate(c.flag, c.url, c.configured)
		if err != nil || loc.Path != c.want || loc.Named != c.named {
			t.Errorf("Locate(%q, %q, %q) = %+v %v, want %s named %v", c.flag, c.url, c.configured, loc, err, c.want, c.named)
		}
	}
}

func TestGivenContradictsTheRun(t *testing.T) {
	reg := filepath.Join(t.TempDir(), "registry.xlsx")
	r := &store.Run{ID: "20220825-170000-abcd", CheckTime: time.Date(2022, 8, 22, 0, 0, 0, 0, shanghai), Timezone: "Asia/Shanghai",
		Window: "14d", Registry: store.File{Path: reg}}
	str := func(s string) *string { return &s }
	yes := true
	at := func(t time.Time) func(*time.Location) (time.Time, error) {
		return func(*time.Location) (time.Time, error) { return t, nil }
	}
	for _, g := range []Given{
		{}, {Registry: &reg}, {Window: str("2w")}, {Window: str("336h")}, {Accounts: str("")},
		{At: at(r.CheckTime.UTC()), AtText: "2022-08-21T16:00:00Z"},
	} {
		if err := g.Check(r); err != nil {
			t.Errorf("%+v restates the run, refused: %v", g, err)
		}
	}
	for _, g := range []Given{
		{Registry: str(reg + ".bak")}, {Window: str("10d")}, {Offline: &yes}, {Accounts: str("list.xlsx")},
		{Record: str("evidence")}, {At: at(r.CheckTime.Add(time.Hour)), AtText: "2022-08-22 01:00"},
	} {
		var ie *InputError
		if err := g.Check(r); !errors.As(err, &ie) || !strings.Contains(err.Error(), "与运行 "+r.ID+" 不符") {
			t.Errorf("%+v: %v", g, err)
		}
	}
}

// diff files accounts under the level every report uses: without a 层级 value, the one the
// owner's name gives, never "(未填写)"; by_platform is keyed by code.
func TestCompareUsesTheReportsLevels(t *testing.T) {
	mk := func(name, owner string, p platforms.Platform, st audit.Status) audit.Verdict {
		return audit.Verdict{Account: audit.Account{Name: name, Type: "新浪微博", Platform: p, Owner: owner}, Status: st}
	}
	run := func(id string, vs ...audit.Verdict) *Recorded {
		return &Recorded{Run: &store.Run{ID: id, Timezone: "Asia/Shanghai", CheckTime: time.Date(2022, 8, 22, 0, 0, 0, 0, shanghai)},
			Result: &audit.Result{Accounts: vs}}
	}
	a := run("a", mk("汉中公安", "汉中市公安局", platforms.Weibo, audit.Unqualified), mk("洋县发布", "洋县人民政府办公室", platforms.Douyin, audit.NeedsReview))
	b := run("b", mk("汉中公安", "汉中市公安局", platforms.Weibo, audit.Qualified), mk("洋县发布", "洋县人民政府办公室", platforms.Douyin, audit.Unqualified))
	d := Compare(a, b, nil)
	if len(d.Fixed) != 1 || len(d.NewlyFailing) != 1 || len(d.Resolved) != 1 || len(d.Changed) != 2 {
		t.Errorf("fixed %v newly %v resolved %v changed %v", d.Fixed, d.NewlyFailing, d.Resolved, d.Changed)
	}
	if d.ByLevel[audit.LevelCityDept] == nil || d.ByLevel[audit.LevelCountyGov] == nil || len(d.ByLevel) != 2 {
		t.Errorf("by_level %v", d.ByLevel)
	}
	if got := d.LevelOrder(); strings.Join(got, ",") != audit.LevelCountyGov+","+audit.LevelCityDept {
		t.Errorf("level order %v", got)
	}
	if d.ByPlatform["weibo"] == nil || d.ByPlatform["douyin"].To.Unqualified != 1 {
		t.Errorf("by_platform %v", d.ByPlatform)
	}
}
