package store

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/audit"
)

// hardText is every kind of character a JSON writer treats specially: quotes, backslashes,
// control characters, HTML's <>&, the JavaScript line separators, a character outside the
// BMP, and Chinese.
const hardText = "引号\"反斜杠\\换行\n制表\t回车\r<b>&amp;\u2028\u2029😀\x01末尾"

func hardVerdict() audit.Verdict {
	v := verdict(3, audit.Unqualified)
	v.Name, v.Owner, v.Detail, v.Review.Label = hardText, "主体"+hardText, "说明"+hardText, hardText
	v.RawID = "https://weibo.com/u/" + v.ID + "?a=\"b\""
	v.Problems = []string{hardText, "监测时间点前2周内无更新"}
	v.Evidence[0].Title = hardText
	v.Evidence = append(v.Evidence, audit.Evidence{Source: "manual", Row: 9, Error: hardText})
	return v
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A packed verdict reads back as it was, and so does the same array as other JSON writers
// spell it (the migrations' json_array and json_build_array): spaces after commas, newlines,
// \u escapes for characters written plainly here.
func TestPackedVerdictRoundTripsInAnySpelling(t *testing.T) {
	v := hardVerdict()
	at := time.Date(2022, 8, 25, 9, 0, 0, 123456000, time.UTC)
	packed, err := packVerdict(nil, &v, at)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(packed) {
		t.Fatalf("not JSON: %s", packed)
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(packed, &elems); err != nil || len(elems) != len(verdictFields) {
		t.Fatalf("%d elements, want %d (%v)", len(elems), len(verdictFields), err)
	}
	var indented bytes.Buffer
	json.Indent(&indented, packed, " ", "\t")
	spaced := strings.ReplaceAll(string(packed), `",`, `" ,  `)
	escaped := strings.ReplaceAll(strings.ReplaceAll(string(packed), "汉", `\u6c49`), "引", `\u5f15`)
	want := v
	want.Status = ""
	for name, text := range map[string]string{"ours": string(packed), "indented": indented.String(), "spaced": spaced, "escaped": escaped} {
		var got audit.Verdict
		gotAt, err := unpackVerdict([]byte(text), &got)
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, text)
		}
		inZone(&got, shanghai)
		if g, w := jsonOf(t, got), jsonOf(t, want); g != w {
			t.Errorf("%s reads back differently:\n got %s\nwant %s", name, g, w)
		}
		if !gotAt.Equal(at) {
			t.Errorf("%s: decided at %v, want %v", name, gotAt, at)
		}
	}
}

// A damaged array is an error naming the field, never a verdict with fields shifted or left
// empty, and never a panic.
func TestDamagedPackedVerdicts(t *testing.T) {
	v := verdict(1, audit.Qualified)
	packed, err := packVerdict(nil, &v, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	good := string(packed)
	for _, c := range []struct{ name, text, want string }{
		{"empty", "", "不是 JSON 数组"},
		{"object", `{"name":"x"}`, "不是 JSON 数组"},
		{"cut short", good[:len(good)/2], ""},
		{"one field fewer", strings.Replace(good, `"汉中市公安局",`, "", 1), ""},
		{"one field more", strings.TrimSuffix(good, "]") + `,"多"]`, "多于"},
		{"trailing text", good + "x", "不是 JSON 数组"},
		{"row not a number", `["2"` + good[strings.Index(good, ","):], "registry_row"},
		{"name null", strings.Replace(good, `"汉中公安1"`, "null", 1), "name"},
		{"bad escape", strings.Replace(good, `"汉中公安1"`, `"\x"`, 1), "name"},
		{"problems not JSON", strings.Replace(good, `"active",null`, `"active",[1,`, 1), ""},
		{"unterminated string", `[1,"abc`, "字符串未结束"},
	} {
		var got audit.Verdict
		_, err := unpackVerdict([]byte(c.text), &got)
		if err == nil {
			t.Errorf("%s: read without an error: %+v", c.name, got)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want it to say %q", c.name, err, c.want)
		}
	}
}

// FuzzUnpackVerdict: no input panics, and what reads without error reads the same again after
// being packed anew (the reader never invents a field a second pass would see differently).
func FuzzUnpackVerdict(f *testing.F) {
	for _, v := range []audit.Verdict{hardVerdict(), verdict(0, audit.Qualified), {}} {
		b, _ := packVerdict(nil, &v, time.Unix(1661400000, 0))
		f.Add(b)
	}
	f.Add([]byte(`[1, "a", "b", "weibo", "uid", "1", null, "", "", "", "", "", "", null, null, "", "", 0, null, "", ""]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var v audit.Verdict
		at, err := unpackVerdict(data, &v)
		if err != nil {
			return
		}
		again, err := packVerdict(nil, &v, at)
		if err != nil {
			return // a time out of range reads but cannot be written
		}
		var w audit.Verdict
		if _, err := unpackVerdict(again, &w); err != nil {
			t.Fatalf("repacked verdict does not read: %v\n%s", err, again)
		}
		if g, x := jsonOf(t, w), jsonOf(t, v); g != x {
			t.Fatalf("differs after a second pass:\n%s\n%s", g, x)
		}
	})
}
