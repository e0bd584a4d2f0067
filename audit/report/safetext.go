package report

import "strings"

// SafeText makes text that came from outside nmaudit — registry cells, platform answers, file
// names, error messages quoting them — safe to print on a terminal, on one line. An account
// name holding "\x1b[2J" or an OSC 8 link would otherwise clear the inspector's screen, retitle
// the window or forge a 合格 line when a notice or a table prints it (issue "Hostile files":
// ANSI sequences reached the terminal through stderr notices and --format md).
//
// It removes every escape sequence whole — CSI (ESC [ … final byte, and the 8-bit CSI U+009B),
// OSC, DCS, SOS, PM and APC strings up to their terminator, and two-byte ESC sequences — so no
// "[31m" debris is left behind; drops the other C0 and C1 control characters and DEL; drops the
// bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C),
// which can make a line read differently from what it holds; and turns tabs and line breaks into
// single spaces. Printable text, Chinese included, is untouched. Commands call it on every
// notice and error they print; the table and md renderers call it on every cell.
func SafeText(s string) string { return sanitize(s, false) }

// sanitize is SafeText; with keepBreaks it keeps \n, \r and \t for a caller that renders them
// itself (md turns line breaks into <br>).
func sanitize(s string, keepBreaks bool) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == 0x1b: // ESC
			i = skipEscape(rs, i)
		case r == 0x9b: // 8-bit CSI
			i = skipCSI(rs, i+1)
		case r == 0x9d || r == 0x90 || r == 0x98 || r == 0x9e || r == 0x9f: // 8-bit OSC, DCS, SOS, PM, APC
			i = skipString(rs, i+1)
		case r == '\r' && i+1 < len(rs) && rs[i+1] == '\n' && !keepBreaks:
			b.WriteByte(' ')
			i++
		case r == '\n' || r == '\r' || r == '\t':
			if keepBreaks {
				b.WriteRune(r)
			} else {
				b.WriteByte(' ')
			}
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			// other control characters: no width, no business in a report
		case isBidiControl(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isPlain reports whether s has nothing to remove (the common case, kept allocation-free).
func isPlain(s string) bool {
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) || isBidiControl(r) {
			return false
		}
	}
	return true
}

func isBidiControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}

// skipEscape returns the index of the last rune of the escape sequence starting at rs[i] (ESC).
func skipEscape(rs []rune, i int) int {
	if i+1 >= len(rs) {
		return i
	}
	switch rs[i+1] {
	case '[':
		return skipCSI(rs, i+2)
	case ']', 'P', 'X', '^', '_':
		return skipString(rs, i+2)
	}
	// nF sequences: intermediates 0x20–0x2F, then one final byte.
	j := i + 1
	for j < len(rs) && rs[j] >= 0x20 && rs[j] <= 0x2f {
		j++
	}
	if j < len(rs) && rs[j] >= 0x30 && rs[j] <= 0x7e {
		return j
	}
	return j - 1 // a lone ESC before text: drop the ESC only
}

// skipCSI returns the index of a CSI sequence's final byte; j is the first rune after the
// introducer. Parameters 0x30–0x3F, intermediates 0x20–0x2F, final 0x40–0x7E.
func skipCSI(rs []rune, j int) int {
	for j < len(rs) && rs[j] >= 0x20 && rs[j] <= 0x3f {
		j++
	}
	if j < len(rs) && rs[j] >= 0x40 && rs[j] <= 0x7e {
		return j
	}
	return j - 1 // malformed: drop the introducer and parameters, keep what follows
}

// skipString returns the index of the terminator of an OSC/DCS/SOS/PM/APC string: BEL, ESC \
// or the 8-bit ST. An unterminated string runs to the end, as a terminal would swallow it.
func skipString(rs []rune, j int) int {
	for ; j < len(rs); j++ {
		switch {
		case rs[j] == 0x07 || rs[j] == 0x9c:
			return j
		case rs[j] == 0x1b && j+1 < len(rs) && rs[j+1] == '\\':
			return j + 1
		}
	}
	return len(rs) - 1
}
