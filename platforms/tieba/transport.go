package tieba

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/go-resty/resty/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/nmaudit/nmaudit/platforms"
)

// User agents. The client API's is the Android app's; user_json is a web endpoint, and Baidu's web
// JSON endpoints answer HTML to non-desktop agents (platforms.md Part 2 §3a).
const (
	clientUAPrefix = "bdtb for Android " // + the configured client version
	webUA          = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)

// reply is one settled exchange.
type reply struct {
	body   string      // UTF-8 text of the body
	header http.Header // response headers (Date gives the fetch time)
	url    string      // the request URL, redacted; for a POST the URL only, never the form
}

// get sends a GET to the web endpoint path with query q.
func (f *Fetcher) get(ctx context.Context, path string, q url.Values) (reply, error) {
	u := *f.web
	u.Path += path
	u.RawQuery = q.Encode()
	return f.send(ctx, http.MethodGet, u.String(), nil)
}

// post sends a signed client-API form to path. The common fields and BDUSS are added here, so
// each caller lists only what is specific to its endpoint, and sign always covers BDUSS.
func (f *Fetcher) post(ctx context.Context, path string, form url.Values) (reply, error) {
	form.Set("_client_type", "2")
	form.Set("_client_version", f.cfg.ClientVersion)
	if f.cfg.BDUSS != "" {
		form.Set("BDUSS", f.cfg.BDUSS.Reveal())
	}
	form.Set("sign", Sign(form))
	u := *f.base
	u.Path += path
	return f.send(ctx, http.MethodPost, u.String(), form)
}

// send runs one logical request through the pacer and sorts the outcome:
//
//   - a transport error or timeout → retried, then ReasonNetwork; a transport error carrying a
//     *Fault (replay's ReasonNoRecording) → that fault, not retried;
//   - an HTML security-check page, whatever the status → ReasonCaptcha, not retried (asking
//     again only deepens the risk-control block);
//   - HTTP 429 or 403 → retried, then ReasonRateLimited;
//   - HTTP 5xx → retried, then ReasonPlatformError;
//   - any other non-2xx → ReasonPlatformError at once.
//
// A 2xx reply is returned for the caller to parse; its body is already UTF-8.
func (f *Fetcher) send(ctx context.Context, method, rawURL string, form url.Values) (reply, error) {
	var out reply
	err := f.pacer.Do(ctx, func(ctx context.Context) error {
		req := f.rc.R().SetContext(ctx)
		if form != nil {
			req.SetHeader("User-Agent", clientUAPrefix+f.cfg.ClientVersion).SetFormDataFromValues(form)
		} else {
			req.SetHeader("User-Agent", webUA)
		}
		resp, err := req.Execute(method, rawURL)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("tieba: %w", ctx.Err())
			}
			// A transport that already knows the answer is not a network failure: --replay
			// reports a request missing from the recording as a Fault (ReasonNoRecording),
			// which must reach the report as such, and retrying it would only repeat it.
			var tf *platforms.Fault
			if errors.As(err, &tf) {
				return f.fault(tf.Reason, tf.Label, tf.Detail, rawURL, nil)
			}
			if errors.Is(err, resty.ErrResponseBodyTooLarge) {
				tl := platforms.TooLarge(platforms.MaxBody)
				return f.fault(tl.Reason, "", tl.Detail, rawURL, nil)
			}
			return platforms.Retry(f.fault(platforms.ReasonNetwork, "", err.Error(), rawURL, err))
		}
		body := toUTF8(resp.Body())
		status := resp.StatusCode()
		switch {
		case isSecurityCheck(body):
			return f.fault(platforms.ReasonCaptcha, labelCaptcha, fmt.Sprintf("HTTP %d", status), rawURL, nil)
		case status >= 300 && status < 400:
			// Not followed (platforms.Client stays on the site): Baidu sends risk-controlled
			// clients to its captcha (wappass…/captcha); anything else is refused.
			to := platforms.Redirected(resp.RawResponse)
			if strings.Contains(to, "captcha") || strings.Contains(to, "wappass") {
				return f.fault(platforms.ReasonCaptcha, labelCaptcha, "被重定向到验证页："+to, rawURL, nil)
			}
			return f.fault(platforms.ReasonRedirected, "", fmt.Sprintf("HTTP %d → %s（未跟随）", status, to), rawURL, nil)
		case status == http.StatusTooManyRequests || status == http.StatusForbidden:
			return platforms.Retry(f.fault(platforms.ReasonRateLimited, "", fmt.Sprintf("HTTP %d", status), rawURL, nil))
		case status >= 500:
			return platforms.Retry(f.fault(platforms.ReasonPlatformError, "", fmt.Sprintf("HTTP %d", status), rawURL, nil))
		case status < 200 || status > 299:
			return f.fault(platforms.ReasonPlatformError, "", fmt.Sprintf("HTTP %d", status), rawURL, nil)
		}
		out = reply{body: body, header: resp.Header(), url: f.redactURL(rawURL)}
		return nil
	})
	return out, err
}

// toUTF8 returns b as UTF-8 text. Baidu's web endpoints have answered in GBK, sometimes labelled
// text/html or with no charset at all, so the bytes decide rather than the header: valid UTF-8 is
// taken as is (a GB18030 decoder would turn it into silent mojibake), anything else is decoded as
// GB18030, the superset of GBK and GB2312.
func toUTF8(b []byte) string {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if utf8.Valid(b) {
		return string(b)
	}
	if d, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b); err == nil {
		return string(d)
	}
	return string(b)
}

// isSecurityCheck recognises Baidu's security-check page (百度安全验证). Only a body that is not
// JSON counts: a JSON post whose own text mentions 安全验证 is an answer, not a block.
func isSecurityCheck(body string) bool {
	return !looksLikeJSON(body) && strings.Contains(body, "安全验证")
}

func looksLikeJSON(body string) bool {
	s := strings.TrimSpace(body)
	return strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[")
}

// snippet is the start of a body, for a bad-response detail.
func snippet(body string) string {
	s := strings.Join(strings.Fields(body), " ")
	const max = 80
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max]) + "…"
}
