package sheet

import (
	"strconv"
	"strings"
)

// excelize decodes a few parts of a cell's content into typed Go structs (the run properties of
// rich text, phonetic runs, a formula's flags) and fails on, or silently drops the value of, a
// cell whose attribute there does not parse. This reader ignores formatting, but it refuses what
// excelize failed on, so that it never reads a value excelize would not have: the attributes and
// their types below are excelize's (xlsxSST, xlsxRPr, xlsxColor, xlsxPhoneticRun, xlsxPhoneticPr, xlsxF),
// parsed as encoding/xml parses them. Excel itself never writes them malformed.

type attrType uint8

const (
	attrInt attrType = iota + 1
	attrUint32
	attrFloat
	attrBool
)

var (
	// rPrVal types the val attribute of a run property, by the property element's name.
	rPrVal = map[string]attrType{"charset": attrInt, "family": attrInt, "b": attrBool, "i": attrBool,
		"strike": attrBool, "outline": attrBool, "shadow": attrBool, "condense": attrBool, "extend": attrBool, "sz": attrFloat}
	colorAttrs      = map[string]attrType{"auto": attrBool, "indexed": attrInt, "theme": attrInt, "tint": attrFloat}
	phoneticRun     = map[string]attrType{"sb": attrUint32, "eb": attrUint32}
	phoneticPrAttrs = map[string]attrType{"fontId": attrInt}
	sstAttrs        = map[string]attrType{"count": attrInt, "uniqueCount": attrInt}
	formulaAttrs    = map[string]attrType{"aca": attrBool, "dt2D": attrBool, "dtr": attrBool, "del1": attrBool,
		"del2": attrBool, "ca": attrBool, "si": attrInt, "bx": attrBool}
)

// checkTyped checks the current tag's attributes named in types, the way encoding/xml parses
// them into a field of that type (an empty value is the zero value).
func (s *xmlScanner) checkTyped(types map[string]attrType) error {
	for _, a := range s.attrs {
		t, ok := types[string(localName(a.name))]
		if !ok || len(a.value) == 0 {
			continue
		}
		v := strings.TrimSpace(string(a.value))
		var err error
		switch t {
		case attrInt:
			_, err = strconv.ParseInt(v, 10, 64)
		case attrUint32:
			_, err = strconv.ParseUint(v, 10, 32)
		case attrFloat:
			_, err = strconv.ParseFloat(v, 64)
		case attrBool:
			_, err = strconv.ParseBool(v)
		}
		if err != nil {
			return s.syntax("<%s> 的属性 %s=%q 无效", s.name, a.name, a.value)
		}
	}
	return nil
}

// checkRunProperties checks the <rPr> whose start tag was just scanned: each property's val,
// and a colour's attributes.
func (s *xmlScanner) checkRunProperties() error {
	if s.selfClosing {
		return nil
	}
	depth := s.depth()
	for {
		tok, err := s.next()
		if err != nil {
			return err
		}
		if tok == tokEnd {
			if s.depth() < depth {
				return nil
			}
			continue
		}
		local := string(localName(s.name))
		if local == "color" {
			err = s.checkTyped(colorAttrs)
		} else if t, ok := rPrVal[local]; ok {
			err = s.checkTyped(map[string]attrType{"val": t})
		}
		if err != nil {
			return err
		}
		if err := s.skip(); err != nil {
			return err
		}
	}
}
