package audit

import (
	"strings"
	"testing"
	"time"
)

func TestParseWindow(t *testing.T) {
	cases := map[string]struct {
		d       time.Duration
		str     string
		problem string
	}{
		"14d":  {14 * 24 * time.Hour, "14d", "监测时间点前2周内无更新"},
		"2w":   {14 * 24 * time.Hour, "14d", "监测时间点前2周内无更新"},
		"336h": {14 * 24 * time.Hour, "14d", "监测时间点前2周内无更新"},
		"10d":  {10 * 24 * time.Hour, "10d", "监测时间点前10天内无更新"},
		"36h":  {36 * time.Hour, "36h", "监测时间点前36小时内无更新"},
		"1w":   {7 * 24 * time.Hour, "7d", "监测时间点前1周内无更新"},
		" 7D ": {7 * 24 * time.Hour, "7d", "监测时间点前1周内无更新"},
	}
	for in, want := range cases {
		w, err := ParseWindow(in)
		if err != nil || w.D != want.d || w.String() != want.str || w.NoUpdateProblem() != want.problem {
			t.Errorf("ParseWindow(%q) = %v (%s, %s), %v; want %v %s %s", in, w.D, w.String(), w.NoUpdateProblem(), err, want.d, want.str, want.problem)
		}
	}
	for _, bad := range []string{"", "14", "0d", "-1d", "2 weeks", "1.5d", "14m"} {
		if _, err := ParseWindow(bad); err == nil {
			t.Errorf("ParseWindow(%q): want error", bad)
		}
	}
}

func TestParseWindowBounds(t *testing.T) {
	cases := map[string]string{
		"0d":                    "不能为零",
		"0h":                    "不能为零",
		"-1d":                   "不能为负数",
		"-2w":                   "不能为负数",
		"367d":                  "不能超过一年",
		"53w":                   "不能超过一年",
		"8785h":                 "不能超过一年",
		"99999999999999999999d": "不能超过一年",
		"3x":                    "不是有效的时长",
	}
	for in, want := range cases {
		_, err := ParseWindow(in)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), in) {
			t.Errorf("ParseWindow(%q) = %v; want an error saying %q and quoting the value", in, err, want)
		}
	}
	for _, ok := range []string{"366d", "52w", "8784h", "1h"} {
		if _, err := ParseWindow(ok); err != nil {
			t.Errorf("ParseWindow(%q): %v; a window up to a year is allowed", ok, err)
		}
	}
}
