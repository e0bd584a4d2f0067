package audit

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"

	"github.com/nmaudit/nmaudit/audit/sheet"
	"github.com/nmaudit/nmaudit/platforms"
)

// LoadOptions control how input files are read.
type LoadOptions struct {
	Sheet   string  // xlsx sheet name; "" = the first sheet
	Columns Columns // extra header aliases (config registry.columns)
}

// Registry is a loaded registry export (全国政务新媒体信息报送系统).
type Registry struct {
	File     string
	Accounts []Account // every non-blank data row, in file order
	// Notices name things that are kept but worth a look: unknown type labels.
	Notices []string
}

// accountChunk is how many rows loadAccounts gathers per allocation.
const accountChunk = 4096

var registryFields = []Field{FieldName, FieldType, FieldOwner, FieldSupervisor, FieldRegion, FieldLevel, FieldAccountID, FieldStatus}

// LoadRegistry reads a registry export. Every row must have a name, a type, an owner and a known
// status; the first row that does not is an input error (*sheet.Error) naming file, row and
// column. Unknown type labels are kept as platform Unknown and named in Notices.
func LoadRegistry(path string, opt LoadOptions) (*Registry, error) {
	accts, notices, err := loadAccounts(path, opt, []Field{FieldName, FieldType, FieldOwner, FieldStatus}, true)
	if err != nil {
		return nil, err
	}
	return &Registry{File: path, Accounts: accts, Notices: notices}, nil
}

// LoadTargets reads a target list (--accounts): the same columns as the registry, with name,
// type and owner required. A status column is optional (reconcile compares it when present;
// Lifecycle is "" when absent or empty).
func LoadTargets(path string, opt LoadOptions) ([]Account, []string, error) {
	return loadAccounts(path, opt, []Field{FieldName, FieldType, FieldOwner}, false)
}

func loadAccounts(path string, opt LoadOptions, required []Field, statusRequired bool) ([]Account, []string, error) {
	f, err := sheet.Open(path, sheet.Options{Sheet: opt.Sheet})
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	cols, err := readHeader(f, registryFields, required, opt.Columns)
	if err != nil {
		return nil, nil, err
	}
	// Rows are gathered in fixed-size chunks and joined once at the end: appending to one big
	// slice copies it over and over (Go grows large slices by ~1.25×), which for a 10^5-row
	// registry allocated five times the final size.
	var chunks [][]Account
	cur := make([]Account, 0, accountChunk)
	unknownTypes := map[string][]int{}
	// Type, status, level, region and owner values repeat across thousands of rows; sharing one
	// copy of each keeps a 10^5-row registry's footprint down.
	intern := map[string]string{}
	for {
		r, err := f.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		if blank(r) {
			continue
		}
		a, err := parseAccount(cols, r, required, statusRequired)
		if err != nil {
			return nil, nil, err
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
		return nil, nil, &sheet.Error{File: path, Row: cols.row, Msg: "no account rows under the header"}
	}
	return out, unknownTypeNotices(path, unknownTypes), nil
}

func parseAccount(cols columnMap, r sheet.Row, required []Field, statusRequired bool) (Account, error) {
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
			return a, cols.cellErr(r, f, "%s is empty", fieldLabel(f))
		}
	}
	if a.RegistryStatus != "" || statusRequired {
		lc, ok := ParseStatus(a.RegistryStatus)
		if !ok {
			return a, cols.cellErr(r, FieldStatus, "unknown status %q (known: 正常运行/正常/运行中, 注销中/正在注销中/正在申请办理注销/申请注销中, 已注销/注销/已关停/关停)", a.RegistryStatus)
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
