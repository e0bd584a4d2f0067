package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/audit/sheet/sheettest"
)

// The check time every end-to-end test uses (the seed report's).
var e2eT = time.Date(2022, 8, 22, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))

const day = 24 * time.Hour

// Secrets configured for the end-to-end runs; the fake platforms echo some of them back in
// error bodies, the way a careless server might, and none may reach any output.
const (
	secretCookie   = "SUB=_2A25SECRETWEIBOCOOKIE9f3; SUBP=0033SECRETSUBP"
	secretBDUSS    = "BDUSS-SECRET-0123456789abcdef"
	secretMPToken  = "987654321"
	secretMPCookie = "slave_sid=SECRETSLAVESID42; data_ticket=SECRETTICKET"
)

// wbPost is one post on a fake Weibo page.
type wbPost struct {
	at     time.Time
	pinned bool
	repost *time.Time // the reposted original's time
}

func wbPage(sinceID string, posts ...wbPost) string {
	var cards []string
	for i, p := range posts {
		m := fmt.Sprintf(`"created_at":%q,"id":"48%014d","text":"第%d条"`, p.at.Format(time.RubyDate), p.at.Unix(), i)
		if p.pinned {
			m += `,"isTop":1,"mblogtype":2,"title":{"text":"置顶","base_color":1}`
		}
		if p.repost != nil {
			m += fmt.Sprintf(`,"retweeted_status":{"created_at":%q,"id":"1"}`, p.repost.Format(time.RubyDate))
		}
		cards = append(cards, `{"card_type":9,"mblog":{`+m+`}}`)
	}
	return fmt.Sprintf(`{"ok":1,"data":{"cardlistInfo":{"containerid":"107603x","since_id":%q},"cards":[%s]}}`, sinceID, strings.Join(cards, ","))
}

// fakePlatforms serves Weibo, Tieba and the WeChat backend on one server, each account playing
// one behaviour from platforms.md. hits counts requests per account key.
type fakePlatforms struct {
	mu   sync.Mutex
	hits map[string]int
}

func (f *fakePlatforms) hit(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hits[key]++
	return f.hits[key]
}

func (f *fakePlatforms) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	w.Header().Set("Content-Type", "text/html; charset=utf-8") // as Chinese sites send JSON
	w.Header().Set("Date", e2eT.Add(3*day).UTC().Format(http.TimeFormat))
	at := func(d time.Duration) time.Time { return e2eT.Add(d) }
	old := at(-400 * day)
	switch r.URL.Path {
	case "/api/container/getIndex":
		uid := r.Form.Get("value")
		n := f.hit("weibo:" + uid + ":" + r.Form.Get("since_id"))
		switch uid {
		case "1001": // fresh, with an old pinned post listed first
			fmt.Fprint(w, wbPage("", wbPost{at: old, pinned: true}, wbPost{at: at(-1 * day)}, wbPost{at: at(-5 * day)}))
		case "1002": // the pinned post is the only recent one
			fmt.Fprint(w, wbPage("", wbPost{at: at(-2 * day), pinned: true}, wbPost{at: at(-40 * day)}))
		case "1003": // stale
			fmt.Fprint(w, wbPage("", wbPost{at: old, pinned: true}, wbPost{at: at(-20 * day)}))
		case "1004": // exactly T−14d
			fmt.Fprint(w, wbPage("", wbPost{at: at(-14 * day)}))
		case "1005": // one second earlier
			fmt.Fprint(w, wbPage("", wbPost{at: at(-14*day - time.Second)}))
		case "1006": // page 1 only after T; page 2 has T−3d
			if r.Form.Get("since_id") == "" {
				fmt.Fprint(w, wbPage("4800000000000001", wbPost{at: at(2 * day)}, wbPost{at: at(time.Hour)}))
			} else {
				fmt.Fprint(w, wbPage("", wbPost{at: at(-3 * day)}, wbPost{at: at(-9 * day)}))
			}
		case "1007": // a repost of an old post, reposted in the window
			orig := at(-300 * day)
			fmt.Fprint(w, wbPage("", wbPost{at: at(-1 * day), repost: &orig}, wbPost{at: at(-30 * day)}))
		case "1008": // 418 once, then fine
			if n == 1 {
				w.WriteHeader(http.StatusTeapot)
				fmt.Fprint(w, "<html><body>418 I'm a teapot</body></html>")
				return
			}
			fmt.Fprint(w, wbPage("", wbPost{at: at(-4 * day)}))
		case "1009":
			fmt.Fprint(w, `{"ok":0,"msg":"这里还没有内容","data":{"cards":[]}}`)
		case "1010": // login wall that echoes the cookie it got
			fmt.Fprintf(w, `{"ok":-100,"url":"https://passport.weibo.com/sso/signin?r=%s"}`, r.Header.Get("Cookie"))
		case "1011":
			fmt.Fprint(w, `{"ok":0,"url":"https://m.weibo.cn/verify?x=1"}`)
		case "1012": // rate limited for good
			w.WriteHeader(http.StatusTeapot)
		default:
			http.NotFound(w, r)
		}
	case "/i/sys/user_json":
		un := r.Form.Get("un")
		f.hit("tieba-user:" + un)
		switch un {
		case "汉中网警巡查执法":
			fmt.Fprintf(w, `{"creator":{"id":2001,"name":%q,"portrait":"tb.1.a"}}`, un)
		case "隐藏用户":
			fmt.Fprintf(w, `{"creator":{"id":2002,"name":%q,"portrait":"tb.1.b"}}`, un)
		case "安全验证用户":
			fmt.Fprint(w, "<html><title>百度安全验证</title><body>百度安全验证 请完成验证</body></html>")
		default:
			fmt.Fprint(w, `{"creator":null}`)
		}
	case "/c/u/feed/userpost":
		uid := r.Form.Get("uid")
		f.hit("tieba-posts:" + uid)
		switch uid {
		case "2001":
			fmt.Fprintf(w, `{"error_code":"0","hide_post":"0","post_list":[{"create_time":"%d","post_id":"1","title":"巡查通报"}]}`, at(-20*day).Unix())
		case "2002":
			fmt.Fprintf(w, `{"error_code":"0","hide_post":"1","post_list":[],"error_msg":"%s"}`, r.Form.Get("BDUSS"))
		}
	case "/c/f/frs/page":
		f.hit("tieba-forum:" + r.Form.Get("kw"))
		fmt.Fprintf(w, `{"error_code":"0","forum":{"id":"9","name":%q},"thread_list":[{"id":"1","create_time":"%d","is_top":"1"},{"id":"2","create_time":"%d","is_top":"0"}]}`,
			r.Form.Get("kw"), old.Unix(), at(-2*day).Unix())
	case "/cgi-bin/searchbiz":
		q := r.Form.Get("query")
		f.hit("wechat-search:" + q)
		if q == "汉中秦巴生态保护" {
			fmt.Fprint(w, `{"base_resp":{"ret":0,"err_msg":"ok"},"list":[{"fakeid":"MzI0NTAwMDAwNQ==","nickname":"汉中秦巴生态保护","alias":"","service_type":1},{"fakeid":"MzI0NTAwMDA5OQ==","nickname":"汉中秦巴生态保护协会","alias":"","service_type":1}],"total":2}`)
			return
		}
		fmt.Fprint(w, `{"base_resp":{"ret":0,"err_msg":"ok"},"list":[],"total":0}`)
	case "/cgi-bin/appmsgpublish":
		fakeid := r.Form.Get("fakeid")
		f.hit("wechat-list:" + fakeid + ":" + r.Form.Get("begin"))
		send := func(t time.Time) string {
			info := fmt.Sprintf(`{"type":9,"msgid":%d,"sent_info":{"time":%d,"is_send_all":true},"appmsgex":[{"aid":"%d_1","title":"通知","create_time":%d}]}`, t.Unix(), t.Unix(), t.Unix(), t.Add(-day).Unix())
			b, _ := json.Marshal(info)
			return `{"publish_type":101,"publish_info":` + string(b) + `}`
		}
		page := func(items ...string) {
			pp := fmt.Sprintf(`{"total_count":%d,"publish_count":%d,"masssend_count":0,"publish_list":[%s]}`, 9, 9, strings.Join(items, ","))
			b, _ := json.Marshal(pp)
			fmt.Fprintf(w, `{"base_resp":{"ret":0,"err_msg":"ok"},"publish_page":%s}`, b)
		}
		switch fakeid {
		case "MzA5NjYxMjQ0Mg==": // 汉中发布: fresh, with an empty publish_info first
			pp := fmt.Sprintf(`{"total_count":9,"publish_count":9,"publish_list":[{"publish_type":101,"publish_info":""},%s]}`, send(at(-2*day)))
			b, _ := json.Marshal(pp)
			fmt.Fprintf(w, `{"base_resp":{"ret":0,"err_msg":"ok"},"publish_page":%s}`, b)
		case "MzI0NTAwMDAwNQ==": // 汉中秦巴生态保护: stale
			page(send(at(-27*day)), send(at(-40*day)))
		case "MzI0NTAwMDAwOQ==": // frequency control for good
			fmt.Fprintf(w, `{"base_resp":{"err_msg":"freq control %s","ret":200013}}`, r.Header.Get("Cookie"))
		default:
			page()
		}
	default:
		http.NotFound(w, r)
	}
}

// e2eRegistry is a mixed registry: each row plays one behaviour, with the verdict it must get.
var e2eRegistry = []struct {
	name, typ, id, status string
	want                  string // result label
	detail                string // substring of the detail
}{
	{"汉中发布", "微信公众号", "MzA5NjYxMjQ0Mg==", "正常运行", "合格", "最近一条: 2022-08-20"},
	{"汉中秦巴生态保护", "微信订阅号", "", "正常运行", "不合格", "最近一条: 2022-07-26"},
	{"汉中应急管理", "微信订阅号", "MzI0NTAwMDAwOQ==", "正常运行", "待核查", "触发频率限制"},
	{"汉中公安", "新浪微博", "https://weibo.com/u/1001", "正常运行", "合格", "最近一条: 2022-08-21"},
	{"汉中交通", "新浪微博", "1002", "正常运行", "合格", "置顶"},
	{"汉中气象", "新浪微博", "1003", "正常运行", "不合格", "2022-08-02"},
	{"汉中生态环境", "微博", "1004", "正常运行", "合格", "2022-08-08 00:00"},
	{"汉中司法", "微博", "1005", "正常运行", "不合格", "2022-08-07 23:59"},
	{"汉中人社", "新浪微博", "https://m.weibo.cn/u/1006", "正常运行", "合格", "2022-08-19"},
	{"汉中文旅微博", "新浪微博", "1007", "正常运行", "合格", "2022-08-21"},
	{"汉中水利", "新浪微博", "1008", "正常运行", "合格", "2022-08-18"},
	{"汉中教育", "新浪微博", "1009", "正常运行", "待核查", "平台返回空列表"},
	{"汉中卫健", "新浪微博", "1010", "正常运行", "待核查", "需要登录"},
	{"汉中市场监管", "新浪微博", "1011", "正常运行", "待核查", "安全验证"},
	{"汉中住建", "新浪微博", "1012", "正常运行", "待核查", "触发频率限制"},
	{"汉中网警巡查执法", "其他+百度贴吧", "https://tieba.baidu.com/home/main?un=%E6%B1%89%E4%B8%AD%E7%BD%91%E8%AD%A6%E5%B7%A1%E6%9F%A5%E6%89%A7%E6%B3%95", "正常运行", "不合格", "2022-08-02"},
	{"隐藏用户", "百度贴吧", "隐藏用户", "正常运行", "待核查", "动态已隐藏"},
	{"安全验证用户", "贴吧", "安全验证用户", "正常运行", "待核查", "安全验证"},
	{"汉中吧", "百度贴吧", "https://tieba.baidu.com/f?kw=%E6%B1%89%E4%B8%AD", "正常运行", "合格", "2022-08-20"},
	{"汉中文旅", "抖音", "", "正常运行", "待核查", "平台暂不支持自动检查"},
	{"汉中商务", "新浪微博", "9999", "已注销", "", ""},
	{"汉中发改", "微信订阅号", "MzI0NTAwMDAxMA==", "正在申请办理注销", "注销中", ""},
}

func writeE2ERegistry(t *testing.T, dir string) string {
	t.Helper()
	rows := [][]string{{"账号名称", "账号类型", "开设主体", "层级", "账号ID", "运行状态"}}
	for _, a := range e2eRegistry {
		rows = append(rows, []string{a.name, a.typ, a.name + "单位", "市级部门", a.id, a.status})
	}
	path := filepath.Join(dir, "registry.xlsx")
	if err := sheettest.WriteXLSX(path, rows); err != nil {
		t.Fatal(err)
	}
	return path
}

// platformEnv points every platform at base, with fast retries and the test secrets.
func platformEnv(t *testing.T, base string, withSecrets bool) {
	t.Helper()
	for _, p := range []string{"WEIBO", "TIEBA", "WECHAT"} {
		t.Setenv("NMAUDIT_PLATFORMS_"+p+"_RATE", "0")
		t.Setenv("NMAUDIT_PLATFORMS_"+p+"_BACKOFF", "1ms")
		t.Setenv("NMAUDIT_PLATFORMS_"+p+"_RETRIES", "2")
	}
	t.Setenv("NMAUDIT_PLATFORMS_WEIBO_BASE_URL", base)
	t.Setenv("NMAUDIT_PLATFORMS_TIEBA_BASE_URL", base)
	t.Setenv("NMAUDIT_PLATFORMS_TIEBA_WEB_BASE_URL", base)
	t.Setenv("NMAUDIT_PLATFORMS_WECHAT_MP_BASE_URL", base)
	t.Setenv("NMAUDIT_PLATFORMS_WECHAT_API_BASE_URL", base)
	// Never the real hosts: the visitor handshake and article pages go to the test server too.
	t.Setenv("NMAUDIT_PLATFORMS_WEIBO_VISITOR_BASE_URL", base)
	t.Setenv("NMAUDIT_PLATFORMS_WECHAT_ARTICLE_BASE_URL", base)
	cookie, bduss, tok, mpc := "", "", "", ""
	if withSecrets {
		cookie, bduss, tok, mpc = secretCookie, secretBDUSS, secretMPToken, secretMPCookie
	}
	t.Setenv("NMAUDIT_PLATFORMS_WEIBO_COOKIE", cookie)
	t.Setenv("NMAUDIT_PLATFORMS_TIEBA_BDUSS", bduss)
	t.Setenv("NMAUDIT_PLATFORMS_WECHAT_MP_TOKEN", tok)
	t.Setenv("NMAUDIT_PLATFORMS_WECHAT_MP_COOKIE", mpc)
}

type checkDoc struct {
	Summary  map[string]float64 `json:"summary"`
	Accounts []struct {
		Name         string  `json:"name"`
		Result       string  `json:"result"`
		Status       string  `json:"status"`
		Detail       string  `json:"detail"`
		Source       string  `json:"source"`
		LatestPostAt *string `json:"latest_post_at"`
	} `json:"accounts"`
}

func TestCheckAgainstLocalPlatforms(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	fake := &fakePlatforms{hits: map[string]int{}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	platformEnv(t, srv.URL, true)
	reg := writeE2ERegistry(t, dir)
	rec := filepath.Join(dir, "evidence")

	code, out, errOut := run(t, "", "check", "--registry", reg, "--at", "2022-08-22", "--format", "json", "--record", rec)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc checkDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for i, a := range doc.Accounts {
		got[a.Name] = i
	}
	for _, want := range e2eRegistry {
		i, ok := got[want.name]
		if want.want == "" {
			if ok {
				t.Errorf("%s: closed account listed", want.name)
			}
			continue
		}
		if !ok {
			t.Errorf("%s: missing", want.name)
			continue
		}
		a := doc.Accounts[i]
		if a.Result != want.want || !strings.Contains(a.Detail, want.detail) {
			t.Errorf("%s: %s (%s), want %s (…%s…)", want.name, a.Result, a.Detail, want.want, want.detail)
		}
	}
	if s := doc.Summary; s["registry_rows"] != 22 || s["closed_excluded"] != 1 || s["in_scope"] != 21 || s["pending_closure"] != 1 {
		t.Errorf("summary = %v", s)
	}
	// Paging went on to page 2 for 1006, and 418 was retried for 1008.
	if fake.hits["weibo:1006:4800000000000001"] != 1 || fake.hits["weibo:1008:"] != 2 || fake.hits["weibo:1012:"] != 3 {
		t.Errorf("hits = %v", fake.hits)
	}

	// Replay: no credentials and the server gone (any request that reached the network would
	// fail), the same answers. The base URLs stay as recorded, as a user's config would.
	srv.Close()
	platformEnv(t, srv.URL, false)
	code, replayed, errOut := run(t, "", "check", "--registry", reg, "--format", "json", "--replay", rec)
	if code != 0 {
		t.Fatalf("replay exit %d: %s", code, errOut)
	}
	if withoutRunID(replayed) != withoutRunID(out) {
		t.Errorf("replayed JSON differs from the recorded run's:\n%s\n---\n%s", out, replayed)
	}
	if code, _, errOut := run(t, "", "check", "--registry", reg, "--replay", rec, "--at", "2022-09-01"); code != 2 || !strings.Contains(errOut, "与记录的监测时间点") {
		t.Errorf("replay at another time: exit %d %s", code, errOut)
	}
}

// TestSecretsNeverLeak runs a whole audit with every credential set, against servers that echo
// them back, in every report format and with a recording, and searches every byte written.
func TestSecretsNeverLeak(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	srv := httptest.NewServer(&fakePlatforms{hits: map[string]int{}})
	defer srv.Close()
	platformEnv(t, srv.URL, true)
	reg := writeE2ERegistry(t, dir)
	var outputs []string
	for i, f := range checkFormats {
		args := []string{"check", "--registry", reg, "--at", "2022-08-22", "--format", f, "-o", filepath.Join(dir, "report."+f)}
		if i == 0 {
			args = append(args, "--record", filepath.Join(dir, "rec"))
		}
		code, out, errOut := run(t, "", args...)
		if code != 0 {
			t.Fatalf("%s: exit %d %s", f, code, errOut)
		}
		outputs = append(outputs, out, errOut)
	}
	secrets := []string{secretCookie, "_2A25SECRETWEIBOCOOKIE9f3", "0033SECRETSUBP", secretBDUSS, secretMPToken, "SECRETSLAVESID42", "SECRETTICKET"}
	check := func(where, text string) {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("secret %q found in %s", s, where)
			}
		}
	}
	for i, o := range outputs {
		check(fmt.Sprintf("output %d", i), o)
	}
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || filepath.Base(path) == "registry.xlsx" {
			return err
		}
		b, _ := os.ReadFile(path)
		check(path, string(b))
		return nil
	})
	if entries, _ := os.ReadDir(filepath.Join(dir, "rec")); len(entries) < 10 {
		t.Errorf("recording has %d files", len(entries))
	}
}
