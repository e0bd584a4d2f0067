package sheet

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// decoded is a text file converted to UTF-8.
type decoded struct {
	text []byte
	enc  string
	// bad is the offset in text of the first place the input could not be decoded (-1 when
	// all of it could), and why is what was found there. The offset is in the decoded text so
	// that the CSV parser can turn it into a row and column.
	bad int
	why string
}

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
	// The one GB18030 sequence that legitimately decodes to U+FFFD; any other U+FFFD in the
	// decoder's output is its substitute for an invalid sequence.
	gbReplacement = []byte{0x84, 0x31, 0xA4, 0x37}
	replacement   = []byte("\uFFFD")
)

// decodeText detects the encoding of a delimited-text file and converts it to UTF-8, in this
// order, because each test is certain before the next is a guess:
//
//  1. a BOM (UTF-8, UTF-16LE, UTF-16BE) is taken at its word;
//  2. NUL bytes in the even or odd positions only mean BOM-less UTF-16;
//  3. bytes that are valid UTF-8 are UTF-8 — never GBK, because UTF-8 Chinese text fed to a
//     GB18030 decoder turns into plausible-looking mojibake without any error;
//  4. bytes that are mostly UTF-8 with a few invalid ones are a damaged or mixed UTF-8 file,
//     reported where they break (see mostlyUTF8);
//  5. anything else is GB18030 (a superset of GBK, which Excel's plain "CSV" uses on Chinese
//     Windows), checked strictly, since the x/text decoder silently substitutes U+FFFD.
//
// The input is decoded once; data is not retained unless it is already UTF-8.
func decodeText(data []byte) decoded {
	switch {
	case bytes.HasPrefix(data, bomUTF8):
		d := decoded{text: data[len(bomUTF8):], enc: EncUTF8BOM, bad: -1}
		if !utf8.Valid(d.text) {
			d.bad = firstInvalidUTF8(d.text)
			d.why = fmt.Sprintf("byte 0x%02X is not valid UTF-8 although the file starts with a UTF-8 BOM", d.text[d.bad])
		}
		return d
	case bytes.HasPrefix(data, bomUTF16LE):
		return decodeUTF16(data[2:], false, EncUTF16LE)
	case bytes.HasPrefix(data, bomUTF16BE):
		return decodeUTF16(data[2:], true, EncUTF16BE)
	}
	if le, ok := sniffUTF16(data); ok {
		if le {
			return decodeUTF16(data, false, EncUTF16LE)
		}
		return decodeUTF16(data, true, EncUTF16BE)
	}
	if utf8.Valid(data) {
		return decoded{text: data, enc: EncUTF8, bad: -1}
	}
	if bad, mixed := mostlyUTF8(data); mixed {
		return decoded{text: data, enc: EncUTF8, bad: bad, why: fmt.Sprintf(
			"byte 0x%02X is not valid UTF-8, but most of the file is UTF-8: the file mixes encodings (text pasted from a GBK file?); fix or retype this cell",
			data[bad])}
	}
	return decodeGB18030(data)
}

// mostlyUTF8 catches a UTF-8 file with a few foreign bytes (a GBK cell pasted into a UTF-8
// file, a truncated character), which GB18030 would otherwise "decode" without complaint,
// turning every correct Chinese character of the file into mojibake. It counts UTF-8 sequences
// of three and four bytes (Chinese text in UTF-8) against invalid bytes: in GBK text such
// sequences arise by chance at about 0.5% of the invalid bytes (2.5% for traditional-heavy
// text), while UTF-8 with a damaged cell has far more of them than invalid bytes. The file is
// called mixed at 20%. It returns the offset of the first invalid byte and whether it is.
func mostlyUTF8(data []byte) (firstBad int, mixed bool) {
	// A hand-rolled structural count rather than utf8.DecodeRune per byte: this pass runs over
	// every GBK file, and an approximate count is enough for a ratio; the exact position is
	// found afterwards only in the rare mixed case.
	cont := func(c byte) bool { return c&0xC0 == 0x80 }
	var long, invalid int
	n := len(data)
	for i := 0; i < n; {
		c := data[i]
		switch {
		case c < utf8.RuneSelf:
			i++
		case c >= 0xE0 && c <= 0xEF && i+2 < n && cont(data[i+1]) && cont(data[i+2]):
			long++
			i += 3
		case c >= 0xF0 && c <= 0xF4 && i+3 < n && cont(data[i+1]) && cont(data[i+2]) && cont(data[i+3]):
			long++
			i += 4
		case c >= 0xC2 && c <= 0xDF && i+1 < n && cont(data[i+1]):
			i += 2
		default:
			invalid++
			i++
		}
	}
	if long >= 4 && 5*long >= invalid {
		return firstInvalidUTF8(data), true
	}
	return -1, false
}

// firstInvalidUTF8 returns the offset of the first byte that does not start a valid UTF-8
// sequence.
func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return -1
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

// decodeUTF16 converts UTF-16 to UTF-8 by hand rather than through x/text, because the error
// must say where the text is broken (an unpaired surrogate, an odd trailing byte) instead of
// silently becoming U+FFFD.
func decodeUTF16(b []byte, bigEndian bool, enc string) decoded {
	d := decoded{text: make([]byte, 0, len(b)+len(b)/2), enc: enc, bad: -1}
	n := len(b) / 2
	unit := func(i int) uint16 {
		if bigEndian {
			return uint16(b[2*i])<<8 | uint16(b[2*i+1])
		}
		return uint16(b[2*i]) | uint16(b[2*i+1])<<8
	}
	out := d.text
	for i := 0; i < n; i++ {
		u := unit(i)
		switch {
		case u < utf8.RuneSelf:
			out = append(out, byte(u))
		case u < 0xD800 || u >= 0xE000:
			out = utf8.AppendRune(out, rune(u))
		case u < 0xDC00 && i+1 < n && unit(i+1) >= 0xDC00 && unit(i+1) < 0xE000:
			out = utf8.AppendRune(out, utf16.DecodeRune(rune(u), rune(unit(i+1))))
			i++
		default:
			if d.bad < 0 {
				d.bad = len(out)
				d.why = fmt.Sprintf("unpaired UTF-16 surrogate 0x%04X: the text is damaged", u)
			}
			out = utf8.AppendRune(out, utf8.RuneError)
		}
	}
	if len(b)%2 == 1 && d.bad < 0 {
		d.bad = len(out)
		d.why = "odd number of bytes in UTF-16 text: the file is truncated"
	}
	d.text = bytes.TrimPrefix(out, replacementBOM)
	if d.bad >= 0 && len(d.text) < len(out) {
		d.bad -= len(out) - len(d.text)
	}
	return d
}

var replacementBOM = []byte("\uFEFF")

// decodeGB18030 decodes the whole file in one pass, then checks the output for U+FFFD: x/text
// substitutes it for invalid input instead of failing. Only if some appears (rare: a real file
// almost never contains U+FFFD) does it re-examine the lines concerned sequence by sequence to
// tell the one legitimate encoding of U+FFFD from invalid bytes and find where they are.
func decodeGB18030(data []byte) decoded {
	out, err := transformAll(simplifiedchinese.GB18030.NewDecoder(), data)
	if err != nil { // not expected: the decoder substitutes rather than fails
		return decoded{text: data, enc: EncGB18030, bad: 0, why: "cannot decode as GB18030: " + err.Error()}
	}
	d := decoded{text: out, enc: EncGB18030, bad: -1}
	if bytes.Contains(out, replacement) {
		d.bad, d.why = checkGB18030(data, out)
	}
	d.text = bytes.TrimPrefix(d.text, replacementBOM) // GB18030's own BOM, 84 31 95 33
	if d.bad > 0 && len(d.text) < len(out) {
		d.bad -= len(out) - len(d.text)
	}
	return d
}

// transformAll runs t over all of src into one buffer sized for the usual expansion (a 2-byte
// GBK character becomes 3 bytes of UTF-8), instead of transform.Bytes's repeated doubling,
// which for a 30 MB registry allocates several times the output size.
func transformAll(t transform.Transformer, src []byte) ([]byte, error) {
	out := make([]byte, 0, len(src)+len(src)/2+64)
	for {
		nDst, nSrc, err := t.Transform(out[len(out):cap(out)], src, true)
		out = out[:len(out)+nDst]
		src = src[nSrc:]
		if err == nil {
			return out, nil
		}
		if !errors.Is(err, transform.ErrShortDst) {
			return out, err
		}
		// Only 0x80 (€) and invalid bytes expand threefold.
		out = slices.Grow(out, 3*len(src)+64)
	}
}

// checkGB18030 finds the first invalid sequence in data given its decoded form out. Lines are
// decoded independently: 0x0A is never part of a multi-byte GB18030 sequence, so the n-th line
// of data decodes to the n-th line of out.
func checkGB18030(data, out []byte) (bad int, why string) {
	dec := simplifiedchinese.GB18030.NewDecoder()
	outOff := 0
	for len(data) > 0 {
		inEnd := bytes.IndexByte(data, '\n') + 1
		if inEnd == 0 {
			inEnd = len(data)
		}
		outEnd := bytes.IndexByte(out[outOff:], '\n') + 1
		if outEnd == 0 {
			outEnd = len(out) - outOff
		}
		if bytes.Contains(out[outOff:outOff+outEnd], replacement) {
			if i, size := firstInvalidGB18030(data[:inEnd]); i >= 0 {
				prefix, _ := dec.Bytes(data[:i]) // valid, so decodes as it did in out
				return outOff + len(prefix), describeGB(data[i : i+size])
			}
		}
		data = data[inEnd:]
		outOff += outEnd
	}
	return -1, ""
}

// firstInvalidGB18030 returns the offset and length of the first invalid sequence in line, or
// -1. Sequences are delimited by GB18030's structure (1, 2 or 4 bytes) and each is decoded on
// its own, so the exact mapping tables of x/text decide validity.
func firstInvalidGB18030(line []byte) (int, int) {
	dec := simplifiedchinese.GB18030.NewDecoder()
	for i := 0; i < len(line); {
		c0 := line[i]
		if c0 <= 0x80 { // ASCII, or 0x80 = € in code page 936
			i++
			continue
		}
		size := 0
		if c0 != 0xFF && i+1 < len(line) {
			switch c1 := line[i+1]; {
			case 0x40 <= c1 && c1 <= 0x7E, 0x80 <= c1 && c1 <= 0xFE:
				size = 2
			case 0x30 <= c1 && c1 <= 0x39:
				if i+3 < len(line) && line[i+2] >= 0x81 && line[i+2] <= 0xFE && line[i+3] >= 0x30 && line[i+3] <= 0x39 {
					size = 4
				}
			}
		}
		if size == 0 {
			return i, min(2, len(line)-i)
		}
		seq := line[i : i+size]
		if r, _ := dec.Bytes(seq); bytes.Contains(r, replacement) && !bytes.Equal(seq, gbReplacement) {
			return i, size
		}
		i += size
	}
	return -1, 0
}

func describeGB(seq []byte) string {
	var hex []string
	for _, c := range seq {
		if c == '\r' || c == '\n' {
			break
		}
		hex = append(hex, fmt.Sprintf("0x%02X", c))
	}
	return fmt.Sprintf("bytes %s are neither UTF-8 nor GBK/GB18030; save the file from Excel as \"CSV UTF-8\" or as an .xlsx workbook",
		strings.Join(hex, " "))
}
