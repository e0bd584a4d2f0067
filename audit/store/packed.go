package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/audit/internal/jsonq"
	"github.com/nmaudit/nmaudit/platforms"
)

// A verdict is stored as its status and one JSON array of its other fields (schema step 4),
// in verdictFields order: strings as JSON strings, the registry row and the two times
// (microseconds since 1970 UTC) as integers, the problems and the evidence as the JSON arrays
// appendProblems and appendEvidence write, null for an absent value (a raw id equal to the
// parsed one, no post time, no problems, no evidence). The migration builds the same arrays
// with the engines' own JSON functions (SQLite's json_array, Postgres's json_build_array),
// which space and escape differently, so unpackVerdict reads any valid JSON array.

// packVerdict appends the JSON array of v's fields (all but its status) to b.
func packVerdict(b []byte, v *audit.Verdict, decidedAt time.Time) ([]byte, error) {
	str := func(s string) { b = jsonq.AppendString(append(b, ','), s, false) }
	b = append(b, '[')
	b = strconv.AppendInt(b, int64(v.Row), 10)
	str(v.Name)
	str(v.Type)
	str(string(v.Platform))
	str(string(v.IDKind))
	str(v.ID)
	if v.RawID != v.ID {
		str(v.RawID)
	} else {
		b = append(b, ",null"...)
	}
	str(v.Owner)
	str(v.Supervisor)
	str(v.Region)
	str(v.Level)
	str(v.RegistryStatus)
	str(string(v.Lifecycle))
	b = append(b, ',')
	if len(v.Problems) > 0 {
		b = appendProblems(b, v.Problems)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, ',')
	if v.LatestPostAt != nil && !v.LatestPostAt.IsZero() {
		b = strconv.AppendInt(b, v.LatestPostAt.UnixMicro(), 10)
	} else {
		b = append(b, "null"...)
	}
	str(v.Source)
	str(v.Detail)
	b = strconv.AppendInt(append(b, ','), decidedAt.UnixMicro(), 10)
	b = append(b, ',')
	if v.Evidence != nil {
		var err error
		if b, err = appendEvidence(b, v.Evidence); err != nil {
			return nil, err
		}
	} else {
		b = append(b, "null"...)
	}
	str(v.Review.Code)
	str(v.Review.Label)
	return append(b, ']'), nil
}

// unpackVerdict reads what packVerdict (or a migration) wrote into v, and returns the time the
// verdict was decided. v's Status is left as it is: it has its own column.
func unpackVerdict(data []byte, v *audit.Verdict) (decidedAt time.Time, err error) {
	r := arrayReader{b: data}
	if err := r.open(); err != nil {
		return time.Time{}, err
	}
	var platform, idKind, lifecycle string
	row := r.integer()
	v.Name = r.str()
	v.Type = r.str()
	platform = r.str()
	idKind = r.str()
	v.ID = r.str()
	rawID := r.optStr()
	v.Owner = r.str()
	v.Supervisor = r.str()
	v.Region = r.str()
	v.Level = r.str()
	v.RegistryStatus = r.str()
	lifecycle = r.str()
	problems := r.raw()
	latest := r.integer()
	v.Source = r.str()
	v.Detail = r.str()
	decided := r.integer()
	evidence := r.raw()
	v.Review.Code = r.str()
	v.Review.Label = r.str()
	if r.err != nil {
		return time.Time{}, fmt.Errorf("判定结果第 %d 项（%s）：%w", r.failAt+1, verdictFields[min(r.failAt, len(verdictFields)-1)], r.err)
	}
	if err := r.close(); err != nil {
		return time.Time{}, err
	}
	if row == nil || decided == nil {
		return time.Time{}, errors.New("判定结果缺少登记表行号或判定时间")
	}
	v.Row = int(*row)
	v.Platform, v.IDKind, v.Lifecycle = platforms.Platform(platform), platforms.IDKind(idKind), audit.Lifecycle(lifecycle)
	v.RawID = v.ID
	if rawID != nil {
		v.RawID = *rawID
	}
	v.Problems = []string{}
	if problems != nil {
		if err := json.Unmarshal(problems, &v.Problems); err != nil {
			return time.Time{}, fmt.Errorf("判定结果的问题：%w", err)
		}
	}
	v.LatestPostAt = nil
	if latest != nil {
		t := time.UnixMicro(*latest).UTC()
		v.LatestPostAt = &t
	}
	v.Evidence = nil
	if evidence != nil {
		if v.Evidence, err = decodeEvidence(evidence); err != nil {
			return time.Time{}, fmt.Errorf("判定结果的证据：%w", err)
		}
	}
	return time.UnixMicro(*decided).UTC(), nil
}

// arrayReader reads the elements of one JSON array in order. It finds each element's extent
// itself (strings, numbers, literals, nested arrays and objects) and leaves the decoding of
// strings with escapes and of nested values to encoding/json, so it accepts exactly what a
// JSON parser accepts at the positions it reads. The first problem sticks in err.
type arrayReader struct {
	b      []byte
	i      int
	n      int // elements begun
	err    error
	failAt int // the element err is about
}

// fail keeps err for the element being found, bad for the one just read.
func (r *arrayReader) fail(err error) {
	if r.err == nil {
		r.err, r.failAt = err, r.n
	}
}

func (r *arrayReader) bad(err error) {
	if r.err == nil {
		r.err, r.failAt = err, r.n-1
	}
}

var (
	errNotArray = errors.New("不是 JSON 数组")
	errTooFew   = errors.New("项数不足")
)

func (r *arrayReader) ws() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

func (r *arrayReader) open() error {
	r.ws()
	if r.i >= len(r.b) || r.b[r.i] != '[' {
		return errNotArray
	}
	r.i++
	return nil
}

// close checks the array ends after the elements read, with nothing after it.
func (r *arrayReader) close() error {
	r.ws()
	if r.i >= len(r.b) || r.b[r.i] != ']' {
		return fmt.Errorf("判定结果多于 %d 项", len(verdictFields))
	}
	r.i++
	r.ws()
	if r.i != len(r.b) {
		return errNotArray
	}
	return nil
}

// next returns the next element's bytes.
func (r *arrayReader) next() []byte {
	if r.err != nil {
		return nil
	}
	r.ws()
	if r.n > 0 {
		if r.i >= len(r.b) || r.b[r.i] != ',' {
			r.fail(errTooFew)
			return nil
		}
		r.i++
		r.ws()
	}
	start := r.i
	if r.i >= len(r.b) {
		r.fail(errTooFew)
		return nil
	}
	switch c := r.b[r.i]; {
	case c == '"':
		r.skipString()
	case c == '[' || c == '{':
		depth := 0
		for r.err == nil && r.i < len(r.b) {
			switch r.b[r.i] {
			case '"':
				r.skipString()
				continue
			case '[', '{':
				depth++
			case ']', '}':
				depth--
			}
			r.i++
			if depth == 0 {
				break
			}
		}
		if depth != 0 {
			r.fail(errNotArray)
		}
	default:
		for r.i < len(r.b) && !delimiter(r.b[r.i]) {
			r.i++
		}
	}
	if r.i == start {
		r.fail(errTooFew)
	}
	if r.err != nil {
		return nil
	}
	r.n++
	return r.b[start:r.i]
}

// delimiter reports whether c ends a number or literal.
func delimiter(c byte) bool {
	switch c {
	case ',', ']', '}', ' ', '\t', '\n', '\r':
		return true
	}
	return false
}

// skipString moves past the string starting at r.i.
func (r *arrayReader) skipString() {
	for r.i++; r.i < len(r.b); r.i++ {
		switch r.b[r.i] {
		case '\\':
			r.i++
		case '"':
			r.i++
			return
		}
	}
	r.fail(errors.New("字符串未结束"))
}

// str reads a string element.
func (r *arrayReader) str() string {
	s := r.optStr()
	if s == nil {
		if r.err == nil {
			r.bad(errors.New("应为字符串，实为 null"))
		}
		return ""
	}
	return *s
}

// optStr reads a string element or null (nil).
func (r *arrayReader) optStr() *string {
	e := r.next()
	if r.err != nil || string(e) == "null" {
		return nil
	}
	if len(e) < 2 || e[0] != '"' {
		r.bad(errors.New("应为字符串"))
		return nil
	}
	// The common case, nothing escaped: the bytes between the quotes are the string. Anything
	// else — escapes, control characters, bytes that are not UTF-8 — is encoding/json's to read.
	if inner := e[1 : len(e)-1]; plainString(inner) {
		s := string(inner)
		return &s
	}
	var s string
	if err := json.Unmarshal(e, &s); err != nil {
		r.bad(err)
		return nil
	}
	return &s
}

// plainString reports whether b, a JSON string's content, means itself: valid UTF-8 without
// escapes or control characters.
func plainString(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c == '\\' || c == '"' {
			return false
		}
	}
	return utf8.Valid(b)
}

// integer reads an integer element, or null (nil).
func (r *arrayReader) integer() *int64 {
	e := r.next()
	if r.err != nil || string(e) == "null" {
		return nil
	}
	n, err := strconv.ParseInt(string(e), 10, 64)
	if err != nil {
		r.bad(errors.New("应为整数"))
		return nil
	}
	return &n
}

// raw reads a nested element as it is written, nil for null.
func (r *arrayReader) raw() []byte {
	e := r.next()
	if r.err != nil || string(e) == "null" {
		return nil
	}
	return e
}
