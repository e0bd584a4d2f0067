package weibo

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// cst is China time. A fixed +08:00 zone rather than Asia/Shanghai: China has had no DST since
// 1991, and a fixed zone needs no tzdata on the auditor's machine.
var cst = time.FixedZone("CST", 8*3600)

var (
	minutesAgoRe = regexp.MustCompile(`^(\d{1,4})\s*分钟前$`)
	hoursAgoRe   = regexp.MustCompile(`^(\d{1,3})\s*小时前$`)
	todayRe      = regexp.MustCompile(`^今天\s*(\d{1,2}):(\d{2})$`)
	yesterdayRe  = regexp.MustCompile(`^昨天\s*(\d{1,2}):(\d{2})$`)
	monthDayRe   = regexp.MustCompile(`^(\d{1,2})-(\d{1,2})$`)
	dateRe       = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})$`)
)

// parseCreatedAt reads mblog.created_at. The normal form is RubyDate ("Fri Jan 15 08:36:13 +0800
// 2021"); the older relative forms (platforms.md Part 2 §2a) resolve against fetched, the moment
// the response was produced — not the check time, which may be days earlier. dayOnly is true when
// the string names only a day (MM-DD, YYYY-MM-DD): the time is then that day's 00:00 China time
// and the classifier decides which moment of the day counts.
func parseCreatedAt(s string, fetched time.Time) (t time.Time, dayOnly bool, err error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RubyDate, s); err == nil {
		return t.In(cst), false, nil
	}
	now := fetched.In(cst)
	if s == "刚刚" {
		return now, false, nil
	}
	if m := minutesAgoRe.FindStringSubmatch(s); m != nil {
		return now.Add(-time.Duration(atoi(m[1])) * time.Minute), false, nil
	}
	if m := hoursAgoRe.FindStringSubmatch(s); m != nil {
		return now.Add(-time.Duration(atoi(m[1])) * time.Hour), false, nil
	}
	if m := todayRe.FindStringSubmatch(s); m != nil {
		return clock(now, atoi(m[1]), atoi(m[2]), s)
	}
	if m := yesterdayRe.FindStringSubmatch(s); m != nil {
		return clock(now.AddDate(0, 0, -1), atoi(m[1]), atoi(m[2]), s)
	}
	if m := monthDayRe.FindStringSubmatch(s); m != nil {
		// No year: this year's date unless that is still to come, then last year's (the rule
		// RSSHub uses; a post cannot be from the future).
		month, day := atoi(m[1]), atoi(m[2])
		if d, ok := date(now.Year(), month, day); ok && !d.After(now) {
			return d, true, nil
		}
		if d, ok := date(now.Year()-1, month, day); ok {
			return d, true, nil
		}
		return time.Time{}, false, fmt.Errorf("invalid month-day %q", s)
	}
	if m := dateRe.FindStringSubmatch(s); m != nil {
		if d, ok := date(atoi(m[1]), atoi(m[2]), atoi(m[3])); ok {
			return d, true, nil
		}
		return time.Time{}, false, fmt.Errorf("invalid date %q", s)
	}
	return time.Time{}, false, fmt.Errorf("unknown created_at format %q", s)
}

// clock is day's date at hh:mm China time.
func clock(day time.Time, hh, mm int, s string) (time.Time, bool, error) {
	if hh > 23 || mm > 59 {
		return time.Time{}, false, fmt.Errorf("invalid time of day %q", s)
	}
	return time.Date(day.Year(), day.Month(), day.Day(), hh, mm, 0, 0, cst), false, nil
}

// date is 00:00 China time on y-m-d; ok is false for dates that do not exist (time.Date would
// roll 02-30 over into March).
func date(y, m, d int) (time.Time, bool) {
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, cst)
	return t, t.Year() == y && int(t.Month()) == m && t.Day() == d
}

// atoi reads digits the regexps already matched.
func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
