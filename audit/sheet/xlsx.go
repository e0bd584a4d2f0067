package sheet

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The xlsx reader is our own rather than excelize's: excelize's row iterator plus encoding/xml
// was three quarters of an import's CPU time, it read a damaged sheet as a shorter one (its
// iterator stopped on the first XML error without reporting it), and it unpacked large parts to
// temporary files that a killed run left behind. This one reads the zip parts directly
// (archive/zip): workbook.xml and its relationships for the sheet names, their order and the date
// system, styles.xml for which cells are dates, sharedStrings.xml, and the worksheet itself,
// streamed through xmlScanner. Every part is read to its end, so archive/zip's size and CRC
// checks always run. Nothing is written to disk.

// xlsxPackage is an opened OOXML package (a zip of XML parts).
type xlsxPackage struct {
	path  string
	fh    *os.File
	files map[string]*zip.File // by normalised name
	fold  map[string]*zip.File // by lower-cased name, for writers that get the case wrong
	dup   map[string]bool
	ctx   context.Context
	lim   limits
}

// rel is one relationship of a .rels part.
type rel struct{ id, typ, target, mode string }

// wbSheet is one sheet of the workbook, in tab order.
type wbSheet struct {
	name string
	part string // the part's name in the zip, "" when the relationship is missing
}

type workbookInfo struct {
	path     string
	sheets   []wbSheet
	date1904 bool
	styles   string // part names, "" when absent
	sst      string
}

// normPart turns a zip entry name or a relationship target into the form used as a key: forward
// slashes (some Windows tools write backslashes), no leading slash.
func normPart(name string) string {
	return strings.TrimPrefix(strings.ReplaceAll(name, "\\", "/"), "/")
}

func openPackage(path string, fh *os.File, size int64, ctx context.Context, lim limits) (*xlsxPackage, error) {
	zr, err := zip.NewReader(fh, size)
	if err != nil {
		return nil, &Error{File: path, Err: fmt.Errorf("%w: %w", ErrNotWorkbook, err),
			Msg: "不是可读取的 .xlsx 工作簿（文件可能已损坏或不完整）：" + zipErrText(err)}
	}
	p := &xlsxPackage{path: path, fh: fh, files: map[string]*zip.File{}, fold: map[string]*zip.File{},
		dup: map[string]bool{}, ctx: ctx, lim: lim}
	for _, f := range zr.File {
		name := normPart(f.Name)
		if _, ok := p.files[name]; ok {
			p.dup[name] = true
		}
		p.files[name] = f
		p.fold[strings.ToLower(name)] = f
	}
	return p, nil
}

func (p *xlsxPackage) lookup(name string) (*zip.File, bool) {
	name = normPart(name)
	if f, ok := p.files[name]; ok {
		return f, true
	}
	f, ok := p.fold[strings.ToLower(name)]
	return f, ok
}

// partError is a damaged or oversized part, as an *Error naming the file.
func (p *xlsxPackage) partError(part string, err error) *Error {
	if isCancel(err) {
		return &Error{File: p.path, Msg: "读取已取消", Err: err}
	}
	msg, cause := describeReadErr(err)
	return &Error{File: p.path, Err: errors.Join(cause, err), Msg: fmt.Sprintf("工作簿已损坏：部件 %s %s", part, msg)}
}

// describeReadErr words an error met while reading a part, and says which sentinel it is.
func describeReadErr(err error) (string, error) {
	var big *errPartTooLarge
	var xe *xmlError
	var corrupt flate.CorruptInputError
	switch {
	case errors.As(err, &big):
		return fmt.Sprintf("解压后超过 %d MiB，超出读取上限（可能是“压缩炸弹”或损坏的文件）", mib(big.limit)), ErrTooLarge
	case errors.As(err, &xe):
		return "不是格式正确的 XML：" + xe.msg, ErrDamaged
	case errors.Is(err, zip.ErrChecksum):
		return "的压缩数据校验失败（CRC 不符）", ErrDamaged
	case errors.Is(err, zip.ErrFormat):
		return "比压缩包中声明的长度长", ErrDamaged
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "比压缩包中声明的长度短（文件不完整）", ErrDamaged
	case errors.Is(err, zip.ErrAlgorithm):
		return "使用了不支持的压缩方式", ErrDamaged
	case errors.As(err, &corrupt):
		return "的压缩数据已损坏", ErrDamaged
	}
	return "无法读取：" + err.Error(), ErrDamaged
}

func zipErrText(err error) string {
	switch {
	case errors.Is(err, zip.ErrFormat):
		return "不是有效的 zip 压缩包"
	case errors.Is(err, zip.ErrAlgorithm):
		return "使用了不支持的压缩方式"
	case errors.Is(err, zip.ErrChecksum):
		return "校验失败"
	}
	return err.Error()
}

// open opens a part for streaming, bounded to limit decompressed bytes and cancellable. The
// declared size is checked first, so an honest bomb is refused before anything is inflated; a
// lying one is caught by the bound (and by archive/zip's size check).
func (p *xlsxPackage) open(name string, f *zip.File, limit int64) (io.ReadCloser, error) {
	if p.dup[normPart(f.Name)] {
		return nil, &Error{File: p.path, Err: ErrDamaged, Msg: fmt.Sprintf("工作簿已损坏：部件 %s 在压缩包中出现了不止一次", name)}
	}
	if f.UncompressedSize64 > uint64(limit) {
		return nil, p.partError(name, &errPartTooLarge{limit: limit})
	}
	rc, err := f.Open()
	if err != nil {
		return nil, p.partError(name, err)
	}
	pr := &partReader{Reader: &boundedReader{r: ctxReader{ctx: p.ctx, r: rc}, limit: limit}, c: rc}
	if f.UncompressedSize64 > 1<<20 {
		pr.pre = newPrefetchReader(pr.Reader)
		pr.Reader = pr.pre
	}
	return pr, nil
}

// partReader is an open part: bounded, cancellable and, when large, inflated ahead.
type partReader struct {
	io.Reader
	pre *prefetchReader
	c   io.Closer
}

func (r *partReader) Close() error {
	if r.pre != nil {
		r.pre.stop()
	}
	return r.c.Close()
}

// decodeSmall streams a small part (workbook, relationships, styles) through encoding/xml,
// calling fn for every start element, then reads the part to its end so that archive/zip
// verifies it. A missing part is not an error here: callers decide.
func (p *xlsxPackage) decodeSmall(name string, limit int64, fn func(xml.StartElement) error) (bool, error) {
	f, ok := p.lookup(name)
	if !ok {
		return false, nil
	}
	rc, err := p.open(name, f, limit)
	if err != nil {
		return true, err
	}
	defer rc.Close()
	d := xml.NewDecoder(rc)
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				err = &xmlError{msg: se.Msg}
			}
			return true, p.partError(name, err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if err := fn(se); err != nil {
				return true, err
			}
		}
	}
	if _, err := io.Copy(io.Discard, rc); err != nil {
		return true, p.partError(name, err)
	}
	return true, nil
}

func attrValue(se xml.StartElement, local string) (string, bool) {
	for _, a := range se.Attr {
		if a.Name.Local == local && a.Name.Space == "" {
			return a.Value, true
		}
	}
	return "", false
}

// rels reads the relationships of the part named owner (xl/workbook.xml →
// xl/_rels/workbook.xml.rels), with targets resolved to part names.
func (p *xlsxPackage) rels(owner string) ([]rel, error) {
	dir, base := path.Split(owner)
	name := dir + "_rels/" + base + ".rels"
	var out []rel
	_, err := p.decodeSmall(name, p.lim.metaPart, func(se xml.StartElement) error {
		if se.Name.Local != "Relationship" {
			return nil
		}
		var r rel
		r.id, _ = attrValue(se, "Id")
		r.typ, _ = attrValue(se, "Type")
		r.target, _ = attrValue(se, "Target")
		r.mode, _ = attrValue(se, "TargetMode")
		if r.mode != "External" {
			r.target = resolveTarget(dir, r.target)
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// resolveTarget resolves a relationship target against the owning part's folder, the way the
// Open Packaging Conventions (and excelize) do: "/xl/x.xml" is from the package root.
func resolveTarget(dir, target string) string {
	target = strings.ReplaceAll(target, "\\", "/")
	if strings.HasPrefix(target, "/") {
		return normPart(path.Clean(target))
	}
	return normPart(path.Clean(path.Join("/", dir, target)))
}

func relOfType(rels []rel, suffix string) (rel, bool) {
	for _, r := range rels {
		if strings.HasSuffix(r.typ, suffix) {
			return r, true
		}
	}
	return rel{}, false
}

// workbook finds the workbook part and reads its sheet list and date system.
func (p *xlsxPackage) workbook() (*workbookInfo, error) {
	wb := &workbookInfo{path: "xl/workbook.xml"}
	rootRels, err := p.rels("")
	if err != nil {
		return nil, err
	}
	if r, ok := relOfType(rootRels, "/officeDocument"); ok {
		wb.path = r.target
	}
	type ref struct{ name, rid string }
	var refs []ref
	found, err := p.decodeSmall(wb.path, p.lim.metaPart, func(se xml.StartElement) error {
		switch se.Name.Local {
		case "workbookPr":
			if v, ok := attrValue(se, "date1904"); ok {
				b, err := strconv.ParseBool(strings.TrimSpace(v))
				if err != nil {
					return &Error{File: p.path, Err: ErrDamaged, Msg: fmt.Sprintf("工作簿已损坏：%s 中的 date1904=%q 无效", wb.path, v)}
				}
				wb.date1904 = b
			}
		case "sheet":
			var r ref
			r.name, _ = attrValue(se, "name")
			for _, a := range se.Attr {
				if a.Name.Local == "id" && a.Name.Space != "" {
					r.rid = a.Value
				}
			}
			refs = append(refs, r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !found || len(refs) == 0 {
		return nil, &Error{File: p.path, Err: ErrNotWorkbook, Msg: "是 zip 压缩包，但不是 .xlsx 工作簿（其中没有工作表）"}
	}
	rels, err := p.rels(wb.path)
	if err != nil {
		return nil, err
	}
	byID := map[string]rel{}
	for _, r := range rels {
		byID[r.id] = r
	}
	for _, r := range refs {
		s := wbSheet{name: r.name}
		if t, ok := byID[r.rid]; ok && r.rid != "" {
			s.part = t.target
		}
		wb.sheets = append(wb.sheets, s)
	}
	if r, ok := relOfType(rels, "/styles"); ok {
		wb.styles = r.target
	} else if _, ok := p.lookup("xl/styles.xml"); ok {
		wb.styles = "xl/styles.xml"
	}
	if r, ok := relOfType(rels, "/sharedStrings"); ok {
		wb.sst = r.target
	} else if _, ok := p.lookup("xl/sharedStrings.xml"); ok {
		wb.sst = "xl/sharedStrings.xml"
	}
	return wb, nil
}

// styles reads which cell formats (the s attribute of a cell indexes cellXfs) show dates.
func (p *xlsxPackage) styles(name string) ([]DateFormat, error) {
	if name == "" {
		return nil, nil
	}
	custom := map[int]string{}
	var ids []int
	inXfs := false
	_, err := p.decodeSmall(name, p.lim.stylesPart, func(se xml.StartElement) error {
		switch se.Name.Local {
		case "numFmt":
			id, err1 := strconv.Atoi(strings.TrimSpace(attrOr(se, "numFmtId")))
			code, ok := attrValue(se, "formatCode")
			if err1 == nil && ok {
				custom[id] = code
			}
		case "cellXfs":
			inXfs = true
		case "cellStyleXfs", "dxfs", "cellStyles":
			inXfs = false
		case "xf":
			if inXfs {
				id, err := strconv.Atoi(strings.TrimSpace(attrOr(se, "numFmtId")))
				if err != nil {
					id = 0
				}
				ids = append(ids, id)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]DateFormat, len(ids))
	cache := map[int]DateFormat{}
	for i, id := range ids {
		df, ok := cache[id]
		if !ok {
			if code, ok := custom[id]; ok {
				df = classifyFormatCode(code)
			} else {
				df = builtinDateFormat(id)
			}
			cache[id] = df
		}
		out[i] = df
	}
	return out, nil
}

func attrOr(se xml.StartElement, local string) string {
	v, _ := attrValue(se, local)
	return v
}

// sharedStrings reads the shared-string table. The strings are kept as substrings of one large
// string (built once, never copied again), so a cell that refers to the table costs nothing and
// the table costs its text plus a string header per entry.
func (p *xlsxPackage) sharedStrings(name string) ([]string, error) {
	if name == "" {
		return nil, nil
	}
	f, ok := p.lookup(name)
	if !ok {
		return nil, nil
	}
	rc, err := p.open(name, f, p.lim.sstPart)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	sc := newXMLScanner(rc)
	fail := func(err error) ([]string, error) {
		if e, ok := err.(*Error); ok {
			return nil, e
		}
		return nil, p.partError(name, err)
	}
	tok, err := sc.next()
	if err != nil {
		return fail(err)
	}
	if tok != tokStart || string(localName(sc.name)) != "sst" {
		return fail(&xmlError{msg: "根元素不是 <sst>"})
	}
	if ns := elementNamespace(sc.name, sc.attrs); ns != nsMainTransitional && ns != nsMainStrict {
		return fail(&xmlError{msg: fmt.Sprintf("<sst> 的命名空间 %q 不是 SpreadsheetML 的命名空间", ns)})
	}
	if err := sc.checkTyped(sstAttrs); err != nil {
		return fail(err)
	}
	hint := 0
	for _, a := range sc.attrs {
		if string(localName(a.name)) == "uniqueCount" {
			hint, _ = strconv.Atoi(string(a.value))
		}
	}
	// Neither the declared count nor the part's size is a need (a bomb declares what it likes):
	// preallocate modestly and let the table grow with what is actually read.
	hint = max(0, min(hint, 1<<16, int(f.UncompressedSize64/10)))
	var text strings.Builder
	text.Grow(int(min(f.UncompressedSize64/4, 1<<20)))
	offs := make([]uint32, 1, hint+1)
	var rich richBufs
	if !sc.selfClosing {
		for {
			tok, err := sc.next()
			if err != nil {
				return fail(err)
			}
			if tok == tokEnd {
				break
			}
			if string(localName(sc.name)) != "si" {
				if err := sc.skip(); err != nil {
					return fail(err)
				}
				continue
			}
			if len(offs) > p.lim.sharedStrings {
				return nil, &Error{File: p.path, Err: ErrTooLarge,
					Msg: fmt.Sprintf("共享字符串表超过 %d 条，超出读取上限", p.lim.sharedStrings)}
			}
			v, err := rich.read(sc, p.lim)
			if errors.Is(err, errCaptureFull) || (err == nil && tooManyChars(v, p.lim.cellChars)) {
				return nil, &Error{File: p.path, Err: ErrTooLarge,
					Msg: fmt.Sprintf("共享字符串表第 %d 条超过 %d 个字符（Excel 单元格的上限）", len(offs), p.lim.cellChars)}
			}
			if err != nil {
				return fail(err)
			}
			text.Write(v)
			offs = append(offs, uint32(text.Len()))
		}
	}
	for {
		tok, err := sc.next()
		if err != nil {
			return fail(err)
		}
		if tok == tokEOF {
			break
		}
		if err := sc.skip(); err != nil {
			return fail(err)
		}
	}
	all := text.String()
	out := make([]string, len(offs)-1)
	for i := range out {
		out[i] = all[offs[i]:offs[i+1]]
	}
	return out, nil
}

// The SpreadsheetML namespaces: transitional, as Excel and WPS write, and ISO strict.
const (
	nsMainTransitional = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
	nsMainStrict       = "http://purl.oclc.org/ooxml/spreadsheetml/main"
)

// elementNamespace is the namespace of an element declared on the element itself (the root of a
// part declares its own): xmlns for an unprefixed name, xmlns:p for p:name.
func elementNamespace(name []byte, attrs []xmlAttr) string {
	want := "xmlns"
	if i := bytes.IndexByte(name, ':'); i > 0 {
		want = "xmlns:" + string(name[:i])
	}
	for _, a := range attrs {
		if string(a.name) == want {
			return string(a.value)
		}
	}
	return ""
}

func tooManyChars(v []byte, limit int) bool {
	return len(v) > limit && utf8.RuneCount(v) > limit
}

// richBufs are the scratch buffers for reading a rich-text string (<si>, <is>).
type richBufs struct{ t, run, runT, out, bstr []byte }

// read reads the string element whose start tag was just scanned, the way excelize does: the
// text of its <t> (the last one if there are several) followed by the <t> of every run <r>,
// phonetic runs (<rPh>) and anything else ignored, then the _xHHHH_ escapes Excel writes for
// control characters decoded. The result is valid until the next call.
func (b *richBufs) read(sc *xmlScanner, lim limits) ([]byte, error) {
	b.t, b.run = b.t[:0], b.run[:0]
	if sc.selfClosing {
		return nil, nil
	}
	rawLimit := 8 * lim.cellChars // room for _xHHHH_ escapes
	depth := sc.depth()
	for {
		tok, err := sc.next()
		if err != nil {
			return nil, err
		}
		if tok == tokEnd {
			if sc.depth() < depth {
				break
			}
			continue
		}
		switch string(localName(sc.name)) {
		case "t":
			if err := sc.captureText(&b.t, rawLimit); err != nil {
				return nil, err
			}
		case "r":
			if sc.selfClosing {
				continue
			}
			b.runT = b.runT[:0]
			rdepth := sc.depth()
			for {
				tok, err := sc.next()
				if err != nil {
					return nil, err
				}
				if tok == tokEnd {
					if sc.depth() < rdepth {
						break
					}
					continue
				}
				switch string(localName(sc.name)) {
				case "t":
					if err := sc.captureText(&b.runT, rawLimit); err != nil {
						return nil, err
					}
				case "rPr":
					if err := sc.checkRunProperties(); err != nil {
						return nil, err
					}
				default:
					if err := sc.skip(); err != nil {
						return nil, err
					}
				}
			}
			if len(b.run)+len(b.runT) > rawLimit {
				return nil, errCaptureFull
			}
			b.run = append(b.run, b.runT...)
		case "rPh", "phoneticPr":
			types := phoneticRun
			if string(localName(sc.name)) == "phoneticPr" {
				types = phoneticPrAttrs
			}
			if err := sc.checkTyped(types); err != nil {
				return nil, err
			}
			if err := sc.skip(); err != nil {
				return nil, err
			}
		default:
			if err := sc.skip(); err != nil {
				return nil, err
			}
		}
	}
	if len(b.t)+len(b.run) > rawLimit {
		return nil, errCaptureFull
	}
	b.out = append(append(b.out[:0], b.t...), b.run...)
	if bytes.Contains(b.out, []byte("_x")) {
		b.bstr = bstrUnescape(b.bstr[:0], b.out)
		return b.bstr, nil
	}
	return b.out, nil
}

// bstrUnescape decodes the ST_Xstring escapes Excel uses for characters XML cannot hold
// (_x000D_ for a carriage return, _x005F_ for a literal underscore), exactly as excelize's
// bstrUnmarshal does, so both readers agree: matches of _x[0-9A-Fa-f]{4}_ are taken left to
// right without overlapping, and an escape of a surrogate decodes to nothing.
func bstrUnescape(dst, s []byte) []byte {
	i := 0
	for i < len(s) {
		j := bytes.Index(s[i:], []byte("_x"))
		if j < 0 {
			break
		}
		j += i
		if j+7 <= len(s) && s[j+6] == '_' && isHex4(s[j+2:j+6]) {
			dst = append(dst, s[i:j]...)
			v, _ := strconv.ParseUint(string(s[j+2:j+6]), 16, 32)
			if r := rune(v); !(r >= 0xD800 && r <= 0xDFFF) {
				dst = utf8.AppendRune(dst, r)
			}
			i = j + 7
			continue
		}
		dst = append(dst, s[i:j+1]...)
		i = j + 1
	}
	return append(dst, s[i:]...)
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func openXLSX(path string, fh *os.File, size int64, opts Options, lim limits) (f *File, err error) {
	defer func() {
		if err != nil {
			fh.Close()
		}
	}()
	pkg, err := openPackage(path, fh, size, opts.Context, lim)
	if err != nil {
		return nil, err
	}
	wb, err := pkg.workbook()
	if err != nil {
		return nil, err
	}
	names := make([]string, len(wb.sheets))
	for i, s := range wb.sheets {
		names[i] = s.name
	}
	i, ok := pickSheet(names, opts.Sheet)
	if !ok {
		return nil, &Error{File: path, Err: ErrNoSheet,
			Msg: fmt.Sprintf("没有名为“%s”的工作表；工作簿中的工作表有：%s", opts.Sheet, quoteSheets(names))}
	}
	ws := wb.sheets[i]
	zf, ok := pkg.lookup(ws.part)
	if ws.part == "" || !ok {
		return nil, &Error{File: path, Err: ErrDamaged,
			Msg: fmt.Sprintf("工作簿已损坏：工作表“%s”的数据部件 %s 不存在", ws.name, ws.part)}
	}
	xfs, err := pkg.styles(wb.styles)
	if err != nil {
		return nil, err
	}
	sst, err := pkg.sharedStrings(wb.sst)
	if err != nil {
		return nil, err
	}
	f = &File{path: path, format: FormatXLSX, encoding: EncXLSX, sheet: ws.name, sheets: names, date1904: wb.date1904}
	if opts.Hyperlinks {
		if f.links, err = pkg.hyperlinks(ws, zf, sst, xfs); err != nil {
			return nil, err
		}
	}
	part, err := pkg.open(ws.part, zf, lim.sheetPart)
	if err != nil {
		return nil, err
	}
	r := newXLSXReader(path, ws.name, part, sst, xfs, lim)
	r.fh = fh
	f.r = r
	return f, nil
}

// hyperlinks reads the sheet once to its end for its <hyperlinks> (they follow the cell data)
// and resolves them through the sheet's relationships.
func (p *xlsxPackage) hyperlinks(ws wbSheet, zf *zip.File, sst []string, xfs []DateFormat) ([]hyperlink, error) {
	part, err := p.open(ws.part, zf, p.lim.sheetPart)
	if err != nil {
		return nil, err
	}
	r := newXLSXReader(p.path, ws.name, part, sst, xfs, p.lim)
	defer r.close()
	r.links = &linkCollector{}
	for {
		_, err := r.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if len(r.links.refs) == 0 {
		return nil, nil
	}
	rels, err := p.rels(ws.part)
	if err != nil {
		return nil, err
	}
	return r.links.resolve(rels), nil
}

// pickSheet chooses the sheet to read and returns its index. A name typed on the command line
// may differ from the tab in case or surrounding spaces, which Excel itself treats as the same
// sheet.
func pickSheet(sheets []string, want string) (int, bool) {
	if want == "" {
		return 0, len(sheets) > 0
	}
	for i, s := range sheets {
		if s == want {
			return i, true
		}
	}
	for i, s := range sheets {
		if strings.EqualFold(strings.TrimSpace(s), strings.TrimSpace(want)) {
			return i, true
		}
	}
	return 0, false
}

// quoteSheets lists sheet names for a message: “说明”、“名录”.
func quoteSheets(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "“" + n + "”"
	}
	return strings.Join(q, "、")
}

// SheetNames returns the names of the sheets of the workbook at path in tab order, or nil for
// a file that is not a workbook. It reads only the package's directory and workbook part, so a
// caller can list the sheets even when the first one cannot be opened (it is empty, say).
func SheetNames(path string) ([]string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, openError(path, err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, openError(path, err)
	}
	head := make([]byte, 4)
	if n, _ := io.ReadFull(fh, head); !isZip(head[:n]) {
		return nil, nil
	}
	pkg, err := openPackage(path, fh, st.Size(), context.Background(), defaultLimits())
	if err != nil {
		return nil, err
	}
	wb, err := pkg.workbook()
	if err != nil {
		return nil, err
	}
	names := make([]string, len(wb.sheets))
	for i, s := range wb.sheets {
		names[i] = s.name
	}
	return names, nil
}
