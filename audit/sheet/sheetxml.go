package sheet

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// xlsxReader streams the rows of one worksheet part.
//
// What it accepts is what excelize's row iterator read from a sound sheet, cell for cell: rows
// numbered by their r attribute or, without one, by counting on from the previous row; cells
// placed by their r reference or, without one, just after the previous cell; a cell that holds
// nothing and no formula left out, so trailing empty cells are absent and leading ones are "";
// shared strings, inline strings with their rich-text runs, formula strings (t="str"), numbers
// and dates raw (a date is its serial number), booleans as "1"/"0", error values as their text.
//
// What it refuses, with an *Error naming the row, is everything excelize read silently as
// something else: XML that is not well-formed; a row number that is not a positive integer or
// does not rise; a cell reference outside its row, or not to the right of the previous cell; a
// shared-string index that is not a number or past the end of the table; an unknown cell type;
// elements inside a row or cell that are not part of a sheet (excelize searched them for cells
// and values); rows and cells beyond Excel's limits or the reader's bounds.
type xlsxReader struct {
	path  string
	sheet string
	part  io.ReadCloser
	fh    io.Closer
	sc    *xmlScanner
	sst   []string
	xfs   []DateFormat
	lim   limits

	state   int
	lastRow int // number of the last row read
	inRow   int // number of the row being read, 0 between rows
	inCol   int // column of the cell being read, 0 outside cells

	cells  []pendingCell
	rowBuf []byte
	vbuf   []byte
	rich   richBufs

	links *linkCollector // set when the pass collects hyperlinks
}

const (
	stateStart = iota
	stateRows
	stateDone
)

// pendingCell is a cell of the row being read; its text is either a shared string or a range
// of rowBuf (turned into one string per row at the row's end).
type pendingCell struct {
	col        int
	shared     bool
	str        string
	start, end int
	kind       CellKind
}

func newXLSXReader(path, sheet string, part io.ReadCloser, sst []string, xfs []DateFormat, lim limits) *xlsxReader {
	return &xlsxReader{path: path, sheet: sheet, part: part, sc: newXMLScanner(part), sst: sst, xfs: xfs, lim: lim}
}

// fail turns an error met while reading into an *Error naming the damaged row (or, between
// rows, the last row read) and, inside a cell, its column.
func (x *xlsxReader) fail(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if isCancel(err) {
		return &Error{File: x.path, Row: max(x.inRow, x.lastRow), Msg: "读取已取消", Err: err}
	}
	msg, cause := describeReadErr(err)
	var xe *xmlError
	if errors.As(err, &xe) {
		msg = xe.msg
	}
	out := &Error{File: x.path, Err: errors.Join(cause, err)}
	switch {
	case x.inRow > 0:
		out.Row, out.Col = x.inRow, x.inCol
		out.Msg = fmt.Sprintf("工作表“%s”已损坏：%s", x.sheet, msg)
	case x.lastRow > 0:
		out.Row = x.lastRow
		out.Msg = fmt.Sprintf("工作表“%s”在这一行之后已损坏：%s", x.sheet, msg)
	default:
		out.Msg = fmt.Sprintf("工作表“%s”已损坏：%s", x.sheet, msg)
	}
	if cause == ErrTooLarge {
		out.Msg = fmt.Sprintf("工作表“%s”%s", x.sheet, msg)
	}
	return out
}

// damaged is a structural error at the current row and cell.
func (x *xlsxReader) damaged(format string, args ...any) error {
	return &Error{File: x.path, Row: x.inRow, Col: x.inCol, Err: ErrDamaged,
		Msg: fmt.Sprintf("工作表“%s”已损坏：", x.sheet) + fmt.Sprintf(format, args...)}
}

func (x *xlsxReader) tooLarge(format string, args ...any) error {
	return &Error{File: x.path, Row: x.inRow, Col: x.inCol, Err: ErrTooLarge, Msg: fmt.Sprintf(format, args...)}
}

func (x *xlsxReader) next() (Row, error) {
	if x.state == stateStart {
		if err := x.findSheetData(); err != nil {
			return Row{}, x.fail(err)
		}
	}
	for x.state == stateRows {
		tok, err := x.sc.next()
		if err != nil {
			return Row{}, x.fail(err)
		}
		if tok == tokEnd { // </sheetData>
			x.state = stateDone
			if err := x.finish(); err != nil {
				return Row{}, x.fail(err)
			}
			break
		}
		if string(localName(x.sc.name)) != "row" {
			return Row{}, x.fail(x.sc.syntax("<sheetData> 中出现了 <%s>", x.sc.name))
		}
		row, err := x.readRow()
		if err != nil {
			return Row{}, x.fail(err)
		}
		if row.Cells != nil {
			return row, nil
		}
	}
	return Row{}, io.EOF
}

// findSheetData reads up to <sheetData>: the root must be a worksheet, and nothing before the
// data may hold rows or cells.
func (x *xlsxReader) findSheetData() error {
	sc := x.sc
	tok, err := sc.next()
	if err != nil {
		return err
	}
	if tok != tokStart || string(localName(sc.name)) != "worksheet" {
		return sc.syntax("根元素不是 <worksheet>（这不是数据工作表，可能是图表工作表）")
	}
	x.state = stateRows
	if sc.selfClosing {
		x.state = stateDone
		return x.finish()
	}
	for {
		tok, err := sc.next()
		if err != nil {
			return err
		}
		if tok == tokEnd { // </worksheet> without sheetData: an empty sheet
			x.state = stateDone
			return x.finish()
		}
		if string(localName(sc.name)) == "sheetData" {
			if sc.selfClosing {
				x.state = stateDone
				return x.finish()
			}
			return nil
		}
		if err := sc.skip("row", "c"); err != nil {
			return err
		}
	}
}

// finish reads the rest of the part after the sheet data (hyperlinks when collecting them) up
// to the end of the input, so that a truncated document or a failed zip check is reported.
func (x *xlsxReader) finish() error {
	sc := x.sc
	for {
		tok, err := sc.next()
		if err != nil {
			return err
		}
		switch tok {
		case tokEOF:
			return nil
		case tokEnd:
			continue
		}
		switch local := string(localName(sc.name)); {
		case local == "sheetData" || local == "row":
			return sc.syntax("工作表中有多个 <sheetData>")
		case local == "hyperlinks" && x.links != nil:
			if err := x.links.read(sc); err != nil {
				return err
			}
		default:
			if err := sc.skip(); err != nil {
				return err
			}
		}
	}
}

// parseUint reads a decimal number of at most 9 digits without sign or spaces.
func parseUint(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// parseRef splits an A1-style reference into column and row numbers.
func parseRef(b []byte) (col, row int, ok bool) {
	i := 0
	for i < len(b) && b[i] >= 'A' && b[i] <= 'Z' {
		col = col*26 + int(b[i]-'A'+1)
		i++
		if i > 3 {
			return 0, 0, false
		}
	}
	if i == 0 {
		return 0, 0, false
	}
	row, ok = parseUint(b[i:])
	return col, row, ok && row > 0
}

// readRow reads the row whose start tag was just scanned. It returns a Row with nil Cells for
// a blank row (no cell with a value).
func (x *xlsxReader) readRow() (Row, error) {
	sc := x.sc
	num := x.lastRow + 1
	seen := false
	for _, a := range sc.attrs {
		if string(localName(a.name)) != "r" {
			continue
		}
		if seen {
			return Row{}, sc.syntax("<row> 有两个 r 属性")
		}
		seen = true
		n, ok := parseUint(a.value)
		if !ok || n == 0 {
			x.inRow = x.lastRow + 1
			return Row{}, x.damaged("行号“%s”不是正整数", a.value)
		}
		if n <= x.lastRow {
			x.inRow = x.lastRow
			return Row{}, x.damaged("行号 %d 出现在第 %d 行之后（行号必须递增）", n, x.lastRow)
		}
		num = n
	}
	x.inRow = num
	if num > x.lim.rows {
		return Row{}, x.tooLarge("行号超过 Excel 的上限 %d 行", x.lim.rows)
	}
	x.lastRow = num
	x.cells, x.rowBuf = x.cells[:0], x.rowBuf[:0]
	if !sc.selfClosing {
		depth := sc.depth()
		col, shared := 0, 0
		for {
			tok, err := sc.next()
			if err != nil {
				return Row{}, err
			}
			if tok == tokEnd {
				if sc.depth() < depth {
					break
				}
				continue
			}
			switch string(localName(sc.name)) {
			case "c":
				n, err := x.readCell(num, &col)
				if err != nil {
					return Row{}, err
				}
				x.inCol = 0
				shared += n
				if len(x.rowBuf)+shared > x.lim.rowBytes {
					return Row{}, x.tooLarge("这一行的文字超过 %d MiB，超出读取上限", x.lim.rowBytes>>20)
				}
			case "extLst":
				if err := sc.skip(); err != nil {
					return Row{}, err
				}
			default:
				return Row{}, sc.syntax("<row> 中出现了 <%s>", sc.name)
			}
		}
	}
	x.inRow, x.inCol = 0, 0
	return x.buildRow(num), nil
}

// buildRow assembles the cells read into a Row: one string for the row's own text, sliced per
// cell, so a row costs three allocations however many cells it has.
func (x *xlsxReader) buildRow(num int) Row {
	width, nonBlank := 0, false
	for _, c := range x.cells {
		width = c.col
		if c.shared && c.str != "" || !c.shared && c.end > c.start {
			nonBlank = true
		}
	}
	if !nonBlank {
		return Row{Num: num}
	}
	text := string(x.rowBuf)
	cells := make([]string, width)
	kinds := make([]CellKind, width)
	for _, c := range x.cells {
		if c.shared {
			cells[c.col-1] = c.str
		} else {
			cells[c.col-1] = text[c.start:c.end]
		}
		kinds[c.col-1] = c.kind
	}
	return Row{Num: num, Cells: cells, Kinds: kinds}
}

// readCell reads the cell whose start tag was just scanned and adds it to the row if it holds a
// value or a formula. It returns the bytes of shared string it added (for the row bound).
func (x *xlsxReader) readCell(num int, col *int) (int, error) {
	sc := x.sc
	var ref, style, typ []byte
	var haveRef, haveStyle, haveType bool
	for _, a := range sc.attrs {
		var dst *[]byte
		var have *bool
		switch string(localName(a.name)) {
		case "r":
			dst, have = &ref, &haveRef
		case "s":
			dst, have = &style, &haveStyle
		case "t":
			dst, have = &typ, &haveType
		default:
			continue
		}
		if *have {
			return 0, sc.syntax("<c> 有重复的 %s 属性", a.name)
		}
		*dst, *have = a.value, true
	}
	c := *col + 1
	if haveRef {
		rc, rr, ok := parseRef(ref)
		switch {
		case !ok:
			x.inCol = c
			return 0, x.damaged("单元格引用“%s”无效", ref)
		case rr != num:
			x.inCol = rc
			return 0, x.damaged("单元格 %s 不在第 %d 行", ref, num)
		case rc <= *col:
			x.inCol = rc
			return 0, x.damaged("单元格 %s 不在同一行前一个单元格（%s 列）的右边", ref, ColumnName(*col))
		}
		c = rc
	}
	x.inCol = c
	if c > x.lim.cols {
		return 0, x.tooLarge("单元格超出 Excel 的最大列 %s", ColumnName(x.lim.cols))
	}
	*col = c
	var kind CellKind
	xf := 0
	if haveStyle {
		n, ok := parseUint(style)
		if !ok {
			return 0, x.damaged("单元格样式编号“%s”无效", style)
		}
		xf = n
	}
	const (
		tNumber = iota
		tShared
		tStr
		tInline
		tOther
	)
	t := tOther
	switch {
	case len(typ) == 0 || string(typ) == "n":
		t, kind.Type = tNumber, CellNumber
	case string(typ) == "s":
		t, kind.Type = tShared, CellString
	case string(typ) == "inlineStr":
		t, kind.Type = tInline, CellString
	case string(typ) == "str":
		t, kind.Type = tStr, CellString
	case string(typ) == "b":
		kind.Type = CellBool
	case string(typ) == "e":
		kind.Type = CellError
	case string(typ) == "d":
		kind.Type = CellDate
	default:
		return 0, x.damaged("未知的单元格类型“%s”", typ)
	}
	if (kind.Type == CellNumber || kind.Type == CellDate) && xf < len(x.xfs) {
		kind.Format = x.xfs[xf]
	}

	var hasV, hasF, hasIS bool
	x.vbuf = x.vbuf[:0]
	var inline []byte
	fast := false
	if !sc.selfClosing && len(sc.name) == 1 {
		var v []byte
		if v, hasIS, fast = x.fastCell(); fast {
			hasV = !hasIS
			if hasIS {
				inline = v
				if bytes.IndexByte(v, '_') >= 0 && bytes.Contains(v, []byte("_x")) {
					x.rich.bstr = bstrUnescape(x.rich.bstr[:0], v)
					inline = x.rich.bstr
				}
			} else {
				x.vbuf = append(x.vbuf, v...)
			}
		}
	}
	if !sc.selfClosing && !fast {
		depth := sc.depth()
		for {
			tok, err := sc.next()
			if err != nil {
				return 0, x.cellErr(err)
			}
			if tok == tokEnd {
				if sc.depth() < depth {
					break
				}
				continue
			}
			switch string(localName(sc.name)) {
			case "v":
				if hasV {
					return 0, x.damaged("单元格有两个 <v>")
				}
				hasV = true
				if err := sc.captureText(&x.vbuf, x.lim.cellBytes()); err != nil {
					return 0, x.cellErr(err)
				}
			case "f":
				if hasF {
					return 0, x.damaged("单元格有两个 <f>")
				}
				hasF = true
				if err := sc.checkTyped(formulaAttrs); err != nil {
					return 0, err
				}
				if err := sc.skip(); err != nil {
					return 0, err
				}
			case "is":
				if hasIS {
					return 0, x.damaged("单元格有两个 <is>")
				}
				hasIS = true
				v, err := x.rich.read(sc, x.lim)
				if err != nil {
					return 0, x.cellErr(err)
				}
				inline = v
			case "extLst":
				if err := sc.skip(); err != nil {
					return 0, err
				}
			default:
				return 0, sc.syntax("<c> 中出现了 <%s>", sc.name)
			}
		}
	}

	val := x.vbuf
	switch t {
	case tShared:
		if len(x.vbuf) > 0 {
			idx := bytes.TrimSpace(x.vbuf)
			n, ok := parseUint(idx)
			if !ok {
				return 0, x.damaged("共享字符串索引“%s”无效", idx)
			}
			if n >= len(x.sst) {
				return 0, x.damaged("共享字符串索引 %d 超出范围（共享字符串表只有 %d 条）", n, len(x.sst))
			}
			s := x.sst[n]
			if s != "" || hasF {
				x.cells = append(x.cells, pendingCell{col: c, shared: true, str: s, kind: kind})
			}
			return len(s), nil
		}
	case tInline:
		if hasIS {
			val = inline
		}
	}
	if tooManyChars(val, x.lim.cellChars) {
		return 0, x.tooLarge("单元格超过 %d 个字符（Excel 单元格的上限）", x.lim.cellChars)
	}
	if len(val) > 0 || hasF {
		start := len(x.rowBuf)
		x.rowBuf = append(x.rowBuf, val...)
		x.cells = append(x.cells, pendingCell{col: c, start: start, end: len(x.rowBuf), kind: kind})
	}
	return 0, nil
}

// Cell content as nearly every writer emits it, after the start tag <c ...>.
var (
	fastV      = []byte("<v>")
	fastVEnd   = []byte("</v></c>")
	fastIS     = []byte("<is><t>")
	fastISPres = []byte(`<is><t xml:space="preserve">`)
	fastISEnd  = []byte("</t></is></c>")
)

// fastCell reads the content and end tag of the cell whose start tag <c ...> was just scanned
// when it has one of the usual shapes — <v>text</v></c>, or <is><t>text</t></is></c> — and its
// text needs no entity decoding, line-end normalisation or error message. It returns the text
// and whether it was an inline string, or ok=false having consumed nothing, in which case the
// general path reads the cell (and words any error). The text is checked exactly as text() does.
func (x *xlsxReader) fastCell() (val []byte, inline, ok bool) {
	sc := x.sc
	w := sc.buf[sc.pos:sc.end]
	var open, closing []byte
	switch {
	case bytes.HasPrefix(w, fastV):
		open, closing = fastV, fastVEnd
	case bytes.HasPrefix(w, fastIS):
		open, closing, inline = fastIS, fastISEnd, true
	case bytes.HasPrefix(w, fastISPres):
		open, closing, inline = fastISPres, fastISEnd, true
	default:
		return nil, false, false
	}
	i, high, ef := len(open), false, false
	limit := min(len(w), len(open)+x.lim.cellBytes())
	for i < limit {
		c := w[i]
		if textPlain[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			break
		}
		high = true
		ef = ef || c == 0xEF
		i++
	}
	if i >= limit || w[i] != '<' || !bytes.HasPrefix(w[i:], closing) {
		return nil, false, false
	}
	val = w[len(open):i]
	if high && (!utf8.Valid(val) || ef && hasNonChar(val)) {
		return nil, false, false
	}
	sc.pos += i + len(closing)
	sc.pop()
	return val, inline, true
}

// cellErr words an overflow of the text being captured as the cell's bound.
func (x *xlsxReader) cellErr(err error) error {
	if errors.Is(err, errCaptureFull) {
		return x.tooLarge("单元格超过 %d 个字符（Excel 单元格的上限）", x.lim.cellChars)
	}
	return err
}

func (x *xlsxReader) close() error {
	var errs []error
	if x.part != nil {
		errs = append(errs, x.part.Close())
	}
	if x.fh != nil {
		errs = append(errs, x.fh.Close())
	}
	return errors.Join(errs...)
}

// hyperlink is one <hyperlink> of the sheet whose target is a web address.
type hyperlink struct {
	col1, row1, col2, row2 int
	url                    string
}

// linkCollector gathers a sheet's <hyperlinks> and resolves them through the sheet's
// relationships (a hyperlink names its address by relationship id).
type linkCollector struct {
	refs []struct {
		ref, rid, location string
	}
}

func (l *linkCollector) read(sc *xmlScanner) error {
	if sc.selfClosing {
		return nil
	}
	depth := sc.depth()
	for {
		tok, err := sc.next()
		if err != nil {
			return err
		}
		if tok == tokEnd {
			if sc.depth() < depth {
				return nil
			}
			continue
		}
		if string(localName(sc.name)) == "hyperlink" {
			var h struct{ ref, rid, location string }
			for _, a := range sc.attrs {
				switch string(a.name) {
				case "ref":
					h.ref = string(a.value)
				case "location":
					h.location = string(a.value)
				default:
					if string(localName(a.name)) == "id" && bytes.IndexByte(a.name, ':') > 0 {
						h.rid = string(a.value)
					}
				}
			}
			l.refs = append(l.refs, h)
		}
		if err := sc.skip(); err != nil {
			return err
		}
	}
}

// resolve turns the collected references into web addresses, dropping links into the workbook
// (location="Sheet2!A1") and anything that is not http(s).
func (l *linkCollector) resolve(rels []rel) []hyperlink {
	byID := map[string]rel{}
	for _, r := range rels {
		byID[r.id] = r
	}
	var out []hyperlink
	for _, h := range l.refs {
		r, ok := byID[h.rid]
		if !ok || h.rid == "" || !strings.HasSuffix(r.typ, "/hyperlink") {
			continue
		}
		url := strings.TrimSpace(r.target)
		if lower := strings.ToLower(url); !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") {
			continue
		}
		from, to, _ := strings.Cut(h.ref, ":")
		if to == "" {
			to = from
		}
		c1, r1, ok1 := parseRef([]byte(strings.ReplaceAll(from, "$", "")))
		c2, r2, ok2 := parseRef([]byte(strings.ReplaceAll(to, "$", "")))
		if !ok1 || !ok2 {
			continue
		}
		out = append(out, hyperlink{col1: min(c1, c2), row1: min(r1, r2), col2: max(c1, c2), row2: max(r1, r2), url: url})
	}
	return out
}
