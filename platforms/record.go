package platforms

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Recorder is the transport behind `nmaudit check --record DIR`: it passes every request to a
// base transport and writes the exchange, secrets redacted, as one JSON file under DIR, so each
// verdict can be shown to the audited unit with the platform's own answer behind it.
//
// Folder layout (see also Exchange, Index):
//
//	0001-weibo-GET-api_container_getIndex.json   one exchange: seq, recorded_at, platform,
//	0002-tieba-POST-c_u_feed_userpost.json         request {method, scheme, host, url, headers, body},
//	…                                              response {status, date, headers, body} or error
//	index.json                                     format, meta, and the exchanges in order
//
// Each file is written to a temporary name and renamed, so a killed run leaves only whole
// files; index.json is written by Close and SetMeta and can be rebuilt with RebuildIndex.
//
// What is redacted: credential query and form parameters (IsSecretParam: token, access_token,
// BDUSS, secret…), Cookie / Set-Cookie / Authorization values, credential members of JSON bodies
// (access_token, secret, app_secret…), every secret the Redactor knows, and every credential
// value seen earlier in the run (an access token obtained from the token endpoint is scrubbed
// from all later files too). The caller still receives the unredacted response.
//
// A Recorder is safe for concurrent use by many workers.
type Recorder struct {
	dir  string
	base http.RoundTripper
	red  *Redactor
	// Now is the clock for recorded_at and for the Date given to a response that came without
	// one. Set it before the first request; nil means time.Now.
	Now func() time.Time

	inflight sync.WaitGroup

	// MaxBody caps what one response body may hold (default MaxBody). A longer body is read only
	// up to the cap, recorded truncated with a marker (RecordedResponse.Truncated), and handed to
	// the adapter as a body that fails with TooLarge, so the account is 待核查 (平台返回内容过大)
	// and neither memory nor the evidence folder grows with what a server sends.
	MaxBody int64
	// OnFail, when set, is called once, with the first failure to write evidence. Evidence that
	// cannot be written fails the run (the CLI cancels it): it must never turn into a platform
	// fault that makes an account 待核查 as if the platform had failed.
	OnFail func(error)

	mu       sync.Mutex
	seq      int
	closed   bool
	learned  []string // credential values seen during the run, longest first
	entries  []IndexEntry
	meta     map[string]string
	firstErr error // the first failure to write evidence, reported again by Close
}

// Evidence folders hold every platform answer a run's verdicts rest on, before those verdicts
// are published: they are private to the user who ran the check.
const (
	recordDirMode  = 0o700
	recordFileMode = 0o600
)

// NewRecorder wraps base (nil = http.DefaultTransport) and writes every exchange under dir,
// creating it if needed. A folder that already holds a recording is refused rather than mixed
// with a second run: replay answers a repeated request in recorded order, and two runs' worth
// of answers in one folder would make that order meaningless.
func NewRecorder(dir string, base http.RoundTripper, red *Redactor) (*Recorder, error) {
	if err := os.MkdirAll(dir, recordDirMode); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	for _, de := range entries {
		if de.Name() == IndexFile || exchangeName.MatchString(de.Name()) {
			return nil, fmt.Errorf("record: %s 已有证据记录（%s），请选择空文件夹", dir, de.Name())
		}
	}
	return newRecorder(dir, base, red), nil
}

// ResumeRecorder continues the recording in dir, for a resumed run (`check --resume` of a run
// started with --record): new exchanges are numbered after the ones already there and added to
// the same index, whose meta is kept, so every verdict of the finished run has its evidence in
// one folder. Exchanges of the interrupted part stay as they are; a killed run's missing
// index.json is rebuilt from the exchange files.
func ResumeRecorder(dir string, base http.RoundTripper, red *Redactor) (*Recorder, error) {
	if err := os.MkdirAll(dir, recordDirMode); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	exs, err := LoadRecording(dir)
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	r := newRecorder(dir, base, red)
	for i := range exs {
		r.seq = max(r.seq, exs[i].Seq)
		r.entries = append(r.entries, indexEntry(exs[i].File, &exs[i]))
	}
	switch ix, err := ReadIndex(dir); {
	case err == nil:
		r.meta = ix.Meta
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("record: %w", err)
	}
	return r, nil
}

func newRecorder(dir string, base http.RoundTripper, red *Redactor) *Recorder {
	if base == nil {
		base = http.DefaultTransport
	}
	if red == nil {
		red = NewRedactor()
	}
	return &Recorder{dir: dir, base: base, red: red, MaxBody: MaxBody}
}

// Meta returns the facts recorded with SetMeta so far (for a resumed recording, those of the
// run that started it).
func (r *Recorder) Meta() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]string, len(r.meta))
	for k, v := range r.meta {
		out[k] = v
	}
	return out
}

// Dir is the folder the Recorder writes to.
func (r *Recorder) Dir() string { return r.dir }

// RoundTrip implements http.RoundTripper. It sends req through the base transport, records
// the exchange, and returns the response with its body fully read (and decompressed, so the
// recorded body is the one the adapter parsed). A transport error is recorded too — it is the
// evidence behind a 待核查 (网络错误) — unless the request was cancelled, which says nothing about
// the platform. If the evidence cannot be written the request fails: under --record no verdict
// may rest on an exchange that is not in the folder.
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := drainBody(req)
	if err != nil {
		return nil, fmt.Errorf("record: reading request body: %w", err)
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, errors.New("record: recorder is closed")
	}
	r.seq++
	seq := r.seq
	r.inflight.Add(1)
	r.mu.Unlock()
	defer r.inflight.Done()

	out := req.Clone(req.Context())
	// Without an explicit Accept-Encoding, http.Transport asks for gzip itself and decompresses
	// transparently; an adapter asking for br or zstd would leave bodies nobody can redact.
	out.Header.Del("Accept-Encoding")
	if body != nil {
		out.Body = io.NopCloser(bytes.NewReader(body))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		out.ContentLength = int64(len(body))
	}

	resp, err := r.base.RoundTrip(out)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return nil, err
		}
		if serr := r.save(seq, req, out.Header, body, nil, nil, err, false); serr != nil {
			return nil, serr
		}
		return nil, err
	}
	limit := r.MaxBody
	if limit <= 0 {
		limit = MaxBody
	}
	respBody, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	resp.Body.Close()
	if err == nil {
		respBody, err = decodeContent(resp.Header, respBody, limit)
		if err == nil {
			resp.Uncompressed = resp.Uncompressed || resp.Header.Get("Content-Encoding") != ""
			resp.Header.Del("Content-Encoding")
		}
	}
	truncated := false
	if err == nil && int64(len(respBody)) > limit {
		respBody, truncated = respBody[:limit], true
	}
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			if serr := r.save(seq, req, out.Header, body, nil, nil, err, false); serr != nil {
				return nil, serr
			}
		}
		return nil, err
	}
	if resp.Header == nil {
		resp.Header = http.Header{}
	}
	if resp.Header.Get("Date") == "" {
		// Adapters read the fetch time from Date (FetchTime); giving the live response the same
		// Date the recording keeps makes a replay resolve "3分钟前" exactly as the live run did.
		resp.Header.Set("Date", r.now().UTC().Format(http.TimeFormat))
	}
	if resp.Header.Get("Content-Length") != "" {
		resp.Header.Set("Content-Length", strconv.Itoa(len(respBody)))
	}
	resp.ContentLength = int64(len(respBody))
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	if truncated {
		resp.ContentLength = -1
		resp.Header.Del("Content-Length")
		resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(respBody), &errReader{TooLarge(limit)}))
	}
	resp.Request = req
	if err := r.save(seq, req, out.Header, body, resp, respBody, nil, truncated); err != nil {
		return nil, err
	}
	return resp, nil
}

// SetMeta records a fact about the run in index.json (e.g. "check_time", "window"), written at
// once so it survives a killed run. A replay reads it back with Replayer.Meta.
func (r *Recorder) SetMeta(key, value string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.meta == nil {
		r.meta = map[string]string{}
	}
	r.meta[key] = r.red.String(value)
	return r.writeIndexLocked()
}

// Close waits for requests in flight, then writes index.json. It reports the first failure to
// write an exchange, if any, so a run can say its evidence is incomplete. Later calls do nothing.
func (r *Recorder) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.mu.Unlock()
	r.inflight.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.writeIndexLocked(); err != nil {
		return err
	}
	return r.firstErr
}

func (r *Recorder) writeIndexLocked() error {
	entries := append([]IndexEntry(nil), r.entries...)
	sort.Slice(entries, func(i, j int) bool { return entries[i].Seq < entries[j].Seq })
	if entries == nil {
		entries = []IndexEntry{}
	}
	return writeJSONAtomic(r.dir, IndexFile, Index{Format: RecordingFormat, Meta: r.meta, Exchanges: entries})
}

func (r *Recorder) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// learn adds credential values found in an exchange and returns the scrubber to redact it with.
func (r *Recorder) learn(vals []string) scrubber {
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := false
	for _, v := range vals {
		if !learnable(v) || containsString(r.learned, v) {
			continue
		}
		r.learned = append(r.learned, v)
		changed = true
	}
	if changed {
		sort.Slice(r.learned, func(i, j int) bool { return len(r.learned[i]) > len(r.learned[j]) })
	}
	return scrubber{red: r.red, learned: append([]string(nil), r.learned...)}
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// save redacts one exchange and writes it. Credential values are collected from the whole
// exchange first (request and response), so a token the response echoes is removed from both.
func (r *Recorder) save(seq int, req *http.Request, sent http.Header, reqBody []byte, resp *http.Response, respBody []byte, rtErr error, truncated bool) error {
	reqKind := kindOf(sent.Get("Content-Type"), reqBody)
	var found []string
	found = append(found, secretParamValues(req.URL.RawQuery)...)
	found = append(found, cookieValues(sent)...)
	switch reqKind {
	case bodyForm:
		found = append(found, secretParamValues(string(reqBody))...)
	case bodyJSON:
		_, v := blankJSONSecrets(string(reqBody))
		found = append(found, v...)
	}
	if resp != nil {
		found = append(found, cookieValues(resp.Header)...)
		_, v := blankJSONSecrets(string(respBody))
		found = append(found, v...)
		if visitorPath(req.URL.Path) {
			_, v := blankVisitorSecrets(string(respBody))
			found = append(found, v...)
		}
	}
	s := r.learn(found)

	now := r.now()
	ex := Exchange{
		Seq:        seq,
		RecordedAt: now.Format(time.RFC3339),
		Platform:   platformOf(req),
		Request: RecordedRequest{
			Method:  req.Method,
			Scheme:  req.URL.Scheme,
			Host:    s.text(req.URL.Host),
			URL:     s.pathQuery(requestPathQuery(req.URL)),
			Headers: s.headers(sent),
		},
	}
	if len(reqBody) > 0 {
		ex.Request.Body, ex.Request.BodyEncoding = encodeBody([]byte(s.requestBody(reqKind, string(reqBody))))
	}
	if rtErr != nil {
		var ne net.Error
		ex.Error = &RecordedError{
			Message: s.text(rtErr.Error()),
			Timeout: errors.As(rtErr, &ne) && ne.Timeout() || errors.Is(rtErr, context.DeadlineExceeded),
		}
	} else {
		text := s.responseBody(string(respBody))
		if visitorPath(req.URL.Path) {
			text, _ = blankVisitorSecrets(text)
		}
		body := []byte(text)
		h := s.headers(resp.Header)
		if h == nil {
			h = http.Header{}
		}
		if h.Get("Content-Length") != "" {
			h.Set("Content-Length", strconv.Itoa(len(body)))
		}
		ex.Response = &RecordedResponse{Status: resp.StatusCode, Date: h.Get("Date"), Headers: h, Truncated: truncated}
		ex.Response.Body, ex.Response.BodyEncoding = encodeBody(body)
		if ex.Response.BodyEncoding != "" {
			ex.Response.BodyText = s.responseBody(readableText(h.Get("Content-Type"), body))
		}
	}

	name := fmt.Sprintf("%04d-%s-%s-%s.json", seq, fileSlug(ex.Platform, 20), fileSlug(req.Method, 10), fileSlug(req.URL.Path, 60))
	err := writeJSONAtomic(r.dir, name, ex)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		err = &EvidenceError{Err: err}
		if r.firstErr == nil {
			r.firstErr = err
			if r.OnFail != nil {
				r.OnFail(err)
			}
		}
		return err
	}
	r.entries = append(r.entries, indexEntry(name, &ex))
	return nil
}

// EvidenceError is a failure to write the evidence folder (a full disk, a folder removed or
// made read-only under the run). It is not a platform's answer: the run fails with it.
type EvidenceError struct{ Err error }

func (e *EvidenceError) Error() string { return "证据记录写入失败: " + e.Err.Error() }
func (e *EvidenceError) Unwrap() error { return e.Err }

// drainBody reads and closes a request's body (a RoundTripper must close it in every case).
func drainBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	defer req.Body.Close()
	return io.ReadAll(req.Body)
}

// decodeContent undoes a Content-Encoding the transport left in place, so the body on disk can
// be read and redacted. An encoding without a decoder in the standard library is an error:
// recording it would mean writing bytes whose secrets nobody checked.
//
// The output is read only up to limit+1 bytes: a small compressed body can expand to gigabytes
// (a gzip bomb), and the caller only needs to know that it is over the limit.
func decodeContent(h http.Header, b []byte, limit int64) ([]byte, error) {
	upTo := func(r io.Reader) ([]byte, error) { return io.ReadAll(io.LimitReader(r, limit+1)) }
	switch ce := strings.ToLower(strings.TrimSpace(h.Get("Content-Encoding"))); ce {
	case "", "identity":
		return b, nil
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("record: gzip body: %w", err)
		}
		return upTo(zr)
	case "deflate":
		// "deflate" is zlib-wrapped by the standard, raw DEFLATE on some servers.
		if zr, err := zlib.NewReader(bytes.NewReader(b)); err == nil {
			if out, err := upTo(zr); err == nil {
				return out, nil
			}
		}
		return upTo(flate.NewReader(bytes.NewReader(b)))
	default:
		return nil, fmt.Errorf("record: cannot redact a body with Content-Encoding %q", ce)
	}
}

type platformKey struct{}

// WithPlatform labels the requests made with ctx, naming their exchange files (…-weibo-GET-…).
// Without a label the Recorder tells the platform from the host or, against a test server or
// the simulator, from the endpoint path.
func WithPlatform(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, platformKey{}, name)
}

// pathPlatforms are the endpoints of platforms.md Part 1 (and a few fallbacks), by path prefix.
var pathPlatforms = []struct{ prefix, platform string }{
	{"/api/container/", "weibo"},
	{"/ajax/", "weibo"},
	{"/c/", "tieba"},
	{"/i/sys/user_json", "tieba"},
	{"/home/get/", "tieba"},
	{"/visitor/", "weibo"},
	{"/statuses/show", "weibo"},
	{"/cgi-bin/searchbiz", "wechat-mp"},
	{"/cgi-bin/appmsg", "wechat-mp"},
	{"/cgi-bin/token", "wechat-api"},
	{"/cgi-bin/freepublish/", "wechat-api"},
	{"/cgi-bin/material/", "wechat-api"},
	{"/datacube/", "wechat-api"},
}

// isArticlePath reports a WeChat article page: /s/{token} or /s?__biz=….
func isArticlePath(p string) bool { return p == "/s" || strings.HasPrefix(p, "/s/") }

func platformOf(req *http.Request) string {
	if p, ok := req.Context().Value(platformKey{}).(string); ok && p != "" {
		return p
	}
	host := strings.ToLower(req.URL.Hostname())
	switch {
	case host == "mp.weixin.qq.com" && isArticlePath(req.URL.Path):
		return "wechat-article"
	case host == "mp.weixin.qq.com":
		return "wechat-mp"
	case host == "api.weixin.qq.com":
		return "wechat-api"
	case strings.HasSuffix(host, "weibo.cn"), strings.HasSuffix(host, "weibo.com"):
		return "weibo"
	case strings.HasSuffix(host, "baidu.com"):
		return "tieba"
	}
	if isArticlePath(req.URL.Path) {
		return "wechat-article"
	}
	for _, pp := range pathPlatforms {
		if strings.HasPrefix(req.URL.Path, pp.prefix) {
			return pp.platform
		}
	}
	return "http"
}

// fileSlug makes s safe and short for a file name: letters, digits, '-' and '.', with every
// other run of characters turned into one '_'.
func fileSlug(s string, max int) string {
	var b strings.Builder
	underscore := false
	for _, c := range strings.Trim(s, "/") {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.'
		if ok {
			b.WriteRune(c)
			underscore = false
		} else if !underscore {
			b.WriteByte('_')
			underscore = true
		}
		if b.Len() >= max {
			break
		}
	}
	if b.Len() == 0 {
		return "root"
	}
	return b.String()
}
