package platformsim

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nmaudit/nmaudit/platforms"
)

// The evidence folder made against the simulator (a random 127.0.0.1 port) replays against
// another base URL with the same bytes, Tieba's signed forms and the 公众平台 token included.
func TestRecordAndReplayTheSimulator(t *testing.T) {
	const mpToken, bduss = "608398971", "bdussSimSecretValue0123456789"
	s := Start(Options{Seed: 5, Accounts: 12})
	defer s.Close()

	// requests lists one account's calls as an adapter makes them, against base.
	requests := func(base string, a Account, bduss string) []*http.Request {
		var out []*http.Request
		switch a.Platform {
		case platforms.Weibo:
			r, _ := http.NewRequest("GET", base+"/api/container/getIndex?type=uid&value="+a.ID+"&containerid=107603"+a.ID, nil)
			r.Header.Set("Cookie", "SUB=_2AkMSimVisitorCookieValue")
			out = append(out, r)
		case platforms.Tieba:
			r, _ := http.NewRequest("GET", base+"/i/sys/user_json?un="+url.QueryEscape(a.ID)+"&ie=utf-8", nil)
			out = append(out, r)
			f := signed(url.Values{"kw": {a.Name}, "pn": {"1"}, "rn": {"30"}, "sort_type": {"1"}, "_client_type": {"2"}, "BDUSS": {bduss}})
			r, _ = http.NewRequest("POST", base+"/c/f/frs/page", strings.NewReader(f.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			out = append(out, r)
		case platforms.WeChat:
			q := url.Values{"sub": {"list"}, "begin": {"0"}, "count": {"5"}, "fakeid": {a.ID}, "token": {mpToken}, "f": {"json"}}
			r, _ := http.NewRequest("GET", base+"/cgi-bin/appmsgpublish?"+q.Encode(), nil)
			out = append(out, r)
		}
		return out
	}
	do := func(c *http.Client, r *http.Request) []byte {
		resp, err := c.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b
	}

	dir := t.TempDir()
	red := platforms.NewRedactor(mpToken, bduss, "SUB=_2AkMSimVisitorCookieValue")
	rec, err := platforms.NewRecorder(dir, s.Client().Transport, red)
	if err != nil {
		t.Fatal(err)
	}
	var live [][]byte
	lc := &http.Client{Transport: rec}
	for _, a := range s.Accounts() {
		for _, r := range requests(s.URL, a, bduss) {
			live = append(live, do(lc, r))
		}
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}

	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if bytes.Contains(b, []byte(bduss)) || bytes.Contains(b, []byte("SimVisitorCookie")) || bytes.Contains(b, []byte("token="+mpToken)) {
			t.Errorf("%s leaks a secret", filepath.Base(f))
		}
	}

	rp, err := platforms.NewReplayer(dir, platforms.NewRedactor())
	if err != nil {
		t.Fatal(err)
	}
	rc := &http.Client{Transport: rp}
	i := 0
	for _, a := range s.Accounts() {
		// The replay run has no BDUSS configured; the adapter sends the redacted one and signs it.
		for _, r := range requests("https://elsewhere.example", a, platforms.Redacted) {
			if got := do(rc, r); !bytes.Equal(got, live[i]) {
				t.Errorf("%s request %d: replay differs:\n%s\nlive:\n%s", a.Name, i, got, live[i])
			}
			i++
		}
	}
	if u := rp.Unused(); len(u) != 0 {
		t.Errorf("unused: %v", u)
	}
}
