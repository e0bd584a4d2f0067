package sheet

import "testing"

func TestClassifyFormatCode(t *testing.T) {
	tests := []struct {
		code string
		want DateFormat
	}{
		{"yyyy-mm-dd", DateOnly},
		{"yyyy/m/d", DateOnly},
		{`yyyy"年"m"月"d"日"`, DateOnly},
		{`yyyy"年"m"月"`, DateOnly},
		{"m/d/yy", DateOnly},
		{"[$-804]yyyy-mm-dd", DateOnly},
		{"[$-F800]dddd, mmmm dd, yyyy", DateOnly},
		{"d-mmm-yy", DateOnly},
		{"yyyy-mm-dd hh:mm", DateTime},
		{"yyyy-mm-dd hh:mm:ss", DateTime},
		{"yyyy/m/d h:mm AM/PM", DateTime},
		{`yyyy"年"m"月"d"日" h"时"mm"分"`, DateTime},
		{"m/d/yy h:mm;@", DateTime},
		{"[Red]yyyy-mm-dd hh:mm", DateTime},
		{"h:mm", TimeOnly},
		{"hh:mm:ss", TimeOnly},
		{"mm:ss", TimeOnly},
		{`上午/下午h"时"mm"分"`, TimeOnly},
		{"h:mm AM/PM", TimeOnly},
		{"[h]:mm:ss", NoDate}, // elapsed time: a duration
		{"[mm]:ss", NoDate},
		{"General", NoDate},
		{"0.00", NoDate},
		{"#,##0", NoDate},
		{"0.00E+00", NoDate},
		{"@", NoDate},
		{`"日期"0`, NoDate},    // the date word is quoted text
		{`0" days"`, NoDate}, // so is "days"
		{`\d0`, NoDate},      // an escaped letter
		{`0_d`, NoDate},      // a spacing code
		{`0*m`, NoDate},      // a fill character
		{"[Red]0.00;[Blue]-0.00", NoDate},
		{"0.00;yyyy-mm-dd", NoDate}, // only the first section counts
		{"", NoDate},
	}
	for _, tt := range tests {
		if got := classifyFormatCode(tt.code); got != tt.want {
			t.Errorf("classifyFormatCode(%q) = %d, want %d", tt.code, got, tt.want)
		}
	}
}

func TestBuiltinDateFormats(t *testing.T) {
	for id, want := range map[int]DateFormat{
		0: NoDate, 1: NoDate, 9: NoDate, 13: NoDate, 14: DateOnly, 17: DateOnly, 18: TimeOnly, 21: TimeOnly, 22: DateTime,
		27: DateOnly, 31: DateOnly, 32: TimeOnly, 35: TimeOnly, 36: DateOnly, 37: NoDate, 45: TimeOnly, 46: NoDate, 47: TimeOnly,
		49: NoDate, 50: DateOnly, 55: TimeOnly, 58: DateOnly, 59: NoDate, 164: NoDate,
	} {
		if got := builtinDateFormat(id); got != want {
			t.Errorf("builtinDateFormat(%d) = %d, want %d", id, got, want)
		}
	}
}
