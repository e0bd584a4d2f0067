package report

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
	"testing"
)

func TestSafeText(t *testing.T) {
	cases := map[string]string{
		"汉中发布":                "汉中发布",
		"汉中\x1b[31m发布\x1b[0m": "汉中发布",
		"\x1b[2J\x1b[H合格":     "合格",
		"\x1b]0;owned\x07汉中":  "汉中", // OSC title, BEL-terminated
		"\x1b]8;;https://evil.example\x1b\\点我\x1b]8;;\x1b\\": "点我", // OSC 8 hyperlink, ST-terminated
		"\x1bP1$r0m\x1b\\x":             "x",  // DCS
		"a\u009b31mb":                   "ab", // 8-bit CSI
		"a\x1b(Bb":                      "ab", // nF: charset designation
		"a\x1b=b":                       "ab", // two-byte ESC sequence
		"line1\nline2\r\nline3\tend":    "line1 line2 line3 end",
		"nul\x00bel\x07del\x7f":         "nulbeldel",
		"\u202e反转\u202c文字\u2066x\u2069": "反转文字x",
		"unterminated \x1b]0;title":     "unterminated ",
		"trailing esc \x1b":             "trailing esc ",
		"“仅半年可见”｜（）、":                   "“仅半年可见”｜（）、",
	}
	for in, want := range cases {
		if got := SafeText(in); got != want {
			t.Errorf("SafeText(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRenderersAreTerminalSafe: an account name carrying escape sequences must not reach the
// terminal through the table or md reports (issue "Hostile files", item 12).
func TestRenderersAreTerminalSafe(t *testing.T) {
	r := fixtureResult(t)
	r.Accounts[1].Name = "汉中秦巴\x1b[2J\x1b]0;pwned\x07生态保护"
	r.Accounts[1].Owner = "汉中市林业局\x1b[31m"
	for _, format := range []string{"table", "md"} {
		out := renderCheck(t, format, r, testOptions(t))
		if bytes.ContainsAny(out, "\x1b\x07") || bytes.Contains(out, []byte("[2J")) || bytes.Contains(out, []byte("pwned")) {
			t.Errorf("%s report passes escape sequences through:\n%q", format, out)
		}
		if !bytes.Contains(out, []byte("汉中秦巴生态保护")) {
			t.Errorf("%s report lost the readable name", format)
		}
	}
	var html bytes.Buffer
	if err := Inspection(&html, "html", r, InspectionOptions{Options: testOptions(t)}); err != nil {
		t.Fatal(err)
	}
	if bytes.ContainsAny(html.Bytes(), "\x1b\x07") {
		t.Errorf("html keeps control characters")
	}
}

func TestCSVWriterIsTheOnePath(t *testing.T) {
	var b bytes.Buffer
	cw, err := NewCSVWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	row := []string{"=cmd|' /C calc'!A0", "+1", "@x", "-2+3", "-5", "-0.3", "-", "汉中", "\tx"}
	if err := cw.Write(row); err != nil {
		t.Fatal(err)
	}
	if err := cw.Flush(); err != nil {
		t.Fatal(err)
	}
	if row[0] != "=cmd|' /C calc'!A0" {
		t.Errorf("Write modified its argument: %q", row[0])
	}
	if !bytes.HasPrefix(b.Bytes(), []byte("\ufeff")) || !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		t.Errorf("no BOM or CRLF: %q", b.String())
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(b.String(), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"'=cmd|' /C calc'!A0", "'+1", "'@x", "'-2+3", "-5", "-0.3", "-", "汉中", "'\tx"}
	if strings.Join(recs[0], "|") != strings.Join(want, "|") {
		t.Errorf("got %q, want %q", recs[0], want)
	}
	// A write to a failing writer is an error, never a silent success.
	if _, err := NewCSVWriter(failWriter{}); err == nil {
		t.Errorf("BOM write to a failing writer succeeded")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// TestChineseLabelsInSpreadsheets: csv and xlsx are read by people; platform and source print
// as Chinese labels (issue 11 item 8), JSON keeps the codes.
func TestChineseLabelsInSpreadsheets(t *testing.T) {
	for code, want := range map[string]string{"manual": "人工记录", "wechat-article": "公众号文章链接",
		"wechat-mp": "公众平台后台", "wechat-api": "微信官方接口", "weibo": "微博接口", "": "", "later-source": "later-source"} {
		if got := SourceLabel(code); got != want {
			t.Errorf("SourceLabel(%q) = %q, want %q", code, got, want)
		}
	}
	r := fixtureResult(t)
	csvOut := string(renderCheck(t, "csv", r, testOptions(t)))
	for _, code := range []string{",wechat,", ",weibo,", ",tieba,", ",manual,", ",wechat-mp,"} {
		if strings.Contains(csvOut, code) {
			t.Errorf("csv shows the code %s", code)
		}
	}
	jsonOut := string(renderCheck(t, "json", r, testOptions(t)))
	if !strings.Contains(jsonOut, `"platform": "wechat"`) || !strings.Contains(jsonOut, `"source": "manual"`) {
		t.Errorf("json must keep the codes")
	}
}
