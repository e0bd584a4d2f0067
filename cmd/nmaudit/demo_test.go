package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/platforms"
)

var updateDemo = flag.Bool("update-demo", false, "re-record testdata/demo/recording from the demo's fake platforms")

const demoDir = "../../testdata/demo"

// demoArgs is what `make demo` runs (paths relative to this package).
func demoArgs(extra ...string) []string {
	return append([]string{"check", "--registry", demoDir + "/registry.xlsx", "--replay", demoDir + "/recording",
		"--observations", demoDir + "/manual.csv", "--findings", demoDir + "/findings.csv"}, extra...)
}

// demoServer plays the demo district's accounts on Weibo, Tieba and the WeChat backend: each
// account's newest post is the time in the demo observations, behind an old pinned post, and
// two accounts show what a blocked platform looks like (a login wall, a hidden list).
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
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Date", e2eT.Add(2*day+9*time.Hour).UTC().Format(http.TimeFormat))
		switch r.URL.Path {
		case "/api/container/getIndex":
			a := byID[r.Form.Get("value")]
			if a.Name == "勉县司法" {
				fmt.Fprint(w, `{"ok":-100,"url":"https://passport.weibo.com/sso/signin"}`)
				return
			}
			fmt.Fprint(w, wbPage("", wbPost{at: old, pinned: true}, wbPost{at: latest[a.Name]}, wbPost{at: latest[a.Name].Add(-3 * day)}))
		case "/i/sys/user_json":
			un := r.Form.Get("un")
			fmt.Fprintf(w, `{"creator":{"id":%d,"name":%q,"portrait":"tb.1.demo"}}`, 3000+len(un), un)
		case "/c/u/feed/userpost":
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
		case "/cgi-bin/appmsgpublish":
			a := byID[r.Form.Get("fakeid")]
			at := latest[a.Name]
			info := fmt.Sprintf(`{"type":9,"msgid":%d,"sent_info":{"time":%d},"appmsgex":[{"aid":"%d_1","title":"%s工作动态","create_time":%d}]}`, at.Unix(), at.Unix(), at.Unix(), a.Name, at.Unix())
			b, _ := json.Marshal(info)
			pp := fmt.Sprintf(`{"total_count":30,"publish_count":30,"publish_list":[{"publish_type":101,"publish_info":%s}]}`, b)
			pb, _ := json.Marshal(pp)
			fmt.Fprintf(w, `{"base_resp":{"ret":0,"err_msg":"ok"},"publish_page":%s}`, pb)
		default:
			http.NotFound(w, r)
		}
	}))
}

// TestDemo checks what `make demo` prints: the demo district replayed from its bundled
// recording gives the seed's three unqualified accounts plus the demo's own cases.
func TestDemo(t *testing.T) {
	rec := demoDir + "/recording"
	if *updateDemo {
		srv := demoServer(t)
		defer srv.Close()
		platformEnv(t, srv.URL, false)
		t.Setenv("NMAUDIT_PLATFORMS_WECHAT_MP_TOKEN", "demo-token")
		t.Setenv("NMAUDIT_PLATFORMS_WECHAT_MP_COOKIE", "demo-cookie")
		os.RemoveAll(rec)
		args := []string{"check", "--registry", demoDir + "/registry.xlsx", "--at", "2022-08-22", "--record", rec, "--format", "json"}
		if code, _, errOut := run(t, "", args...); code != 0 {
			t.Fatalf("recording the demo: %d %s", code, errOut)
		}
		// Evidence files name the test server's port; the demo replays against the defaults.
		files, _ := filepath.Glob(rec + "/*.json")
		for _, f := range files {
			b, _ := os.ReadFile(f)
			os.WriteFile(f, []byte(strings.ReplaceAll(string(b), strings.TrimPrefix(srv.URL, "http://"), "demo.invalid")), 0o644)
		}
	}
	code, out, errOut := run(t, "", demoArgs("--format", "json")...)
	if code != 0 {
		t.Fatalf("demo: exit %d: %s", code, errOut)
	}
	var doc checkDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"汉中公安": "不合格", "汉中秦巴生态保护": "不合格", "汉中网警巡查执法": "不合格", "汉中水利": "不合格", "城固卫健": "不合格",
		"汉中发布": "合格", "汉中市人民政府": "合格", "勉县发布": "合格", "洋县融媒": "合格",
		"勉县司法": "待核查", "龙江镇": "待核查", "汉中文旅": "待核查", "汉中住建": "注销中",
	}
	for _, a := range doc.Accounts {
		if w, ok := want[a.Name]; ok {
			if a.Result != w {
				t.Errorf("%s: %s (%s), want %s", a.Name, a.Result, a.Detail, w)
			}
			delete(want, a.Name)
		}
	}
	if len(want) != 0 {
		t.Errorf("accounts missing from the demo: %v", want)
	}
	if s := doc.Summary; s["registry_rows"] != 32 || s["closed_excluded"] != 2 || s["unqualified"] != 5 || s["needs_review"] != 3 {
		t.Errorf("summary = %v", s)
	}
}
