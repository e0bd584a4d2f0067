package store

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/audit"
)

var encoderStrings = []string{"", "weibo", "汉中公安", "a\"b\\c", "<script>&amp;</script>", "line\nbreak\r\ttab",
	"\x00\x01\x1f\x7f", "\b\f", "bad \xff utf-8 \xc3", "\u2028\u2029", "emoji 😀", "https://m.weibo.cn/api?a=1&b=<2>"}

// The hand-written encoders write exactly what encoding/json writes, so a database holds the
// same text whether it was written by this store or migrated from schema 1.
func TestEncodersMatchEncodingJSON(t *testing.T) {
	post := time.Date(2022, 8, 1, 10, 30, 0, 120000000, time.FixedZone("CST", 8*3600))
	utc := time.Date(2022, 8, 25, 9, 0, 0, 0, time.UTC)
	var es []audit.Evidence
	for i, s := range encoderStrings {
		e := audit.Evidence{Source: s, PostID: s, Title: s, URL: s, Error: s, Row: i * 37, DayOnly: i%2 == 0, Pinned: i%3 == 0}
		if i%2 == 1 {
			e.PostAt, e.FetchedAt = &post, &utc
		}
		es = append(es, e)
	}
	es = append(es, audit.Evidence{}) // every omitempty key left out
	want, _ := json.Marshal(es)
	got, err := appendEvidence(nil, es)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("evidence:\n got %s\nwant %s (%v)", got, want, err)
	}
	if got, _ := appendEvidence(nil, []audit.Evidence{}); string(got) != "[]" {
		t.Errorf("empty evidence: %s", got)
	}
	want, _ = json.Marshal(encoderStrings)
	if got := appendProblems(nil, encoderStrings); !bytes.Equal(got, want) {
		t.Errorf("problems:\n got %s\nwant %s", got, want)
	}
	// Every field of audit.Evidence is written: a new one must be added to appendEvidence.
	full := audit.Evidence{}
	seed := 0
	fillFields(t, reflect.ValueOf(&full).Elem(), &seed)
	want, _ = json.Marshal([]audit.Evidence{full})
	if got, _ := appendEvidence(nil, []audit.Evidence{full}); !bytes.Equal(got, want) {
		t.Errorf("a field of audit.Evidence is not encoded:\n got %s\nwant %s", got, want)
	}
	for _, tm := range []time.Time{utc, post, time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.UTC), {}} {
		if got, want := string(appendUTC(nil, tm)), tm.UTC().Format(timeLayout); got != want {
			t.Errorf("appendUTC: %s, want %s", got, want)
		}
	}
}

func FuzzEvidenceJSON(f *testing.F) {
	for _, s := range encoderStrings {
		f.Add(s, int64(0), 0)
	}
	f.Fuzz(func(t *testing.T, s string, unix int64, row int) {
		at := time.Unix(unix%(1<<34), unix%1e9).In(time.FixedZone("", int(unix%50000)))
		es := []audit.Evidence{{Source: s, Title: s, URL: s, Row: row, PostAt: &at}}
		want, werr := json.Marshal(es)
		got, gerr := appendEvidence(nil, es)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("errors differ: %v / %v", werr, gerr)
		}
		if werr == nil && !bytes.Equal(got, want) {
			t.Fatalf("\n got %s\nwant %s", got, want)
		}
		if back, err := decodeEvidence(got); werr == nil && (err != nil || len(back) != 1) {
			t.Fatalf("does not read back: %v", err)
		}
	})
}
