package platforms

import (
	"net/url"
	"sort"
	"strings"
	"sync"
)

// Secret holds a credential (cookie, token, BDUSS, AppSecret). It prints as a mask in every
// formatting path, so a Secret that slips into a log line, an error or a JSON document leaks
// nothing; Reveal is the one way to read it, used only where the value goes on the wire.
type Secret string

const mask = "******"

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// String masks the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return mask
}

// GoString masks the value for %#v.
func (s Secret) GoString() string { return `"` + s.String() + `"` }

// MarshalText masks the value in JSON, YAML and the like.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Redacted is what a secret is replaced with wherever text is redacted.
const Redacted = "REDACTED"

// secretParams are query, form and header names whose values are credentials wherever they
// appear (platforms.md: mp token, access_token, BDUSS, the token call's secret).
var secretParams = map[string]bool{
	"access_token": true, "secret": true, "appsecret": true, "token": true, "bduss": true,
	"cookie": true, "set-cookie": true, "stoken": true, "pass_ticket": true, "key": true, "uin": true,
	"authorization": true, "refresh_token": true,
}

// IsSecretParam reports whether a query, form or header name carries a credential.
func IsSecretParam(name string) bool { return secretParams[strings.ToLower(name)] }

// Redactor removes known secret values, and the values of credential parameters, from text.
// Every string that leaves nmaudit (logs, errors, recordings, reports) and may contain request
// data goes through one.
type Redactor struct {
	mu      sync.RWMutex
	secrets []string // longest first, so a secret containing another is removed whole
}

// NewRedactor builds a Redactor for the given secret values; empty ones are ignored. Each value
// is also matched in its URL-encoded forms, since that is how it appears in a query or a form.
func NewRedactor(secrets ...Secret) *Redactor {
	seen := map[string]bool{}
	var list []string
	add := func(s string) {
		if len(s) >= 4 && !seen[s] {
			seen[s] = true
			list = append(list, s)
		}
	}
	for _, s := range secrets {
		v := s.Reveal()
		add(v)
		add(url.QueryEscape(v))
		add(url.PathEscape(v))
		// A cookie header's individual values can appear alone (e.g. a cookie echoed back).
		for _, part := range strings.Split(v, ";") {
			if _, val, ok := strings.Cut(strings.TrimSpace(part), "="); ok && len(val) >= 8 {
				add(val)
			}
		}
	}
	sort.Slice(list, func(i, j int) bool { return len(list[i]) > len(list[j]) })
	return &Redactor{secrets: list}
}

// Add registers more secret values (e.g. an access token obtained at run time). It is safe to
// call while other goroutines redact.
func (r *Redactor) Add(secrets ...Secret) {
	if r == nil {
		return
	}
	more := NewRedactor(secrets...)
	r.mu.Lock()
	defer r.mu.Unlock()
	list := append(append([]string(nil), r.secrets...), more.secrets...)
	sort.Slice(list, func(i, j int) bool { return len(list[i]) > len(list[j]) })
	r.secrets = list
}

// String replaces every known secret value in s.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	secrets := r.secrets
	r.mu.RUnlock()
	for _, v := range secrets {
		if strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, Redacted)
		}
	}
	return s
}

// URL redacts a URL: credential query parameters lose their values and known secrets are
// replaced anywhere else. Unparseable input is redacted as plain text.
func (r *Redactor) URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return r.String(raw)
	}
	u.RawQuery = r.Query(u.RawQuery)
	u.User = nil
	return r.String(u.String())
}

// Query redacts an encoded query or form body (a=1&b=2), keeping parameter order.
func (r *Redactor) Query(q string) string {
	if q == "" {
		return q
	}
	parts := strings.Split(q, "&")
	for i, p := range parts {
		name, _, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		if un, err := url.QueryUnescape(name); err == nil && IsSecretParam(un) {
			parts[i] = name + "=" + Redacted
		}
	}
	return r.String(strings.Join(parts, "&"))
}
