package jsonq

import (
	"bytes"
	"encoding/json"
	"testing"
)

func encodingJSON(t *testing.T, s string, escapeHTML bool) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

func FuzzAppendStringMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{"", "汉中市人民政府", "a\"b\\c", "\x00\x1f\b\f\n\r\t", "<a href='x'>&</a>",
		"\u2028\u2029", "\xff\xfe bad", "\xe6\xb1", "emoji 😀", "\x7f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, html := range []bool{false, true} {
			if got, want := string(AppendString(nil, s, html)), encodingJSON(t, s, html); got != want {
				t.Fatalf("AppendString(%q, escapeHTML=%v) = %s, encoding/json writes %s", s, html, got, want)
			}
		}
	})
}
