package audit

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Window is the update window W: an account passes when its newest post ≤ T is at or after T−W.
type Window struct {
	D time.Duration
}

var windowRe = regexp.MustCompile(`^([+-]?\d+)\s*([dwh])$`)

// MaxWindow bounds the update window. No inspection rule asks for more than a quarter, and a
// window longer than a year makes every account 合格 that posted once last year: a typo
// (140d for 14d, 336d for 336h) rather than a policy. 366 days, so "one year" holds in a
// leap year too.
const MaxWindow = 366 * 24 * time.Hour

// ParseWindow accepts 14d, 2w and 336h (and their upper-case forms). A window must be positive
// and at most MaxWindow; the errors say which bound was crossed, in the users' Chinese.
func ParseWindow(s string) (Window, error) {
	m := windowRe.FindStringSubmatch(strings.ToLower(strings.TrimSpace(s)))
	if m == nil {
		return Window{}, fmt.Errorf("%q 不是有效的时长：应为整数天、周或小时，如 14d、2w 或 336h", s)
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	unit := map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour, "h": time.Hour}[m[2]]
	switch {
	case err == nil && n == 0:
		return Window{}, fmt.Errorf("%q：时长不能为零", s)
	case err == nil && n < 0:
		return Window{}, fmt.Errorf("%q：时长不能为负数", s)
	case err != nil || n > int64(MaxWindow/unit):
		return Window{}, fmt.Errorf("%q：时长不能超过一年（366d）", s)
	}
	return Window{D: time.Duration(n) * unit}, nil
}

// String is the canonical spelling used in JSON: whole days as "14d", otherwise hours.
func (w Window) String() string {
	if w.D%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", int(w.D/(24*time.Hour)))
	}
	return fmt.Sprintf("%dh", int(w.D/time.Hour))
}

// Phrase is the window as inspection lists word it: 2周 for 14 days, 10天, 36小时.
func (w Window) Phrase() string {
	day := 24 * time.Hour
	switch {
	case w.D%(7*day) == 0:
		return fmt.Sprintf("%d周", int(w.D/(7*day)))
	case w.D%day == 0:
		return fmt.Sprintf("%d天", int(w.D/day))
	}
	return fmt.Sprintf("%d小时", int(w.D/time.Hour))
}

// NoUpdateProblem is the problem label for the update veto: 监测时间点前2周内无更新 for 14d,
// 监测时间点前10天内无更新 for 10d.
func (w Window) NoUpdateProblem() string { return "监测时间点前" + w.Phrase() + "内无更新" }
