package audit

import "github.com/nmaudit/nmaudit/platforms/names"

// compact and normalizeName are the names package's functions under the short names this
// package's rules read best with.
var (
	compact       = names.Compact
	NormalizeName = names.Normalize
)

// compactKeepSpace is NFKC without removing spaces.
func compactKeepSpace(s string) string { return names.NFKC(s) }
