package sample

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/width"

	"github.com/nmaudit/nmaudit/audit/report"
)

// The words the sample files print, in one place.
const (
	SheetSample = "抽样名单"
	SheetPlan   = "抽样方案"

	// CSVPlanPrefix starts the first record of a CSV sample. The record is one CSV field, quoted
	// as CSV requires (the JSON holds commas and quotes), so spreadsheet programs and nmaudit's
	// own reader see a single cell "# plan: {…}" above the header — a row the target-list
	// reader skips, as it skips any title row without the required columns.
	CSVPlanPrefix = "# plan: "

	planItem     = "项目"
	planValue    = "内容"
	planSeed     = "随机种子"
	planRegistry = "信息报送系统导出"
	planSHA      = "文件SHA-256"
	planBy       = "分层依据"
	planMethod   = "抽样方法"
	planJSON     = "方案(JSON)"
	planTotal    = "合计"
	colRequested = "抽取要求"
	colAvailable = "可抽账号数"
	colDrawn     = "抽取数"
	methodText   = "已注销、注销中账号不参与抽样；各分层按信息报送系统行号排列候选账号，以随机种子和分层名称生成PCG随机数，部分Fisher–Yates洗牌抽取，抽中账号按系统顺序列出。同一导出文件、方案和种子必得同一结果。"
)

// byLabels name the strata column of the plan sheet.
var byLabels = map[By]string{ByLevel: "层级", ByRegion: "所属地区", ByPlatform: "平台"}

// planRecord is the plan as recorded in the CSV comment and the plan sheet.
type planRecord struct {
	Seed           uint64          `json:"seed"`
	Registry       string          `json:"registry"`
	RegistrySHA256 string          `json:"registry_sha256"`
	By             By              `json:"by"`
	Strata         []StratumResult `json:"strata"`
	Drawn          int             `json:"drawn"`
}

// PlanJSON is the plan, seed and registry digest as one line of JSON.
func (s *Sample) PlanJSON() string {
	rec := planRecord{Seed: s.Seed, Registry: s.RegistryFile, RegistrySHA256: s.RegistrySHA256, By: s.By,
		Strata: s.Strata, Drawn: s.Total()}
	if rec.Strata == nil {
		rec.Strata = []StratumResult{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(rec) // plain strings and numbers: cannot fail
	return string(bytes.TrimSpace(b.Bytes()))
}

// WriteCSV writes the sample through report.CSVWriter, like every nmaudit CSV (UTF-8 with a BOM,
// CRLF line ends, cells defused against formula injection — a registry cell is someone else's
// text): the "# plan: {…}" record, the registry's header, the drawn rows.
func (s *Sample) WriteCSV(w io.Writer) error {
	cw, err := report.NewCSVWriter(w)
	if err != nil {
		return err
	}
	if err := cw.Write([]string{CSVPlanPrefix + s.PlanJSON()}); err != nil {
		return err
	}
	if err := cw.Write(s.Header); err != nil {
		return err
	}
	for _, r := range s.Rows {
		if err := cw.Write(r.Cells); err != nil {
			return err
		}
	}
	return cw.Flush()
}

// WriteXLSX writes the workbook: sheet 抽样名单 (the registry's header and the drawn rows, every
// cell as text so ids keep their digits) and sheet 抽样方案 (seed, registry and digest, method,
// and per stratum what was asked, available and drawn).
func (s *Sample) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	bold, err := f.NewStyle(&excelize.Style{
		Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
	})
	if err != nil {
		return err
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	if err := f.SetSheetName(f.GetSheetName(0), SheetSample); err != nil {
		return err
	}
	rows := make([][]string, 0, len(s.Rows)+1)
	rows = append(rows, s.Header)
	for _, r := range s.Rows {
		rows = append(rows, r.Cells)
	}
	if err := writeRows(f, SheetSample, rows, bold); err != nil {
		return err
	}
	if err := f.SetPanes(SheetSample, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}

	if _, err := f.NewSheet(SheetPlan); err != nil {
		return err
	}
	plan := [][]string{
		{planItem, planValue},
		{planSeed, strconv.FormatUint(s.Seed, 10)},
		{planRegistry, s.RegistryFile},
		{planSHA, s.RegistrySHA256},
		{planBy, byLabels[s.By] + "（" + string(s.By) + "）"},
		{planMethod, methodText},
		{planJSON, s.PlanJSON()},
	}
	if err := writeRows(f, SheetPlan, plan, bold); err != nil {
		return err
	}
	for r := 6; r <= 7; r++ {
		if err := f.SetCellStyle(SheetPlan, fmt.Sprintf("B%d", r), fmt.Sprintf("B%d", r), wrap); err != nil {
			return err
		}
	}
	// The strata table under the items, counts as numbers.
	start := len(plan) + 2
	table := [][]any{{byLabels[s.By], colRequested, colAvailable, colDrawn}}
	avail := 0
	for _, st := range s.Strata {
		table = append(table, []any{st.Name, st.Requested, st.Available, st.Drawn})
		avail += st.Available
	}
	table = append(table, []any{planTotal, "", avail, s.Total()})
	for i, row := range table {
		cell, _ := excelize.CoordinatesToCellName(1, start+i)
		if err := f.SetSheetRow(SheetPlan, cell, &row); err != nil {
			return err
		}
	}
	first, _ := excelize.CoordinatesToCellName(1, start)
	last, _ := excelize.CoordinatesToCellName(4, start)
	if err := f.SetCellStyle(SheetPlan, first, last, bold); err != nil {
		return err
	}
	if err := f.SetColWidth(SheetPlan, "A", "A", 24); err != nil {
		return err
	}
	if err := f.SetColWidth(SheetPlan, "B", "B", 70); err != nil {
		return err
	}
	if err := f.SetColWidth(SheetPlan, "C", "D", 12); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	_, err = f.WriteTo(w)
	return err
}

// writeRows writes rows of text from A1 with a bold first row and fits the columns.
func writeRows(f *excelize.File, sheetName string, rows [][]string, headerStyle int) error {
	var widths []int
	for i, row := range rows {
		vals := make([]any, len(row))
		for j, v := range row {
			vals[j] = v
			if j >= len(widths) {
				widths = append(widths, 0)
			}
			widths[j] = max(widths[j], textWidth(v))
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheetName, cell, &vals); err != nil {
			return err
		}
	}
	if len(rows) > 0 && len(rows[0]) > 0 {
		last, _ := excelize.CoordinatesToCellName(len(rows[0]), 1)
		if err := f.SetCellStyle(sheetName, "A1", last, headerStyle); err != nil {
			return err
		}
	}
	for j, w := range widths {
		col, _ := excelize.ColumnNumberToName(j + 1)
		if err := f.SetColWidth(sheetName, col, col, float64(min(max(w+2, 8), 60))); err != nil {
			return err
		}
	}
	return nil
}

// textWidth approximates a cell's width in Excel units: wide and full-width characters (汉字,
// （）) count two.
func textWidth(s string) int {
	w := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			w += 2
		default:
			w++
		}
	}
	return w
}
