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

	mu       sync.Mutex
	seq      int
	closed   bool
	learned  []string // credential values seen during the run, longest first
	entries  []IndexEntry
	meta     map[string]string
	firstErr error // the first failure to write evidence, reported again by Close
}

// NewRecorder wraps base (nil = http.DefaultTransport) and writes every exchange under dir,
// creating it if needed. A folder that already holds a recording is refused rather than mixed
// with a second run: replay answers a repeated request in recorded order, and two runs' worth
// of answers in one folder would make that order meaningless.
func NewRecorder(dir string, base http.RoundTripper, red *Redactor) (*Recorder, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	for _, de := range entries {
		if de.Name() == IndexFile || exchangeName.MatchString(de.Name()) {
			return nil, fmt.Errorf("record: %s already holds a recording (%s); choose an empty folder", dir, de.Name())
		}
	}
	if base == nil {
		base = http.DefaultTransport
	}
	if red == nil {
		red = NewRedactor()
	}
	return &Recorder{dir: dir, base: base, red: red}, nil
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
		if serr := r.save(seq, req, out.Header, body, nil, nil, err); serr != nil {
			return nil, fmt.Errorf("%w (and %v)", err, serr)
		}
		return nil, err
	}
	respBody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil {
		respBody, err = decodeContent(resp.Header, respBody)
		if err == nil {
			resp.Uncompressed = resp.Uncompressed || resp.Header.Get("Content-Encoding") != ""
			resp.Header.Del("Content-Encoding")
		}
	}
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			if serr := r.save(seq, req, out.Header, body, nil, nil, err); serr != nil {
				return nil, fmt.Errorf("%w (and %v)", err, serr)
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
	resp.Request = req
	if err := r.save(seq, req, out.Header, body, resp, respBody, nil); err != nil {
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
func (r *Recorder) save(seq int, req *http.Request, sent http.Header, reqBody []byte, resp *http.Response, respBody []byte, rtErr error) error {
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
		body := []byte(s.responseBody(string(respBody)))
		h := s.headers(resp.Header)
		if h == nil {
			h = http.Header{}
		}
		if h.Get("Content-Length") != "" {
			h.Set("Content-Length", strconv.Itoa(len(body)))
		}
		ex.Response = &RecordedResponse{Status: resp.StatusCode, Date: h.Get("Date"), Headers: h}
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
		err = fmt.Errorf("record: %w", err)
		if r.firstErr == nil {
			r.firstErr = err
		}
		return err
	}
	r.entries = append(r.entries, indexEntry(name, &ex))
	return nil
}

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
func decodeContent(h http.Header, b []byte) ([]byte, error) {
	switch ce := strings.ToLower(strings.TrimSpace(h.Get("Content-Encoding"))); ce {
	case "", "identity":
		return b, nil
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("record: gzip body: %w", err)
		}
		return io.ReadAll(zr)
	case "deflate":
		// "deflate" is zlib-wrapped by the standard, raw DEFLATE on some servers.
		if zr, err := zlib.NewReader(bytes.NewReader(b)); err == nil {
			if out, err := io.ReadAll(zr); err == nil {
				return out, nil
			}
		}
		return io.ReadAll(flate.NewReader(bytes.NewReader(b)))
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
	{"/cgi-bin/searchbiz", "wechat-mp"},
	{"/cgi-bin/appmsg", "wechat-mp"},
	{"/cgi-bin/token", "wechat-api"},
	{"/cgi-bin/freepublish/", "wechat-api"},
	{"/cgi-bin/material/", "wechat-api"},
	{"/datacube/", "wechat-api"},
}

func platformOf(req *http.Request) string {
	if p, ok := req.Context().Value(platformKey{}).(string); ok && p != "" {
		return p
	}
	host := strings.ToLower(req.URL.Hostname())
	switch {
	case host == "mp.weixin.qq.com":
		return "wechat-mp"
	case host == "api.weixin.qq.com":
		return "wechat-api"
	case strings.HasSuffix(host, "weibo.cn"), strings.HasSuffix(host, "weibo.com"):
		return "weibo"
	case strings.HasSuffix(host, "baidu.com"):
		return "tieba"
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
