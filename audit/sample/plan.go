package sample

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/nmaudit/nmaudit/platforms/names"
)

// By is what the strata are: levels (default), regions or platforms.
type By string

// Stratification keys (design.md, "Later commands").
const (
	ByLevel    By = "level"
	ByRegion   By = "region"
	ByPlatform By = "platform"
)

// ParseBy validates a stratification key; "" means level.
func ParseBy(s string) (By, error) {
	switch By(strings.ToLower(strings.TrimSpace(s))) {
	case "", ByLevel:
		return ByLevel, nil
	case ByRegion:
		return ByRegion, nil
	case ByPlatform:
		return ByPlatform, nil
	}
	return "", fmt.Errorf("分层依据 %q 无效：应为 level（层级）、region（所属地区）或 platform（平台）", s)
}

// Plan is a sampling plan: how accounts are grouped, and how many to draw from each group.
type Plan struct {
	By     By
	Strata []Stratum // as the user listed them; Draw orders them itself
}

// Stratum is one group of the plan and its quota.
type Stratum struct {
	Name  string // as written (an alias such as 县区政府 is mapped when drawing)
	Quota Quota
	where string // for errors: "plan.yaml: line 3" or "--stratum 市级部门=89"
}

// QuotaKind says how a quota is given.
type QuotaKind int

// Quota kinds.
const (
	QuotaAll     QuotaKind = iota // every eligible account
	QuotaCount                    // exactly N
	QuotaPercent                  // P% of the eligible accounts, rounded half up, at least 1
)

// Quota is how many accounts a stratum asks for.
type Quota struct {
	Kind    QuotaKind
	N       int      // QuotaCount
	Percent *big.Rat // QuotaPercent: 15 for 15%; exact, so 12.5% of 4 is exactly 0.5 and rounds up
	Text    string   // as the user wrote it, for the record: all, 89, 15%
}

// ParseQuota reads "all" (or 全部), a whole number "89", or a percentage "15%" / "12.5%".
func ParseQuota(s string) (Quota, error) {
	t := names.Compact(s) // full-width ％ and digits become ASCII
	switch strings.ToLower(t) {
	case "all", "全部":
		return Quota{Kind: QuotaAll, Text: "all"}, nil
	case "":
		return Quota{}, errors.New("未给出数量：应为 all、整数（如 89）或百分比（如 15%）")
	}
	if p, ok := strings.CutSuffix(t, "%"); ok {
		r, ok := new(big.Rat).SetString(p)
		if !ok || strings.ContainsAny(p, "/eE") || r.Sign() <= 0 || r.Cmp(big.NewRat(100, 1)) > 0 {
			return Quota{}, fmt.Errorf("数量 %q：百分比应大于 0%% 且不超过 100%%", s)
		}
		return Quota{Kind: QuotaPercent, Percent: r, Text: t}, nil
	}
	n, err := strconv.Atoi(t)
	if err != nil || n < 0 {
		return Quota{}, fmt.Errorf("数量 %q 无效：应为 all、整数（如 89）或百分比（如 15%%）", s)
	}
	return Quota{Kind: QuotaCount, N: n, Text: strconv.Itoa(n)}, nil
}

// count is how many accounts the quota draws from a stratum of available accounts. A
// percentage rounds half up (四舍五入) and is at least 1 when the stratum is not empty; the
// caller checks a count against what is available.
func (q Quota) count(available int) int {
	switch q.Kind {
	case QuotaAll:
		return available
	case QuotaCount:
		return q.N
	}
	if available == 0 {
		return 0
	}
	// floor(P × available / 100 + 1/2), exactly.
	x := new(big.Rat).Mul(q.Percent, big.NewRat(int64(available), 100))
	x.Add(x, big.NewRat(1, 2))
	n := new(big.Int).Quo(x.Num(), x.Denom()) // both positive: Quo truncates = floor
	return max(int(n.Int64()), 1)
}

// PlanError is a problem with the plan or with what it asks of the registry: bad syntax, an
// unknown stratum, a stratum asking for more accounts than it has. Commands treat it as bad
// input (exit 2).
type PlanError struct {
	Where string // "plan.yaml: 第3行", "--stratum 市级部门=90", or "" for the plan as a whole
	Msg   string
	err   error // the cause, when there is one to match with errors.Is
}

func (e *PlanError) Unwrap() error { return e.err }

func (e *PlanError) Error() string {
	if e.Where == "" {
		return "抽样方案: " + e.Msg
	}
	return e.Where + ": " + e.Msg
}

// planFile is the YAML plan (design.md):
//
//	by: level            # or region, platform
//	strata: {市级政府: all, 县(区)政府: all, 市级部门: 89, 县(区)部门及镇(街道): 15%}
type planFile struct {
	By     string    `yaml:"by"`
	Strata yaml.Node `yaml:"strata"`
}

// LoadPlan reads a YAML plan file. Unknown keys are errors (a misspelt "strata" must not
// silently give an empty plan); every problem names the file and line.
func LoadPlan(path string) (Plan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		msg := "无法读取: " + errors.Unwrap(err).Error()
		if errors.Is(err, fs.ErrNotExist) {
			msg = "文件不存在"
		}
		return Plan{}, &PlanError{Where: path, Msg: msg}
	}
	return ParsePlan(path, data)
}

// ParsePlan parses a YAML plan; name labels errors.
func ParsePlan(name string, data []byte) (Plan, error) {
	var pf planFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&pf); err != nil {
		return Plan{}, &PlanError{Where: name, Msg: yamlMessage(err)}
	}
	by, err := ParseBy(pf.By)
	if err != nil {
		return Plan{}, &PlanError{Where: name, Msg: err.Error()}
	}
	p := Plan{By: by}
	n := &pf.Strata
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		line := ""
		if n.Line > 0 {
			line = fmt.Sprintf(": 第%d行", n.Line)
		}
		return Plan{}, &PlanError{Where: name + line, Msg: "strata 应把每个分层对应到抽取数量，如 strata: {市级政府: all, 市级部门: 89, 县(区)部门及镇(街道): 15%}"}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		where := fmt.Sprintf("%s: 第%d行", name, k.Line)
		if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
			return Plan{}, &PlanError{Where: where, Msg: fmt.Sprintf("分层 %s: 应为 all、数量或百分比", k.Value)}
		}
		q, err := ParseQuota(v.Value)
		if err != nil {
			return Plan{}, &PlanError{Where: where, Msg: fmt.Sprintf("分层 %s: %v", k.Value, err)}
		}
		p.Strata = append(p.Strata, Stratum{Name: strings.TrimSpace(k.Value), Quota: q, where: where})
	}
	return p, nil
}

// ParseStratumFlag reads one --stratum NAME=QUOTA flag value.
func ParseStratumFlag(s string) (Stratum, error) {
	where := "--stratum " + s
	name, spec, ok := strings.Cut(s, "=")
	if !ok {
		// A full-width ＝ typed with a Chinese input method.
		name, spec, ok = strings.Cut(s, "＝")
	}
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return Stratum{}, &PlanError{Where: where, Msg: "应为 NAME=QUOTA（分层=数量），如 市级部门=89、县(区)部门及镇(街道)=15% 或 市级政府=all"}
	}
	q, err := ParseQuota(spec)
	if err != nil {
		return Stratum{}, &PlanError{Where: where, Msg: err.Error()}
	}
	return Stratum{Name: name, Quota: q, where: where}, nil
}

// unknownPlanKey matches yaml.v3's KnownFields complaint, "line 2: field strats not found in
// type sample.planFile", which names a Go type the user never wrote.
var unknownPlanKey = regexp.MustCompile(`line (\d+): field (.+) not found in type \S+`)

// yamlMessage words a YAML error of a plan file for the user: an unknown key says which keys a
// plan has; other errors keep yaml's own description after the line number.
func yamlMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := unknownPlanKey.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("第%s行: 未知项 %s（抽样方案只有 by 和 strata 两项）", m[1], m[2])
	}
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, tail, ok := strings.Cut(rest, ": "); ok {
			return "第" + n + "行: " + tail
		}
	}
	return msg
}
