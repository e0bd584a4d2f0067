package sheet

import (
	"strings"
	"unicode/utf8"
)

// CellType is what an xlsx cell holds, from its t attribute. Callers need it because the text
// of a cell does not say: "#N/A" may be an error value or typed text, "44781" a date serial or
// an account id.
type CellType uint8

// Cell types. The zero value is CellString, which is also what every cell of a text file is.
const (
	CellString CellType = iota // text: a shared or inline string, or a formula's text result
	CellNumber                 // a number (t="n" or no t); a date is a number with a date format
	CellBool                   // a boolean, read as "1" or "0"
	CellError                  // an error value such as #N/A, #REF! or #VALUE! (t="e")
	CellDate                   // an ISO 8601 date-time written as text (t="d"), rare
)

// DateFormat says what a cell's number format shows of a date serial, so that a value shown as
// a date-time at midnight is not mistaken for a bare date (whose time is unknown).
type DateFormat uint8

// Date formats.
const (
	NoDate   DateFormat = iota // not a date format: General, 0.00, @, an elapsed [h]:mm duration
	DateOnly                   // a date without a time of day: yyyy-mm-dd, yyyy"年"m"月"d"日", 14
	DateTime                   // a date and a time: yyyy-mm-dd hh:mm, 22
	TimeOnly                   // a time of day only: hh:mm, 20; the serial still holds a date
)

// CellKind describes one cell beside its text: its type and, for numbers, what its number format
// shows. The zero value is plain text, which is what every cell of a CSV file is.
type CellKind struct {
	Type   CellType
	Format DateFormat
}

// Kind returns the kind of cell i of r: the zero CellKind (text) for text files, for cells past
// the end of the row and for the gaps between written cells.
func (r Row) Kind(i int) CellKind {
	if i < 0 || i >= len(r.Kinds) {
		return CellKind{}
	}
	return r.Kinds[i]
}

// builtinDateFormat classifies Excel's built-in number formats (ECMA-376 Part 1, 18.8.30), which
// have ids and no format code in the file. 27–36 and 50–58 are the East Asian locales' date and
// time formats (in zh-CN: 27 yyyy"年"m"月", 31 yyyy"年"m"月"d"日", 32 h"时"mm"分", 34 上午/下午h"时"mm"分"…),
// and 46 is the elapsed-time [h]:mm:ss, a duration rather than a date.
func builtinDateFormat(id int) DateFormat {
	switch id {
	case 14, 15, 16, 17, 27, 28, 29, 30, 31, 36, 50, 51, 52, 53, 54, 57, 58:
		return DateOnly
	case 22:
		return DateTime
	case 18, 19, 20, 21, 32, 33, 34, 35, 45, 47, 55, 56:
		return TimeOnly
	}
	return NoDate
}

// classifyFormatCode reads a custom number format code (numFmt formatCode) and says what it shows
// of a date. Only the first section counts (the one positive numbers, which dates are, use);
// quoted text, backslash escapes, the _x and *x spacing codes, colours, locales and conditions in
// brackets are skipped, "General" is not a date, and an elapsed-time code ([h], [mm], [ss]) makes
// the format a duration unless it also shows a date part. m is a month unless it sits next to an
// hour or a second, as Excel reads it.
func classifyFormatCode(code string) DateFormat {
	var tokens []byte // date/time letters in order, lower-cased, one per run: y m d h s a
	elapsed := false
	add := func(c byte) {
		if n := len(tokens); n == 0 || tokens[n-1] != c {
			tokens = append(tokens, c)
		}
	}
scan:
	for i := 0; i < len(code); {
		c := code[i]
		switch {
		case c == ';':
			break scan
		case c == '"':
			j := strings.IndexByte(code[i+1:], '"')
			if j < 0 {
				break scan
			}
			i += j + 2
			continue
		case c == '\\' || c == '_' || c == '*':
			i++ // the escaped or spacing character follows
			if i < len(code) {
				_, size := utf8.DecodeRuneInString(code[i:])
				i += size
			}
			continue
		case c == '[':
			j := strings.IndexByte(code[i:], ']')
			if j < 0 {
				break scan
			}
			if inner := code[i+1 : i+j]; isElapsed(inner) {
				elapsed = true
				add(inner[0] | 0x20) // [h]:mm — the mm after an hour is minutes
			}
			i += j + 1
			continue
		}
		lower := c | 0x20
		switch {
		case hasFoldPrefix(code[i:], "general"):
			i += len("general")
			continue
		case hasFoldPrefix(code[i:], "am/pm"):
			add('a')
			i += len("am/pm")
			continue
		case hasFoldPrefix(code[i:], "a/p"):
			add('a')
			i += len("a/p")
			continue
		case strings.HasPrefix(code[i:], "上午/下午"):
			add('a')
			i += len("上午/下午")
			continue
		case lower == 'e' && i+1 < len(code) && (code[i+1] == '+' || code[i+1] == '-'):
			i += 2 // scientific notation 0.00E+00
			continue
		case lower == 'y' || lower == 'e': // e: the era year of East Asian calendars
			add('y')
		case lower == 'd':
			add('d')
		case lower == 'm':
			add('m')
		case lower == 'h':
			add('h')
		case lower == 's':
			add('s')
		}
		_, size := utf8.DecodeRuneInString(code[i:])
		i += size
	}
	hasDate, hasTime := false, false
	for k, t := range tokens {
		switch t {
		case 'y', 'd':
			hasDate = true
		case 'h', 's', 'a':
			hasTime = true
		case 'm':
			minute := (k > 0 && tokens[k-1] == 'h') || (k+1 < len(tokens) && tokens[k+1] == 's')
			if minute {
				hasTime = true
			} else {
				hasDate = true
			}
		}
	}
	switch {
	case hasDate && (hasTime || elapsed):
		return DateTime
	case hasDate:
		return DateOnly
	case hasTime && !elapsed:
		return TimeOnly
	}
	return NoDate
}

// isElapsed reports whether a bracketed format section is an elapsed-time code: [h], [hh],
// [mm], [ss] and so on, as opposed to [Red], [$-804] or [>=100].
func isElapsed(s string) bool {
	if s == "" {
		return false
	}
	c := s[0] | 0x20
	if c != 'h' && c != 'm' && c != 's' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i]|0x20 != c {
			return false
		}
	}
	return true
}

func hasFoldPrefix(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
