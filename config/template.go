package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Template is what `nmaudit config init` writes: every key with its default and a comment
// saying what it does. Secrets are left empty; prefer the NMAUDIT_… environment variables for
// them so they never sit in a file that gets mailed around with a report.
const Template = `# nmaudit configuration. Precedence: this file, then NMAUDIT_… environment variables
# (dots become underscores: NMAUDIT_PLATFORMS_WEIBO_COOKIE), then command-line flags.

# Time zone of the check time (监测时间点) and of every printed time.
timezone: Asia/Shanghai
# Update window: an account with no post in this window before the check time is 不合格.
# 14d is the national rule (两周); some places use 10d. Also accepts 2w or 336h.
window: 14d
# Accounts pending closure (注销中): exclude = set aside and counted separately (default);
# check = audit them like active accounts (some provinces require it until cancelled).
pending_closure: exclude
# Reposts count as posts (platforms.md: a repost is the account posting).
count_reposts: true
# 预警: list 合格 accounts whose newest post is older than this, so units can post in time.
warn_after: 10d
# Parallel fetches per platform; each platform still obeys its own rate limit below.
concurrency: 4

registry:
  # Extra header aliases, merged ahead of the built-in ones. Fields: name, type, owner,
  # supervisor, region, level, account_id, status (and latest, note, problem, veto for the
  # observations and findings files).
  columns: {}
  #   name: [公众号名称]
  #   account_id: [账号地址]
  # Sheet to read in .xlsx files ("" = the first sheet).
  sheet: ""

report:
  # Decimals of percentages in reports (1 → 1.8%).
  rate_decimals: 1
  # Level names in the inspection report (nmaudit report), by canonical level.
  level_labels: {}
  #   县(区)部门及镇(街道): 县区镇（街道办）及县级部门

levels:
  # Level of units whose name does not say it (nmaudit infers the level from the owner's name
  # when the registry has no 层级 column): exact 开设主体 → 市级政府, 县(区)政府, 市级部门 or
  # 县(区)部门及镇(街道).
  overrides: {}
  #   汉中经济技术开发区管理委员会: 县(区)政府

store:
  # History database; default $XDG_DATA_HOME/nmaudit/nmaudit.db.
  path: ""

# Per platform: rate = requests per second for the whole platform, burst = requests at once,
# timeout = per request, retries = after the first attempt, backoff = first wait (doubles with
# jitter, capped at 30s), max_pages = pages read per account before giving up (待核查).
platforms:
  weibo:
    base_url: https://m.weibo.cn
    cookie: ""            # a logged-in or visitor cookie (SUB=…); env NMAUDIT_PLATFORMS_WEIBO_COOKIE
    rate: 1
    burst: 1
    timeout: 15s
    retries: 3
    backoff: 1s
    max_pages: 10
  tieba:
    base_url: http://c.tieba.baidu.com
    web_base_url: https://tieba.baidu.com
    bduss: ""             # env NMAUDIT_PLATFORMS_TIEBA_BDUSS
    rate: 2
    burst: 1
    timeout: 15s
    retries: 3
    backoff: 1s
    max_pages: 10
  wechat:
    # Official API, for accounts whose AppID/AppSecret you hold (their IP whitelist must
    # include this machine).
    api_base_url: https://api.weixin.qq.com
    # 公众平台 backend, with your own logged-in session: the token from the admin URL and the
    # session cookie. Sessions last hours to days.
    mp_base_url: https://mp.weixin.qq.com
    mp_token: ""          # env NMAUDIT_PLATFORMS_WECHAT_MP_TOKEN
    mp_cookie: ""         # env NMAUDIT_PLATFORMS_WECHAT_MP_COOKIE
    rate: 0.5
    burst: 1
    timeout: 15s
    retries: 3
    backoff: 1s
    max_pages: 10
    apps: []
    #  - {account: 汉中发布, app_id: wx0000000000000000, app_secret: "…"}
`

// WriteTemplate writes Template to path, creating parent folders. It refuses to overwrite an
// existing file unless force is set.
func WriteTemplate(path string, force bool) error {
	if !force {
		if _, err := os.Stat(path); err == nil {
			return fmt.Errorf("%s already exists (use --force to overwrite)", path)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	// 0600: the file is meant to hold credentials once filled in.
	return os.WriteFile(path, []byte(Template), 0o600)
}
