package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/audit"
)

// encoderJSON is the check JSON as encoding/json writes the DTO: what the streaming writer must
// reproduce byte for byte.
func encoderJSON(t testing.TB, r *audit.Result, opt Options) []byte {
	var buf bytes.Buffer
	if err := writeJSON(&buf, checkJSON(r, opt.normalized())); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func streamJSON(t testing.TB, r *audit.Result, opt Options) []byte {
	var buf bytes.Buffer
	if err := writeCheckJSON(&buf, r, opt.normalized()); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCheckJSONStreamMatchesEncoder(t *testing.T) {
	r := fixtureResult(t)
	for _, opt := range []Options{testOptions(t), func() Options { o := testOptions(t); o.RunID = "20220825-170000-3f9a"; return o }()} {
		if a, b := encoderJSON(t, r, opt), streamJSON(t, r, opt); !bytes.Equal(a, b) {
			t.Fatalf("streamed JSON differs from encoding/json's:\n%s\n---\n%s", a, b)
		}
	}
	empty := &audit.Result{CheckTime: r.CheckTime, Window: r.Window}
	if a, b := encoderJSON(t, empty, testOptions(t)), streamJSON(t, empty, testOptions(t)); !bytes.Equal(a, b) {
		t.Fatalf("empty result:\n%s\n---\n%s", a, b)
	}
}

// FuzzCheckJSONStream puts arbitrary text in every string a verdict carries: control
// characters, quotes, invalid UTF-8, U+2028, HTML.
func FuzzCheckJSONStream(f *testing.F) {
	for _, s := range []string{"汉中发布", "a\"b\\c", "\x00\x01\x1f\x7f", "\u2028\u2029", "<a href='x'>&</a>", "\xff\xfe", "\t\r\n\b\f", ""} {
		f.Add(s, "正常运行", "最近一条: 2022-07-30 18:02")
	}
	T := time.Date(2022, 8, 22, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	f.Fuzz(func(t *testing.T, name, status, detail string) {
		at := T.Add(-time.Hour)
		r := &audit.Result{CheckTime: T, Window: audit.Window{D: 14 * 24 * time.Hour}, Accounts: []audit.Verdict{{
			Account: audit.Account{Name: name, Type: status, Owner: detail, RegistryStatus: status, RawID: name},
			Status:  audit.NeedsReview, Problems: []string{name, detail}, LatestPostAt: &at, Source: status, Detail: detail,
			Review: audit.Review{Code: "x", Label: name},
			Evidence: []audit.Evidence{{Source: name, PostAt: &at, Title: detail, URL: status, Error: name, Row: 3,
				Link: detail, Identity: name, Checker: status, DayOnly: true}, {Source: status}},
		}}, Unregistered: []audit.Unregistered{{Name: name, Row: 2}}}
		opt := Options{Location: T.Location(), RunID: strings.ToValidUTF8(status, "")}
		if a, b := encoderJSON(t, r, opt), streamJSON(t, r, opt); !bytes.Equal(a, b) {
			t.Fatalf("differs:\n%q\n---\n%q", a, b)
		}
	})
}
