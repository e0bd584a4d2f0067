package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Unknown keys. Viper ignores a key it has no use for, so `windw: 10d` or `cokie: SUB=…` used
// to change nothing and say nothing: the run went ahead with the default window, or without the
// cookie, and the user blamed the platform. The file is therefore read a second time as a YAML
// tree and every key is checked against the settings the Config struct declares; each unknown
// one becomes a warning naming the file, the key and the nearest known key.

// schema is the tree of settings, derived from Config's mapstructure tags so that a field added
// to Config (or to an adapter's Config) is known without a second list to keep in step.
type schema struct {
	fields map[string]*schema // a section's settings
	free   bool               // a map: any key below is the user's own (registry.columns.name)
	elem   *schema            // a list of sections: each element (platforms.wechat.apps[0])
	typ    reflect.Type       // the Go type of the setting
}

// rootSchema and allKeys are computed once from the Config type and never change.
var (
	rootSchema = schemaOf(reflect.TypeOf(Config{}))
	allKeys    = keysOf("", rootSchema)
)

func keysOf(prefix string, s *schema) []string {
	var keys []string
	for name, f := range s.fields {
		key := join(prefix, name)
		keys = append(keys, key)
		if f.fields != nil {
			keys = append(keys, keysOf(key, f)...)
		}
	}
	slices.Sort(keys)
	return keys
}

func settings() *schema { return rootSchema }

// knownKeys lists every setting's full key (sections included), sorted.
func knownKeys() []string { return allKeys }

// KnownKeys lists every setting nmaudit reads, as full dotted keys (sections included), sorted:
// what the unknown-key warning compares against.
func KnownKeys() []string { return slices.Clone(allKeys) }

func schemaOf(t reflect.Type) *schema {
	switch {
	case isSection(t):
		s := &schema{fields: map[string]*schema{}, typ: t}
		addFields(s, t)
		return s
	case t.Kind() == reflect.Map:
		return &schema{free: true, typ: t}
	case t.Kind() == reflect.Slice && isSection(t.Elem()):
		return &schema{elem: schemaOf(t.Elem()), typ: t}
	}
	return &schema{typ: t}
}

// typeOf is the Go type of the setting key (platforms.weibo.timeout → time.Duration), nil when
// key is not a setting.
func typeOf(key string) reflect.Type {
	s := rootSchema
	for _, part := range strings.Split(key, ".") {
		if s.elem != nil {
			s = s.elem // apps[0] is not split on ".", but an element's fields are
		}
		f, ok := s.fields[part]
		if !ok {
			return nil
		}
		s = f
	}
	return s.typ
}

func addFields(s *schema, t reflect.Type) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, squash, skip := fieldKey(f)
		if skip || f.Type.Kind() == reflect.Func || f.Type.Kind() == reflect.Pointer {
			continue
		}
		if squash {
			addFields(s, f.Type)
			continue
		}
		s.fields[name] = schemaOf(f.Type)
	}
}

// scanFile reads the file's YAML tree and returns every key path it sets (lower-case, as viper
// compares keys; sections and map entries included) and a warning per unknown key.
func scanFile(file string, data []byte) (map[string]bool, []string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, nil, &Error{File: file, Msg: "不是有效的 YAML（" + yamlLine(err) + "）"}
	}
	set := map[string]bool{}
	if len(doc.Content) == 0 {
		return set, nil, nil // an empty file, or only comments
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		if top.Kind == yaml.ScalarNode && top.Tag == "!!null" {
			return set, nil, nil
		}
		return nil, nil, &Error{File: file, Msg: fmt.Sprintf("第%d行: 应为“设置: 值”的列表（如 window: 14d）", top.Line)}
	}
	var warnings []string
	var walk func(path string, n *yaml.Node, s *schema)
	walk = func(path string, n *yaml.Node, s *schema) {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			name := strings.ToLower(strings.TrimSpace(k.Value))
			key := join(path, name)
			set[key] = true
			if s.free {
				continue
			}
			// Viper takes a dotted key (platforms.weibo.rate: 0.25) as the nested one, so it is
			// checked segment by segment.
			f, at, bad := s, path, ""
			for _, part := range strings.Split(name, ".") {
				if f.free {
					break
				}
				next, found := f.fields[part]
				if !found {
					bad = part
					break
				}
				at = join(at, part)
				set[at] = true
				f = next
			}
			if bad != "" {
				warnings = append(warnings, unknownKeyWarning(file, join(path, strings.TrimSpace(k.Value)), suggest(at, bad, f)))
				continue
			}
			switch {
			case f.fields != nil && v.Kind == yaml.MappingNode:
				walk(key, v, f)
			case f.free && v.Kind == yaml.MappingNode:
				for j := 0; j+1 < len(v.Content); j += 2 {
					set[join(key, strings.ToLower(v.Content[j].Value))] = true
				}
			case f.elem != nil && v.Kind == yaml.SequenceNode:
				for j, item := range v.Content {
					if item.Kind == yaml.MappingNode {
						walk(fmt.Sprintf("%s[%d]", key, j), item, f.elem)
					}
				}
			}
		}
	}
	walk("", top, settings())
	return set, warnings, nil
}

// unknownKeyWarning words the warning about the unknown key full, with the known key the user
// probably meant (hint, "" when none is near): 注意 is added by the command that prints it.
//
//	nmaudit.yaml: 未知设置 windw（是否为 window？）
//	nmaudit.yaml: 未知设置 platforms.weibo.cokie（是否为 platforms.weibo.cookie？）
func unknownKeyWarning(file, full, hint string) string {
	if hint != "" {
		return fmt.Sprintf("%s: 未知设置 %s（是否为 %s？）", file, full, hint)
	}
	return fmt.Sprintf("%s: 未知设置 %s（已忽略）", file, full)
}

// suggest finds the known key the user most likely meant: the nearest sibling by edit
// distance, else the same name in another section (a cookie: written at the top level).
func suggest(path, key string, s *schema) string {
	best, bestD := "", -1
	names := make([]string, 0, len(s.fields))
	for n := range s.fields {
		names = append(names, n)
	}
	slices.Sort(names) // ties go to the same key every run
	for _, n := range names {
		if d := editDistance(key, n); bestD < 0 || d < bestD {
			best, bestD = n, d
		}
	}
	if best != "" && bestD <= maxTypo(key) {
		return join(path, best)
	}
	// The same name elsewhere: rate under platforms means one of three sections.
	var elsewhere []string
	for _, k := range knownKeys() {
		if k == key || strings.HasSuffix(k, "."+key) {
			elsewhere = append(elsewhere, k)
		}
	}
	if len(elsewhere) > 0 && len(elsewhere) <= 3 {
		return strings.Join(elsewhere, " 或 ")
	}
	return ""
}

// maxTypo is the edit distance still taken for a typo of key: one slip in a short key, more
// in a long one, never so many that an unrelated key is offered.
func maxTypo(key string) int {
	n := utf8.RuneCountInString(key)
	return min(max(1, n/3), 3)
}

// editDistance is the optimal-string-alignment distance: insertions, deletions, substitutions
// and transpositions of neighbours (widnow → window is one slip, not two), over runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// yamlLine is a YAML parse error with its "line N:" said in Chinese: yaml: line 3: did not find
// expected key → 第3行: did not find expected key.
func yamlLine(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, tail, ok := strings.Cut(rest, ": "); ok {
			return "第" + n + "行: " + tail
		}
	}
	return msg
}
