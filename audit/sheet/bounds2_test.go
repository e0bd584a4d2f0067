package sheet

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeBook writes a minimal workbook whose parts are given by name.
func writeBook(t *testing.T, parts map[string]string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/sharedStrings.xml", "xl/worksheets/sheet1.xml"} {
		body, ok := parts[name]
		if !ok {
			body = map[string]string{
				"[Content_Types].xml":        `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`,
				"_rels/.rels":                `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
				"xl/workbook.xml":            `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
				"xl/_rels/workbook.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
				"xl/sharedStrings.xml":       `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>a</t></si></sst>`,
				"xl/worksheets/sheet1.xml":   `<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>`,
			}[name]
		}
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "book.xlsx")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPartBoundsAtOpen(t *testing.T) {
	lim := defaultLimits()
	lim.sharedStrings = 10
	p := writeBook(t, map[string]string{"xl/sharedStrings.xml": `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount="999999999">` + strings.Repeat("<si><t>a</t></si>", 11) + `</sst>`})
	_, err := openWith(p, Options{}, lim)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "超过 10 条") {
		t.Errorf("too many shared strings: %v", err)
	}

	// A part whose declared size is over the bound is refused before it is inflated.
	lim = defaultLimits()
	lim.sheetPart = 1 << 10
	p = writeBook(t, map[string]string{"xl/worksheets/sheet1.xml": `<worksheet><sheetData>` + strings.Repeat(" ", 2<<10) + `</sheetData></worksheet>`})
	_, err = openWith(p, Options{}, lim)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "xl/worksheets/sheet1.xml 解压后超过") {
		t.Errorf("declared size: %v", err)
	}
	lim.metaPart = 100
	if _, err = openWith(p, Options{}, lim); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "_rels/.rels") {
		t.Errorf("relationships over the bound: %v", err)
	}
}
