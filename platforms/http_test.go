package platforms

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// zeros is an io.Reader of n zero bytes that never holds them in memory.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > z.n {
		p = p[:z.n]
	}
	clear(p)
	z.n -= int64(len(p))
	return len(p), nil
}

// hugeServer answers every request with a body of size bytes (streamed, never in memory), or
// with a gzip bomb of that many decompressed bytes when bomb is set.
func hugeServer(t *testing.T, size int64, bomb bool, sent *atomic.Int64) *httptest.Server {
	t.Helper()
	var gz []byte
	if bomb {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		io.Copy(zw, &zeros{size})
		zw.Close()
		gz = buf.Bytes()
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if bomb {
			w.Header().Set("Content-Encoding", "gzip")
			n, _ := w.Write(gz)
			sent.Add(int64(n))
			return
		}
		n, _ := io.Copy(w, &zeros{size})
		sent.Add(n)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func readAllLimited(t *testing.T, c *http.Client, u string) ([]byte, error) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

func TestLimitBodiesFailsPastTheCap(t *testing.T) {
	var sent atomic.Int64
	srv := hugeServer(t, 5<<20, false, &sent) // 5 MiB against a 1 MiB cap
	c := &http.Client{Transport: LimitBodies(http.DefaultTransport, 1<<20)}
	b, err := readAllLimited(t, c, srv.URL)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if len(b) > 1<<20 {
		t.Errorf("read %d bytes past the 1 MiB cap", len(b))
	}
	// A body of exactly the cap is fine.
	srv2 := hugeServer(t, 1<<20, false, &sent)
	if b, err := readAllLimited(t, c, srv2.URL); err != nil || len(b) != 1<<20 {
		t.Errorf("body of exactly the cap: %d bytes, %v", len(b), err)
	}
}

func TestLimitBodiesAppliesAfterDecompression(t *testing.T) {
	var sent atomic.Int64
	srv := hugeServer(t, 8<<20, true, &sent) // a small gzip file that expands to 128× the cap
	c := &http.Client{Transport: LimitBodies(&http.Transport{}, 64<<10)}
	_, err := readAllLimited(t, c, srv.URL)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("gzip bomb: err = %v, want ErrTooLarge", err)
	}
}

func TestRecorderCapsAndMarksTruncatedBodies(t *testing.T) {
	for _, bomb := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "gzip-bomb"}[bomb], func(t *testing.T) {
			var sent atomic.Int64
			srv := hugeServer(t, 4<<20, bomb, &sent) // 64× the cap
			dir := filepath.Join(t.TempDir(), "ev")
			rec, err := NewRecorder(dir, &http.Transport{DisableCompression: bomb}, nil)
			if err != nil {
				t.Fatal(err)
			}
			rec.MaxBody = 64 << 10
			c := &http.Client{Transport: LimitBodies(rec, 64<<10)}
			if _, err := readAllLimited(t, c, srv.URL+"/api/container/getIndex?type=uid&value=1"); !errors.Is(err, ErrTooLarge) {
				t.Fatalf("err = %v, want ErrTooLarge", err)
			}
			if err := rec.Close(); err != nil {
				t.Fatal(err)
			}
			exs, err := LoadRecording(dir)
			if err != nil || len(exs) != 1 {
				t.Fatalf("recording: %v, %d exchanges", err, len(exs))
			}
			if !exs[0].Response.Truncated {
				t.Errorf("exchange not marked truncated")
			}
			fi, _ := os.Stat(filepath.Join(dir, exs[0].File))
			if fi.Size() > 512<<10 { // 64 KiB of NUL bytes is 384 KiB of \u0000 escapes
				t.Errorf("evidence file is %d bytes: the cap was not applied to the recording", fi.Size())
			}
			// The replay fails the read the same way the live run did.
			rp, err := NewReplayer(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			rc := &http.Client{Transport: LimitBodies(rp, 64<<10)}
			if _, err := readAllLimited(t, rc, "http://any/api/container/getIndex?type=uid&value=1"); !errors.Is(err, ErrTooLarge) {
				t.Errorf("replay: err = %v, want ErrTooLarge", err)
			}
		})
	}
}

// twoHosts is a configured host that redirects to another one, which records what reaches it.
type twoHosts struct {
	home, other *httptest.Server
	otherGot    atomic.Int32
	otherHeader atomic.Value // http.Header
	otherBody   atomic.Value // string
}

func newTwoHosts(t *testing.T, code int) *twoHosts {
	t.Helper()
	h := &twoHosts{}
	h.other = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.otherGot.Add(1)
		h.otherHeader.Store(r.Header.Clone())
		b, _ := io.ReadAll(r.Body)
		h.otherBody.Store(string(b))
		w.Write([]byte(`{"ok":1,"forged":true}`))
	}))
	h.home = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/same" {
			w.Write([]byte(`{"ok":1,"same":true}`))
			return
		}
		if r.URL.Path == "/hop" {
			http.Redirect(w, r, "/same", code)
			return
		}
		http.Redirect(w, r, h.other.URL+"/forged?x=1", code)
	}))
	t.Cleanup(h.home.Close)
	t.Cleanup(h.other.Close)
	return h
}

func TestClientNeverFollowsARedirectOffItsHost(t *testing.T) {
	for _, code := range []int{http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		h := newTwoHosts(t, code)
		c := Client(Deps{})
		req, _ := http.NewRequest(http.MethodPost, h.home.URL+"/c/u/feed/userpost?access_token=SECRET-AT",
			strings.NewReader("BDUSS=SECRET-BDUSS&uid=1"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Cookie", "SUB=SECRET-SUB")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != code {
			t.Errorf("%d: got status %d; the redirect must come back to the adapter", code, resp.StatusCode)
		}
		if n := h.otherGot.Load(); n != 0 {
			t.Errorf("%d: the other host received %d requests (headers %v, body %v)", code, n, h.otherHeader.Load(), h.otherBody.Load())
		}
		if got := Redirected(resp); !strings.HasPrefix(got, h.other.URL+"/forged") {
			t.Errorf("Redirected = %q", got)
		}
		// A redirect on the same host is followed.
		resp, err = c.Get(h.home.URL + "/hop")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), `"same":true`) {
			t.Errorf("%d: same-host redirect not followed: %s", code, b)
		}
	}
}

func TestClientRefusesAnotherPortOfTheSameHost(t *testing.T) {
	h := newTwoHosts(t, http.StatusFound) // both on 127.0.0.1, different ports
	c := Client(Deps{})
	req, _ := http.NewRequest(http.MethodGet, h.home.URL+"/x", nil)
	req.Header.Set("Cookie", "SUB=SECRET-SUB")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if h.otherGot.Load() != 0 {
		t.Errorf("another port received the cookie: %v", h.otherHeader.Load())
	}
}

func TestSameOrigin(t *testing.T) {
	u := func(s string) *url.URL { x, _ := url.Parse(s); return x }
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"https://m.weibo.cn/a", "https://m.weibo.cn:443/b?x", true},
		{"https://M.Weibo.CN/a", "https://m.weibo.cn/b", true},
		{"https://m.weibo.cn/a", "http://m.weibo.cn/a", false},
		{"https://m.weibo.cn/a", "https://passport.weibo.cn/a", false},
		{"http://127.0.0.1:1000/", "http://127.0.0.1:1001/", false},
	} {
		if got := SameOrigin(u(c.a), u(c.b)); got != c.want {
			t.Errorf("SameOrigin(%s, %s) = %v", c.a, c.b, got)
		}
	}
}

func TestRecorderFilesArePrivate(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("{}")) }))
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "ev")
	rec, err := NewRecorder(dir, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readAllLimited(t, &http.Client{Transport: rec}, srv.URL+"/api/container/getIndex"); err != nil {
		t.Fatal(err)
	}
	rec.Close()
	fi, _ := os.Stat(dir)
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("folder mode %v, want 0700", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		fi, _ := e.Info()
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", e.Name(), fi.Mode().Perm())
		}
	}
}

func TestRecorderWriteFailureIsReportedOnceAndFailsTheRequest(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("{}")) }))
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "ev")
	rec, err := NewRecorder(dir, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var failures atomic.Int32
	rec.OnFail = func(error) { failures.Add(1) }
	// The folder disappears under the run (as a full disk or an unplugged drive would fail it).
	os.RemoveAll(dir)
	c := &http.Client{Transport: rec}
	for range 3 {
		_, err := readAllLimited(t, c, srv.URL+"/api/container/getIndex")
		var ee *EvidenceError
		if !errors.As(err, &ee) {
			t.Fatalf("err = %v, want an *EvidenceError", err)
		}
		if _, isFault := AsFault(err); isFault {
			t.Errorf("an evidence failure must not look like a platform fault: %v", err)
		}
	}
	if failures.Load() != 1 {
		t.Errorf("OnFail called %d times, want once", failures.Load())
	}
	if rec.Close() == nil {
		t.Errorf("Close reported no failure")
	}
}

func TestResumeRecorderAddsToTheFolder(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"ok":1,"q":"` + r.URL.RawQuery + `"}`))
	}))
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "ev")
	rec, err := NewRecorder(dir, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec.SetMeta("check_time", "2022-08-22T00:00:00+08:00")
	readAllLimited(t, &http.Client{Transport: rec}, srv.URL+"/api/container/getIndex?value=1")
	readAllLimited(t, &http.Client{Transport: rec}, srv.URL+"/api/container/getIndex?value=2")
	// Killed: no Close, so no final index.json rewrite beyond SetMeta's.

	if _, err := NewRecorder(dir, nil, nil); err == nil {
		t.Fatalf("a new recording must still refuse a used folder")
	}
	rec2, err := ResumeRecorder(dir, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rec2.Meta()["check_time"] != "2022-08-22T00:00:00+08:00" {
		t.Errorf("meta lost on resume: %v", rec2.Meta())
	}
	readAllLimited(t, &http.Client{Transport: rec2}, srv.URL+"/api/container/getIndex?value=3")
	if err := rec2.Close(); err != nil {
		t.Fatal(err)
	}
	exs, err := LoadRecording(dir)
	if err != nil || len(exs) != 3 {
		t.Fatalf("after resume: %v, %d exchanges, want 3", err, len(exs))
	}
	for i, ex := range exs {
		if ex.Seq != i+1 {
			t.Errorf("exchange %d has seq %d", i, ex.Seq)
		}
	}
	ix, err := ReadIndex(dir)
	if err != nil || len(ix.Exchanges) != 3 || ix.Meta["check_time"] == "" {
		t.Errorf("index after resume: %+v, %v", ix, err)
	}
	rp, err := NewReplayer(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := readAllLimited(t, &http.Client{Transport: rp}, "http://x/api/container/getIndex?value=1"); err != nil || !strings.Contains(string(b), "value=1") {
		t.Errorf("replay of the first part: %s, %v", b, err)
	}
	if b, err := readAllLimited(t, &http.Client{Transport: rp}, "http://x/api/container/getIndex?value=3"); err != nil || !strings.Contains(string(b), "value=3") {
		t.Errorf("replay of the resumed part: %s, %v", b, err)
	}
}

func TestRecorderBlanksTheVisitorCookieInTheHandshakeAnswer(t *testing.T) {
	const sub, subp = "_2A25SECRETSUBVALUE0123456789", "0033WrSXqPxfM72-SECRETSUBP"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`window.visitor_gray_callback && visitor_gray_callback({"retcode":20000000,"msg":"succ","data":{"sub":"` + sub + `","subp":"` + subp + `","tid":"tidSECRET12345"}});`))
	}))
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "ev")
	rec, err := NewRecorder(dir, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := readAllLimited(t, &http.Client{Transport: rec}, srv.URL+"/visitor/genvisitor2")
	if err != nil || !strings.Contains(string(b), sub) {
		t.Fatalf("the caller must get the real answer: %s %v", b, err)
	}
	rec.Close()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		if strings.Contains(string(data), "SECRET") {
			t.Errorf("%s holds the visitor cookie:\n%s", e.Name(), data)
		}
	}
}
