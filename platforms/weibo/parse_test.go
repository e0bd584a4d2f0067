package weibo

import (
	"testing"
	"time"
)

func TestParseCreatedAt(t *testing.T) {
	fetched := time.Date(2022, 8, 22, 2, 0, 0, 0, time.UTC) // 10:00 China time
	cases := []struct {
		in      string
		want    time.Time
		dayOnly bool
	}{
		{"Fri Jan 15 08:36:13 +0800 2021", cstAt(2021, 1, 15, 8, 36, 13), false},
		{"  Sun Aug 21 15:00:00 +0000 2022 ", cstAt(2022, 8, 21, 23, 0, 0), false},
		{"刚刚", cstAt(2022, 8, 22, 10, 0, 0), false},
		{"1分钟前", cstAt(2022, 8, 22, 9, 59, 0), false},
		{"59分钟前", cstAt(2022, 8, 22, 9, 1, 0), false},
		{"11小时前", cstAt(2022, 8, 21, 23, 0, 0), false}, // crosses midnight
		{"今天 00:05", cstAt(2022, 8, 22, 0, 5, 0), false},
		{"今天08:15", cstAt(2022, 8, 22, 8, 15, 0), false},
		{"昨天 23:59", cstAt(2022, 8, 21, 23, 59, 0), false},
		{"08-22", cstAt(2022, 8, 22, 0, 0, 0), true}, // today is not the future
		{"08-23", cstAt(2021, 8, 23, 0, 0, 0), true}, // tomorrow would be: last year
		{"8-9", cstAt(2022, 8, 9, 0, 0, 0), true},
		{"01-01", cstAt(2022, 1, 1, 0, 0, 0), true},
		{"2022-08-08", cstAt(2022, 8, 8, 0, 0, 0), true},
		{"2019-2-3", cstAt(2019, 2, 3, 0, 0, 0), true},
	}
	for _, c := range cases {
		got, dayOnly, err := parseCreatedAt(c.in, fetched)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if !got.Equal(c.want) || dayOnly != c.dayOnly {
			t.Errorf("%q = %v (dayOnly %v), want %v (dayOnly %v)", c.in, got, dayOnly, c.want, c.dayOnly)
		}
	}

	// Year boundary: on 1 January, "12-31" is yesterday, last year.
	newYear := time.Date(2023, 1, 1, 8, 0, 0, 0, cst)
	if got, _, _ := parseCreatedAt("12-31", newYear); !got.Equal(cstAt(2022, 12, 31, 0, 0, 0)) {
		t.Errorf("12-31 on 2023-01-01 = %v", got)
	}
	if got, _, _ := parseCreatedAt("昨天 20:00", newYear); !got.Equal(cstAt(2022, 12, 31, 20, 0, 0)) {
		t.Errorf("昨天 20:00 on 2023-01-01 = %v", got)
	}
	// 02-29 in a non-leap year falls back to the leap year before, if it is the year before.
	if got, _, err := parseCreatedAt("02-29", time.Date(2025, 1, 10, 0, 0, 0, 0, cst)); err != nil || !got.Equal(cstAt(2024, 2, 29, 0, 0, 0)) {
		t.Errorf("02-29 on 2025-01-10 = %v, %v", got, err)
	}
	// Fetched in UTC late in the day is already the next day in China.
	lateUTC := time.Date(2022, 8, 21, 17, 0, 0, 0, time.UTC) // 2022-08-22 01:00 China time
	if got, _, _ := parseCreatedAt("今天 00:30", lateUTC); !got.Equal(cstAt(2022, 8, 22, 0, 30, 0)) {
		t.Errorf("今天 00:30 at 17:00 UTC = %v", got)
	}

	for _, bad := range []string{"", "3天前", "昨天", "今天 24:00", "昨天 12:60", "13-01", "02-30", "2022-02-29",
		"2022-13-01", "Fri Jan 15 2021", "2022/08/08", "一小时前"} {
		if got, _, err := parseCreatedAt(bad, fetched); err == nil {
			t.Errorf("%q parsed as %v, want an error", bad, got)
		}
	}
}

func TestTitle(t *testing.T) {
	cases := map[string]string{
		`短文本`: "短文本",
		`<a href="/n/某某">@某某</a> 回复<br/>第二行 &quot;引号&quot;`:                                          `@某某 回复 第二行 "引号"`,
		`<span class="url-icon"><img alt=[心] src="x.png" /></span>一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三`: "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十…",
	}
	for in, want := range cases {
		if got := title(in); got != want {
			t.Errorf("title(%q) = %q, want %q", in, got, want)
		}
	}
}
