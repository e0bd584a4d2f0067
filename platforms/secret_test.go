package platforms

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestSecretNeverPrints(t *testing.T) {
	s := Secret("SUB=abcdef123456")
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %s %+v %#v", s, s, s, s)} {
		if strings.Contains(out, "abcdef") {
			t.Errorf("secret printed: %q", out)
		}
	}
	b, _ := json.Marshal(struct{ C Secret }{s})
	if strings.Contains(string(b), "abcdef") {
		t.Errorf("secret in JSON: %s", b)
	}
	if s.Reveal() != "SUB=abcdef123456" {
		t.Errorf("Reveal = %q", s.Reveal())
	}
}

func TestRedactor(t *testing.T) {
	r := NewRedactor("SUB=abcdef123456; SUBP=zyxwvu987654", "tok 1/2", "")
	cases := map[string]string{
		"cookie SUB=abcdef123456; SUBP=zyxwvu987654 sent": "cookie REDACTED sent",
		"echo zyxwvu987654": "echo REDACTED",
		"q=tok+1%2F2&x=1":   "q=REDACTED&x=1",
	}
	for in, want := range cases {
		if got := r.String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
	if got := r.URL("https://mp.weixin.qq.com/cgi-bin/x?token=123&fakeid=abc&access_token=zz"); strings.Contains(got, "123") || strings.Contains(got, "zz") || !strings.Contains(got, "fakeid=abc") {
		t.Errorf("URL = %q", got)
	}
}

func TestRedactorAddConcurrent(t *testing.T) {
	r := NewRedactor("first-secret")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() { r.Add(Secret(fmt.Sprintf("token-%04d", i))) })
		wg.Go(func() { _ = r.String("first-secret token-0001") })
	}
	wg.Wait()
	if got := r.String("first-secret token-0003"); got != "REDACTED REDACTED" {
		t.Errorf("after Add: %q", got)
	}
}
