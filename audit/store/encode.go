package store

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/audit/internal/jsonq"
)

// The verdict write path encodes two lists and a handful of times per verdict; encoding/json
// and time.Format took a third of the store's time in a profile of a 200,000-account run.
// These appenders write byte for byte what encoding/json and the store's time layout write
// (TestEncodersMatchEncodingJSON, FuzzEvidenceJSON), without reflection or allocations, so
// the database holds the same text whichever wrote it and encoding/json reads it back.

// appendUTC appends t in UTC as timeLayout spells it: 2006-01-02T15:04:05.000000000Z.
func appendUTC(b []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	if y < 0 || y > 9999 {
		return t.AppendFormat(b, timeLayout)
	}
	h, mi, s := t.Clock()
	b = appendDigits(b, y, 4)
	b = append(b, '-')
	b = appendDigits(b, int(mo), 2)
	b = append(b, '-')
	b = appendDigits(b, d, 2)
	b = append(b, 'T')
	b = appendDigits(b, h, 2)
	b = append(b, ':')
	b = appendDigits(b, mi, 2)
	b = append(b, ':')
	b = appendDigits(b, s, 2)
	b = append(b, '.')
	b = appendDigits(b, t.Nanosecond(), 9)
	return append(b, 'Z')
}

// appendDigits appends n zero-padded to width digits.
func appendDigits(b []byte, n, width int) []byte {
	var buf [9]byte
	for i := width - 1; i >= 0; i-- {
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, buf[:width]...)
}

// appendJSONTime appends t as encoding/json does (time.Time.MarshalJSON: RFC 3339 with
// nanoseconds, in t's own zone).
func appendJSONTime(b []byte, t time.Time) ([]byte, error) {
	if y := t.Year(); y < 0 || y > 9999 {
		j, err := t.MarshalJSON() // its error names the problem
		return append(b, j...), err
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), nil
}

// appendProblems appends a problem list as encoding/json writes a []string.
func appendProblems(b []byte, ps []string) []byte {
	b = append(b, '[')
	for i, p := range ps {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonq.AppendString(b, p, true)
	}
	return append(b, ']')
}

// appendEvidence appends es as encoding/json writes []audit.Evidence: its json tags, in field
// order, omitempty as they say. TestEncodersMatchEncodingJSON fails when audit.Evidence gains
// a field this does not write.
func appendEvidence(b []byte, es []audit.Evidence) ([]byte, error) {
	var err error
	b = append(b, '[')
	for i := range es {
		e := &es[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"source":`...)
		b = jsonq.AppendString(b, e.Source, true)
		if b, err = appendTimeKey(b, `,"post_at":`, e.PostAt); err != nil {
			return nil, err
		}
		b = appendTrueKey(b, `,"day_only":true`, e.DayOnly)
		b = appendTrueKey(b, `,"pinned":true`, e.Pinned)
		b = appendStringKey(b, `,"post_id":`, e.PostID)
		b = appendStringKey(b, `,"title":`, e.Title)
		b = appendStringKey(b, `,"url":`, e.URL)
		if b, err = appendTimeKey(b, `,"fetched_at":`, e.FetchedAt); err != nil {
			return nil, err
		}
		b = appendStringKey(b, `,"error":`, e.Error)
		if e.Row != 0 {
			b = append(b, `,"row":`...)
			b = strconv.AppendInt(b, int64(e.Row), 10)
		}
		b = appendStringKey(b, `,"link":`, e.Link)
		b = appendStringKey(b, `,"identity":`, e.Identity)
		b = appendStringKey(b, `,"checker":`, e.Checker)
		b = append(b, '}')
	}
	return append(b, ']'), nil
}

// appendStringKey, appendTrueKey and appendTimeKey append an omitempty field: nothing for the
// zero value.
func appendStringKey(b []byte, key, val string) []byte {
	if val == "" {
		return b
	}
	return jsonq.AppendString(append(b, key...), val, true)
}

func appendTrueKey(b []byte, keyTrue string, val bool) []byte {
	if !val {
		return b
	}
	return append(b, keyTrue...)
}

func appendTimeKey(b []byte, key string, t *time.Time) ([]byte, error) {
	if t == nil {
		return b, nil
	}
	return appendJSONTime(append(b, key...), *t)
}

// decodeEvidence reads what appendEvidence (or encoding/json, in databases migrated from
// schema 1) wrote.
func decodeEvidence(b []byte) ([]audit.Evidence, error) {
	var es []audit.Evidence
	err := json.Unmarshal(b, &es)
	return es, err
}
