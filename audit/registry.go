package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"path/filepath"
	"slices"
	"sort"
	"sync"

	"github.com/nmaudit/nmaudit/audit/sheet"
	"github.com/nmaudit/nmaudit/platforms"
)

// LoadOptions control how input files are read.
type LoadOptions struct {
	// Sheet is the xlsx sheet to read; "" means the first sheet, or, when the first sheet has
	// no header (a notes sheet in front of the data), the one sheet that has it.
	Sheet   string
	Columns Columns // extra header aliases (config registry.columns)
	// Statuses maps status words a registry uses that nmaudit does not know to known ones
	// (config registry.statuses, e.g. {停更: 正常运行, 停用: 已关停}).
	Statuses map[string]string
	// Context, when set, stops the read soon after it is cancelled (a Ctrl-C while a large
	// registry is loaded); the error wraps the context's error.
	Context context.Context
	// Notify receives notices of LoadObservations and LoadFindings, which return none (which
	// sheet was read, rows read in a way worth a look). LoadRegistry and LoadTargets return
	// their notices instead and do not call it. Nil drops them.
	Notify func(string)
}

func (o LoadOptions) notify(msg string) {
	if o.Notify != nil && msg != "" {
		o.Notify(msg)
	}
}

// Registry is a loaded registry export (全国政务新媒体信息报送系统).
type Registry struct {
	File string
	// Sheet is the worksheet the accounts were read from ("" for a text file): the first sheet,
	// the one --sheet named, or the one sheet that had the header.
	Sheet    string
	Accounts []Account // every non-blank data row, in file order
	// Notices name things that are kept but worth a look: unknown type labels, a sheet other
	// than the first read.
	Notices []string
}

// accountChunk is how many rows loadAccounts gathers per allocation.
const accountChunk = 4096

var registryFields = []Field{FieldName, FieldType, FieldOwner, FieldSupervisor, FieldRegion, FieldLevel, FieldAccountID, FieldStatus}

// LoadRegistry reads a registry export. Every row must have a name, a type, an owner and a known
// status; the first row that does not is an input error (*sheet.Error) naming file, row and
// column. Unknown type labels are kept as platform Unknown and named in Notices.
func LoadRegistry(path string, opt LoadOptions) (*Registry, error) {
	spec := tableSpec{what: "登记表", fields: registryFields, required: []Field{FieldName, FieldType, FieldOwner, FieldStatus}, sheetFlag: "--sheet"}
	accts, sheetName, notices, err := loadAccounts(path, opt, spec, true)
	if err != nil {
		return nil, err
	}
	return &Registry{File: path, Sheet: sheetName, Accounts: accts, Notices: notices}, nil
}

// LoadTargets reads a target list (--accounts): the same columns as the registry, with name,
// type and owner required. A status column is optional (reconcile compares it when present;
// Lifecycle is "" when absent or empty).
func LoadTargets(path string, opt LoadOptions) ([]Account, []string, error) {
	spec := tableSpec{what: "目标名单", fields: registryFields, required: []Field{FieldName, FieldType, FieldOwner}}
	accts, _, notices, err := loadAccounts(path, opt, spec, false)
	return accts, notices, err
}

func loadAccounts(path string, opt LoadOptions, spec tableSpec, statusRequired bool) ([]Account, string, []string, error) {
	statuses, err := statusMap(opt.Statuses)
	if err != nil {
		return nil, "", nil, err
	}
	f, cols, sheetNotice, err := openTable(path, opt, spec)
	if err != nil {
		return nil, "", nil, err
	}
	defer f.Close()
	// Rows are gathered in fixed-size chunks and joined once at the end: appending to one big
	// slice copies it over and over (Go grows large slices by ~1.25×), which for a 10^5-row
	// registry allocated five times the final size.
	var chunks [][]Account
	cur := make([]Account, 0, accountChunk)
	unknownTypes := map[string][]int{}
	// Type, status, level, region and owner values repeat across thousands of rows; sharing one
	// copy of each keeps a 10^5-row registry's footprint down.
	intern := map[string]string{}
	batches, stop := readAhead(f)
	defer stop() // before f.Close: the reading goroutine is gone first
	for r := range rowsOf(batches) {
		if r.err != nil {
			return nil, "", nil, r.err
		}
		if blank(r.Row) {
			continue
		}
		a, err := parseAccount(cols, r.Row, spec.required, statusRequired, statuses)
		if err != nil {
			return nil, "", nil, err
		}
		for _, f := range []*string{&a.Type, &a.RegistryStatus, &a.Level, &a.Region, &a.Owner, &a.Supervisor} {
			if v, ok := intern[*f]; ok {
				*f = v
			} else {
				intern[*f] = *f
			}
		}
		if a.Platform == platforms.Unknown {
			unknownTypes[a.Type] = append(unknownTypes[a.Type], r.Num)
		}
		if len(cur) == cap(cur) {
			chunks = append(chunks, cur)
			cur = make([]Account, 0, accountChunk)
		}
		cur = append(cur, a)
	}
	chunks = append(chunks, cur)
	out := slices.Concat(chunks...)
	if len(out) == 0 {
		return nil, "", nil, &sheet.Error{File: path, Row: cols.row, Msg: "表头下面没有账号行"}
	}
	var notices []string
	if sheetNotice != "" {
		notices = append(notices, sheetNotice)
	}
	return out, f.Sheet(), append(notices, unknownTypeNotices(path, unknownTypes)...), nil
}

// readAhead reads f's rows on a goroutine of its own, a few hundred rows ahead of the caller,
// so that reading the file (decoding, scanning the sheet) and parsing its accounts use two
// cores instead of taking turns on one. The rows come in file order, in batches (a channel
// send per row would cost more than the parse); a read error comes as the last row, and the
// channel closes after io.EOF. stop, called once, ends the reading early (the caller returned
// on a bad row) and returns once the goroutine has stopped touching f.
func readAhead(f *sheet.File) (<-chan []aheadRow, func()) {
	const batch, depth = 256, 4 // TestReadAheadKeepsOrderAndStopsOnABadRow reads more than batch×(depth+1)
	batches := make(chan []aheadRow, depth)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(batches)
		for {
			b := make([]aheadRow, 0, batch)
			var err error
			for len(b) < batch {
				var r sheet.Row
				if r, err = f.Next(); err != nil {
					break
				}
				b = append(b, aheadRow{Row: r})
			}
			if err != nil && !errors.Is(err, io.EOF) {
				b = append(b, aheadRow{err: err})
			}
			select {
			case batches <- b:
			case <-done:
				return
			}
			if err != nil {
				return
			}
		}
	})
	return batches, func() {
		close(done)
		wg.Wait()
	}
}

// rowsOf yields the rows of readAhead's batches one by one.
func rowsOf(batches <-chan []aheadRow) iter.Seq[aheadRow] {
	return func(yield func(aheadRow) bool) {
		for b := range batches {
			for _, r := range b {
				if !yield(r) {
					return
				}
			}
		}
	}
}

// aheadRow is a row readAhead read, or the error that ended the reading.
type aheadRow struct {
	sheet.Row
	err error
}

// statusMap checks config registry.statuses: every word must map to a status nmaudit knows,
// since the map exists to avoid guessing. Keys are compared as ParseStatus compares labels.
func statusMap(m map[string]string) (map[string]Lifecycle, error) {
	if len(m) == 0 {
		return nil, nil
	}
	out := make(map[string]Lifecycle, len(m))
	for word, known := range m {
		lc, ok := ParseStatus(known)
		if !ok {
			return nil, fmt.Errorf("registry.statuses: “%s”对应的“%s”不是已知的运行状态（可用：%s）", word, known, knownStatuses())
		}
		out[compact(word)] = lc
	}
	return out, nil
}

// knownStatuses lists the status words for messages, grouped by class.
func knownStatuses() string {
	return "正常运行、正常、运行中；注销中、正在注销中、正在申请办理注销、申请注销中；已注销、注销、已关停、关停"
}

// accountFields are the fields whose cells an account row reads.
var accountFields = registryFields

func parseAccount(cols columnMap, r sheet.Row, required []Field, statusRequired bool, statuses map[string]Lifecycle) (Account, error) {
	if err := cols.errorCell(r, accountFields); err != nil {
		return Account{}, err
	}
	a := Account{
		Row:            r.Num,
		Name:           cols.get(r, FieldName),
		Type:           cols.get(r, FieldType),
		Owner:          cols.get(r, FieldOwner),
		Supervisor:     cols.get(r, FieldSupervisor),
		Region:         cols.get(r, FieldRegion),
		Level:          cols.get(r, FieldLevel),
		RawID:          cols.get(r, FieldAccountID),
		RegistryStatus: cols.get(r, FieldStatus),
	}
	for _, f := range required {
		if cols.get(r, f) == "" {
			return a, cols.cellErr(r, f, "%s为空", fieldLabel(f))
		}
	}
	if a.RegistryStatus != "" || statusRequired {
		lc, ok := ParseStatus(a.RegistryStatus)
		if !ok {
			lc, ok = statuses[compact(a.RegistryStatus)]
		}
		if !ok {
			return a, cols.cellErr(r, FieldStatus, "未知的运行状态“%s”（可用：%s；其他写法可在配置 registry.statuses 中对应到已知状态）", a.RegistryStatus, knownStatuses())
		}
		a.Lifecycle = lc
	}
	a.Platform, _ = ParseType(a.Type)
	kind, id, err := ParseID(a.Platform, a.RawID)
	if err != nil {
		return a, cols.cellErr(r, FieldAccountID, "%v", err)
	}
	a.IDKind, a.ID = kind, id
	return a, nil
}

func unknownTypeNotices(path string, unknown map[string][]int) []string {
	labels := make([]string, 0, len(unknown))
	for l := range unknown {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	var out []string
	for _, l := range labels {
		rows := unknown[l]
		out = append(out, fmt.Sprintf("%s: 账号类型 %q 无法识别（%s），这些账号按“%s”列为待核查", filepath.Base(path), l, rowList(rows), LabelUnsupported))
	}
	return out
}

// rowList prints row numbers compactly: "第3、7行" or "第3、7、9…等12行".
func rowList(rows []int) string {
	const show = 5
	s := "第"
	for i, r := range rows {
		if i == show {
			return fmt.Sprintf("%s…等%d行", s, len(rows))
		}
		if i > 0 {
			s += "、"
		}
		s += fmt.Sprint(r)
	}
	return s + "行"
}
