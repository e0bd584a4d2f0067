package sheet

import (
	"context"
	"errors"
	"io"
)

// limits are the bounds the reader puts on what a file may expand to, so that memory and time
// stay bounded whatever a file holds (a 1 MB workbook can inflate to gigabytes). They are far
// above any real registry: the national system's export of 10^5 accounts has a sheet part of
// about 60 MB with inline strings and 30 MB with shared strings, and cells of a few dozen
// characters. Tests lower them through openWith to exercise the refusals cheaply.
type limits struct {
	sheetPart     int64 // decompressed bytes of the worksheet part: 512 MiB ≈ 900,000 rows of inline strings
	sstPart       int64 // decompressed bytes of sharedStrings.xml
	stylesPart    int64 // styles.xml (bloated files carry tens of thousands of styles)
	metaPart      int64 // workbook.xml, the relationship parts
	cellChars     int   // characters in one cell or one shared string: Excel's own limit
	sharedStrings int   // entries of the shared-string table
	rowBytes      int   // bytes of text in one row
	rows          int   // rows: Excel's limit, also applied to text files
	cols          int   // columns: Excel's limit (XFD)
}

func defaultLimits() limits {
	return limits{
		sheetPart:     512 << 20,
		sstPart:       256 << 20,
		stylesPart:    64 << 20,
		metaPart:      16 << 20,
		cellChars:     32767,
		sharedStrings: 1 << 23,
		rowBytes:      4 << 20,
		rows:          1 << 20,
		cols:          16384,
	}
}

// cellBytes is the most bytes a cell within the character limit can take in UTF-8, the bound
// applied while a cell is still being read (the exact character count is checked at its end).
func (l limits) cellBytes() int { return 4 * l.cellChars }

// errPartTooLarge: a bounded reader passed its limit.
type errPartTooLarge struct{ limit int64 }

func (e *errPartTooLarge) Error() string { return "part too large" }

// boundedReader fails, rather than stops, once more than limit bytes have been read: a part
// cut short would be read as a smaller, plausible file.
type boundedReader struct {
	r     io.Reader
	n     int64
	limit int64
}

func (b *boundedReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	if b.n > b.limit {
		return n, &errPartTooLarge{limit: b.limit}
	}
	return n, err
}

// ctxReader checks for cancellation before every read, so that a Ctrl-C while a large file is
// read stops it within one buffer's worth of input (each read is at most a few hundred KB).
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// isCancel reports a cancelled or expired context, which callers pass through as is (the CLI
// reports an interrupt, not bad input).
func isCancel(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// mib formats a byte count for messages.
func mib(n int64) int64 { return n >> 20 }
