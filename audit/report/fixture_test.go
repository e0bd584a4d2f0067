package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Shanghai loads on machines without a zone database

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/platforms"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenDir is the repository's testdata/golden, shared with the other packages' goldens.
var goldenDir = filepath.Join("..", "..", "testdata", "golden")

// golden compares got with testdata/golden/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join(goldenDir, name)
	if *update {
		if err := os.MkdirAll(goldenDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./audit/report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./audit/report -update rewrites it)\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
	}
}

func mustLoc(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// at is a wall-clock time in Asia/Shanghai.
func at(t testing.TB, s string) *time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04:05", s, mustLoc(t))
	if err != nil {
		t.Fatal(err)
	}
	return &v
}

// utc is the same kind of instant given in UTC, as a platform client may record it: reports
// must still print it in Asia/Shanghai.
func utc(t testing.TB, s string) *time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04:05", s, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	return &v
}

func testOptions(t testing.TB) Options {
	return Options{RateDecimals: 1, Location: mustLoc(t)}
}

// fixtureResult is a small but realistic check of Hanzhong accounts, modelled on the seed
// report: every verdict class, a WeChat account failing the update rule, an account with a
// veto finding and no update, a pending closure, two 待核查 reasons (one with a "|" and
// East-Asian ambiguous quotes), a level alias, a level outside the canonical four, an empty
// level, a warning, an unregistered list row and a duplicate.
func fixtureResult(t testing.TB) *audit.Result {
	t.Helper()
	acct := func(row int, name, typ string, p platforms.Platform, id, owner, level, region, status string) audit.Account {
		return audit.Account{Row: row, Name: name, Type: typ, Platform: p, ID: id, RawID: id, Owner: owner,
			Level: level, Region: region, RegistryStatus: status, Lifecycle: audit.Active}
	}
	pending := acct(7, "武侯镇便民服务", "微信公众号", platforms.WeChat, "", "勉县武侯镇人民政府", "镇(街道)", "勉县", "正在申请办理注销")
	pending.Lifecycle = audit.PendingClosure
	douyin := acct(9, "西乡文旅", "抖音", platforms.Douyin, "", "西乡县文化和旅游局", "县级部门", "西乡县", "正常运行")
	douyin.RawID = "https://v.douyin.com/xxxx"
	douyin.ID = ""

	return &audit.Result{
		CheckTime: *at(t, "2022-08-22 00:00:00"),
		Window:    audit.Window{D: 14 * 24 * time.Hour},
		Summary: audit.Summary{
			RegistryRows: 12, ClosedExcluded: 2, InScope: 10, PendingClosure: 1, Qualified: 4,
			Unqualified: 3, NeedsReview: 2, UnqualifiedRate: 3.0 / 10,
		},
		Accounts: []audit.Verdict{
			{
				Account: acct(2, "汉中发布", "微信订阅号", platforms.WeChat, "MzA5NjYxMjQ0Mg==", "汉中市人民政府办公室", "市级政府", "汉中市", "正常运行"),
				Status:  audit.Qualified, Problems: []string{}, LatestPostAt: at(t, "2022-08-21 17:30:00"),
				Source: "wechat-mp", Detail: "最近一条: 2022-08-21 17:30",
				Evidence: []audit.Evidence{{Source: "wechat-mp", PostAt: at(t, "2022-08-21 17:30:00"), PostID: "2247489012_1",
					Title: "汉中市2022年秋季开学工作部署会召开", FetchedAt: utc(t, "2022-08-23 01:15:02")}},
			},
			{
				Account: acct(3, "汉中秦巴生态保护", "微信订阅号", platforms.WeChat, "MzI0NTc4OTEyMw==", "汉中市林业局", "市级部门", "汉中市", "正常运行"),
				Status:  audit.Unqualified, Problems: []string{"监测时间点前2周内无更新"}, LatestPostAt: at(t, "2022-07-30 09:12:00"),
				Source: "wechat-mp", Detail: "最近一条: 2022-07-30 09:12",
				Evidence: []audit.Evidence{{Source: "wechat-mp", PostAt: at(t, "2022-07-30 09:12:00"), PostID: "2247483701_1",
					Title: "秦岭大熊猫栖息地巡护纪实", FetchedAt: utc(t, "2022-08-23 01:15:40")}},
			},
			{
				Account: acct(4, "汉中公安", "新浪微博", platforms.Weibo, "1234567890", "汉中市公安局", "市级部门", "汉中市", "正常运行"),
				Status:  audit.Unqualified, Problems: []string{"严重表述错误", "监测时间点前2周内无更新"},
				LatestPostAt: at(t, "2022-07-30 18:02:11"), Source: "weibo",
				Detail: "人工检查单项否决：严重表述错误；最近一条: 2022-07-30 18:02",
				Evidence: []audit.Evidence{
					{Source: "weibo", PostAt: at(t, "2022-07-30 18:02:11"), PostID: "4797123456789012",
						Title: "【警情通报】关于网传“汉台区发生抢劫”的情况说明", URL: "https://m.weibo.cn/detail/4797123456789012",
						FetchedAt: utc(t, "2022-08-23 01:16:05")},
					{Source: "manual", Title: "严重表述错误", Row: 3},
				},
			},
			{
				Account: acct(5, "汉中网警巡查执法", "其他+百度贴吧", platforms.Tieba, "汉中网警巡查执法", "汉中市公安局网安支队", "市直部门", "汉中市", "正常运行"),
				Status:  audit.Unqualified, Problems: []string{"监测时间点前2周内无更新"}, LatestPostAt: at(t, "2022-08-01 10:40:00"),
				Source: "tieba", Detail: "最近一条: 2022-08-01 10:40",
				Evidence: []audit.Evidence{{Source: "tieba", PostAt: at(t, "2022-08-01 10:40:00"), PostID: "8012345678",
					FetchedAt: utc(t, "2022-08-23 01:16:30")}},
			},
			{
				Account: acct(6, "留坝发布", "新浪微博", platforms.Weibo, "2345678901", "留坝县人民政府", "县区政府", "留坝县", "正常运行"),
				Status:  audit.Qualified, Problems: []string{}, LatestPostAt: at(t, "2022-08-10 14:20:00"),
				Source: "manual", Detail: "最近一条: 2022-08-10 14:20（人工观察）",
				Evidence: []audit.Evidence{
					{Source: "weibo", PostAt: at(t, "2022-08-08 23:59:59"), DayOnly: true, FetchedAt: utc(t, "2022-08-23 01:17:00")},
					{Source: "manual", PostAt: at(t, "2022-08-10 14:20:00"), Row: 2},
				},
			},
			{
				Account: pending,
				Status:  audit.PendingReview, Problems: []string{}, Detail: "运行状态：正在申请办理注销（不计入检查）",
			},
			{
				Account: acct(8, "勉县发布", "微信公众号", platforms.WeChat, "MzU1NTY2Nzc4OQ==", "勉县人民政府办公室", "县(区)政府", "勉县", "正常"),
				Status:  audit.Qualified, Problems: []string{}, LatestPostAt: at(t, "2022-08-20 08:00:00"),
				Source: "wechat-api", Detail: "最近一条: 2022-08-20 08:00",
				Evidence: []audit.Evidence{{Source: "wechat-api", PostAt: at(t, "2022-08-20 08:00:00"), DayOnly: true,
					FetchedAt: utc(t, "2022-08-23 01:17:30")}},
			},
			{
				Account: douyin,
				Status:  audit.NeedsReview, Problems: []string{}, Detail: audit.LabelUnsupported,
			},
			{
				Account: acct(10, "佛坪发布", "新浪微博", platforms.Weibo, "3456789012", "佛坪县人民政府", "", "佛坪县", "正常运行"),
				Status:  audit.NeedsReview, Problems: []string{},
				Detail: "平台返回空列表（“仅半年可见”）| 需人工核对",
				Evidence: []audit.Evidence{{Source: "weibo", Error: "empty list: posts may be hidden",
					FetchedAt: utc(t, "2022-08-23 01:18:00")}},
			},
			{
				Account: acct(11, "汉中经开区", "今日头条", platforms.Toutiao, "", "汉中经济技术开发区管委会", "开发区", "汉中市", "正常运行"),
				Status:  audit.Qualified, Problems: []string{}, LatestPostAt: at(t, "2022-08-19 16:45:00"),
				Source: "manual", Detail: "最近一条: 2022-08-19 16:45（人工观察）",
				Evidence: []audit.Evidence{{Source: "manual", PostAt: at(t, "2022-08-19 16:45:00"), Row: 4}},
			},
		},
		Unregistered: []audit.Unregistered{{Name: "汉台融媒", Type: "抖音", Owner: "汉中市汉台区融媒体中心", Row: 12}},
		Duplicates:   []audit.Duplicate{{Name: "汉中公安", Type: "新浪微博", Rows: []int{4, 13}}},
		Warnings: []audit.Warning{{Name: "留坝发布", Type: "新浪微博", Owner: "留坝县人民政府",
			LatestPostAt: *at(t, "2022-08-10 14:20:00"), DaysSincePost: 11}},
	}
}

// fixtureReconciliation compares a county's list with the registry: a clean match, a status
// mismatch, an owner mismatch, a list row the registry lacks and a registry row the list lacks.
func fixtureReconciliation() *audit.Reconciliation {
	none := []audit.Difference{}
	clean := audit.ReconcileEntry{Name: "勉县发布", Type: "微信公众号", Owner: "勉县人民政府办公室", Platform: "wechat",
		RegistryRow: 2, ListRow: 2, RegistryStatus: "正常运行", ListStatus: "正常", Differences: none}
	status := audit.ReconcileEntry{Name: "武侯镇便民服务", Type: "微信公众号", Owner: "勉县武侯镇人民政府", Platform: "wechat",
		RegistryRow: 5, ListRow: 3, RegistryStatus: "正常运行", ListStatus: "已注销",
		Differences: []audit.Difference{{Field: "status", Registry: "正常运行", List: "已注销"}}}
	owner := audit.ReconcileEntry{Name: "勉县市场监管", Type: "新浪微博", Owner: "勉县市场监督管理局", Platform: "weibo",
		RegistryRow: 7, ListRow: 4, RegistryStatus: "正常运行", ListStatus: "正常运行",
		Differences: []audit.Difference{{Field: "owner", Registry: "勉县市场监督管理局", List: "勉县市场监管局|综合执法"}}}
	return &audit.Reconciliation{
		Registry: "registry-2022q3.xlsx",
		List:     "勉县政务新媒体清单.xlsx",
		Summary: audit.ReconcileSummary{RegistryRows: 5, ListRows: 4, Matched: 3, Unregistered: 1,
			MissingFromList: 1, StatusMismatch: 1, FieldMismatch: 1},
		Matched: []audit.ReconcileEntry{clean, status, owner},
		Unregistered: []audit.ReconcileEntry{{Name: "勉县融媒", Type: "抖音", Owner: "勉县融媒体中心", Platform: "douyin",
			ListRow: 5, ListStatus: "正常", Differences: none}},
		MissingFromList: []audit.ReconcileEntry{{Name: "勉县教育", Type: "新浪微博", Owner: "勉县教育体育局", Platform: "weibo",
			RegistryRow: 9, RegistryStatus: "正常运行", Differences: none}},
		StatusMismatch: []audit.ReconcileEntry{status},
		FieldMismatch:  []audit.ReconcileEntry{owner},
	}
}

func renderCheck(t testing.TB, format string, r *audit.Result, opt Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Check(&b, format, r, opt); err != nil {
		t.Fatalf("Check(%s): %v", format, err)
	}
	return b.Bytes()
}

func renderReconcile(t testing.TB, format string, r *audit.Reconciliation) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Reconcile(&b, format, r, Options{}); err != nil {
		t.Fatalf("Reconcile(%s): %v", format, err)
	}
	return b.Bytes()
}

func TestGolden(t *testing.T) {
	for _, format := range []string{"table", "json", "csv", "md"} {
		t.Run("check_"+format, func(t *testing.T) {
			golden(t, "check_"+format+".golden", renderCheck(t, format, fixtureResult(t), testOptions(t)))
		})
		t.Run("reconcile_"+format, func(t *testing.T) {
			golden(t, "reconcile_"+format+".golden", renderReconcile(t, format, fixtureReconciliation()))
		})
	}
}
