package sheet

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// endless yields prefix, then body repeated forever, and counts what it handed out: the
// readers must stop on their bounds however much input there is, and the count shows how much
// they read before they did.
type endless struct {
	prefix, body []byte
	off          int
	n            int64
}

func (e *endless) Read(p []byte) (int, error) {
	k := 0
	for k < len(p) {
		if len(e.prefix) > 0 {
			c := copy(p[k:], e.prefix)
			e.prefix = e.prefix[c:]
			k += c
			continue
		}
		c := copy(p[k:], e.body[e.off:])
		e.off = (e.off + c) % len(e.body)
		k += c
	}
	e.n += int64(k)
	return k, nil
}

func testLimits() limits {
	l := defaultLimits()
	l.sheetPart = 8 << 20
	return l
}

func readSheet(r io.Reader, lim limits) (int, error) {
	x := newXLSXReader("bomb.xlsx", "Sheet1", io.NopCloser(r), []string{"a"}, nil, lim)
	n := 0
	for {
		_, err := x.next()
		if err != nil {
			return n, err
		}
		n++
	}
}

func TestSheetPartBound(t *testing.T) {
	lim := testLimits()
	// 1 MB of zip can hold 1 GiB of white space between two rows: it is refused at the bound.
	gen := &endless{prefix: []byte(`<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row>`), body: []byte("          ")}
	n, err := readSheet(&boundedReader{r: gen, limit: lim.sheetPart}, lim)
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrTooLarge) || n != 1 || !strings.Contains(e.Msg, "超过 8 MiB") || e.Row != 1 {
		t.Fatalf("rows %d, err %v", n, err)
	}
	if gen.n > lim.sheetPart+2*xmlBufSize {
		t.Errorf("read %d bytes for a bound of %d", gen.n, lim.sheetPart)
	}
}

func TestCellBound(t *testing.T) {
	lim := defaultLimits()
	for name, body := range map[string]string{"ascii": "a", "chinese": "政务", "entities": "&amp;", "cdata": "x"} {
		prefix := `<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="B2" t="inlineStr"><is><t>`
		if name == "cdata" {
			prefix += "<![CDATA["
		}
		gen := &endless{prefix: []byte(prefix), body: []byte(strings.Repeat(body, 64))}
		n, err := readSheet(gen, lim)
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrTooLarge) || n != 1 || e.Row != 2 || e.Col != 2 || !strings.Contains(e.Msg, "32767 个字符") {
			t.Errorf("%s: rows %d, err %v", name, n, err)
		}
		// A reference is at most 16 bytes of input for one character kept.
		if most := int64(16*8*lim.cellChars + 2*xmlBufSize); gen.n > most {
			t.Errorf("%s: read %d bytes to refuse one cell", name, gen.n)
		}
	}
	// The bound is in characters, as Excel's is: 32767 Chinese characters are allowed.
	ok := `<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>` + strings.Repeat("政", 32767) + `</t></is></c></row></sheetData></worksheet>`
	if n, err := readSheet(strings.NewReader(ok), lim); !errors.Is(err, io.EOF) || n != 1 {
		t.Errorf("a full cell: rows %d, %v", n, err)
	}
	over := strings.Replace(ok, "</t>", "政</t>", 1)
	if _, err := readSheet(strings.NewReader(over), lim); !errors.Is(err, ErrTooLarge) {
		t.Errorf("32768 characters: %v", err)
	}
}

func TestStructureBounds(t *testing.T) {
	lim := defaultLimits()
	lim.rows = 5
	tests := []struct{ name, xml, msg string }{
		{"rows", `<worksheet><sheetData><row r="6"><c r="A6"><v>1</v></c></row></sheetData></worksheet>`, "Excel 的上限 5 行"},
		{"columns", `<worksheet><sheetData><row r="1"><c r="XFE1"><v>1</v></c></row></sheetData></worksheet>`, "最大列 XFD"},
		{"nesting", `<worksheet>` + strings.Repeat("<a>", 100), "嵌套超过"},
		{"tag", `<worksheet><sheetData><row r="1" x="` + strings.Repeat("y", maxTag) + `"/></sheetData></worksheet>`, "标签超过"},
		{"row text", `<worksheet><sheetData><row r="1">` + strings.Repeat(`<c t="inlineStr"><is><t>`+strings.Repeat("a", 30000)+`</t></is></c>`, 150) + `</row></sheetData></worksheet>`, "这一行的文字超过 4 MiB"},
	}
	for _, tt := range tests {
		_, err := readSheet(strings.NewReader(tt.xml), lim)
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(e.Msg, tt.msg) {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}

func TestCSVBounds(t *testing.T) {
	lim := defaultLimits()
	tests := []struct {
		name         string
		prefix, body string
		row, col     int
		msg          string
		most         int64
	}{
		{"endless line", "账号名称,备注\n汉中公安,", strings.Repeat("x", 999) + ",", 2, 0, "这一行超过 4 MiB", int64(lim.rowBytes) + 4<<20},
		{"endless quoted field over lines", "账号名称,备注\n汉中公安,\"", "第一行\n", 2, 2, "32767 个字符", int64(lim.cellBytes()) + 512<<10},
		{"endless field on one line", "账号名称,备注\n汉中公安,", "x", 2, 2, "32767 个字符", int64(lim.rowBytes) + 4<<20},
		{"endless empty fields", "账号名称,备注\n", ",", 2, 0, "最大列数 16384", int64(lim.rowBytes) + 4<<20},
	}
	for _, tt := range tests {
		gen := &endless{prefix: []byte(tt.prefix), body: []byte(strings.Repeat(tt.body, 100))}
		c := newCSVReader("bomb.csv", gen, ',', lim, nil)
		var err error
		for range 3 {
			if _, err = c.next(); err != nil {
				break
			}
		}
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrTooLarge) || e.Row != tt.row || e.Col != tt.col || !strings.Contains(e.Msg, tt.msg) {
			t.Errorf("%s: %v (row %d col %d)", tt.name, err, e.Row, e.Col)
		}
		if gen.n > tt.most {
			t.Errorf("%s: read %d bytes before refusing", tt.name, gen.n)
		}
	}
	lim.rows = 3
	c := newCSVReader("many.csv", strings.NewReader("a\nb\nc\nd\n"), ',', lim, nil)
	var err error
	for err == nil {
		_, err = c.next()
	}
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "第4行") {
		t.Errorf("rows over the bound: %v", err)
	}
}
