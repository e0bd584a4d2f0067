package platforms

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// Every secret in these tests contains "SECRET", and nothing else the tests send does, so "no
// file under the folder contains SECRET" proves that nothing leaked, in any encoding the
// Recorder writes as text.
const (
	secToken     = "tok-SECRET-111"            // mp token, in a query
	secCookie    = "cookie-SECRET-222"         // Weibo cookie value
	secBDUSS     = "bduss-SECRET-333"          // Tieba BDUSS, in a form
	secAccess    = "at-SECRET-444-abcdef"      // access token, only ever seen in a response
	secAppSecret = "appsecret-SECRET-555"      // AppSecret, in the token call's query
	secSetCookie = "setcookie-SECRET-666-long" // a session the platform sets
	secJSONBody  = "json-SECRET-777"           // a credential in a JSON request body, not configured
)

var gbkPage = func() []byte {
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte("<html><title>百度贴吧——全球最大的中文社区</title></html>"))
	if err != nil {
		panic(err)
	}
	return b
}()

var testCheck = time.Date(2022, 8, 22, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))

// tiebaSign is platforms.md Part 1's sign: MD5 over the sorted key=value pairs plus the salt.
func tiebaSign(form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		if k != "sign" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + form.Get(k))
	}
	sum := md5.Sum([]byte(b.String() + "tiebaclient!!!"))
	return hex.EncodeToString(sum[:])
}

// fakePlatforms serves one endpoint per behaviour the recorder has to handle.
func fakePlatforms(t *testing.T) *httptest.Server {
	t.Helper()
	var teapot atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/api/container/getIndex", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("token") != secToken {
			http.Error(w, "no token", http.StatusForbidden)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "SESSION", Value: secSetCookie, Path: "/"})
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		io.WriteString(w, `{"ok":1,"data":{"cards":[{"card_type":9,"mblog":{"created_at":"Sat Aug 20 10:00:00 +0800 2022","text":"汉中发布：今日天气"}}]}}`)
	})
	mux.HandleFunc("/cgi-bin/token", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("secret") != secAppSecret {
			io.WriteString(w, `{"errcode":40125,"errmsg":"invalid appsecret"}`)
			return
		}
		io.WriteString(w, `{"access_token":"`+secAccess+`","expires_in":7200}`)
	})
	mux.HandleFunc("/cgi-bin/freepublish/batchget", func(w http.ResponseWriter, r *http.Request) {
		tok := r.URL.Query().Get("access_token")
		b, _ := io.ReadAll(r.Body)
		// The token is echoed, as some error bodies do, to prove it is scrubbed from bodies too.
		io.WriteString(w, `{"total_count":1,"item_count":1,"item":[{"article_id":"a1","update_time":1660960000}],"debug":"token `+tok+` body `+string(bytes.TrimSpace(b))+`"}`)
	})
	mux.HandleFunc("/c/u/feed/userpost", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.PostForm.Get("sign") != tiebaSign(r.PostForm) {
			io.WriteString(w, `{"error_code":"110003","error_msg":"sign error"}`)
			return
		}
		io.WriteString(w, `{"error_code":"0","hide_post":"0","post_list":[{"create_time":"1660960000","title":"汉中市政府"}]}`)
	})
	mux.HandleFunc("/echo-cookie", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "you sent: "+r.Header.Get("Cookie"))
	})
	mux.HandleFunc("/teapot", func(w http.ResponseWriter, r *http.Request) {
		if teapot.Add(1) == 1 {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusTeapot)
			io.WriteString(w, "<html>418 I'm a teapot</html>")
			return
		}
		io.WriteString(w, `{"ok":1}`)
	})
	mux.HandleFunc("/gbk", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=gbk")
		w.Write(gbkPage)
	})
	mux.HandleFunc("/gzip", func(w http.ResponseWriter, r *http.Request) {
		// Compressed whatever the client asked for, as some servers do.
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		io.WriteString(zw, `{"access_token":"`+secAccess+`","note":"压缩"}`)
		zw.Close()
	})
	mux.HandleFunc("/nodate", func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Date"] = nil // suppress the server's Date
		io.WriteString(w, `{"created_at":"3分钟前"}`)
	})
	return httptest.NewServer(mux)
}

func testRedactor() *Redactor {
	return NewRedactor(Secret(secToken), Secret("SUB="+secCookie+"; lang=zh_CN"), Secret(secBDUSS), Secret(secAppSecret))
}

// call is one request of the scripted sequence, built against a base URL so the same script
// runs live (against the fake server) and on replay (against a host that does not exist).
type call struct {
	name string
	req  func(base string) *http.Request
}

func mustReq(method, u, body, ctype string) *http.Request {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, r)
	if err != nil {
		panic(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	return req
}

func tiebaForm(bduss string) string {
	f := url.Values{"_client_type": {"2"}, "_client_version": {"12.64.1.1"}, "uid": {"123456789"}, "pn": {"1"}, "rn": {"20"},
		"is_thread": {"0"}, "need_content": {"1"}, "BDUSS": {bduss}}
	f.Set("sign", tiebaSign(f))
	return f.Encode()
}

// script is the recorded sequence. accessToken is what the caller learned from the token call
// (the real token live, "REDACTED" on replay), as an adapter would use it.
func script(accessToken *string) []call {
	return []call{
		{"weibo", func(b string) *http.Request {
			r := mustReq("GET", b+"/api/container/getIndex?type=uid&value=1234567890&containerid=1076031234567890&token="+secToken, "", "")
			r.Header.Set("Cookie", "SUB="+secCookie+"; lang=zh_CN")
			r.Header.Set("MWeibo-Pwa", "1")
			r.Header.Set("Referer", b+"/u/1234567890?token="+secToken)
			return r
		}},
		{"token", func(b string) *http.Request {
			return mustReq("GET", b+"/cgi-bin/token?grant_type=client_credential&appid=wx0000000000000000&secret="+secAppSecret, "", "")
		}},
		{"freepublish", func(b string) *http.Request {
			r := mustReq("POST", b+"/cgi-bin/freepublish/batchget?access_token="+*accessToken,
				`{"offset":0, "count":20, "no_content":1, "secret":"`+secJSONBody+`"}`, "application/json;charset=utf-8")
			r.Header.Set("Authorization", "Bearer "+*accessToken)
			return r
		}},
		{"userpost", func(b string) *http.Request {
			return mustReq("POST", b+"/c/u/feed/userpost", tiebaForm(secBDUSS), "application/x-www-form-urlencoded")
		}},
		{"echo", func(b string) *http.Request {
			r := mustReq("GET", b+"/echo-cookie", "", "")
			r.Header.Set("Cookie", "SUB="+secCookie)
			return r
		}},
		{"teapot-1", func(b string) *http.Request { return mustReq("GET", b+"/teapot", "", "") }},
		{"teapot-2", func(b string) *http.Request { return mustReq("GET", b+"/teapot", "", "") }},
		{"gbk", func(b string) *http.Request { return mustReq("GET", b+"/gbk", "", "") }},
		{"gzip", func(b string) *http.Request { return mustReq("GET", b+"/gzip", "", "") }},
		{"nodate", func(b string) *http.Request { return mustReq("GET", b+"/nodate", "", "") }},
	}
}

type result struct {
	status int
	header http.Header
	body   []byte
}

func runScript(t *testing.T, c *http.Client, base string) []result {
	t.Helper()
	tok := "none"
	var out []result
	for _, s := range script(&tok) {
		resp, err := c.Do(s.req(base))
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if s.name == "token" {
			var v struct {
				AccessToken string `json:"access_token"`
			}
			if err := json.Unmarshal(b, &v); err != nil || v.AccessToken == "" {
				t.Fatalf("token: %s", b)
			}
			tok = v.AccessToken
		}
		out = append(out, result{resp.StatusCode, resp.Header, b})
	}
	return out
}

var recordClock = func() time.Time { return time.Date(2022, 8, 22, 9, 30, 0, 0, time.FixedZone("CST", 8*3600)) }

// recordScript records the script against a fresh fake server and returns the folder and the
// live results.
func recordScript(t *testing.T) (string, []result) {
	t.Helper()
	srv := fakePlatforms(t)
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "evidence")
	rec, err := NewRecorder(dir, &http.Transport{DisableCompression: true}, testRedactor())
	if err != nil {
		t.Fatal(err)
	}
	rec.Now = recordClock
	live := runScript(t, &http.Client{Transport: rec}, srv.URL)
	if err := rec.SetMeta("check_time", testCheck.Format(time.RFC3339)); err != nil {
		t.Fatal(err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, live
}

func TestRecordLiveRunSeesRealResponses(t *testing.T) {
	_, live := recordScript(t)
	// The caller must get the unredacted answers: the live run uses the real token.
	if !bytes.Contains(live[1].body, []byte(secAccess)) {
		t.Errorf("token response reached the caller redacted: %s", live[1].body)
	}
	if !bytes.Contains(live[2].body, []byte("token "+secAccess)) {
		t.Errorf("freepublish was not called with the real token: %s", live[2].body)
	}
	if !bytes.Contains(live[3].body, []byte(`"error_code":"0"`)) {
		t.Errorf("userpost: %s", live[3].body)
	}
	if live[5].status != http.StatusTeapot || live[6].status != http.StatusOK {
		t.Errorf("teapot statuses live: %d, %d", live[5].status, live[6].status)
	}
	if string(live[8].body) != `{"access_token":"`+secAccess+`","note":"压缩"}` || live[8].header.Get("Content-Encoding") != "" {
		t.Errorf("gzip body not decoded for the caller: %q %v", live[8].body, live[8].header)
	}
	if got := live[9].header.Get("Date"); got != recordClock().UTC().Format(http.TimeFormat) {
		t.Errorf("response without Date got Date %q, want the recording clock", got)
	}
}

func TestRecordLeaksNoSecret(t *testing.T) {
	dir, _ := recordScript(t)
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, needle := range []string{"SECRET", url.QueryEscape("SECRET"), "U0VDUkVU" /* base64 */} {
			if bytes.Contains(b, []byte(needle)) {
				i := bytes.Index(b, []byte(needle))
				t.Errorf("%s leaks a secret near %q", d.Name(), b[max(0, i-40):min(len(b), i+40)])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(script(new(string)))+1 {
		t.Errorf("%d files under the folder, want one per exchange plus index.json", n)
	}
}

func TestRecordFileFormat(t *testing.T) {
	dir, _ := recordScript(t)
	b, err := os.ReadFile(filepath.Join(dir, "0001-weibo-GET-api_container_getIndex.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("汉中发布")) {
		t.Error("Chinese is escaped in the exchange file")
	}
	if !bytes.Contains(b, []byte("\n  \"request\": {")) {
		t.Errorf("exchange file is not indented:\n%s", b)
	}
	var ex Exchange
	if err := json.Unmarshal(b, &ex); err != nil {
		t.Fatal(err)
	}
	if ex.Seq != 1 || ex.Platform != "weibo" || ex.RecordedAt != "2022-08-22T09:30:00+08:00" {
		t.Errorf("seq/platform/recorded_at = %d %q %q", ex.Seq, ex.Platform, ex.RecordedAt)
	}
	if !strings.HasPrefix(ex.Request.Host, "127.0.0.1:") || ex.Request.Scheme != "http" {
		t.Errorf("host %q scheme %q", ex.Request.Host, ex.Request.Scheme)
	}
	if want := "/api/container/getIndex?type=uid&value=1234567890&containerid=1076031234567890&token=REDACTED"; ex.Request.URL != want {
		t.Errorf("url = %q, want %q", ex.Request.URL, want)
	}
	if got := ex.Request.Headers.Get("Cookie"); got != "SUB=REDACTED; lang=REDACTED" {
		t.Errorf("Cookie = %q", got)
	}
	if got := ex.Request.Headers.Get("Mweibo-Pwa"); got != "1" {
		t.Errorf("ordinary header not kept: %q", got)
	}
	if got := ex.Request.Headers.Get("Referer"); !strings.HasSuffix(got, "/u/1234567890?token=REDACTED") {
		t.Errorf("Referer = %q", got)
	}
	if got := ex.Response.Headers.Get("Set-Cookie"); got != "SESSION=REDACTED; Path=/" {
		t.Errorf("Set-Cookie = %q", got)
	}
	if ex.Response.Date == "" || ex.Response.Date != ex.Response.Headers.Get("Date") {
		t.Errorf("date %q vs header %q", ex.Response.Date, ex.Response.Headers.Get("Date"))
	}

	ix, err := ReadIndex(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ix.Format != RecordingFormat || ix.Meta["check_time"] != "2022-08-22T00:00:00+08:00" || len(ix.Exchanges) != 10 {
		t.Fatalf("index = %+v", ix)
	}
	wantFiles := []string{
		"0001-weibo-GET-api_container_getIndex.json",
		"0002-wechat-api-GET-cgi-bin_token.json",
		"0003-wechat-api-POST-cgi-bin_freepublish_batchget.json",
		"0004-tieba-POST-c_u_feed_userpost.json",
		"0005-http-GET-echo-cookie.json",
		"0006-http-GET-teapot.json",
	}
	for i, f := range wantFiles {
		if ix.Exchanges[i].File != f || ix.Exchanges[i].Seq != i+1 {
			t.Errorf("index[%d] = %+v, want file %s", i, ix.Exchanges[i], f)
		}
	}
	if ix.Exchanges[5].Status != 418 || ix.Exchanges[6].Status != 200 {
		t.Errorf("index statuses %d %d", ix.Exchanges[5].Status, ix.Exchanges[6].Status)
	}

	// The form keeps its sign (it is what was sent) but not BDUSS; the token body keeps its shape.
	exs, err := LoadRecording(dir)
	if err != nil {
		t.Fatal(err)
	}
	form, err := url.ParseQuery(exs[3].Request.Body)
	if err != nil || form.Get("BDUSS") != Redacted || form.Get("sign") == "" || form.Get("uid") != "123456789" {
		t.Errorf("recorded form = %q", exs[3].Request.Body)
	}
	if exs[1].Response.Body != `{"access_token":"REDACTED","expires_in":7200}` {
		t.Errorf("token body = %s", exs[1].Response.Body)
	}
	if got := exs[2].Request.Headers.Get("Authorization"); got != Redacted {
		t.Errorf("Authorization = %q", got)
	}
	if exs[7].Response.BodyEncoding != "base64" || exs[7].Response.BodyText != "<html><title>百度贴吧——全球最大的中文社区</title></html>" {
		t.Errorf("GBK body stored as %q with text %q", exs[7].Response.BodyEncoding, exs[7].Response.BodyText)
	}
	if exs[8].Response.Body != `{"access_token":"REDACTED","note":"压缩"}` || exs[8].Response.Headers.Get("Content-Encoding") != "" {
		t.Errorf("gzip body stored as %q / %v", exs[8].Response.Body, exs[8].Response.Headers)
	}
}

func TestRecordRefusesAFolderWithARecording(t *testing.T) {
	dir, _ := recordScript(t)
	if _, err := NewRecorder(dir, nil, nil); err == nil || !strings.Contains(err.Error(), "已有证据记录") {
		t.Fatalf("NewRecorder on a used folder: %v", err)
	}
	// A folder with other things in it is fine.
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "README.txt"), []byte("x"), 0o644)
	if _, err := NewRecorder(other, nil, nil); err != nil {
		t.Fatal(err)
	}
}

func TestRecordTransportErrorAndReplayIt(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close() // nothing listens: connection refused

	dir := t.TempDir()
	rec, _ := NewRecorder(dir, &http.Transport{}, nil)
	c := &http.Client{Transport: rec}
	if _, err := c.Get(dead + "/api/container/getIndex?type=uid&value=1"); err == nil {
		t.Fatal("expected a connection error")
	}
	// A cancelled request is not evidence and is not recorded.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", dead+"/cancelled", nil)
	c.Do(req)
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	exs, err := LoadRecording(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(exs) != 1 || exs[0].Error == nil || exs[0].Response != nil {
		t.Fatalf("recorded %+v", exs)
	}

	rp, err := NewReplayer(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = (&http.Client{Transport: rp}).Get("https://m.weibo.cn/api/container/getIndex?type=uid&value=1")
	var re *ReplayedError
	var ne net.Error
	if !errors.As(err, &re) || !errors.As(err, &ne) || !strings.Contains(re.Message, "refused") {
		t.Fatalf("replayed error = %v", err)
	}
}

func TestRecordConcurrent(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "item "+r.URL.Query().Get("n"))
	}))
	defer srv.Close()
	dir := t.TempDir()
	rec, err := NewRecorder(dir, srv.Client().Transport, nil)
	if err != nil {
		t.Fatal(err)
	}
	const n = 40
	c := &http.Client{Transport: rec}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, err := c.Get(srv.URL + "/c/f/frs/page?n=" + strconv.Itoa(i))
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		})
	}
	wg.Wait()
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	ix, err := ReadIndex(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ix.Exchanges) != n {
		t.Fatalf("index holds %d exchanges, want %d", len(ix.Exchanges), n)
	}
	for i, e := range ix.Exchanges {
		if e.Seq != i+1 {
			t.Fatalf("index[%d].seq = %d: not in order or not unique", i, e.Seq)
		}
	}

	rp, err := NewReplayer(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	rc := &http.Client{Transport: rp}
	for i := range n {
		wg.Go(func() {
			resp, err := rc.Get("http://elsewhere.invalid/c/f/frs/page?n=" + strconv.Itoa(n-1-i))
			if err != nil {
				t.Error(err)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if want := "item " + strconv.Itoa(n-1-i); string(b) != want {
				t.Errorf("replayed %q, want %q", b, want)
			}
		})
	}
	wg.Wait()
	if u := rp.Unused(); len(u) != 0 {
		t.Errorf("unused after full replay: %v", u)
	}
}

func TestRecordKilledRunStillReplays(t *testing.T) {
	srv := fakePlatforms(t)
	defer srv.Close()
	dir := t.TempDir()
	rec, _ := NewRecorder(dir, srv.Client().Transport, testRedactor())
	c := &http.Client{Transport: rec}
	for range 2 {
		resp, err := c.Get(srv.URL + "/teapot")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	// No Close: the run was killed. A half-written temporary file lies about too.
	os.WriteFile(filepath.Join(dir, ".tmp-0003-http-GET-teapot.json-123"), []byte(`{"seq":3,`), 0o600)
	if _, err := ReadIndex(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("index before Close: %v", err)
	}
	rp, err := NewReplayer(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: rp}).Get("http://other/teapot")
	if err != nil || resp.StatusCode != http.StatusTeapot {
		t.Fatalf("replay from a folder without index: %v %v", resp, err)
	}
	if err := RebuildIndex(dir); err != nil {
		t.Fatal(err)
	}
	ix, err := ReadIndex(dir)
	if err != nil || len(ix.Exchanges) != 2 || ix.Exchanges[0].Status != 418 || ix.Exchanges[1].Status != 200 {
		t.Fatalf("rebuilt index = %+v, %v", ix, err)
	}
}

func TestMatchKey(t *testing.T) {
	red := NewRedactor(Secret(secBDUSS))
	form := func(bduss string, extra ...string) string {
		f := url.Values{"uid": {"1"}, "pn": {"1"}, "BDUSS": {bduss}}
		for i := 0; i+1 < len(extra); i += 2 {
			f.Set(extra[i], extra[i+1])
		}
		f.Set("sign", tiebaSign(f))
		return f.Encode()
	}
	const fct = "application/x-www-form-urlencoded"
	const jct = "application/json"
	cases := []struct {
		name   string
		a, b   [4]string // method, path?query, content type, body
		sameOK bool
	}{
		{"query order", [4]string{"GET", "/x?b=2&a=1", "", ""}, [4]string{"GET", "/x?a=1&b=2", "", ""}, true},
		{"query value", [4]string{"GET", "/x?a=1", "", ""}, [4]string{"GET", "/x?a=2", "", ""}, false},
		{"escaping", [4]string{"GET", "/s?query=%E6%B1%89%E4%B8%AD&x=a+b", "", ""}, [4]string{"GET", "/s?x=a%20b&query=汉中", "", ""}, true},
		{"secret param", [4]string{"GET", "/x?token=one&a=1", "", ""}, [4]string{"GET", "/x?a=1&token=two", "", ""}, true},
		{"method", [4]string{"GET", "/x", "", ""}, [4]string{"POST", "/x", "", ""}, false},
		{"path", [4]string{"GET", "/x", "", ""}, [4]string{"GET", "/y", "", ""}, false},
		{"form with other BDUSS and sign", [4]string{"POST", "/c/u/feed/userpost", fct, form(secBDUSS)}, [4]string{"POST", "/c/u/feed/userpost", fct, form("REDACTED")}, true},
		{"form differs", [4]string{"POST", "/c", fct, form("x", "pn", "1")}, [4]string{"POST", "/c", fct, form("x", "pn", "2")}, false},
		{"json spacing and token", [4]string{"POST", "/j", jct, `{"offset": 0, "access_token": "abc"}`}, [4]string{"POST", "/j", jct, `{"offset":0,"access_token":"REDACTED"}`}, true},
		{"json differs", [4]string{"POST", "/j", jct, `{"begin_date":"2022-08-10"}`}, [4]string{"POST", "/j", jct, `{"begin_date":"2022-08-11"}`}, false},
	}
	for _, c := range cases {
		ka := matchKey(red, c.a[0], c.a[1], c.a[2], []byte(c.a[3]))
		kb := matchKey(red, c.b[0], c.b[1], c.b[2], []byte(c.b[3]))
		if (ka == kb) != c.sameOK {
			t.Errorf("%s: keys\n%q\n%q\nequal=%v, want %v", c.name, ka, kb, ka == kb, c.sameOK)
		}
		if strings.Contains(ka, secBDUSS) {
			t.Errorf("%s: key holds a secret: %q", c.name, ka)
		}
	}
}

func TestBlankJSONSecrets(t *testing.T) {
	in := `{"access_token" : "a\"b", "expires_in":7200, "secret": 12345678, "nested":{"app_secret":"x"}, "title":"access_token"}`
	out, found := blankJSONSecrets(in)
	want := `{"access_token" : "REDACTED", "expires_in":7200, "secret": "REDACTED", "nested":{"app_secret":"REDACTED"}, "title":"access_token"}`
	if out != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
	if !json.Valid([]byte(out)) {
		t.Error("result is not JSON")
	}
	if strings.Join(found, ",") != `a"b,12345678,x` {
		t.Errorf("found %q", found)
	}
}
