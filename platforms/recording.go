package platforms

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// This file holds what the Recorder and the Replayer share: the on-disk format of an evidence
// folder (one JSON file per HTTP exchange plus index.json), the redaction applied to everything
// written there, and the key that matches a live request to a recorded one.

// RecordingFormat names the layout of an evidence folder, written into index.json so a later
// nmaudit can tell which layout it is reading.
const RecordingFormat = "nmaudit-recording/1"

// IndexFile is the table of contents of an evidence folder.
const IndexFile = "index.json"

// Exchange is one recorded HTTP request and its outcome: a response, or the transport error
// the request ended with. Every field has been redacted before it reached the disk.
type Exchange struct {
	Seq        int               `json:"seq"`
	RecordedAt string            `json:"recorded_at"` // RFC 3339
	Platform   string            `json:"platform"`    // weibo, tieba, wechat-mp, wechat-api (WithPlatform, else told from host or path), else "http"
	Request    RecordedRequest   `json:"request"`
	Response   *RecordedResponse `json:"response,omitempty"`
	Error      *RecordedError    `json:"error,omitempty"`
	// File is the name of the file the exchange was read from (LoadRecording).
	File string `json:"-"`
}

// RecordedRequest is a request as sent, secrets redacted. The host is kept apart from the path
// and query because replay ignores it: a folder recorded against a test server on a random port
// (or against the real platform) replays against any base URL.
type RecordedRequest struct {
	Method       string      `json:"method"`
	Scheme       string      `json:"scheme,omitempty"`
	Host         string      `json:"host,omitempty"`
	URL          string      `json:"url"` // path and query, e.g. /api/container/getIndex?type=uid&…
	Headers      http.Header `json:"headers,omitempty"`
	Body         string      `json:"body,omitempty"`
	BodyEncoding string      `json:"body_encoding,omitempty"` // "base64" when Body is not UTF-8 text
}

// RecordedResponse is a response as received, secrets redacted. Date is the server's Date
// header (or the recording time when the server sent none): replay hands it back so adapters
// resolve relative times such as "3分钟前" exactly as they did live (see FetchTime).
type RecordedResponse struct {
	Status       int         `json:"status"`
	Date         string      `json:"date,omitempty"`
	Headers      http.Header `json:"headers,omitempty"`
	Body         string      `json:"body"`
	BodyEncoding string      `json:"body_encoding,omitempty"` // "base64" when the bytes are not UTF-8 (e.g. a GBK page)
	// BodyText is a base64 body decoded from its charset (a GBK page as Chinese), redacted, for
	// people reading the evidence. Replay ignores it and serves Body's exact bytes.
	BodyText string `json:"body_text,omitempty"`
	// Truncated marks a body that was longer than the cap (MaxBody): Body holds its first part
	// only, and a replay fails the read the way the live run did (平台返回内容过大).
	Truncated bool `json:"truncated,omitempty"`
}

// RecordedError is a request that got no response (connection refused, timeout). It is evidence
// too — the account's verdict was 待核查 (网络错误) because of it — so replay reproduces it.
type RecordedError struct {
	Message string `json:"message"`
	Timeout bool   `json:"timeout,omitempty"`
}

// bodyBase64 names the encoding of a body that is stored as base64 because it is not UTF-8.
const bodyBase64 = "base64"

// encodeBody stores b as text when it is UTF-8 (so Chinese reads in the file) and as base64
// otherwise, so a GBK page replays byte for byte.
func encodeBody(b []byte) (text, enc string) {
	if utf8.Valid(b) {
		return string(b), ""
	}
	return base64.StdEncoding.EncodeToString(b), bodyBase64
}

// readableText decodes a non-UTF-8 body for reading: with the charset its Content-Type declares,
// else as GB18030 (which covers GBK and GB2312, the usual non-UTF-8 of Chinese sites) when that
// decodes cleanly. It returns "" when the body cannot be read as text.
func readableText(contentType string, b []byte) string {
	var enc encoding.Encoding
	if _, params, err := mime.ParseMediaType(contentType); err == nil && params["charset"] != "" {
		if e, err := htmlindex.Get(params["charset"]); err == nil {
			enc = e
		}
	}
	if enc == nil {
		enc = simplifiedchinese.GB18030
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil || !utf8.Valid(out) || bytes.ContainsRune(out, utf8.RuneError) {
		return ""
	}
	return string(out)
}

func decodeBody(text, enc string) ([]byte, error) {
	switch enc {
	case "":
		return []byte(text), nil
	case bodyBase64:
		return base64.StdEncoding.DecodeString(text)
	default:
		return nil, fmt.Errorf("unknown body_encoding %q", enc)
	}
}

// Index is the content of index.json: the exchanges in recorded order, for people browsing the
// folder, and Meta, free-form facts about the run the caller chose to keep (check time, window,
// nmaudit version) so a replay can be started with the same parameters.
type Index struct {
	Format    string            `json:"format"`
	Meta      map[string]string `json:"meta,omitempty"`
	Exchanges []IndexEntry      `json:"exchanges"`
}

// IndexEntry summarises one exchange file.
type IndexEntry struct {
	Seq      int    `json:"seq"`
	File     string `json:"file"`
	Platform string `json:"platform"`
	Method   string `json:"method"`
	URL      string `json:"url"`
	Status   int    `json:"status,omitempty"`
	Error    string `json:"error,omitempty"`
}

func indexEntry(file string, e *Exchange) IndexEntry {
	ie := IndexEntry{Seq: e.Seq, File: file, Platform: e.Platform, Method: e.Request.Method, URL: e.Request.URL}
	if e.Response != nil {
		ie.Status = e.Response.Status
	}
	if e.Error != nil {
		ie.Error = e.Error.Message
	}
	return ie
}

// exchangeName matches exchange files: 0001-weibo-GET-api_container_getIndex.json.
var exchangeName = regexp.MustCompile(`^([0-9]+)-.*\.json$`)

// LoadRecording reads every exchange file in dir, in recorded order. The files are the source of
// truth; index.json is not needed (a run killed before Recorder.Close leaves none, or a stale
// one). Temporary files left by a killed write are ignored.
func LoadRecording(dir string) ([]Exchange, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("recording %s: %w", dir, err)
	}
	var all []Exchange
	for _, de := range entries {
		if de.IsDir() || !exchangeName.MatchString(de.Name()) {
			continue
		}
		path := filepath.Join(dir, de.Name())
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("recording %s: %w", path, err)
		}
		var ex Exchange
		if err := json.Unmarshal(b, &ex); err != nil {
			return nil, fmt.Errorf("证据记录 %s：不是交互记录文件：%w", path, err)
		}
		if ex.Request.Method == "" || (ex.Response == nil && ex.Error == nil) {
			return nil, fmt.Errorf("证据记录 %s：交互记录缺少请求方法或结果", path)
		}
		ex.File = de.Name()
		all = append(all, ex)
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].Seq != all[j].Seq {
			return all[i].Seq < all[j].Seq
		}
		return all[i].File < all[j].File
	})
	return all, nil
}

// ReadIndex reads dir's index.json. A missing index is fs.ErrNotExist (see RebuildIndex).
func ReadIndex(dir string) (*Index, error) {
	b, err := os.ReadFile(filepath.Join(dir, IndexFile))
	if err != nil {
		return nil, err
	}
	var ix Index
	if err := json.Unmarshal(b, &ix); err != nil {
		return nil, fmt.Errorf("recording %s: %w", filepath.Join(dir, IndexFile), err)
	}
	return &ix, nil
}

// RebuildIndex rewrites dir's index.json from the exchange files, keeping the meta of an
// existing index. It repairs a folder whose run was killed before Recorder.Close.
func RebuildIndex(dir string) error {
	exs, err := LoadRecording(dir)
	if err != nil {
		return err
	}
	ix := Index{Format: RecordingFormat, Exchanges: make([]IndexEntry, 0, len(exs))}
	if old, err := ReadIndex(dir); err == nil {
		ix.Meta = old.Meta
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for i := range exs {
		ix.Exchanges = append(ix.Exchanges, indexEntry(exs[i].File, &exs[i]))
	}
	return writeJSONAtomic(dir, IndexFile, ix)
}

// marshalReadable encodes v indented, with Chinese and <>& left as they are, so a person can
// read the evidence in any editor.
func marshalReadable(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeJSONAtomic writes v to dir/name through a temporary file and a rename, so a run killed
// mid-write leaves either the old file or the new one, never half of one.
func writeJSONAtomic(dir, name string, v any) error {
	b, err := marshalReadable(v)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-"+name+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, recordFileMode)
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
	}
	return nil
}

// --- redaction -------------------------------------------------------------------------------

// jsonSecretKey matches a JSON member whose value is a credential, e.g. the token endpoint's
// "access_token":"…" or a request's "secret":"…". The value is replaced whole, strings and
// numbers alike, so the document stays valid JSON.
var jsonSecretKey = regexp.MustCompile(`(?i)"(access_token|refresh_token|secret|app_secret|appsecret|bduss|stoken)"(\s*:\s*)("(?:[^"\\]|\\.)*"|-?[0-9][0-9.eE+-]*)`)

// blankJSONSecrets replaces the values of credential members in a JSON text and returns the
// values it removed (so they can be scrubbed wherever else they appear). The text is edited in
// place rather than decoded and re-encoded, so everything else keeps its exact bytes.
func blankJSONSecrets(s string) (string, []string) {
	var found []string
	out := jsonSecretKey.ReplaceAllStringFunc(s, func(m string) string {
		sub := jsonSecretKey.FindStringSubmatch(m)
		raw := sub[3]
		var v string
		if strings.HasPrefix(raw, `"`) {
			if err := json.Unmarshal([]byte(raw), &v); err != nil {
				v = strings.Trim(raw, `"`)
			}
		} else {
			v = raw
		}
		if v != "" && v != Redacted {
			found = append(found, v)
		}
		return `"` + sub[1] + `"` + sub[2] + `"` + Redacted + `"`
	})
	return out, found
}

// visitorKey matches the members of Weibo's visitor handshake answer (genvisitor2's JSONP,
// {"data":{"sub":"_2A…","subp":"0033…","tid":"…"}}) that make up the visitor cookie. They are
// blanked only in answers from a /visitor/ path: "sub" is too common a name to treat as a
// credential everywhere.
var visitorKey = regexp.MustCompile(`"(sub|subp|tid|alt)"(\s*:\s*)("(?:[^"\\]|\\.)*")`)

// visitorPath reports the visitor-cookie endpoints (…/visitor/genvisitor2 and the like).
func visitorPath(p string) bool { return strings.Contains(p, "/visitor/") }

// blankVisitorSecrets blanks the cookie members of a visitor handshake answer and returns the
// values removed.
func blankVisitorSecrets(s string) (string, []string) {
	var found []string
	out := visitorKey.ReplaceAllStringFunc(s, func(m string) string {
		sub := visitorKey.FindStringSubmatch(m)
		var v string
		if err := json.Unmarshal([]byte(sub[3]), &v); err != nil {
			v = strings.Trim(sub[3], `"`)
		}
		if v != "" && v != Redacted {
			found = append(found, v)
		}
		return `"` + sub[1] + `"` + sub[2] + `"` + Redacted + `"`
	})
	return out, found
}

// learnable says whether a credential value found in an exchange is worth scrubbing from the
// rest of the recording. Short values, and purely numeric ones (the 公众平台 token is a 9-digit
// number), would also hit unrelated text such as the digits of a unix timestamp, and changing
// data on disk would change the replayed verdict; such values are still removed where they sit
// under a credential's name (query, form, header, JSON member).
func learnable(v string) bool {
	if len(v) < 8 || v == Redacted {
		return false
	}
	if len(v) < 16 {
		if _, err := strconv.ParseUint(v, 10, 64); err == nil {
			return false
		}
	}
	return true
}

// scrubber is a Redactor plus credential values learned during the run (an access token
// obtained from the token endpoint, a cookie the platform set). It is a value: the Recorder
// hands each exchange a snapshot.
type scrubber struct {
	red     *Redactor
	learned []string // longest first
}

func (s scrubber) text(v string) string {
	v = s.red.String(v)
	for _, l := range s.learned {
		if strings.Contains(v, l) {
			v = strings.ReplaceAll(v, l, Redacted)
		}
	}
	return v
}

// pathQuery redacts a path?query: credential parameters lose their values, known secrets go.
func (s scrubber) pathQuery(pq string) string { return s.text(s.red.URL(pq)) }

// urlHeaders carry URLs, which are redacted as URLs so credential query parameters go too.
var urlHeaders = map[string]bool{"Referer": true, "Location": true, "Content-Location": true, "Origin": true}

// headers redacts a header set: credential headers (Cookie, Authorization, and any name
// IsSecretParam knows) lose their values — cookies keep their names, which tell a reader what
// kind of session was used — and every other value is scrubbed of known secrets.
func (s scrubber) headers(h http.Header) http.Header {
	if len(h) == 0 {
		return nil
	}
	out := make(http.Header, len(h))
	for name, vals := range h {
		cn := http.CanonicalHeaderKey(name)
		red := make([]string, len(vals))
		for i, v := range vals {
			switch {
			case cn == "Cookie":
				red[i] = redactCookieHeader(v)
			case cn == "Set-Cookie":
				red[i] = redactSetCookie(v)
			case IsSecretParam(cn):
				red[i] = Redacted
			case urlHeaders[cn]:
				red[i] = s.text(s.red.URL(v))
			default:
				red[i] = s.text(v)
			}
		}
		out[cn] = red
	}
	return out
}

func redactCookieHeader(v string) string {
	parts := strings.Split(v, ";")
	for i, p := range parts {
		name, _, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok {
			parts[i] = name + "=" + Redacted
		} else {
			parts[i] = Redacted
		}
	}
	return strings.Join(parts, "; ")
}

func redactSetCookie(v string) string {
	first, rest, hasRest := strings.Cut(v, ";")
	name, _, ok := strings.Cut(strings.TrimSpace(first), "=")
	if !ok {
		return Redacted
	}
	out := name + "=" + Redacted
	if hasRest {
		out += ";" + rest
	}
	return out
}

// cookieValues lists the values of a Cookie or Set-Cookie header, to be learned as secrets.
func cookieValues(h http.Header) []string {
	var vals []string
	for _, v := range h.Values("Cookie") {
		for _, p := range strings.Split(v, ";") {
			if _, val, ok := strings.Cut(strings.TrimSpace(p), "="); ok {
				vals = append(vals, val)
			}
		}
	}
	for _, v := range h.Values("Set-Cookie") {
		first, _, _ := strings.Cut(v, ";")
		if _, val, ok := strings.Cut(strings.TrimSpace(first), "="); ok {
			vals = append(vals, val)
		}
	}
	for name, vs := range h {
		cn := http.CanonicalHeaderKey(name)
		if cn != "Cookie" && cn != "Set-Cookie" && IsSecretParam(cn) {
			for _, v := range vs {
				vals = append(vals, strings.TrimPrefix(strings.TrimPrefix(v, "Bearer "), "Basic "))
			}
		}
	}
	return vals
}

// secretParamValues lists the values of credential parameters in an encoded query or form.
func secretParamValues(q string) []string {
	var vals []string
	for _, p := range strings.Split(q, "&") {
		name, val, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		if un, err := url.QueryUnescape(name); err == nil && IsSecretParam(un) {
			if uv, err := url.QueryUnescape(val); err == nil {
				vals = append(vals, uv)
			}
			vals = append(vals, val)
		}
	}
	return vals
}

type bodyKind int

const (
	bodyRaw bodyKind = iota
	bodyForm
	bodyJSON
)

// kindOf tells how a body is redacted and matched, from its Content-Type, falling back on its
// look for a JSON body sent without one.
func kindOf(contentType string, body []byte) bodyKind {
	ct := strings.ToLower(contentType)
	switch {
	case strings.Contains(ct, "x-www-form-urlencoded"):
		return bodyForm
	case strings.Contains(ct, "json"):
		return bodyJSON
	}
	t := bytes.TrimSpace(body)
	if len(t) > 0 && (t[0] == '{' || t[0] == '[') && json.Valid(t) {
		return bodyJSON
	}
	return bodyRaw
}

// requestBody redacts a request body by kind: a form through Redactor.Query (credential
// parameters such as BDUSS lose their values), JSON by blanking credential members.
func (s scrubber) requestBody(kind bodyKind, b string) string {
	switch kind {
	case bodyForm:
		return s.text(s.red.Query(b))
	case bodyJSON:
		out, _ := blankJSONSecrets(b)
		return s.text(out)
	default:
		return s.text(b)
	}
}

// responseBody redacts a response body: credential members of a JSON body (the token
// endpoint's access_token) are blanked, and known secrets are removed from any text. The
// regular expression only ever matches JSON-shaped text, so it is safe on HTML or GBK bytes.
func (s scrubber) responseBody(b string) string {
	out, _ := blankJSONSecrets(b)
	return s.text(out)
}

// --- matching --------------------------------------------------------------------------------

// unsignedParams are left out of the match key. Tieba's sign is an MD5 over the other form
// parameters, BDUSS included; a recording stores BDUSS redacted, and a replay may run with
// another BDUSS or none, so the sign of a replayed request can never equal the recorded one.
// Being a function of the other parameters, which are all in the key, it adds nothing to it.
var unsignedParams = map[string]bool{"sign": true}

// matchKey identifies a request for replay: method, path, the query with credentials redacted
// and parameters sorted, and the body (a form redacted and sorted, JSON redacted and compacted).
// Scheme and host are left out so a recording replays against any base URL; headers are left out
// because they carry cookies and client details that differ between runs without changing the
// question asked.
func matchKey(red *Redactor, method, pathQuery, contentType string, body []byte) string {
	s := scrubber{red: red}
	path, query, _ := strings.Cut(s.pathQuery(pathQuery), "?")
	var b strings.Builder
	b.WriteString(strings.ToUpper(method))
	b.WriteByte(' ')
	b.WriteString(path)
	if q := canonicalQuery(query); q != "" {
		b.WriteByte('?')
		b.WriteString(q)
	}
	if len(body) > 0 {
		b.WriteByte('\n')
		switch kindOf(contentType, body) {
		case bodyForm:
			b.WriteString(canonicalQuery(s.requestBody(bodyForm, string(body))))
		case bodyJSON:
			red := s.requestBody(bodyJSON, string(body))
			var c bytes.Buffer
			if err := json.Compact(&c, []byte(red)); err == nil {
				b.Write(c.Bytes())
			} else {
				b.WriteString(red)
			}
		default:
			b.WriteString(s.text(string(body)))
		}
	}
	return b.String()
}

// canonicalQuery sorts an encoded query and drops the unsigned parameters. Values are decoded
// and re-encoded, so "%20" and "+" (or a raw and an escaped Chinese name) compare equal.
func canonicalQuery(q string) string {
	if q == "" {
		return ""
	}
	vals, err := url.ParseQuery(q)
	if err != nil {
		parts := strings.Split(q, "&")
		kept := parts[:0]
		for _, p := range parts {
			name, _, _ := strings.Cut(p, "=")
			if !unsignedParams[name] {
				kept = append(kept, p)
			}
		}
		sort.Strings(kept)
		return strings.Join(kept, "&")
	}
	for p := range unsignedParams {
		delete(vals, p)
	}
	return vals.Encode()
}

// requestPathQuery is the path and query of u as sent on the wire.
func requestPathQuery(u *url.URL) string {
	pq := u.EscapedPath()
	if pq == "" {
		pq = "/"
	}
	if u.RawQuery != "" {
		pq += "?" + u.RawQuery
	}
	return pq
}
