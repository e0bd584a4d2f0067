package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"
)

// Template is what `nmaudit config init` writes: every setting with its default and a comment
// (in Chinese, as everything a user reads) saying what it does. The defaults are filled in from
// Default(), so the template cannot drift from the code: when an adapter's default changes
// (Tieba's client API moved to https), a freshly written config does not pin the old value.
// Secrets are left empty; the comments point to the NMAUDIT_… environment variables, so
// credentials never sit in a file that gets mailed around with a report.
var Template = renderTemplate()

func renderTemplate() string {
	var b strings.Builder
	t := template.Must(template.New("config").Funcs(template.FuncMap{
		// q quotes a string as YAML (a JSON string is a YAML double-quoted scalar).
		"q": func(s any) string { return strconv.Quote(fmt.Sprint(s)) },
	}).Parse(templateText))
	if err := t.Execute(&b, Default()); err != nil {
		panic("config: template: " + err.Error()) // a bug in templateText, caught by every test
	}
	return b.String()
}

const templateText = `# nmaudit 配置文件。设置的优先顺序：本文件，其次 NMAUDIT_… 环境变量（键名中的点换成下划线，
# 如 NMAUDIT_PLATFORMS_WEIBO_COOKIE），最后是命令行选项。写错的设置名会在运行时提示。

# 监测时间点和报告中所有时间使用的时区。
timezone: {{.Timezone}}
# 更新时限：监测时间点前这段时间内没有更新的账号判为不合格。全国规则为两周（14d），有的地方用 10d。
# 也可写作 2w 或 336h；不能超过一年。
window: {{.Window}}
# 注销中的账号：exclude = 单独统计，不作检查（默认）；check = 与正常账号一样检查（有的省份要求注销
# 完成前照常更新）。
pending_closure: {{.PendingClosure}}
# 转发是否算作更新（platforms.md：转发也是账号在发布）。
count_reposts: {{.CountReposts}}
# 预警：列出最近一次更新早于这段时间的合格账号，提醒单位及时更新。
warn_after: {{.WarnAfter}}
# 同时检查的账号数；每个平台仍遵守下面各自的访问频率。
concurrency: {{.Concurrency}}

registry:
  # 额外的表头别名，排在内置别名之前。字段：name, type, owner, supervisor, region, level,
  # account_id, status（观察记录和检查发现文件另有 latest, note, problem, veto）。
  columns: {}
  #   name: [公众号名称]
  #   account_id: [账号地址]
  # 读取 .xlsx 的哪个工作表（"" = 第一个）。
  sheet: {{q .Registry.Sheet}}
  # 导出表中 nmaudit 不认识的运行状态词，对应到认识的状态词（正常运行、注销中、已注销、已关停等）。
  # 不认识的状态词否则按输入错误处理。
  statuses: {}
  #   停更: 正常运行
  #   停用: 已关停

report:
  # 报告中百分比的小数位数（1 → 1.8%），0 到 4。
  rate_decimals: {{.Report.RateDecimals}}
  # 检查情况报告（nmaudit report）中各层级的叫法，按标准层级给出。
  level_labels: {}
  #   县(区)部门及镇(街道): 县区镇（街道办）及县级部门

levels:
  # 名称看不出层级的单位（导出表没有层级列时，nmaudit 按开设主体名称判断层级）：开设主体全称 →
  # 市级政府、县(区)政府、市级部门 或 县(区)部门及镇(街道)。
  overrides: {}
  #   汉中经济技术开发区管理委员会: 县(区)政府

store:
  # 检查记录数据库；默认 $XDG_DATA_HOME/nmaudit/nmaudit.db。
  path: {{q .Store.Path}}
  # 省级规模改用 PostgreSQL（postgres://用户:密码@主机/库名）；含密码，建议用环境变量
  # NMAUDIT_STORE_URL。
  url: {{q .Store.URL}}

# 各平台：rate = 整个平台每秒请求数，burst = 可同时发出的请求数，timeout = 单次请求超时，
# retries = 失败后重试次数，backoff = 第一次重试前的等待（之后加倍并随机抖动，最长 30s），
# max_pages = 每个账号最多读取的页数（读完仍无结论则待核查）。
platforms:
  weibo:
    base_url: {{.Platforms.Weibo.BaseURL}}
    cookie: ""            # 登录或访客 Cookie（SUB=…）；建议用环境变量 NMAUDIT_PLATFORMS_WEIBO_COOKIE
    # 没有 Cookie 时，像浏览器一样向微博访客通行证服务取得访客 Cookie。
    visitor: {{.Platforms.Weibo.Visitor}}
    visitor_base_url: {{.Platforms.Weibo.VisitorBaseURL}}
    user_agent: {{q .Platforms.Weibo.UserAgent}}
    rate: {{.Platforms.Weibo.Rate}}
    burst: {{.Platforms.Weibo.Burst}}
    timeout: {{.Platforms.Weibo.Timeout}}
    retries: {{.Platforms.Weibo.Retries}}
    backoff: {{.Platforms.Weibo.Backoff}}
    max_pages: {{.Platforms.Weibo.MaxPages}}
  tieba:
    base_url: {{.Platforms.Tieba.BaseURL}}
    web_base_url: {{.Platforms.Tieba.WebBaseURL}}
    bduss: ""             # 百度登录凭据；建议用环境变量 NMAUDIT_PLATFORMS_TIEBA_BDUSS
    client_version: {{q .Platforms.Tieba.ClientVersion}}
    rate: {{.Platforms.Tieba.Rate}}
    burst: {{.Platforms.Tieba.Burst}}
    timeout: {{.Platforms.Tieba.Timeout}}
    retries: {{.Platforms.Tieba.Retries}}
    backoff: {{.Platforms.Tieba.Backoff}}
    max_pages: {{.Platforms.Tieba.MaxPages}}
  wechat:
    # 微信官方接口，用于持有 AppID/AppSecret 的公众号（其 IP 白名单须包含本机）。
    api_base_url: {{.Platforms.WeChat.APIBaseURL}}
    # 公众平台后台，使用您本人已登录的会话：后台网址中的 token 和会话 Cookie，有效期数小时到数天。
    mp_base_url: {{.Platforms.WeChat.MPBaseURL}}
    mp_token: ""          # 建议用环境变量 NMAUDIT_PLATFORMS_WECHAT_MP_TOKEN
    mp_cookie: ""         # 建议用环境变量 NMAUDIT_PLATFORMS_WECHAT_MP_COOKIE
    # 公众号文章页（mp.weixin.qq.com/s?__biz=…）：观察记录中的文章链接从这里读取并与账号核对。
    article_base_url: {{.Platforms.WeChat.ArticleBaseURL}}
    rate: {{.Platforms.WeChat.Rate}}
    burst: {{.Platforms.WeChat.Burst}}
    timeout: {{.Platforms.WeChat.Timeout}}
    retries: {{.Platforms.WeChat.Retries}}
    backoff: {{.Platforms.WeChat.Backoff}}
    max_pages: {{.Platforms.WeChat.MaxPages}}
    apps: []
    #  - {account: 汉中发布, app_id: wx0000000000000000, app_secret: "…"}
`

// WriteTemplate writes Template to path, creating parent folders (0700: the file will hold
// credentials). It refuses to replace anything that exists unless force is set, and even then
// only a regular file or a symbolic link: the template is written to a temporary file in the
// same folder and renamed onto path, so a failed write never leaves half a config, a symlink
// at path is replaced rather than followed (config init must not write through a link someone
// planted to a file elsewhere), and the result is 0600 whatever mode an old file had.
func WriteTemplate(path string, force bool) error {
	info, err := os.Lstat(path)
	switch {
	case err == nil && !force:
		return fmt.Errorf("%s 已存在（要覆盖请加 --force）", path)
	case err == nil && info.IsDir():
		return fmt.Errorf("%s 是一个文件夹", path)
	case err == nil && !info.Mode().IsRegular() && info.Mode()&fs.ModeSymlink == 0:
		return fmt.Errorf("%s 不是普通文件，不能用配置模板替换", path)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: %w", path, err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	var suffix [6]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		return err
	}
	tmp := filepath.Join(dir, ".nmaudit-config-"+hex.EncodeToString(suffix[:]))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer os.Remove(tmp) // after a successful rename there is nothing left to remove
	_, err = f.WriteString(Template)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// 0600 even under an unusual umask (0o600 &^ umask can only be stricter, but a
		// filesystem that ignores the create mode is set right here).
		err = os.Chmod(tmp, 0o600)
	}
	if err != nil {
		return fmt.Errorf("无法写入 %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("无法写入 %s: %w", path, err)
	}
	return nil
}
