package sheet

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"unicode/utf8"
)

// Magic numbers. Content decides the format because office users rename files freely: a CSV
// saved as "名录.xlsx", an old .xls with a new extension, a web page exported "as Excel".
var (
	zipMagic      = []byte("PK\x03\x04")
	zipEmptyMagic = []byte("PK\x05\x06")
	oleMagic      = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	// An encrypted OOXML workbook is an OLE2 file with an "EncryptedPackage" stream; its
	// directory entry names are UTF-16LE.
	oleEncrypted = utf16LE("EncryptedPackage")
)

func utf16LE(s string) []byte {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r), byte(r>>8))
	}
	return b
}

func isZip(head []byte) bool {
	return bytes.HasPrefix(head, zipMagic) || bytes.HasPrefix(head, zipEmptyMagic)
}

func isOLE(head []byte) bool { return bytes.HasPrefix(head, oleMagic) }

// isWorkbookExt reports the extensions whose owner promised an OOXML package; such a file that
// is not one is refused rather than guessed at.
func isWorkbookExt(ext string) bool {
	switch ext {
	case ".xlsx", ".xlsm", ".xltx", ".xltm":
		return true
	}
	return false
}

// oleError explains an OLE2 file. Only OOXML is read, and the fix is a "save as" the user can do
// in Excel or WPS, so the message says which. The directory that names an encrypted package's
// streams is near the start of the file; only the first megabyte is searched, so a huge .xls
// is not read into memory to word an error.
func oleError(path string) *Error {
	if fh, err := os.Open(path); err == nil {
		head := make([]byte, 1<<20)
		n, _ := io.ReadFull(fh, head)
		fh.Close()
		if bytes.Contains(head[:n], oleEncrypted) {
			return &Error{File: path, Err: ErrOldXLS,
				Msg: "是设置了密码的工作簿；请在 Excel 或 WPS 中打开，取消密码后重新保存"}
		}
	}
	return &Error{File: path, Err: ErrOldXLS,
		Msg: "是旧版 Excel 97-2003 .xls 格式；请在 Excel 或 WPS 中打开，另存为 .xlsx 工作簿（Excel 工作簿）"}
}

// notWorkbookError says what a file named .xlsx actually looks like, so the user knows whether
// to rename it or re-export it.
func notWorkbookError(path, ext string, head []byte) *Error {
	var what string
	switch {
	case looksHTML(head):
		what = "它是 HTML 或 XML 文档（网页“导出为 Excel”的结果）；请在 Excel 或 WPS 中打开，另存为 .xlsx 工作簿"
	case looksText(head):
		what = "它看起来是 CSV 文本文件；如果是，请把扩展名改为 .csv"
	default:
		what = "它的内容不是电子表格（文件可能已损坏或不完整）"
	}
	return &Error{File: path, Err: ErrNotWorkbook, Msg: fmt.Sprintf("不是 %s 工作簿：%s", ext, what)}
}

// looksHTML reports whether the start of a file is markup: HTML pages and Excel 2003 XML
// spreadsheets are what web systems send when they "export to Excel".
func looksHTML(head []byte) bool {
	b := bytes.TrimPrefix(head, []byte{0xEF, 0xBB, 0xBF})
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 || b[0] != '<' {
		return false
	}
	l := bytes.ToLower(b)
	if bytes.Contains(l, []byte("<html")) || bytes.Contains(l, []byte("<table")) {
		return true
	}
	for _, tag := range []string{"<!doctype", "<?xml", "<head", "<body", "<meta"} {
		if bytes.HasPrefix(l, []byte(tag)) {
			return true
		}
	}
	return false
}

// looksText reports whether head is plausibly text in one of the encodings openText accepts.
func looksText(head []byte) bool {
	if bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}) {
		return true
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return false
	}
	// head may cut a multi-byte character at its end; judge what comes before it.
	if len(head) > utf8.UTFMax {
		head = head[:len(head)-utf8.UTFMax]
	}
	if utf8.Valid(head) {
		return true
	}
	// GBK text: mostly printable ASCII or bytes ≥ 0x81, few control characters.
	ctl := 0
	for _, c := range head {
		if c < 0x20 && c != '\t' && c != '\r' && c != '\n' {
			ctl++
		}
	}
	return ctl == 0
}
