package tieba

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// flex is a scalar Tieba sends either as a JSON string or as a number (error_code, create_time,
// hide_post, is_top, ids all vary between endpoints and client versions). It keeps the text:
// "0", "1660000000". Booleans become "1"/"0"; null becomes "".
type flex string

func (s *flex) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*s = ""
	case b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = flex(strings.TrimSpace(v))
	case string(b) == "true":
		*s = "1"
	case string(b) == "false":
		*s = "0"
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("tieba: want a string or number, got %s", b)
		}
		*s = flex(n.String())
	}
	return nil
}

// isZero reports whether a flag or code is 0 or "0": the only ways the contract writes "off"
// and "success". "0.0", "00", "false" and the like are not read as zero — a value nobody has
// seen must never make an answer definitive (a hide_post of "0.0" read as "not hidden" turned
// an empty list into 不合格).
func (s flex) isZero() bool { return s == "0" }

// isOne reports 1 or "1" (booleans arrive as "1"/"0" through UnmarshalJSON).
func (s flex) isOne() bool { return s == "1" }

// set reports whether a flag is on: present and not zero. It is for flags whose misreading costs
// nothing but an extra page (is_top); definitive flags use isZero/isOne.
func (s flex) set() bool {
	if s == "" || s.isZero() {
		return false
	}
	if f, err := strconv.ParseFloat(string(s), 64); err == nil && f == 0 {
		return false
	}
	return true
}

// plausible bounds for a create_time: Tieba opened in December 2003, and 2100 is far enough to
// catch milliseconds sent where seconds were expected. A value outside them is not read as some
// odd date: a misread time could move a post out of the window, so it is a bad response.
var (
	minTime = time.Date(2003, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	maxTime = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
)

// chinaTime is +08:00; a fixed zone, so no tzdata is needed.
var chinaTime = time.FixedZone("CST", 8*3600)

// unixTime parses a create_time in unix seconds (string or number, integral).
func unixTime(s flex) (time.Time, error) {
	v := strings.TrimSpace(string(s))
	if v == "" {
		return time.Time{}, fmt.Errorf("create_time 缺失")
	}
	sec, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(v, 64)
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1e15 {
			return time.Time{}, fmt.Errorf("create_time %q 不是 unix 秒", v)
		}
		sec = int64(f)
	}
	if sec < minTime || sec >= maxTime {
		return time.Time{}, fmt.Errorf("create_time %q 超出合理范围", v)
	}
	return time.Unix(sec, 0).In(chinaTime), nil
}

// shorten cuts a title to what a person checking the verdict needs.
func shorten(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	const max = 40
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max]) + "…"
}
