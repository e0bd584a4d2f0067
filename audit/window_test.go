package audit

import (
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
