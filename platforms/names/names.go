// Package names normalises Chinese account, unit and label text for matching: NFKC, spaces and
// quotes removed, traditional folded to simplified (design.md, "Target list"). It is a leaf package
// so platform adapters can match names the same way the registry does.
package names

import (
	"strings"
	"sync"
	"unicode"

	"github.com/longbridgeapp/opencc"
	"golang.org/x/text/unicode/norm"
)

// Compact is the light normalisation used for labels and header cells: NFKC (full-width →
// half-width), then every space, including U+3000, removed.
func Compact(s string) string {
	s = norm.NFKC.String(s)
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff' {
			return -1
		}
		return r
	}, s)
}

// nameQuotes are removed from names before matching (design.md).
const nameQuotes = "「」『』“”‘’\"'《》"

// t2s folds traditional Chinese to simplified. OpenCC's dictionaries are embedded; loading them
// takes a moment, so it happens once, on first use.
var t2s = sync.OnceValues(func() (*opencc.OpenCC, error) { return opencc.New("t2s") })

// Normalize is the matching key for account and owner names, in design.md's order: NFKC,
// trim, remove spaces and quotes, fold traditional to simplified. Two names that differ only in
// those respects are the same name.
func Normalize(s string) string {
	s = norm.NFKC.String(s)
	s = strings.TrimSpace(s)
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff' || strings.ContainsRune(nameQuotes, r) {
			return -1
		}
		return r
	}, s)
	return foldTraditional(s)
}

// foldTraditional converts to simplified Chinese. Most names in a registry are already
// simplified, so a name with no character that t2s would change skips OpenCC altogether; that
// keeps normalising a 200,000-row registry cheap (OpenCC allocates heavily per call).
func foldTraditional(s string) string {
	set := tradChars()
	needs := false
	for _, r := range s {
		if r >= 0x80 && set[r] {
			needs = true
			break
		}
	}
	if !needs {
		return s
	}
	cc, err := t2s()
	if err != nil {
		return s // the embedded dictionaries always load; never fail a match over it
	}
	out, err := cc.Convert(s)
	if err != nil {
		return s
	}
	return out
}

// tradChars is the set of characters OpenCC's t2s changes on their own, found once by asking
// OpenCC about every CJK ideograph (a few tens of milliseconds), so the set is exactly the
// dictionary's and never a hand-made table.
var tradChars = sync.OnceValue(func() map[rune]bool {
	set := map[rune]bool{}
	cc, err := t2s()
	if err != nil {
		return set
	}
	var b strings.Builder
	var runes []rune
	for _, block := range [][2]rune{{0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xF900, 0xFAFF}} {
		for r := block[0]; r <= block[1]; r++ {
			runes = append(runes, r)
		}
	}
	// Convert in one call with a separator OpenCC leaves alone, then compare rune by rune.
	for _, r := range runes {
		b.WriteRune(r)
		b.WriteByte('\n')
	}
	out, err := cc.Convert(b.String())
	if err != nil {
		return set
	}
	lines := strings.Split(out, "\n")
	if len(lines) < len(runes) {
		return set
	}
	for i, r := range runes {
		if lines[i] != string(r) {
			set[r] = true
		}
	}
	return set
})

// NFKC applies Unicode NFKC normalisation (full-width digits, letters and punctuation become
// their ASCII forms) and nothing else.
func NFKC(s string) string { return norm.NFKC.String(s) }
