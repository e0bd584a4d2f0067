package sample

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/audit/sheet/sheettest"
)

// Columns of sheettest.RegistryHeader.
const (
	colName   = 1
	colOwner  = 3
	colRegion = 5
	colLevel  = 6
	colStatus = 8
)

// seedPlan is the seed report's quarterly shape: 2 + 6 + 89 + 69 = 166.
const seedPlan = `by: level
strata: {市级政府: 2, 县(区)政府: 6, 市级部门: 89, 县(区)部门及镇(街道): 69}
`

// registry writes a generated registry export of n rows and returns its path.
func registry(t *testing.T, n int, genSeed uint64) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "registry.xlsx")
	if err := sheettest.WriteRegistryXLSX(path, n, genSeed); err != nil {
		t.Fatal(err)
	}
	return path
}

func mustPlan(t *testing.T, yaml string) Plan {
	t.Helper()
	p, err := ParsePlan("plan.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func drawnNames(s *Sample) []string {
	out := make([]string, len(s.Rows))
	for i, r := range s.Rows {
		out[i] = r.Cells[colName]
	}
	return out
}

func TestSeedQuarterlyShape(t *testing.T) {
	path := registry(t, 900, 7)
	s, err := Draw(path, mustPlan(t, seedPlan), 20220728, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []StratumResult{
		{Name: audit.LevelCityGov, Requested: "2", Drawn: 2},
		{Name: audit.LevelCountyGov, Requested: "6", Drawn: 6},
		{Name: audit.LevelCityDept, Requested: "89", Drawn: 89},
		{Name: audit.LevelCountyDept, Requested: "69", Drawn: 69},
	}
	if len(s.Strata) != len(want) {
		t.Fatalf("strata %+v", s.Strata)
	}
	rows := sheettest.RegistryRows(900, 7)
	for i, st := range s.Strata {
		if st.Name != want[i].Name || st.Requested != want[i].Requested || st.Drawn != want[i].Drawn {
			t.Errorf("stratum %d = %+v, want %+v", i, st, want[i])
		}
		// available = the generated rows of that level that are 正常运行.
		avail := 0
		for _, r := range rows[1:] {
			if r[colLevel] == st.Name && r[colStatus] == "正常运行" {
				avail++
			}
		}
		if st.Available != avail {
			t.Errorf("%s: available %d, want %d", st.Name, st.Available, avail)
		}
	}
	if s.Total() != 166 {
		t.Fatalf("drew %d, want 166", s.Total())
	}
	if !slices.Equal(s.Header, sheettest.RegistryHeader) {
		t.Errorf("header %v", s.Header)
	}
	perLevel := map[string]int{}
	prev := 0
	for _, r := range s.Rows {
		if r.Num <= prev {
			t.Errorf("rows out of registry order: %d after %d", r.Num, prev)
		}
		prev = r.Num
		if r.Cells[colStatus] != "正常运行" {
			t.Errorf("row %d drawn with status %s", r.Num, r.Cells[colStatus])
		}
		// The row's cells are the registry's row, unchanged.
		if reg := rows[r.Num-1]; !slices.Equal(r.Cells, reg) {
			t.Errorf("row %d cells %v, registry has %v", r.Num, r.Cells, reg)
		}
		perLevel[r.Cells[colLevel]]++
	}
	if perLevel[audit.LevelCityGov] != 2 || perLevel[audit.LevelCountyGov] != 6 || perLevel[audit.LevelCityDept] != 89 || perLevel[audit.LevelCountyDept] != 69 {
		t.Errorf("drawn per level %v", perLevel)
	}
	if len(s.RegistrySHA256) != 64 || s.RegistryFile != "registry.xlsx" || s.Seed != 20220728 {
		t.Errorf("record: %q %q %d", s.RegistryFile, s.RegistrySHA256, s.Seed)
	}

	// Same registry, plan and seed: the same rows. Another seed: other rows.
	again, err := Draw(path, mustPlan(t, seedPlan), 20220728, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(drawnNames(s), drawnNames(again)) {
		t.Errorf("same seed, different sample")
	}
	other, err := Draw(path, mustPlan(t, seedPlan), 20220729, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(drawnNames(s), drawnNames(other)) {
		t.Errorf("different seeds drew the same sample")
	}
	if other.Total() != 166 {
		t.Errorf("other seed drew %d", other.Total())
	}
}

// The draw is pinned: a later Go release or refactor must not change which rows a recorded
// seed draws, or a published sample could no longer be reproduced. (The accounts are built
// here, not generated, so the pin depends on nothing but this package.)
func TestDrawIsPinned(t *testing.T) {
	levels := []string{audit.LevelCityGov, audit.LevelCountyGov, audit.LevelCityDept, audit.LevelCountyDept}
	var accts []audit.Account
	for i := range 200 {
		accts = append(accts, audit.Account{Row: i + 2, Level: levels[i%4], Lifecycle: audit.Active})
	}
	picked, _, _, err := Select(accts, mustPlan(t, "strata: {市级政府: 1, 县区政府: 2, 市级部门: 3, 县(区)部门及镇(街道): 4}"), 42, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, a := range picked {
		got = append(got, a.Row)
	}
	if !slices.Equal(got, pinnedRows) {
		t.Errorf("seed 42 drew rows %v, want %v", got, pinnedRows)
	}
}

func TestStrataOrderDoesNotMatter(t *testing.T) {
	path := registry(t, 500, 3)
	a, err := Draw(path, mustPlan(t, "by: level\nstrata: {市级政府: 2, 县(区)政府: 6, 市级部门: 30, 县(区)部门及镇(街道): 20%}"), 9, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Draw(path, mustPlan(t, "strata:\n  县区镇(街道办)及县级部门: 20%\n  市级部门: 30\n  县区政府: 6\n  市级政府: 2\n"), 9, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(drawnNames(a), drawnNames(b)) {
		t.Errorf("reordered plan (with aliases) drew a different sample")
	}
	if !slices.EqualFunc(a.Strata, b.Strata, func(x, y StratumResult) bool { return x.Name == y.Name && x.Drawn == y.Drawn }) {
		t.Errorf("strata records differ: %+v vs %+v", a.Strata, b.Strata)
	}
	// A stratum's draw does not depend on the other strata in the plan.
	c, err := Draw(path, mustPlan(t, "strata: {市级部门: 30}"), 9, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var cityDept []string
	for _, r := range a.Rows {
		if r.Cells[colLevel] == audit.LevelCityDept {
			cityDept = append(cityDept, r.Cells[colName])
		}
	}
	if !slices.Equal(cityDept, drawnNames(c)) {
		t.Errorf("市级部门 draw changed when other strata were dropped")
	}
	if len(c.Notices) == 0 || !strings.Contains(c.Notices[0], "未列出") {
		t.Errorf("notices %v should name the strata left out", c.Notices)
	}
}

func TestQuotaCount(t *testing.T) {
	cases := []struct {
		quota     string
		available int
		want      int
	}{
		{"15%", 70, 11},  // 10.5 rounds half up
		{"15%", 69, 10},  // 10.35
		{"15%", 90, 14},  // 13.5 → 14
		{"12.5%", 4, 1},  // 0.5 → 1, exactly (no binary noise)
		{"12.5%", 12, 2}, // 1.5 → 2
		{"1%", 10, 1},    // 0.1, but a non-empty stratum gives at least 1
		{"1%", 0, 0},     // an empty stratum gives nothing
		{"33.3%", 3, 1},
		{"100%", 7, 7},
		{"５０％", 9, 5}, // full-width, typed with a Chinese input method: 4.5 → 5
		{"all", 12, 12},
		{"全部", 3, 3},
		{"89", 100, 89},
		{"0", 5, 0},
	}
	for _, c := range cases {
		q, err := ParseQuota(c.quota)
		if err != nil {
			t.Errorf("ParseQuota(%q): %v", c.quota, err)
			continue
		}
		if got := q.count(c.available); got != c.want {
			t.Errorf("%s of %d = %d, want %d", c.quota, c.available, got, c.want)
		}
	}
	for _, bad := range []string{"", "0%", "101%", "-3", "1/2%", "1e1%", "abc", "0.15", "十"} {
		if _, err := ParseQuota(bad); err == nil {
			t.Errorf("ParseQuota(%q) accepted", bad)
		}
	}
}

func TestOverAskingNamesStratum(t *testing.T) {
	// Three 市级政府 accounts, one of them pending closure and one closed: two are available.
	accts := []audit.Account{
		{Row: 2, Name: "汉中发布", Owner: "汉中市人民政府办公室", Level: "市级政府", Lifecycle: audit.Active},
		{Row: 3, Name: "汉中政务", Owner: "汉中市人民政府办公室", Level: "市级政府", Lifecycle: audit.PendingClosure},
		{Row: 4, Name: "汉中微讯", Owner: "汉中市人民政府", Level: "", Lifecycle: audit.Active},
		{Row: 5, Name: "汉中在线", Owner: "汉中市人民政府", Level: "市级政府", Lifecycle: audit.Closed},
		{Row: 6, Name: "汉中公安", Owner: "汉中市公安局", Level: "", Lifecycle: audit.Active},
	}
	_, _, _, err := Select(accts, mustPlan(t, "strata: {市级政府: 3, 市级部门: all}"), 1, nil)
	var pe *PlanError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want *PlanError", err)
	}
	for _, w := range []string{"市级政府", "3", "只有 2 个"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%q lacks %q", err, w)
		}
	}
	// The available ones (one inferred from the owner name) can all be drawn.
	picked, res, _, err := Select(accts, mustPlan(t, "strata: {市级政府: 2, 市级部门: all}"), 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(picked) != 3 || picked[0].Row != 2 || picked[1].Row != 4 || picked[2].Row != 6 {
		t.Errorf("picked %+v", picked)
	}
	if res[0].Available != 2 || res[1].Available != 1 {
		t.Errorf("results %+v", res)
	}
}

func TestUnknownStrata(t *testing.T) {
	accts := []audit.Account{
		{Row: 2, Name: "汉中公安", Type: "新浪微博", Platform: "weibo", Owner: "汉中市公安局", Region: "汉中市", Lifecycle: audit.Active},
		{Row: 3, Name: "汉台发布", Type: "微信公众号", Platform: "wechat", Owner: "汉台区人民政府", Region: "汉台区", Lifecycle: audit.Active},
	}
	cases := []struct{ plan, want string }{
		{"strata: {省级部门: 1}", `未知分层 "省级部门"`},
		{"by: region\nstrata: {南郑区: 1}", `未知分层 "南郑区"`},
		{"by: region\nstrata: {南郑区: 1}", "汉中市、汉台区"},
		{"by: platform\nstrata: {facebook: 1}", `未知分层 "facebook"`},
		{"strata: {县区政府: 1, 县(区)政府: 1}", "重复列出"},
		// A stratum with nothing to draw is refused, whatever its quota: an empty part of a
		// sample must not pass for a drawn one.
		{"by: platform\nstrata: {douyin: 1}", "分层 douyin 没有可抽取的账号"},
		{"by: platform\nstrata: {新浪微博: 1, douyin: all}", "分层 douyin 没有可抽取的账号"},
		{"strata: {市级政府: all, 县(区)政府: 15%}", "分层 市级政府 没有可抽取的账号"},
	}
	for _, c := range cases {
		_, _, _, err := Select(accts, mustPlan(t, c.plan), 1, nil)
		var pe *PlanError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.plan, err, c.want)
		}
	}
	// Regions and platforms by their names and labels.
	picked, _, _, err := Select(accts, mustPlan(t, "by: region\nstrata: {汉台区: all, ' 汉中市 ': 1}"), 1, nil)
	if err != nil || len(picked) != 2 {
		t.Errorf("by region: %v %v", picked, err)
	}
	picked, res, _, err := Select(accts, mustPlan(t, "by: platform\nstrata: {新浪微博: 1, wechat: all}"), 1, nil)
	if err != nil || len(picked) != 2 || len(res) != 2 || res[0].Name != "weibo" || res[1].Drawn != 1 {
		t.Errorf("by platform: %v %+v %v", picked, res, err)
	}
}

func TestParsePlanErrors(t *testing.T) {
	cases := []struct{ yaml, want string }{
		{"by: level\nstrats: {市级政府: all}", "strats"},
		{"by: level\nstrats: {市级政府: all}", "未知项 strats"},
		{"by: county\nstrata: {市级政府: all}", "应为 level（层级）、region（所属地区）或 platform（平台）"},
		{"strata: {市级政府: lots}", "第1行"},
		{"by: level\nstrata:\n  市级政府: all\n  市级部门:\n", "第4行"},
		{"strata: []", "strata 应把每个分层对应到抽取数量"},
		{"by: level", "strata 应把每个分层对应到抽取数量"},
	}
	for _, c := range cases {
		_, err := ParsePlan("plan.yaml", []byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "plan.yaml") {
			t.Errorf("%q: err = %v, want %q", c.yaml, err, c.want)
		}
	}
	st, err := ParseStratumFlag("县(区)部门及镇(街道)=15%")
	if err != nil || st.Name != "县(区)部门及镇(街道)" || st.Quota.Kind != QuotaPercent {
		t.Errorf("flag: %+v %v", st, err)
	}
	if _, err := ParseStratumFlag("市级部门"); err == nil {
		t.Errorf("flag without = accepted")
	}
}

// Every candidate is equally likely: drawing 1 of 4 over many seeds picks each about a quarter
// of the time (a Fisher–Yates off-by-one would never pick the last).
func TestDrawIsUniform(t *testing.T) {
	accts := make([]audit.Account, 4)
	for i := range accts {
		accts[i] = audit.Account{Row: i + 2, Owner: "汉中市公安局", Lifecycle: audit.Active}
	}
	counts := map[int]int{}
	const n = 4000
	for seed := range uint64(n) {
		picked, _, _, err := Select(accts, mustPlan(t, "strata: {市级部门: 1}"), seed, nil)
		if err != nil {
			t.Fatal(err)
		}
		counts[picked[0].Row]++
	}
	for row := 2; row <= 5; row++ {
		if c := counts[row]; c < n/4-150 || c > n/4+150 {
			t.Errorf("row %d picked %d times of %d", row, c, n)
		}
	}
}

// With no level column, the level comes from the owner's name; on the generated registry it
// agrees with the level the generator wrote, except for the county-level city 旬阳市, which
// only a gazetteer (or an override) can tell from a prefecture.
func TestInferredLevelsOnGeneratedRegistry(t *testing.T) {
	rows := sheettest.RegistryRows(1500, 5)
	strip := func(r []string) []string { return append(slices.Clone(r[:colLevel]), r[colLevel+1:]...) }
	noLevel := make([][]string, len(rows))
	for i, r := range rows {
		noLevel[i] = strip(r)
	}
	path := filepath.Join(t.TempDir(), "no-level.xlsx")
	if err := sheettest.WriteXLSX(path, noLevel); err != nil {
		t.Fatal(err)
	}
	reg, err := audit.LoadRegistry(path, audit.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lr, err := audit.NewLevelResolver(map[string]string{"旬阳市人民政府": "县(区)政府"})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for i, a := range reg.Accounts {
		want := rows[i+1][colLevel]
		if strings.HasPrefix(a.Owner, "旬阳市") && a.Owner != "旬阳市人民政府" {
			continue
		}
		got, ok, note := lr.Resolve(a)
		if !ok || got != want {
			t.Errorf("row %d %s: level %q (%s), generator wrote %q", a.Row, a.Owner, got, note, want)
		}
		checked++
	}
	if checked < 1400 {
		t.Errorf("only %d rows checked", checked)
	}
	// And the sample by level works on that file.
	s, err := Draw(path, mustPlan(t, "strata: {市级政府: 2, 县(区)政府: 6, 市级部门: 89, 县(区)部门及镇(街道): 69}"), 1, Options{Levels: lr})
	if err != nil {
		t.Fatal(err)
	}
	if s.Total() != 166 {
		t.Errorf("drew %d", s.Total())
	}
}

// The sample files are target lists as they stand: the CSV's "# plan:" record is skipped like a
// title row, and both formats give back exactly the drawn accounts.
func TestOutputsReadBackAsTargetList(t *testing.T) {
	path := registry(t, 400, 9)
	s, err := Draw(path, mustPlan(t, "strata: {市级政府: 1, 县(区)政府: 2, 市级部门: 10, 县(区)部门及镇(街道): 10%}"), 5, Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var xb, cb bytes.Buffer
	if err := s.WriteXLSX(&xb); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteCSV(&cb); err != nil {
		t.Fatal(err)
	}
	xlsxPath, csvPath := filepath.Join(dir, "sample.xlsx"), filepath.Join(dir, "sample.csv")
	os.WriteFile(xlsxPath, xb.Bytes(), 0o644)
	os.WriteFile(csvPath, cb.Bytes(), 0o644)

	if !bytes.HasPrefix(cb.Bytes(), []byte("\ufeff\"# plan: {")) {
		t.Errorf("csv starts %q", cb.Bytes()[:min(40, cb.Len())])
	}
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(cb.Bytes(), []byte("\ufeff"))))
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs[0]) != 1 || !strings.HasPrefix(recs[0][0], CSVPlanPrefix) {
		t.Fatalf("first record %q", recs[0])
	}
	var rec planRecord
	if err := json.Unmarshal([]byte(strings.TrimPrefix(recs[0][0], CSVPlanPrefix)), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Seed != 5 || rec.By != ByLevel || rec.RegistrySHA256 != s.RegistrySHA256 || len(rec.Strata) != 4 || rec.Strata[3].Requested != "10%" || rec.Drawn != s.Total() {
		t.Errorf("plan record %+v", rec)
	}
	if !slices.Equal(recs[1], sheettest.RegistryHeader) || len(recs) != s.Total()+2 {
		t.Errorf("csv header %v, %d records", recs[1], len(recs))
	}

	for _, p := range []string{xlsxPath, csvPath} {
		targets, _, err := audit.LoadTargets(p, audit.LoadOptions{})
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(p), err)
		}
		var got []string
		for _, a := range targets {
			got = append(got, a.Name)
		}
		if !slices.Equal(got, drawnNames(s)) {
			t.Errorf("%s read back %d accounts, drew %d", filepath.Base(p), len(got), s.Total())
		}
	}

	f, err := excelize.OpenReader(bytes.NewReader(xb.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !slices.Equal(got, []string{SheetSample, SheetPlan}) {
		t.Errorf("sheets %v", got)
	}
	planRows, _ := f.GetRows(SheetPlan)
	flat := ""
	for _, r := range planRows {
		flat += strings.Join(r, "|") + "\n"
	}
	for _, w := range []string{"随机种子|5", "信息报送系统导出|registry.xlsx", s.RegistrySHA256, "层级|抽取要求|可抽账号数|抽取数", "县(区)部门及镇(街道)|10%|", "合计||"} {
		if !strings.Contains(flat, w) {
			t.Errorf("抽样方案 lacks %q:\n%s", w, flat)
		}
	}
	// ids stay text: a Weibo uid must not become 1.23E+09.
	sampleRows, _ := f.GetRows(SheetSample)
	for i, r := range sampleRows[1:] {
		if !slices.Equal(r, trimTrailingEmpty(s.Rows[i].Cells)) {
			t.Errorf("xlsx row %d = %v, want %v", i+2, r, s.Rows[i].Cells)
			break
		}
	}
}

func trimTrailingEmpty(cells []string) []string {
	for len(cells) > 0 && cells[len(cells)-1] == "" {
		cells = cells[:len(cells)-1]
	}
	return cells
}

// pinnedRows are the rows seed 42 draws in TestDrawIsPinned.
var pinnedRows = []int{37, 77, 79, 99, 101, 116, 141, 148, 166, 196}

// TestSampleCSVDefusesFormulas: a registry cell is someone else's text; the sample CSV must not
// hand Excel a formula (issue "Hostile files": =cmd|' /C calc'!A0 was written raw).
func TestSampleCSVDefusesFormulas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reg.csv")
	rows := [][]string{{"账号名称", "账号类型", "开设主体", "层级", "运行状态"},
		{"=cmd|' /C calc'!A0", "新浪微博", "汉中市公安局", "市级部门", "正常运行"},
		{"@SUM(1+1)", "新浪微博", "-2+3+cmd|' /C calc'!A0", "市级部门", "正常运行"},
		{"汉中发布", "微信公众号", "汉中市人民政府办公室", "市级政府", "正常运行"},
	}
	if err := sheettest.WriteCSV(path, rows, "utf-8"); err != nil {
		t.Fatal(err)
	}
	s, err := Draw(path, mustPlan(t, "strata: {市级部门: all}"), 1, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := s.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.HasPrefix(out, "\ufeff") || !strings.Contains(out, "\r\n") {
		t.Errorf("sample CSV lacks the BOM or CRLF line ends")
	}
	cr := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\ufeff")))
	cr.FieldsPerRecord = -1 // the "# plan:" record is one cell
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs[2:] {
		for _, c := range r {
			if c != "" && strings.ContainsRune("=+-@", rune(c[0])) {
				t.Errorf("cell %q would run as a formula", c)
			}
		}
	}
	if !strings.Contains(out, `'=cmd|' /C calc'!A0`) || !strings.Contains(out, "'@SUM(1+1)") || !strings.Contains(out, "'-2+3+cmd") {
		t.Errorf("formula cells not marked as text:\n%s", out)
	}
}

// TestByRegionWithoutRegionColumn: the message says what is missing and which columns the
// registry has, instead of "(the registry has )".
func TestByRegionWithoutRegionColumn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reg.csv")
	rows := [][]string{{"序号", "账号名称", "账号类型", "开设主体", "运行状态", "区域"},
		{"1", "汉中公安", "新浪微博", "汉中市公安局", "正常运行", "汉中市"},
	}
	if err := sheettest.WriteCSV(path, rows, "utf-8"); err != nil {
		t.Fatal(err)
	}
	_, err := Draw(path, mustPlan(t, "by: region\nstrata: {汉中市: all}"), 1, Options{})
	var pe *PlanError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a plan error", err)
	}
	for _, w := range []string{"reg.csv", "没有任何账号填写了所属地区", "序号、账号名称、账号类型、开设主体、运行状态、区域", "registry.columns.region"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%q lacks %q", err, w)
		}
	}
	if strings.Contains(err.Error(), "has )") || strings.Contains(err.Error(), "（已有的地区：）") {
		t.Errorf("empty list in %q", err)
	}
}
