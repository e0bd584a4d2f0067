package sheet_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/nmaudit/nmaudit/audit/sheet"
)

const (
	nsMain = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	nsRel  = `xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
)

// fuzzWorkbook is a complete package around the given worksheet and shared-string parts, with
// a styles part whose cell format 1 is a date (14) and 2 a custom date-time.
func fuzzWorkbook(t testing.TB, sheetXML, sstXML []byte) []byte {
	t.Helper()
	return zipParts(t, [][2]string{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook ` + nsMain + ` ` + nsRel + `><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`},
		{"xl/styles.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet ` + nsMain + `><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/></numFmts><cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="164" applyNumberFormat="1"/></cellXfs></styleSheet>`},
		{"xl/sharedStrings.xml", string(sstXML)},
		{"xl/worksheets/sheet1.xml", string(sheetXML)},
	})
}

// excelizeRows reads the first sheet the way nmaudit's reader did before it had its own: with
// excelize's row iterator and raw cell values, numbering rows by counting Next calls and
// skipping blank rows.
func excelizeRows(path string) ([]sheet.Row, error) {
	wb, err := excelize.OpenFile(path, excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, err
	}
	defer wb.Close()
	rows, err := wb.Rows(wb.GetSheetList()[0])
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []sheet.Row
	num := 0
	for rows.Next() {
		num++
		cells, err := rows.Columns()
		if err != nil {
			return out, err
		}
		if !isBlank(cells) {
			out = append(out, sheet.Row{Num: num, Cells: cells})
		}
	}
	return out, rows.Error()
}

func isBlank(cells []string) bool {
	for _, c := range cells {
		if c != "" {
			return false
		}
	}
	return true
}

// ourRows reads the file with this package; the error, if any, is the first one met.
func ourRows(path string) ([]sheet.Row, error) {
	f, err := sheet.Open(path, sheet.Options{})
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []sheet.Row
	for {
		r, err := f.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, sheet.Row{Num: r.Num, Cells: r.Cells})
	}
}

// compareWithExcelize is the property FuzzXLSX checks: either this package reads exactly the
// rows excelize reads from the same file, or it fails with an *sheet.Error — never other rows
// without an error. A file excelize fails on must not be read without an error either.
func compareWithExcelize(t *testing.T, path string) {
	t.Helper()
	ours, err := ourRows(path)
	if err != nil {
		var se *sheet.Error
		if !errors.As(err, &se) {
			t.Fatalf("error %T is not a *sheet.Error: %v", err, err)
		}
		if errors.Is(err, sheet.ErrEmpty) {
			// An empty sheet is refused by Open; excelize must agree that it has no rows.
			if theirs, xerr := excelizeRows(path); xerr == nil && len(theirs) > 0 {
				t.Fatalf("refused as empty, but excelize reads %d rows", len(theirs))
			}
		}
		return
	}
	theirs, xerr := excelizeRows(path)
	if xerr != nil {
		t.Fatalf("read %d rows without error, excelize fails: %v", len(ours), xerr)
	}
	if !reflect.DeepEqual(rowsText(ours), rowsText(theirs)) {
		t.Fatalf("rows differ from excelize's:\nours   %s\ntheirs %s", rowsText(ours), rowsText(theirs))
	}
}

func rowsText(rows []sheet.Row) string {
	var b bytes.Buffer
	for _, r := range rows {
		fmt.Fprintf(&b, "%d:%q ", r.Num, r.Cells)
	}
	return b.String()
}

var fuzzSeedSheets = []string{
	`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet ` + nsMain + ` ` + nsRel + `><dimension ref="A1:E7"/><sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15"/><cols><col min="1" max="2" width="20" customWidth="1"/></cols><sheetData>` +
		`<row r="1" spans="1:5"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="inlineStr"><is><t>最近更新时间</t></is></c></row>` +
		`<row r="3"><c r="A3" t="inlineStr"><is><r><rPr><b/></rPr><t>汉中</t></r><r><t xml:space="preserve">公安 </t></r></is></c><c r="B3" t="str"><f>"新浪"&amp;"微博"</f><v>新浪微博</v></c><c r="C3" t="s"><v> 3 </v></c><c r="D3" s="2"><v>44781</v></c></row>` +
		`<row><c t="s"><v>4</v></c><c><v>1</v></c><c t="b"><v>1</v></c><c r="E4" t="e"><v>#N/A</v></c></row>` +
		`<row r="6"><c r="A6" s="1"/><c r="B6"><f>A1</f></c></row>` +
		`<row r="7"><c r="A7" t="inlineStr"><is><t>line_x000D_break &lt;&#x4E2D;&gt; _x005F_x0041_</t></is></c><c r="C7" t="d"><v>2022-08-08T00:00:00</v></c></row>` +
		`</sheetData><mergeCells count="1"><mergeCell ref="A6:B6"/></mergeCells><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>`,
	`<worksheet ` + nsMain + `><sheetData/></worksheet>`,
	`<?xml version="1.0"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData><x:row r="2"><x:c r="B2" t="inlineStr"><x:is><x:t>a</x:t></x:is></x:c></x:row></x:sheetData></x:worksheet>`,
	`<worksheet ` + nsMain + `><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t><![CDATA[<cdata & text>]]></t></is></c><c r="B1"><v>1.5E3</v></c></row><!-- a comment --><row r="2"><c r="A2" t="inlineStr"><is><t>x</t><rPh sb="0" eb="1"><t>ph</t></rPh></is></c></row></sheetData></worksheet>`,
}

const fuzzSeedSST = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst ` + nsMain + ` count="6" uniqueCount="5"><si><t>账号名称</t></si><si><t>账号类型</t></si><si><t>运行状态</t></si><si><r><t>正常</t></r><r><rPr><sz val="11"/></rPr><t>运行</t></r></si><si><t xml:space="preserve"> 城固发布 </t><phoneticPr fontId="1"/></si></sst>`

// FuzzXLSX mutates the worksheet XML and the shared-string table inside a valid workbook and
// checks every input against excelize's reading of the same file (compareWithExcelize).
func FuzzXLSX(f *testing.F) {
	for _, s := range fuzzSeedSheets {
		f.Add([]byte(s), []byte(fuzzSeedSST))
	}
	f.Add([]byte(fuzzSeedSheets[0]), []byte(`<sst `+nsMain+`><si><t>a</t></si></sst>`))
	f.Add([]byte(fuzzSeedSheets[0]), []byte(`<sst `+nsMain+`><si><t>a`))
	f.Add([]byte(`<worksheet><sheetData><row r="3"><c r="A3"><v>1</v></c></row><row r="2"><c r="A2"><v>2</v></c></row></sheetData></worksheet>`), []byte(fuzzSeedSST))
	f.Add([]byte(`<worksheet><sheetData><row r="1"><c r="B1"><v>1</v></c><c r="A1"><v>2</v></c></row></sheetData></worksheet>`), []byte(fuzzSeedSST))
	f.Add([]byte("<worksheet><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>a\x1bb</t></is></c></row></sheetData></worksheet>"), []byte(fuzzSeedSST))
	f.Add([]byte(`<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>99</v></c></row></sheetData></worksheet>`), []byte(fuzzSeedSST))
	f.Fuzz(func(t *testing.T, sheetXML, sstXML []byte) {
		p := filepath.Join(t.TempDir(), "f.xlsx")
		if err := os.WriteFile(p, fuzzWorkbook(t, sheetXML, sstXML), 0o644); err != nil {
			t.Fatal(err)
		}
		compareWithExcelize(t, p)
	})
}

// The seeds and the generated registries agree with excelize cell for cell (this is the
// property FuzzXLSX explores; here it runs on files every writer makes).
func TestAgreesWithExcelize(t *testing.T) {
	dir := t.TempDir()
	for name, write := range map[string]func(string) error{
		"inline (StreamWriter)": func(p string) error { return sheettestRegistryXLSX(p, 500) },
		"shared strings":        func(p string) error { return sheettestWriteXLSX(p, 300) },
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name+".xlsx")
			if err := write(p); err != nil {
				t.Fatal(err)
			}
			rows, err := ourRows(p)
			if err != nil || len(rows) < 100 {
				t.Fatalf("%d rows, %v", len(rows), err)
			}
			compareWithExcelize(t, p)
		})
	}
	for i, s := range fuzzSeedSheets {
		p := filepath.Join(dir, fmt.Sprintf("seed%d.xlsx", i))
		if err := os.WriteFile(p, fuzzWorkbook(t, []byte(s), []byte(fuzzSeedSST)), 0o644); err != nil {
			t.Fatal(err)
		}
		if rows, err := ourRows(p); err != nil && !errors.Is(err, sheet.ErrEmpty) {
			t.Errorf("seed %d: %v (rows %s)", i, err, rowsText(rows))
		}
		t.Run(fmt.Sprint("seed", i), func(t *testing.T) { compareWithExcelize(t, p) })
	}
}
