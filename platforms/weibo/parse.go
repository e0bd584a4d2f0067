package weibo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nmaudit/nmaudit/platforms"
)

// The response shapes, limited to the fields the contract reads (platforms.md Part 1, and the
// sample in Part 2 §2a). retweeted_status is kept raw, never parsed: a repost counts at its own
// created_at, so the original's time can neither be used nor break parsing; only its presence
// matters (count_reposts: false leaves reposts out).
type envelope struct {
	OK   *flexInt        `json:"ok"`
	Msg  flexString      `json:"msg"`
	URL  flexString      `json:"url"`
	Data json.RawMessage `json:"data"`
}

type cardList struct {
	// CardlistInfo says how to get the next page. Its members are kept raw: real answers give
	// since_id and page as numbers or strings (and null), and a marker in any other form must be
	// recognised as unknown rather than read as "no more pages".
	CardlistInfo struct {
		SinceID json.RawMessage `json:"since_id"`
		Page    json.RawMessage `json:"page"`
		Total   json.RawMessage `json:"total"`
	} `json:"cardlistInfo"`
	Cards []card `json:"cards"`
}

type card struct {
	CardType      flexInt    `json:"card_type"`
	ItemID        flexString `json:"itemid"`
	ProfileTypeID flexString `json:"profile_type_id"`
	Mblog         *mblog     `json:"mblog"`
	CardGroup     []card     `json:"card_group"`
}

type mblog struct {
	CreatedAt string     `json:"created_at"`
	ID        flexString `json:"id"`
	BID       flexString `json:"bid"`
	IsTop     flexInt    `json:"isTop"`
	MblogType flexInt    `json:"mblogtype"`
	Title     *struct {
		Text string `json:"text"`
	} `json:"title"`
	Text      string          `json:"text"`
	Retweeted json.RawMessage `json:"retweeted_status"`
}

// isRepost reports whether the post reposts another.
func (m *mblog) isRepost() bool {
	r := bytes.TrimSpace(m.Retweeted)
	return len(r) > 0 && !bytes.Equal(r, []byte("null"))
}

const (
	cardPost  = 9
	cardGroup = 11
	// maxDepth bounds card_group nesting; the real API nests one level.
	maxDepth = 4
)

// page is what one response contributes: its posts, how many post cards it held (reposts left
// out by count_reposts: false included), the way to the next page, and the account's post count
// when the answer gives one.
type page struct {
	posts []platforms.Post
	cards int
	next  cursor
	total int // -1: not given
}

// cursor is the way to the next page (platforms.md Part 1, "The next page"): since_id, or the
// next page's number when there is no since_id. The zero cursor means the page gave neither.
type cursor struct {
	sinceID string
	page    int
}

func (c cursor) none() bool { return c.sinceID == "" && c.page == 0 }

func (c cursor) String() string {
	if c.sinceID != "" {
		return "since_id=" + c.sinceID
	}
	return "page=" + strconv.Itoa(c.page)
}

var utf8BOM = []byte("\xef\xbb\xbf")

// parsePage reads one getIndex response body (already known to be HTTP 2xx). Relative created_at
// values resolve against fetched. Any body that is not a readable list of posts is a Fault.
func parsePage(body []byte, fetched time.Time, skipReposts bool) (page, *platforms.Fault) {
	b := bytes.TrimSpace(bytes.TrimPrefix(body, utf8BOM))
	if len(b) == 0 || b[0] != '{' {
		// Weibo's blocks and error pages are HTML with status 200; never read them as a list.
		return page{}, platforms.Faultf(platforms.ReasonBadResponse, "响应不是 JSON（开头：%s）", snippet(b))
	}
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return page{}, platforms.Faultf(platforms.ReasonBadResponse, "响应不是有效的 JSON：%v", err)
	}
	noData := len(env.Data) == 0 || string(env.Data) == "null"
	msg := strings.TrimSpace(string(env.Msg))
	switch {
	case env.OK != nil && *env.OK == -100 && strings.Contains(strings.ToLower(string(env.URL)), "captcha"):
		// ok:-100 with a captcha URL (…/captcha?scene=limit…) is a security check, not a login:
		// the fix is a person solving it, so the URL goes in the detail for them to open.
		return page{}, platforms.Faultf(platforms.ReasonCaptcha, "ok:-100，请在浏览器中打开验证地址完成验证：%s", string(env.URL))
	case env.OK != nil && *env.OK == -100:
		// Checked before the captcha rule: ok:-100 also carries a url (the passport sign-in).
		return page{}, &platforms.Fault{Reason: platforms.ReasonLoginRequired, Label: labelLogin, Detail: okDetail(-100, msg)}
	case env.URL != "" && noData:
		return page{}, platforms.Faultf(platforms.ReasonCaptcha, "请在浏览器中打开验证地址完成验证：%s", string(env.URL))
	case env.OK == nil:
		return page{}, platforms.NewFault(platforms.ReasonBadResponse, "JSON 中没有 ok 字段")
	case *env.OK == 0 && msg == msgEmpty:
		// Ambiguous by nature: no posts, posts hidden, or a login wall (platforms.md Part 2 §0.3).
		return page{}, platforms.NewFault(platforms.ReasonEmptyList, msg)
	case *env.OK != 1:
		return page{}, platforms.NewFault(platforms.ReasonPlatformError, okDetail(int(*env.OK), msg))
	case noData:
		return page{}, platforms.NewFault(platforms.ReasonBadResponse, "ok:1 但没有 data")
	}
	var cl cardList
	if err := json.Unmarshal(env.Data, &cl); err != nil {
		return page{}, platforms.Faultf(platforms.ReasonBadResponse, "data 无法解析：%v", err)
	}
	pg := page{total: -1}
	if fault := collect(cl.Cards, 0, fetched, skipReposts, &pg); fault != nil {
		return page{}, fault
	}
	var fault *platforms.Fault
	if pg.next.sinceID, fault = marker("since_id", cl.CardlistInfo.SinceID); fault != nil {
		return page{}, fault
	}
	if pg.next.sinceID == "" {
		p, fault := marker("page", cl.CardlistInfo.Page)
		if fault != nil {
			return page{}, fault
		}
		pg.next.page, _ = strconv.Atoi(p) // marker returns digits only
	}
	if t, err := marker("total", cl.CardlistInfo.Total); err == nil && t != "" {
		pg.total, _ = strconv.Atoi(t)
	}
	return pg, nil
}

// marker reads a paging member: absent, null, "" and 0 mean "none"; a non-negative integer, as a
// JSON number or a string of digits, is the value. Anything else — an object, a bool, a
// fraction, words — is a marker nobody knows, and such a page cannot be called the last one: it
// is a fault (列表未读完), so the account is 待核查 instead of being judged on the pages before.
func marker(name string, raw json.RawMessage) (string, *platforms.Fault) {
	v := strings.TrimSpace(string(raw))
	if v == "" || v == "null" {
		return "", nil
	}
	if strings.HasPrefix(v, `"`) {
		var str string
		if err := json.Unmarshal(raw, &str); err != nil {
			return "", platforms.Incomplete("翻页标记 %s 无法识别：%s", name, snippet(raw))
		}
		v = strings.TrimSpace(str)
		if v == "" {
			return "", nil
		}
	}
	if strings.TrimLeft(v, "0") == "" {
		return "", nil
	}
	// A since_id is an opaque cursor: digits in every capture seen, but the contract allows a
	// string, so a plain token is followed as it is. A page number and a total are numbers.
	if !isDigits(v) && (name != "since_id" || !isToken(v)) {
		return "", platforms.Incomplete("翻页标记 %s 无法识别：%s", name, snippet(raw))
	}
	if name != "since_id" && len(v) > 9 {
		return "", platforms.Incomplete("翻页标记 %s 超出范围：%s", name, v)
	}
	return v, nil
}

// collect appends the posts among cards: card_type 9 is a post, card_type 11 a group whose every
// member is walked (not just the first, as some crawlers do). Other card types are not posts.
func collect(cards []card, depth int, fetched time.Time, skipReposts bool, out *page) *platforms.Fault {
	if depth > maxDepth {
		return platforms.NewFault(platforms.ReasonBadResponse, "card_group 嵌套过深")
	}
	for _, c := range cards {
		switch c.CardType {
		case cardPost:
			if c.Mblog == nil {
				// A post card without its post is a shape we do not understand; skipping it
				// could skip the newest post.
				return platforms.Faultf(platforms.ReasonBadResponse, "card_type 9 没有 mblog（itemid %s）", string(c.ItemID))
			}
			out.cards++
			if skipReposts && c.Mblog.isRepost() {
				continue
			}
			p, fault := toPost(c, fetched)
			if fault != nil {
				return fault
			}
			out.posts = append(out.posts, p)
		case cardGroup:
			if fault := collect(c.CardGroup, depth+1, fetched, skipReposts, out); fault != nil {
				return fault
			}
		}
	}
	return nil
}

func toPost(c card, fetched time.Time) (platforms.Post, *platforms.Fault) {
	m := c.Mblog
	id := string(m.ID)
	if id == "" {
		id = string(m.BID)
	}
	t, dayOnly, err := parseCreatedAt(m.CreatedAt, fetched)
	if err != nil {
		return platforms.Post{}, platforms.Faultf(platforms.ReasonBadResponse, "无法解析发布时间 created_at %q（微博 %s）", m.CreatedAt, id)
	}
	return platforms.Post{
		Time:    t,
		DayOnly: dayOnly,
		Pinned:  pinned(c),
		ID:      id,
		Title:   title(m.Text),
	}, nil
}

// pinned reports any of the pinned flags Weibo has used (several posts may be pinned). Reading a
// flag too generously only costs an extra page; missing one could stop paging at an old pinned
// post and report it as the newest, so profile_type_id (RSSHub's check) is accepted as well.
func pinned(c card) bool {
	m := c.Mblog
	return m.IsTop == 1 || m.MblogType == 2 ||
		(m.Title != nil && strings.TrimSpace(m.Title.Text) == "置顶") ||
		strings.HasPrefix(string(c.ProfileTypeID), "proweibotop")
}

var (
	tagRe = regexp.MustCompile(`<[^>]*>`)
	brRe  = regexp.MustCompile(`(?i)<br\s*/?>`)
)

// titleRunes is how much of the text goes into the evidence: enough for a person to recognise
// the post.
const titleRunes = 30

// title is the start of a post's text with the HTML (links, emoji images, <br>) removed.
func title(text string) string {
	s := brRe.ReplaceAllString(text, " ")
	s = tagRe.ReplaceAllString(s, "")
	s = strings.Join(strings.Fields(html.UnescapeString(s)), " ")
	if utf8.RuneCountInString(s) > titleRunes {
		s = string([]rune(s)[:titleRunes]) + "…"
	}
	return s
}

func okDetail(ok int, msg string) string {
	if msg == "" {
		return fmt.Sprintf("ok:%d", ok)
	}
	return fmt.Sprintf("ok:%d %s", ok, msg)
}

// snippet is the start of a body for a fault's detail, on one line.
func snippet(b []byte) string {
	if len(b) == 0 {
		return "（空）"
	}
	if !utf8.Valid(b) {
		b = bytes.ToValidUTF8(b, []byte("?"))
	}
	s := strings.Join(strings.Fields(string(b)), " ")
	if utf8.RuneCountInString(s) > 60 {
		s = string([]rune(s)[:60]) + "…"
	}
	return s
}

// isToken accepts a cursor made of letters, digits, '_' and '-' (nothing a URL would mangle).
func isToken(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_' || r == '-') {
			return false
		}
	}
	return s != "" && len(s) <= 64
}

// flexInt reads a JSON number, a numeric string, a bool or null: Weibo's flags and codes are not
// typed consistently across surfaces.
type flexInt int64

func (n *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	switch s {
	case "null", `""`, "false":
		*n = 0
		return nil
	case "true":
		*n = 1
		return nil
	}
	s = strings.Trim(s, `"`)
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		*n = flexInt(v)
		return nil
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil && v == float64(int64(v)) {
		*n = flexInt(int64(v))
		return nil
	}
	return fmt.Errorf("want an integer, got %s", b)
}

// flexString reads a JSON string or number as text. Ids and since_id exceed 2^53, so numbers are
// kept as their literal digits, never passed through float64.
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*s = ""
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = flexString(v)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("want a string or number, got %s", b)
		}
		*s = flexString(n.String())
	}
	return nil
}
