package main

import (
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/platforms"
)

var updateDemo = flag.Bool("update-demo", false, "re-record testdata/demo (recordings and the filled worksheet) from the demo's fake platforms")

const demoDir = "../../testdata/demo"

// The demo (`make demo`, testdata/demo/demo.sh) is the loop a district finishes a quarter with
// after the 2026 closure of the 公众平台's article lists:
//
//  1. check: every account of the demo district, Weibo through a visitor cookie (no set-up),
//     Tieba through its client API, WeChat through the 公众平台 — which answers the closure —
//     each answer replayed from testdata/demo/recording;
//  2. review: the 人工核对 worksheet of the accounts left 待核查;
//  3. the worksheet as the inspector filled it (testdata/demo/核对表-已填写.xlsx): article links
//     for most WeChat accounts, a typed time for one, a link to the wrong account for another;
//  4. recheck with that worksheet, every link read and checked against its account, replayed
//     from testdata/demo/recheck-recording.

// demoCheckArgs and demoRecheckArgs are what demo.sh runs (paths relative to this package).
func demoCheckArgs(extra ...string) []string {
	return append([]string{"check", "--registry", demoDir + "/registry.xlsx", "--replay", demoDir + "/recording",
		"--observations", demoDir + "/manual.csv", "--findings", demoDir + "/findings.csv", "--concurrency", "1"}, extra...)
}

func demoRecheckArgs(run string, extra ...string) []string {
	return append([]string{"recheck", run, "--replay", demoDir + "/recheck-recording",
		"--observations", demoDir + "/核对表-已填写.xlsx", "--findings", demoDir + "/findings.csv", "--concurrency", "1"}, extra...)
}

// demoToken is the short-link token of an account's newest article.
func demoToken(a audit.Account) string { return "DemoArt" + strings.TrimRight(a.ID, "=") + "01" }

// demoServer plays the demo district's accounts: each account's newest post is the time in the
// demo observations, behind an old pinned post; two accounts show what a blocked platform looks
// like (a login wall, a hidden list); the 公众平台 answers 200013 to every article list, as it
// has since 2026-07-30, while every article page is public.
func demoServer(t *testing.T) *httptest.Server {
	t.Helper()
	reg, err := audit.LoadRegistry(demoDir+"/registry.xlsx", audit.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	obs, err := audit.LoadObservations(demoDir+"/observations.csv", audit.LoadOptions{}, loc)
	if err != nil {
		t.Fatal(err)
	}
	latest := map[string]time.Time{}
	for _, o := range obs {
		t := o.Time
		if o.DayOnly {
			t = t.Add(10 * time.Hour)
		}
		latest[o.Name] = t
	}
	byID := map[string]audit.Account{}
	for _, a := range reg.Accounts {
		byID[a.ID] = a
	}
	old := e2eT.Add(-500 * day)
	visitors := 0
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Date", e2eT.Add(2*day+9*time.Hour).UTC().Format(http.TimeFormat))
		switch {
		case r.URL.Path == "/visitor/genvisitor2":
			visitors++
			w.Header().Set("Content-Type", "application/javascript")
			fmt.Fprintf(w, `window.visitor_gray_callback && visitor_gray_callback({"retcode":20000000,"msg":"succ","data":{"sub":"_2AkMdemoVisitor%02dSUB","subp":"0033WrSXqPxfM72-demo%02d","tid":"demotid"}});`, visitors, visitors)
		case r.URL.Path == "/api/container/getIndex":
			a := byID[r.Form.Get("value")]
			if a.Name == "勉县司法" {
				fmt.Fprint(w, `{"ok":-100,"url":"https://passport.weibo.com/sso/signin"}`)
				return
			}
			fmt.Fprint(w, wbPage("", wbPost{at: old, pinned: true}, wbPost{at: latest[a.Name]}, wbPost{at: latest[a.Name].Add(-3 * day)}))
		case r.URL.Path == "/i/sys/user_json":
			un := r.Form.Get("un")
			fmt.Fprintf(w, `{"creator":{"id":%d,"name":%q,"portrait":"tb.1.demo"}}`, 3000+len(un), un)
		case r.URL.Path == "/c/u/feed/userpost":
			uid := r.Form.Get("uid")
			for _, a := range reg.Accounts {
				if a.Platform == platforms.Tieba && fmt.Sprint(3000+len(a.ID)) == uid {
					if a.Name == "龙江镇" {
						fmt.Fprint(w, `{"error_code":"0","hide_post":"1","post_list":[]}`)
						return
					}
					fmt.Fprintf(w, `{"error_code":"0","hide_post":"0","post_list":[{"create_time":"%d","post_id":"77","title":"工作动态"}]}`, latest[a.Name].Unix())
					return
				}
			}
			fmt.Fprint(w, `{"error_code":"1","error_msg":"用户不存在"}`)
		case r.URL.Path == "/cgi-bin/appmsgpublish":
			fmt.Fprint(w, `{"base_resp":{"ret":200013,"err_msg":"freq control"}}`)
		case strings.HasPrefix(r.URL.Path, "/s/"):
			for _, a := range reg.Accounts {
				if a.Platform == platforms.WeChat && r.URL.Path == "/s/"+demoToken(a) {
					w.Header().Set("Content-Type", "text/html; charset=utf-8")
					uin, _ := base64.StdEncoding.DecodeString(a.ID)
					fmt.Fprintf(w, demoArticle, a.Name+"工作动态", a.Name, a.Name, latest[a.Name].Unix(),
						latest[a.Name].Format("2006-01-02"), a.ID, string(uin))
					return
				}
			}
			http.NotFound(w, r)
		default:
			http.NotFound(w, r)
		}
	}))
}

// demoArticle is an article page with the variables platforms.md names, inside the inline
// script a real page carries them in.
const demoArticle = `<!DOCTYPE html><html><head><meta charset="utf-8"><meta property="og:title" content="%s" />
<script nonce="1">var svr_time = "1661166000" * 1;</script></head>
<body><div id="js_article"><a id="js_name" href="javascript:void(0);">%s</a><div id="js_content"><p>正文</p></div></div>
<script nonce="1" type="text/javascript">
    var real_item_show_type = "0";
    var nickname = htmlDecode("%s");
    var ct = "%d";
    var publish_time = "%s" || "";
    var biz = "%s" || "";
    var user_name = "gh_demo%s";
</script></body></html>`

// fillDemoWorksheet fills the worksheet the way the inspector did.
func fillDemoWorksheet(t *testing.T, from, to string, reg *audit.Registry) {
	t.Helper()
	f, err := excelize.OpenFile(from)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := f.GetRows("人工核对")
	byName := map[string]audit.Account{}
	for _, a := range reg.Accounts {
		byName[a.Name] = a
	}
	for i, r := range rows[1:] {
		n := strconv.Itoa(i + 2)
		a := byName[r[1]]
		if a.Name == "城固卫健" {
			// 复核 before the notice names it: still nothing since 08-05 on 今日头条.
			f.SetCellStr("人工核对", "I"+n, "2022-08-05 10:00")
		}
		if a.Platform != platforms.WeChat {
			continue
		}
		switch a.Name {
		case "汉中秦巴生态保护":
			// Found by hand in the account's history: a date only.
			f.SetCellStr("人工核对", "I"+n, "2022-07-26")
			f.SetCellStr("人工核对", "M"+n, "历史消息中最近一条")
		case "南郑教体":
			// Pasted the wrong account's link: the re-check must void the row.
			f.SetCellStr("人工核对", "J"+n, "https://mp.weixin.qq.com/s/"+demoToken(byName["汉中教育"]))
			f.SetCellStr("人工核对", "I"+n, "2022-08-18 11:11")
		default:
			f.SetCellStr("人工核对", "J"+n, "https://mp.weixin.qq.com/s/"+demoToken(a))
		}
		f.SetCellStr("人工核对", "K"+n, "王核查")
		f.SetCellStr("人工核对", "L"+n, "2022-08-24 10:00")
	}
	if err := f.SaveAs(to); err != nil {
		t.Fatal(err)
	}
}

// TestDemo checks what `make demo` shows: the scan with the 公众平台 closed, the worksheet, and
// the re-check with the filled worksheet, all replayed from the bundled recordings.
func TestDemo(t *testing.T) {
	rec, recheckRec := demoDir+"/recording", demoDir+"/recheck-recording"
	filled := demoDir + "/核对表-已填写.xlsx"
	if *updateDemo {
		srv := demoServer(t)
		defer srv.Close()
		platformEnv(t, srv.URL, false)
		t.Setenv("NMAUDIT_PLATFORMS_WECHAT_MP_TOKEN", "demo-token")
		t.Setenv("NMAUDIT_PLATFORMS_WECHAT_MP_COOKIE", "demo-cookie")
		os.RemoveAll(rec)
		os.RemoveAll(recheckRec)
		args := []string{"check", "--registry", demoDir + "/registry.xlsx", "--at", "2022-08-22", "--record", rec,
			"--observations", demoDir + "/manual.csv", "--findings", demoDir + "/findings.csv", "--concurrency", "1", "--format", "json"}
		code, out, errOut := run(t, "", args...)
		if code != 0 {
			t.Fatalf("recording the demo: %d %s", code, errOut)
		}
		var doc struct {
			RunID string `json:"run_id"`
		}
		json.Unmarshal([]byte(out), &doc)
		sheet := filepath.Join(t.TempDir(), "核对表.xlsx")
		if code, _, errOut := run(t, "", "review", doc.RunID, "-o", sheet, "--include-unqualified"); code != 0 {
			t.Fatalf("review: %d %s", code, errOut)
		}
		reg, _ := audit.LoadRegistry(demoDir+"/registry.xlsx", audit.LoadOptions{})
		fillDemoWorksheet(t, sheet, filled, reg)
		args = []string{"recheck", doc.RunID, "--at", "2022-08-22", "--record", recheckRec, "--observations", filled,
			"--findings", demoDir + "/findings.csv", "--concurrency", "1", "--format", "json"}
		if code, _, errOut := run(t, "", args...); code != 0 {
			t.Fatalf("recording the re-check: %d %s", code, errOut)
		}
		// Evidence files name the test server's port; the demo replays against the defaults.
		for _, dir := range []string{rec, recheckRec} {
			files, _ := filepath.Glob(dir + "/*.json")
			for _, f := range files {
				b, _ := os.ReadFile(f)
				os.WriteFile(f, []byte(strings.ReplaceAll(string(b), strings.TrimPrefix(srv.URL, "http://"), "demo.invalid")), 0o644)
			}
		}
	}

	// 1. The scan.
	code, out, errOut := run(t, "", demoCheckArgs("--format", "json")...)
	if code != 0 {
		t.Fatalf("demo check: exit %d: %s", code, errOut)
	}
	var doc checkDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	var first struct {
		RunID string `json:"run_id"`
	}
	json.Unmarshal([]byte(out), &first)
	want := map[string]string{
		"汉中公安": "不合格", "汉中网警巡查执法": "不合格", "汉中水利": "不合格", "城固卫健": "不合格",
		"汉中市人民政府": "合格", "勉县发布": "合格", "洋县融媒": "合格", "城固发布": "合格",
		"汉中发布": "待核查", "汉中秦巴生态保护": "待核查", "勉县司法": "待核查", "龙江镇": "待核查", "汉中文旅": "待核查",
		"汉中住建": "注销中",
	}
	checkResults(t, "check", doc, want)
	for _, s := range []string{"不再提供他人账号的文章列表", "检查说明", "微博接口", "nmaudit review " + first.RunID} {
		if !strings.Contains(errOut, s) {
			t.Errorf("the scan's stderr lacks %q:\n%s", s, errOut)
		}
	}

	// 2. The worksheet.
	sheet := filepath.Join(t.TempDir(), "核对表.xlsx")
	if code, _, errOut := run(t, "", "review", first.RunID, "-o", sheet, "--include-unqualified"); code != 0 {
		t.Fatalf("review: %d %s", code, errOut)
	}
	f, err := excelize.OpenFile(sheet)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows("人工核对")
	f.Close()
	if len(rows) < 10 {
		t.Errorf("worksheet has %d rows", len(rows))
	}

	// 3–4. The re-check with the filled worksheet.
	code, out, errOut = run(t, "", demoRecheckArgs(first.RunID, "--format", "json")...)
	if code != 0 {
		t.Fatalf("demo recheck: exit %d: %s", code, errOut)
	}
	doc = checkDoc{}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	checkResults(t, "recheck", doc, map[string]string{
		"汉中发布": "合格", "汉台发布": "合格", "健康汉中": "合格", "铺镇发布": "合格",
		"汉中秦巴生态保护": "不合格", "汉中公安": "不合格", "汉中网警巡查执法": "不合格", "汉中水利": "不合格",
		"南郑教体": "待核查", "勉县司法": "待核查", "龙江镇": "待核查", "城固卫健": "不合格",
	})
	for _, a := range doc.Accounts {
		if strings.Contains(a.Detail, "回放记录中没有") {
			t.Errorf("%s: the replay asked what the recording did not: %s", a.Name, a.Detail)
		}
	}
	for _, a := range doc.Accounts {
		if a.Name == "汉中发布" && a.Source != platforms.SourceWeChatArticle {
			t.Errorf("汉中发布 decided from %q, want the verified article link", a.Source)
		}
	}
	if !strings.Contains(errOut, "核对表-已填写.xlsx 第") || !strings.Contains(errOut, "作废") {
		t.Errorf("no notice naming the worksheet row of the wrong link:\n%s", errOut)
	}
}

func checkResults(t *testing.T, what string, doc checkDoc, want map[string]string) {
	t.Helper()
	for _, a := range doc.Accounts {
		if w, ok := want[a.Name]; ok {
			if a.Result != w {
				t.Errorf("%s: %s: %s (%s), want %s", what, a.Name, a.Result, a.Detail, w)
			}
			delete(want, a.Name)
		}
	}
	if len(want) != 0 {
		t.Errorf("%s: accounts missing: %v", what, want)
	}
}
