package sheet

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// xmlScanner is a streaming XML tokenizer for the big parts of an xlsx package (the worksheet
// and the shared-string table). It exists because encoding/xml, which excelize reads sheets
// with, costs most of the time of an import (an interface value and several allocations per
// token) and because its failures were swallowed: a document that stops being well-formed in
// the middle simply ended the sheet. This scanner works on bytes in one reused buffer and
// reports every departure from well-formed XML as an error:
//
//   - characters that are not valid UTF-8, or not XML characters (a raw ESC, a NUL);
//   - entities other than the five predefined ones and numeric references to XML characters;
//   - tags that do not nest, attributes without quoted values, "]]>" in text, text or a second
//     element after the root, a document that ends early;
//   - a DOCTYPE (Excel never writes one, and entity definitions are how XML bombs are made)
//     and any encoding other than UTF-8.
//
// It is at least as strict as encoding/xml in strict mode everywhere the sheet reader looks,
// so a document excelize would have read differently is refused rather than read otherwise.
// Names are ASCII only (Excel's are), and a tag must fit in maxTag bytes.
//
// Memory is bounded whatever the input holds: text is handed out in pieces or checked and
// dropped, never gathered beyond the caller's capture limit; comments and processing
// instructions are skipped in place; nesting is capped at maxDepth.
type xmlScanner struct {
	r    io.Reader
	buf  []byte
	pos  int
	end  int
	eof  bool
	read int64 // bytes consumed from r, for the position in messages

	// The current start or end tag. name and the attribute slices point into buf or abuf and
	// are valid until the next call of next.
	name        []byte
	attrs       []xmlAttr
	selfClosing bool
	abuf        []byte // decoded attribute values that had entities or CRs (cap maxTag: never reallocated)

	tend int // within a tag: the end of the bytes the tag may occupy (pos+maxTag at most)

	stackBuf []byte // names of the open elements, concatenated
	stackOff []int
	rootSeen bool
	started  bool // something other than the XML declaration has been read

	// capture, when not nil, receives the character data read; capLimit bounds its length
	// (errCaptureFull beyond).
	capture  *[]byte
	capLimit int
}

// xmlAttr is one attribute of the current tag.
type xmlAttr struct{ name, value []byte }

type tokKind uint8

const (
	tokEOF tokKind = iota
	tokStart
	tokEnd
)

const (
	xmlBufSize = 256 << 10
	maxTag     = 64 << 10 // a start tag, with its attributes, or a processing instruction
	maxDepth   = 64
)

// xmlError is a well-formedness error; the caller adds the file, sheet and row.
type xmlError struct{ msg string }

func (e *xmlError) Error() string { return e.msg }

// errCaptureFull: the text being captured grew past capLimit.
var errCaptureFull = errors.New("sheet: captured text too long")

func newXMLScanner(r io.Reader) *xmlScanner {
	return &xmlScanner{r: r, buf: make([]byte, xmlBufSize), abuf: make([]byte, 0, maxTag)}
}

func (s *xmlScanner) syntax(format string, args ...any) error {
	return &xmlError{msg: fmt.Sprintf(format, args...)}
}

// fill moves the unread bytes to the front of the buffer and reads more. It returns the reader's
// error (a zip checksum, a size bound, a cancelled context) as soon as it happens: those are
// errors, never the end of the document.
func (s *xmlScanner) fill() error {
	if s.eof {
		return nil
	}
	if s.pos > 0 {
		n := copy(s.buf, s.buf[s.pos:s.end])
		s.read += int64(s.pos)
		s.pos, s.end = 0, n
	}
	for s.end < len(s.buf) {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err == io.EOF {
			s.eof = true
			return nil
		}
		if err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
	}
	return nil
}

// ensure makes at least n bytes available after pos, unless the input ends first.
func (s *xmlScanner) ensure(n int) error {
	for s.end-s.pos < n && !s.eof {
		if err := s.fill(); err != nil {
			return err
		}
	}
	return nil
}

func (s *xmlScanner) depth() int { return len(s.stackOff) }

func (s *xmlScanner) push(name []byte) error {
	if len(s.stackOff) >= maxDepth {
		return s.syntax("元素嵌套超过 %d 层", maxDepth)
	}
	s.stackOff = append(s.stackOff, len(s.stackBuf))
	s.stackBuf = append(s.stackBuf, name...)
	return nil
}

func (s *xmlScanner) top() []byte {
	return s.stackBuf[s.stackOff[len(s.stackOff)-1]:]
}

func (s *xmlScanner) pop() {
	n := len(s.stackOff) - 1
	s.stackBuf = s.stackBuf[:s.stackOff[n]]
	s.stackOff = s.stackOff[:n]
}

// next reads up to the next start or end tag, handling the text, comments, CDATA sections and
// processing instructions before it. A self-closing tag is one tokStart with selfClosing set
// (no tokEnd follows). tokEOF is returned only after the root element has closed and the input
// has ended.
func (s *xmlScanner) next() (tokKind, error) {
	for {
		if s.pos >= s.end {
			if err := s.fill(); err != nil {
				return tokEOF, err
			}
			if s.pos >= s.end {
				switch {
				case s.depth() > 0:
					return tokEOF, s.syntax("XML 文档不完整：在元素 <%s> 结束之前到了文件末尾", s.top())
				case !s.rootSeen:
					return tokEOF, s.syntax("XML 文档不完整：没有根元素")
				}
				return tokEOF, nil
			}
		}
		if !s.started && s.read == 0 && s.pos == 0 {
			// A UTF-8 byte-order mark, which some writers put before the declaration.
			if err := s.ensure(3); err != nil {
				return tokEOF, err
			}
			if bytes.HasPrefix(s.buf[s.pos:s.end], []byte{0xEF, 0xBB, 0xBF}) {
				s.pos += 3
				continue
			}
		}
		if s.buf[s.pos] != '<' {
			if err := s.text(); err != nil {
				return tokEOF, err
			}
			s.started = true
			continue
		}
		if s.end-s.pos < maxTag && !s.eof {
			if err := s.ensure(maxTag); err != nil {
				return tokEOF, err
			}
		}
		if s.end-s.pos < 2 {
			return tokEOF, s.syntax("XML 文档不完整：文件在“<”之后结束")
		}
		switch s.buf[s.pos+1] {
		case '/':
			return tokEnd, s.endTag()
		case '?':
			if err := s.procInst(); err != nil {
				return tokEOF, err
			}
			continue
		case '!':
			if err := s.bang(); err != nil {
				return tokEOF, err
			}
			s.started = true
			continue
		}
		s.started = true
		return tokStart, s.startTag()
	}
}

// tagEnd reports the error for a tag that runs past the bytes it may occupy.
func (s *xmlScanner) tagEnd() error {
	if s.eof && s.tend == s.end {
		return s.syntax("XML 文档不完整：文件在标签中间结束")
	}
	return s.syntax("标签超过 %d 字节", maxTag)
}

func isNameStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':'
}

// nameByte and textPlain are byte classes for the hot loops: the bytes of an ASCII XML name,
// and the ASCII bytes that may stand in text as they are (not markup, not an entity, not a
// line end to normalise, not a control character, not the ']' that may begin "]]>").
var nameByte, textPlain = func() (n, t [256]bool) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		n[c] = isNameStart(b) || b >= '0' && b <= '9' || b == '-' || b == '.'
		t[c] = b < utf8.RuneSelf && (b >= 0x20 || b == '\t' || b == '\n') && b != '<' && b != '&' && b != ']' && b != '\r'
	}
	return
}()

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// readName reads an XML name at i (within the current tag) and returns its end.
func (s *xmlScanner) readName(i int) (int, error) {
	if i >= s.tend {
		return i, s.tagEnd()
	}
	if !isNameStart(s.buf[i]) {
		if s.buf[i] >= utf8.RuneSelf {
			return i, s.syntax("不支持非 ASCII 的 XML 名称")
		}
		return i, s.syntax("无效的 XML 名称（以 %q 开头）", s.buf[i])
	}
	start, colons := i, 0
	buf := s.buf[:s.tend]
	for i < len(buf) {
		c := buf[i]
		if !nameByte[c] {
			break
		}
		if c == ':' {
			colons++
		}
		i++
	}
	if i < len(buf) && buf[i] >= utf8.RuneSelf {
		return i, s.syntax("不支持非 ASCII 的 XML 名称")
	}
	if colons > 1 {
		return i, s.syntax("无效的 XML 名称 %q", buf[start:i])
	}
	return i, nil
}

// validName reports whether b is an ASCII XML name with at most one colon.
func validName(b []byte) bool {
	if len(b) == 0 || !isNameStart(b[0]) || bytes.Count(b, []byte{':'}) > 1 {
		return false
	}
	for _, c := range b {
		if !nameByte[c] {
			return false
		}
	}
	return true
}

// localName is name without its namespace prefix, as encoding/xml (and so excelize) matches
// names: "x:row" is a row.
func localName(name []byte) []byte {
	for i, c := range name {
		if c == ':' {
			if i > 0 && i < len(name)-1 {
				return name[i+1:]
			}
			break
		}
	}
	return name
}

func (s *xmlScanner) startTag() error {
	if s.rootSeen && s.depth() == 0 {
		return s.syntax("XML 文档在根元素之后还有元素")
	}
	s.tend = min(s.end, s.pos+maxTag)
	i, err := s.readName(s.pos + 1)
	if err != nil {
		return err
	}
	s.name = s.buf[s.pos+1 : i]
	s.attrs = s.attrs[:0]
	s.abuf = s.abuf[:0]
	s.selfClosing = false
	for {
		sp := i
		for i < s.tend && isSpace(s.buf[i]) {
			i++
		}
		if i >= s.tend {
			return s.tagEnd()
		}
		switch c := s.buf[i]; {
		case c == '>':
			i++
		case c == '/':
			if i+1 >= s.tend {
				return s.tagEnd()
			}
			if s.buf[i+1] != '>' {
				return s.syntax("标签 <%s> 中“/”后面应是“>”", s.name)
			}
			s.selfClosing = true
			i += 2
		default:
			if i == sp {
				return s.syntax("标签 <%s> 的属性之间缺少空格", s.name)
			}
			var a xmlAttr
			if i, err = s.attr(i, &a); err != nil {
				return err
			}
			s.attrs = append(s.attrs, a)
			continue
		}
		break
	}
	s.pos = i
	if !s.selfClosing {
		if err := s.push(s.name); err != nil {
			return err
		}
	} else if s.depth() == 0 {
		s.rootSeen = true
	}
	if s.depth() > 0 {
		s.rootSeen = true
	}
	return nil
}

// attr reads name="value" at i.
func (s *xmlScanner) attr(i int, a *xmlAttr) (int, error) {
	start := i
	i, err := s.readName(i)
	if err != nil {
		return i, err
	}
	a.name = s.buf[start:i]
	for i < s.tend && isSpace(s.buf[i]) {
		i++
	}
	if i >= s.tend {
		return i, s.tagEnd()
	}
	if s.buf[i] != '=' {
		return i, s.syntax("属性 %s 没有值", a.name)
	}
	i++
	for i < s.tend && isSpace(s.buf[i]) {
		i++
	}
	if i >= s.tend {
		return i, s.tagEnd()
	}
	q := s.buf[i]
	if q != '"' && q != '\'' {
		return i, s.syntax("属性 %s 的值没有加引号", a.name)
	}
	i++
	k, plain := i, true
	for k < s.tend {
		c := s.buf[k]
		if c == q {
			break
		}
		if !textPlain[c] && c != ']' {
			plain = false
		}
		k++
	}
	if k >= s.tend {
		return i, s.tagEnd()
	}
	j := k - i
	raw := s.buf[i:k]
	if plain {
		a.value = raw
		return i + j + 1, nil
	}
	if bytes.IndexByte(raw, '<') >= 0 {
		return i, s.syntax("属性 %s 的值中有未转义的“<”", a.name)
	}
	begin := len(s.abuf)
	for k := 0; k < len(raw); {
		c := raw[k]
		switch {
		case c == '&':
			r, n, err := s.entity(raw[k:])
			if err != nil {
				return i, err
			}
			s.abuf = utf8.AppendRune(s.abuf, r)
			k += n
		case c == '\r':
			s.abuf = append(s.abuf, '\n')
			k++
			if k < len(raw) && raw[k] == '\n' {
				k++
			}
		case c < utf8.RuneSelf:
			if c < 0x20 && c != '\t' && c != '\n' {
				return i, s.syntax("属性中有 XML 不允许的字符 U+%04X", c)
			}
			s.abuf = append(s.abuf, c)
			k++
		default:
			r, size := utf8.DecodeRune(raw[k:])
			if err := s.checkRune(r, size); err != nil {
				return i, err
			}
			s.abuf = append(s.abuf, raw[k:k+size]...)
			k += size
		}
	}
	a.value = s.abuf[begin:]
	return i + j + 1, nil
}

// checkRune rejects what DecodeRune says is not UTF-8 and the non-characters XML excludes.
func (s *xmlScanner) checkRune(r rune, size int) error {
	if r == utf8.RuneError && size <= 1 {
		return s.syntax("无效的 UTF-8 字节")
	}
	if !isXMLChar(r) {
		return s.syntax("有 XML 不允许的字符 U+%04X", r)
	}
	return nil
}

// isXMLChar is the Char production of XML 1.0.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// entity decodes the reference at the start of b ("&amp;", "&#x4E2D;") and returns the rune and
// the reference's length. Only the predefined entities are known: a document cannot define its
// own (DOCTYPE is refused).
func (s *xmlScanner) entity(b []byte) (rune, int, error) {
	end := bytes.IndexByte(b[:min(len(b), 16)], ';')
	if end < 0 {
		show := b[:min(len(b), 12)]
		if k := bytes.IndexAny(show[1:], " \t\r\n<&\"'"); k >= 0 {
			show = show[:k+1]
		}
		return 0, 0, s.syntax("无效的实体 %s（缺少分号）", show)
	}
	ref := b[1:end]
	var r rune
	switch string(ref) {
	case "lt":
		r = '<'
	case "gt":
		r = '>'
	case "amp":
		r = '&'
	case "apos":
		r = '\''
	case "quot":
		r = '"'
	default:
		if len(ref) < 2 || ref[0] != '#' {
			return 0, 0, s.syntax("未定义的实体 &%s;", ref)
		}
		digits, base := ref[1:], 10
		if digits[0] == 'x' {
			digits, base = digits[1:], 16
		}
		if len(digits) == 0 {
			return 0, 0, s.syntax("无效的字符引用 &%s;", ref)
		}
		var v rune
		for _, c := range digits {
			var d rune
			switch {
			case c >= '0' && c <= '9':
				d = rune(c - '0')
			case base == 16 && c >= 'a' && c <= 'f':
				d = rune(c-'a') + 10
			case base == 16 && c >= 'A' && c <= 'F':
				d = rune(c-'A') + 10
			default:
				return 0, 0, s.syntax("无效的字符引用 &%s;", ref)
			}
			v = v*rune(base) + d
			if v > 0x10FFFF {
				return 0, 0, s.syntax("无效的字符引用 &%s;", ref)
			}
		}
		if !isXMLChar(v) {
			return 0, 0, s.syntax("字符引用 &%s; 指向 XML 不允许的字符 U+%04X", ref, v)
		}
		r = v
	}
	return r, end + 1, nil
}

func (s *xmlScanner) endTag() error {
	s.tend = min(s.end, s.pos+maxTag)
	// Fast path: the end tag of the open element, as written by every writer: "</name>".
	if n := len(s.stackOff); n > 0 {
		top := s.top()
		j := s.pos + 2 + len(top)
		if j < s.tend && s.buf[j] == '>' && bytes.Equal(s.buf[s.pos+2:j], top) {
			s.name = s.buf[s.pos+2 : j]
			s.pop()
			s.pos = j + 1
			s.selfClosing = false
			return nil
		}
	}
	i, err := s.readName(s.pos + 2)
	if err != nil {
		return err
	}
	s.name = s.buf[s.pos+2 : i]
	for i < s.tend && isSpace(s.buf[i]) {
		i++
	}
	if i >= s.tend {
		return s.tagEnd()
	}
	if s.buf[i] != '>' {
		return s.syntax("结束标签 </%s> 格式错误", s.name)
	}
	if s.depth() == 0 {
		return s.syntax("多余的结束标签 </%s>", s.name)
	}
	if !bytes.Equal(s.top(), s.name) {
		return s.syntax("元素 <%s> 被 </%s> 结束", s.top(), s.name)
	}
	s.pop()
	s.pos = i + 1
	s.selfClosing = false
	return nil
}

// procInst handles <?...?>. The XML declaration is allowed only at the very start and must
// declare version 1.0 and UTF-8, the only encoding the scanner reads.
func (s *xmlScanner) procInst() error {
	s.tend = min(s.end, s.pos+maxTag)
	window := s.buf[s.pos:s.tend]
	j := bytes.Index(window[2:], []byte("?>"))
	if j < 0 {
		return s.tagEnd()
	}
	j += 2
	body := window[2:j]
	target := body
	if k := bytes.IndexAny(body, " \t\r\n"); k >= 0 {
		target = body[:k]
	}
	if !validName(target) {
		return s.syntax("处理指令的名称 %q 无效", target)
	}
	if bytes.EqualFold(target, []byte("xml")) {
		if s.started || s.read > 0 || s.pos > 3 {
			return s.syntax("XML 声明不在文档开头")
		}
		content := body[len(target):]
		if v, ok := pseudoAttr(content, "version"); ok && v != "1.0" {
			return s.syntax("不支持的 XML 版本 %q", v)
		}
		if e, ok := pseudoAttr(content, "encoding"); ok && !equalFoldAny(e, "utf-8", "utf8") {
			return s.syntax("不支持的 XML 编码 %q（应为 UTF-8）", e)
		}
	}
	s.pos += j + 2
	s.started = true
	return nil
}

func equalFoldAny(s string, opts ...string) bool {
	for _, o := range opts {
		if len(s) == len(o) && bytes.EqualFold([]byte(s), []byte(o)) {
			return true
		}
	}
	return false
}

// pseudoAttr finds name="value" in an XML declaration.
func pseudoAttr(content []byte, name string) (string, bool) {
	i := bytes.Index(content, []byte(name))
	if i < 0 {
		return "", false
	}
	rest := bytes.TrimLeft(content[i+len(name):], " \t\r\n")
	if len(rest) == 0 || rest[0] != '=' {
		return "", false
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	if len(rest) == 0 || (rest[0] != '"' && rest[0] != '\'') {
		return "", false
	}
	q := rest[0]
	end := bytes.IndexByte(rest[1:], q)
	if end < 0 {
		return "", false
	}
	return string(rest[1 : 1+end]), true
}

// bang handles <!-- comments -->, <![CDATA[ sections ]]> and refuses <!DOCTYPE and the like.
func (s *xmlScanner) bang() error {
	w := s.buf[s.pos:s.end]
	switch {
	case bytes.HasPrefix(w, []byte("<!--")):
		s.pos += 4
		return s.comment()
	case bytes.HasPrefix(w, []byte("<![CDATA[")):
		if s.depth() == 0 {
			return s.syntax("根元素之外有 CDATA")
		}
		s.pos += 9
		return s.cdata()
	case bytes.HasPrefix(w, []byte("<!DOCTYPE")):
		return s.syntax("不支持 DOCTYPE 声明（Excel 不写它，它可以定义实体，用于“XML 炸弹”）")
	}
	return s.syntax("无法识别的标记 %q", w[:min(len(w), 9)])
}

// comment skips to "-->", which may lie far ahead: the comment is not held in memory.
func (s *xmlScanner) comment() error {
	for {
		w := s.buf[s.pos:s.end]
		j := bytes.Index(w, []byte("--"))
		if j >= 0 && j+2 < len(w) {
			if w[j+2] != '>' {
				return s.syntax("注释中不允许出现“--”")
			}
			s.pos += j + 3
			return nil
		}
		if s.eof {
			return s.syntax("XML 文档不完整：注释没有结束")
		}
		// Keep what may be the start of "-->".
		switch {
		case j >= 0:
			s.pos += j
		case len(w) > 0:
			s.pos += len(w) - 1
		}
		if err := s.fill(); err != nil {
			return err
		}
	}
}

// cdata reads a CDATA section as text: checked, line ends normalised, captured if wanted.
func (s *xmlScanner) cdata() error {
	cr := false
	for {
		w := s.buf[s.pos:s.end]
		if stop := bytes.Index(w, []byte("]]>")); stop >= 0 {
			n, err := s.textChunk(w[:stop], &cr, true)
			if err != nil {
				return err
			}
			s.pos += n + 3
			return nil
		}
		if s.eof {
			return s.syntax("XML 文档不完整：CDATA 段没有结束")
		}
		// Hold back two bytes that may begin "]]>"; textChunk holds back a cut UTF-8 sequence.
		n, err := s.textChunk(w[:max(0, len(w)-2)], &cr, false)
		if err != nil {
			return err
		}
		s.pos += n
		if err := s.fill(); err != nil {
			return err
		}
	}
}

// textChunk checks chunk as character data (no markup: CDATA content, or text up to '<'),
// normalises \r and \r\n to \n, and appends it to the capture. It returns how many bytes it
// consumed: less than len(chunk) only when a UTF-8 sequence is cut at the end and final is
// false. cr carries "the last byte was \r" across calls.
func (s *xmlScanner) textChunk(chunk []byte, cr *bool, final bool) (int, error) {
	i, flushed := 0, 0
	flush := func(to int) error {
		if s.capture != nil && to > flushed {
			if len(*s.capture)+to-flushed > s.capLimit {
				return errCaptureFull
			}
			*s.capture = append(*s.capture, chunk[flushed:to]...)
		}
		flushed = to
		return nil
	}
	for i < len(chunk) {
		c := chunk[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '\r':
				if err := flush(i); err != nil {
					return i, err
				}
				if s.capture != nil {
					if len(*s.capture)+1 > s.capLimit {
						return i, errCaptureFull
					}
					*s.capture = append(*s.capture, '\n')
				}
				i++
				flushed = i
				*cr = true
				continue
			case c == '\n' && *cr:
				if err := flush(i); err != nil {
					return i, err
				}
				i++
				flushed = i
				*cr = false
				continue
			case c < 0x20 && c != '\t' && c != '\n':
				return i, s.syntax("有 XML 不允许的字符 U+%04X", c)
			}
			*cr = false
			i++
			continue
		}
		*cr = false
		if !final && !utf8.FullRune(chunk[i:]) {
			break
		}
		r, size := utf8.DecodeRune(chunk[i:])
		if err := s.checkRune(r, size); err != nil {
			return i, err
		}
		i += size
	}
	if err := flush(i); err != nil {
		return i, err
	}
	return i, nil
}

// text reads character data up to the next '<', decoding entities. Outside the root element
// only white space is allowed.
func (s *xmlScanner) text() error {
	cr := false
	for {
		if s.pos >= s.end {
			if err := s.fill(); err != nil {
				return err
			}
			if s.pos >= s.end {
				return nil
			}
		}
		w := s.buf[s.pos:s.end]
		// The common case: a run of plain ASCII and UTF-8 text, checked in one pass.
		i, high := 0, false
		for i < len(w) {
			c := w[i]
			if textPlain[c] {
				i++
				continue
			}
			if c < utf8.RuneSelf {
				break
			}
			high = true
			i++
		}
		run := w[:i]
		if i == len(w) && !s.eof {
			run = w[:completeEnd(w)]
		}
		if high {
			if !utf8.Valid(run) || bytes.IndexByte(run, 0xEF) >= 0 && hasNonChar(run) {
				// Let the careful path find and word the error.
				if _, err := s.textChunk(run, &cr, true); err != nil {
					return err
				}
			}
		}
		if len(run) > 0 {
			if s.depth() == 0 {
				for _, c := range run {
					if !isSpace(c) {
						return s.syntax("根元素之外有文字")
					}
				}
			}
			if err := s.appendCapture(run); err != nil {
				return err
			}
			s.pos += len(run)
			cr = false
		}
		if len(run) < i || i == len(w) {
			if len(run) < len(w) {
				if err := s.fill(); err != nil {
					return err
				}
			}
			continue
		}
		switch c := w[i]; c {
		case '<':
			return nil
		case '\r', '\n':
			if s.depth() == 0 {
				s.pos++
				continue
			}
			if err := s.ensure(2); err != nil {
				return err
			}
			if c == '\n' { // only after a \r handled below
				if !cr {
					if err := s.appendCapture([]byte{'\n'}); err != nil {
						return err
					}
				}
				s.pos++
				cr = false
				continue
			}
			if err := s.appendCapture([]byte{'\n'}); err != nil {
				return err
			}
			s.pos++
			cr = true
		case ']':
			if err := s.ensure(3); err != nil {
				return err
			}
			if bytes.HasPrefix(s.buf[s.pos:s.end], []byte("]]>")) {
				return s.syntax("文字中出现未转义的“]]>”")
			}
			if s.depth() == 0 {
				return s.syntax("根元素之外有文字")
			}
			if err := s.appendCapture([]byte{']'}); err != nil {
				return err
			}
			s.pos++
			cr = false
		case '&':
			if s.depth() == 0 {
				return s.syntax("根元素之外有文字")
			}
			if err := s.ensure(16); err != nil {
				return err
			}
			r, n, err := s.entity(s.buf[s.pos:s.end])
			if err != nil {
				return err
			}
			var tmp [utf8.UTFMax]byte
			if err := s.appendCapture(utf8.AppendRune(tmp[:0], r)); err != nil {
				return err
			}
			s.pos += n
			cr = false
		default:
			return s.syntax("有 XML 不允许的字符 U+%04X", c)
		}
	}
}

// hasNonChar reports U+FFFE or U+FFFF (EF BF BE, EF BF BF) in valid UTF-8: the only sequences
// utf8.Valid accepts that XML excludes.
func hasNonChar(b []byte) bool {
	for {
		i := bytes.IndexByte(b, 0xEF)
		if i < 0 || i+2 >= len(b) {
			return false
		}
		if b[i+1] == 0xBF && (b[i+2] == 0xBE || b[i+2] == 0xBF) {
			return true
		}
		b = b[i+1:]
	}
}

func (s *xmlScanner) appendCapture(b []byte) error {
	if s.capture == nil {
		return nil
	}
	if len(*s.capture)+len(b) > s.capLimit {
		return errCaptureFull
	}
	*s.capture = append(*s.capture, b...)
	return nil
}

// skip consumes the rest of the element whose start tag was just read (nothing if it was
// self-closing), checking it as it goes. forbidden names local element names that must not
// occur inside it (a row or cell outside sheetData, which excelize would have read).
func (s *xmlScanner) skip(forbidden ...string) error {
	if s.selfClosing {
		return nil
	}
	saved := s.capture
	s.capture = nil
	defer func() { s.capture = saved }()
	depth := s.depth()
	for {
		tok, err := s.next()
		if err != nil {
			return err
		}
		switch tok {
		case tokStart:
			if len(forbidden) > 0 {
				local := localName(s.name)
				for _, f := range forbidden {
					if string(local) == f {
						return s.syntax("元素 <%s> 出现在不该出现的位置", s.name)
					}
				}
			}
		case tokEnd:
			if s.depth() < depth {
				return nil
			}
		case tokEOF:
			return s.syntax("XML 文档不完整")
		}
	}
}

// captureText reads the character data of the element whose start tag was just read into dst
// (replacing its content), skipping child elements, up to limit bytes.
func (s *xmlScanner) captureText(dst *[]byte, limit int) error {
	*dst = (*dst)[:0]
	if s.selfClosing {
		return nil
	}
	saved, savedLimit := s.capture, s.capLimit
	defer func() { s.capture, s.capLimit = saved, savedLimit }()
	depth := s.depth()
	for {
		s.capture, s.capLimit = dst, limit
		tok, err := s.next()
		if err != nil {
			return err
		}
		switch tok {
		case tokStart:
			if err := s.skip(); err != nil {
				return err
			}
		case tokEnd:
			if s.depth() < depth {
				return nil
			}
		case tokEOF:
			return s.syntax("XML 文档不完整")
		}
	}
}
