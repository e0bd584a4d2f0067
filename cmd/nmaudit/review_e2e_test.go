package main

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/nmaudit/nmaudit/platforms"
	"github.com/nmaudit/nmaudit/platforms/platformsim"
)

// TestWorksheetRoundTrip is the loop a district finishes its WeChat accounts with after the
// 公众平台 closure: one scan (every WeChat account 待核查), one worksheet, filled the way Excel and
// WPS write cells (a date cell, a text date, links pasted as text), one re-check whose report
// says what each verdict rests on — every link checked against its account.
func TestWorksheetRoundTrip(t *testing.T) {
	sim := platformsim.Start(platformsim.Options{Seed: 31, Accounts: 18, WeChatClosed: true})
	defer sim.Close()
	freshInstallEnv(t, sim.URL)
	dir := t.TempDir()
	reg := filepath.Join(dir, "registry.xlsx")
	simRegistry(t, reg, sim)

	code, out, errOut := run(t, "", "check", "--registry", reg, "--at", "2022-08-22", "--format", "json", "-q", "--concurrency", "1")
	if code != 0 {
		t.Fatalf("check: exit %d: %s", code, errOut)
	}
	var first simRun
	if err := json.Unmarshal([]byte(out), &first); err != nil {
		t.Fatal(err)
	}
	sheet := filepath.Join(dir, "核对表.xlsx")
	code, _, errOut = run(t, "", "review", first.RunID, "-o", sheet)
	if code != 0 {
		t.Fatalf("review: exit %d: %s", code, errOut)
	}

	// Fill the worksheet as the inspector would.
	var wechat []platformsim.Account
	for _, a := range sim.Accounts() {
		if a.Platform == platforms.WeChat {
			wechat = append(wechat, a)
		}
	}
	if len(wechat) != 6 || wechat[4].Fresh {
		t.Fatalf("simulator accounts changed: %+v", wechat)
	}
	f, err := excelize.OpenFile(sheet)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows("人工核对")
	rowOf := map[string]int{}
	for i, r := range rows[1:] {
		rowOf[r[1]] = i + 2
	}
	cell := func(col string, a platformsim.Account) string {
		n, ok := rowOf[a.Name]
		if !ok {
			t.Fatalf("%s is not in the worksheet", a.Name)
		}
		return col + strconv.Itoa(n)
	}
	dateStyle, _ := f.NewStyle(&excelize.Style{CustomNumFmt: ptrS("yyyy-mm-dd hh:mm")})
	// 0: the newest article's link, pasted as text, nothing typed.
	f.SetCellStr("人工核对", cell("J", wechat[0]), sim.ArticleLinks(wechat[0])[0])
	f.SetCellStr("人工核对", cell("K", wechat[0]), "张三")
	// 1: a date cell, as Excel stores a typed date-time (a serial number with a date format).
	f.SetCellValue("人工核对", cell("I", wechat[1]), wechat[1].Latest.Truncate(60e9).In(e2eT.Location()))
	f.SetCellStyle("人工核对", cell("I", wechat[1]), cell("I", wechat[1]), dateStyle)
	// 2: a text date, as WPS keeps what it does not recognise.
	f.SetCellStr("人工核对", cell("I", wechat[2]), wechat[2].Latest.In(e2eT.Location()).Format("2006/1/2 15:04"))
	// 3: the link of another account's article (and a typed time, which the link voids).
	f.SetCellStr("人工核对", cell("J", wechat[3]), sim.ArticleLinks(wechat[0])[0])
	f.SetCellStr("人工核对", cell("I", wechat[3]), "2022-08-20 09:00")
	// 4 (stale): its newest article's link and its time typed: the link proves a post before
	// the window, the typed time makes it definitive.
	f.SetCellStr("人工核对", cell("J", wechat[4]), sim.ArticleLinks(wechat[4])[0])
	f.SetCellStr("人工核对", cell("I", wechat[4]), wechat[4].Latest.In(e2eT.Location()).Format("2006-01-02 15:04:05"))
	// 5: left blank: skipped, still 待核查.
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	code, out, errOut = run(t, "", "recheck", first.RunID, "--observations", sheet, "--at", "2022-08-22", "--format", "json", "-q", "--concurrency", "1")
	if code != 0 {
		t.Fatalf("recheck: exit %d: %s", code, errOut)
	}
	var second simRun
	if err := json.Unmarshal([]byte(out), &second); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	got := map[string]string{}
	for _, a := range second.Accounts {
		got[a.Name] = a.Status + " " + a.Source
	}
	want := map[string]string{
		wechat[0].Name: "qualified wechat-article",
		wechat[1].Name: "qualified manual",
		wechat[2].Name: "qualified manual",
		wechat[3].Name: "needs_review ",
		wechat[4].Name: "unqualified wechat-article", // the typed time proves absence; the link, as new, names the post
		wechat[5].Name: "needs_review ",
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: %q, want %q", name, got[name], w)
		}
	}
	if !strings.Contains(errOut, "核对表.xlsx 第"+strconv.Itoa(rowOf[wechat[3].Name])+"行") || !strings.Contains(errOut, "作废") {
		t.Errorf("no notice naming the worksheet row whose link belongs to another account:\n%s", errOut)
	}
	if !strings.Contains(out, `"identity"`) || !strings.Contains(out, `"link": "`+sim.ArticleLinks(wechat[0])[0]) {
		t.Errorf("the verified link is not in the evidence:\n%s", out)
	}
}

func ptrS(s string) *string { return &s }
