package sheet

import (
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// Date serials Excel can display: 1 is 1900-01-01, 2958465 is 9999-12-31. Values below 1 are
// times of day without a date, which no input column means.
const (
	minSerial = 1
	maxSerial = 2958466
)

// ExcelSerialTime converts a raw xlsx date cell such as "44795.75" (2022-08-22 18:00) to the
// wall-clock time it shows, in loc (UTC if loc is nil). Excel stores no time zone: a serial
// is a local date and time, so it is placed in loc rather than converted from UTC.
//
// It returns false when v is not a plain decimal number in Excel's date range — a text cell
// such as "2022-08-22", "NaN", hex or an empty string — so callers can fall back to parsing
// text. Workbooks in the 1904 date system need File.SerialTime instead.
func ExcelSerialTime(v string, loc *time.Location) (time.Time, bool) {
	return serialTime(v, loc, false)
}

// SerialTime is ExcelSerialTime honouring the workbook's date system (File.Date1904).
func (f *File) SerialTime(v string, loc *time.Location) (time.Time, bool) {
	return serialTime(v, loc, f.date1904)
}

func serialTime(v string, loc *time.Location, date1904 bool) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if !isDecimal(v) {
		return time.Time{}, false
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || x < minSerial || x >= maxSerial {
		return time.Time{}, false
	}
	t, err := excelize.ExcelDateToTime(x, date1904)
	if err != nil {
		return time.Time{}, false
	}
	if loc == nil {
		loc = time.UTC
	}
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc), true
}

// isDecimal accepts digits with an optional fraction and exponent, the forms Excel writes in
// <v>, and rejects what strconv.ParseFloat would also take (signs, "Inf", "NaN", hex, "_").
func isDecimal(s string) bool {
	i, n := 0, len(s)
	digits := func() int {
		j := i
		for i < n && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - j
	}
	if digits() == 0 {
		return false
	}
	if i < n && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < n && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < n && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == n
}
