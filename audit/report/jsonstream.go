package report

import (
	"encoding/json"
	"io"
	"strconv"
	"time"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/audit/internal/jsonq"
)

// The check JSON is written account by account instead of being built whole and encoded with
// encoding/json's indenting encoder: at 10^5 accounts the DTO tree and the encoder's
// re-indentation cost seconds and hundreds of MB (the JSON report was a third of a 200,000-row
// check's CPU). The bytes are exactly those encoding/json writes for checkDoc with a 2-space
// indent and HTML escaping off — the contract's key order, [] for empty lists, null for a
// missing latest_post_at; TestCheckJSONStreamMatchesEncoder holds the two equal.

// writeCheckJSON streams r's check JSON to w.
func writeCheckJSON(w io.Writer, r *audit.Result, opt Options) error {
	loc := opt.Location
	head := checkDoc{RunID: opt.RunID, CheckTime: r.CheckTime.In(loc).Format(time.RFC3339), Window: r.Window.String()}
	var b []byte
	b = append(b, "{\n"...)
	if head.RunID != "" {
		b = appendKey(b, 1, "run_id")
		b = jsonq.AppendString(b, head.RunID, false)
		b = append(b, ",\n"...)
	}
	b = appendKey(b, 1, "check_time")
	b = jsonq.AppendString(b, head.CheckTime, false)
	b = append(b, ",\n"...)
	b = appendKey(b, 1, "window")
	b = jsonq.AppendString(b, head.Window, false)
	b = append(b, ",\n"...)
	s := r.Summary
	sum, err := json.MarshalIndent(summaryDoc{
		RegistryRows: s.RegistryRows, ClosedExcluded: s.ClosedExcluded, InScope: s.InScope,
		PendingClosure: s.PendingClosure, Qualified: s.Qualified, Unqualified: s.Unqualified,
		NeedsReview: s.NeedsReview, UnqualifiedRate: round4(s.UnqualifiedRate),
	}, "  ", "  ")
	if err != nil {
		return err
	}
	b = appendKey(b, 1, "summary")
	b = append(b, sum...)
	b = append(b, ",\n"...)
	b = appendKey(b, 1, "accounts")
	if len(r.Accounts) == 0 {
		b = append(b, "[]"...)
	} else {
		b = append(b, "[\n"...)
		for i := range r.Accounts {
			b = appendAccount(b, &r.Accounts[i], loc)
			if i < len(r.Accounts)-1 {
				b = append(b, ',')
			}
			b = append(b, '\n')
			if len(b) >= 64<<10 {
				if _, err := w.Write(b); err != nil {
					return err
				}
				b = b[:0]
			}
		}
		b = append(b, "  ]"...)
	}
	// The short lists after the accounts go through encoding/json, indented to their depth.
	doc := checkJSON(&audit.Result{CheckTime: r.CheckTime, Window: r.Window, Unregistered: r.Unregistered,
		Duplicates: r.Duplicates, Warnings: r.Warnings}, opt)
	doc.ReviewReasons = reviewReasonDocs(r)
	for _, part := range []struct {
		key string
		v   any
	}{{"unregistered", doc.Unregistered}, {"duplicates", doc.Duplicates}, {"warnings", doc.Warnings},
		{"review_reasons", doc.ReviewReasons}} {
		enc, err := marshalIndented(part.v, 1)
		if err != nil {
			return err
		}
		b = append(b, ",\n"...)
		b = appendKey(b, 1, part.key)
		b = append(b, enc...)
	}
	b = append(b, "\n}\n"...)
	_, err = w.Write(b)
	return err
}

// marshalIndented is encoding/json's indented encoding of v as a member at depth (2 spaces a
// level), HTML escaping off.
func marshalIndented(v any, depth int) ([]byte, error) {
	var buf jsonBuf
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	prefix := ""
	for range depth {
		prefix += "  "
	}
	enc.SetIndent(prefix, "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.b[:len(buf.b)-1], nil // Encode's newline
}

type jsonBuf struct{ b []byte }

func (j *jsonBuf) Write(p []byte) (int, error) { j.b = append(j.b, p...); return len(p), nil }

// appendAccount appends one element of "accounts" at depth 2, as encoding/json indents accountDoc.
func appendAccount(b []byte, v *audit.Verdict, loc *time.Location) []byte {
	const (
		open  = "    {\n"
		close = "    }"
	)
	b = append(b, open...)
	str := func(key, val string) {
		b = appendKey(b, 3, key)
		b = jsonq.AppendString(b, val, false)
		b = append(b, ",\n"...)
	}
	str("name", v.Name)
	str("type", v.Type)
	str("platform", string(v.Platform))
	str("account_id", accountID(v.Account))
	str("owner", v.Owner)
	str("level", v.Level)
	str("region", v.Region)
	str("registry_status", v.RegistryStatus)
	str("status", string(v.Status))
	str("result", v.Status.Label())
	b = appendKey(b, 3, "problems")
	if len(v.Problems) == 0 {
		b = append(b, "[]"...)
	} else {
		b = append(b, "[\n"...)
		for i, p := range v.Problems {
			b = appendIndent(b, 4)
			b = jsonq.AppendString(b, p, false)
			if i < len(v.Problems)-1 {
				b = append(b, ',')
			}
			b = append(b, '\n')
		}
		b = appendIndent(b, 3)
		b = append(b, ']')
	}
	b = append(b, ",\n"...)
	b = appendKey(b, 3, "latest_post_at")
	b = appendTimeOrNull(b, v.LatestPostAt, loc)
	b = append(b, ",\n"...)
	str("source", v.Source)
	str("detail", v.Detail)
	b = appendKey(b, 3, "evidence")
	if len(v.Evidence) == 0 {
		b = append(b, "[]"...)
	} else {
		b = append(b, "[\n"...)
		for i := range v.Evidence {
			b = appendEvidence(b, &v.Evidence[i], loc)
			if i < len(v.Evidence)-1 {
				b = append(b, ',')
			}
			b = append(b, '\n')
		}
		b = appendIndent(b, 3)
		b = append(b, ']')
	}
	b = append(b, '\n')
	return append(b, close...)
}

// appendEvidence appends one evidence element at depth 4, omitting empty members as evidenceDoc's
// omitempty tags do.
func appendEvidence(b []byte, e *audit.Evidence, loc *time.Location) []byte {
	b = appendIndent(b, 4)
	b = append(b, "{\n"...)
	first := true
	member := func(key string) {
		if !first {
			b = append(b, ",\n"...)
		}
		first = false
		b = appendKey(b, 5, key)
	}
	member("source")
	b = jsonq.AppendString(b, e.Source, false)
	if e.PostAt != nil && !e.PostAt.IsZero() {
		member("post_at")
		b = jsonq.AppendString(b, e.PostAt.In(loc).Format(time.RFC3339), false)
	}
	if e.DayOnly {
		member("day_only")
		b = append(b, "true"...)
	}
	if e.Pinned {
		member("pinned")
		b = append(b, "true"...)
	}
	for _, m := range []struct{ key, val string }{{"post_id", e.PostID}, {"title", e.Title}, {"url", e.URL}} {
		if m.val != "" {
			member(m.key)
			b = jsonq.AppendString(b, m.val, false)
		}
	}
	if e.FetchedAt != nil && !e.FetchedAt.IsZero() {
		member("fetched_at")
		b = jsonq.AppendString(b, e.FetchedAt.In(loc).Format(time.RFC3339), false)
	}
	if e.Error != "" {
		member("error")
		b = jsonq.AppendString(b, e.Error, false)
	}
	if e.Row != 0 {
		member("row")
		b = strconv.AppendInt(b, int64(e.Row), 10)
	}
	for _, m := range []struct{ key, val string }{{"link", e.Link}, {"identity", e.Identity}, {"checker", e.Checker}} {
		if m.val != "" {
			member(m.key)
			b = jsonq.AppendString(b, m.val, false)
		}
	}
	b = append(b, '\n')
	b = appendIndent(b, 4)
	return append(b, '}')
}

func appendTimeOrNull(b []byte, t *time.Time, loc *time.Location) []byte {
	if t == nil || t.IsZero() {
		return append(b, "null"...)
	}
	return jsonq.AppendString(b, t.In(loc).Format(time.RFC3339), false)
}

func appendIndent(b []byte, depth int) []byte {
	for range depth {
		b = append(b, "  "...)
	}
	return b
}

func appendKey(b []byte, depth int, key string) []byte {
	b = appendIndent(b, depth)
	b = jsonq.AppendString(b, key, false)
	return append(b, ": "...)
}
