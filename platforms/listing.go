package platforms

import (
	"fmt"
	"time"
)

// Listing is the one rule every adapter reads a post list by, page after page, so that no
// account is named 不合格 from a list nobody read to the end.
//
// The question is the newest post at or before the check time T. Lists are newest first apart
// from pinned posts, so the answer is known once a page holds an unpinned post at or before T
// (Done): the newest post ≤ T is then the newest one seen, pinned posts included. Until then the
// adapter reads on while the platform signals more. Reading can stop in three ways, and only two
// of them are answers (Conclude):
//
//   - Done: an unpinned post ≤ T was seen. Its time proves the verdict either way: at or after
//     T−W it is 合格; before T−W the list provably reaches back past the window's start.
//   - the list provably ended (the platform's own end marker, as ../shared/platforms.md Part 1
//     defines it per platform): everything there is was seen, and nothing unpinned is ≤ T.
//   - anything else — a next page signalled and not read (a cursor, a page number, a total
//     above what was seen, the page budget spent, a marker in a form nobody knows): that is
//     not an answer. It is a *Fault with ReasonIncomplete (列表未读完) or ReasonTooManyPages.
//
// Entries without a usable time (some WeChat sends) are kept track of too: one that sits above
// the newest dated post ≤ T could itself be the newest post ≤ T, so unless a dated post already
// proves the window (T−W ≤ t ≤ T), the answer is not definitive.
//
// A Listing is used by one Fetch call at a time.
type Listing struct {
	checkTime time.Time
	window    time.Duration // W; 0 when the adapter does not know it

	best    *Post
	done    bool
	seen    int // entries seen on every page read, for comparing with a platform's total
	undated int // entries without a time that sit above the newest dated post ≤ T
}

// NewListing starts reading a list for check time T. window is the run's W, needed only by
// adapters whose lists can hold undated entries; pass 0 otherwise.
func NewListing(checkTime time.Time, window time.Duration) *Listing {
	return &Listing{checkTime: checkTime, window: window}
}

// Add considers one dated entry. Posts after T never count (the audit may run days after the
// check time) but are counted as seen.
func (l *Listing) Add(p Post) {
	l.seen++
	eff, ok := EffectiveTime(p, l.checkTime)
	if !ok {
		return
	}
	if l.best == nil || eff.After(mustEffective(*l.best, l.checkTime)) {
		cp := p
		l.best = &cp
	}
	if !p.Pinned {
		l.done = true
	}
}

// Skip counts an entry that is seen but is not a post for this audit (a repost when reposts do
// not count, an entry with nothing behind it), so totals still compare.
func (l *Listing) Skip() { l.seen++ }

// Undated counts an entry whose time cannot be read. It matters only while no unpinned post ≤ T
// has been seen: such an entry sits above the newest dated post ≤ T and could be newer.
func (l *Listing) Undated() {
	l.seen++
	if !l.done {
		l.undated++
	}
}

// Done reports whether an unpinned post at or before T has been seen: the newest post ≤ T is
// then known and no further page needs to be read.
func (l *Listing) Done() bool { return l.done }

// Seen is the number of entries seen so far.
func (l *Listing) Seen() int { return l.seen }

// Latest is the newest post ≤ T seen so far (nil when none).
func (l *Listing) Latest() *Post { return l.best }

// Conclude ends the reading. ended says that the list provably ended at the last page read (the
// platform's end marker, with every entry the platform counts seen). When the listing is Done or
// ended, the newest post ≤ T is the answer (nil: nothing at or before T) — unless undated entries
// could hide a newer post and no dated post proves the window, which is a fault. Otherwise the
// answer is unproven and notRead is returned: the caller's description of what was not read
// (ReasonIncomplete, or ReasonTooManyPages when the page budget ran out).
func (l *Listing) Conclude(ended bool, notRead *Fault) (*Post, *Fault) {
	if !l.done && !ended {
		if notRead == nil {
			notRead = NewFault(ReasonIncomplete, "")
		}
		return nil, notRead
	}
	if l.undated > 0 && !l.windowProven() {
		return nil, Faultf(ReasonBadResponse, "%d 条记录没有发送时间，可能晚于已知的最近一条，无法判断", l.undated)
	}
	return l.best, nil
}

// windowProven reports whether a dated post proves an update in [T−W, T].
func (l *Listing) windowProven() bool {
	if l.best == nil || l.window <= 0 {
		return false
	}
	return !mustEffective(*l.best, l.checkTime).Before(l.checkTime.Add(-l.window))
}

// Incomplete is the fault for a list whose next page was signalled but not read; what names the
// signal ("since_id 未读", "平台称共 12 条，只读到 5 条").
func Incomplete(format string, args ...any) *Fault {
	return &Fault{Reason: ReasonIncomplete, Detail: fmt.Sprintf(format, args...)}
}

// EffectiveTime resolves a post's time against T the way design.md's classification does: a
// time after T does not count (ok=false); a time known only to the day counts as the latest
// moment of that day that is not after T.
func EffectiveTime(p Post, checkTime time.Time) (time.Time, bool) {
	if p.DayOnly {
		t := p.Time.In(checkTime.Location())
		y, m, d := t.Date()
		start := time.Date(y, m, d, 0, 0, 0, 0, checkTime.Location())
		if start.After(checkTime) {
			return time.Time{}, false
		}
		end := start.AddDate(0, 0, 1).Add(-time.Second)
		if end.After(checkTime) {
			end = checkTime
		}
		return end, true
	}
	if p.Time.After(checkTime) {
		return time.Time{}, false
	}
	return p.Time, true
}

func mustEffective(p Post, checkTime time.Time) time.Time {
	t, _ := EffectiveTime(p, checkTime)
	return t
}
