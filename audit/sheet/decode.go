package sheet

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// A text file is read twice, never held whole: a first pass over the raw bytes decides the
// encoding and finds the first byte that cannot be decoded, then the rows are parsed from a
// streaming decoder (golang.org/x/text) that stops exactly at that byte. The whole file must be
// seen before any row is handed out because a GBK file can be valid UTF-8 for its first
// thousand rows; the first pass is cheap (it decodes nothing) and memory stays one buffer.
//
// The encoding is decided in this order, because each test is certain before the next is a
// guess:
//
//  1. a BOM (UTF-8, UTF-16LE, UTF-16BE) is taken at its word;
//  2. NUL bytes in the even or odd positions only mean BOM-less UTF-16;
//  3. bytes that are valid UTF-8 are UTF-8 — never GBK, because UTF-8 Chinese text fed to a
//     GB18030 decoder turns into plausible-looking mojibake without any error;
//  4. bytes that are mostly UTF-8 with a few invalid ones are a damaged or mixed UTF-8 file,
//     reported where they break (see utf8Stats.mixed);
//  5. anything else is GB18030 (a superset of GBK, which Excel's plain "CSV" uses on Chinese
//     Windows), checked strictly against x/text's own tables, since its decoder silently
//     substitutes U+FFFD for what it cannot map.
//
// Excel never writes NUL into text; one means a binary file with a text extension.

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// textScan is what the first pass found.
type textScan struct {
	enc    string
	bomLen int64
	bad    int64 // raw offset of the first byte that cannot be decoded, -1 when none
	why    string
}

const scanChunk = 1 << 20

// scanText is the first pass.
func scanText(ctx context.Context, fh *os.File, size int64) (textScan, error) {
	head := make([]byte, min(size, 4096))
	if _, err := fh.ReadAt(head, 0); err != nil && err != io.EOF {
		return textScan{}, err
	}
	ts := textScan{bad: -1}
	var u16 *utf16Check
	switch {
	case bytes.HasPrefix(head, bomUTF8):
		ts.enc, ts.bomLen = EncUTF8BOM, 3
	case bytes.HasPrefix(head, bomUTF16LE):
		ts.enc, ts.bomLen, u16 = EncUTF16LE, 2, &utf16Check{}
	case bytes.HasPrefix(head, bomUTF16BE):
		ts.enc, ts.bomLen, u16 = EncUTF16BE, 2, &utf16Check{be: true}
	default:
		if le, ok := sniffUTF16(head); ok {
			ts.enc, u16 = EncUTF16BE, &utf16Check{be: true}
			if le {
				ts.enc, u16 = EncUTF16LE, &utf16Check{}
			}
		}
	}
	if u16 != nil {
		u16.pos, u16.bad, u16.nul = ts.bomLen, -1, -1
	}
	u8 := &utf8Stats{pos: ts.bomLen, spos: ts.bomLen, bad: -1}
	gb := &gbCheck{pos: ts.bomLen, bad: -1}
	nul := int64(-1)

	// Pass 1a: UTF-16 checks, or UTF-8 validity (fast: utf8.Valid) and the first NUL. A file
	// that is not UTF-8 (a GBK file fails at its first Chinese character) stops here early...
	err := scanChunks(ctx, fh, ts.bomLen, size, func(b []byte, base int64, final bool) (int64, bool) {
		if u16 != nil {
			u16.feed(b, base, final)
			return u16.pos, u16.bad < 0
		}
		u8.feed(b, base, final)
		if nul < 0 {
			if i := bytes.IndexByte(b[:int(u8.pos-base)], 0); i >= 0 {
				nul = base + int64(i)
			}
		}
		return u8.pos, u8.bad < 0
	})
	if err != nil {
		return textScan{}, err
	}
	// ...and pass 1b, only for it, counts sequences for the mixed-encoding test and checks
	// GB18030, over the whole file.
	if u16 == nil && u8.bad >= 0 && ts.enc != EncUTF8BOM {
		nul = -1
		scanned := ts.bomLen // NUL has been looked for up to here
		err := scanChunks(ctx, fh, ts.bomLen, size, func(b []byte, base int64, final bool) (int64, bool) {
			if nul < 0 {
				if i := bytes.IndexByte(b[int(scanned-base):], 0); i >= 0 {
					nul = scanned + int64(i)
				}
			}
			scanned = base + int64(len(b))
			gb.feed(b, base, final)
			keep := gb.pos
			if !u8.decided {
				u8.count(b, base, final)
				keep = min(keep, u8.spos)
				// Each remaining 3 bytes can add at most one long sequence: once even that
				// cannot reach the ratio, the file is not mixed, whatever follows.
				u8.decided = 5*(u8.long+int((size-u8.spos)/3)) < u8.invalid
			}
			return keep, true
		})
		if err != nil {
			return textScan{}, err
		}
	}

	switch {
	case u16 != nil:
		ts.bad, ts.why = u16.bad, u16.why
		if ts.bad < 0 && u16.nul >= 0 {
			ts.bad, ts.why = u16.nul, nulWhy
		}
		return ts, nil
	case ts.enc == EncUTF8BOM:
		if u8.bad >= 0 {
			ts.bad, ts.why = u8.bad, fmt.Sprintf("字节 0x%02X 不是有效的 UTF-8，但文件以 UTF-8 BOM 开头", u8.badByte)
		}
	case u8.bad < 0:
		ts.enc = EncUTF8
	case u8.mixed():
		ts.enc, ts.bad = EncUTF8, u8.bad
		ts.why = fmt.Sprintf("字节 0x%02X 不是有效的 UTF-8，而文件的其余部分是 UTF-8：文件混用了编码（从 GBK 文件粘贴来的文字？）；请修改或重新输入这个单元格", u8.badByte)
	default:
		ts.enc, ts.bad = EncGB18030, gb.bad
		if gb.bad >= 0 {
			ts.why = describeGB(gb.badSeq)
		}
	}
	if ts.bad < 0 && nul >= 0 {
		ts.bad, ts.why = nul, nulWhy
	}
	return ts, nil
}

// scanChunks reads [from, size) in chunks and calls feed with a window of raw bytes starting at
// base; feed returns the first offset it still needs (the window keeps bytes from there: a
// sequence cut by the chunk's end) and whether to go on.
func scanChunks(ctx context.Context, fh *os.File, from, size int64, feed func(b []byte, base int64, final bool) (int64, bool)) error {
	buf := make([]byte, 0, scanChunk+8)
	base := from
	r := io.NewSectionReader(fh, from, size-from)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		final := err == io.EOF || err == io.ErrUnexpectedEOF
		if err != nil && !final {
			return err
		}
		keep, more := feed(buf, base, final)
		if final || !more {
			return nil
		}
		if keep == base && len(buf) == cap(buf) {
			return errors.New("sheet: text scan made no progress") // a bug, not bad input
		}
		buf = buf[:copy(buf, buf[int(keep-base):])]
		base = keep
	}
}

const nulWhy = "有 NUL 字节：这是二进制数据，不是文本文件"

// utf8Stats validates UTF-8 and, for rule 4, counts sequences structurally.
type utf8Stats struct {
	pos     int64 // next byte to validate
	bad     int64
	badByte byte
	// mostlyUTF8 counts: UTF-8 sequences of three and four bytes (Chinese text in UTF-8) against
	// invalid bytes. In GBK text such sequences arise by chance at about 0.5% of the invalid
	// bytes (2.5% for traditional-heavy text), while UTF-8 with a damaged cell has far more of
	// them than invalid bytes. The file is called mixed at 20%.
	spos          int64
	long, invalid int
	decided       bool // the counts can no longer make the file mixed
}

func (u *utf8Stats) mixed() bool { return u.long >= 4 && 5*u.long >= u.invalid }

// completeEnd returns the end of the last complete UTF-8 sequence in b (len(b) unless b ends
// in the middle of one).
func completeEnd(b []byte) int {
	for k := 1; k <= utf8.UTFMax-1 && k <= len(b); k++ {
		c := b[len(b)-k]
		if c < utf8.RuneSelf {
			return len(b)
		}
		if c >= 0xC0 {
			if utf8.FullRune(b[len(b)-k:]) {
				return len(b)
			}
			return len(b) - k
		}
	}
	return len(b)
}

func (u *utf8Stats) feed(b []byte, base int64, final bool) {
	if u.bad >= 0 {
		return
	}
	i := int(u.pos - base)
	end := len(b)
	if !final {
		end = completeEnd(b)
	}
	if end > i && utf8.Valid(b[i:end]) {
		i = end
	} else {
		for i < end {
			if b[i] < utf8.RuneSelf {
				i++
				continue
			}
			r, size := utf8.DecodeRune(b[i:end])
			if r == utf8.RuneError && size <= 1 {
				u.bad, u.badByte = base+int64(i), b[i]
				break
			}
			i += size
		}
	}
	u.pos = base + int64(i)
}

// count is the structural count of mostlyUTF8, run over the whole file.
func (u *utf8Stats) count(b []byte, base int64, final bool) {
	cont := func(c byte) bool { return c&0xC0 == 0x80 }
	n := len(b)
	stop := n
	if !final {
		stop = n - 3 // every lookahead below stays inside b
	}
	i := int(u.spos - base)
	for i < stop {
		c := b[i]
		if c < utf8.RuneSelf {
			i++
			for i+8 <= stop && binary.LittleEndian.Uint64(b[i:])&0x8080808080808080 == 0 {
				i += 8
			}
			continue
		}
		switch {
		case c >= 0xE0 && c <= 0xEF && i+2 < n && cont(b[i+1]) && cont(b[i+2]):
			u.long++
			i += 3
		case c >= 0xF0 && c <= 0xF4 && i+3 < n && cont(b[i+1]) && cont(b[i+2]) && cont(b[i+3]):
			u.long++
			i += 4
		case c >= 0xC2 && c <= 0xDF && i+1 < n && cont(b[i+1]):
			i += 2
		default:
			u.invalid++
			i++
		}
	}
	u.spos = base + int64(max(i, int(u.spos-base)))
}

// gbCheck validates GB18030: sequences of one byte (ASCII, and 0x80 = € as in code page 936),
// two bytes (lead 81–FE, trail 40–7E or 80–FE, mapped in x/text's table) or four bytes (81–FE,
// 30–39, 81–FE, 30–39, in the two ranges GB18030 assigns).
type gbCheck struct {
	pos    int64
	bad    int64
	badSeq []byte
}

func (g *gbCheck) feed(b []byte, base int64, final bool) {
	if g.bad >= 0 {
		g.pos = base + int64(len(b))
		return
	}
	two := gbTwoByte()
	n := len(b)
	stop := n
	if !final {
		stop = n - 3
	}
	i := int(g.pos - base)
	for i < stop {
		c0 := b[i]
		if c0 <= 0x80 {
			i++
			for i+8 <= stop && binary.LittleEndian.Uint64(b[i:])&0x8080808080808080 == 0 {
				i += 8
			}
			continue
		}
		size, ok := 0, false
		if c0 != 0xFF && i+1 < n {
			switch c1 := b[i+1]; {
			case 0x40 <= c1 && c1 <= 0x7E, 0x80 <= c1 && c1 <= 0xFE:
				size, ok = 2, two[int(c0-0x81)*191+int(c1-0x40)]
			case 0x30 <= c1 && c1 <= 0x39:
				if i+3 < n && b[i+2] >= 0x81 && b[i+2] <= 0xFE && b[i+3] >= 0x30 && b[i+3] <= 0x39 {
					size = 4
					lin := (((int(c0)-0x81)*10+int(c1)-0x30)*126+int(b[i+2])-0x81)*10 + int(b[i+3]) - 0x30
					ok = lin < 39420 || lin >= 189000 && lin < 1237576
				}
			}
		}
		if !ok {
			g.bad = base + int64(i)
			if size == 0 {
				size = min(2, n-i)
			}
			g.badSeq = append([]byte(nil), b[i:i+size]...)
			g.pos = base + int64(n)
			return
		}
		i += size
	}
	g.pos = base + int64(i)
}

// gbTwoByte says, for every structurally valid two-byte GB18030 sequence, whether x/text's
// decoder maps it (its table leaves the user-defined areas, 2067 codes, unmapped). It is read
// from the decoder itself, once, so the check can never disagree with the decoding.
var gbTwoByte = sync.OnceValue(func() []bool {
	var src []byte
	for c0 := 0x81; c0 <= 0xFE; c0++ {
		for c1 := 0x40; c1 <= 0xFE; c1++ {
			src = append(src, byte(c0), byte(c1), '\n')
		}
	}
	out, _ := simplifiedchinese.GB18030.NewDecoder().Bytes(src)
	lines := bytes.Split(out, []byte{'\n'})
	ok := make([]bool, 126*191)
	for i := range ok {
		c1 := i%191 + 0x40
		ok[i] = c1 != 0x7F && i < len(lines) && utf8.RuneCount(lines[i]) == 1 && !bytes.Equal(lines[i], []byte("\uFFFD"))
	}
	return ok
})

// describeGB words an undecodable GB18030 sequence.
func describeGB(seq []byte) string {
	var hex []string
	for _, c := range seq {
		if c == '\r' || c == '\n' {
			break
		}
		hex = append(hex, fmt.Sprintf("0x%02X", c))
	}
	return fmt.Sprintf("字节 %s 既不是 UTF-8 也不是 GBK/GB18030 编码；请在 Excel 中把文件另存为“CSV UTF-8”或 .xlsx 工作簿",
		strings.Join(hex, " "))
}

// utf16Check validates UTF-16: surrogates must pair and the length must be even.
type utf16Check struct {
	be  bool
	pos int64
	bad int64
	why string
	nul int64 // first U+0000
}

func (u *utf16Check) feed(b []byte, base int64, final bool) {
	if u.bad >= 0 {
		u.pos = base + int64(len(b))
		return
	}
	unit := func(i int) uint16 {
		if u.be {
			return uint16(b[i])<<8 | uint16(b[i+1])
		}
		return uint16(b[i]) | uint16(b[i+1])<<8
	}
	i := int(u.pos - base)
	for i+1 < len(b) {
		v := unit(i)
		switch {
		case v == 0:
			if u.nul < 0 {
				u.nul = base + int64(i)
			}
			i += 2
		case v < 0xD800 || v >= 0xE000:
			i += 2
		case v < 0xDC00 && i+3 < len(b):
			if w := unit(i + 2); w >= 0xDC00 && w < 0xE000 {
				i += 4
				continue
			}
			u.bad, u.why = base+int64(i), fmt.Sprintf("UTF-16 代理项 0x%04X 不成对：文本已损坏", v)
		case v < 0xDC00 && !final:
			u.pos = base + int64(i)
			return
		default:
			u.bad, u.why = base+int64(i), fmt.Sprintf("UTF-16 代理项 0x%04X 不成对：文本已损坏", v)
		}
		if u.bad >= 0 {
			u.pos = base + int64(len(b))
			return
		}
	}
	if final && i < len(b) {
		u.bad, u.why = base+int64(i), "UTF-16 文本的字节数是奇数：文件不完整"
	}
	u.pos = base + int64(i)
}

// sniffUTF16 recognises UTF-16 without a BOM by where its NUL bytes fall: ASCII characters
// (digits, delimiters, line breaks) have a zero high byte, which sits at odd offsets in
// little-endian text and even ones in big-endian. Text in any 8-bit encoding has no NULs.
func sniffUTF16(data []byte) (le, ok bool) {
	n := min(len(data), 4096) &^ 1
	var even, odd int
	for i := 0; i < n; i += 2 {
		if data[i] == 0 {
			even++
		}
		if data[i+1] == 0 {
			odd++
		}
	}
	// Excel's UTF-16 text has a TAB or line break every few characters and digits in most
	// rows, so at least one unit in ten has a zero high byte; a stray NUL in 8-bit text does
	// not pass for UTF-16 (it is reported as binary data instead).
	units := n / 2
	switch {
	case odd*10 >= units && odd > 0 && even*4 <= odd:
		return true, true
	case even*10 >= units && even > 0 && odd*4 <= even:
		return false, true
	}
	return false, false
}

// decodeError is where the decoded stream stops when the first pass found an undecodable byte:
// the parser reading the stream meets it at exactly that byte's row and column.
type decodeError struct{ why string }

func (e *decodeError) Error() string { return e.why }

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// reader returns the file's text as UTF-8, streaming, up to the first undecodable byte (then a
// *decodeError).
func (ts textScan) reader(ctx context.Context, fh *os.File, size int64) io.Reader {
	end := size
	if ts.bad >= 0 {
		end = ts.bad
	}
	var r io.Reader = ctxReader{ctx: ctx, r: io.NewSectionReader(fh, ts.bomLen, end-ts.bomLen)}
	switch ts.enc {
	case EncGB18030:
		r = &bomStripper{r: transform.NewReader(r, simplifiedchinese.GB18030.NewDecoder())}
	case EncUTF16LE:
		r = &bomStripper{r: transform.NewReader(r, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder())}
	case EncUTF16BE:
		r = &bomStripper{r: transform.NewReader(r, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewDecoder())}
	}
	if ts.bad >= 0 {
		r = io.MultiReader(r, errReader{&decodeError{why: ts.why}})
	}
	return r
}

// bomStripper drops one U+FEFF at the start of decoded text: GB18030's own BOM (84 31 95 33),
// or a BOM left after UTF-16 detection.
type bomStripper struct {
	r    io.Reader
	done bool
	pend []byte
	err  error
}

func (s *bomStripper) Read(p []byte) (int, error) {
	if !s.done {
		s.done = true
		head := make([]byte, 3)
		n, err := io.ReadFull(s.r, head)
		if !(n == 3 && bytes.Equal(head, bomUTF8)) {
			s.pend = head[:n]
		}
		if err != nil && err != io.ErrUnexpectedEOF {
			s.err = err
		} else if err == io.ErrUnexpectedEOF {
			s.err = io.EOF
		}
	}
	if len(s.pend) > 0 {
		n := copy(p, s.pend)
		s.pend = s.pend[n:]
		return n, nil
	}
	if s.err != nil {
		return 0, s.err
	}
	return s.r.Read(p)
}
