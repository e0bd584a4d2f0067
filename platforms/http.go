package platforms

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// MaxBody caps every response body an adapter reads, after decompression, live, under --record
// and under --replay alike. The pages nmaudit asks for are tens of KB (a WeChat article page a
// few MB); a body past this is not the page asked for, and reading it whole would let a server
// decide how much memory a run takes.
const MaxBody = 8 << 20

// TooLarge is the fault for a body over limit bytes. It is what reading such a body returns, so
// an adapter that meets it passes it on (AsFault) rather than retrying or parsing what it got.
func TooLarge(limit int64) *Fault {
	return &Fault{Reason: ReasonTooLarge, Detail: fmt.Sprintf("响应超过 %d 字节，未读取", limit)}
}

// LimitBodies wraps rt so that every response body it returns fails with TooLarge once more than
// limit bytes have been read from it. limit ≤ 0 means MaxBody.
func LimitBodies(rt http.RoundTripper, limit int64) http.RoundTripper {
	if limit <= 0 {
		limit = MaxBody
	}
	return &limitTransport{base: rt, limit: limit}
}

type limitTransport struct {
	base  http.RoundTripper
	limit int64
}

func (t *limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	if resp.ContentLength > t.limit {
		// Announced as too large: do not start reading it at all.
		resp.Body.Close()
		resp.Body = io.NopCloser(&errReader{TooLarge(t.limit)})
		resp.ContentLength = -1
		return resp, nil
	}
	resp.Body = &limitedBody{rc: resp.Body, left: t.limit, limit: t.limit}
	return resp, nil
}

// limitedBody reads at most limit bytes and then fails, instead of io.LimitReader's silent
// EOF: a truncated body must never parse as a shorter answer.
type limitedBody struct {
	rc    io.ReadCloser
	left  int64
	limit int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly limit bytes from a longer one.
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, TooLarge(b.limit)
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

type errReader struct{ err error }

func (r *errReader) Read([]byte) (int, error) { return 0, r.err }

// maxRedirects bounds same-site redirect chains.
const maxRedirects = 5

// Client returns a copy of deps.Client for one adapter, with the redirect policy every adapter
// needs: a redirect is followed only while it stays on the scheme, host and port the request was
// made to. Any other redirect is not followed: the 3xx itself comes back to the adapter, which
// reads it as an answer (Weibo's passport redirect means "log in", WeChat's captcha redirect
// "verify") or as ReasonRedirected. So a server cannot hand a verdict to another site, and no
// credential — a cookie, a form with BDUSS, a Referer holding an access_token — ever follows a
// redirect off the host it was configured for. The caller's client is never modified.
func Client(deps Deps) *http.Client {
	var hc http.Client
	if deps.Client != nil {
		hc = *deps.Client
	}
	if hc.Transport == nil {
		hc.Transport = http.DefaultTransport
	}
	hc.Jar = nil // cookies are set explicitly, per request, for the host they belong to
	hc.CheckRedirect = stayOnOrigin
	return &hc
}

func stayOnOrigin(req *http.Request, via []*http.Request) error {
	if len(via) == 0 {
		return nil
	}
	if len(via) >= maxRedirects || !SameOrigin(req.URL, via[0].URL) {
		return http.ErrUseLastResponse
	}
	return nil
}

// SameOrigin reports whether a and b have the same scheme, host and port (a missing port is the
// scheme's default).
func SameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) &&
		portOf(a) == portOf(b)
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}

// Redirected describes a redirect the client did not follow: resp is a 3xx whose Location
// leaves the site. It returns "" when resp is not such a redirect. The target is named by host
// only (its query may carry whatever the server chose).
func Redirected(resp *http.Response) string {
	if resp == nil || resp.StatusCode < 300 || resp.StatusCode > 399 {
		return ""
	}
	loc := resp.Header.Get("Location")
	if loc == "" {
		return ""
	}
	target, err := url.Parse(loc)
	if err != nil {
		return loc
	}
	if resp.Request != nil && resp.Request.URL != nil {
		target = resp.Request.URL.ResolveReference(target)
	}
	return target.Scheme + "://" + target.Host + target.Path
}

// Transport returns the HTTP transport every platform's requests start from: the default
// transport's dialling and TLS settings, with enough idle connections per host that workers
// reuse connections instead of opening new ones (http.DefaultTransport keeps two per host,
// against four or more workers per platform), and gzip left to the transport so bodies arrive
// decompressed — and are capped after decompression (LimitBodies).
func Transport(workers int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	idle := max(workers*2, 8)
	t.MaxIdleConnsPerHost = idle
	t.MaxIdleConns = idle * 8
	t.IdleConnTimeout = 90 * time.Second
	t.ResponseHeaderTimeout = 0 // per-request timeouts come from each adapter's context
	return t
}
