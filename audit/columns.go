package audit

import (
	"errors"
	"fmt"
	"io"
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
	FieldNote:       {"来源/备注", "来源", "备注"},
	FieldProblem:    {"问题", "存在问题", "存在的严重问题"},
	FieldVeto:       {"单项否决"},
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

// columnMap says which column (0-based) holds each field of one file.
type columnMap struct {
	file    string
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

// cellErr builds an input error pointing at field f of row r.
func (m columnMap) cellErr(r sheet.Row, f Field, format string, args ...any) error {
	col, header := 0, ""
	if i, ok := m.index[f]; ok {
		col, header = i+1, strings.TrimSpace(m.headers[i])
	}
	return &sheet.Error{File: m.file, Row: r.Num, Col: col, Header: header, Msg: fmt.Sprintf(format, args...)}
}

// aliasesFor merges config aliases (first) with the built-in ones.
func aliasesFor(f Field, extra Columns) []string {
	return append(append([]string(nil), extra[string(f)]...), headerAliases[f]...)
}

// mapHeader matches a header row's cells against the fields' aliases. It reports ok=false
// when a required field has no column, so callers can look further down for the real header.
func mapHeader(file string, r sheet.Row, fields []Field, extra Columns) (columnMap, []Field) {
	m := columnMap{file: file, headers: r.Cells, index: map[Field]int{}, row: r.Num}
	keys := make([]string, len(r.Cells))
	for i, c := range r.Cells {
		keys[i] = headerKey(c)
	}
	taken := map[int]bool{}
	var missing []Field
	for _, f := range fields {
		found := -1
		for _, alias := range aliasesFor(f, extra) {
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

// readHeader finds the header row: the first of the leading rows that has every required
// field. Exports often carry a title row ("XX市政务新媒体台账") above the header.
func readHeader(f *sheet.File, fields, required []Field, extra Columns) (columnMap, error) {
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
		m, missing := mapHeader(f.Path(), r, fields, extra)
		var missReq []Field
		for _, mf := range missing {
			if slices.Contains(required, mf) {
				missReq = append(missReq, mf)
			}
		}
		if len(missReq) == 0 {
			return m, nil
		}
		if best.index == nil || len(missReq) < len(bestMissing) {
			best, bestMissing = m, missReq
		}
	}
	if !seen {
		return columnMap{}, &sheet.Error{File: f.Path(), Msg: "file is empty"}
	}
	if best.index == nil {
		return columnMap{}, &sheet.Error{File: f.Path(), Msg: "file has no header row"}
	}
	names := make([]string, len(bestMissing))
	for i, mf := range bestMissing {
		names[i] = fmt.Sprintf("%s（可用表头：%s）", fieldLabel(mf), strings.Join(aliasesFor(mf, extra), "、"))
	}
	sort.Strings(names)
	return columnMap{}, &sheet.Error{File: f.Path(), Row: best.row, Msg: "missing required column " + strings.Join(names, "; ")}
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
