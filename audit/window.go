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

var windowRe = regexp.MustCompile(`^(\d+)\s*([dwh])$`)

// ParseWindow accepts 14d, 2w and 336h (and their upper-case forms).
func ParseWindow(s string) (Window, error) {
	m := windowRe.FindStringSubmatch(strings.ToLower(strings.TrimSpace(s)))
	if m == nil {
		return Window{}, fmt.Errorf("window %q: want a whole number of days, weeks or hours, e.g. 14d, 2w or 336h", s)
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n <= 0 {
		return Window{}, fmt.Errorf("window %q: must be positive", s)
	}
	unit := map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour, "h": time.Hour}[m[2]]
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
