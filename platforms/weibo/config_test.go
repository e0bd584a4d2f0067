package weibo

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/platforms"
)

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	want := platforms.Limits{Rate: 1, Burst: 1, Timeout: 15 * time.Second, Retries: 3, Backoff: time.Second, MaxPages: 10}
	if c.BaseURL != "https://m.weibo.cn" || c.Limits != want || c.Cookie != "" {
		t.Errorf("DefaultConfig = %+v", c)
	}
	if !strings.Contains(c.UserAgent, "Mobile") || !strings.Contains(c.UserAgent, "Safari") {
		t.Errorf("UserAgent %q is not a mobile Safari UA", c.UserAgent)
	}
}

func TestNewValidates(t *testing.T) {
	bad := map[string]func(*Config){
		"base_url without scheme": func(c *Config) { c.BaseURL = "m.weibo.cn" },
		"base_url not http":       func(c *Config) { c.BaseURL = "ftp://m.weibo.cn" },
		"base_url with a query":   func(c *Config) { c.BaseURL = "https://m.weibo.cn/?a=1" },
		"base_url unparseable":    func(c *Config) { c.BaseURL = "https://m.weibo.cn/%zz" },
		"zero timeout":            func(c *Config) { c.Timeout = 0 },
		"zero max_pages":          func(c *Config) { c.MaxPages = 0 },
		"user_agent line break":   func(c *Config) { c.UserAgent = "a\r\nX-Evil: 1" },
	}
	for name, mod := range bad {
		t.Run(name, func(t *testing.T) {
			c := DefaultConfig()
			mod(&c)
			if _, err := New(c, platforms.Deps{}); err == nil {
				t.Errorf("New accepted %+v", c)
			}
		})
	}
	// Empty strings take their defaults; a trailing slash is fine.
	c := DefaultConfig()
	c.BaseURL, c.UserAgent = "", ""
	f, err := New(c, platforms.Deps{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if f.base != DefaultBaseURL || f.headers["User-Agent"] != DefaultUserAgent {
		t.Errorf("defaults not applied: base %q, UA %q", f.base, f.headers["User-Agent"])
	}
	c.BaseURL = "http://127.0.0.1:8080/"
	if f, err = New(c, platforms.Deps{}); err != nil || f.base+pagePath("1", cursor{}) != "http://127.0.0.1:8080/api/container/getIndex?type=uid&value=1&containerid=1076031" {
		t.Errorf("trailing slash: err %v", err)
	}
}

// TestNewLeavesClientAlone: resty fills in a nil Transport on the client it wraps; the caller's
// client (which may be shared, even http.DefaultClient) must not change.
func TestNewLeavesClientAlone(t *testing.T) {
	hc := &http.Client{}
	if _, err := New(DefaultConfig(), platforms.Deps{Client: hc}); err != nil {
		t.Fatal(err)
	}
	if hc.Transport != nil {
		t.Errorf("New set Transport on the caller's client")
	}
}
