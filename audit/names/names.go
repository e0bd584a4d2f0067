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

// foldTraditional converts to simplified Chinese. ASCII-only names skip the dictionary walk,
// which keeps normalising a 200,000-row registry cheap.
func foldTraditional(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
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

// NFKC applies Unicode NFKC normalisation (full-width digits, letters and punctuation become
// their ASCII forms) and nothing else.
func NFKC(s string) string { return norm.NFKC.String(s) }
