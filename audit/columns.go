package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/nmaudit/nmaudit/audit/sheet"
)

// Field is a logical column of an input file.
type Field string

// Registry and target-list fields (design.md, "Registry export").
const (
	FieldName       Field = "name"
	FieldType       Field = "type"
	FieldOwner      Field = "owner"
	FieldSupervisor Field = "supervisor"
	FieldRegion     Field = "region"
	FieldLevel      Field = "level"
	FieldAccountID  Field = "account_id"
	FieldStatus     Field = "status"
	// Observations and findings.
	FieldLatest  Field = "latest"
	FieldLink    Field = "link"    // the URL of one post (observations)
	FieldChecker Field = "checker" // who checked (the review worksheet's 核查人)
	FieldNote    Field = "note"
	FieldProblem Field = "problem"
	FieldVeto    Field = "veto"
)

// headerAliases are the built-in header wordings per field, most specific first: when several
// columns match a field, the one matching the earlier alias wins.
var headerAliases = map[Field][]string{
	FieldName:       {"账号名称", "新媒体名称", "政务新媒体名称", "名称"},
	FieldType:       {"账号类型", "平台类型", "新媒体类型", "平台", "类型"},
	FieldOwner:      {"开设主体", "主办单位", "责任单位", "开办单位", "运营单位"},
	FieldSupervisor: {"主管单位"},
	FieldRegion:     {"所属地区", "行政区划", "地区", "所属区县"},
	FieldLevel:      {"层级", "账号层级", "主体层级", "级别"},
	FieldAccountID:  {"账号ID", "平台账号", "微信号", "原始ID", "主页地址", "账号链接", "链接"},
	FieldStatus:     {"运行状态", "账号状态", "状态"},
	FieldLatest:     {"最近更新时间", "最新更新时间", "最后更新时间", "最近发布时间"},
	FieldLink:       {"文章链接", "最新文章链接", "核查链接", "链接"},
	FieldChecker:    {"核查人"},
	FieldNote:       {"来源/备注", "来源", "备注"},
	FieldProblem:    {"问题", "存在问题", "存在的严重问题"},
	FieldVeto:       {"单项否决"},
}

// observationAliases override the built-in aliases in an observations file, where 链接 always
// means the link to a post (design.md, "Observations"): the account's id is only 账号ID there,
// so neither 链接 nor 账号链接 nor 主页地址 is read as the id. The review worksheet's 核查入口
// (a profile page or search link written by nmaudit) matches neither.
var observationAliases = map[Field][]string{
	FieldAccountID: {"账号ID"},
}

// fieldLabel is how an error names a missing field: its first alias.
func fieldLabel(f Field) string { return headerAliases[f][0] }

// headerKey normalises a header cell: NFKC (full-width → half-width), spaces removed, the
// required-field mark "*" and a trailing "(必填)" dropped, ASCII letters lower-cased.
func headerKey(s string) string {
	s = compact(s)
	s = strings.Trim(s, "*")
	for _, suffix := range []string{"(必填)", "(选填)", "(可选)"} {
		s = strings.TrimSuffix(s, suffix)
	}
	return strings.ToLower(strings.Trim(s, "*:"))
}

// Columns are extra header aliases from config (registry.columns), merged ahead of the
// built-in ones.
type Columns map[string][]string

// tableSpec says what one kind of input file holds: the fields to look for, those the header
// must have, and header wordings that differ from the built-in ones.
type tableSpec struct {
	what     string // 登记表, 目标名单, 观察记录, 检查发现: names the file kind in messages
	fields   []Field
	required []Field
	aliases  map[Field][]string
	// sheetFlag is the command-line flag that chooses this file's sheet, "" when there is none.
	sheetFlag string
}

// columnMap says which column (0-based) holds each field of one file.
type columnMap struct {
	file    string
	format  sheet.Format
	headers []string
	index   map[Field]int
	row     int // the header's row number
}

func (m columnMap) has(f Field) bool { _, ok := m.index[f]; return ok }

// get returns the trimmed cell for f in row (empty when the column is absent or the row short).
func (m columnMap) get(r sheet.Row, f Field) string {
	i, ok := m.index[f]
	if !ok || i >= len(r.Cells) {
		return ""
	}
	return strings.TrimSpace(r.Cells[i])
}

// kind returns the cell kind of f in row.
func (m columnMap) kind(r sheet.Row, f Field) sheet.CellKind {
	i, ok := m.index[f]
	if !ok {
		return sheet.CellKind{}
	}
	return r.Kind(i)
}

// cellErr builds an input error pointing at field f of row r.
func (m columnMap) cellErr(r sheet.Row, f Field, format string, args ...any) error {
	col, header := 0, ""
	if i, ok := m.index[f]; ok {
		col, header = i+1, strings.TrimSpace(m.headers[i])
	}
	return &sheet.Error{File: m.file, Row: r.Num, Col: col, Header: header, Msg: fmt.Sprintf(format, args...)}
}

// excelErrors are the error values Excel shows in a cell whose formula failed. A workbook marks
// such a cell as an error (t="e"); a CSV saved from Excel holds the same text.
var excelErrors = []string{"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!", "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#UNKNOWN!", "#CONNECT!", "#BUSY!"}

// errorCell returns an input error for the first of fields whose cell holds an Excel error value:
// such a cell means a broken formula or lookup, never an account named "#N/A" or an empty id.
func (m columnMap) errorCell(r sheet.Row, fields []Field) error {
	for _, f := range fields {
		i, ok := m.index[f]
		if !ok || i >= len(r.Cells) {
			continue
		}
		v := strings.TrimSpace(r.Cells[i])
		isErr := r.Kind(i).Type == sheet.CellError
		if !isErr && m.format != sheet.FormatXLSX && strings.HasPrefix(v, "#") {
			isErr = slices.Contains(excelErrors, strings.ToUpper(v))
		}
		if isErr {
			return m.cellErr(r, f, "单元格是 Excel 的错误值“%s”（公式或引用出错），请改成实际的%s", v, fieldLabel(f))
		}
	}
	return nil
}

// aliasesFor merges config aliases (first) with the built-in ones, or with the spec's own where
// the file kind words a field differently.
func aliasesFor(f Field, extra Columns, own map[Field][]string) []string {
	builtin := headerAliases[f]
	if a, ok := own[f]; ok {
		builtin = a
	}
	return append(append([]string(nil), extra[string(f)]...), builtin...)
}

// mapHeader matches a header row's cells against the fields' aliases and returns the fields it
// found no column for, so callers can look further down for the real header.
func mapHeader(file string, r sheet.Row, fields []Field, extra Columns, own map[Field][]string) (columnMap, []Field) {
	m := columnMap{file: file, headers: r.Cells, index: map[Field]int{}, row: r.Num}
	keys := make([]string, len(r.Cells))
	for i, c := range r.Cells {
		keys[i] = headerKey(c)
	}
	taken := map[int]bool{}
	var missing []Field
	for _, f := range fields {
		found := -1
		for _, alias := range aliasesFor(f, extra, own) {
			ak := headerKey(alias)
			for i, k := range keys {
				if k == ak && !taken[i] {
					found = i
					break
				}
			}
			if found >= 0 {
				break
			}
		}
		if found >= 0 {
			m.index[f] = found
			taken[found] = true
		} else {
			missing = append(missing, f)
		}
	}
	return m, missing
}

// maxHeaderScan is how many leading rows may hold a title above the real header row.
const maxHeaderScan = 10

// errNoHeader marks the errors of a sheet that has no header row, so that the other sheets of a
// workbook can be tried.
var errNoHeader = errors.New("audit: no header row")

// readHeader finds the header row: the first of the leading rows that has every required
// field. Exports often carry a title row ("XX市政务新媒体台账") above the header.
func readHeader(f *sheet.File, spec tableSpec, extra Columns) (columnMap, error) {
	var best columnMap
	var bestMissing []Field
	seen := false
	for n := 0; n < maxHeaderScan; n++ {
		r, err := f.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return columnMap{}, err
		}
		if blank(r) {
			continue
		}
		seen = true
		m, missing := mapHeader(f.Path(), r, spec.fields, extra, spec.aliases)
		m.format = f.Format()
		var missReq []Field
		for _, mf := range missing {
			if slices.Contains(spec.required, mf) {
				missReq = append(missReq, mf)
			}
		}
		if len(missReq) == 0 {
			f.SetHeader(r.Cells)
			return m, nil
		}
		if best.index == nil || len(missReq) < len(bestMissing) {
			best, bestMissing = m, missReq
		}
	}
	if !seen {
		return columnMap{}, &sheet.Error{File: f.Path(), Msg: "文件为空", Err: errNoHeader}
	}
	names := make([]string, len(bestMissing))
	for i, mf := range bestMissing {
		names[i] = fmt.Sprintf("%s（可用表头：%s）", fieldLabel(mf), strings.Join(aliasesFor(mf, extra, spec.aliases), "、"))
	}
	sort.Strings(names)
	return columnMap{}, &sheet.Error{File: f.Path(), Row: best.row, Err: errNoHeader, Msg: "缺少必需的列：" + strings.Join(names, "；")}
}

// openTable opens an input file and finds its header. When the file is a workbook, no sheet was
// asked for and its first sheet has no header (a 填报说明 notes sheet in front of the data), every
// other sheet is tried: the one sheet that has the header is read and named in the returned
// notice; none or several is an error naming the sheets.
func openTable(path string, opt LoadOptions, spec tableSpec) (*sheet.File, columnMap, string, error) {
	f, cols, err := openSheet(path, opt, opt.Sheet, spec)
	if err == nil || opt.Sheet != "" || !(errors.Is(err, errNoHeader) || errors.Is(err, sheet.ErrEmpty)) {
		return f, cols, "", err
	}
	sheets, lerr := sheet.SheetNames(path)
	if lerr != nil || len(sheets) < 2 {
		return nil, columnMap{}, "", err
	}
	var found []string
	var keep *sheet.File
	var keepCols columnMap
	for _, name := range sheets[1:] {
		g, gcols, gerr := openSheet(path, opt, name, spec)
		if gerr != nil {
			if isCancel(gerr) {
				closeIf(keep)
				return nil, columnMap{}, "", gerr
			}
			continue
		}
		found = append(found, name)
		if keep == nil {
			keep, keepCols = g, gcols
		} else {
			g.Close()
		}
	}
	first := sheets[0]
	base := filepath.Base(path)
	switch len(found) {
	case 1:
		notice := fmt.Sprintf("%s: 第一个工作表“%s”中没有%s的表头，已改为读取工作表“%s”", base, first, spec.what, found[0])
		return keep, keepCols, notice, nil
	case 0:
		return nil, columnMap{}, "", &sheet.Error{File: path, Err: errNoHeader,
			Msg: fmt.Sprintf("工作簿的工作表%s中都没有%s的表头（第一个工作表：%s）；%s",
				quoteNames(sheets), spec.what, headerProblem(err), pickAdvice(spec))}
	}
	closeIf(keep)
	return nil, columnMap{}, "", &sheet.Error{File: path, Err: errNoHeader,
		Msg: fmt.Sprintf("第一个工作表“%s”中没有%s的表头，而工作表%s都有，无法确定读取哪一个；%s",
			first, spec.what, quoteNames(found), pickAdvice(spec))}
}

func openSheet(path string, opt LoadOptions, name string, spec tableSpec) (*sheet.File, columnMap, error) {
	f, err := sheet.Open(path, sheet.Options{Sheet: name, Context: opt.Context, Hyperlinks: slices.Contains(spec.fields, FieldLink)})
	if err != nil {
		return nil, columnMap{}, err
	}
	cols, err := readHeader(f, spec, opt.Columns)
	if err != nil {
		f.Close()
		return nil, columnMap{}, err
	}
	return f, cols, nil
}

func closeIf(f *sheet.File) {
	if f != nil {
		f.Close()
	}
}

func isCancel(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// headerProblem is what was wrong with a sheet's header, without the file name.
func headerProblem(err error) string {
	var se *sheet.Error
	if errors.As(err, &se) {
		return se.Msg
	}
	return err.Error()
}

func pickAdvice(spec tableSpec) string {
	if spec.sheetFlag != "" {
		return "请用 " + spec.sheetFlag + " 指定要读取的工作表"
	}
	return "请把数据所在的工作表移到最前面，或删去多余的工作表"
}

func quoteNames(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "“" + n + "”"
	}
	return strings.Join(q, "、")
}

// blank reports whether every cell of r is empty.
func blank(r sheet.Row) bool {
	for _, c := range r.Cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}
