package platforms

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// replayBase is a host that does not exist: a replay that touched the network would fail.
const replayBase = "https://platform.invalid:8443"

func TestReplayReproducesTheRecording(t *testing.T) {
	dir, live := recordScript(t)
	for _, tc := range []struct {
		name string
		red  *Redactor
	}{
		{"same secrets as the recording", testRedactor()},
		{"no secrets configured", NewRedactor()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rp, err := NewReplayer(dir, tc.red)
			if err != nil {
				t.Fatal(err)
			}
			got := runScript(t, &http.Client{Transport: rp}, replayBase)
			names := script(new(string))
			for i, g := range got {
				l := live[i]
				name := names[i].name
				if g.status != l.status {
					t.Errorf("%s: status %d, live %d", name, g.status, l.status)
				}
				redactedBody := name == "token" || name == "gzip" || name == "freepublish" || name == "echo"
				for k := range l.header {
					if k == "Set-Cookie" || k == "Content-Length" && redactedBody {
						continue
					}
					if g.header.Get(k) != l.header.Get(k) {
						t.Errorf("%s: header %s = %q, live %q", name, k, g.header.Get(k), l.header.Get(k))
					}
				}
				if cl := g.header.Get("Content-Length"); cl != "" && cl != strconv.Itoa(len(g.body)) {
					t.Errorf("%s: Content-Length %s for a %d-byte body", name, cl, len(g.body))
				}
				switch name {
				case "token", "gzip":
					// The access token comes back redacted, and the rest of the body as it was.
					want := bytes.ReplaceAll(l.body, []byte(secAccess), []byte(Redacted))
					if !bytes.Equal(g.body, want) {
						t.Errorf("%s: body %s, want %s", name, g.body, want)
					}
				case "freepublish", "echo":
					if bytes.Equal(g.body, l.body) || bytes.Contains(g.body, []byte("SECRET")) {
						t.Errorf("%s: body should be the redacted one: %s", name, g.body)
					}
				default:
					if !bytes.Equal(g.body, l.body) {
						t.Errorf("%s: body %q, live %q", name, g.body, l.body)
					}
				}
			}
			if u := rp.Unused(); len(u) != 0 {
				t.Errorf("unused: %v", u)
			}
			if rp.Meta()["check_time"] != testCheck.Format("2006-01-02T15:04:05-07:00") {
				t.Errorf("meta = %v", rp.Meta())
			}
		})
	}
}

func TestReplayGBKBodyByteIdentical(t *testing.T) {
	dir, live := recordScript(t)
	rp, err := NewReplayer(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: rp}).Get(replayBase + "/gbk")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if !bytes.Equal(b, gbkPage) || !bytes.Equal(live[7].body, gbkPage) {
		t.Errorf("GBK body changed: replay %x", b)
	}
	if resp.Header.Get("Content-Type") != "text/html; charset=gbk" {
		t.Errorf("Content-Type = %q", resp.Header.Get("Content-Type"))
	}
}

func TestReplayOrderThenNoRecording(t *testing.T) {
	dir, _ := recordScript(t)
	rp, err := NewReplayer(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: rp}
	for i, want := range []int{http.StatusTeapot, http.StatusOK} {
		resp, err := c.Get(replayBase + "/teapot")
		if err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("attempt %d: status %d, want %d", i+1, resp.StatusCode, want)
		}
	}
	// A third attempt was never recorded: an error, not a repeat of the 200.
	_, err = c.Get(replayBase + "/teapot")
	var f *Fault
	if !errors.As(err, &f) || f.Reason != ReasonNoRecording || !strings.Contains(f.Detail, "GET /teapot") || !strings.Contains(f.Detail, "2 次应答已用完") {
		t.Fatalf("exhausted: %v", err)
	}

	// A request never recorded; its secret does not reach the error.
	_, err = c.Get(replayBase + "/api/container/getIndex?type=uid&value=999&token=" + secToken)
	if !errors.As(err, &f) || f.Reason != ReasonNoRecording {
		t.Fatalf("missing: %v", err)
	}
	if f.Detail != "GET /api/container/getIndex?type=uid&value=999&token=REDACTED" || strings.Contains(f.Error(), "SECRET") {
		t.Errorf("fault detail = %q", f.Detail)
	}
	if !strings.HasPrefix(f.Error(), ReasonNoRecording.Label()) {
		t.Errorf("fault prints %q", f.Error())
	}
}

func TestReplayRelativeTimeUsesRecordedDate(t *testing.T) {
	dir, live := recordScript(t)
	rp, err := NewReplayer(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: rp}).Get(replayBase + "/nodate")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got := FetchTime(resp.Header, nil)
	want := FetchTime(live[9].header, nil)
	if !got.Equal(want) || !got.Equal(recordClock()) {
		t.Errorf("fetch time on replay %v, live %v, recording clock %v", got, want, recordClock())
	}
}

func TestReplayRefusesACorruptFile(t *testing.T) {
	dir, _ := recordScript(t)
	if err := os.WriteFile(filepath.Join(dir, "0099-x-GET-y.json"), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewReplayer(dir, nil); err == nil || !strings.Contains(err.Error(), "0099-x-GET-y.json") {
		t.Fatalf("corrupt file: %v", err)
	}
}

// A replay run may have another BDUSS or none; the adapter then signs the form differently.
// The exchange must still be found, since sign is left out of the match.
func TestReplayTiebaWithOtherBDUSS(t *testing.T) {
	dir, live := recordScript(t)
	rp, err := NewReplayer(dir, NewRedactor())
	if err != nil {
		t.Fatal(err)
	}
	req := mustReq("POST", replayBase+"/c/u/feed/userpost", tiebaForm(Redacted), "application/x-www-form-urlencoded")
	resp, err := (&http.Client{Transport: rp}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if !bytes.Equal(b, live[3].body) {
		t.Errorf("userpost replayed %s, live %s", b, live[3].body)
	}
}
