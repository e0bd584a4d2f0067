package audit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nmaudit/nmaudit/audit/sheet/sheettest"
	"github.com/nmaudit/nmaudit/platforms"
)

func loadSample(t *testing.T, rows [][]string) *Registry {
	t.Helper()
	path := filepath.Join(t.TempDir(), "reg.csv")
	if err := sheettest.WriteCSV(path, rows, "utf-8"); err != nil {
		t.Fatal(err)
	}
	reg, err := LoadRegistry(path, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func TestBuildScopeWholeRegistry(t *testing.T) {
	reg := loadSample(t, sampleRows())
	s := BuildScope(reg, nil, "")
	if s.RegistryRows != 7 || s.ClosedExcluded != 1 || len(s.Accounts) != 6 {
		t.Errorf("scope = rows %d closed %d in %d", s.RegistryRows, s.ClosedExcluded, len(s.Accounts))
	}
	for _, a := range s.Accounts {
		if a.Lifecycle == Closed {
			t.Errorf("closed account in scope: %s", a.Name)
		}
	}
}

func TestBuildScopeTargets(t *testing.T) {
	reg := loadSample(t, sampleRows())
	targets := []Account{
		{Row: 2, Name: "漢中公安", Type: "微博", Platform: platforms.Weibo},                                                            // traditional, matched by name
		{Row: 3, Name: "秦巴生态", Type: "微信公众号", Platform: platforms.WeChat, IDKind: platforms.IDWeChatBiz, ID: "MzA5NjYxMjQ0Mg=="}, // by id
		{Row: 4, Name: "「汉中 商务」", Type: "新浪微博", Platform: platforms.Weibo},                                                       // closed
		{Row: 5, Name: "汉中公安", Type: "抖音", Platform: platforms.Douyin},                                                           // other platform: not registered
		{Row: 6, Name: "汉中公安", Type: "新浪微博", Platform: platforms.Weibo},                                                          // same account again
	}
	s := BuildScope(reg, targets, "list.xlsx")
	if len(s.Accounts) != 2 || s.Accounts[0].Name != "汉中公安" || s.Accounts[1].Name != "汉中秦巴生态保护" {
		t.Fatalf("in scope = %+v", s.Accounts)
	}
	if s.ClosedExcluded != 1 {
		t.Errorf("closed = %d", s.ClosedExcluded)
	}
	if len(s.Unregistered) != 1 || s.Unregistered[0].Row != 5 || s.Unregistered[0].Type != "抖音" {
		t.Errorf("unregistered = %+v", s.Unregistered)
	}
	if len(s.Notices) == 0 || !strings.Contains(strings.Join(s.Notices, "\n"), "第6行与第2行") {
		t.Errorf("duplicate target row not noticed: %v", s.Notices)
	}
}

func TestFindDuplicates(t *testing.T) {
	rows := append(sampleRows(),
		[]string{"8", "汉中 公安", "微博", "汉中市公安局", "", "", "", "", "正常运行"},            // same name after normalisation
		[]string{"9", "公安汉中", "新浪微博", "汉中市公安局", "", "", "", "1234567890", "正常运行"}, // same uid
		[]string{"10", "汉中公安", "微信公众号", "汉中市公安局", "", "", "", "", "正常运行"},         // another platform: fine
		[]string{"11", "汉中商务", "新浪微博", "汉中市商务局", "", "", "", "", "正常运行"},          // re-registered after closure: fine
	)
	d := FindDuplicates(loadSample(t, rows).Accounts)
	if len(d) != 1 || d[0].Name != "汉中公安" || len(d[0].Rows) != 3 || d[0].Rows[0] != 2 || d[0].Rows[1] != 9 || d[0].Rows[2] != 10 {
		t.Errorf("duplicates = %+v", d)
	}
}

func TestReconcile(t *testing.T) {
	reg := loadSample(t, sampleRows())
	list := []Account{
		{Row: 2, Name: "漢中公安", Type: "新浪微博", Platform: platforms.Weibo, Owner: "汉中市公安局", RegistryStatus: "已注销", Lifecycle: Closed},
		{Row: 3, Name: "汉中秦巴生态保护", Type: "微信订阅号", Platform: platforms.WeChat, Owner: "汉中市林业局", RegistryStatus: "正常运行", Lifecycle: Active},
		{Row: 4, Name: "汉中商务", Type: "新浪微博", Platform: platforms.Weibo, Owner: "汉中市商务局", RegistryStatus: "正常运行", Lifecycle: Active},
		{Row: 5, Name: "汉中网警巡查执法", Type: "百度贴吧", Platform: platforms.Tieba, Owner: "汉中市公安局", RegistryStatus: "", Lifecycle: ""},
		{Row: 6, Name: "汉中发布", Type: "微信公众号", Platform: platforms.WeChat, Owner: "汉中市政府办"},
	}
	rc := Reconcile(reg, list, "list.xlsx")
	s := rc.Summary
	if s.RegistryRows != 7 || s.ListRows != 5 || s.Matched != 4 || s.Unregistered != 1 || s.StatusMismatch != 2 || s.FieldMismatch != 1 {
		t.Fatalf("summary = %+v", s)
	}
	// Registry rows that are not closed and not in the list: 汉中住建 (pending), 汉中文旅, 汉中城管.
	if s.MissingFromList != 3 {
		t.Errorf("missing = %+v", rc.MissingFromList)
	}
	if e := rc.StatusMismatch[0]; e.Name != "汉中公安" || e.RegistryRow != 2 || e.ListRow != 2 || e.Differences[0].Field != "status" {
		t.Errorf("status mismatch = %+v", e)
	}
	if e := rc.StatusMismatch[1]; e.Name != "汉中商务" || e.Differences[0].Registry != "已注销" || e.Differences[0].List != "正常运行" {
		t.Errorf("reverse status mismatch = %+v", e)
	}
	if e := rc.FieldMismatch[0]; e.Name != "汉中网警巡查执法" || len(e.Differences) != 1 || e.Differences[0].Field != "owner" {
		t.Errorf("field mismatch = %+v", e)
	}
	if rc.Matched[0].Name != "汉中公安" || len(rc.Matched[1].Differences) != 0 {
		t.Errorf("a name matching only after normalisation is not a difference: %+v", rc.Matched[1])
	}
}

// FuzzLoadRegistry feeds arbitrary CSV bytes through the whole registry reader: it must never
// panic, and every failure must be an input error naming the file.
func FuzzLoadRegistry(f *testing.F) {
	f.Add([]byte("账号名称,账号类型,开设主体,运行状态\n汉中公安,新浪微博,汉中市公安局,正常运行\n"))
	f.Add([]byte("\xef\xbb\xbf账号名称,账号类型,开设主体,运行状态,账号ID\n汉中发布,微信公众号,汉中市政府办,注销中,MzA5NjYxMjQ0Mg==\n"))
	f.Add([]byte("\xd5\xcb\xba\xc5\xc3\xfb\xb3\xc6,\xc0\xe0\xd0\xcd\n"))
	f.Add([]byte("名称,类型,主办单位,状态\n\"a\nb\",其他+百度贴吧,x,已注销\n,,,\n"))
	f.Add([]byte("名称,类型,主办单位,状态\na,微博,x,未知\n"))
	f.Add([]byte("名称,类型,主办单位,状态,主页地址\na,微博,x,正常,https://weibo.com/u/\n"))
	f.Add([]byte{0xff, 0xfe, '\xe6', 0x8d, 0x09, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "reg.csv")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		reg, err := LoadRegistry(path, LoadOptions{})
		if err != nil {
			if !strings.Contains(err.Error(), "reg.csv") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, a := range reg.Accounts {
			if a.Name == "" || a.Type == "" || a.Owner == "" || a.Lifecycle == "" {
				t.Fatalf("accepted an incomplete row: %+v", a)
			}
		}
		BuildScope(reg, nil, "")
	})
}
