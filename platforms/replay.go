package platforms

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"sync"
)

// Replayer is the transport behind `nmaudit check --replay DIR`: it answers every request from
// a folder written by a Recorder and never touches the network, so a run over the same accounts
// with the same check time reproduces the recorded verdicts.
//
// A request is matched on its method, path, query and body with credentials redacted,
// parameters sorted and Tieba's sign left out (see matchKey); scheme and host are ignored, so a
// folder recorded against any server replays against any base URL. A request recorded several
// times (a rate-limited attempt, then its retry) gets the recorded answers in recorded order.
// A request with no answer left is an error wrapping a *Fault with ReasonNoRecording, never a
// repeat of an earlier answer: a missing exchange must show, as 待核查, not be papered over.
//
// Replayed responses carry the recorded Date header, which adapters read through FetchTime.
// Responses were redacted when recorded: an access token comes back as "REDACTED", which the
// adapter then sends, and which matches because the recorded request holds "REDACTED" too.
//
// A Replayer is safe for concurrent use.
type Replayer struct {
	red    *Redactor
	exs    []Exchange
	bodies [][]byte // decoded response bodies, by exchange
	meta   map[string]string

	mu     sync.Mutex
	queues map[string][]int // match key → unanswered exchanges, in recorded order
	counts map[string]int   // match key → exchanges recorded
	used   []bool
}

// NewReplayer loads dir. red redacts incoming requests before matching; it should know the same
// secrets as the recording run's (or none: credential parameters are matched by name anyway).
func NewReplayer(dir string, red *Redactor) (*Replayer, error) {
	exs, err := LoadRecording(dir)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	if red == nil {
		red = NewRedactor()
	}
	r := &Replayer{
		red:    red,
		exs:    exs,
		bodies: make([][]byte, len(exs)),
		queues: map[string][]int{},
		counts: map[string]int{},
		used:   make([]bool, len(exs)),
	}
	for i, ex := range exs {
		body, err := decodeBody(ex.Request.Body, ex.Request.BodyEncoding)
		if err != nil {
			return nil, fmt.Errorf("replay: %s: request body: %w", ex.File, err)
		}
		if ex.Response != nil {
			if r.bodies[i], err = decodeBody(ex.Response.Body, ex.Response.BodyEncoding); err != nil {
				return nil, fmt.Errorf("replay: %s: response body: %w", ex.File, err)
			}
		}
		key := matchKey(red, ex.Request.Method, ex.Request.URL, ex.Request.Headers.Get("Content-Type"), body)
		r.queues[key] = append(r.queues[key], i)
		r.counts[key]++
	}
	switch ix, err := ReadIndex(dir); {
	case err == nil:
		r.meta = ix.Meta
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("replay: %w", err)
	}
	return r, nil
}

// RoundTrip implements http.RoundTripper.
func (r *Replayer) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := drainBody(req)
	if err != nil {
		return nil, fmt.Errorf("replay: reading request body: %w", err)
	}
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	pq := requestPathQuery(req.URL)
	key := matchKey(r.red, req.Method, pq, req.Header.Get("Content-Type"), body)

	r.mu.Lock()
	q := r.queues[key]
	if len(q) == 0 {
		n := r.counts[key]
		r.mu.Unlock()
		red := scrubber{red: r.red}.pathQuery(pq)
		detail := req.Method + " " + red
		if n > 0 {
			detail += fmt.Sprintf("（记录中的 %d 次应答已用完）", n)
		}
		return nil, fmt.Errorf("replay: %w", &Fault{Reason: ReasonNoRecording, Detail: detail, URL: red})
	}
	i := q[0]
	r.queues[key] = q[1:]
	r.used[i] = true
	r.mu.Unlock()

	ex := &r.exs[i]
	if ex.Error != nil {
		return nil, &ReplayedError{Message: ex.Error.Message, IsTimeout: ex.Error.Timeout, File: ex.File}
	}
	h := ex.Response.Headers.Clone()
	if h == nil {
		h = http.Header{}
	}
	if h.Get("Date") == "" && ex.Response.Date != "" {
		h.Set("Date", ex.Response.Date)
	}
	b := r.bodies[i]
	var rb io.Reader = bytes.NewReader(b)
	length := int64(len(b))
	if ex.Response.Truncated {
		// The live run read this much and no more: fail the read the same way.
		rb, length = io.MultiReader(rb, &errReader{TooLarge(int64(len(b)))}), -1
		h.Del("Content-Length")
	}
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", ex.Response.Status, http.StatusText(ex.Response.Status)),
		StatusCode:    ex.Response.Status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(rb),
		ContentLength: length,
		Request:       req,
	}, nil
}

// Meta returns the facts the recording run stored with Recorder.SetMeta (nil if none).
func (r *Replayer) Meta() map[string]string {
	if r.meta == nil {
		return nil
	}
	out := make(map[string]string, len(r.meta))
	for k, v := range r.meta {
		out[k] = v
	}
	return out
}

// Unused lists the exchange files no request has asked for yet, in recorded order. After a
// replay they point at requests the live run made and the replay did not — a sign that the
// replay ran with other parameters (check time, account list, adapter version).
func (r *Replayer) Unused() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for i, u := range r.used {
		if !u {
			out = append(out, r.exs[i].File)
		}
	}
	return out
}

// ReplayedError is a transport error (connection refused, timeout) that the recording run got
// and the replay hands back, so the adapter reaches the same 待核查 (网络错误). It satisfies
// net.Error.
type ReplayedError struct {
	Message   string
	IsTimeout bool
	File      string // the exchange file it came from
}

func (e *ReplayedError) Error() string { return "replayed transport error: " + e.Message }

// Timeout reports whether the recorded error was a timeout.
func (e *ReplayedError) Timeout() bool { return e.IsTimeout }

// Temporary is part of net.Error; a replayed error is as permanent as the recording.
func (e *ReplayedError) Temporary() bool { return false }
